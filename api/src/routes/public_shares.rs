//! What a share-link holder sees, without an account: `/api/v1/shared/{token}`.
//!
//! The link is checked on every request, so revoking works at once; an
//! expired or revoked link answers 410. A password-protected link wants the
//! password once (`POST …/unlock`, which sets a cookie scoped to the link's
//! path) or in `X-Share-Password` on each request. Nothing served here says
//! where a photo was taken: no GPS in the JSON, none in renditions, and
//! originals (when the owner allows downloads) with location stripped.

use crate::ErrorCode;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_storage::catalog::{AssetRecord, ShareLinkRecord, ShareLinkState, ShareTarget};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::albums::{AlbumDto, PageQuery, album_page};
use super::assets::describe_many;
use super::downloads::{Selection, Version};
use crate::ApiError;
use crate::auth::{constant_time_eq, password};
use crate::dto::{AssetDto, AssetPageDto, Audience, rfc3339};
use crate::state::AppState;

const UNLOCK_COOKIE: &str = "drk_share";
const PASSWORD_HEADER: &str = "x-share-password";

/// The proof of a typed password kept in the cookie: it changes when the
/// password does, and says nothing about the password itself.
fn unlock_proof(link: &ShareLinkRecord) -> String {
    let hash = link.password_hash.as_deref().unwrap_or_default();
    blake3::keyed_hash(
        blake3::hash(link.token_hash.as_bytes()).as_bytes(),
        hash.as_bytes(),
    )
    .to_hex()
    .to_string()
}

/// The live link a token names: 404 unknown, 410 revoked or expired.
async fn live_link(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
) -> Result<ShareLinkRecord, ApiError> {
    // Anyone may ask, signed in or not: counted per client address, before
    // the catalog is asked (a crawler of tokens or of a big album's
    // originals meets the limit, not the database).
    let client = state.config.trusted_proxies.client_of(req);
    if let (Some(limiter), Some(address)) = (&state.share_limiter, client) {
        limiter.check(&address.to_string())?;
    }
    let link = state
        .catalog
        .find_share_link(token)
        .await?
        .ok_or(ApiError::NotFound("share link"))?;
    match link.state() {
        ShareLinkState::Active => Ok(link),
        ShareLinkState::Revoked => Err(ApiError::Gone {
            code: ErrorCode::ShareRevoked,
            message: "this share link was revoked by its owner".into(),
        }),
        ShareLinkState::Expired => Err(ApiError::Gone {
            code: ErrorCode::ShareExpired,
            message: "this share link has expired".into(),
        }),
    }
}

/// A live link whose password (if any) the caller has given.
async fn open_link(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
) -> Result<ShareLinkRecord, ApiError> {
    let link = live_link(req, state, token).await?;
    let Some(stored) = link.password_hash.clone() else {
        return Ok(link);
    };
    if let Some(cookie) = req.cookie(UNLOCK_COOKIE)
        && constant_time_eq(cookie.value(), &unlock_proof(&link))
    {
        return Ok(link);
    }
    if let Some(given) = req
        .headers()
        .get(PASSWORD_HEADER)
        .and_then(|v| v.to_str().ok())
        && password_is(req, state, &link, given, stored).await?
    {
        return Ok(link);
    }
    Err(ApiError::Denied {
        code: ErrorCode::SharePasswordRequired,
        message: "this share link needs its password (POST …/unlock, or X-Share-Password)".into(),
    })
}

/// Whether `given` is the link's password: an attempt counted against the
/// link's rate limit and checked with argon2, unless this very password was
/// verified for this link (and its current hash) before.
async fn password_is(
    req: &HttpRequest,
    state: &AppState,
    link: &ShareLinkRecord,
    given: &str,
    stored: String,
) -> Result<bool, ApiError> {
    let scope = unlock_proof(link);
    if state.share_passwords.contains(&scope, given) {
        return Ok(true);
    }
    let address = state.config.trusted_proxies.client_of(req);
    state
        .login_limiter
        .check(&format!("share:{}", link.id), address)?;
    let ok = password::matches(given, Some(stored)).await?;
    if ok {
        state.share_passwords.insert(&scope, given);
    }
    Ok(ok)
}

/// The shared asset with this id, if the link covers it.
async fn shared_asset(
    state: &AppState,
    link: &ShareLinkRecord,
    raw_id: &str,
) -> Result<AssetRecord, ApiError> {
    let id = super::asset_id(raw_id)?;
    match link.target {
        ShareTarget::Asset(shared) if shared == id => {
            Ok(state.catalog.get_asset(&link.owner, &id).await?)
        }
        ShareTarget::Asset(_) => Err(ApiError::NotFound("asset")),
        // Its members' photos too, whoever owns each.
        ShareTarget::Album(album) => Ok(state.catalog.album_asset(&album, &id).await?),
    }
}

