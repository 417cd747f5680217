//! Places and the map, for the library's owner: `GET /api/v1/places`
//! (countries and cities with counts and covers) and `GET /api/v1/map` (the
//! positions of the photos). Places come from the bundled GeoNames data, at
//! upload or from `darkroom admin fill-places`; nothing here asks a network.

use actix_web::{HttpResponse, web};
use darkroom_storage::catalog::{PlaceCount, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::invalid_field;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;

/// A city of your library.
#[derive(Serialize, ToSchema)]
pub(crate) struct CityDto {
    city: String,
    /// Its first-level division (state, region, province), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    count: i64,
    /// The thumbnail of its newest photo.
    cover_url: String,
    /// Its photos: the library filtered by country and city.
    assets_url: String,
}

/// A country of your library, with its cities.
#[derive(Serialize, ToSchema)]
pub(crate) struct CountryDto {
    /// ISO 3166-1 alpha-2.
    country_code: String,
    country: String,
    count: i64,
    cover_url: String,
    assets_url: String,
    /// Most photos first.
    cities: Vec<CityDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PlacesDto {
    /// Most photos first.
    countries: Vec<CountryDto>,
}

/// Query strings are built from names: encode what a name may hold.
fn query_value(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Cities (most photos first) grouped by country (most photos first).
fn group(counts: Vec<PlaceCount>, thumb: &str) -> Vec<CountryDto> {
    let cover = |id: &darkroom_storage::AssetId| format!("/api/v1/assets/{id}/renditions/{thumb}");
    let mut countries: Vec<CountryDto> = Vec::new();
    for count in counts {
        let code = count.place.country_code.clone();
        let at = match countries.iter().position(|c| c.country_code == code) {
            Some(at) => at,
            None => {
                countries.push(CountryDto {
                    assets_url: format!("/api/v1/assets?country={code}"),
                    country_code: code.clone(),
                    country: count.place.country.clone(),
                    count: 0,
                    // The first city listed has the most photos: its cover.
                    cover_url: cover(&count.cover),
                    cities: Vec::new(),
                });
                countries.len() - 1
            }
        };
        let country = &mut countries[at];
        country.count += count.count;
        country.cities.push(CityDto {
            assets_url: format!(
                "/api/v1/assets?country={code}&city={}",
                query_value(&count.place.city)
            ),
            city: count.place.city,
            region: count.place.region,
            count: count.count,
            cover_url: cover(&count.cover),
        });
    }
    countries.sort_by(|a, b| b.count.cmp(&a.count).then(a.country.cmp(&b.country)));
    countries
}

/// Where your photos were taken: countries and their cities, with counts
/// and covers (photos in the trash are not counted).
#[utoipa::path(get, path = "/api/v1/places", tag = "library",
    responses((status = 200, description = "Countries and cities", body = PlacesDto)))]
pub(crate) async fn list(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let counts = state.catalog.place_counts(auth.user()).await?;
    Ok(HttpResponse::Ok().json(PlacesDto {
        countries: group(counts, &state.thumb_name()),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MapQuery {
    /// At most this many photos, newest uploads first: 1 to 100 000
    /// (default 20 000).
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MapDto {
    /// `[id, latitude, longitude]` of each photo with a position.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    points: Vec<(String, f64, f64)>,
    /// A photo's thumbnail: `{id}` replaced by its id.
    thumb_url: String,
    /// A photo: `{id}` replaced by its id.
    asset_url: String,
    /// True when the library has more located photos than `limit`.
    truncated: bool,
}

const DEFAULT_MAP_POINTS: u32 = 20_000;
const MAX_MAP_POINTS: u32 = 100_000;

/// The positions of your photos, for a map (compact: one array each).
#[utoipa::path(get, path = "/api/v1/map", tag = "library", params(MapQuery),
    responses((status = 200, description = "The photos' positions", body = MapDto)))]
pub(crate) async fn map(
    query: web::Query<MapQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let limit = query.limit.unwrap_or(DEFAULT_MAP_POINTS);
    if !(1..=MAX_MAP_POINTS).contains(&limit) {
        return Err(invalid_field("limit", format!("1 to {MAX_MAP_POINTS}")));
    }
    // One more than asked says whether there are more.
    let mut points = state.catalog.map_points(auth.user(), limit + 1).await?;
    let truncated = points.len() > limit as usize;
    points.truncate(limit as usize);
    Ok(HttpResponse::Ok().json(MapDto {
        points: points
            .into_iter()
            .map(|p| (p.asset.to_string(), p.at.latitude, p.at.longitude))
            .collect(),
        thumb_url: format!("/api/v1/assets/{{id}}/renditions/{}", state.thumb_name()),
        asset_url: "/api/v1/assets/{id}".into(),
        truncated,
    }))
}
