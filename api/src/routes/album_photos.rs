//! One photo of an album, through the album: `/api/v1/albums/{id}/assets/{asset_id}`.
//! How the album's owner and members see each other's photos. What they
//! see of a photo that is not theirs is a guest's view: not its owner's
//! marks (favourite, rating, label), and where it was taken only when the
//! album's owner lets members see it; an original then comes rebuilt
//! without location, as through a share link. Renditions never carry it.

use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_storage::catalog::{AlbumAccess, AssetRecord, Scope};

use super::albums::{album_id, audience_for};
use super::assets::describe_many;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;

/// The album as the caller reaches it, and one of its photos.
async fn album_photo(
    state: &AppState,
    auth: &Authenticated,
    raw_album: &str,
    raw_asset: &str,
) -> Result<(AlbumAccess, AssetRecord), ApiError> {
    auth.require(Scope::Read)?;
    let access = state
        .catalog
        .album_for(auth.user(), &album_id(raw_album)?)
        .await?;
    let asset = state
        .catalog
        .album_asset(&access.album.id, &super::asset_id(raw_asset)?)
        .await?;
    Ok((access, asset))
}

/// A photo of an album you own or that was shared with you.
#[utoipa::path(get, path = "/api/v1/albums/{id}/assets/{asset_id}", tag = "albums",
    params(("id" = String, Path, description = "The album's id"), ("asset_id" = String, Path, description = "The photo's id")),
    responses((status = 200, description = "The photo", body = crate::dto::AssetDto)))]
pub(crate) async fn get(
    path: web::Path<(String, String)>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (album, asset) = path.into_inner();
    let (access, asset) = album_photo(&state, &auth, &album, &asset).await?;
    let audience = audience_for(&access, auth.user(), &asset);
    let mut described = describe_many(&state, std::slice::from_ref(&asset), &audience).await?;
    Ok(HttpResponse::Ok().json(described.remove(0)))
}

/// A rendition of a photo of the album (no location in it).
#[utoipa::path(get, path = "/api/v1/albums/{id}/assets/{asset_id}/renditions/{name}", tag = "albums",
    params(("id" = String, Path, description = "The album's id"), ("asset_id" = String, Path, description = "The photo's id"),
        ("name" = String, Path, description = "`thumb` or `preview`")),
    responses(
        (status = 200, description = "The JPEG", content_type = "image/jpeg", body = Vec<u8>),
        (status = 202, description = "Still rendering", body = super::renditions::PendingDto),
        (status = 304, description = "Not modified"),
    ))]
pub(crate) async fn rendition(
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (album, asset, name) = path.into_inner();
    let (_, asset) = album_photo(&state, &auth, &album, &asset).await?;
    super::renditions::send_rendition(&req, &state, &asset, &name).await
}

/// The original of a photo of the album: exactly as uploaded when it is
/// yours or the album's owner lets members see where photos were taken;
/// else rebuilt without location.
#[utoipa::path(get, path = "/api/v1/albums/{id}/assets/{asset_id}/original", tag = "albums",
    params(("id" = String, Path, description = "The album's id"), ("asset_id" = String, Path, description = "The photo's id")),
    responses(
        (status = 200, description = "The file, as its media type", content_type = "*/*", body = Vec<u8>),
        (status = 422, description = "This format cannot be sent without its location (`original_not_shareable`)", body = crate::openapi::ErrorBody),
        (status = 503, description = "As many originals without location as the server sends at once are on their way (`busy`, `Retry-After`)", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn original(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (album, asset) = path.into_inner();
    let (access, asset) = album_photo(&state, &auth, &album, &asset).await?;
    if asset.owner == *auth.user() || access.album.members_see_location {
        super::originals::send_original(&req, &state, &asset).await
    } else {
        super::originals::send_without_location(state, &asset).await
    }
}
