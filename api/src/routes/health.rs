//! Liveness, readiness, and the landing page.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

/// The process is up.
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The catalog and the blob store both answer.
pub(crate) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (catalog, blobs) = tokio::join!(state.catalog.ping(), state.blobs.ping());
    let describe = |r: &Result<(), darkroom_storage::StorageError>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => e.to_string(),
    };
    let body = json!({
        "status": if catalog.is_ok() && blobs.is_ok() { "ready" } else { "unavailable" },
        "catalog": describe(&catalog),
        "blobs": describe(&blobs),
    });
    if catalog.is_ok() && blobs.is_ok() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// The web gallery's entry page.
pub(crate) async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("../../../frontend/index.html"))
}
