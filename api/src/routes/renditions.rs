//! Renditions: served when ready; `202` while rendering (choose to poll).
//!
//! A rendition that is still queued or rendering answers `202 Accepted` with
//! `{"status":"pending"}` and `Retry-After: 1`; one whose job failed for good
//! answers `422` with code `rendition_failed` and the error; a format this
//! build cannot decode answers `422` with code `rendition_unsupported`.

use crate::ErrorCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_storage::catalog::{AssetRecord, Scope, UsageKind};

use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::{PendingState, pending_state};
use crate::state::AppState;

/// A rendition still being made.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct PendingDto {
    /// `pending`.
    status: &'static str,
    attempts: u32,
    last_error: Option<String>,
}

/// How many jobs went back in the queue (a rendition retry, an admin's retry).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct RequeuedDto {
    pub(crate) requeued: u64,
}

/// A rendition (`thumb` or `preview`, a JPEG) of the current edit.
#[utoipa::path(get, path = "/api/v1/assets/{id}/renditions/{name}", tag = "library",
    params(
        ("id" = String, Path, description = "The asset's id"),
        ("name" = String, Path, description = "`thumb` (256 px) or `preview` (1440 px)"),
        ("v" = Option<String>, Query, description = "The version a listing's URL names; with it the answer is cached for good"),
    ),
    responses(
        (status = 200, description = "The JPEG", content_type = "image/jpeg", body = Vec<u8>),
        (status = 202, description = "Still rendering; ask again after Retry-After", body = PendingDto),
        (status = 304, description = "Not modified (If-None-Match)"),
    ))]
pub(crate) async fn rendition(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, name) = path.into_inner();
    let asset = super::owned_asset(&state, &auth, Scope::Read, &id).await?;
    send_rendition(&req, &state, &asset, &name).await
}

/// Serves a rendition (or says why it cannot yet), counted as the owner's
/// download. Renditions never carry location: the pipeline's kept EXIF has
/// no GPS fields, and by default they keep no metadata at all.
pub(crate) async fn send_rendition(
    req: &HttpRequest,
    state: &AppState,
    asset: &AssetRecord,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    if !state.config.renditions.iter().any(|s| s.name() == name) {
        return Err(ApiError::NotFound("rendition"));
    }
    if let Some(rendition) = state.catalog.get_rendition(&asset.id, name).await? {
        let etag = super::etag(&rendition.hash);
        if crate::etag::not_modified(req, &etag) {
            return Ok(HttpResponse::NotModified()
                .insert_header((header::ETAG, etag))
                .finish());
        }
        let stream = state.blobs.stream(&rendition.hash, None).await?;
        state.meter.add(
            &asset.owner,
            UsageKind::RenditionBytesDownloaded,
            rendition.size,
        );
        // A URL naming these bytes (`?v=`, as listings give it) never
        // changes what it serves; the bare URL does when the photo is
        // edited, so caches check it again (a 304 by ETag, usually).
        let versioned = web::Query::<RenditionVersion>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.into_inner().v)
            .is_some_and(|v| v == crate::dto::rendition_version(&rendition.hash));
        let caching = if versioned {
            "private, max-age=31536000, immutable"
        } else {
            "private, no-cache"
        };
        return Ok(HttpResponse::Ok()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, caching))
            .content_type(rendition.media_type.as_str())
            .no_chunking(rendition.size)
            .streaming(stream));
    }
    let job = state.catalog.latest_render_job(&asset.id).await?;
    match pending_state(asset, job.as_ref()) {
        PendingState::Pending => Ok(HttpResponse::Accepted()
            .insert_header((header::RETRY_AFTER, "1"))
            .json(PendingDto {
                status: "pending",
                attempts: job.as_ref().map_or(0, |j| j.attempts),
                last_error: job.as_ref().and_then(|j| j.last_error.clone()),
            })),
        PendingState::Failed(error) => Err(ApiError::Unprocessable {
            code: ErrorCode::RenditionFailed,
            message: format!("rendering failed: {error} (POST …/renditions/retry to try again)"),
        }),
        PendingState::Unsupported(reason) => Err(ApiError::Unprocessable {
            code: ErrorCode::RenditionUnsupported,
            message: reason,
        }),
    }
}

/// The `?v=` of a rendition URL.
#[derive(serde::Deserialize)]
struct RenditionVersion {
    v: Option<String>,
}

/// Re-queues an asset's failed render jobs with fresh attempts.
#[utoipa::path(post, path = "/api/v1/assets/{id}/renditions/retry", tag = "library",
    params(("id" = String, Path, description = "The asset's id")),
    responses((status = 202, description = "How many jobs were queued again", body = RequeuedDto)))]
pub(crate) async fn retry(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = super::owned_asset(&state, &auth, Scope::Upload, &path).await?;
    let requeued = state.catalog.retry_failed_jobs(&asset.id).await?;
    if requeued > 0 {
        state.waker.wake();
    }
    Ok(HttpResponse::Accepted().json(RequeuedDto { requeued }))
}
