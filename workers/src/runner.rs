//! The lease loop: lease, renew while working, record the outcome.

use std::sync::Arc;
use std::time::Duration;

use darkroom_storage::catalog::{JobLane, JobState, LeasedJob};
use darkroom_storage::{BlobStore, Catalog, JobId, StorageError, Store};
use tokio::sync::{Notify, watch};
use tracing::Instrument;

use darkroom_storage::catalog::Job;

use crate::{CpuPool, WorkerConfig, WorkerError};

/// What became of one leased job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    /// Finished and recorded.
    Done,
    /// Failed this attempt; queued again after the backoff.
    Retrying { after: Duration, error: String },
    /// Failed for good (attempts spent, or an error no retry can fix).
    Failed { error: String },
    /// Another worker took the job over (our lease ran out); nothing recorded.
    LostLease,
    /// This worker stopped before the job finished and handed it back to the
    /// queue, its attempt not counted, for another worker to take at once.
    Released,
}

/// Wakes idle workers in this process when a job is enqueued.
#[derive(Clone, Debug, Default)]
pub struct Waker(Arc<Notify>);

impl Waker {
    /// Tells idle workers to look at the queue now rather than at the next poll.
    pub fn wake(&self) {
        self.0.notify_waiters();
    }
}

/// Runs jobs from the catalog's queue.
#[derive(Clone)]
pub struct Runner {
    pub(crate) catalog: Catalog,
    pub(crate) blobs: BlobStore,
    /// Both, for what writes to both (renditions).
    pub(crate) store: Store,
    pub(crate) pool: CpuPool,
    pub(crate) config: Arc<WorkerConfig>,
    id: Arc<str>,
    waker: Waker,
    /// For webhook deliveries.
    pub(crate) http: reqwest::Client,
}

impl Runner {
    /// A runner with a unique worker id (leases are recorded under it).
    pub fn new(catalog: Catalog, blobs: BlobStore, pool: CpuPool, config: WorkerConfig) -> Self {
        let id = format!(
            "{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let http = config
            .webhook_targets
            .client(crate::webhooks::DELIVERY_TIMEOUT);
        Runner {
            store: Store::new(catalog.clone(), blobs.clone()),
            catalog,
            blobs,
            pool,
            config: Arc::new(config),
            id: id.into(),
            waker: Waker::default(),
            http,
        }
    }

    /// This worker's id, as recorded in `jobs.lease_owner`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A handle that wakes this runner's idle loops.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    /// Leases and runs one job, a render before a delivery; `None` when the
    /// queue has nothing runnable.
    pub async fn run_once(&self) -> Result<Option<(JobId, JobOutcome)>, StorageError> {
        let (_, never_stops) = watch::channel(false);
        for lane in JobLane::ALL {
            if let Some(ran) = self.lease_and_run(lane, never_stops.clone()).await? {
                return Ok(Some(ran));
            }
        }
        Ok(None)
    }

    /// Leases and runs one job of `lane`, handing it back if `stop` turns
    /// true and the job has not finished `config.stop_grace` later.
    async fn lease_and_run(
        &self,
        lane: JobLane,
        stop: watch::Receiver<bool>,
    ) -> Result<Option<(JobId, JobOutcome)>, StorageError> {
        let leased = self
            .catalog
            .lease_job(&self.id, self.config.lease, lane)
            .await?;
        let Some(job) = leased else {
            return Ok(None);
        };
        let span =
            tracing::info_span!("job", job_id = %job.id, kind = %job.kind, attempt = job.attempt);
        let id = job.id;
        let outcome = self.process(job, stop).instrument(span).await?;
        Ok(Some((id, outcome)))
    }

    /// Runs `config.concurrency` lease loops for renders,
    /// `config.delivery_concurrency` for webhook deliveries and, with a
    /// second site, `config.replication_concurrency` for copies, until `stop`
    /// turns true; a job in progress is finished first.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        // Replication needs a second site; without one its jobs wait (the
        // backlog gauge shows them) for a worker that has it.
        let replication = match self.blobs.replica_only() {
            Some(_) => self.config.replication_concurrency,
            None => 0,
        };
        tracing::info!(
            worker = %self.id,
            concurrency = self.config.concurrency,
            deliveries = self.config.delivery_concurrency,
            replication,
            "workers started"
        );
        let lanes = [
            (JobLane::Renders, self.config.concurrency),
            (JobLane::Deliveries, self.config.delivery_concurrency),
            (JobLane::Replication, replication),
        ];
        let loops: Vec<_> = lanes
            .into_iter()
            .flat_map(|(lane, n)| std::iter::repeat_n(lane, n))
            .map(|lane| tokio::spawn(self.clone().lease_loop(lane, stop.clone())))
            .collect();
        for handle in loops {
            let _ = handle.await;
        }
        tracing::info!(worker = %self.id, "workers stopped");
    }

