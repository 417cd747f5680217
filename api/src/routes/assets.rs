//! Reading assets: one, or a newest-first page of them.

use actix_web::{HttpResponse, web};
use darkroom_pipeline::SourceFormat;
use darkroom_storage::catalog::{AssetRecord, Scope, SortCursor};
use darkroom_workers::RENDER_JOB_KIND;

use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::{AssetDto, AssetPageDto, pending_state};
use crate::state::AppState;

/// Builds the client view of an asset, with its renditions' states.
pub(crate) async fn describe(state: &AppState, asset: &AssetRecord) -> Result<AssetDto, ApiError> {
    let rendered = state.catalog.list_renditions(&asset.id).await?;
    let names: Vec<String> = state
        .config
        .renditions
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    let missing = names.iter().any(|n| !rendered.iter().any(|r| &r.name == n));
    let job = if missing {
        state.catalog.latest_job(&asset.id, RENDER_JOB_KIND).await?
    } else {
        None
    };
    let pending = pending_state(can_render(asset), job.as_ref());
    Ok(AssetDto::new(asset, &names, &rendered, &pending))
}

/// Whether this build decodes the asset's format.
pub(crate) fn can_render(asset: &AssetRecord) -> bool {
    SourceFormat::from_name(&asset.format).is_some_and(SourceFormat::can_render)
}

pub(crate) async fn get(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = super::owned_asset(&state, &auth, Scope::Read, &path).await?;
    Ok(HttpResponse::Ok().json(describe(&state, &asset).await?))
}

#[derive(serde::Deserialize)]
pub(crate) struct ListQuery {
    cursor: Option<String>,
    limit: Option<u32>,
}

pub(crate) async fn list(
    query: web::Query<ListQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let cursor = query.cursor.as_deref().map(parse_cursor).transpose()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            "limit must be from 1 to 1000",
        ));
    }
    let page = state
        .catalog
        .list_assets(auth.user(), cursor.as_ref(), limit)
        .await?;
    let mut assets = Vec::with_capacity(page.assets.len());
    for asset in &page.assets {
        assets.push(describe(&state, asset).await?);
    }
    Ok(HttpResponse::Ok().json(AssetPageDto {
        assets,
        next_cursor: page.next.as_ref().map(format_cursor),
    }))
}

/// Cursors are opaque to clients: `<sort_at ms>_<asset id>`.
fn format_cursor(cursor: &SortCursor) -> String {
    format!("{}_{}", cursor.sort_at, cursor.id)
}

fn parse_cursor(raw: &str) -> Result<SortCursor, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            "invalid_cursor",
            "cursor must be a next_cursor value from a listing",
        )
    };
    let (sort_at, id) = raw.split_once('_').ok_or_else(invalid)?;
    Ok(SortCursor {
        sort_at: sort_at.parse().map_err(|_| invalid())?,
        id: id.parse().map_err(|_| invalid())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = SortCursor {
            sort_at: 1_700_000_000_000,
            id: darkroom_storage::AssetId::new(),
        };
        assert_eq!(parse_cursor(&format_cursor(&c)).unwrap(), c);
        assert!(parse_cursor("nope").is_err());
        assert!(parse_cursor("1_notanid").is_err());
    }
}
