//! JSON shapes of the public API (domain types never derive them directly).

use darkroom_storage::catalog::{AssetRecord, JobState, JobStatus, RenditionRecord};
use serde::Serialize;

/// An asset as clients see it.
#[derive(Serialize)]
pub(crate) struct AssetDto {
    pub id: String,
    pub original_name: String,
    pub media_type: String,
    pub format: String,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    pub taken_at: Option<String>,
    pub blake3: String,
    pub metadata: Option<serde_json::Value>,
    /// Upload time, RFC 3339.
    pub uploaded_at: String,
    pub renditions: Vec<RenditionDto>,
}

/// One rendition's state and where to fetch it.
#[derive(Serialize)]
pub(crate) struct RenditionDto {
    pub name: String,
    /// `ready`, `pending`, `failed` or `unsupported`.
    pub status: &'static str,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The upload response, in the shape Immich clients know.
#[derive(Serialize)]
pub(crate) struct UploadDto {
    pub id: String,
    /// `created` or `duplicate`.
    pub status: &'static str,
    pub asset: AssetDto,
}

/// A page of assets.
#[derive(Serialize)]
pub(crate) struct AssetPageDto {
    pub assets: Vec<AssetDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Where an unrendered rendition stands.
pub(crate) enum PendingState {
    Pending,
    Failed(String),
    Unsupported,
}

pub(crate) fn pending_state(can_render: bool, job: Option<&JobStatus>) -> PendingState {
    if !can_render {
        return PendingState::Unsupported;
    }
    match job {
        Some(JobStatus {
            state: JobState::Failed,
            last_error,
            ..
        }) => PendingState::Failed(
            last_error
                .clone()
                .unwrap_or_else(|| "rendering failed".into()),
        ),
        _ => PendingState::Pending,
    }
}

impl AssetDto {
    pub fn new(
        asset: &AssetRecord,
        names: &[String],
        rendered: &[RenditionRecord],
        pending: &PendingState,
    ) -> Self {
        let renditions = names
            .iter()
            .map(|name| {
                let url = format!("/api/v1/assets/{}/renditions/{name}", asset.id);
                match rendered.iter().find(|r| &r.name == name) {
                    Some(r) => RenditionDto {
                        name: name.clone(),
                        status: "ready",
                        url,
                        width: Some(r.width),
                        height: Some(r.height),
                        error: None,
                    },
                    None => {
                        let (status, error) = match pending {
                            PendingState::Pending => ("pending", None),
                            PendingState::Failed(e) => ("failed", Some(e.clone())),
                            PendingState::Unsupported => (
                                "unsupported",
                                Some(format!(
                                    "no renditions: {} is not decoded by this build",
                                    asset.format
                                )),
                            ),
                        };
                        RenditionDto {
                            name: name.clone(),
                            status,
                            url,
                            width: None,
                            height: None,
                            error,
                        }
                    }
                }
            })
            .collect();
        AssetDto {
            id: asset.id.to_string(),
            original_name: asset.original_name.clone(),
            media_type: asset.media_type.clone(),
            format: asset.format.clone(),
            size: asset.size,
            width: asset.width,
            height: asset.height,
            orientation: asset.orientation,
            taken_at: asset.taken_at.clone(),
            blake3: asset.hash.to_hex(),
            metadata: asset
                .exif
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok()),
            uploaded_at: rfc3339(asset.created_at),
            renditions,
        }
    }
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::rfc3339(1_709_210_096_789),
            "2024-02-29T12:34:56.789Z"
        );
    }
}
