//! `POST /api/v1/assets`: multipart (`file` or `assetData` field) or a plain body.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_storage::catalog::{AssetInsert, Scope};
use futures::StreamExt;

use crate::auth::Authenticated;
use crate::ingest::{UploadMeta, clean_file_name, ingest};
use crate::state::AppState;
use crate::{ApiError, dto::UploadDto};

/// Multipart field names that carry the file (ours, and Immich's).
const FILE_FIELDS: [&str; 2] = ["file", "assetData"];

#[derive(serde::Deserialize)]
pub(crate) struct UploadQuery {
    filename: Option<String>,
}

pub(crate) async fn upload(
    req: HttpRequest,
    payload: web::Payload,
    query: web::Query<UploadQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Upload)?;
    let limit = state.config.limits.max_upload_bytes;
    // Refuse a declared oversize body before reading any of it. (A multipart
    // body is a little larger than its file; the streaming check is exact.)
    if let Some(len) = content_length(&req)
        && len > limit + MULTIPART_OVERHEAD
    {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    // A declared length past the quota is refused before a byte is read.
    if let Some(len) = content_length(&req) {
        crate::ingest::check_quota(&state, auth.user(), len.saturating_sub(MULTIPART_OVERHEAD))
            .await?;
    }
    let expected_hash = match req.headers().get("x-content-blake3") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_checksum",
                        "X-Content-Blake3 must be 64 hexadecimal characters",
                    )
                })?,
        ),
    };
    let mut meta = UploadMeta {
        owner: *auth.user(),
        original_name: clean_file_name(query.filename.as_deref()),
        expected_hash,
    };
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let outcome = if is_multipart {
        let mut form = Multipart::new(req.headers(), payload);
        loop {
            let field = match form.next().await {
                Some(Ok(field)) => field,
                Some(Err(e)) => {
                    return Err(ApiError::bad_request("invalid_multipart", e.to_string()));
                }
                None => {
                    return Err(ApiError::bad_request(
                        "missing_file",
                        "the form has no `file` field with the photo",
                    ));
                }
            };
            if FILE_FIELDS.contains(&field.name().unwrap_or_default()) {
                if query.filename.is_none() {
                    let name = field
                        .content_disposition()
                        .and_then(|d| d.get_filename())
                        .map(str::to_owned);
                    meta.original_name = clean_file_name(name.as_deref());
                }
                break ingest(&state, meta, field).await?;
            }
            // Other fields (deviceAssetId…) are small; skip them.
            drain(field).await?;
        }
    } else {
        ingest(&state, meta, payload).await?
    };
    let (status, asset, code) = match outcome {
        AssetInsert::Created(asset) => (actix_web::http::StatusCode::CREATED, asset, "created"),
        AssetInsert::Duplicate(asset) => (actix_web::http::StatusCode::OK, asset, "duplicate"),
        // The same bytes were in the owner's trash: they are back.
        AssetInsert::Restored(asset) => (actix_web::http::StatusCode::OK, asset, "restored"),
    };
    let dto = super::assets::describe(&state, &asset).await?;
    Ok(HttpResponse::build(status)
        .insert_header((header::LOCATION, format!("/api/v1/assets/{}", asset.id)))
        .json(UploadDto {
            id: asset.id.to_string(),
            status: code,
            asset: dto,
        }))
}

/// Room for multipart boundaries and headers around the file.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

fn content_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

async fn drain(mut field: actix_multipart::Field) -> Result<(), ApiError> {
    let mut seen = 0usize;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_multipart", e.to_string()))?;
        seen += chunk.len();
        if seen > 64 * 1024 {
            return Err(ApiError::bad_request(
                "invalid_multipart",
                "form fields other than the file must be small; put the file in a field named `file`",
            ));
        }
    }
    Ok(())
}
