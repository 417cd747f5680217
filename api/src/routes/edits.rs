//! Non-destructive editing: the recipe and its history, live previews, and
//! full-size exports. The original is never changed; saving a recipe makes a
//! new version and re-renders the renditions (see docs/edit-recipe.md).

use crate::ErrorCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use bytes::Bytes;
use darkroom_pipeline::edit::{EditRecipe, ExportFormat};
use darkroom_storage::catalog::{AssetRecord, EditVersion, Scope, UsageKind};
use darkroom_workers::{ExportStream, MAX_PREVIEW_EDGE, WorkerError, current_recipe};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{invalid_field, owned_asset};
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::rfc3339;
use crate::ingest::render_jobs;
use crate::state::AppState;

/// A recipe is a few hundred bytes; this bounds what is parsed.
const MAX_RECIPE_BYTES: usize = 64 * 1024;

/// One version of an asset's edit.
#[derive(Serialize, ToSchema)]
pub(crate) struct EditVersionDto {
    /// 1 for the first save; 0 for "never edited".
    version: u32,
    /// The recipe, in canonical form (see docs/edit-recipe.md).
    #[schema(value_type = Object)]
    recipe: serde_json::Value,
    /// Its fingerprint ('' for a recipe that changes nothing); renditions
    /// rendered with it are current.
    recipe_hash: String,
    /// When it was saved; absent for "never edited".
    #[serde(skip_serializing_if = "Option::is_none")]
    saved_at: Option<String>,
}

impl EditVersionDto {
    fn new(version: &EditVersion) -> Self {
        EditVersionDto {
            version: version.version,
            recipe: serde_json::from_str(&version.recipe).unwrap_or_default(),
            recipe_hash: version.recipe_hash.clone(),
            saved_at: Some(rfc3339(version.created_at)),
        }
    }

    /// An unedited photo: version 0, the identity recipe.
    fn unedited() -> Self {
        let identity = EditRecipe::default();
        EditVersionDto {
            version: 0,
            recipe: serde_json::from_str(&identity.canonical_json()).unwrap_or_default(),
            recipe_hash: String::new(),
            saved_at: None,
        }
    }
}

/// Parses and validates a recipe body: a 422 naming the field for any
/// problem.
fn parse_recipe(body: &[u8]) -> Result<EditRecipe, ApiError> {
    if body.len() > MAX_RECIPE_BYTES {
        return Err(invalid_field(
            "recipe",
            format!("at most {MAX_RECIPE_BYTES} bytes"),
        ));
    }
    EditRecipe::from_json(body).map_err(|e| invalid_field(&e.field, e.reason))
}

/// The current edit: version and recipe (version 0: never edited).
#[utoipa::path(get, path = "/api/v1/assets/{id}/edit", tag = "editing",
    params(("id" = String, Path, description = "The asset's id")),
    responses((status = 200, description = "The current version", body = EditVersionDto)))]
pub(crate) async fn current(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = owned_asset(&state, &auth, Scope::Read, &path).await?;
    let current = state.catalog.current_edit(&asset.id).await?;
    Ok(HttpResponse::Ok().json(
        current
            .as_ref()
            .map_or_else(EditVersionDto::unedited, EditVersionDto::new),
    ))
}

/// `PUT /assets/{id}/edit`: saves the recipe as a new version (reverting is
/// saving an old one) and queues the renditions' re-render.
#[utoipa::path(put, path = "/api/v1/assets/{id}/edit", tag = "editing",
    params(("id" = String, Path, description = "The asset's id")),
    request_body(content = Object, content_type = "application/json",
        description = "An edit recipe (docs/edit-recipe.md); unknown fields are refused"),
    responses((status = 200, description = "The version saved", body = EditVersionDto)))]
