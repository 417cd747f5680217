//! `POST /api/v1/assets/check`: which of a device's photos the user already
//! has, so a companion app uploads only what is missing.

use actix_web::{HttpResponse, web};
use std::collections::HashMap;

use darkroom_storage::catalog::Scope;
use darkroom_storage::{AssetId, ContentHash};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::invalid_field;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::ingest::device_asset_id;
use crate::state::AppState;

/// Most photos asked about at once.
const MAX_CHECKED: usize = 1000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckBody {
    /// At most 1000.
    assets: Vec<CheckItem>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckItem {
    /// The app's own id for the photo.
    device_asset_id: Option<String>,
    /// BLAKE3 of the file, 64 hex digits. May be left out when the device
    /// id is given: a client that has not hashed a file yet (an importer on
    /// its second run) learns whether it was sent before without reading it.
    blake3: Option<String>,
    /// The file's size in bytes.
    size: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CheckResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    device_asset_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blake3: Option<String>,
    /// `present` (by its bytes or its device id) or `missing`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    asset_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CheckAnswerDto {
    /// In the order asked.
    results: Vec<CheckResult>,
}

/// Answers, in the order asked, which photos the caller already has in the
/// library: the same bytes (by BLAKE3) or the same device asset id.
#[utoipa::path(post, path = "/api/v1/assets/check", tag = "sync",
    request_body = CheckBody,
    responses((status = 200, description = "Present or missing, each", body = CheckAnswerDto)))]
pub(crate) async fn check(
    body: web::Json<CheckBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let items = body.into_inner().assets;
    if items.len() > MAX_CHECKED {
        return Err(invalid_field(
            "assets",
            format!("at most {MAX_CHECKED} at a time"),
        ));
    }
    // Each item's hash and (trimmed) device id, checked.
    let mut asked = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let hash: Option<ContentHash> = item
            .blake3
            .as_deref()
            .map(|hex| {
                hex.trim().parse().map_err(|_| {
                    invalid_field(
                        &format!("assets[{i}].blake3"),
                        "64 hexadecimal characters".into(),
                    )
                })
            })
            .transpose()?;
        if item.size == Some(0) {
            return Err(invalid_field(
                &format!("assets[{i}].size"),
                "must be above 0".into(),
            ));
        }
        let device = item
            .device_asset_id
            .as_deref()
            .map(device_asset_id)
            .transpose()?;
        if hash.is_none() && device.is_none() {
            return Err(invalid_field(
                &format!("assets[{i}]"),
                "give blake3 (and size), device_asset_id, or both".into(),
            ));
        }
        asked.push((hash, device));
    }
    let hashes: Vec<ContentHash> = asked.iter().filter_map(|(h, _)| *h).collect();
    let devices: Vec<String> = asked.iter().filter_map(|(_, d)| d.clone()).collect();
    let (by_hash, by_device) = state
        .catalog
        .owned_matches(auth.user(), &hashes, &devices)
        .await?;
    let by_hash: HashMap<ContentHash, AssetId> = by_hash.into_iter().collect();
    let by_device: HashMap<String, AssetId> = by_device.into_iter().collect();
    let results: Vec<CheckResult> = asked
        .into_iter()
        .map(|(hash, device)| {
            let found = hash
                .and_then(|hash| by_hash.get(&hash))
                .or_else(|| device.as_ref().and_then(|d| by_device.get(d)));
            CheckResult {
                blake3: hash.map(|h| h.to_hex()),
                status: if found.is_some() {
                    "present"
                } else {
                    "missing"
                },
                asset_id: found.map(ToString::to_string),
                device_asset_id: device,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(CheckAnswerDto { results }))
}