/// What a link shares.
#[derive(Serialize, ToSchema)]
pub(crate) struct SharedDto {
    /// `album` or `asset`.
    #[serde(rename = "type")]
    kind: &'static str,
    allow_download: bool,
    expires_at: Option<String>,
    assets_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    album: Option<AlbumDto>,
    /// Without location, ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    asset: Option<AssetDto>,
}

/// What the link shares (no account needed).
#[utoipa::path(get, path = "/api/v1/shared/{token}", tag = "sharing", security(()),
    params(("token" = String, Path, description = "The link's token"), ("X-Share-Password" = Option<String>, Header, description = "The link's password, when it has one (or unlock once)")),
    responses((status = 200, description = "The album or the photo", body = SharedDto), (status = 410, description = "The link was revoked or has expired", body = crate::openapi::ErrorBody)))]
pub(crate) async fn describe(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let link = open_link(&req, &state, &token).await?;
    let audience = Audience::ShareLink { token: &token };
    let mut body = SharedDto {
        kind: "album",
        allow_download: link.allow_download,
        expires_at: link.expires_at.map(rfc3339),
        assets_url: format!("/api/v1/shared/{token}/assets"),
        album: None,
        asset: None,
    };
    match link.target {
        ShareTarget::Album(album) => {
            let album = state.catalog.get_album_any_owner(&album).await?;
            body.album = Some(AlbumDto::for_link(&album, &state, &token));
        }
        ShareTarget::Asset(asset) => {
            let asset = state.catalog.get_asset(&link.owner, &asset).await?;
            body.kind = "asset";
            body.asset = describe_many(&state, std::slice::from_ref(&asset), &audience)
                .await?
                .pop();
        }
    }
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnlockBody {
    password: String,
}

/// The link's password, once, for a cookie scoped to the link.
#[utoipa::path(post, path = "/api/v1/shared/{token}/unlock", tag = "sharing", security(()),
    params(("token" = String, Path, description = "The link's token")), request_body = UnlockBody,
    responses((status = 204, description = "Unlocked (or no password needed)"), (status = 410, description = "The link was revoked or has expired", body = crate::openapi::ErrorBody)))]
pub(crate) async fn unlock(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<UnlockBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let link = live_link(&req, &state, &token).await?;
    let Some(stored) = link.password_hash.clone() else {
        return Ok(HttpResponse::NoContent().finish());
    };
    if !password_is(&req, &state, &link, &body.password, stored).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let cookie = Cookie::build(UNLOCK_COOKIE, unlock_proof(&link))
        .path(format!("/api/v1/shared/{token}"))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(super::session::is_https(&req, &state))
        .finish();
    Ok(HttpResponse::NoContent().cookie(cookie).finish())
}

/// The shared photos, a page at a time.
#[utoipa::path(get, path = "/api/v1/shared/{token}/assets", tag = "sharing", security(()),
    params(("token" = String, Path, description = "The link's token"), ("X-Share-Password" = Option<String>, Header, description = "The link's password, when it has one (or unlock once)"), PageQuery),
    responses((status = 200, description = "A page", body = AssetPageDto), (status = 410, description = "The link was revoked or has expired", body = crate::openapi::ErrorBody)))]
pub(crate) async fn assets(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let link = open_link(&req, &state, &token).await?;
    let audience = Audience::ShareLink { token: &token };
    match link.target {
        ShareTarget::Album(album) => {
            let album = state.catalog.get_album_any_owner(&album).await?;
            album_page(&state, &album, &query, |_| audience.clone()).await
        }
        ShareTarget::Asset(asset) => {
            let asset = state.catalog.get_asset(&link.owner, &asset).await?;
            Ok(HttpResponse::Ok().json(AssetPageDto {
                assets: describe_many(&state, std::slice::from_ref(&asset), &audience).await?,
                next_cursor: None,
            }))
        }
    }
}

/// One shared photo (without location).
#[utoipa::path(get, path = "/api/v1/shared/{token}/assets/{id}", tag = "sharing", security(()),
    params(("token" = String, Path, description = "The link's token"), ("id" = String, Path, description = "The asset's id"), ("X-Share-Password" = Option<String>, Header, description = "The link's password, when it has one (or unlock once)")),
    responses((status = 200, description = "The photo", body = AssetDto), (status = 410, description = "The link was revoked or has expired", body = crate::openapi::ErrorBody)))]
