//! The streaming upload path.
//!
//! The body is hashed (BLAKE3) while it streams into a staging object, so it is
//! never held whole in memory. Its first bytes are sniffed as they arrive —
//! an unsupported type is refused before the rest is stored — and probed for
//! dimensions and EXIF. Then, in order: compare with the client's hash, return
//! the owner's existing asset for known bytes, publish the blob create-only
//! under its hash, and record blob + asset + render job in one transaction.
//! The response is sent only after that commit.

use crate::ErrorCode;
use bytes::Bytes;
use darkroom_pipeline::{Limits, PROBE_PREFIX_BYTES, Probe, SourceFormat, probe, sniff};
use darkroom_storage::catalog::{AssetFacts, AssetInsert, Job, NewAsset, NewJob, UsageKind};
use darkroom_storage::{AssetId, ContentHash, StagingWriter, StorageError, UserId};
use futures::{Stream, StreamExt};

use crate::ApiError;
use crate::state::AppState;

/// Enough bytes to tell every accepted format apart.
pub(crate) const SNIFF_AFTER: usize = 32;

/// The refusal for a file whose first [`SNIFF_AFTER`] bytes are no type we
/// take (with the probe's reason); `None` while it may still be a photo.
pub(crate) fn refuse_by_first_bytes(head: &[u8], limits: &Limits) -> Option<ApiError> {
    if head.len() < SNIFF_AFTER || sniff(head).is_some() {
        return None;
    }
    Some(match probe(head, limits) {
        Err(e) => e.into(),
        Ok(_) => ApiError::UnsupportedMediaType("unsupported file type".into()),
    })
}

/// The BLAKE3 a client says its file has (hex), as sent in `source`.
pub(crate) fn expected_blake3(text: &str, source: &str) -> Result<ContentHash, ApiError> {
    text.trim().parse().map_err(|_| {
        ApiError::bad_request(
            ErrorCode::InvalidChecksum,
            format!("{source} must be 64 hexadecimal characters"),
        )
    })
}

/// What the client told us about the upload besides its bytes.
pub(crate) struct UploadMeta {
    pub owner: UserId,
    pub original_name: String,
    /// The BLAKE3 the client expects (`X-Content-Blake3`), if sent.
    pub expected_hash: Option<ContentHash>,
    /// The app's own id for the photo (one asset per id), if sent.
    pub device_asset_id: Option<String>,
}

/// Longest device asset id accepted.
pub(crate) const MAX_DEVICE_ASSET_ID: usize = 256;

/// A device asset id as sent (trimmed), or a 422 naming the field.
pub(crate) fn device_asset_id(text: &str) -> Result<String, ApiError> {
    let id = text.trim();
    if id.is_empty() || id.chars().count() > MAX_DEVICE_ASSET_ID || id.chars().any(char::is_control)
    {
        return Err(invalid_device_asset_id());
    }
    Ok(id.to_string())
}

/// The 422 for a device asset id that is not one.
pub(crate) fn invalid_device_asset_id() -> ApiError {
    crate::routes::invalid_field(
        "device_asset_id",
        format!("1 to {MAX_DEVICE_ASSET_ID} printable characters"),
    )
}

/// Streams an upload into the store and records it; counted in
/// `darkroom_uploads_total{outcome}`.
pub(crate) async fn ingest<S, E>(
    state: &AppState,
    meta: UploadMeta,
    body: S,
) -> Result<AssetInsert, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let result = store_upload(state, meta, body).await;
    count_upload(&result);
    result
}

/// One upload's line in `darkroom_uploads_total`.
pub(crate) fn count_upload(result: &Result<AssetInsert, ApiError>) {
    use actix_web::ResponseError;
    let outcome = match result {
        Ok(AssetInsert::Created(_)) => "created",
        Ok(AssetInsert::Duplicate(_)) => "duplicate",
        Ok(AssetInsert::Restored(_)) => "restored",
        Err(e) if e.status_code().is_client_error() => "refused",
        Err(_) => "failed",
    };
    metrics::counter!("darkroom_uploads_total", "outcome" => outcome).increment(1);
}

