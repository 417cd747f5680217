//! Administration: accounts, quotas, usage for billing, storage totals.
//! Every route needs an administrator's credentials with the `admin` scope.

use crate::ErrorCode;
use actix_web::{HttpResponse, web};
use darkroom_storage::catalog::{JobState, UsageRow, utc_day};
use darkroom_storage::{JobId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;
use crate::auth::{Authenticated, password};
use crate::dto::{UserDto, day_text};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub(crate) struct UserListDto {
    users: Vec<UserDto>,
}

/// Every account, with usage and quota.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    responses((status = 200, description = "The accounts", body = UserListDto)))]
pub(crate) async fn list_users(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let users = state.catalog.list_users().await?;
    Ok(HttpResponse::Ok().json(UserListDto {
        users: users.iter().map(UserDto::new).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUserBody {
    name: String,
    password: Option<String>,
    #[serde(default)]
    is_admin: bool,
    quota_bytes: Option<u64>,
}

/// Creates an account (with a password for web sign-in, a quota, admin rights).
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin",
    request_body = CreateUserBody,
    responses((status = 201, description = "The new account", body = UserDto)))]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchUserBody {
    /// A disabled account cannot sign in; its tokens stop working.
    disabled: Option<bool>,
    /// Bytes, or null for no quota.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<u64>)]
    quota_bytes: Option<Option<u64>>,
    /// A new password (ends the account's sessions).
    password: Option<String>,
}

/// Disables or enables an account, sets its quota or its password.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin",
    params(("id" = String, Path, description = "The user's id")),
    request_body = PatchUserBody,
    responses((status = 200, description = "The account now", body = UserDto)))]
pub(crate) async fn patch_user(
    path: web::Path<String>,
    body: web::Json<PatchUserBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let id: UserId = super::path_id(&path, "user")?;
    state.catalog.get_user(&id).await?;
    if body.disabled == Some(true) && id == *auth.user() {
        return Err(ApiError::Conflict {
            code: ErrorCode::CannotDisableSelf,
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

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct UsageQuery {
    /// First day, YYYY-MM-DD (UTC); default: 30 days before `to`.
    from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC); default: today.
    to: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// One user's day.
#[derive(Serialize, ToSchema)]
pub(crate) struct UsageRowDto {
    user_id: String,
    user: String,
    /// YYYY-MM-DD (UTC).
    day: String,
    bytes_stored: i64,
    bytes_uploaded: i64,
    bytes_downloaded_originals: i64,
    bytes_downloaded_renditions: i64,
    render_cpu_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UsageReportDto {
    from: String,
    to: String,
    rows: Vec<UsageRowDto>,
}

/// Usage per user per day (for billing), as JSON or CSV.
#[utoipa::path(get, path = "/api/v1/admin/usage", tag = "admin",
    params(UsageQuery),
    responses((status = 200, description = "The report", content(
        (UsageReportDto = "application/json"),
        (String = "text/csv"),
    ))))]
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
            ErrorCode::InvalidRange,
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
        None | Some("json") => Ok(HttpResponse::Ok().json(UsageReportDto {
            from: from.to_string(),
            to: to.to_string(),
            rows: rows.iter().map(usage_row).collect(),
        })),
        Some("csv") => Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"darkroom-usage-{from}-{to}.csv\""),
            ))
            .body(crate::usage_csv::usage_csv(&rows))),
        Some(_) => Err(ApiError::bad_request(
            ErrorCode::InvalidFormat,
            "format is json or csv",
        )),
    }
}

fn usage_row(r: &UsageRow) -> UsageRowDto {
    UsageRowDto {
        user_id: r.user.to_string(),
        user: r.user_name.clone(),
        day: day_text(r.day),
        bytes_stored: r.bytes_stored,
        bytes_uploaded: r.bytes_uploaded,
        bytes_downloaded_originals: r.bytes_downloaded_originals,
        bytes_downloaded_renditions: r.bytes_downloaded_renditions,
        render_cpu_ms: r.render_cpu_ms,
    }
}

/// What the store holds, and the space deduplication saves.
#[derive(Serialize, ToSchema)]
pub(crate) struct StorageDto {
    blobs: i64,
    stored_bytes: i64,
    original_bytes: i64,
    distinct_original_bytes: i64,
    saved_by_dedup_bytes: i64,
    rendition_bytes: i64,
    /// Unreferenced, waiting for the collector's grace period.
    orphaned_blobs: i64,
    orphaned_bytes: i64,
    /// YYYY-MM-DD (UTC).
    as_of_day: String,
}

/// Storage totals, and the space deduplication saves.
#[utoipa::path(get, path = "/api/v1/admin/storage", tag = "admin",
    responses((status = 200, description = "The totals", body = StorageDto)))]
