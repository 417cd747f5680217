//! `GET /api/v1/assets/facets`: the values the library's camera, lens and
//! keyword filters can take, so a client can offer them as choices.

use actix_web::{HttpResponse, web};
use darkroom_storage::catalog::Scope;
use serde::Serialize;
use utoipa::ToSchema;

use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub(crate) struct FacetsDto {
    /// Most used first (at most 200 of each).
    cameras: Vec<CameraFacetDto>,
    lenses: Vec<LensFacetDto>,
    keywords: Vec<KeywordFacetDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CameraFacetDto {
    /// The `make` filter's value.
    make: Option<String>,
    /// The `model` filter's value.
    model: Option<String>,
    count: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LensFacetDto {
    lens: String,
    count: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct KeywordFacetDto {
    keyword: String,
    count: i64,
}

/// The cameras, lenses and keywords of your library (trash left out), with
/// how many photos each has.
#[utoipa::path(get, path = "/api/v1/assets/facets", tag = "library",
    responses((status = 200, description = "The choices", body = FacetsDto)))]
pub(crate) async fn facets(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let facets = state.catalog.library_facets(auth.user()).await?;
    Ok(HttpResponse::Ok().json(FacetsDto {
        cameras: facets
            .cameras
            .into_iter()
            .map(|c| CameraFacetDto {
                make: c.make,
                model: c.model,
                count: c.count,
            })
            .collect(),
        lenses: facets
            .lenses
            .into_iter()
            .map(|(lens, count)| LensFacetDto { lens, count })
            .collect(),
        keywords: facets
            .keywords
            .into_iter()
            .map(|(keyword, count)| KeywordFacetDto { keyword, count })
            .collect(),
    }))
}