pub(crate) async fn save(
    path: web::Path<String>,
    body: Bytes,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = owned_asset(&state, &auth, Scope::Edit, &path).await?;
    let recipe = parse_recipe(&body)?;
    let jobs = if super::assets::can_render(&asset) {
        render_jobs(asset.id, state.config.job_attempts)
    } else {
        Vec::new()
    };
    let saved = state
        .catalog
        .save_edit(
            auth.user(),
            &asset.id,
            &recipe.canonical_json(),
            &recipe.fingerprint(),
            &jobs,
        )
        .await?;
    if !jobs.is_empty() {
        state.waker.wake();
    }
    Ok(HttpResponse::Ok().json(EditVersionDto::new(&saved)))
}

/// Every saved version, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct EditHistoryDto {
    current_version: u32,
    versions: Vec<EditVersionDto>,
}

/// Every saved version of the edit, newest first.
#[utoipa::path(get, path = "/api/v1/assets/{id}/edit/history", tag = "editing",
    params(("id" = String, Path, description = "The asset's id")),
    responses((status = 200, description = "The versions", body = EditHistoryDto)))]
pub(crate) async fn history(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = owned_asset(&state, &auth, Scope::Read, &path).await?;
    let versions = state.catalog.edit_history(auth.user(), &asset.id).await?;
    let current = asset.edit.version;
    Ok(HttpResponse::Ok().json(EditHistoryDto {
        current_version: current,
        versions: versions.iter().map(EditVersionDto::new).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PreviewQuery {
    /// Long edge in pixels (64 to 2560); 1440 by default.
    size: Option<u32>,
}

/// `POST /assets/{id}/edit/preview`: renders a candidate recipe (the body)
/// at screen size and returns the JPEG, without saving anything.
#[utoipa::path(post, path = "/api/v1/assets/{id}/edit/preview", tag = "editing",
    params(("id" = String, Path, description = "The asset's id"), PreviewQuery),
    request_body(content = Object, content_type = "application/json",
        description = "A candidate edit recipe (docs/edit-recipe.md); nothing is saved"),
    responses((status = 200, description = "The JPEG the recipe gives", content_type = "image/jpeg", body = Vec<u8>,
        headers(("X-Working-Copy" = String, description = "`decoded` (the photo was opened for this) or `cached`")))))]
pub(crate) async fn preview(
    path: web::Path<String>,
    query: web::Query<PreviewQuery>,
    body: Bytes,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // Previews spend CPU on candidate edits: an editor's scope, not a reader's.
    let asset = owned_asset(&state, &auth, Scope::Edit, &path).await?;
    let size = query.size.unwrap_or(1440);
    if !(64..=MAX_PREVIEW_EDGE).contains(&size) {
        return Err(invalid_field(
            "size",
            format!("must be between 64 and {MAX_PREVIEW_EDGE}"),
        ));
    }
    let recipe = parse_recipe(&body)?;
    refuse_unrenderable(&asset)?;
    // The editor works on what an edit develops (a pair's RAW).
    let original = fetch_original(&state, &asset, true);
    let preview = state
        .editing
        .preview(asset.id, original, recipe, size)
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            "X-Working-Copy",
            if preview.decoded { "decoded" } else { "cached" },
        ))
        .insert_header(("X-Image-Width", preview.width.to_string()))
        .insert_header(("X-Image-Height", preview.height.to_string()))
        .body(preview.jpeg))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ExportQuery {
    /// `jpeg` (default) or `tiff16`.
    format: Option<String>,
    /// JPEG quality, 1 to 100 (92 by default).
    quality: Option<u8>,
    /// Embed the photo's description as XMP (rating, colour label, title,
    /// caption, keywords, creator, copyright), as the `/xmp` sidecar has it.
    xmp: Option<bool>,
}

/// The current version at full resolution, as a download.
#[utoipa::path(get, path = "/api/v1/assets/{id}/export", tag = "editing",
    params(("id" = String, Path, description = "The asset's id"), ExportQuery),
    responses((status = 200, description = "The file (an attachment named after the photo and version)", content(
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/tiff"),
    ))))]
