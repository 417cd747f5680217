//! The photo's description written out as XMP: a sidecar to download, and
//! the packet full-size exports embed when asked. Lightroom and darktable
//! read it back (rating, colour label, title, caption, keywords, creator,
//! copyright), so the work done here is not locked in.

use actix_web::{HttpResponse, http::header, web};
use darkroom_pipeline::Description;
use darkroom_storage::catalog::{AssetRecord, Scope};

use super::originals::attachment;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;

/// What the library says about the asset, as XMP carries it. The keyword
/// hierarchy read from the file goes back out only for paths whose every
/// level is still one of the asset's keywords (a keyword removed here is
/// not brought back through its path).
pub(crate) fn description_of(asset: &AssetRecord) -> Description {
    let library = &asset.library;
    let read_paths: Vec<String> = asset
        .exif
        .as_deref()
        .and_then(|m| serde_json::from_str::<Description>(m).ok())
        .map(|d| d.keyword_paths)
        .unwrap_or_default();
    let kept = |path: &String| {
        path.split('|')
            .map(|level| level.trim().to_lowercase())
            .all(|level| library.keywords.contains(&level))
    };
    Description {
        title: library.title.clone(),
        caption: library.caption.clone(),
        keywords: library.keywords.clone(),
        keyword_paths: read_paths.into_iter().filter(kept).collect(),
        creator: library.creator.clone(),
        copyright: library.copyright.clone(),
        label: library.color_label.clone(),
        rating: Some(library.rating),
        ..Description::default()
    }
}

/// The photo's XMP sidecar, named after the original (`IMG_1234.xmp`), as
/// Lightroom and darktable look for it beside the file.
#[utoipa::path(get, path = "/api/v1/assets/{id}/xmp", tag = "library",
    params(("id" = String, Path, description = "The asset's id")),
    responses((status = 200, description = "The XMP sidecar (an attachment)",
        content_type = "application/rdf+xml", body = String)))]
pub(crate) async fn sidecar(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = super::owned_asset(&state, &auth, Scope::Read, &path).await?;
    let packet = darkroom_pipeline::xmp::write_packet(&description_of(&asset));
    let stem = super::file_stem(&asset.original_name);
    Ok(HttpResponse::Ok()
        .content_type("application/rdf+xml; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            attachment(&format!("{stem}.xmp")),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(packet))
}
