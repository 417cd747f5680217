//! `GET /api/v1/assets/{id}/motion`: the video a motion photo carries after
//! its image (Google's and Samsung's), served from the original's last bytes
//! so that a browser plays it as it is (no copy, no transcoding).

use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_pipeline::motion::{MotionVideo, looks_like_video};
use darkroom_storage::catalog::{AssetRecord, Scope};
use serde::Deserialize;

use super::originals::{Stored, send_stored};
use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;

/// The video the asset's metadata declares, and where it starts in the
/// original, when it fits in the file.
pub(crate) fn declared_video(asset: &AssetRecord) -> Option<(MotionVideo, u64)> {
    let metadata: serde_json::Value = serde_json::from_str(asset.exif.as_deref()?).ok()?;
    declared_in(&metadata, asset.size)
}

/// [`declared_video`] from metadata already parsed (a listing's), for a
/// file of `size` bytes.
pub(crate) fn declared_in(metadata: &serde_json::Value, size: u64) -> Option<(MotionVideo, u64)> {
    let video = MotionVideo::deserialize(metadata.get("motion_video")?).ok()?;
    let offset = video.offset_in(size)?;
    Some((video, offset))
}

/// A motion photo's video: its media type (`video/mp4` mostly), ranges for
/// seeking. Its owner's only: a phone's video records where it was taken.
#[utoipa::path(get, path = "/api/v1/assets/{id}/motion", tag = "library",
    params(("id" = String, Path, description = "The asset's id")),
    responses(
        (status = 200, description = "The video, as the phone recorded it", content_type = "video/mp4", body = Vec<u8>),
        (status = 206, description = "The range asked for", content_type = "video/mp4", body = Vec<u8>),
        (status = 404, description = "No such photo, or it carries no video", body = crate::openapi::ErrorBody),
        (status = 416, description = "The range is outside the video", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn video(
    req: HttpRequest,
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = super::owned_asset(&state, &auth, Scope::Read, &path).await?;
    let (video, offset) = declared_video(&asset).ok_or(ApiError::NotFound("motion video"))?;
    // What the XMP says is checked against the bytes: a file edited after
    // the phone wrote it may declare a video it no longer holds.
    let head = state
        .blobs
        .get_range(&asset.hash, offset..offset + 8)
        .await?;
    if !looks_like_video(&head) {
        return Err(ApiError::NotFound("motion video"));
    }
    let stored = Stored {
        owner: &asset.owner,
        hash: &asset.hash,
        media_type: &video.media_type,
        offset,
        len: video.length,
        file_name: None,
    };
    send_stored(&req, &state, &stored).await
}
