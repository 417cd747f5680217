//! `GET /api/v1/timeline`: month buckets with their days and counts, enough
//! for a client to draw a scroll bar over the whole library without loading
//! it; then `GET /api/v1/assets?month=YYYY-MM` (or `day=`) for a bucket.

use actix_web::{HttpResponse, web};
use darkroom_storage::catalog::{Scope, TimelineDay};
use serde::Serialize;
use utoipa::ToSchema;

use super::assets::FilterQuery;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::day_text;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub(crate) struct TimelineDto {
    /// Assets in all buckets.
    total: i64,
    /// Newest first.
    months: Vec<MonthDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MonthDto {
    /// YYYY-MM.
    month: String,
    count: i64,
    /// Where the bucket's assets are listed.
    assets_url: String,
    /// Newest first.
    days: Vec<DayDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DayDto {
    /// YYYY-MM-DD.
    day: String,
    count: i64,
}

/// Month buckets with their days and counts, newest first: enough to draw a
/// scroll bar over the whole library; takes the listing's filters.
#[utoipa::path(get, path = "/api/v1/timeline", tag = "library", params(FilterQuery),
    responses((status = 200, description = "The buckets", body = TimelineDto)))]
pub(crate) async fn timeline(
    filter: web::Query<FilterQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let filter = filter.to_filter()?;
    let days = state.catalog.timeline(auth.user(), &filter).await?;
    Ok(HttpResponse::Ok().json(group_by_month(&days)))
}

/// Days (newest first) grouped into months (newest first).
fn group_by_month(days: &[TimelineDay]) -> TimelineDto {
    let mut months: Vec<MonthDto> = Vec::new();
    for d in days {
        let month = day_text(d.day)[..7].to_string();
        if months.last().is_none_or(|m| m.month != month) {
            months.push(MonthDto {
                assets_url: format!("/api/v1/assets?month={month}"),
                month,
                count: 0,
                days: Vec::new(),
            });
        }
        if let Some(m) = months.last_mut() {
            m.count += d.count;
            m.days.push(DayDto {
                day: day_text(d.day),
                count: d.count,
            });
        }
    }
    TimelineDto {
        total: months.iter().map(|m| m.count).sum(),
        months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_group_into_months() {
        let days = [
            TimelineDay {
                day: 20240301,
                count: 2,
            },
            TimelineDay {
                day: 20240229,
                count: 3,
            },
            TimelineDay {
                day: 20240201,
                count: 1,
            },
        ];
        let t = group_by_month(&days);
        assert_eq!(t.total, 6);
        assert_eq!(t.months.len(), 2);
        assert_eq!(
            (t.months[1].month.as_str(), t.months[1].count),
            ("2024-02", 4)
        );
        assert_eq!(t.months[1].days[0].day, "2024-02-29");
    }
}
