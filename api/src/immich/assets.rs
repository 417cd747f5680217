//! Uploads and the bulk upload check, as Immich's clients make them.

use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_storage::catalog::{AssetInsert, LibraryPatch, Scope};

use super::dto::{AssetMedia, BulkUploadCheck, BulkUploadCheckResponse, BulkUploadCheckResult};
use crate::ApiError;
use crate::auth::Authenticated;
use crate::routes::asset_upload::receive;
use crate::routes::invalid_field;
use crate::state::AppState;

/// The most files one check may ask about (Immich's CLI sends 5 000).
const MAX_CHECK: usize = 10_000;

/// Which of the files (named by their SHA-1) the caller holds already:
/// `reject` with the asset (and whether it is in the trash: a backup run
/// does not bring back what its owner threw away), `accept` for the rest.
#[utoipa::path(post, path = "/api/assets/bulk-upload-check", tag = "immich",
    request_body = BulkUploadCheck,
    responses((status = 200, description = "One result per file, in order", body = BulkUploadCheckResponse)))]
pub(crate) async fn bulk_upload_check(
    body: web::Json<BulkUploadCheck>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let items = &body.assets;
    if items.len() > MAX_CHECK {
        return Err(invalid_field(
            "assets",
            format!("at most {MAX_CHECK} a request"),
        ));
    }
    let sha1s: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            sha1_hex(&item.checksum).ok_or_else(|| {
                invalid_field(
                    &format!("assets[{i}].checksum"),
                    "a SHA-1: 40 hexadecimal characters, or 28 of base64".into(),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let mut held = std::collections::HashMap::new();
    for chunk in sha1s.chunks(1000) {
        for found in state.catalog.owned_by_sha1(auth.user(), chunk).await? {
            // One asset per bytes and owner; prefer one in the library.
            let entry = held.entry(found.sha1.clone()).or_insert(found.clone());
            if entry.trashed && !found.trashed {
                *entry = found;
            }
        }
    }
    let results = items
        .iter()
        .zip(&sha1s)
        .map(|(item, sha1)| match held.get(sha1) {
            Some(found) => BulkUploadCheckResult {
                id: item.id.clone(),
                action: "reject",
                reason: Some("duplicate"),
                asset_id: Some(found.asset.to_string()),
                is_trashed: Some(found.trashed),
            },
            None => BulkUploadCheckResult {
                id: item.id.clone(),
                action: "accept",
                reason: None,
                asset_id: None,
                is_trashed: None,
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(BulkUploadCheckResponse { results }))
}

/// A SHA-1 sent as 40 hex characters or 28 of base64, as lowercase hex.
fn sha1_hex(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(text.to_ascii_lowercase());
    }
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    (bytes.len() == 20).then(|| darkroom_storage::lower_hex(&bytes))
}

/// Uploads a photo: the same upload as `POST /api/v1/assets` (`assetData`
/// is the file; `deviceAssetId` before it names the app's photo, as ours
/// does), answered as Immich's clients expect. `isFavorite=true` marks a new
/// photo a favourite.
#[utoipa::path(post, path = "/api/assets", tag = "immich",
    request_body(content((super::dto::AssetMediaCreate = "multipart/form-data"))),
    responses(
        (status = 201, description = "A new photo", body = AssetMedia),
        (status = 200, description = "Held already (or back from the trash)", body = AssetMedia),
        (status = 413, description = "Larger than the upload limit", body = crate::openapi::ErrorBody),
        (status = 415, description = "Not a type of photo this server takes", body = crate::openapi::ErrorBody),
        (status = 507, description = "Past your storage quota", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn upload(
    req: HttpRequest,
    payload: web::Payload,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let received = receive(&req, payload, None, None, &auth, &state).await?;
    let favourite = received
        .fields
        .iter()
        .any(|(name, value)| name == "isFavorite" && value.trim() == "true");
    let (asset, created) = match &received.outcome {
        AssetInsert::Created(asset) => (asset, true),
        AssetInsert::Duplicate(asset)
        | AssetInsert::Restored(asset)
        | AssetInsert::Paired(asset) => (asset, false),
    };
    if created && favourite {
        let patch = LibraryPatch {
            is_favorite: Some(true),
            ..LibraryPatch::default()
        };
        state
            .catalog
            .update_library_fields(auth.user(), &asset.id, &patch)
            .await?;
    }
    let body = AssetMedia {
        id: asset.id.to_string(),
        status: if created { "created" } else { "duplicate" },
    };
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_in_hex_or_base64() {
        let hex = "a9993e364706816aba3e25717850c26c9cd0d89d";
        assert_eq!(sha1_hex(hex).as_deref(), Some(hex));
        assert_eq!(sha1_hex(&hex.to_uppercase()).as_deref(), Some(hex));
        assert_eq!(
            sha1_hex("qZk+NkcGgWq6PiVxeFDCbJzQ2J0=").as_deref(),
            Some(hex)
        );
        assert_eq!(sha1_hex("not a checksum"), None);
        assert_eq!(sha1_hex(&hex[..39]), None);
    }
}
