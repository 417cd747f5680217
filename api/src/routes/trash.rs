//! The trash: list it, empty it, purge one asset now. Deleting and restoring
//! are `DELETE /api/v1/assets/{id}` and `POST /api/v1/assets/{id}/restore`.

use actix_web::{HttpResponse, web};
use darkroom_storage::catalog::Scope;
use serde::Deserialize;
use serde_json::json;

use super::assets::{describe_many, parse_limit};
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::{Audience, rfc3339};
use crate::state::AppState;

#[derive(Deserialize)]
pub(crate) struct TrashQuery {
    limit: Option<u32>,
}

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
            json!({ "asset": dto, "purge_at": purge_at })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "retention_days": state.config.trash_retention.as_secs() / 86_400,
        "items": items,
    })))
}

/// `POST /api/v1/trash/empty`: purges everything in the trash now.
pub(crate) async fn empty(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let purged = state.catalog.empty_trash(auth.user()).await?;
    Ok(HttpResponse::Ok().json(json!({ "purged": purged })))
}

/// `DELETE /api/v1/trash/{id}`: purges one trashed asset now.
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
