//! JSON shapes of the public API (domain types never derive them directly).

use darkroom_storage::catalog::{AssetRecord, JobState, JobStatus, RenditionRecord, UserRecord};
use serde::Serialize;

/// An asset as clients see it.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct AssetDto {
    pub id: String,
    pub original_name: String,
    pub media_type: String,
    pub format: String,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    /// Capture time; through share links without its UTC offset when the
    /// photo records where it was taken (the offset may come from there).
    pub taken_at: Option<String>,
    /// The original's BLAKE3 (hex); absent through share links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// What the camera recorded (EXIF), as read at upload.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// Upload time, RFC 3339.
    pub uploaded_at: String,
    pub title: Option<String>,
    pub caption: Option<String>,
    pub keywords: Vec<String>,
    /// The photographer, as the file or the owner says.
    pub creator: Option<String>,
    /// The copyright notice.
    pub copyright: Option<String>,
    /// The colour label (`Red`, `Green`, …); absent through share links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color_label: Option<String>,
    /// The owner's own marks, absent through share links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favorite: Option<bool>,
    /// 0 (unrated) to 5 stars; absent through share links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    pub is_raw: bool,
    /// Absent through share links, which never reveal location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_location: Option<bool>,
    /// Where it was taken, in words (the nearest city of the bundled
    /// GeoNames data); absent without a position, and wherever location is
    /// withheld.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<PlaceDto>,
    /// The timeline day, YYYY-MM-DD.
    pub day: String,
    /// When it went to the trash (RFC 3339); absent while in the library.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trashed_at: Option<String>,
    /// The current edit version (0: never edited; the original is never
    /// changed). Absent through share links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit_version: Option<u32>,
    pub renditions: Vec<RenditionDto>,
    /// The files of the photo's capture — a RAW+JPEG pair's two, a Live
    /// Photo's video — each downloadable (its owner only); absent for a
    /// photo of one file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<CaptureFileDto>,
    /// A Live Photo's video (`…/files/live`) or a motion photo's (`…/motion`),
    /// its owner's only (a phone's video records where it was taken);
    /// absent for a still.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub motion_video_url: Option<String>,
}

/// One file of a photo's capture: the camera's RAW, its JPEG, or a Live
/// Photo's video.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct CaptureFileDto {
    /// `raw`, `jpeg` or `live`.
    pub role: &'static str,
    pub original_name: String,
    pub media_type: String,
    pub format: String,
    pub size: u64,
    /// Its BLAKE3, hex.
    pub blake3: String,
    /// Its bytes, exactly (ranges as for the original).
    pub url: String,
}

impl CaptureFileDto {
    pub fn new(file: &darkroom_storage::catalog::CaptureFile) -> Self {
        CaptureFileDto {
            role: file.role.as_str(),
            original_name: file.original_name.clone(),
            media_type: file.media_type.clone(),
            format: file.format.clone(),
            size: file.size,
            blake3: file.hash.to_hex(),
            url: format!(
                "/api/v1/assets/{}/files/{}",
                file.asset_id,
                file.role.as_str()
            ),
        }
    }
}

/// An account, as its holder and administrators see it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UserDto {
    pub id: String,
    pub name: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub disabled_at: Option<String>,
    /// Whether web sign-in is possible.
    pub has_password: bool,
    pub usage_bytes: u64,
    /// `null`: no quota.
    pub quota_bytes: Option<u64>,
    pub created_at: String,
}

impl UserDto {
    pub fn new(user: &UserRecord) -> Self {
        UserDto {
            id: user.id.to_string(),
            name: user.name.clone(),
            is_admin: user.is_admin,
            disabled: user.disabled_at.is_some(),
            disabled_at: user.disabled_at.map(rfc3339),
            has_password: user.has_password,
            usage_bytes: user.usage_bytes,
            quota_bytes: user.quota_bytes,
            created_at: rfc3339(user.created_at),
        }
    }
}

/// A place, in words.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct PlaceDto {
    /// ISO 3166-1 alpha-2 (`FR`).
    pub country_code: String,
    pub country: String,
    /// The first-level division (state, region, province), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub city: String,
}

impl PlaceDto {
    pub fn new(place: &darkroom_storage::catalog::AssetPlace) -> Self {
        PlaceDto {
            country_code: place.country_code.clone(),
            country: place.country.clone(),
            region: place.region.clone(),
            city: place.city.clone(),
        }
    }
}

/// Who an asset is shown to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Audience<'a> {
    /// Its owner, through the owner routes.
    Owner,
    /// A share-link holder: share URLs, and no location anywhere.
    ShareLink { token: &'a str },
    /// A member of a shared album (or its owner, on the album's own
    /// routes): the album's URLs; the owner's marks (favourite, rating,
    /// label) are not theirs; location only when the album's owner chose so.
    AlbumMember {
        album: darkroom_storage::AlbumId,
        sees_location: bool,
    },
}

