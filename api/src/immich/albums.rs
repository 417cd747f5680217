//! Albums, as Immich's uploader makes them (`--album`, `--album-name`):
//! listed, created, and filled, on darkroom's own albums.

use actix_web::{HttpResponse, web};
use darkroom_storage::catalog::{AlbumOrder, Scope};
use darkroom_storage::{AlbumId, AssetId};

use super::dto::{Album, AlbumQuery, BulkIdResult, BulkIds, CreateAlbum};
use crate::ApiError;
use crate::auth::Authenticated;
use crate::routes::albums::{check_description, check_name};
use crate::routes::path_id;
use crate::state::AppState;

/// Your albums (none are shared between accounts yet), filtered as asked.
#[utoipa::path(get, path = "/api/albums", tag = "immich", params(AlbumQuery),
    responses((status = 200, description = "The albums", body = Vec<Album>)))]
pub(crate) async fn list(
    query: web::Query<AlbumQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    if query.is_shared == Some(true) || query.is_owned == Some(false) {
        return Ok(HttpResponse::Ok().json(Vec::<Album>::new()));
    }
    let holding: Option<AssetId> = match &query.asset_id {
        Some(raw) => match raw.parse() {
            Ok(id) => Some(id),
            Err(_) => return Ok(HttpResponse::Ok().json(Vec::<Album>::new())),
        },
        None => None,
    };
    let mut albums = Vec::new();
    for access in state.catalog.list_albums(auth.user()).await? {
        let album = access.album;
        if query
            .id
            .as_ref()
            .is_some_and(|id| *id != album.id.to_string())
            || query.name.as_ref().is_some_and(|name| *name != album.name)
        {
            continue;
        }
        if let Some(asset) = &holding
            && !state.catalog.album_contains(&album.id, asset).await?
        {
            continue;
        }
        albums.push(Album::new(&album));
    }
    Ok(HttpResponse::Ok().json(albums))
}

/// Creates an album (with photos in it, if given).
#[utoipa::path(post, path = "/api/albums", tag = "immich", request_body = CreateAlbum,
    responses((status = 201, description = "The new album", body = Album)))]
pub(crate) async fn create(
    body: web::Json<CreateAlbum>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let name = check_name(&body.album_name)?;
    let description = check_description(body.description.as_deref().unwrap_or_default())?;
    let ids: Vec<AssetId> = body
        .asset_ids
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let album = state
        .catalog
        .create_album(auth.user(), &name, &description, AlbumOrder::default())
        .await?;
    if !ids.is_empty() {
        state
            .catalog
            .add_to_album(auth.user(), &album.id, &ids)
            .await?;
    }
    let album = state.catalog.get_album(auth.user(), &album.id).await?;
    Ok(HttpResponse::Created().json(Album::new(&album)))
}

/// Adds photos to an album; one result per id: added, `duplicate` (in it
/// already) or `not_found` (not one of your photos in the library).
#[utoipa::path(put, path = "/api/albums/{id}/assets", tag = "immich",
    params(("id" = String, Path, description = "The album's id")),
    request_body = BulkIds,
    responses((status = 200, description = "One result per id, in order", body = Vec<BulkIdResult>)))]
pub(crate) async fn add(
    path: web::Path<String>,
    body: web::Json<BulkIds>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let album: AlbumId = path_id(&path, "album")?;
    state.catalog.album_for(auth.user(), &album).await?;
    let ids: Vec<AssetId> = body.ids.iter().filter_map(|raw| raw.parse().ok()).collect();
    // Two queries however many ids: which are in the album already, and
    // which are the caller's photos in the library (the ones it can add).
    let already = state.catalog.assets_in_album(&album, &ids).await?;
    let owned: std::collections::HashSet<AssetId> = state
        .catalog
        .owned_asset_ids(auth.user(), &ids)
        .await?
        .into_iter()
        .collect();
    let adding: Vec<AssetId> = ids
        .iter()
        .filter(|id| owned.contains(id) && !already.contains(id))
        .copied()
        .collect();
    state
        .catalog
        .add_to_album(auth.user(), &album, &adding)
        .await?;
    let results: Vec<BulkIdResult> = body
        .ids
        .iter()
        .map(|raw| {
            let error = match raw.parse::<AssetId>() {
                Ok(id) if already.contains(&id) => Some("duplicate"),
                Ok(id) if owned.contains(&id) => None,
                _ => Some("not_found"),
            };
            BulkIdResult {
                id: raw.clone(),
                success: error.is_none(),
                error,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(results))
}
