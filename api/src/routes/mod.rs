//! The route table. Handlers live one resource per file.

mod assets;
mod health;
mod originals;
mod renditions;
mod upload;

use actix_web::web;
use darkroom_storage::catalog::{AssetRecord, Scope};

use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;

/// Wires every route.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/", web::get().to(health::index))
        .service(
            web::scope("/api/v1")
                .route("/assets", web::post().to(upload::upload))
                .route("/assets", web::get().to(assets::list))
                .route("/assets/{id}", web::get().to(assets::get))
                .route("/assets/{id}/original", web::get().to(originals::original))
                .route(
                    "/assets/{id}/renditions/retry",
                    web::post().to(renditions::retry),
                )
                .route(
                    "/assets/{id}/renditions/{name}",
                    web::get().to(renditions::rendition),
                ),
        )
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(ApiError::NotFound("route"))
        }));
}

/// The caller's asset named by a path segment, once the token's `scope` is
/// checked. A malformed id, or another user's, is simply "not found".
async fn owned_asset(
    state: &AppState,
    auth: &Authenticated,
    scope: Scope,
    raw_id: &str,
) -> Result<AssetRecord, ApiError> {
    auth.require(scope)?;
    let id = raw_id.parse().map_err(|_| ApiError::NotFound("asset"))?;
    Ok(state.catalog.get_asset(auth.user(), &id).await?)
}

/// A strong ETag for content-addressed bytes.
fn etag(hash: &darkroom_storage::ContentHash) -> String {
    format!("\"{}\"", hash.to_hex())
}

/// True when the request's If-None-Match already names `etag`.
fn not_modified(req: &actix_web::HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}