impl Audience<'_> {
    /// Where an asset's own routes are for this audience.
    fn asset_base(&self, asset: &darkroom_storage::AssetId) -> String {
        match self {
            Audience::Owner => format!("/api/v1/assets/{asset}"),
            Audience::ShareLink { token } => format!("/api/v1/shared/{token}/assets/{asset}"),
            Audience::AlbumMember { album, .. } => {
                format!("/api/v1/albums/{album}/assets/{asset}")
            }
        }
    }

    /// True for anyone but the owner on the owner routes: they do not see
    /// the owner's own marks, the bytes' hash, or why a job failed.
    fn is_guest(&self) -> bool {
        !matches!(self, Audience::Owner)
    }

    /// True when where a photo was taken must not be shown.
    fn hides_location(&self) -> bool {
        match self {
            Audience::Owner => false,
            Audience::ShareLink { .. } => true,
            Audience::AlbumMember { sees_location, .. } => !sees_location,
        }
    }
}

/// One rendition's state and where to fetch it.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct RenditionDto {
    pub name: String,
    /// `ready`, `pending`, `failed` or `unsupported`.
    pub status: &'static str,
    /// Where to fetch it. Ready renditions' URLs name their bytes (`?v=`),
    /// so they can be cached for good and change when an edit changes them.
    pub url: String,
    /// True while a ready rendition still shows an earlier edit and the
    /// current one is being rendered.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub outdated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The upload response, in the shape Immich clients know.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct UploadDto {
    pub id: String,
    /// `created` or `duplicate`.
    pub status: &'static str,
    pub asset: AssetDto,
}

/// A page of assets.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AssetPageDto {
    pub assets: Vec<AssetDto>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Where an unrendered rendition stands.
pub(crate) enum PendingState {
    Pending,
    Failed(String),
    /// Never to be rendered here: why (no decoder in this build, or its
    /// system library missing on this machine).
    Unsupported(String),
}

pub(crate) fn pending_state(asset: &AssetRecord, job: Option<&JobStatus>) -> PendingState {
    if !crate::routes::assets::can_render(asset) {
        return PendingState::Unsupported(format!(
            "no renditions: {} is not decoded by this build",
            asset.format
        ));
    }
    match job {
        Some(JobStatus {
            state: JobState::Failed,
            last_error,
            ..
        }) => {
            let error = last_error
                .clone()
                .unwrap_or_else(|| "rendering failed".into());
            match error.strip_prefix(darkroom_pipeline::PipelineError::UNAVAILABLE_PREFIX) {
                Some(reason) => PendingState::Unsupported(reason.to_string()),
                None => PendingState::Failed(error),
            }
        }
        Some(_) => PendingState::Pending,
        // A render job is queued with every photo a build can render; none
        // at all means one stored when this build could not (HEIC before
        // libheif was loaded at run time), never "pending" for ever.
        None => PendingState::Failed(
            "never queued for rendering (stored by an earlier version): \
             `darkroom fsck --repair` queues it"
                .into(),
        ),
    }
}

