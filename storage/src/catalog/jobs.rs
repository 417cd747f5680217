//! The durable job queue.
//!
//! A job is `queued` until a worker leases it (`running`, with an owner and an
//! expiry). The worker renews the lease while it works and marks the job `done`
//! — or, on error, `queued` again with a backoff, until `max_attempts` is spent
//! and it becomes `failed`. A worker that dies simply stops renewing; once the
//! lease expires another worker leases the job again. Every update after the
//! lease checks `lease_owner`, so a worker that lost its lease cannot clobber
//! the new owner's result.

use std::time::Duration;

use sqlx::Row;

use serde::{Deserialize, Serialize};

use super::listing::{Bind, QueryText};
use super::{Catalog, Dialect, parse_id};
use crate::{AssetId, ContentHash, JobId, StorageError, UserId, now_ms};

/// The queue's `kind` for rendering an asset's renditions.
pub const RENDER_JOB_KIND: &str = "render_renditions";
/// The queue's `kind` for sending one webhook delivery.
pub const WEBHOOK_JOB_KIND: &str = "deliver_webhook";
/// The queue's `kind` for copying one blob to the second site.
pub const REPLICATE_JOB_KIND: &str = "replicate_blob";
/// The queue's `kind` for telling the other people who see a photo in a
/// shared album that it changed.
pub const TELL_MEMBERS_JOB_KIND: &str = "tell_album_members";
/// Attempts a replication gets: with backoffs doubling to an hour, about
/// six hours of a second site (or the primary) being away before the job
/// fails visibly (`fsck --repair` queues it again).
pub const REPLICATE_JOB_ATTEMPTS: u32 = 16;

/// A unit of work in the queue: what to do, by ids only. Stored as the
/// `kind` column and a JSON `payload` (`{"kind": …, …ids}`); the workers
/// match on it, the API and the catalog enqueue it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Render every default rendition of an asset.
    RenderRenditions {
        /// The asset to render.
        asset_id: AssetId,
    },
    /// Send one webhook delivery (queued by the catalog with the change).
    DeliverWebhook {
        /// The `webhook_deliveries` row.
        delivery_id: String,
    },
    /// Make both sites hold a blob (queued with its first reference when
    /// `--replica-blobs` is set): copied, verified, from whichever has it.
    ReplicateBlob {
        /// The blob.
        hash: ContentHash,
    },
    /// Write `album.assets_changed` to the feeds of the others who see a
    /// changed photo through a shared album (queued with the change; done
    /// in a transaction of its own, see `album_members.rs`).
    TellAlbumMembers {
        /// The photo that changed.
        asset_id: AssetId,
    },
}

impl Job {
    /// The queue's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::RenderRenditions { .. } => RENDER_JOB_KIND,
            Job::DeliverWebhook { .. } => WEBHOOK_JOB_KIND,
            Job::ReplicateBlob { .. } => REPLICATE_JOB_KIND,
            Job::TellAlbumMembers { .. } => TELL_MEMBERS_JOB_KIND,
        }
    }

    /// The asset the job is about, for the `asset_id` column (an asset's
    /// jobs go when it is deleted).
    fn asset(&self) -> Option<&AssetId> {
        match self {
            Job::RenderRenditions { asset_id } | Job::TellAlbumMembers { asset_id } => {
                Some(asset_id)
            }
            Job::DeliverWebhook { .. } | Job::ReplicateBlob { .. } => None,
        }
    }

    /// Reads a `payload` column.
    pub fn parse(payload: &str) -> Result<Self, StorageError> {
        serde_json::from_str(payload)
            .map_err(|e| StorageError::Corrupt(format!("a job this version does not know: {e}")))
    }

    fn payload(&self) -> String {
        serde_json::to_string(self).expect("invariant: jobs serialise")
    }
}

/// Which workers lease a job: renders use the CPU; webhook deliveries wait
/// on other people's servers (ten seconds each, a dozen attempts), and
/// replications on a second site's network, so each has loops of its own
/// and none can hold up anyone's thumbnails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobLane {
    Renders,
    Deliveries,
    Replication,
}

impl JobLane {
    pub const ALL: [JobLane; 3] = [JobLane::Renders, JobLane::Deliveries, JobLane::Replication];

