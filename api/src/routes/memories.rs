//! `GET /api/v1/memories`: "on this day" — your photos taken on this
//! calendar day in earlier years, grouped by year, for the library page.

use actix_web::{HttpResponse, web};
use chrono::{Datelike, NaiveDate};
use darkroom_storage::catalog::Scope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::assets::describe_many;
use crate::ApiError;
use crate::ErrorCode;
use crate::auth::Authenticated;
use crate::dto::{AssetDto, Audience};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MemoriesQuery {
    /// The day it is where you are, YYYY-MM-DD (default: today in UTC).
    date: Option<String>,
}

/// One earlier year's photos of the day.
#[derive(Serialize, ToSchema)]
pub(crate) struct MemoryYearDto {
    year: u32,
    years_ago: u32,
    /// By time taken.
    assets: Vec<AssetDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MemoriesDto {
    /// The day asked for.
    date: String,
    /// Newest year first; empty when there is nothing to remember.
    years: Vec<MemoryYearDto>,
}

/// At most this many photos in all (a greeting, not an archive).
const MAX_MEMORIES: u32 = 200;

/// Your photos taken on this day in earlier years.
#[utoipa::path(get, path = "/api/v1/memories", tag = "library", params(MemoriesQuery),
    responses((status = 200, description = "Earlier years' photos of the day", body = MemoriesDto)))]
pub(crate) async fn memories(
    query: web::Query<MemoriesQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let date = match query.date.as_deref() {
        None => chrono::Utc::now().date_naive(),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ApiError::bad_request(ErrorCode::InvalidDate, "date must be a day like 2026-12-03")
        })?,
    };
    let year = u32::try_from(date.year()).unwrap_or(0);
    let photos = state
        .catalog
        .taken_on_this_day(auth.user(), year, date.month(), date.day(), MAX_MEMORIES)
        .await?;
    let described = describe_many(&state, &photos, &Audience::Owner).await?;
    let mut years: Vec<MemoryYearDto> = Vec::new();
    for (photo, dto) in photos.iter().zip(described) {
        let taken_year = photo.taken_day / 10_000;
        match years.last_mut() {
            Some(last) if last.year == taken_year => last.assets.push(dto),
            _ => years.push(MemoryYearDto {
                year: taken_year,
                years_ago: year.saturating_sub(taken_year),
                assets: vec![dto],
            }),
        }
    }
    Ok(HttpResponse::Ok().json(MemoriesDto {
        date: date.format("%Y-%m-%d").to_string(),
        years,
    }))
}
