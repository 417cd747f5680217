//! `GET /api/v1/assets/{id}/original` (and `/files/{role}`, a RAW+JPEG
//! pair's two files): the uploaded bytes, exactly.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_storage::catalog::{AssetRecord, CaptureRole, Scope, UsageKind};
use darkroom_storage::{ContentHash, UserId};

use crate::ApiError;
use crate::auth::Authenticated;
use crate::range::{RangeRequest, parse_range};
use crate::state::AppState;

/// The uploaded bytes, exactly; ranges for resuming and seeking.
#[utoipa::path(get, path = "/api/v1/assets/{id}/original", tag = "library",
    params(("id" = String, Path, description = "The asset's id")),
    responses(
        (status = 200, description = "The original file, as its media type (image/jpeg, image/x-adobe-dng…)", content_type = "*/*", body = Vec<u8>),
        (status = 206, description = "The range asked for", content_type = "*/*", body = Vec<u8>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 416, description = "The range is outside the file", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn original(
    req: HttpRequest,
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = super::owned_asset(&state, &auth, Scope::Read, &path).await?;
    send_original(&req, &state, &asset).await
}

/// One file of a photo's capture, exactly: a RAW+JPEG pair's RAW or JPEG
/// (whichever arrived first), or a Live Photo's video (`live`).
#[utoipa::path(get, path = "/api/v1/assets/{id}/files/{role}", tag = "library",
    params(
        ("id" = String, Path, description = "The asset's id"),
        ("role" = String, Path, description = "`raw`, `jpeg` or `live`"),
    ),
    responses(
        (status = 200, description = "The file, as its media type", content_type = "*/*", body = Vec<u8>),
        (status = 206, description = "The range asked for", content_type = "*/*", body = Vec<u8>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such photo, or it has no file of that role", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn capture_file(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (id, role) = path.into_inner();
    let asset = super::owned_asset(&state, &auth, Scope::Read, &id).await?;
    let role = CaptureRole::parse(&role).ok_or(ApiError::NotFound("file"))?;
    let file = state
        .catalog
        .capture_files(&asset)
        .await?
        .into_iter()
        .find(|f| f.role == role)
        .ok_or(ApiError::NotFound("file"))?;
    let stored = Stored {
        owner: &asset.owner,
        hash: &file.hash,
        media_type: &file.media_type,
        offset: 0,
        len: file.size,
        file_name: Some(&file.original_name),
    };
    send_stored(&req, &state, &stored).await
}

/// Bytes kept in the blob store, as a download: an original, a second file
/// of its capture, or a window of one (a motion photo's video).
pub(crate) struct Stored<'a> {
    pub owner: &'a UserId,
    pub hash: &'a ContentHash,
    pub media_type: &'a str,
    /// Where the bytes start in the blob, and how many there are.
    pub offset: u64,
    pub len: u64,
    /// The file name a download is saved as (`Content-Disposition`);
    /// `None` for bytes shown in place (a video).
    pub file_name: Option<&'a str>,
}

/// Streams an asset's original (or a range of it), counted as the owner's
/// download.
pub(crate) async fn send_original(
    req: &HttpRequest,
    state: &AppState,
    asset: &AssetRecord,
) -> Result<HttpResponse, ApiError> {
    let stored = Stored {
        owner: &asset.owner,
        hash: &asset.hash,
        media_type: &asset.media_type,
        offset: 0,
        len: asset.size,
        file_name: Some(&asset.original_name),
    };
    send_stored(req, state, &stored).await
}

/// Streams stored bytes (or a range of them: resuming, seeking), counted as
/// the owner's download. Content-addressed, so its ETag never changes.
pub(crate) async fn send_stored(
    req: &HttpRequest,
    state: &AppState,
    stored: &Stored<'_>,
) -> Result<HttpResponse, ApiError> {
    let etag = super::etag(stored.hash);
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        // Content-addressed: these bytes never change under this URL's ETag,
        // but the URL is private, so only the browser may cache it.
        .insert_header((
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    if let Some(name) = stored.file_name {
        response.insert_header((header::CONTENT_DISPOSITION, attachment(name)));
    }
    if crate::etag::not_modified(req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let len = stored.len;
    let range = parse_range(
        req.headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok()),
        len,
    );
    let (within, status) = match range {
        RangeRequest::Whole => (0..len, actix_web::http::StatusCode::OK),
        RangeRequest::Partial(r) => {
            response.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{len}", r.start, r.end - 1),
            ));
            (r, actix_web::http::StatusCode::PARTIAL_CONTENT)
        }
        RangeRequest::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable { len }),
    };
    let body_len = within.end - within.start;
    // A whole blob is asked for as such (no range), as stores serve best.
    let window = (stored.offset > 0 || body_len < len)
        .then(|| stored.offset + within.start..stored.offset + within.end);
    let stream = state.blobs.stream(stored.hash, window).await?;
    state
        .meter
        .add(stored.owner, UsageKind::OriginalBytesDownloaded, body_len);
    Ok(response
        .status(status)
        .content_type(stored.media_type)
        .no_chunking(body_len)
        .streaming(stream))
}

/// The original rebuilt without location as it streams, for those who may
/// not see where it was taken (see `shared_originals.rs`); at once or 503.
pub(crate) async fn send_without_location(
    state: web::Data<AppState>,
    asset: &AssetRecord,
) -> Result<HttpResponse, ApiError> {
    let body =
        crate::shared_originals::without_location(state, asset, std::time::Duration::ZERO).await?;
    Ok(HttpResponse::Ok()
        .content_type(asset.media_type.as_str())
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            attachment(&asset.original_name),
        ))
        .streaming(body))
}

/// `attachment; filename*=UTF-8''…` (RFC 6266, with RFC 8187's percent
/// encoding, by actix's typed header), so no name can break the header.
pub(crate) fn attachment(name: &str) -> header::ContentDisposition {
    header::ContentDisposition {
        disposition: header::DispositionType::Attachment,
        parameters: vec![header::DispositionParam::FilenameExt(
            header::ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            },
        )],
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn attachment_names_are_percent_encoded() {
        assert_eq!(
            super::attachment("IMG 1.jpg").to_string(),
            "attachment; filename*=UTF-8''IMG%201.jpg"
        );
        assert_eq!(
            super::attachment("a\"b\r\n.jpg").to_string(),
            "attachment; filename*=UTF-8''a%22b%0D%0A.jpg"
        );
    }
}
