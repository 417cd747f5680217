//! Telemetry in the Prometheus text format: the process-wide recorder, the
//! per-request counters, and what is read at scrape time (the job queue, the
//! catalog's pool, the process' memory and CPU).
//!
//! Every metric is named `darkroom_…`. Crates below this one record through
//! the `metrics` facade; this module installs the one recorder they all
//! reach, and renders it for `GET /metrics` (admin token) or for the
//! separate `--metrics-listen` address (no credentials: a private network).

use std::sync::OnceLock;
use std::time::Duration;

use darkroom_storage::Catalog;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Histogram buckets for every `…_seconds` metric: from a cached catalog
/// read (1 ms) to a RAW develop or a slow upload (a minute).
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The process' metrics. One per process, from [`Telemetry::global`].
pub struct Telemetry {
    handle: PrometheusHandle,
    process: metrics_process::Collector,
}

impl Telemetry {
    /// The process-wide recorder, installed on first use. (If something else
    /// installed a recorder first, this one still renders, but stays empty.)
    pub fn global() -> &'static Telemetry {
        static TELEMETRY: OnceLock<Telemetry> = OnceLock::new();
        TELEMETRY.get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
                .expect("invariant: the bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics will be empty");
            }
            let process = metrics_process::Collector::new("darkroom_");
            process.describe();
            describe();
            // Present from the start, so that dashboards show 0, not "no data".
            metrics::gauge!("darkroom_draining").set(0.0);
            Telemetry { handle, process }
        })
    }

    /// The text a scraper reads, with the scrape-time gauges brought up to date.
    pub async fn render(&self, catalog: &Catalog) -> String {
        self.process.collect();
        record_pool(catalog);
        record_jobs(catalog).await;
        record_replication(catalog).await;
        self.handle.render()
    }
}

/// `darkroom_catalog_pool_connections{state}`.
fn record_pool(catalog: &Catalog) {
    let usage = catalog.pool_usage();
    let gauge = |state: &'static str, n: u32| {
        metrics::gauge!("darkroom_catalog_pool_connections", "state" => state).set(f64::from(n));
    };
    gauge("open", usage.open);
    gauge("idle", usage.idle);
    gauge("in_use", usage.open.saturating_sub(usage.idle));
    gauge("max", usage.max);
}

/// `darkroom_jobs{kind, state}` and `darkroom_jobs_oldest_queued_seconds{kind}`,
/// read from the queue itself: every process sees the whole cluster's queue.
async fn record_jobs(catalog: &Catalog) {
    let gauges = match catalog.job_gauges().await {
        Ok(gauges) => gauges,
        Err(e) => {
            // The scrape still answers (the process' own metrics are worth
            // having while the catalog is away); the gauges keep their
            // last values and the error count says why.
            metrics::counter!("darkroom_metrics_scrape_errors_total").increment(1);
            tracing::warn!(error = %e, "could not read the job queue for /metrics");
            return;
        }
    };
    let mut oldest: std::collections::BTreeMap<String, i64> = Default::default();
    for g in &gauges {
        metrics::gauge!("darkroom_jobs", "kind" => g.kind.clone(), "state" => g.state.as_str())
            .set(g.count as f64);
        let entry = oldest.entry(g.kind.clone()).or_default();
        if let Some(age) = g.oldest_due_age_ms {
            *entry = (*entry).max(age);
        }
    }
    for (kind, age_ms) in oldest {
        metrics::gauge!("darkroom_jobs_oldest_queued_seconds", "kind" => kind)
            .set(Duration::from_millis(age_ms as u64).as_secs_f64());
    }
}

/// `darkroom_blobs_unreplicated`: blobs in use that the second site does
/// not hold yet (with `--replica-blobs`), the cluster's whole backlog.
async fn record_replication(catalog: &Catalog) {
    if !catalog.is_replicating_blobs() {
        return;
    }
    match catalog.unreplicated_blob_count().await {
        Ok(n) => metrics::gauge!("darkroom_blobs_unreplicated").set(n as f64),
        Err(e) => {
            metrics::counter!("darkroom_metrics_scrape_errors_total").increment(1);
            tracing::warn!(error = %e, "could not count unreplicated blobs for /metrics");
        }
    }
}

