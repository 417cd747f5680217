//! Prometheus metrics: `GET /metrics` for an administrator's token on the
//! API's own address, and without credentials on `--metrics-listen`.

use actix_web::{HttpResponse, web};
use darkroom_storage::Catalog;

use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;

/// The Prometheus text format's media type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The process' metrics in the Prometheus text format (all named `darkroom_…`;
/// the job gauges are the whole cluster's queue).
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Metrics in the Prometheus text format", content_type = "text/plain", body = String),
    ))]
pub(crate) async fn metrics(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    Ok(render(&state.catalog).await)
}

/// The same, on the separate metrics address (no credentials there).
pub(crate) async fn open_metrics(catalog: web::Data<Catalog>) -> HttpResponse {
    render(&catalog).await
}

async fn render(catalog: &Catalog) -> HttpResponse {
    let text = crate::Telemetry::global().render(catalog).await;
    HttpResponse::Ok().content_type(PROMETHEUS_TEXT).body(text)
}
