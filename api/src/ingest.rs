//! The streaming upload path.
//!
//! The body is hashed (BLAKE3) while it streams into a staging object, so it is
//! never held whole in memory. Its first bytes are sniffed as they arrive —
//! an unsupported type is refused before the rest is stored — and probed for
//! dimensions and EXIF. Then the client's hash is compared, and storage's
//! `Store::store_original` does the rest in its fixed order: the owner's
//! existing asset for known bytes, the quota, pin, publish, and asset + render
//! job in one transaction. The response is sent only after that commit.

use crate::ErrorCode;
use bytes::Bytes;
use darkroom_pipeline::live_photo::{MoovCapture, is_quicktime};
use darkroom_pipeline::{Limits, PROBE_PREFIX_BYTES, PhotoMetadata, Probe, probe, sniff};
use darkroom_storage::catalog::{
    AssetFacts, AssetInsert, AssetRecord, Job, LibraryFields, NewAsset, NewJob, NewLiveVideo,
    UsageKind,
};
use darkroom_storage::{AssetId, ContentHash, StagingWriter, UserId};
use futures::{Stream, StreamExt};

use crate::ApiError;
use crate::state::AppState;

/// The names clients give an upload's fields, as multipart form fields or
/// tus `Upload-Metadata` keys: ours first, then Immich's.
pub(crate) mod field_names {
    /// The file itself (a multipart field).
    pub(crate) const FILE: [&str; 2] = ["file", "assetData"];
    /// The file's name (a tus metadata key; multipart parts carry their own).
    pub(crate) const FILE_NAME: [&str; 2] = ["filename", "name"];
    /// The app's own id for the photo: one asset per id.
    pub(crate) const DEVICE_ASSET_ID: [&str; 2] = ["device_asset_id", "deviceAssetId"];
    /// The BLAKE3 the client expects, hex (a tus metadata key).
    pub(crate) const BLAKE3: [&str; 1] = ["blake3"];
}

/// How an upload ended, as both upload routes report it: the asset, and
/// `created`, `duplicate` (bytes or device id already held), `restored`
/// (the same bytes were in the owner's trash: they are back) or `paired`
/// (the other file of a photo held: a RAW beside its JPEG, or the reverse).
pub(crate) fn upload_outcome(outcome: &AssetInsert) -> (&AssetRecord, &'static str) {
    match outcome {
        AssetInsert::Created(asset) => (asset, "created"),
        AssetInsert::Duplicate(asset) => (asset, "duplicate"),
        AssetInsert::Restored(asset) => (asset, "restored"),
        AssetInsert::Paired(asset) => (asset, "paired"),
    }
}

/// Enough bytes to tell every accepted format apart.
pub(crate) const SNIFF_AFTER: usize = 32;