async fn store_upload<S, E>(
    state: &AppState,
    meta: UploadMeta,
    body: S,
) -> Result<AssetInsert, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut writer = state.blobs.stage().await?;
    let probed = match receive(state, &mut writer, body).await {
        Ok(probed) => probed,
        Err(e) => {
            writer.abort().await;
            return Err(e);
        }
    };
    let staged = writer.finish().await?;
    if let Some(expected) = meta.expected_hash
        && expected != staged.hash
    {
        state.blobs.discard(&staged).await;
        return Err(ApiError::bad_request(
            ErrorCode::ChecksumMismatch,
            format!(
                "the body's BLAKE3 is {}, not {expected} as X-Content-Blake3 says; nothing was stored",
                staged.hash
            ),
        ));
    }
    state
        .meter
        .add(&meta.owner, UsageKind::BytesUploaded, staged.len);
    if let Some(existing) = state
        .catalog
        .find_asset_by_hash(&meta.owner, &staged.hash)
        .await?
    {
        // Known bytes for this owner: no second blob write, no second asset.
        state.blobs.discard(&staged).await;
        return Ok(AssetInsert::Duplicate(
            adopt(state, existing, meta.device_asset_id.as_deref()).await?,
        ));
    }
    // Refuse past the quota before anything is stored (the insert below
    // checks again, atomically, for uploads racing this one).
    if let Err(e) = check_quota(state, &meta.owner, staged.len).await {
        state.blobs.discard(&staged).await;
        return Err(e);
    }
    // Pinned first: garbage collection cannot take these bytes between
    // publishing them and recording the asset.
    if let Err(e) = state.catalog.pin_blob(&staged.hash, staged.len).await {
        state.blobs.discard(&staged).await;
        return Err(e.into());
    }
    state.blobs.publish(&staged).await?;
    let new = NewAsset {
        id: AssetId::new(),
        owner: meta.owner,
        hash: staged.hash,
        size: staged.len,
        original_name: meta.original_name,
        media_type: probed.format.media_type().to_string(),
        format: probed.format.name().to_string(),
        width: probed.width,
        height: probed.height,
        orientation: probed.metadata.orientation,
        taken_at: probed.metadata.taken_at.clone(),
        taken_at_ms: probed.metadata.taken_at_ms(),
        exif: serde_json::to_string(&probed.metadata).ok(),
        facts: AssetFacts {
            camera_make: probed.metadata.make.clone(),
            camera_model: probed.metadata.model.clone(),
            lens: probed.metadata.lens_model.clone(),
            is_raw: probed.format.is_camera_raw(),
            has_location: probed.metadata.gps.is_some(),
        },
        rating: probed.metadata.rating.map_or(0, |r| r.clamp(0, 5) as u8),
        device_asset_id: meta.device_asset_id.clone(),
    };
    let jobs = render_jobs(probed.format, new.id, state.config.job_attempts);
    // A crash between publish and this commit leaves a pinned blob nothing
    // refers to: identical bytes uploaded again reuse it, else `gc` takes it
    // after the grace period.
    let outcome = match state.catalog.insert_asset(&new, &jobs).await? {
        AssetInsert::Duplicate(existing) => {
            AssetInsert::Duplicate(adopt(state, existing, meta.device_asset_id.as_deref()).await?)
        }
        other => other,
    };
    if matches!(outcome, AssetInsert::Created(_)) && !jobs.is_empty() {
        state.waker.wake();
    }
    Ok(outcome)
}

/// A duplicate sent under a device id: the asset takes the id if it has
/// none, so the device finds it by that id from now on.
async fn adopt(
    state: &AppState,
    existing: darkroom_storage::catalog::AssetRecord,
    device: Option<&str>,
) -> Result<darkroom_storage::catalog::AssetRecord, ApiError> {
    match device {
        Some(device) => Ok(state
            .catalog
            .adopt_device_asset_id(&existing, device)
            .await?),
        None => Ok(existing),
    }
}