    async fn lease_loop(self, lane: JobLane, mut stop: watch::Receiver<bool>) {
        // Set while the catalog does not answer, so that its return is logged once.
        let mut unreachable_since: Option<std::time::Instant> = None;
        while !*stop.borrow() {
            let idle = match self.lease_and_run(lane, stop.clone()).await {
                Ok(leased) => {
                    if let Some(since) = unreachable_since.take() {
                        tracing::info!(
                            after_ms = since.elapsed().as_millis() as u64,
                            "the catalog answers again; leasing jobs"
                        );
                    }
                    match leased {
                        Some(_) => continue,
                        None => true,
                    }
                }
                Err(e) => {
                    metrics::counter!("darkroom_worker_lease_errors_total").increment(1);
                    if unreachable_since.is_none() {
                        unreachable_since = Some(std::time::Instant::now());
                    }
                    tracing::warn!(error = %e, "could not lease a job; will try again");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = stop.changed() => {}
                    _ = self.waker.0.notified() => {}
                    _ = tokio::time::sleep(self.config.poll_interval) => {}
                }
            }
        }
    }

    async fn process(
        &self,
        job: LeasedJob,
        mut stop: watch::Receiver<bool>,
    ) -> Result<JobOutcome, StorageError> {
        crate::telemetry::record_lease(&job);
        let started = std::time::Instant::now();
        let heartbeat = tokio::spawn(self.clone().renew_lease(job.id));
        let budget = self.config.job_time_budget;
        let stopping = async {
            // Resolves `stop_grace` after `stop` turns true; never if it
            // never does (a closed channel means no one will stop us).
            while !*stop.borrow_and_update() {
                if stop.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            tokio::time::sleep(self.config.stop_grace).await;
        };
        let outcome = tokio::select! {
            result = tokio::time::timeout(budget, self.execute(&job)) => {
                let result = result.unwrap_or_else(|_| {
                    metrics::counter!("darkroom_job_timeouts_total", "kind" => job.kind.clone())
                        .increment(1);
                    Err(WorkerError::TimedOut(budget))
                });
                self.record_result(&job, result).await
            }
            // The work in progress is dropped (its CPU part finishes in the
            // pool and is discarded); whatever it stored is pinned or rolled
            // back, and the next worker starts afresh.
            () = stopping => self.hand_back(&job).await,
        };
        heartbeat.abort();
        let outcome = outcome?;
        match &outcome {
            JobOutcome::Done => tracing::info!("job done"),
            JobOutcome::Retrying { after, error } => {
                tracing::warn!(%error, retry_in_ms = after.as_millis() as u64, "job failed; will retry")
            }
            JobOutcome::Failed { error } => tracing::error!(%error, "job failed for good"),
            JobOutcome::LostLease => tracing::warn!("lease lost to another worker; result dropped"),
            JobOutcome::Released => {
                tracing::warn!("stopping: handed the unfinished job back to the queue")
            }
        }
        crate::telemetry::record_attempt(&job.kind, &outcome, started.elapsed());
        Ok(outcome)
    }

    /// Records how an attempt ended: done, or failed (queued again after a
    /// backoff, or for good).
    async fn record_result(
        &self,
        job: &LeasedJob,
        result: Result<bool, WorkerError>,
    ) -> Result<JobOutcome, StorageError> {
        Ok(match result {
            Ok(true) => JobOutcome::Done,
            Ok(false) => JobOutcome::LostLease,
            Err(e) => {
                let error = e.to_string();
                let retry_after = (e.is_retryable() && job.attempt < job.max_attempts)
                    .then(|| self.config.backoff_for(&job.kind, job.attempt));
                match self
                    .catalog
                    .fail_job(&job.id, &self.id, &error, retry_after)
                    .await?
                {
                    JobState::Queued => JobOutcome::Retrying {
                        after: retry_after.unwrap_or_default(),
                        error,
                    },
                    JobState::Failed => JobOutcome::Failed { error },
                    JobState::Running | JobState::Done => JobOutcome::LostLease,
                }
            }
        })
    }

    /// Gives an unfinished job back to the queue, its attempt not counted.
    async fn hand_back(&self, job: &LeasedJob) -> Result<JobOutcome, StorageError> {
        Ok(if self.catalog.release_job(&job.id, &self.id).await? {
            JobOutcome::Released
        } else {
            JobOutcome::LostLease
        })
    }

    /// Runs the job; Ok(false) when the lease was lost before recording.
    async fn execute(&self, job: &LeasedJob) -> Result<bool, WorkerError> {
        match job.job()? {
            Job::RenderRenditions { asset_id } => self.render_renditions(job, asset_id).await,
            Job::DeliverWebhook { delivery_id } => self.deliver_webhook(job, &delivery_id).await,
            Job::ReplicateBlob { hash } => self.replicate_blob(job, &hash).await,
            Job::TellAlbumMembers { asset_id } => {
                let told = self.catalog.tell_album_members(&asset_id).await?;
                metrics::counter!("darkroom_album_member_notices_total").increment(told);
                Ok(self.catalog.complete_job(&job.id, self.id()).await?)
            }
        }
    }

    /// Renews the lease every third of its length until aborted.
    async fn renew_lease(self, job: JobId) {
        let every = self.config.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            match self
                .catalog
                .renew_lease(&job, &self.id, self.config.lease)
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, "could not renew lease"),
            }
        }
    }
}
