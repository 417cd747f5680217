//! `/api/v1/uploads`: resumable uploads over tus 1.0.0 (core, creation,
//! creation-with-upload, termination, expiration, checksum).
//!
//! Each request's bytes become one part in the blob store, kept even when the
//! connection drops halfway (unless the request carried a checksum, which
//! bytes cut short cannot match). The catalog's offset moves only if it is
//! still where the request started, so two clients resuming at once cannot
//! interleave. When the last byte arrives the parts are streamed, in order,
//! through the very same `ingest` as a plain upload: hashing, dedup, quota,
//! probe and the render job. The asset is then named in `X-Asset-Id`.

use crate::ErrorCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError, web};
use darkroom_storage::catalog::{Scope, UploadRecord};
use darkroom_storage::{StorageError, UploadId};
use futures::StreamExt;
use serde::Serialize;

use crate::ApiError;
use crate::auth::Authenticated;
use crate::ingest::{
    SNIFF_AFTER, UploadMeta, clean_file_name, device_asset_id, expected_blake3, field_names,
    ingest, refuse_by_first_bytes, upload_outcome,
};
use crate::state::AppState;
use crate::tus_headers::{self, ChunkChecksum, UploadMetadata};

/// What this server speaks: `Tus-Version`, `Tus-Extension`, `Tus-Max-Size`,
/// `Tus-Checksum-Algorithm`. Needs no credentials (it is discovery).
#[utoipa::path(options, path = "/api/v1/uploads", tag = "uploads", security(()),
    responses((status = 204, description = "The protocol's capabilities, in headers")))]
pub(crate) async fn options(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header(("Tus-Resumable", tus_headers::VERSION))
        .insert_header(("Tus-Version", tus_headers::VERSION))
        .insert_header(("Tus-Extension", tus_headers::EXTENSIONS))
        .insert_header(("Tus-Checksum-Algorithm", tus_headers::CHECKSUM_ALGORITHMS))
        .insert_header((
            "Tus-Max-Size",
            state.config.limits.max_upload_bytes.to_string(),
        ))
        .finish()
}

/// The same, asked of one upload's URL.
#[utoipa::path(options, path = "/api/v1/uploads/{id}", tag = "uploads", security(()),
    params(("id" = String, Path, description = "The upload's id")),
    responses((status = 204, description = "The protocol's capabilities, in headers")))]
pub(crate) async fn options_of_upload(state: web::Data<AppState>) -> HttpResponse {
    options(state).await
}

