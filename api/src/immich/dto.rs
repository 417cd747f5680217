//! The shapes Immich's clients read and send, as its OpenAPI description
//! (the `@immich/sdk` 3.2.2 types) gives them: camelCase names, and every
//! field a client requires, filled from darkroom's own records.

use darkroom_storage::catalog::{AlbumRecord, Scope, UserRecord};
use darkroom_storage::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /.well-known/immich`: where the API is.
#[derive(Serialize, ToSchema)]
pub(crate) struct WellKnown {
    pub api: WellKnownApi,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WellKnownApi {
    /// `/api`
    pub endpoint: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Ping {
    /// `pong`
    pub res: &'static str,
}

/// The version of Immich's API that these routes follow.
#[derive(Serialize, ToSchema)]
pub(crate) struct ServerVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    pub prerelease: Option<u32>,
}

/// File extensions (with their dot) the server takes.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MediaTypes {
    pub image: Vec<String>,
    /// None: darkroom keeps photos.
    pub video: Vec<String>,
    pub sidecar: Vec<String>,
}

/// `GET /api/users/me` (Immich's `UserAdminResponseDto`). darkroom
/// accounts have names, not e-mail addresses: `email` is the name.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub avatar_color: &'static str,
    pub profile_image_path: &'static str,
    pub profile_changed_at: String,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    pub is_admin: bool,
    pub oauth_id: &'static str,
    pub should_change_password: bool,
    pub status: &'static str,
    pub storage_label: Option<String>,
    pub quota_size_in_bytes: Option<u64>,
    pub quota_usage_in_bytes: Option<u64>,
    pub license: Option<String>,
    pub cluster_group_id: &'static str,
}

impl User {
    pub fn new(user: &UserRecord) -> Self {
        let created = rfc3339(user.created_at);
        User {
            id: user.id.to_string(),
            email: user.name.clone(),
            name: user.name.clone(),
            avatar_color: "primary",
            profile_image_path: "",
            profile_changed_at: created.clone(),
            updated_at: created.clone(),
            created_at: created,
            deleted_at: None,
            is_admin: user.is_admin,
            oauth_id: "",
            should_change_password: false,
            status: if user.disabled_at.is_some() {
                "deleted"
            } else {
                "active"
            },
            storage_label: None,
            quota_size_in_bytes: user.quota_bytes,
            quota_usage_in_bytes: Some(user.usage_bytes),
            license: None,
            cluster_group_id: "",
        }
    }
}

/// `GET /api/api-keys/me`: the token, with its scopes as Immich's
/// permissions.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ApiKey {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
    pub permissions: Vec<&'static str>,
}

/// Immich's permissions that darkroom's scopes grant: what the routes
/// here (and the same actions in our own API) check. Every scope: `all`.
pub(crate) fn permissions(scopes: &[Scope]) -> Vec<&'static str> {
    if Scope::ALL.iter().all(|s| scopes.contains(s)) {
        return vec!["all"];
    }
    let mut out = Vec::new();
    for scope in scopes {
        out.extend_from_slice(match scope {
            Scope::Read => &[
                "asset.read",
                "asset.view",
                "asset.download",
                "album.read",
                "user.read",
                "server.about",
                "timeline.read",
            ][..],
            Scope::Upload => &["asset.upload"][..],
            Scope::Edit => &[
                "asset.update",
                "asset.delete",
                "album.create",
                "album.update",
                "album.delete",
                "albumAsset.create",
                "albumAsset.delete",
            ][..],
            Scope::Admin => &["adminUser.read", "adminUser.create", "adminUser.update"][..],
        });
    }
    out
}

/// `POST /api/assets/bulk-upload-check`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct BulkUploadCheck {
    pub assets: Vec<BulkUploadCheckItem>,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct BulkUploadCheckItem {
    /// The client's name for the file, echoed back.
    pub id: String,
    /// SHA-1 of the file, hex or base64.
    pub checksum: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct BulkUploadCheckResponse {
    pub results: Vec<BulkUploadCheckResult>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkUploadCheckResult {
    pub id: String,
    /// `accept` (send it) or `reject` (held already).
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_trashed: Option<bool>,
}

/// `POST /api/assets`' answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct AssetMedia {
    pub id: String,
    /// `created` or `duplicate`.
    pub status: &'static str,
}

/// An upload as Immich's clients send it (multipart): `assetData` is the
/// file; the other fields are optional here.
#[derive(ToSchema)]
#[allow(dead_code)] // a description of the form; the handler reads it as a stream
#[schema(rename_all = "camelCase")]
pub(crate) struct AssetMediaCreate {
    #[schema(value_type = String, format = Binary)]
    asset_data: Vec<u8>,
    device_asset_id: Option<String>,
    device_id: Option<String>,
    file_created_at: Option<String>,
    file_modified_at: Option<String>,
    /// `true` marks the photo a favourite.
    is_favorite: Option<String>,
    filename: Option<String>,
    /// Read and dropped: darkroom reads the XMP inside the file.
    #[schema(value_type = Option<String>, format = Binary)]
    sidecar_data: Option<Vec<u8>>,
}

/// An album (Immich's `AlbumResponseDto`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Album {
    pub id: String,
    pub album_name: String,
    pub description: String,
    pub album_thumbnail_asset_id: Option<String>,
    /// Empty: darkroom albums are their owner's.
    pub album_users: Vec<String>,
    pub asset_count: i64,
    pub created_at: String,
    pub updated_at: String,
    pub has_shared_link: bool,
    pub is_activity_enabled: bool,
    pub shared: bool,
}

impl Album {
    pub fn new(album: &AlbumRecord) -> Self {
        Album {
            id: album.id.to_string(),
            album_name: album.name.clone(),
            description: album.description.clone(),
            album_thumbnail_asset_id: album.cover.map(|a| a.to_string()),
            album_users: Vec::new(),
            asset_count: album.asset_count,
            created_at: rfc3339(album.created_at),
            updated_at: rfc3339(album.updated_at),
            has_shared_link: false,
            is_activity_enabled: false,
            shared: false,
        }
    }
}

/// `POST /api/albums`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateAlbum {
    pub album_name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub asset_ids: Vec<String>,
}

/// `GET /api/albums` filters.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub(crate) struct AlbumQuery {
    /// Albums holding this asset.
    pub asset_id: Option<String>,
    pub id: Option<String>,
    /// Only shared albums (`true`): darkroom has none yet.
    pub is_shared: Option<bool>,
    pub is_owned: Option<bool>,
    pub name: Option<String>,
}

/// `PUT /api/albums/{id}/assets`.
#[derive(Deserialize, ToSchema)]
pub(crate) struct BulkIds {
    pub ids: Vec<String>,
}

/// One id's outcome.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BulkIdResult {
    pub id: String,
    pub success: bool,
    /// `duplicate` (in the album already) or `not_found`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
}