    /// The lane's name, for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            JobLane::Renders => "renders",
            JobLane::Deliveries => "deliveries",
            JobLane::Replication => "replication",
        }
    }

    /// The lease statement's filter on `kind` (constants only).
    fn kind_filter(self) -> &'static str {
        match self {
            JobLane::Renders => "kind NOT IN ('deliver_webhook', 'replicate_blob')",
            JobLane::Deliveries => "kind = 'deliver_webhook'",
            JobLane::Replication => "kind = 'replicate_blob'",
        }
    }
}

/// A job to enqueue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewJob {
    pub job: Job,
    /// Attempts before it is marked failed.
    pub max_attempts: u32,
}

/// A job leased by a worker.
#[derive(Clone, Debug)]
pub struct LeasedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub asset_id: Option<AssetId>,
    /// This attempt's number, from 1.
    pub attempt: u32,
    pub max_attempts: u32,
    /// Leased after another worker's lease on it ran out (that worker died,
    /// hung or lost the database mid-job).
    pub taken_over: bool,
}

impl LeasedJob {
    /// What to do.
    pub fn job(&self) -> Result<Job, StorageError> {
        Job::parse(&self.payload)
    }
}

/// How many jobs of one kind are in one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobGauge {
    pub kind: String,
    pub state: JobState,
    pub count: i64,
    /// For queued jobs: how long the oldest one that is due has waited.
    pub oldest_due_age_ms: Option<i64>,
}

/// The life-cycle state of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    /// `queued`, `running`, `done` or `failed`.
    pub fn parse(s: &str) -> Result<Self, StorageError> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            other => return Err(StorageError::Corrupt(format!("job state {other:?}"))),
        })
    }
}

/// A job's state as the API shows it.
#[derive(Clone, Debug)]
pub struct JobStatus {
    pub id: JobId,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
}

/// A job as an administrator sees it.
#[derive(Clone, Debug)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: String,
    pub asset_id: Option<AssetId>,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
    /// When it may run (next), ms.
    pub run_after: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How many jobs are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

/// Queues `new` for `owner`, at its place in the owner's line (see
/// migration 0012): one past the owner's last queued job of its kind, and
/// never before the front of everyone's line.
pub(super) async fn insert_job(
    tx: &mut super::ledger::Tx,
    new: &NewJob,
    owner: &UserId,
    now: i64,
) -> Result<JobId, StorageError> {
    let kind = new.job.kind();
    // One round trip: the owner's last place and the line's front.
    let (owners_last, front): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT
             (SELECT MAX(place) FROM jobs WHERE state = 'queued' AND kind = $1 AND owner_id = $2),
             (SELECT MIN(place) FROM jobs WHERE state = 'queued' AND kind = $1)",
    )
    .bind(kind)
    .bind(owner.to_string())
    .fetch_one(&mut **tx)
    .await?;
    let place = owners_last
        .map_or(0, |last| last + 1)
        .max(front.unwrap_or(0));
    let id = JobId::new();
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, asset_id, state, attempts, max_attempts,
                           run_after, created_at, updated_at, owner_id, place)
         VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $6, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(kind)
    .bind(new.job.payload())
    .bind(new.job.asset().map(AssetId::to_string))
    .bind(i64::from(new.max_attempts))
    .bind(now)
    .bind(owner.to_string())
    .bind(place)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Queues the copy of `hash` to the second site (see `ledger::hold_blob`).
/// Owned by no one: the line is the lane's own, first come first served.
pub(super) async fn queue_replication(
    tx: &mut super::ledger::Tx,
    hash: &ContentHash,
) -> Result<(), StorageError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, asset_id, state, attempts, max_attempts,
                           run_after, created_at, updated_at, owner_id, place)
         VALUES ($1, $2, $3, NULL, 'queued', 0, $4, $5, $5, $5, NULL, 0)",
    )
    .bind(JobId::new().to_string())
    .bind(REPLICATE_JOB_KIND)
    .bind(Job::ReplicateBlob { hash: *hash }.payload())
    .bind(i64::from(REPLICATE_JOB_ATTEMPTS))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The lease statement for `lane`, with `lock`, the row-locking clause