impl AssetDto {
    pub fn new(
        asset: &AssetRecord,
        names: &[String],
        rendered: &[RenditionRecord],
        pending: &PendingState,
        audience: &Audience<'_>,
    ) -> Self {
        let base = audience.asset_base(&asset.id);
        let guest = audience.is_guest();
        let hide_location = audience.hides_location();
        let renditions = names
            .iter()
            .map(|name| {
                let url = format!("{base}/renditions/{name}");
                match rendered.iter().find(|r| &r.name == name) {
                    Some(r) => RenditionDto {
                        name: name.clone(),
                        status: "ready",
                        url: format!("{url}?v={}", rendition_version(&r.hash)),
                        outdated: r.recipe_hash != asset.edit.recipe_hash,
                        width: Some(r.width),
                        height: Some(r.height),
                        error: None,
                    },
                    None => {
                        let (status, error) = match pending {
                            PendingState::Pending => ("pending", None),
                            // Why a job failed is for the owner; a link
                            // holder learns only that it did.
                            PendingState::Failed(_) if guest => {
                                ("failed", Some("the preview could not be made".into()))
                            }
                            PendingState::Failed(e) => ("failed", Some(e.clone())),
                            PendingState::Unsupported(reason) => {
                                ("unsupported", Some(reason.clone()))
                            }
                        };
                        RenditionDto {
                            name: name.clone(),
                            status,
                            url,
                            outdated: false,
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
            taken_at: match (&asset.taken_at, hide_location && asset.facts.has_location) {
                (Some(t), true) => Some(without_offset(t).to_string()),
                (taken_at, _) => taken_at.clone(),
            },
            blake3: (!guest).then(|| asset.hash.to_hex()),
            metadata: asset
                .exif
                .as_deref()
                .and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok())
                .map(|m| match (guest, hide_location) {
                    (false, _) => m,
                    (true, hide) => for_guests(m, hide, asset.facts.has_location),
                }),
            uploaded_at: rfc3339(asset.created_at),
            title: asset.library.title.clone(),
            caption: asset.library.caption.clone(),
            keywords: asset.library.keywords.clone(),
            creator: asset.library.creator.clone(),
            copyright: asset.library.copyright.clone(),
            color_label: asset.library.color_label.clone().filter(|_| !guest),
            favorite: (!guest).then_some(asset.library.is_favorite),
            rating: (!guest).then_some(asset.library.rating),
            camera_make: asset.facts.camera_make.clone(),
            camera_model: asset.facts.camera_model.clone(),
            lens: asset.facts.lens.clone(),
            is_raw: asset.facts.is_raw,
            has_location: (!hide_location).then_some(asset.facts.has_location),
            place: asset
                .facts
                .place
                .as_ref()
                .filter(|_| !hide_location)
                .map(PlaceDto::new),
            day: day_text(asset.taken_day),
            trashed_at: asset.trashed_at.map(rfc3339),
            edit_version: (!guest).then_some(asset.edit.version),
            renditions,
            files: Vec::new(),
            motion_video_url: None,
        }
    }
}

/// The `v` a rendition URL carries: the start of its bytes' hash.
pub(crate) fn rendition_version(hash: &darkroom_storage::ContentHash) -> String {
    hash.to_hex()[..16].to_string()
}

/// Metadata as guests (link holders, album members) see it: not the
/// file's rating or colour label (the owner's marks are the owner's), and
/// when `hide_location`, no location field and no offset on the capture
/// time of a located photo (it may come from the position).
/// `located`: the asset's own `has_location`, as for its `taken_at`.
fn for_guests(
    mut metadata: serde_json::Value,
    hide_location: bool,
    located: bool,
) -> serde_json::Value {
    if let Some(object) = metadata.as_object_mut() {
        object.retain(|key, _| {
            !(hide_location && is_location_key(key)) && key != "rating" && key != "label"
        });
        if hide_location
            && located
            && let Some(serde_json::Value::String(taken)) = object.get_mut("taken_at")
        {
            *taken = without_offset(taken).to_string();
        }
    }
    metadata
}

/// `2024-05-01T18:30:00+02:00` (or `…Z`) as `2024-05-01T18:30:00`.
fn without_offset(time: &str) -> &str {
    if let Some(local) = time.strip_suffix('Z') {
        return local;
    }
    let bytes = time.as_bytes();
    let n = bytes.len();
    let has_offset = n > 19
        && matches!(bytes[n - 6], b'+' | b'-')
        && bytes[n - 3] == b':'
        && [n - 5, n - 4, n - 2, n - 1]
            .iter()
            .all(|&i| bytes[i].is_ascii_digit());
    if has_offset { &time[..n - 6] } else { time }
}

/// Keys of the metadata JSON that say where a photo was taken.
fn is_location_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "gps",
        "location",
        "latitude",
        "longitude",
        "altitude",
        "city",
        "country",
        "place",
    ]
    .iter()
    .any(|k| key.contains(k))
}

/// YYYYMMDD as YYYY-MM-DD.
pub(crate) fn day_text(day: u32) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day / 10_000,
        day / 100 % 100,
        day % 100
    )
}

pub(crate) use darkroom_storage::rfc3339;

#[cfg(test)]
mod tests {
    #[test]
    fn share_metadata_has_no_location() {
        let m = serde_json::json!({"make": "Leica", "gps": {"latitude": 1.0}, "taken_at": "x"});
        let m = super::for_guests(m, true, true);
        assert_eq!(m, serde_json::json!({"make": "Leica", "taken_at": "x"}));
    }

    #[test]
    fn members_shown_location_keep_it_but_not_the_owners_marks() {
        let m = serde_json::json!({
            "gps": {"latitude": 48.8}, "taken_at": "2024-05-01T18:30:00+02:00",
            "rating": 5, "label": "Red",
        });
        assert_eq!(
            super::for_guests(m, false, true),
            serde_json::json!({"gps": {"latitude": 48.8}, "taken_at": "2024-05-01T18:30:00+02:00"})
        );
    }

    #[test]
    fn link_holders_get_no_offset_of_a_located_photo_and_no_camera_rating() {
        let located = serde_json::json!({
            "gps": {"latitude": 48.8, "longitude": 2.3},
            "taken_at": "2024-05-01T18:30:00+02:00",
            "rating": 5,
        });
        assert_eq!(
            super::for_guests(located, true, true),
            serde_json::json!({"taken_at": "2024-05-01T18:30:00"})
        );
        let unlocated = serde_json::json!({"gps": null, "taken_at": "2024-05-01T18:30:00-07:00"});
        assert_eq!(
            super::for_guests(unlocated, true, false)["taken_at"],
            "2024-05-01T18:30:00-07:00"
        );
        assert_eq!(
            super::without_offset("2024-05-01T18:30:00.25Z"),
            "2024-05-01T18:30:00.25"
        );
        assert_eq!(
            super::without_offset("2024-05-01T18:30:00"),
            "2024-05-01T18:30:00"
        );
    }

    #[test]
    fn days_are_iso_dates() {
        assert_eq!(super::day_text(20240229), "2024-02-29");
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::rfc3339(1_709_210_096_789),
            "2024-02-29T12:34:56.789Z"
        );
    }
}
