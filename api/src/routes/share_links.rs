//! Share links, as their owner manages them: create, list (with what each
//! shares, by name and thumbnail), change in place, revoke.

use actix_web::{HttpResponse, web};
use std::collections::HashMap;

use darkroom_storage::catalog::{AlbumRecord, AssetRecord};
use darkroom_storage::catalog::{
    NewShareLink, Scope, ShareLinkChange, ShareLinkRecord, ShareTarget,
};
use darkroom_storage::{AlbumId, AssetId, ShareLinkId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::invalid_field;
use crate::ApiError;
use crate::auth::{Authenticated, password};
use crate::dto::rfc3339;
use crate::state::AppState;

/// A share link, as its owner sees it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ShareLinkDto {
    id: String,
    /// The capability: whoever holds it sees what is shared. Only in the
    /// answer that creates the link: darkroom keeps a hash of it, not it.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// `/api/v1/shared/{token}`, in the same answer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// `album` or `asset`.
    #[serde(rename = "type")]
    kind: &'static str,
    target_id: String,
    has_password: bool,
    allow_download: bool,
    expires_at: Option<String>,
    created_at: String,
    revoked_at: Option<String>,
    /// `active`, `revoked` or `expired`.
    state: &'static str,
    /// The album's name, or the photo's title (else its file name); absent
    /// once what it shared is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    target_name: Option<String>,
    /// A thumbnail of what it shares (the album's cover, the photo), on
    /// your own routes.
    #[serde(skip_serializing_if = "Option::is_none")]
    thumb_url: Option<String>,
}

impl ShareLinkDto {
    /// `token` is given when the link was just made.
    fn new(link: &ShareLinkRecord, token: Option<&str>) -> Self {
        let (kind, target) = match link.target {
            ShareTarget::Album(id) => ("album", id.to_string()),
            ShareTarget::Asset(id) => ("asset", id.to_string()),
        };
        ShareLinkDto {
            id: link.id.to_string(),
            token: token.map(str::to_string),
            url: token.map(|t| format!("/api/v1/shared/{t}")),
            kind,
            target_id: target,
            has_password: link.password_hash.is_some(),
            allow_download: link.allow_download,
            expires_at: link.expires_at.map(rfc3339),
            created_at: rfc3339(link.created_at),
            revoked_at: link.revoked_at.map(rfc3339),
            state: link.state().as_str(),
            target_name: None,
            thumb_url: None,
        }
    }

    /// With what the link shares, by name and thumbnail, from what the
    /// owner holds (`shared`); a link to something gone has neither.
    fn described(mut self, link: &ShareLinkRecord, shared: &Shared, thumb: &str) -> Self {
        match link.target {
            ShareTarget::Album(id) => {
                if let Some(album) = shared.albums.get(&id) {
                    self.target_name = Some(album.name.clone());
                    // The cover may be a member's photo: the album's route.
                    self.thumb_url = album
                        .cover
                        .map(|c| format!("/api/v1/albums/{id}/assets/{c}/renditions/{thumb}"));
                }
            }
            ShareTarget::Asset(id) => {
                if let Some(asset) = shared.assets.get(&id) {
                    let name = asset.library.title.as_ref().unwrap_or(&asset.original_name);
                    self.target_name = Some(name.clone());
                    self.thumb_url = Some(format!("/api/v1/assets/{id}/renditions/{thumb}"));
                }
            }
        }
        self
    }
}

/// What a list of links shares, read at once: the owner's albums and the
/// photos the links name (two queries however many links).
struct Shared {
    albums: HashMap<AlbumId, AlbumRecord>,
    assets: HashMap<AssetId, AssetRecord>,
}

impl Shared {
    async fn of(
        state: &AppState,
        owner: &UserId,
        links: &[ShareLinkRecord],
    ) -> Result<Self, ApiError> {
        let asset_ids: Vec<AssetId> = links
            .iter()
            .filter_map(|l| match l.target {
                ShareTarget::Asset(id) => Some(id),
                ShareTarget::Album(_) => None,
            })
            .collect();
        let albums = if links
            .iter()
            .any(|l| matches!(l.target, ShareTarget::Album(_)))
        {
            state
                .catalog
                .list_albums(owner)
                .await?
                .into_iter()
                .filter(|a| a.album.owner == *owner)
                .map(|a| (a.album.id, a.album))
                .collect()
        } else {
            HashMap::new()
        };
        let mut assets = HashMap::new();
        for chunk in asset_ids.chunks(200) {
            for asset in state.catalog.owned_assets(owner, chunk).await? {
                assets.insert(asset.id, asset);
            }
        }
        Ok(Shared { albums, assets })
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ShareLinkListDto {
    links: Vec<ShareLinkDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    album_id: Option<String>,
    asset_id: Option<String>,
    password: Option<String>,
    /// RFC 3339; absent for a link that does not expire.
    expires_at: Option<String>,
    #[serde(default)]
    allow_download: bool,
}

/// Shares an album or a photo by link: read-only, optionally with a
/// password, an expiry and permission to download originals.
#[utoipa::path(post, path = "/api/v1/shares", tag = "sharing", request_body = CreateBody,
    responses((status = 201, description = "The link", body = ShareLinkDto)))]