/// Creates an upload of `Upload-Length` bytes, with the first of them in
/// the body when it is `application/offset+octet-stream`.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "uploads",
    params(("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Length" = u64, Header, description = "The file's size in bytes"),
        ("Upload-Metadata" = Option<String>, Header, description = "`key base64(value)` pairs: `filename`, `device_asset_id`, `blake3` (hex)"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream",
        description = "Optional: the first bytes (creation-with-upload)"),
    responses(
        (status = 201, description = "Created: `Location`, `Upload-Offset`, `Upload-Expires`; `X-Asset-Id` and `X-Upload-Outcome` when it is finished: by the body, or at once (`Upload-Offset` = `Upload-Length`, outcome `duplicate`, nothing read) when the `blake3` metadata names bytes you hold"),
        (status = 412, description = "Not tus 1.0.0 (see Tus-Version)", body = crate::openapi::ErrorBody),
        (status = 413, description = "Larger than Tus-Max-Size", body = crate::openapi::ErrorBody),
        (status = 415, description = "Its first bytes are no type of photo this server takes", body = crate::openapi::ErrorBody),
        (status = 507, description = "Past your storage quota", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn create(
    req: HttpRequest,
    body: web::Payload,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Upload)?;
    tus_headers::check_version(&req)?;
    if req.headers().contains_key("upload-defer-length") {
        return Err(ApiError::bad_request(
            ErrorCode::LengthRequired,
            "send Upload-Length: this server does not take uploads of unknown length",
        ));
    }
    let length = tus_headers::number_header(&req, "upload-length")?.ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::LengthRequired,
            "send Upload-Length with the file's size in bytes",
        )
    })?;
    if length == 0 {
        return Err(ApiError::bad_request(
            ErrorCode::EmptyFile,
            "the upload is empty",
        ));
    }
    let limit = state.config.limits.max_upload_bytes;
    if length > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let metadata_header = req
        .headers()
        .get("upload-metadata")
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .unwrap_or_default();
    // Checked now, so a bad name or hash is refused before any byte is sent.
    let meta = upload_meta(auth.user(), &UploadMetadata::parse(metadata_header)?)?;
    // Bytes the client names by their BLAKE3 (or an app's photo, by its
    // device id) that the user already holds: the upload is finished as it
    // is created, and no byte of it is read, now or later.
    if let Some(outcome) = crate::ingest::already_held(&state, &meta).await? {
        let (asset, how) = upload_outcome(&outcome);
        let expires_at = state.config.upload_expires_at(darkroom_storage::now_ms());
        let upload = state
            .catalog
            .create_finished_upload(
                auth.user(),
                length,
                metadata_header,
                expires_at,
                (&asset.id, how),
            )
            .await?;
        tracing::info!(upload = %upload.id, asset = %asset.id, "resumable upload of bytes already held: finished as created");
        let mut response = HttpResponse::Created();
        response.insert_header((header::LOCATION, format!("/api/v1/uploads/{}", upload.id)));
        describe(&mut response, &upload);
        return Ok(response.finish());
    }
    // Unfinished uploads hold their declared bytes against the quota, and
    // only so many are open at once: parked partial uploads cannot fill a
    // disk, whoever sends them.
    let (open, reserved) = state.catalog.open_uploads(auth.user()).await?;
    if open >= state.config.max_open_uploads as u64 {
        return Err(ApiError::Conflict {
            code: ErrorCode::TooManyUploads,
            message: format!(
                "{open} of your resumable uploads are unfinished, the most this server keeps; \
                 finish or cancel (DELETE) one first"
            ),
        });
    }
    state
        .store
        .check_quota(auth.user(), reserved.saturating_add(length))
        .await
        .map_err(|e| match e {
            e @ StorageError::QuotaExceeded { .. } if reserved > 0 => ApiError::QuotaExceeded(format!(
                "{e} (counting {open} unfinished uploads of {reserved} bytes); finish or cancel \
                 them, or delete photos (and empty the trash)"
            )),
            e => e.into(),
        })?;
    let mut upload = state
        .catalog
        .create_upload(
            auth.user(),
            length,
            metadata_header,
            state.config.upload_expires_at(darkroom_storage::now_ms()),
        )
        .await?;
    tracing::info!(upload = %upload.id, length, "resumable upload created");
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/uploads/{}", upload.id)));
    if tus_headers::carries_bytes(&req) {
        upload = receive_and_finish(&state, upload, body, None).await?;
        describe(&mut response, &upload);
    } else {
        tus_headers(&mut response, &upload);
    }
    Ok(response.finish())
}

/// How many bytes the server has, to resume from (`Upload-Offset`).
#[utoipa::path(head, path = "/api/v1/uploads/{id}", tag = "uploads",
    params(("id" = String, Path, description = "The upload's id (from Location)"), ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    responses((status = 200, description = "`Upload-Offset`, `Upload-Length`, `Upload-Expires`; `X-Asset-Id` once finished")))]
pub(crate) async fn offset(
    req: HttpRequest,
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let upload = tus_upload(&req, &state, &auth, &path).await?;
    let mut response = HttpResponse::Ok();
    describe(&mut response, &upload);
    response.insert_header(("Upload-Length", upload.length.to_string()));
    if !upload.metadata.is_empty() {
        response.insert_header(("Upload-Metadata", upload.metadata.clone()));
    }
    Ok(response.finish())
}

