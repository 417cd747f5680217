//! Settings, layered: built-in defaults → TOML file → environment → flags.
//!
//! Clap already merges flags over `DARKROOM_*` variables; this module lays
//! those over the TOML file and the defaults, and splits the result into each
//! crate's own config struct.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use darkroom_api::ApiConfig;
use darkroom_pipeline::{Limits, ShrinkOnLoad};
use darkroom_storage::BlobConfig;
use darkroom_storage::maintenance::GcPolicy;
use darkroom_workers::{RawHelper, WebhookTargets, WorkerConfig};
use serde::Deserialize;

use crate::cli::{Cli, LogFormat};

/// The largest object S3's CopyObject copies (what publishing an upload uses).
const S3_LARGEST_COPY: u64 = 5 << 30;

/// The TOML file's keys (all optional; the README lists them).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    blobs: Option<String>,
    replica_blobs: Option<String>,
    listen: Option<SocketAddr>,
    workers: Option<usize>,
    job_lease_secs: Option<u64>,
    job_retry_base_ms: Option<u64>,
    job_max_attempts: Option<u32>,
    max_upload_bytes: Option<u64>,
    max_pixels: Option<u64>,
    shrink_on_load: Option<ShrinkOnLoad>,
    raw_timeout_secs: Option<u64>,
    log_format: Option<LogFormat>,
    trash_retention_days: Option<u64>,
    blob_grace_secs: Option<u64>,
    session_idle_days: Option<u64>,
    upload_expiry_hours: Option<u64>,
    requests_per_minute: Option<u64>,
    share_requests_per_minute: Option<u64>,
    trusted_proxies: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    behind_https: Option<bool>,
    delivery_concurrency: Option<u64>,
    header_timeout_secs: Option<u64>,
    keep_alive_secs: Option<u64>,
    max_connections: Option<u64>,
    upload_lifetime_hours: Option<u64>,
    max_open_uploads: Option<u64>,
    shared_originals_at_once: Option<u64>,
    job_timeout_secs: Option<u64>,
    metrics_listen: Option<SocketAddr>,
    drain_secs: Option<u64>,
    stop_timeout_secs: Option<u64>,
    webhooks_allow_private: Option<bool>,
}

/// Everything a subcommand needs, resolved.
#[derive(Debug)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub blobs: BlobConfig,
    /// A second site holding a copy of every blob (`--replica-blobs`).
    pub replica_blobs: Option<BlobConfig>,
    pub log_format: LogFormat,
    pub api: ApiConfig,
    pub workers: WorkerConfig,
    /// When trashed photos are purged and unreferenced blobs deleted.
    pub gc: GcPolicy,
    /// How the process is watched and stopped.
    pub process: ProcessSettings,
    /// Where the `darkroom-helper` executable was looked for and not found
    /// (camera RAW files then get renditions from their embedded previews
    /// only).
    pub missing_helper: Option<PathBuf>,
}

/// How a long-running process is watched and stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessSettings {
    /// A second address serving only /metrics, without credentials.
    pub metrics_listen: Option<SocketAddr>,
    /// How long /readyz answers 503 before the listener closes.
    pub drain: Duration,
    /// How long in-flight requests and jobs then get to finish.
    pub stop_timeout: Duration,
}

impl Settings {
    /// The blob store, with its second site when one is configured.
    pub fn open_blobs(&self) -> anyhow::Result<darkroom_storage::BlobStore> {
        use anyhow::Context as _;
        let blobs = match &self.replica_blobs {
            None => darkroom_storage::BlobStore::open(&self.blobs),
            Some(replica) => darkroom_storage::BlobStore::open_with_replica(&self.blobs, replica),
        };
        blobs.context("opening the blob store")
    }