/// (the one part that differs between databases): the runnable job lowest
/// in the line, oldest first among equals; or one whose worker's lease ran
/// out (taken over).
fn lease_sql(lane: JobLane, lock: &str) -> String {
    format!(
        "UPDATE jobs
         SET state = 'running', attempts = attempts + 1, lease_owner = $1,
             lease_expires_at = $2, updated_at = $3,
             taken_over = CASE WHEN state = 'running' THEN 1 ELSE 0 END,
             last_error = CASE WHEN state = 'running'
                 THEN 'the lease of worker ' || COALESCE(lease_owner, '?') || ' ran out during attempt '
                      || CAST(attempts AS TEXT) || '; taken over'
                 ELSE last_error END
         WHERE id = (
             SELECT id FROM jobs
             WHERE {filter} AND (
                 (state = 'queued' AND run_after <= $3)
                 OR (state = 'running' AND lease_expires_at < $3 AND attempts < max_attempts))
             ORDER BY place, run_after, id
             LIMIT 1 {lock})
         RETURNING id, kind, payload, asset_id, attempts, max_attempts, taken_over",
        filter = lane.kind_filter(),
    )
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Catalog {
    /// Leases the next runnable job of `lane` for `worker` until `lease`
    /// from now.
    pub async fn lease_job(
        &self,
        worker: &str,
        lease: Duration,
        lane: JobLane,
    ) -> Result<Option<LeasedJob>, StorageError> {
        let now = now_ms();
        // Jobs whose worker died on their last attempt cannot be leased again:
        // they fail here, visibly, instead of sitting in `running` forever.
        let abandoned = sqlx::query(
            "UPDATE jobs SET state = 'failed', lease_owner = NULL, updated_at = $1,
                 last_error = 'the worker running the last attempt stopped before finishing'
             WHERE state = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if abandoned > 0 {
            metrics::counter!("darkroom_job_lease_expiries_total", "outcome" => "failed")
                .increment(abandoned);
            tracing::warn!(
                jobs = abandoned,
                "failed jobs whose last attempt's worker stopped"
            );
        }
        let sql = match self.dialect {
            // One writer at a time: the statement is atomic as it stands.
            Dialect::Sqlite => lease_sql(lane, ""),
            // SKIP LOCKED lets many workers lease different jobs at once
            // instead of queueing behind one row lock.
            Dialect::Postgres => lease_sql(lane, "FOR UPDATE SKIP LOCKED"),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(worker)
            .bind(now + ms(lease))
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(LeasedJob {
            id: parse_id("jobs.id", &row.try_get::<String, _>("id")?)?,
            kind: row.try_get("kind")?,
            payload: row.try_get("payload")?,
            asset_id: row
                .try_get::<Option<String>, _>("asset_id")?
                .map(|s| parse_id("jobs.asset_id", &s))
                .transpose()?,
            attempt: row.try_get::<i64, _>("attempts")?.clamp(0, u32::MAX as i64) as u32,
            max_attempts: row
                .try_get::<i64, _>("max_attempts")?
                .clamp(0, u32::MAX as i64) as u32,
            taken_over: row.try_get::<i64, _>("taken_over")? != 0,
        }))
    }

    /// Hands a leased job back to the queue at once, its attempt not counted
    /// (a worker stopping before it finished); false when the lease was lost.
    pub async fn release_job(&self, job: &JobId, worker: &str) -> Result<bool, StorageError> {
        let now = now_ms();
        let n = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, run_after = $1,
                 lease_owner = NULL, lease_expires_at = NULL, updated_at = $1
             WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(now)
        .bind(job.to_string())
        .bind(worker)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Jobs by kind and state, and for queued ones the age of the oldest
    /// that is due (ms): the `darkroom_jobs` gauges.
    pub async fn job_gauges(&self) -> Result<Vec<JobGauge>, StorageError> {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT kind, state, COUNT(*) AS n,
                    MIN(CASE WHEN state = 'queued' AND run_after <= $1 THEN run_after END) AS oldest_due
             FROM jobs GROUP BY kind, state",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(JobGauge {
                    kind: row.try_get("kind")?,
                    state: JobState::parse(&row.try_get::<String, _>("state")?)?,
                    count: row.try_get("n")?,
                    oldest_due_age_ms: row
                        .try_get::<Option<i64>, _>("oldest_due")?
                        .map(|at| (now - at).max(0)),
                })
            })
            .collect()
    }

    /// Extends `worker`'s lease; false when the lease was lost to another worker.
    pub async fn renew_lease(
        &self,
        job: &JobId,
        worker: &str,
        lease: Duration,
    ) -> Result<bool, StorageError> {
        let now = now_ms();
        let n = sqlx::query(
            "UPDATE jobs SET lease_expires_at = $1, updated_at = $2
             WHERE id = $3 AND lease_owner = $4 AND state = 'running'",
        )
        .bind(now + ms(lease))
        .bind(now)
        .bind(job.to_string())
        .bind(worker)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Marks a leased job done; false when the lease was lost meanwhile.
    pub async fn complete_job(&self, job: &JobId, worker: &str) -> Result<bool, StorageError> {
        let mut tx = self.begin_write().await?;
        let done = mark_done(&mut tx, job, worker).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Records a failed attempt: the job is queued again after `retry_after`,
    /// or becomes `failed` when attempts are spent (or `retry_after` is None:
    /// an error no retry can fix). Returns the job's new state.
    pub async fn fail_job(
        &self,
        job: &JobId,
        worker: &str,
        error: &str,
        retry_after: Option<Duration>,
    ) -> Result<JobState, StorageError> {
        let now = now_ms();
        let (retry_at, permanent) = match retry_after {
            Some(d) => (now + ms(d), 0i64),
            None => (now, 1),
        };
        let row = sqlx::query(
            "UPDATE jobs
             SET state = CASE WHEN $1 = 1 OR attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                 run_after = $2, last_error = $3, lease_owner = NULL, lease_expires_at = NULL,
                 updated_at = $4
             WHERE id = $5 AND lease_owner = $6 AND state = 'running'
             RETURNING state",
        )
        .bind(permanent)
        .bind(retry_at)
        .bind(error)
        .bind(now)
        .bind(job.to_string())
        .bind(worker)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => JobState::parse(&row.try_get::<String, _>("state")?),
            // Lost the lease: the new owner decides.
            None => Ok(JobState::Running),
        }
    }

    /// Puts an asset's failed jobs back in the queue with fresh attempts.
    pub async fn retry_failed_jobs(&self, asset: &AssetId) -> Result<u64, StorageError> {
        self.requeue_failed(FailedJobs::OfAsset, asset.to_string())
            .await
    }

    /// Puts one failed job back in the queue with fresh attempts; false if
    /// it is not (or no longer) failed.
    pub async fn retry_job(&self, id: &JobId) -> Result<bool, StorageError> {
        Ok(self.requeue_failed(FailedJobs::One, id.to_string()).await? == 1)
    }

    /// The failed jobs `which` names, queued again with fresh attempts.
    async fn requeue_failed(&self, which: FailedJobs, id: String) -> Result<u64, StorageError> {
        let column = match which {
            FailedJobs::OfAsset => "asset_id",
            FailedJobs::One => "id",
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_after = $1, updated_at = $1
             WHERE {column} = $2 AND state = 'failed'"
        ));
        Ok(sqlx::query(sql)
            .bind(now_ms())
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The render state of an asset: its newest render job.
    pub async fn latest_render_job(
        &self,
        asset: &AssetId,
    ) -> Result<Option<JobStatus>, StorageError> {
        Ok(self
            .latest_render_jobs(std::slice::from_ref(asset))
            .await?
            .pop()
            .map(|(_, job)| job))
    }

    /// The newest render job of each of many assets (one query, for a page
    /// of a listing); assets without one are absent.
    pub async fn latest_render_jobs(
        &self,
        assets: &[AssetId],
    ) -> Result<Vec<(AssetId, JobStatus)>, StorageError> {
        if assets.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryText::default();
        let kind = q.bind(Bind::Text(RENDER_JOB_KIND.to_string()));
        let ids = q.bind_list(assets.iter().map(|a| Bind::Text(a.to_string())));
        q.text = format!(
            "SELECT asset_id, id, state, attempts, max_attempts, last_error FROM jobs
             WHERE kind = {kind} AND asset_id IN ({ids})
             ORDER BY asset_id, created_at DESC, id DESC"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        let mut latest: Vec<(AssetId, JobStatus)> = Vec::new();
        for row in rows {
            let asset: AssetId = parse_id("jobs.asset_id", &row.try_get::<String, _>("asset_id")?)?;
            if latest.last().is_some_and(|(a, _)| *a == asset) {
                continue; // an older job of the same asset
            }
            latest.push((
                asset,
                JobStatus {
                    id: parse_id("jobs.id", &row.try_get::<String, _>("id")?)?,
                    state: JobState::parse(&row.try_get::<String, _>("state")?)?,
                    attempts: row.try_get::<i64, _>("attempts")?.max(0) as u32,
                    max_attempts: row.try_get::<i64, _>("max_attempts")?.max(0) as u32,
                    last_error: row.try_get("last_error")?,
                },
            ));
        }
        Ok(latest)
    }

    /// Jobs newest first (in `state`, when given), after the job `before`.
    pub async fn list_jobs(
        &self,
        state: Option<JobState>,
        before: Option<&JobId>,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, kind, asset_id, state, attempts, max_attempts, last_error, run_after,
                    created_at, updated_at
             FROM jobs WHERE ($1 = '' OR state = $1) AND ($2 = '' OR id < $2)
             ORDER BY id DESC LIMIT $3",
        )
        .bind(state.map_or("", JobState::as_str))
        .bind(before.map(JobId::to_string).unwrap_or_default())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let asset: Option<String> = row.try_get("asset_id")?;
                Ok(JobRecord {
                    id: parse_id("jobs.id", &row.try_get::<String, _>("id")?)?,
                    kind: row.try_get("kind")?,
                    asset_id: asset.map(|a| parse_id("jobs.asset_id", &a)).transpose()?,
                    state: JobState::parse(&row.try_get::<String, _>("state")?)?,
                    attempts: row.try_get::<i64, _>("attempts")?.max(0) as u32,
                    max_attempts: row.try_get::<i64, _>("max_attempts")?.max(0) as u32,
                    last_error: row.try_get("last_error")?,
                    run_after: row.try_get("run_after")?,
                    created_at: row.try_get("created_at")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// How many jobs are in each state (all kinds).
    pub async fn job_counts(&self) -> Result<JobCounts, StorageError> {
        let mut counts = JobCounts::default();
        for gauge in self.job_gauges().await? {
            *match gauge.state {
                JobState::Queued => &mut counts.queued,
                JobState::Running => &mut counts.running,
                JobState::Done => &mut counts.done,
                JobState::Failed => &mut counts.failed,
            } += gauge.count;
        }
        Ok(counts)
    }
}

pub(super) async fn mark_done(
    tx: &mut super::ledger::Tx,
    job: &JobId,
    worker: &str,
) -> Result<bool, StorageError> {
    let n = sqlx::query(
        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL,
             last_error = NULL, updated_at = $1
         WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
    )
    .bind(now_ms())
    .bind(job.to_string())
    .bind(worker)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Which failed jobs [`Catalog::requeue_failed`] puts back.
enum FailedJobs {
    /// Every failed job of an asset.
    OfAsset,
    /// One job, by id.
    One,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_unknown_kinds_are_refused() {
        for job in [
            Job::RenderRenditions {
                asset_id: AssetId::new(),
            },
            Job::DeliverWebhook {
                delivery_id: "0192-delivery".into(),
            },
        ] {
            let payload = job.payload();
            assert!(
                payload.contains(&format!("\"kind\":\"{}\"", job.kind())),
                "{payload}"
            );
            assert_eq!(Job::parse(&payload).unwrap(), job);
        }
        assert!(Job::parse("{\"kind\":\"nope\"}").is_err());
    }

    /// Rows queued before jobs were one type read as the same jobs.
    #[test]
    fn payloads_written_by_earlier_versions_still_parse() {
        let asset = AssetId::new();
        assert_eq!(
            Job::parse(&format!(
                "{{\"kind\":\"render_renditions\",\"asset_id\":\"{asset}\"}}"
            ))
            .unwrap(),
            Job::RenderRenditions { asset_id: asset }
        );
        assert_eq!(
            Job::parse("{\"kind\":\"deliver_webhook\",\"delivery_id\":\"d1\"}").unwrap(),
            Job::DeliverWebhook {
                delivery_id: "d1".into()
            }
        );
    }
}