/// Appends the body at `Upload-Offset`; the last bytes finish the upload
/// and name its asset in `X-Asset-Id` and `X-Upload-Outcome`.
#[utoipa::path(patch, path = "/api/v1/uploads/{id}", tag = "uploads",
    params(("id" = String, Path, description = "The upload's id (from Location)"), ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Offset" = u64, Header, description = "Where these bytes go: the server's offset"),
        ("Upload-Checksum" = Option<String>, Header, description = "`blake3|sha1|sha256 <base64 digest>` of this request's bytes"),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Taken: the new `Upload-Offset`; for a finished upload, its end and asset (nothing read)"),
        (status = 412, description = "Not tus 1.0.0", body = crate::openapi::ErrorBody),
        (status = 415, description = "Not application/offset+octet-stream, or not a photo", body = crate::openapi::ErrorBody),
        (status = 460, description = "The bytes do not match Upload-Checksum; none kept", body = crate::openapi::ErrorBody),
        (status = 507, description = "Past your storage quota", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn append(
    req: HttpRequest,
    body: web::Payload,
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let upload = tus_upload(&req, &state, &auth, &path).await?;
    // A finished upload (finished as it was created, its bytes being held
    // already, or its last answer lost) answers with its end, whatever the
    // offset sent: the client is done, and nothing it sends is read.
    if upload.finished.is_some() {
        let mut response = HttpResponse::NoContent();
        describe(&mut response, &upload);
        return Ok(response.finish());
    }
    if !tus_headers::carries_bytes(&req) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "a PATCH carries Content-Type: {}",
            tus_headers::OFFSET_OCTET_STREAM
        )));
    }
    let offset = tus_headers::number_header(&req, "upload-offset")?.ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::OffsetRequired,
            "send Upload-Offset (ask HEAD for it)",
        )
    })?;
    let checksum = ChunkChecksum::from_request(&req)?;
    if offset != upload.received {
        return Err(offset_conflict(&upload));
    }
    // Past the parts cap, only a request that brings every remaining byte.
    let remaining = upload.length - upload.received;
    let brings_the_rest = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        == Some(remaining);
    if upload.part_count >= state.config.max_upload_parts && !brings_the_rest {
        return Err(ApiError::Conflict {
            code: ErrorCode::TooManyParts,
            message: format!(
                "this upload has {} parts already, the most one keeps; send the remaining {} bytes \
                 in one request (what arrived is kept)",
                upload.part_count, remaining
            ),
        });
    }
    let upload = receive_and_finish(&state, upload, body, checksum).await?;
    let mut response = HttpResponse::NoContent();
    describe(&mut response, &upload);
    Ok(response.finish())
}

/// Abandons the upload and removes its bytes (a finished upload's asset
/// stays: delete that through `/assets/{id}`).
#[utoipa::path(delete, path = "/api/v1/uploads/{id}", tag = "uploads",
    params(("id" = String, Path, description = "The upload's id (from Location)"), ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    responses((status = 204, description = "Removed")))]
pub(crate) async fn terminate(
    req: HttpRequest,
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let upload = tus_upload(&req, &state, &auth, &path).await?;
    remove(&state, &upload.id).await?;
    Ok(HttpResponse::NoContent()
        .insert_header(("Tus-Resumable", tus_headers::VERSION))
        .finish())
}

/// An upload as JSON, for clients that are not tus clients (`GET`).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UploadStateDto {
    id: String,
    length: u64,
    offset: u64,
    /// RFC 3339.
    expires_at: String,
    /// Set once the bytes became an asset.
    asset_id: Option<String>,
    /// `created`, `duplicate` or `restored`, with `asset_id`.
    outcome: Option<String>,
}

/// The upload as JSON: offset, expiry, and the asset it became.
#[utoipa::path(get, path = "/api/v1/uploads/{id}", tag = "uploads", params(("id" = String, Path, description = "The upload's id (from Location)")),
    responses((status = 200, description = "The upload", body = UploadStateDto)))]
pub(crate) async fn status(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let upload = owned_upload(&state, &auth, &path).await?;
    let (asset_id, outcome) = match &upload.finished {
        Some((asset, outcome)) => (Some(asset.to_string()), Some(outcome.clone())),
        None => (None, None),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(UploadStateDto {
            id: upload.id.to_string(),
            length: upload.length,
            offset: upload.received,
            expires_at: crate::dto::rfc3339(upload.expires_at),
            asset_id,
            outcome,
        }))
}

