//! Options several subcommands share: where state is kept, how photos are
//! rendered, how jobs run, how a long-running process is watched and stopped.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use darkroom_pipeline::ShrinkOnLoad;

/// Where darkroom keeps its state.
#[derive(Args, Debug, Clone, Default)]
pub struct StorageArgs {
    /// Folder for the SQLite catalog and local blobs [default: ./darkroom-data].
    #[arg(long, env = "DARKROOM_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Catalog URL: sqlite:PATH or postgres://… [default: sqlite in the data dir; also read from DATABASE_URL].
    #[arg(long, env = "DARKROOM_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Blob store: a folder, file:///path, or s3://bucket[/prefix]?endpoint=… [default: <data dir>/blobs].
    #[arg(long, env = "DARKROOM_BLOBS")]
    pub blobs: Option<String>,
    /// A second site that keeps a copy of every blob (same forms as --blobs); reads fall back to it.
    #[arg(long, env = "DARKROOM_REPLICA_BLOBS")]
    pub replica_blobs: Option<String>,
}

/// How photos are rendered: shared by `serve`, `worker` and `render`.
#[derive(Args, Debug, Clone, Default)]
pub struct RenderingArgs {
    /// JPEG shrink-on-load: fast (sharp's rule) or exact (libvips' rule,
    /// previews as faithful as libvips', ~1.5× slower) [default: fast].
    #[arg(long, env = "DARKROOM_SHRINK_ON_LOAD")]
    pub shrink_on_load: Option<ShrinkOnLoad>,
    /// Seconds the RAW helper may take for one file before it is stopped [default: 60].
    #[arg(long, env = "DARKROOM_RAW_TIMEOUT_SECS")]
    pub raw_timeout_secs: Option<u64>,
}

/// Job-processing knobs shared by `serve` and `worker`.
#[derive(Args, Debug, Clone, Default)]
pub struct JobArgs {
    /// Jobs processed at once [default: one per core; 0 disables workers in `serve`].
    #[arg(long, env = "DARKROOM_WORKERS")]
    pub workers: Option<usize>,
    /// Seconds a job lease lasts before another worker may take the job over.
    #[arg(long, env = "DARKROOM_JOB_LEASE_SECS")]
    pub job_lease_secs: Option<u64>,
    /// Backoff before a failed job's second attempt, in ms (doubles each
    /// time, plus up to as much again at random).
    #[arg(long, env = "DARKROOM_JOB_RETRY_BASE_MS")]
    pub job_retry_base_ms: Option<u64>,
    /// Attempts before a job is marked failed.
    #[arg(long, env = "DARKROOM_JOB_MAX_ATTEMPTS")]
    pub job_max_attempts: Option<u32>,
    /// Seconds one attempt of a job may run before it is abandoned and
    /// retried [default: 600].
    #[arg(long, env = "DARKROOM_JOB_TIMEOUT_SECS")]
    pub job_timeout_secs: Option<u64>,
    /// Let webhooks reach private addresses (loopback, RFC 1918, link-local…)
    /// and plain http://, for receivers inside your own network. Off: only
    /// https:// receivers on public addresses.
    #[arg(long, env = "DARKROOM_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,
    #[command(flatten)]
    pub rendering: RenderingArgs,
    /// Fault injection for crash tests: hold every job this many ms before
    /// recording its result.
    #[arg(long, env = "DARKROOM_FAULT_HOLD_JOB_MS", hide = true)]
    pub fault_hold_job_ms: Option<u64>,
}

/// How a long-running process is watched and stopped: shared by `serve` and `worker`.
#[derive(Args, Debug, Clone, Default)]
pub struct ProcessArgs {
    /// Also serve GET /metrics (Prometheus) here, without credentials, for a
    /// scraper on a private network, e.g. 10.0.0.5:9464 [default: none; `serve`
    /// always has /metrics for an admin token].
    #[arg(long, env = "DARKROOM_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// On SIGTERM/SIGINT, seconds /readyz answers 503 while requests are still
    /// served, so that a load balancer takes the process out first [default: 5].
    #[arg(long, env = "DARKROOM_DRAIN_SECS")]
    pub drain_secs: Option<u64>,
    /// Then, seconds in-flight requests and jobs get to finish; an unfinished
    /// job is handed back to the queue for another worker [default: 30].
    #[arg(long, env = "DARKROOM_STOP_TIMEOUT_SECS")]
    pub stop_timeout_secs: Option<u64>,
}
