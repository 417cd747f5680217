//! `POST /api/v1/assets`: multipart (`file` or `assetData` field) or a plain body.

use crate::ErrorCode;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_storage::catalog::{AssetInsert, Scope};
use futures::StreamExt;

use crate::auth::Authenticated;
use crate::ingest::{
    UploadMeta, clean_file_name, device_asset_id, expected_blake3, field_names, ingest,
    invalid_device_asset_id, upload_outcome,
};
use crate::state::AppState;
use crate::{ApiError, dto::UploadDto};

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadQuery {
    /// The file's name (a multipart part's own name is used otherwise).
    filename: Option<String>,
    /// The app's own id for the photo (or `X-Device-Asset-Id`, or a form
    /// field before the file): the same id uploaded again is one asset.
    device_asset_id: Option<String>,
}

/// A multipart upload: the app's id for the photo (optional, before the
/// file), then the file.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // a description of the form; the handler reads it as a stream
pub(crate) struct UploadForm {
    #[schema(rename = "deviceAssetId")]
    device_asset_id: Option<String>,
    /// The photo (or as `assetData`).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads a photo: multipart, or the file as the body. Streams, hashes
/// (BLAKE3) and stores it once per content; answers `201` for a new photo and
/// `200` for one already in your library (or restored from your trash).
#[utoipa::path(post, path = "/api/v1/assets", tag = "library",
    params(
        UploadQuery,
        ("X-Content-Blake3" = Option<String>, Header, description = "The BLAKE3 the file must have (hex); nothing is stored otherwise"),
        ("X-Device-Asset-Id" = Option<String>, Header, description = "The app's own id for the photo: the same id again is the same asset"),
    ),
    request_body(content(
        (UploadForm = "multipart/form-data"),
        (Vec<u8> = "application/octet-stream"),
    )),
    responses(
        (status = 201, description = "A new photo", body = UploadDto),
        (status = 200, description = "Already in your library (`duplicate`) or back from the trash (`restored`)", body = UploadDto),
        (status = 413, description = "Larger than the upload limit", body = crate::openapi::ErrorBody),
        (status = 415, description = "Not a type of photo this server takes", body = crate::openapi::ErrorBody),
        (status = 507, description = "Past your storage quota", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn upload(
    req: HttpRequest,
    payload: web::Payload,
    query: web::Query<UploadQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let device = match req.headers().get("x-device-asset-id") {
        // Not text at all: the same 422 as an id of control characters.
        Some(v) => Some(v.to_str().map_err(|_| invalid_device_asset_id())?),
        None => query.device_asset_id.as_deref(),
    };
    let received = receive(
        &req,
        payload,
        query.filename.as_deref(),
        device,
        &auth,
        &state,
    )
    .await?;
    respond(&state, received.outcome).await
}

/// What an upload request brought: how it ended, and the form's other
/// small fields sent before the file (name, value).
pub(crate) struct Received {
    pub outcome: AssetInsert,
    pub fields: Vec<(String, String)>,
}

/// Takes an upload, multipart or the file as the body, as both upload
/// routes (ours and Immich's) do: limits and quota before a byte is read,
/// a photo already sent under its device id answered at once, the file
/// streamed through [`ingest`], and what follows the file read and dropped
/// (an Immich client sends its XMP sidecar there).
pub(crate) async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    filename: Option<&str>,
    device: Option<&str>,
    auth: &Authenticated,
    state: &AppState,
) -> Result<Received, ApiError> {
    auth.require(Scope::Upload)?;
    let limit = state.config.limits.max_upload_bytes;
    // Refuse a declared oversize body before reading any of it. (A multipart
    // body is a little larger than its file; the streaming check is exact.)
    if let Some(len) = content_length(req)
        && len > limit + MULTIPART_OVERHEAD
    {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    // A declared length past the quota is refused before a byte is read.
    if let Some(len) = content_length(req) {
        state
            .store
            .check_quota(auth.user(), len.saturating_sub(MULTIPART_OVERHEAD))
            .await?;
    }
    let expected_hash = match req.headers().get("x-content-blake3") {
        None => None,
        Some(v) => Some(expected_blake3(
            v.to_str().unwrap_or_default(),
            "X-Content-Blake3",
        )?),
    };
    let mut meta = UploadMeta {
        owner: *auth.user(),
        original_name: clean_file_name(filename),
        expected_hash,
        device_asset_id: device.map(device_asset_id).transpose()?,
    };
    let mut fields = Vec::new();
    // A photo the app already sent, or bytes the client names (by their
    // BLAKE3) that the user already holds: answered before a byte is read.
    if let Some(outcome) = crate::ingest::already_held(state, &meta).await? {
        return Ok(Received { outcome, fields });
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let outcome = ingest(state, meta, payload).await?;
        return Ok(Received { outcome, fields });
    }
    let mut form = Multipart::new(req.headers(), payload);
    loop {
        let field = match form.next().await {
            Some(Ok(field)) => field,
            Some(Err(e)) => {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidMultipart,
                    e.to_string(),
                ));
            }
            None => {
                return Err(ApiError::bad_request(
                    ErrorCode::MissingFile,
                    "the form has no `file` field with the photo",
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if field_names::FILE.contains(&name.as_str()) {
            if filename.is_none() {
                let sent = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(str::to_owned);
                meta.original_name = clean_file_name(sent.as_deref());
            }
            let outcome = ingest(state, meta, field).await?;
            drain(form).await;
            return Ok(Received { outcome, fields });
        }
        let text = read_small(field).await?;
        // The app's id for the photo counts only before the file.
        if field_names::DEVICE_ASSET_ID.contains(&name.as_str()) {
            meta.device_asset_id = Some(device_asset_id(&text)?);
            if let Some(outcome) = crate::ingest::already_held(state, &meta).await? {
                return Ok(Received { outcome, fields });
            }
        } else if field_names::FILE_NAME.contains(&name.as_str()) && filename.is_none() {
            meta.original_name = clean_file_name(Some(&text));
        }
        if fields.len() < 32 {
            fields.push((name, text));
        }
    }
}

/// Reads and drops what follows the file in a form (a sidecar, more
/// fields), so that the client sees its answer rather than a connection
/// closed mid-body. At most [`AFTER_THE_FILE`] bytes; the photo is stored
/// whatever happens here.
async fn drain(mut form: Multipart) {
    let mut left = AFTER_THE_FILE;
    while let Some(Ok(mut field)) = form.next().await {
        while let Some(chunk) = field.next().await {
            match chunk {
                Ok(chunk) if chunk.len() <= left => left -= chunk.len(),
                _ => return,
            }
        }
    }
}

/// The most read after the file (an XMP sidecar is kilobytes).
const AFTER_THE_FILE: usize = 16 << 20;

/// The upload's answer: 201 for a new asset, 200 for one already held (or
/// joined as its second file).
async fn respond(state: &AppState, outcome: AssetInsert) -> Result<HttpResponse, ApiError> {
    let (asset, code) = upload_outcome(&outcome);
    let status = match outcome {
        AssetInsert::Created(_) => actix_web::http::StatusCode::CREATED,
        // A paired file made no new photo: it joined the one at Location.
        AssetInsert::Duplicate(_) | AssetInsert::Restored(_) | AssetInsert::Paired(_) => {
            actix_web::http::StatusCode::OK
        }
    };
    let dto = super::assets::describe(state, asset).await?;
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

/// A form field other than the file, read whole (they must be small).
async fn read_small(mut field: actix_multipart::Field) -> Result<String, ApiError> {
    let mut seen = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(ErrorCode::InvalidMultipart, e.to_string()))?;
        seen.extend_from_slice(&chunk);
        if seen.len() > 64 * 1024 {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidMultipart,
                "form fields other than the file must be small; put the file in a field named `file`",
            ));
        }
    }
    Ok(String::from_utf8_lossy(&seen).into_owned())
}