/// The caller's upload (with the `upload` scope); another user's, an
/// expired or an unknown one is "not found".
async fn owned_upload(
    state: &AppState,
    auth: &Authenticated,
    id: &str,
) -> Result<UploadRecord, ApiError> {
    auth.require(Scope::Upload)?;
    let id: UploadId = super::path_id(id, "upload")?;
    Ok(state.catalog.get_upload(auth.user(), &id).await?)
}

/// [`owned_upload`], for a tus request (which must say it speaks tus 1.0.0).
async fn tus_upload(
    req: &HttpRequest,
    state: &AppState,
    auth: &Authenticated,
    id: &str,
) -> Result<UploadRecord, ApiError> {
    auth.require(Scope::Upload)?;
    tus_headers::check_version(req)?;
    owned_upload(state, auth, id).await
}

/// Receives one request's bytes, then turns a complete upload into an asset.
async fn receive_and_finish(
    state: &AppState,
    upload: UploadRecord,
    body: web::Payload,
    checksum: Option<ChunkChecksum>,
) -> Result<UploadRecord, ApiError> {
    let upload = match receive_part(state, &upload, body, checksum).await? {
        Some(received) => UploadRecord {
            received,
            ..state.catalog.get_upload(&upload.owner, &upload.id).await?
        },
        None => upload,
    };
    if upload.is_complete() && upload.finished.is_none() {
        return finish(state, upload).await;
    }
    Ok(upload)
}

/// Streams the body into a new part and counts it if the upload is still
/// where this request found it. The new offset, or `None` if nothing came.
async fn receive_part(
    state: &AppState,
    upload: &UploadRecord,
    mut body: web::Payload,
    mut checksum: Option<ChunkChecksum>,
) -> Result<Option<u64>, ApiError> {
    let room = upload.length - upload.received;
    let (part, mut writer) = state.blobs.upload_part(&upload.id).await?;
    let mut head = Vec::new();
    let mut interrupted = None;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                interrupted = Some(e.to_string());
                break;
            }
        };
        if writer.len() + chunk.len() as u64 > room {
            writer.abort().await;
            return Err(ApiError::bad_request(
                ErrorCode::UploadTooLong,
                format!(
                    "the upload is {} bytes long (Upload-Length) and {} are in; this request sends more",
                    upload.length, upload.received
                ),
            ));
        }
        // The first bytes of the file: an unsupported type is refused now,
        // not after the rest of it has been sent.
        if upload.received == 0 && head.len() < SNIFF_AFTER {
            let had = head.len();
            head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_AFTER - had)]);
            if let Some(refusal) = refuse_by_first_bytes(&head, &state.config.limits) {
                writer.abort().await;
                remove(state, &upload.id).await?;
                return Err(refusal);
            }
        }
        if let Some(checksum) = &mut checksum {
            checksum.update(&chunk);
        }
        writer.write(chunk).await?;
    }
    if writer.is_empty() {
        writer.abort().await;
        return match interrupted {
            Some(e) => Err(interrupted_error(&e, "nothing arrived")),
            None => Ok(None),
        };
    }
    if let Some(checksum) = checksum {
        // Bytes cut short cannot match the digest of the whole request.
        let verdict = match &interrupted {
            Some(e) => Err(interrupted_error(
                e,
                "with Upload-Checksum, none of it is kept",
            )),
            None => checksum.verify(),
        };
        if let Err(e) = verdict {
            writer.abort().await;
            return Err(e);
        }
    }
    let staged = writer.finish().await?;
    let to = upload.received + staged.len;
    let counted = state
        .catalog
        .advance_upload(
            &upload.id,
            &part,
            upload.received,
            to,
            state.config.upload_expires_at(upload.created_at),
        )
        .await;
    match counted {
        Ok(true) => {}
        Ok(false) => {
            state.blobs.discard(&staged).await;
            let now = state.catalog.get_upload(&upload.owner, &upload.id).await?;
            return Err(offset_conflict(&now));
        }
        Err(e) => {
            state.blobs.discard(&staged).await;
            return Err(e.into());
        }
    }
    match interrupted {
        // Kept: the client resumes from `to` after asking HEAD.
        Some(e) => Err(interrupted_error(&e, "what arrived is kept")),
        None => Ok(Some(to)),
    }
}

