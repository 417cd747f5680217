//! Liveness and readiness.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub(crate) struct HealthDto {
    /// `ok`.
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReadyDto {
    /// `ready`, `unavailable`, or `draining` (the process is stopping).
    status: &'static str,
    /// `ok`, or what is wrong with the catalog.
    catalog: String,
    /// `ok`, or what is wrong with the blob store.
    blobs: String,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "The process is up", body = HealthDto)))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthDto { status: "ok" })
}

/// The catalog and the blob store both answer.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses(
        (status = 200, description = "Ready to serve", body = ReadyDto),
        (status = 503, description = "The catalog or the blob store does not answer, or the process is stopping", body = ReadyDto),
    ))]
pub(crate) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.is_draining() {
        // About to stop: a balancer should send new requests elsewhere.
        return HttpResponse::ServiceUnavailable().json(ReadyDto {
            status: "draining",
            catalog: "not checked: the process is stopping".into(),
            blobs: "not checked: the process is stopping".into(),
        });
    }
    // A store that does not answer is retried for half a minute by the
    // blob client; a health check wants its answer sooner.
    let patience = std::time::Duration::from_secs(3);
    let (catalog, blobs) = tokio::join!(
        tokio::time::timeout(patience, state.catalog.ping()),
        tokio::time::timeout(patience, state.blobs.ping())
    );
    // "ok", or that it is not; what is wrong goes to the log only (anyone
    // may ask /readyz, and an error's text can name hosts, paths, users).
    let describe = |part: &str, r: Result<Result<(), darkroom_storage::StorageError>, _>| match r {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(e)) => {
            tracing::warn!(part, error = %crate::error::causes(&e), "readiness check failed");
            "unavailable (the log says why)".to_string()
        }
        Err(_elapsed) => format!("no answer within {} s", patience.as_secs()),
    };
    let (catalog, blobs) = (describe("catalog", catalog), describe("blobs", blobs));
    let ready = catalog == "ok" && blobs == "ok";
    let body = ReadyDto {
        status: if ready { "ready" } else { "unavailable" },
        catalog,
        blobs,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
