//! darkroom-workers: turns queued jobs into results.
//!
//! A [`Runner`] leases jobs from the catalog's durable queue, renews each lease
//! while it works, hands CPU work to a rayon pool sized to the cores (never the
//! async threads that serve HTTP), writes results back, and on failure
//! re-queues the job with exponential backoff until its attempts are spent.
//! A worker killed mid-job loses nothing: its lease runs out and another
//! worker (or the same one, restarted) takes the job over.

mod config;
mod editing;
mod error;
mod helper_process;
mod pool;
mod render;
mod replication;
mod runner;
mod telemetry;
mod webhook_targets;
mod webhooks;

pub use config::{WorkerConfig, jittered_backoff};
pub use editing::{EditRenderer, ExportStream, MAX_PREVIEW_EDGE, Preview, WORKING_COPY_EDGE};
pub use error::WorkerError;
pub use helper_process::RawHelper;
pub(crate) use helper_process::{HelperJob, working_copy_in_helper};
pub use pool::CpuPool;
pub use render::current_recipe;
pub use runner::{JobOutcome, Runner, Waker};
pub use telemetry::record_stages;
pub use webhook_targets::WebhookTargets;
pub use webhooks::{SIGNATURE_HEADER, signature};