/// Streams a complete upload's parts through the plain upload path and
/// records the asset they became. A refusal (bad type, over quota, wrong
/// hash) removes the upload: resending the same bytes could not help.
async fn finish(state: &AppState, upload: UploadRecord) -> Result<UploadRecord, ApiError> {
    let metadata = UploadMetadata::parse(&upload.metadata)?;
    let meta = upload_meta(&upload.owner, &metadata)?;
    let parts = state.catalog.upload_parts(&upload.id).await?;
    let bytes = state.blobs.stream_upload(&upload.id, &parts);
    let outcome = match ingest(state, meta, bytes).await {
        Ok(outcome) => outcome,
        Err(e) => {
            if e.status_code().is_client_error() {
                remove(state, &upload.id).await?;
            }
            return Err(e);
        }
    };
    let (asset, how) = upload_outcome(&outcome);
    state
        .catalog
        .finish_upload(&upload.id, &asset.id, how)
        .await?;
    tracing::info!(upload = %upload.id, asset = %asset.id, outcome = how, "resumable upload finished");
    // The row stays until it expires, so a client that lost the last
    // response can still ask HEAD which asset it became; the parts go now.
    if let Err(e) = state.blobs.delete_upload(&upload.id).await {
        tracing::warn!(upload = %upload.id, error = %e, "could not remove a finished upload's parts; they go when it expires");
    }
    Ok(UploadRecord {
        finished: Some((asset.id, how.to_string())),
        ..upload
    })
}

/// What the plain upload path needs, from the tus metadata: the file name
/// (`filename` or `name`), the app's id (`device_asset_id` or
/// `deviceAssetId`) and the expected BLAKE3 (`blake3`, hex).
fn upload_meta(
    owner: &darkroom_storage::UserId,
    metadata: &UploadMetadata,
) -> Result<UploadMeta, ApiError> {
    let expected_hash = metadata
        .get(&field_names::BLAKE3)
        .map(|hex| expected_blake3(hex, "the `blake3` metadata"))
        .transpose()?;
    Ok(UploadMeta {
        owner: *owner,
        original_name: clean_file_name(metadata.get(&field_names::FILE_NAME)),
        expected_hash,
        device_asset_id: metadata
            .get(&field_names::DEVICE_ASSET_ID)
            .map(device_asset_id)
            .transpose()?,
    })
}

async fn remove(state: &AppState, id: &UploadId) -> Result<(), ApiError> {
    state.blobs.delete_upload(id).await?;
    state.catalog.delete_upload(id).await?;
    Ok(())
}

/// The headers every answer about an upload carries.
fn tus_headers(response: &mut HttpResponseBuilder, upload: &UploadRecord) {
    response
        .insert_header(("Tus-Resumable", tus_headers::VERSION))
        .insert_header(("Upload-Offset", upload.received.to_string()))
        .insert_header(("Upload-Expires", tus_headers::http_date(upload.expires_at)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
}

/// [`tus_headers`], and the asset once the upload became one.
fn describe(response: &mut HttpResponseBuilder, upload: &UploadRecord) {
    tus_headers(response, upload);
    if let Some((asset, outcome)) = &upload.finished {
        response
            .insert_header(("X-Asset-Id", asset.to_string()))
            .insert_header(("X-Upload-Outcome", outcome.clone()));
    }
}

fn offset_conflict(upload: &UploadRecord) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::OffsetMismatch,
        message: format!(
            "the upload is at offset {}: resume from there (HEAD tells the offset)",
            upload.received
        ),
    }
}

fn interrupted_error(e: &str, kept: &str) -> ApiError {
    ApiError::bad_request(
        ErrorCode::UploadInterrupted,
        format!("the upload was interrupted ({e}); {kept}: resume from HEAD's offset"),
    )
}
