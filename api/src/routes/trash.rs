//! The trash: list it, empty it, purge one asset now. Deleting and restoring
//! are `DELETE /api/v1/assets/{id}` and `POST /api/v1/assets/{id}/restore`.

use actix_web::{HttpResponse, web};
use darkroom_storage::catalog::Scope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::assets::{describe_many, parse_limit};
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::{AssetDto, Audience, rfc3339};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TrashQuery {
    /// 1 to 1000 (default 100).
    limit: Option<u32>,
}

/// A photo in the trash, and when it goes for good.
#[derive(Serialize, ToSchema)]
pub(crate) struct TrashItemDto {
    asset: AssetDto,
    /// RFC 3339.
    purge_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TrashDto {
    retention_days: u64,
    /// Most recently deleted first.
    items: Vec<TrashItemDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PurgedDto {
    purged: u64,
}

/// Your trash, most recently deleted first.
#[utoipa::path(get, path = "/api/v1/trash", tag = "library", params(TrashQuery),
    responses((status = 200, description = "The trash", body = TrashDto)))]
pub(crate) async fn list(
    query: web::Query<TrashQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let limit = parse_limit(query.limit)?;
    let assets = state.catalog.list_trash(auth.user(), limit).await?;
    let retention_ms = state.config.trash_retention.as_millis() as i64;
    let mut described = describe_many(&state, &assets, &Audience::Owner).await?;
    let items: Vec<_> = assets
        .iter()
        .zip(described.drain(..))
        .map(|(asset, dto)| {
            let purge_at = asset.trashed_at.map(|t| rfc3339(t + retention_ms));
            TrashItemDto {
                asset: dto,
                purge_at,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(TrashDto {
        retention_days: state.config.trash_retention.as_secs() / 86_400,
        items,
    }))
}

/// Purges everything in the trash now.
#[utoipa::path(post, path = "/api/v1/trash/empty", tag = "library",
    responses((status = 200, description = "How many photos went for good", body = PurgedDto)))]
pub(crate) async fn empty(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let purged = state.catalog.empty_trash(auth.user()).await?;
    Ok(HttpResponse::Ok().json(PurgedDto { purged }))
}

/// Purges one photo of the trash now (`409` if it is not in the trash).
#[utoipa::path(delete, path = "/api/v1/trash/{id}", tag = "library",
    params(("id" = String, Path, description = "The asset's id")),
    responses((status = 204, description = "Gone for good")))]
pub(crate) async fn purge(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let id = super::asset_id(&path)?;
    state.catalog.purge_asset(auth.user(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