    pub fn load(cli: &Cli) -> anyhow::Result<Self> {
        let file = match &cli.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let storage = cli.command.storage().cloned().unwrap_or_default();
        let data_dir = storage
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("darkroom-data"));
        let database_url = storage
            .database_url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()))
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("catalog.db").display()));
        let blobs = match storage.blobs.clone().or(file.blobs) {
            Some(spec) => BlobConfig::parse(&spec)?,
            None => BlobConfig::Local(data_dir.join("blobs")),
        };
        let replica_blobs = storage
            .replica_blobs
            .clone()
            .or(file.replica_blobs)
            .filter(|spec| !spec.is_empty())
            .map(|spec| BlobConfig::parse(&spec))
            .transpose()?;

        let mut limits = Limits::default();
        let serve = match &cli.command {
            crate::cli::Command::Serve(args) => Some(args),
            _ => None,
        };
        if let Some(bytes) = serve
            .and_then(|a| a.max_upload_bytes)
            .or(file.max_upload_bytes)
        {
            limits.max_upload_bytes = bytes;
        }
        if let Some(pixels) = file.max_pixels {
            limits.max_pixels = pixels;
        }

        let jobs = cli.command.jobs().cloned().unwrap_or_default();
        let mut workers = WorkerConfig {
            limits,
            ..WorkerConfig::default()
        };
        if let Some(n) = jobs.workers.or(file.workers) {
            workers.concurrency = n;
        }
        if let Some(n) = env_u64("DARKROOM_DELIVERY_CONCURRENCY")?.or(file.delivery_concurrency) {
            anyhow::ensure!(n >= 1, "delivery_concurrency must be at least 1");
            workers.delivery_concurrency = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(secs) = jobs.job_lease_secs.or(file.job_lease_secs) {
            anyhow::ensure!(secs >= 1, "job lease must be at least 1 second");
            workers.lease = Duration::from_secs(secs);
        }
        if let Some(ms) = jobs.job_retry_base_ms.or(file.job_retry_base_ms) {
            workers.retry_base = Duration::from_millis(ms);
        }
        if let Some(n) = jobs.job_max_attempts.or(file.job_max_attempts) {
            anyhow::ensure!(n >= 1, "jobs need at least one attempt");
            workers.max_attempts = n;
        }
        if let Some(secs) = jobs.job_timeout_secs.or(file.job_timeout_secs) {
            anyhow::ensure!(secs >= 1, "the job time budget must be at least 1 second");
            workers.job_time_budget = Duration::from_secs(secs);
        }
        workers.hold_each_job = jobs.fault_hold_job_ms.map(Duration::from_millis);
        // Where webhooks may go: checked when one is created (API) and at
        // every delivery (workers).
        workers.webhook_targets = WebhookTargets {
            allow_private: jobs.webhooks_allow_private
                || file.webhooks_allow_private.unwrap_or(false),
        };
        let process_args = cli.command.process().cloned().unwrap_or_default();
        let process = ProcessSettings {
            metrics_listen: process_args.metrics_listen.or(file.metrics_listen),
            drain: Duration::from_secs(process_args.drain_secs.or(file.drain_secs).unwrap_or(5)),
            stop_timeout: Duration::from_secs(
                process_args
                    .stop_timeout_secs
                    .or(file.stop_timeout_secs)
                    .unwrap_or(30),
            ),
        };
        workers.stop_grace = process.stop_timeout;
        let rendering = cli.command.rendering().cloned().unwrap_or_default();
        workers.shrink_on_load = rendering
            .shrink_on_load
            .or(file.shrink_on_load)
            .unwrap_or_default();
        // Camera RAW (and HEIF) files are decoded by the helper executable
        // built beside this one, in a child process.
        let missing_helper = match RawHelper::beside_current_exe() {
            Ok(helper) => {
                workers.raw_helper = Some(helper);
                None
            }
            Err(path) => Some(path),
        };
        let raw_timeout = rendering.raw_timeout_secs.or(file.raw_timeout_secs);
        if let (Some(helper), Some(secs)) = (workers.raw_helper.as_mut(), raw_timeout) {
            anyhow::ensure!(secs >= 1, "the RAW timeout must be at least 1 second");
            helper.timeout = Duration::from_secs(secs);
        }

        let gc_args = match &cli.command {
            crate::cli::Command::Gc(args) => Some(args),
            _ => None,
        };
        let mut gc = GcPolicy::default();
        let retention_days = match gc_args.and_then(|a| a.trash_retention_days) {
            Some(d) => Some(d),
            None => env_u64("DARKROOM_TRASH_RETENTION_DAYS")?.or(file.trash_retention_days),
        };
        if let Some(days) = retention_days {
            gc.trash_retention = Duration::from_secs(days * 86_400);
        }
        let grace_secs = match gc_args.and_then(|a| a.blob_grace_secs) {
            Some(s) => Some(s),
            None => env_u64("DARKROOM_BLOB_GRACE_SECS")?.or(file.blob_grace_secs),
        };
        if let Some(secs) = grace_secs {
            gc.blob_grace = Duration::from_secs(secs);
        }
        let mut api = ApiConfig {
            listen: serve
                .and_then(|a| a.listen)
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            limits,
            renditions: workers.renditions.clone(),
            job_attempts: workers.max_attempts,
            trash_retention: gc.trash_retention,
            stop_timeout: process.stop_timeout,
            webhook_targets: workers.webhook_targets,
            ..ApiConfig::default()
        };
        // S3 publishes an upload with one CopyObject, which takes at most 5 GiB.
        if matches!(blobs, BlobConfig::S3 { .. })
            || matches!(replica_blobs, Some(BlobConfig::S3 { .. }))
        {
            anyhow::ensure!(
                limits.max_upload_bytes <= S3_LARGEST_COPY,
                "max_upload_bytes is {} but an S3 blob store publishes uploads of at most 5 GiB",
                limits.max_upload_bytes
            );
        }
        if let Some(days) = env_u64("DARKROOM_SESSION_IDLE_DAYS")?.or(file.session_idle_days) {
            anyhow::ensure!(days >= 1, "sessions must last at least a day");
            api.session_idle = Duration::from_secs(days * 86_400);
        }
        // Per account; 0 turns the limit off (a trusted migration, say).
        // Bursts of ten seconds' worth (at least the default's).
        api.request_limits = per_minute_limits(
            env_u64("DARKROOM_REQUESTS_PER_MINUTE")?.or(file.requests_per_minute),
            |n| (n / 6).max(darkroom_api::RequestLimits::default().burst),
            api.request_limits,
        );
        // Per client address, on share-link routes; 0 turns the limit off.
        // An album's thumbnails load at once: bursts of a quarter minute's worth.
        api.share_limits = per_minute_limits(
            env_u64("DARKROOM_SHARE_REQUESTS_PER_MINUTE")?.or(file.share_requests_per_minute),
            |n| (n / 4).max(1),
            api.share_limits,
        );
        if let Some(at_once) =
            env_u64("DARKROOM_SHARED_ORIGINALS_AT_ONCE")?.or(file.shared_originals_at_once)
        {
            anyhow::ensure!(at_once >= 1, "shared_originals_at_once must be at least 1");
            api.shared_originals_at_once = usize::try_from(at_once).unwrap_or(usize::MAX);
        }
        if let Some(secs) = env_u64("DARKROOM_HEADER_TIMEOUT_SECS")?.or(file.header_timeout_secs) {
            anyhow::ensure!(secs >= 1, "header_timeout_secs must be at least 1");
            api.header_timeout = Duration::from_secs(secs);
        }
        if let Some(secs) = env_u64("DARKROOM_KEEP_ALIVE_SECS")?.or(file.keep_alive_secs) {
            api.keep_alive = Duration::from_secs(secs);
        }
        if let Some(n) = env_u64("DARKROOM_MAX_CONNECTIONS")?.or(file.max_connections) {
            anyhow::ensure!(n >= 1, "max_connections must be at least 1");
            api.max_connections_per_worker = usize::try_from(n).unwrap_or(usize::MAX);
        }
        let tls_cert = serve
            .and_then(|a| a.tls_cert.clone())
            .or(file.tls_cert.clone());
        let tls_key = serve
            .and_then(|a| a.tls_key.clone())
            .or(file.tls_key.clone());
        let tls_client_ca = serve
            .and_then(|a| a.tls_client_ca.clone())
            .or(file.tls_client_ca.clone());
        api.tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some(darkroom_api::TlsFiles {
                cert,
                key,
                client_ca: tls_client_ca,
            }),
            (None, None) => {
                anyhow::ensure!(
                    tls_client_ca.is_none(),
                    "tls_client_ca needs tls_cert and tls_key: mutual TLS is TLS first"
                );
                None
            }
            _ => anyhow::bail!("tls_cert and tls_key go together: give both, or neither"),
        };
        api.force_secure_cookies =
            serve.is_some_and(|a| a.behind_https) || file.behind_https.unwrap_or(false);
        let trusted = std::env::var("DARKROOM_TRUSTED_PROXIES")
            .ok()
            .or_else(|| file.trusted_proxies.clone());
        if let Some(list) = trusted {
            api.trusted_proxies = darkroom_api::TrustedProxies::parse(&list)
                .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        }
        if let Some(hours) =
            env_u64("DARKROOM_UPLOAD_LIFETIME_HOURS")?.or(file.upload_lifetime_hours)
        {
            anyhow::ensure!(hours >= 1, "upload_lifetime_hours must be at least 1");
            api.upload_lifetime = Duration::from_secs(hours * 3600);
        }
        if let Some(open) = env_u64("DARKROOM_MAX_OPEN_UPLOADS")?.or(file.max_open_uploads) {
            anyhow::ensure!(open >= 1, "max_open_uploads must be at least 1");
            api.max_open_uploads = u32::try_from(open).unwrap_or(u32::MAX);
        }
        if let Some(hours) = env_u64("DARKROOM_UPLOAD_EXPIRY_HOURS")?.or(file.upload_expiry_hours) {
            anyhow::ensure!(
                hours >= 1,
                "resumable uploads must be kept at least an hour"
            );
            api.upload_expiry = Duration::from_secs(hours * 3600);
        }
        Ok(Settings {
            data_dir,
            database_url,
            blobs,
            replica_blobs,
            log_format: cli.log_format.or(file.log_format).unwrap_or_default(),
            api,
            workers,
            gc,
            process,
            missing_helper,
        })
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("in {}", path.display()))
}

/// A whole number from the environment variable `name`, if set and not empty.
fn env_u64(name: &str) -> anyhow::Result<Option<u64>> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => {
            Ok(Some(v.parse().with_context(|| {
                format!("{name} must be a whole number")
            })?))
        }
        _ => Ok(None),
    }
}

/// Request limits from a per-minute setting: `0` turns them off; bursts are
/// `burst(per_minute)`. `None`: the setting is absent, keep `current`.
fn per_minute_limits(
    setting: Option<u64>,
    burst: impl Fn(u32) -> u32,
    current: Option<darkroom_api::RequestLimits>,
) -> Option<darkroom_api::RequestLimits> {
    match setting {
        Some(0) => None,
        Some(per_minute) => {
            let per_minute = u32::try_from(per_minute).unwrap_or(u32::MAX);
            Some(darkroom_api::RequestLimits {
                per_minute,
                burst: burst(per_minute),
            })
        }
        None => current,
    }
}
