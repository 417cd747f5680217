use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use darkroom_pipeline::{Limits, RenditionSpec, ShrinkOnLoad};

use crate::{RawHelper, WebhookTargets};

/// How workers behave.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Jobs processed at once by this process (0: lease nothing).
    pub concurrency: usize,
    /// Webhook deliveries sent at once, in loops of their own (they wait on
    /// other people's servers, not on the CPU).
    pub delivery_concurrency: usize,
    /// How long a lease lasts without renewal; a dead worker's jobs are taken
    /// over after this long. Leases are renewed every third of it.
    pub lease: Duration,
    /// How often an idle worker polls the queue (enqueues in the same process
    /// wake it at once).
    pub poll_interval: Duration,
    /// Blobs copied to the second site at once (with `--replica-blobs`), in
    /// loops of their own: they wait on another site's network.
    pub replication_concurrency: usize,
    /// Longest backoff between attempts of a replication (a site may be
    /// away for hours; see `REPLICATE_JOB_ATTEMPTS`).
    pub replication_retry_max: Duration,
    /// Backoff before the second attempt; doubled for each further one.
    pub retry_base: Duration,
    /// Longest backoff between attempts.
    pub retry_max: Duration,
    /// Attempts before a job is marked failed.
    pub max_attempts: u32,
    /// Webhook deliveries wait longer between attempts — a partner's
    /// receiver may be down for hours: first this long, doubling …
    pub webhook_retry_base: Duration,
    /// … up to this long (about a day in all with the default attempts).
    pub webhook_retry_max: Duration,
    /// Decode limits.
    pub limits: Limits,
    /// Renditions every photo gets.
    pub renditions: Vec<RenditionSpec>,
    /// How far JPEGs are shrunk while decoding (speed against fidelity).
    pub shrink_on_load: ShrinkOnLoad,
    /// The process camera RAW files are decoded in; `None` (the default for
    /// library users and in-process tests) fails RAW renditions with a clear
    /// error instead of decoding them in this process.
    pub raw_helper: Option<RawHelper>,
    /// Memory for the working copies of photos being edited (previews),
    /// least recently used dropped first; about 50 MB each.
    pub edit_cache_bytes: usize,
    /// How long a full-size export waits for its client to take the next
    /// chunk before it is abandoned (a stalled reader would hold the one
    /// export slot and a CPU thread).
    pub export_stall_timeout: Duration,
    /// Where webhook deliveries may go (public addresses only by default).
    pub webhook_targets: WebhookTargets,
    /// Fault injection for crash tests: hold each job this long before
    /// writing its result, so a test can kill the process mid-job.
    pub hold_each_job: Option<Duration>,
    /// An attempt still running after this long is abandoned and retried
    /// (a hung store or a pathological file must not hold a worker forever).
    pub job_time_budget: Duration,
    /// When the process is told to stop, how long a job in progress may take
    /// to finish before it is handed back to the queue for another worker.
    pub stop_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            delivery_concurrency: 4,
            replication_concurrency: 4,
            replication_retry_max: Duration::from_secs(3600),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(600),
            max_attempts: 5,
            webhook_retry_base: Duration::from_secs(60),
            webhook_retry_max: Duration::from_secs(6 * 3600),
            limits: Limits::default(),
            renditions: RenditionSpec::defaults(),
            shrink_on_load: ShrinkOnLoad::default(),
            raw_helper: None,
            edit_cache_bytes: 512 << 20,
            hold_each_job: None,
            webhook_targets: WebhookTargets::default(),
            export_stall_timeout: Duration::from_secs(30),
            job_time_budget: Duration::from_secs(600),
            stop_grace: Duration::from_secs(20),
        }
    }
}

impl WorkerConfig {
    /// Backoff after failed attempt number `attempt` (from 1); see [`jittered_backoff`].
    pub fn backoff(&self, attempt: u32) -> Duration {
        jittered_backoff(self.retry_base, self.retry_max, attempt)
    }

    /// The backoff for a job of `kind`: webhook deliveries have their own,
    /// replications wait longer than renders at the end.
    pub fn backoff_for(&self, kind: &str, attempt: u32) -> Duration {
        use darkroom_storage::catalog::{REPLICATE_JOB_KIND, WEBHOOK_JOB_KIND};
        match kind {
            WEBHOOK_JOB_KIND => {
                jittered_backoff(self.webhook_retry_base, self.webhook_retry_max, attempt)
            }
            REPLICATE_JOB_KIND => {
                jittered_backoff(self.retry_base, self.replication_retry_max, attempt)
            }
            _ => self.backoff(attempt),
        }
    }
}

/// The wait after failed attempt number `attempt` (from 1):
/// `base · 2^(attempt−1)`, at most `max`, then stretched by a random 0–100 %
/// (backon's jitter), so that what failed together (jobs in a store outage,
/// importers cut off by a restart) comes back spread out, not all at once.
pub fn jittered_backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    ExponentialBuilder::default()
        .with_min_delay(base)
        .with_max_delay(max)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(attempt.saturating_sub(1).min(40) as usize)
        .unwrap_or(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_ceiling_with_jitter() {
        let config = WorkerConfig {
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(30),
            ..WorkerConfig::default()
        };
        // Within a millisecond: backon computes in f32 seconds.
        let close = Duration::from_millis(1);
        for (attempt, doubled) in (1..=6).zip([2, 4, 8, 16, 30, 30]) {
            let doubled = Duration::from_secs(doubled);
            let wait = config.backoff(attempt);
            assert!(
                wait + close >= doubled && wait <= doubled * 2 + close,
                "attempt {attempt}: {wait:?}"
            );
        }
        let firsts: std::collections::HashSet<_> = (0..20).map(|_| config.backoff(1)).collect();
        assert!(firsts.len() > 1, "jittered: {firsts:?}");
    }
}