pub(crate) async fn storage(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let t = state.catalog.storage_totals().await?;
    Ok(HttpResponse::Ok().json(StorageDto {
        blobs: t.blobs,
        stored_bytes: t.stored_bytes,
        original_bytes: t.original_bytes,
        distinct_original_bytes: t.distinct_original_bytes,
        saved_by_dedup_bytes: t.saved_by_dedup(),
        rendition_bytes: t.rendition_bytes,
        orphaned_blobs: t.orphaned_blobs,
        orphaned_bytes: t.orphaned_bytes,
        as_of_day: day_text(utc_day(darkroom_storage::now_ms())),
    }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UsageDriftDto {
    user_id: String,
    user: String,
    /// What was recorded.
    stored_bytes: i64,
    /// What the assets add up to (now recorded).
    counted_bytes: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RecomputedDto {
    corrected: Vec<UsageDriftDto>,
}

/// Recounts every user's usage from the assets they hold, fixes it, and
/// reports the differences.
#[utoipa::path(post, path = "/api/v1/admin/usage/recompute", tag = "admin",
    responses((status = 200, description = "The users whose usage was wrong", body = RecomputedDto)))]
pub(crate) async fn recompute_usage(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let drifts = state.catalog.recompute_usage().await?;
    Ok(HttpResponse::Ok().json(RecomputedDto {
        corrected: drifts
            .iter()
            .map(|d| UsageDriftDto {
                user_id: d.user.to_string(),
                user: d.name.clone(),
                stored_bytes: d.stored,
                counted_bytes: d.counted,
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct JobsQuery {
    /// `queued`, `running`, `done` or `failed`; all when absent.
    state: Option<String>,
    /// 1 to 500 (default 50).
    limit: Option<u32>,
    /// The last page's `next_cursor`.
    cursor: Option<String>,
}

/// One job of the queue.
#[derive(Serialize, ToSchema)]
pub(crate) struct JobDto {
    id: String,
    /// `render_renditions`, `deliver_webhook`.
    kind: String,
    asset_id: Option<String>,
    /// `queued`, `running`, `done` or `failed`.
    state: &'static str,
    attempts: u32,
    max_attempts: u32,
    /// Why the last attempt failed.
    last_error: Option<String>,
    /// When it runs (next).
    run_after: String,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct JobCountsDto {
    queued: i64,
    running: i64,
    done: i64,
    failed: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct JobsDto {
    /// The whole queue, by state.
    counts: JobCountsDto,
    /// Newest first.
    jobs: Vec<JobDto>,
    next_cursor: Option<String>,
}

/// The job queue: counts by state, and the jobs (newest first), with why
/// failed ones failed.
#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "admin", params(JobsQuery),
    responses((status = 200, description = "The queue", body = JobsDto)))]
pub(crate) async fn jobs(
    query: web::Query<JobsQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let filter = query
        .state
        .as_deref()
        .map(|s| {
            JobState::parse(s).map_err(|_| {
                super::invalid_field("state", "queued, running, done or failed".into())
            })
        })
        .transpose()?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(super::invalid_field("limit", "1 to 500".into()));
    }
    let before = query
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<JobId>().map_err(|_| {
                ApiError::bad_request(
                    ErrorCode::InvalidCursor,
                    "the cursor is not one this list gave out",
                )
            })
        })
        .transpose()?;
    let jobs = state
        .catalog
        .list_jobs(filter, before.as_ref(), limit)
        .await?;
    let counts = state.catalog.job_counts().await?;
    let next_cursor = (jobs.len() == limit as usize)
        .then(|| jobs.last().map(|j| j.id.to_string()))
        .flatten();
    Ok(HttpResponse::Ok().json(JobsDto {
        counts: JobCountsDto {
            queued: counts.queued,
            running: counts.running,
            done: counts.done,
            failed: counts.failed,
        },
        jobs: jobs
            .iter()
            .map(|j| JobDto {
                id: j.id.to_string(),
                kind: j.kind.clone(),
                asset_id: j.asset_id.map(|a| a.to_string()),
                state: j.state.as_str(),
                attempts: j.attempts,
                max_attempts: j.max_attempts,
                last_error: j.last_error.clone(),
                run_after: crate::dto::rfc3339(j.run_after),
                created_at: crate::dto::rfc3339(j.created_at),
                updated_at: crate::dto::rfc3339(j.updated_at),
            })
            .collect(),
        next_cursor,
    }))
}

/// Puts a failed job back in the queue with fresh attempts (`409` unless
/// it failed).
#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", tag = "admin",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 202, description = "Queued again", body = super::renditions::RequeuedDto)))]
pub(crate) async fn retry_job(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require_admin()?;
    let id: JobId = super::path_id(&path, "job")?;
    if !state.catalog.retry_job(&id).await? {
        return Err(ApiError::Conflict {
            code: ErrorCode::JobNotFailed,
            message: "only failed jobs can be retried (or there is no such job)".into(),
        });
    }
    state.waker.wake();
    Ok(HttpResponse::Accepted().json(super::renditions::RequeuedDto { requeued: 1 }))
}