pub(crate) async fn asset(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (token, id) = path.into_inner();
    let link = open_link(&req, &state, &token).await?;
    let asset = shared_asset(&state, &link, &id).await?;
    let audience = Audience::ShareLink { token: &token };
    Ok(HttpResponse::Ok().json(
        describe_many(&state, std::slice::from_ref(&asset), &audience)
            .await?
            .remove(0),
    ))
}

/// A shared photo's rendition (no location in it).
#[utoipa::path(get, path = "/api/v1/shared/{token}/assets/{id}/renditions/{name}", tag = "sharing", security(()),
    params(("token" = String, Path, description = "The link's token"), ("id" = String, Path, description = "The asset's id"),
        ("name" = String, Path, description = "`thumb` or `preview`"), ("X-Share-Password" = Option<String>, Header, description = "The link's password, when it has one (or unlock once)")),
    responses(
        (status = 200, description = "The JPEG", content_type = "image/jpeg", body = Vec<u8>),
        (status = 202, description = "Still rendering", body = super::renditions::PendingDto),
        (status = 304, description = "Not modified"),
        (status = 410, description = "The link was revoked or has expired", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn rendition(
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (token, id, name) = path.into_inner();
    let link = open_link(&req, &state, &token).await?;
    let asset = shared_asset(&state, &link, &id).await?;
    let mut response = super::renditions::send_rendition(&req, &state, &asset, &name).await?;
    // Public, but only for as long as the link lives: no shared caches.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(response)
}

/// Refuses a download through a link whose owner did not allow them.
fn require_downloads(link: &ShareLinkRecord) -> Result<(), ApiError> {
    if link.allow_download {
        return Ok(());
    }
    Err(ApiError::Denied {
        code: ErrorCode::DownloadNotAllowed,
        message: "the owner of this link does not allow downloading originals".into(),
    })
}

/// A shared photo's original: only when the owner allowed downloads, and
/// rebuilt without location as it streams (see `shared_originals.rs`).
#[utoipa::path(get, path = "/api/v1/shared/{token}/assets/{id}/original", tag = "sharing", security(()),
    params(("token" = String, Path, description = "The link's token"), ("id" = String, Path, description = "The asset's id"), ("X-Share-Password" = Option<String>, Header, description = "The link's password, when it has one (or unlock once)")),
    responses(
        (status = 200, description = "The file, without location, as its media type", content_type = "*/*", body = Vec<u8>),
        (status = 410, description = "The link was revoked or has expired", body = crate::openapi::ErrorBody),
        (status = 422, description = "This format cannot be sent without its location (`original_not_shareable`); the renditions can", body = crate::openapi::ErrorBody),
        (status = 503, description = "As many shared originals as the server sends at once are on their way (`busy`, `Retry-After`)", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn original(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (token, id) = path.into_inner();
    let link = open_link(&req, &state, &token).await?;
    require_downloads(&link)?;
    let asset = shared_asset(&state, &link, &id).await?;
    super::originals::send_without_location(state, &asset).await
}

/// Everything the link shows as one ZIP of originals without location:
/// only when the owner allowed downloads. A photo whose format cannot be
/// sent without its location is left out, and the archive's
/// `NOT INCLUDED.txt` says so.
#[utoipa::path(get, path = "/api/v1/shared/{token}/download", tag = "sharing", security(()),
    params(("token" = String, Path, description = "The link's token"), ("X-Share-Password" = Option<String>, Header, description = "The link's password, when it has one (or unlock once)")),
    responses(
        (status = 200, description = "A ZIP, streamed as it is built", content_type = "application/zip", body = Vec<u8>),
        (status = 403, description = "The owner does not allow downloads (`download_not_allowed`)", body = crate::openapi::ErrorBody),
        (status = 410, description = "The link was revoked or has expired", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn download(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let link = open_link(&req, &state, &token).await?;
    require_downloads(&link)?;
    let (name, selection) = match link.target {
        ShareTarget::Album(album) => {
            let album = state.catalog.get_album_any_owner(&album).await?;
            (
                format!("{}.zip", album.name),
                Selection::Album {
                    album,
                    viewer: None,
                },
            )
        }
        ShareTarget::Asset(asset) => {
            // Trashed since: not found, as for the link's other routes.
            state.catalog.get_asset(&link.owner, &asset).await?;
            (
                "photo.zip".to_string(),
                Selection::Assets {
                    owner: link.owner,
                    ids: vec![asset],
                },
            )
        }
    };
    Ok(super::downloads::zip_response(
        state,
        &name,
        selection,
        Version::SharedOriginal,
    ))
}