pub(crate) async fn create(
    body: web::Json<CreateBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let target = match (&body.album_id, &body.asset_id) {
        (Some(album), None) => ShareTarget::Album(super::path_id(album, "album")?),
        (None, Some(asset)) => ShareTarget::Asset(super::asset_id(asset)?),
        _ => {
            return Err(invalid_field(
                "album_id",
                "give exactly one of album_id and asset_id".into(),
            ));
        }
    };
    let expires_at = body.expires_at.as_deref().map(future_time).transpose()?;
    let password_hash = match &body.password {
        None => None,
        Some(p) => Some(password::hash_new(p).await?),
    };
    let (link, token) = state
        .catalog
        .create_share_link(&NewShareLink {
            owner: *auth.user(),
            target,
            password_hash,
            expires_at,
            allow_download: body.allow_download,
        })
        .await?;
    Ok(HttpResponse::Created().json(ShareLinkDto::new(&link, Some(&token))))
}

/// Your share links, with their state.
#[utoipa::path(get, path = "/api/v1/shares", tag = "sharing",
    responses((status = 200, description = "The links", body = ShareLinkListDto)))]
pub(crate) async fn list(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let records = state.catalog.list_share_links(auth.user()).await?;
    let shared = Shared::of(&state, auth.user(), &records).await?;
    let thumb = state.thumb_name();
    let links = records
        .iter()
        .map(|link| ShareLinkDto::new(link, None).described(link, &shared, &thumb))
        .collect();
    Ok(HttpResponse::Ok().json(ShareLinkListDto { links }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeBody {
    /// RFC 3339 in the future, or null: it no longer expires.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    expires_at: Option<Option<String>>,
    /// A new password, or null: none any more (holders who unlocked it
    /// with the old one must give the new one).
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    password: Option<Option<String>>,
    allow_download: Option<bool>,
}

/// Changes a link in place: its URL stays, what it allows changes at once.
#[utoipa::path(patch, path = "/api/v1/shares/{id}", tag = "sharing",
    params(("id" = String, Path, description = "The link's id (not its token)")),
    request_body = ChangeBody,
    responses((status = 200, description = "The link now", body = ShareLinkDto),
        (status = 409, description = "The link was revoked", body = crate::openapi::ErrorBody)))]
pub(crate) async fn change(
    path: web::Path<String>,
    body: web::Json<ChangeBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let id: ShareLinkId = super::path_id(&path, "share link")?;
    let expires_at = match &body.expires_at {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => Some(Some(future_time(text)?)),
    };
    let password_hash = match &body.password {
        None => None,
        Some(None) => Some(None),
        Some(Some(p)) => Some(Some(password::hash_new(p).await?)),
    };
    let link = state
        .catalog
        .update_share_link(
            auth.user(),
            &id,
            &ShareLinkChange {
                expires_at,
                password_hash,
                allow_download: body.allow_download,
            },
        )
        .await?;
    let shared = Shared::of(&state, auth.user(), std::slice::from_ref(&link)).await?;
    let dto = ShareLinkDto::new(&link, None).described(&link, &shared, &state.thumb_name());
    Ok(HttpResponse::Ok().json(dto))
}

/// An RFC 3339 time in the future, as ms since the epoch.
fn future_time(text: &str) -> Result<i64, ApiError> {
    let at = chrono::DateTime::parse_from_rfc3339(text)
        .map_err(|_| {
            invalid_field(
                "expires_at",
                "an RFC 3339 time, e.g. 2026-12-31T23:59:59Z".into(),
            )
        })?
        .timestamp_millis();
    if at <= darkroom_storage::now_ms() {
        return Err(invalid_field("expires_at", "must be in the future".into()));
    }
    Ok(at)
}

/// Revokes a link, at once.
#[utoipa::path(delete, path = "/api/v1/shares/{id}", tag = "sharing",
    params(("id" = String, Path, description = "The link's id (not its token)")),
    responses((status = 204, description = "Revoked")))]
pub(crate) async fn revoke(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let id: ShareLinkId = super::path_id(&path, "share link")?;
    state.catalog.revoke_share_link(auth.user(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