/// The refusal for a file whose first [`SNIFF_AFTER`] bytes are no type we
/// take (with the probe's reason); `None` while it may still be a photo.
pub(crate) fn refuse_by_first_bytes(head: &[u8], limits: &Limits) -> Option<ApiError> {
    // A QuickTime movie may be a Live Photo's video: known at its end.
    if head.len() < SNIFF_AFTER || sniff(head).is_some() || is_quicktime(head) {
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

/// The user's asset for this upload when it can be known without the
/// body: the one the app sent under its device id, else the live one with
/// the bytes the client names in `X-Content-Blake3` or in tus's `blake3`
/// metadata (a client that hashed its file first uploads a duplicate for
/// the price of its headers; bytes in the trash still come through the
/// body, which restores them).
pub(crate) async fn already_held(
    state: &AppState,
    meta: &UploadMeta,
) -> Result<Option<AssetInsert>, ApiError> {
    let mut held = None;
    if let Some(device) = &meta.device_asset_id {
        held = state
            .catalog
            .find_asset_by_device(&meta.owner, device)
            .await?;
    }
    if held.is_none()
        && let Some(hash) = &meta.expected_hash
    {
        held = state.catalog.find_asset_by_hash(&meta.owner, hash).await?;
    }
    let Some(asset) = held else {
        return Ok(None);
    };
    let outcome = Ok(AssetInsert::Duplicate(asset));
    count_upload(&outcome);
    outcome.map(Some)
}

/// One upload's line in `darkroom_uploads_total`.
pub(crate) fn count_upload(result: &Result<AssetInsert, ApiError>) {
    use actix_web::ResponseError;
    let outcome = match result {
        Ok(AssetInsert::Created(_)) => "created",
        Ok(AssetInsert::Duplicate(_)) => "duplicate",
        Ok(AssetInsert::Restored(_)) => "restored",
        Ok(AssetInsert::Paired(_)) => "paired",
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
    let mut writer = state.store.stage().await?;
    let (received, sha1) = match receive(state, &mut writer, body).await {
        Ok(received) => received,
        Err(e) => {
            writer.abort().await;
            return Err(e);
        }
    };
    let staged = state.store.finish_staging(writer).await?;
    if let Some(expected) = meta.expected_hash
        && expected != staged.hash()
    {
        let actual = staged.hash();
        staged.discard().await;
        return Err(ApiError::bad_request(
            ErrorCode::ChecksumMismatch,
            format!(
                "the body's BLAKE3 is {actual}, not {expected} as X-Content-Blake3 says; nothing was stored"
            ),
        ));
    }
    state
        .meter
        .add(&meta.owner, UsageKind::BytesUploaded, staged.len());
    let probed = match received {
        Received::Photo(probed) => *probed,
        Received::Video(content_identifier) => {
            return store_live_video(state, meta, staged, sha1, content_identifier).await;
        }
    };
    let mut new = describe_asset(meta, &probed, staged.hash(), staged.len());
    new.sha1 = Some(sha1);
    let jobs = render_jobs(new.id, state.config.job_attempts);
    let outcome = state.store.store_original(staged, &new, &jobs).await?;
    if matches!(outcome, AssetInsert::Created(_) | AssetInsert::Paired(_)) {
        state.waker.wake();
    }
    Ok(outcome)
}

/// Keeps a QuickTime movie as the video of the Live Photo whose content
/// identifier it names; any other video is refused (darkroom keeps photos).
async fn store_live_video(
    state: &AppState,
    meta: UploadMeta,
    staged: darkroom_storage::StagedOriginal,
    sha1: String,
    content_identifier: Option<String>,
) -> Result<AssetInsert, ApiError> {
    let Some(live_photo_id) = content_identifier else {
        staged.discard().await;
        return Err(ApiError::UnsupportedMediaType(
            "a video: darkroom keeps videos only as Live Photos' (a .MOV naming the content \
             identifier of a still in your library), and this one names none"
                .into(),
        ));
    };
    let video = NewLiveVideo {
        owner: meta.owner,
        hash: staged.hash(),
        size: staged.len(),
        original_name: meta.original_name,
        media_type: "video/quicktime".into(),
        live_photo_id,
        device_asset_id: meta.device_asset_id,
    };
    Ok(state.store.store_live_video(staged, &video, &sha1).await?)
}

/// The catalog's record of a new original: what the client said and what
/// the probe read.
fn describe_asset(meta: UploadMeta, probed: &Probe, hash: ContentHash, size: u64) -> NewAsset {
    let located = crate::places::located(&probed.metadata);
    NewAsset {
        id: AssetId::new(),
        owner: meta.owner,
        hash,
        size,
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
            place: located.place,
        },
        library: written_in_file(&probed.metadata),
        place_names: located.place_names,
        position: located.position,
        device_asset_id: meta.device_asset_id,
        sha1: None,
        live_photo_id: probed.metadata.live_photo_id.clone(),
    }
}

/// The library's start from what the file says (its XMP, else its IPTC):
/// title, caption, keywords (flat and every level of hierarchical ones),
/// creator, copyright, colour label and rating, as Lightroom or a photo
/// desk left them.
fn written_in_file(metadata: &PhotoMetadata) -> LibraryFields {
    use crate::routes::assets::{MAX_KEYWORD_CHARS, MAX_KEYWORDS, MAX_LABEL_CHARS, MAX_TEXT_CHARS};
    let written = &metadata.description;
    let bounded = |text: &Option<String>, max: usize| {
        text.as_ref()
            .map(|t| t.trim().chars().take(max).collect::<String>())
            .filter(|t| !t.is_empty())
    };
    LibraryFields {
        title: bounded(&written.title, MAX_TEXT_CHARS),
        caption: bounded(&written.caption, MAX_TEXT_CHARS),
        keywords: written
            .all_keywords()
            .into_iter()
            .take(MAX_KEYWORDS)
            .map(|k| k.chars().take(MAX_KEYWORD_CHARS).collect())
            .collect(),
        is_favorite: false,
        rating: metadata.rating.map_or(0, |r| r.clamp(0, 5) as u8),
        creator: bounded(&written.creator, MAX_TEXT_CHARS),
        copyright: bounded(&written.copyright, MAX_TEXT_CHARS),
        color_label: bounded(&written.label, MAX_LABEL_CHARS),
    }
}

/// The jobs a new asset needs: its renditions (every format darkroom takes
/// is decoded; HEIF's decoder may be missing on the machine, which the job
/// then reports).
pub(crate) fn render_jobs(asset_id: AssetId, attempts: u32) -> Vec<NewJob> {
    vec![NewJob {
        job: Job::RenderRenditions { asset_id },
        max_attempts: attempts,
    }]
}

/// Streams the body into `writer`, enforcing the size limit and refusing
/// unsupported types as soon as their first bytes arrive; the probe, and
/// the SHA-1 of the bytes (lowercase hex) for clients that name files by it
/// (the writer hashes BLAKE3 on the way).
/// What arrived: a photo (probed from its first bytes), or a QuickTime
/// movie and the Live Photo content identifier it names, if any.
enum Received {
    Photo(Box<Probe>),
    Video(Option<String>),
}

async fn receive<S, E>(
    state: &AppState,
    writer: &mut StagingWriter,
    mut body: S,
) -> Result<(Received, String), ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let limits = &state.config.limits;
    let mut head: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut probed: Option<Probe> = None;
    // A movie is watched as it streams for its metadata box (wherever it is).
    let mut video: Option<MoovCapture> = None;
    let mut sha1 = sha1::Sha1::default();
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
        if let Some(capture) = video.as_mut() {
            capture.feed(&chunk);
        } else if probed.is_none() {
            let had = head.len();
            let take = chunk.len().min(PROBE_PREFIX_BYTES - had);
            head.extend_from_slice(&chunk[..take]);
            if is_quicktime(&head) {
                let mut capture = MoovCapture::default();
                capture.feed(&head);
                capture.feed(&chunk[take..]);
                video = Some(capture);
                head = Vec::new();
            } else {
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
        }
        sha1::Digest::update(&mut sha1, &chunk);
        writer.write(chunk).await?;
    }
    if writer.is_empty() {
        return Err(ApiError::bad_request(
            ErrorCode::EmptyFile,
            "the upload is empty",
        ));
    }
    let received = match (video, probed) {
        (Some(capture), _) => Received::Video(capture.content_identifier()),
        (None, Some(probed)) => Received::Photo(Box::new(probed)),
        (None, None) => Received::Photo(Box::new(timed_probe(&head, limits)?)),
    };
    Ok((
        received,
        darkroom_storage::lower_hex(&sha1::Digest::finalize(sha1)),
    ))
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