/// One request's line in `darkroom_http_requests_total` and
/// `darkroom_http_request_duration_seconds`, by route pattern (never the raw
/// path: ids would make a series per photo) and status.
pub(crate) fn record_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_string()),
        ("route", route.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!("darkroom_http_requests_total", &labels).increment(1);
    metrics::histogram!("darkroom_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
}

/// Help texts, shown by Prometheus and Grafana.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "darkroom_http_requests_total",
        "HTTP requests answered, by method, route pattern and status"
    );
    describe_histogram!(
        "darkroom_http_request_duration_seconds",
        "Time to answer an HTTP request (to its first byte for streamed bodies)"
    );
    describe_counter!(
        "darkroom_upload_bytes_total",
        "Bytes received in upload bodies (plain and tus), stored or not"
    );
    describe_counter!(
        "darkroom_uploads_total",
        "Uploads by outcome: created, duplicate, restored, refused (4xx) or failed (5xx)"
    );
    describe_histogram!(
        "darkroom_pipeline_stage_seconds",
        "Time spent in each pipeline stage, by stage and source format"
    );
    describe_gauge!(
        "darkroom_jobs",
        "Jobs in the queue by kind and state (the whole cluster's queue)"
    );
    describe_gauge!(
        "darkroom_jobs_oldest_queued_seconds",
        "How long the oldest due job of a kind has waited"
    );
    describe_counter!(
        "darkroom_job_attempts_total",
        "Job attempts by kind and outcome (done, retrying, failed: for good, lost_lease, released)"
    );
    describe_histogram!(
        "darkroom_job_seconds",
        "Time from lease to outcome of a job attempt"
    );
    describe_counter!(
        "darkroom_job_timeouts_total",
        "Job attempts abandoned past their time budget"
    );
    describe_counter!(
        "darkroom_job_lease_expiries_total",
        "Leases that ran out: jobs taken over from a stopped worker, or failed when it was their last attempt"
    );
    describe_counter!(
        "darkroom_worker_lease_errors_total",
        "Failed attempts to lease a job (the catalog did not answer)"
    );
    describe_counter!(
        "darkroom_helper_failures_total",
        "RAW/HEIF helper processes that crashed or ran out of time"
    );
    describe_counter!(
        "darkroom_album_member_notices_total",
        "Feed entries written for the others who see a changed photo through shared albums"
    );
    describe_histogram!(
        "darkroom_blob_store_op_seconds",
        "Blob store calls by operation"
    );
    describe_counter!(
        "darkroom_blob_store_errors_total",
        "Blob store calls that failed, by operation"
    );
    describe_gauge!(
        "darkroom_blobs_unreplicated",
        "Blobs in use that the second site (--replica-blobs) does not hold yet"
    );
    describe_gauge!(
        "darkroom_blob_primary_down",
        "1 while the primary blob store is passed over for the second site after a failure"
    );
    describe_counter!(
        "darkroom_blob_replica_reads_total",
        "Reads served by the second site, by operation and why (missing, corrupt, failed, primary_down)"
    );
    describe_counter!(
        "darkroom_blob_replica_writes_total",
        "Writes that went to the second site because the primary failed, by operation"
    );
    describe_counter!(
        "darkroom_blob_replications_total",
        "Blobs the replication jobs checked, by the direction they copied (none, to_replica, to_primary)"
    );
    describe_counter!(
        "darkroom_blob_replicated_bytes_total",
        "Bytes the replication jobs copied, by direction"
    );
    describe_histogram!(
        "darkroom_catalog_query_seconds",
        "Catalog statements by kind (select, insert, update, delete…)"
    );
    describe_histogram!(
        "darkroom_catalog_transaction_seconds",
        "Write transactions from asking for a connection to commit or rollback"
    );
    describe_gauge!(
        "darkroom_catalog_pool_connections",
        "Catalog connections: open, idle, in use, and the most the pool opens"
    );
    describe_counter!(
        "darkroom_rate_limit_refusals_total",
        "Requests refused with 429, by limiter (requests, login, shares)"
    );
    describe_counter!(
        "darkroom_webhook_deliveries_total",
        "Webhook delivery attempts by outcome (delivered, refused, unreachable, not_allowed)"
    );
    describe_counter!(
        "darkroom_stalled_bodies_total",
        "Request bodies failed because the client sent nothing for the stall timeout"
    );
    describe_counter!(
        "darkroom_exports_abandoned_total",
        "Full-size exports stopped because their client took no data for the stall timeout"
    );
    describe_gauge!(
        "darkroom_draining",
        "1 while the process drains before stopping (/readyz answers 503)"
    );
}
