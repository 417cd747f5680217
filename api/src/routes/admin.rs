//! Administration: accounts, quotas, usage for billing, storage totals.
//! Every route needs an administrator's credentials with the `admin` scope.

use actix_web::{HttpResponse, web};
use darkroom_storage::UserId;
use darkroom_storage::catalog::{UsageRow, utc_day};
use serde::Deserialize;
use serde_json::json;

use crate::ApiError;
use crate::auth::{Authenticated, password};
use crate::dto::{UserDto, day_text};
use crate::state::AppState;

pub(crate) async fn list_users(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let users = state.catalog.list_users().await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "users": users.iter().map(UserDto::new).collect::<Vec<_>>() })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUserBody {
    name: String,
    password: Option<String>,
    #[serde(default)]
    is_admin: bool,
    quota_bytes: Option<u64>,
}

pub(crate) async fn create_user(
    body: web::Json<CreateUserBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    crate::auth::check_user_name(&body.name)?;
    let hash = match &body.password {
        Some(p) => Some(password::hash_new(p).await?),
        None => None,
    };
    let user = state.catalog.create_user(&body.name, body.is_admin).await?;
    if let Some(hash) = hash {
        state.catalog.set_password_hash(&user.id, &hash).await?;
    }
    if body.quota_bytes.is_some() {
        state.catalog.set_quota(&user.id, body.quota_bytes).await?;
    }
    let user = state.catalog.get_user(&user.id).await?;
    Ok(HttpResponse::Created().json(UserDto::new(&user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchUserBody {
    disabled: Option<bool>,
    /// Bytes, or null for no quota.
    #[serde(default, deserialize_with = "super::present")]
    quota_bytes: Option<Option<u64>>,
    password: Option<String>,
}

pub(crate) async fn patch_user(
    path: web::Path<String>,
    body: web::Json<PatchUserBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let id: UserId = path.parse().map_err(|_| ApiError::NotFound("user"))?;
    state.catalog.get_user(&id).await?;
    if body.disabled == Some(true) && id == *auth.user() {
        return Err(ApiError::Conflict {
            code: "cannot_disable_self",
            message: "administrators cannot disable their own account".into(),
        });
    }
    if let Some(p) = &body.password {
        let hash = password::hash_new(p).await?;
        state.catalog.set_password_hash(&id, &hash).await?;
        state.catalog.close_all_sessions(&id).await?;
    }
    if let Some(quota) = body.quota_bytes {
        state.catalog.set_quota(&id, quota).await?;
    }
    if let Some(disabled) = body.disabled {
        state.catalog.set_user_disabled(&id, disabled).await?;
    }
    let user = state.catalog.get_user(&id).await?;
    Ok(HttpResponse::Ok().json(UserDto::new(&user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageQuery {
    /// First day, YYYY-MM-DD (UTC); default: 30 days before `to`.
    from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC); default: today.
    to: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// `GET /api/v1/admin/usage`: per user per day, as JSON or CSV.
pub(crate) async fn usage(
    query: web::Query<UsageQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let today = chrono::Utc::now().date_naive();
    let to = query
        .to
        .as_deref()
        .map(|t| super::parse_date("to", t))
        .transpose()?
        .unwrap_or(today);
    let from = match query.from.as_deref() {
        Some(f) => super::parse_date("from", f)?,
        None => to - chrono::Days::new(30),
    };
    if from > to || (to - from).num_days() > 3660 {
        return Err(ApiError::bad_request(
            "invalid_range",
            "from must not be after to, and the range at most ten years",
        ));
    }
    // Downloads are counted in memory for a few seconds; write them first.
    state.meter.flush(&state.catalog).await?;
    let rows = state
        .catalog
        .usage_report(
            darkroom_storage::catalog::day_number(from),
            darkroom_storage::catalog::day_number(to),
        )
        .await?;
    match query.format.as_deref() {
        None | Some("json") => Ok(HttpResponse::Ok().json(json!({
            "from": from.to_string(),
            "to": to.to_string(),
            "rows": rows.iter().map(usage_json).collect::<Vec<_>>(),
        }))),
        Some("csv") => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"darkroom-usage-{from}-{to}.csv\""),
            ))
            .body(crate::usage_csv::usage_csv(&rows))),
        Some(_) => Err(ApiError::bad_request(
            "invalid_format",
            "format is json or csv",
        )),
    }
}

fn usage_json(r: &UsageRow) -> serde_json::Value {
    json!({
        "user_id": r.user.to_string(),
        "user": r.user_name,
        "day": day_text(r.day),
        "bytes_stored": r.bytes_stored,
        "bytes_uploaded": r.bytes_uploaded,
        "bytes_downloaded_originals": r.bytes_downloaded_originals,
        "bytes_downloaded_renditions": r.bytes_downloaded_renditions,
        "render_cpu_ms": r.render_cpu_ms,
    })
}

/// `GET /api/v1/admin/storage`: totals, and the space deduplication saves.
pub(crate) async fn storage(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let t = state.catalog.storage_totals().await?;
    Ok(HttpResponse::Ok().json(json!({
        "blobs": t.blobs,
        "stored_bytes": t.stored_bytes,
        "original_bytes": t.original_bytes,
        "distinct_original_bytes": t.distinct_original_bytes,
        "saved_by_dedup_bytes": t.saved_by_dedup(),
        "rendition_bytes": t.rendition_bytes,
        "orphaned_blobs": t.orphaned_blobs,
        "orphaned_bytes": t.orphaned_bytes,
        "as_of_day": day_text(utc_day(darkroom_storage::now_ms())),
    })))
}

/// `POST /api/v1/admin/usage/recompute`: recounts every user's usage from
/// the assets they hold, fixes it, and reports the differences.
pub(crate) async fn recompute_usage(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let drifts = state.catalog.recompute_usage().await?;
    Ok(HttpResponse::Ok().json(json!({
        "corrected": drifts.iter().map(|d| json!({
            "user_id": d.user.to_string(),
            "user": d.name,
            "stored_bytes": d.stored,
            "counted_bytes": d.counted,
        })).collect::<Vec<_>>()
    })))
}