pub(crate) async fn export(
    path: web::Path<String>,
    query: web::Query<ExportQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = owned_asset(&state, &auth, Scope::Read, &path).await?;
    let format = match (query.format.as_deref().unwrap_or("jpeg"), query.quality) {
        ("jpeg" | "jpg", quality) => {
            let quality = quality.unwrap_or(92);
            if !(1..=100).contains(&quality) {
                return Err(invalid_field("quality", "must be between 1 and 100".into()));
            }
            ExportFormat::Jpeg { quality }
        }
        ("tiff16", None) => ExportFormat::Tiff16,
        ("tiff16", Some(_)) => {
            return Err(invalid_field(
                "quality",
                "applies to jpeg only; tiff16 is lossless".into(),
            ));
        }
        (other, _) => {
            return Err(invalid_field(
                "format",
                format!("must be jpeg or tiff16, not {other:?}"),
            ));
        }
    };
    refuse_unrenderable(&asset)?;
    let xmp = query
        .xmp
        .unwrap_or(false)
        .then(|| darkroom_pipeline::xmp::write_packet(&super::sidecars::description_of(&asset)));
    if let (Some(packet), ExportFormat::Jpeg { .. }) = (&xmp, format)
        && packet.len() > darkroom_pipeline::xmp::MAX_JPEG_PACKET
    {
        return Err(invalid_field(
            "xmp",
            format!(
                "the photo's description is {} bytes of XMP, more than a JPEG holds ({}); \
                 export as tiff16 or shorten it",
                packet.len(),
                darkroom_pipeline::xmp::MAX_JPEG_PACKET
            ),
        ));
    }
    let export = start_export(&state, &asset, format, xmp).await?;
    let length = export.head.length;
    // The file as it is encoded (a TIFF strip by strip); a client that goes
    // away stops the export.
    let body = crate::streams::from_receiver(export.chunks).map(Ok::<_, std::io::Error>);
    Ok(HttpResponse::Ok()
        .content_type(format.media_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            header::ContentDisposition::attachment(export_file_name(&asset, format)),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .no_chunking(length)
        .streaming(body))
}

/// Starts the full-size export of the asset's current edit (its turn, its
/// original read when the turn comes), metered as the owner's download: for
/// the export route and the edited files of a ZIP alike.
pub(crate) async fn start_export(
    state: &AppState,
    asset: &AssetRecord,
    format: ExportFormat,
    xmp: Option<String>,
) -> Result<ExportStream, ApiError> {
    let (recipe, recipe_hash) = current_recipe(&state.catalog, &asset.id).await?;
    let original = fetch_original(state, asset, !recipe_hash.is_empty());
    let export = state.editing.export(original, recipe, format, xmp).await?;
    state.meter.add(
        &asset.owner,
        UsageKind::OriginalBytesDownloaded,
        export.head.length,
    );
    Ok(export)
}

/// An export's file name: the original's stem and the edit version
/// (`IMG_1234-v2.jpg`).
pub(crate) fn export_file_name(asset: &AssetRecord, format: ExportFormat) -> String {
    format!(
        "{}-v{}.{}",
        super::file_stem(&asset.original_name),
        asset.edit.version,
        format.extension()
    )
}

/// The file an edit starts from (`edited`: a pair's RAW) or the unedited
/// look (a pair's JPEG), read when awaited: the renderer awaits it only
/// when it needs the bytes (no cached working copy; its export's turn).
fn fetch_original(
    state: &AppState,
    asset: &AssetRecord,
    edited: bool,
) -> impl std::future::Future<Output = Result<Bytes, WorkerError>> + use<> {
    let (blobs, catalog, asset) = (state.blobs.clone(), state.catalog.clone(), asset.clone());
    async move {
        let (hash, _) = catalog.render_source(&asset, edited).await?;
        Ok(blobs.get(&hash).await?)
    }
}

/// A 422 for a format this build stores but cannot decode.
fn refuse_unrenderable(asset: &AssetRecord) -> Result<(), ApiError> {
    if super::assets::can_render(asset) {
        return Ok(());
    }
    Err(ApiError::Unprocessable {
        code: ErrorCode::EditUnsupported,
        message: format!(
            "{} is not decoded by this build, so it cannot be edited",
            asset.format
        ),
    })
}