/// Refuses an upload of `len` bytes that would take `owner` past their quota.
pub(crate) async fn check_quota(
    state: &AppState,
    owner: &UserId,
    len: u64,
) -> Result<(), ApiError> {
    let user = state.catalog.get_user(owner).await?;
    if let Some(quota) = user.quota_bytes
        && user.usage_bytes.saturating_add(len) > quota
    {
        return Err(StorageError::QuotaExceeded {
            quota,
            available: quota.saturating_sub(user.usage_bytes),
            needed: len,
        }
        .into());
    }
    Ok(())
}

/// The jobs a new asset of `format` needs: renditions, when this build can decode it.
pub(crate) fn render_jobs(format: SourceFormat, asset_id: AssetId, attempts: u32) -> Vec<NewJob> {
    if !format.can_render() {
        return Vec::new();
    }
    vec![NewJob {
        job: Job::RenderRenditions { asset_id },
        max_attempts: attempts,
    }]
}

/// Streams the body into `writer`, enforcing the size limit and refusing
/// unsupported types as soon as their first bytes arrive.
async fn receive<S, E>(
    state: &AppState,
    writer: &mut StagingWriter,
    mut body: S,
) -> Result<Probe, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let limits = &state.config.limits;
    let mut head: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut probed: Option<Probe> = None;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                ErrorCode::UploadInterrupted,
                format!("the upload was interrupted: {e}"),
            )
        })?;
        metrics::counter!("darkroom_upload_bytes_total").increment(chunk.len() as u64);
        if writer.len() + chunk.len() as u64 > limits.max_upload_bytes {
            return Err(ApiError::PayloadTooLarge {
                limit: limits.max_upload_bytes,
            });
        }
        if probed.is_none() {
            let had = head.len();
            let take = chunk.len().min(PROBE_PREFIX_BYTES - had);
            head.extend_from_slice(&chunk[..take]);
            if had < SNIFF_AFTER
                && let Some(refusal) = refuse_by_first_bytes(&head, limits)
            {
                return Err(refusal);
            }
            if head.len() >= PROBE_PREFIX_BYTES {
                probed = Some(timed_probe(&head, limits)?);
                head = Vec::new();
            }
        }
        writer.write(chunk).await?;
    }
    if writer.is_empty() {
        return Err(ApiError::bad_request(
            ErrorCode::EmptyFile,
            "the upload is empty",
        ));
    }
    match probed {
        Some(probed) => Ok(probed),
        None => Ok(timed_probe(&head, limits)?),
    }
}

/// [`probe`], its time recorded with the renders' stages.
fn timed_probe(head: &[u8], limits: &Limits) -> Result<Probe, darkroom_pipeline::PipelineError> {
    let (probed, stages) = darkroom_pipeline::timings::collect(|| probe(head, limits));
    let format = match &probed {
        Ok(probed) => probed.format.name(),
        Err(_) => sniff(head).map_or("unknown", |f| f.name()),
    };
    darkroom_workers::record_stages(format, stages);
    probed
}

/// A display name from a client-sent file name: the last path component,
/// without control characters, at most 255 bytes. Never used as a key.
pub(crate) fn clean_file_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or_default();
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    name = name.trim().to_string();
    while name.len() > 255 {
        name.pop();
    }
    if name.is_empty() || name == "." || name == ".." {
        "upload".to_string()
    } else {
        name
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(clean_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_file_name(Some("C:\\photos\\IMG_1.JPG")), "IMG_1.JPG");
        assert_eq!(clean_file_name(Some("a\u{0}b\u{202E}c.jpg")), "abc.jpg");
        assert_eq!(clean_file_name(Some("..")), "upload");
        assert_eq!(clean_file_name(None), "upload");
        assert!(clean_file_name(Some(&"é".repeat(300))).len() <= 255);
    }
}
