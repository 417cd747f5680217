//! The command line: one file per subcommand.

pub mod admin;
pub mod import;
pub mod info;
pub mod maintenance;
pub mod migrate;
mod process;
pub mod render;
pub mod serve;
pub mod worker;

use darkroom_pipeline::ShrinkOnLoad;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// darkroom: a photo cloud backend.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Cli {
    /// A TOML settings file (see README for its keys).
    #[arg(long, global = true, env = "DARKROOM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log as plain text or JSON lines (to standard error).
    #[arg(long, global = true, env = "DARKROOM_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Plain,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP API with workers in-process.
    Serve(ServeArgs),
    /// Run workers only (many may share one PostgreSQL and one blob store).
    Worker(WorkerArgs),
    /// Apply catalog migrations and exit.
    Migrate(StorageArgs),
    /// Render renditions of local files into a folder, using all cores.
    Render(RenderArgs),
    /// Print what files are and what their cameras recorded, as JSON.
    Info(InfoArgs),
    /// Upload a folder of photos to a server: only what it lacks, resumably,
    /// with progress bars (see `darkroom import --help`).
    Import(import::ImportArgs),
    /// Manage accounts, tokens, quotas; read usage and storage totals.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Purge expired trash and delete blobs nothing refers to (after a grace period).
    Gc(GcArgs),
    /// Re-hash every stored blob and report any that are missing or whose bytes changed.
    Scrub(StorageArgs),
}

impl Command {
    /// Commands whose standard output is read by scripts log only warnings.
    pub fn is_quiet(&self) -> bool {
        matches!(
            self,
            Command::Admin(_)
                | Command::Import(_)
                | Command::Migrate(_)
                | Command::Render(_)
                | Command::Gc(_)
                | Command::Scrub(_)
        )
    }
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account.
    CreateUser(CreateUserArgs),
    /// Mint an API token for an account; prints the token alone on standard output.
    CreateToken(CreateTokenArgs),
    /// Set an account's web sign-in password, read from standard input.
    SetPassword(UserArgs),
    /// List accounts with their usage and quotas.
    ListUsers(StorageArgs),
    /// Disable an account: no sign-in, no token works, sessions end.
    Disable(UserArgs),
    /// Enable a disabled account again.
    Enable(UserArgs),
    /// Set an account's storage quota (e.g. 50G, 500M, 1T, or "none").
    SetQuota(SetQuotaArgs),
    /// Usage per user per day for billing, as CSV.
    Usage(UsageArgs),
    /// Storage totals, including the space deduplication saves.
    Storage(StorageArgs),
    /// Recount every user's usage, every blob's references and every timeline from the
    /// catalog's rows, fix them, and report any difference.
    Recount(StorageArgs),
}

impl AdminCommand {
    fn storage(&self) -> &StorageArgs {
        match self {
            AdminCommand::CreateUser(a) => &a.storage,
            AdminCommand::CreateToken(a) => &a.storage,
            AdminCommand::SetPassword(a) | AdminCommand::Disable(a) | AdminCommand::Enable(a) => {
                &a.storage
            }
            AdminCommand::SetQuota(a) => &a.storage,
            AdminCommand::Usage(a) => &a.storage,
            AdminCommand::ListUsers(a) | AdminCommand::Storage(a) | AdminCommand::Recount(a) => a,
        }
    }
}

#[derive(Args, Debug)]
pub struct UserArgs {
    /// The account name.
    pub name: String,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Args, Debug)]
pub struct SetQuotaArgs {
    /// The account name.
    pub name: String,
    /// Bytes, with an optional K/M/G/T suffix (powers of 1024), or "none".
    pub quota: String,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Args, Debug)]
pub struct UsageArgs {
    /// First day, YYYY-MM-DD (UTC) [default: 30 days before --to].
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC) [default: today].
    #[arg(long)]
    pub to: Option<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Args, Debug)]
pub struct GcArgs {
    /// Days a trashed photo can still be restored [default: 30].
    #[arg(long, env = "DARKROOM_TRASH_RETENTION_DAYS")]
    pub trash_retention_days: Option<u64>,
    /// Seconds an unreferenced blob is kept before deletion [default: 3600].
    #[arg(long, env = "DARKROOM_BLOB_GRACE_SECS")]
    pub blob_grace_secs: Option<u64>,
    #[command(flatten)]
    pub storage: StorageArgs,
}

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
    /// Backoff before a failed job's second attempt, in ms (doubles each time).
    #[arg(long, env = "DARKROOM_JOB_RETRY_BASE_MS")]
    pub job_retry_base_ms: Option<u64>,
    /// Attempts before a job is marked failed.
    #[arg(long, env = "DARKROOM_JOB_MAX_ATTEMPTS")]
    pub job_max_attempts: Option<u32>,
    /// Seconds one attempt of a job may run before it is abandoned and
    /// retried [default: 600].
    #[arg(long, env = "DARKROOM_JOB_TIMEOUT_SECS")]
    pub job_timeout_secs: Option<u64>,
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

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "DARKROOM_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Largest upload accepted, in bytes [default: 1 GiB].
    #[arg(long, env = "DARKROOM_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<u64>,
}

#[derive(Args, Debug)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
    #[command(flatten)]
    pub process: ProcessArgs,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Folder the renditions are written to (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// A rendition NAME:SIZE[:FORMAT[:QUALITY]], SIZE a long edge, WxH (fit
    /// inside) or WxH-cover (fill and crop), repeatable
    /// [default: thumb:256:jpeg:80 and preview:1440:jpeg:85].
    #[arg(long = "rendition")]
    pub renditions: Vec<String>,
    /// An edit recipe (a JSON file, see docs/edit-recipe.md) to render every
    /// file with.
    #[arg(long)]
    pub recipe: Option<PathBuf>,
    /// Threads to render on [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub rendering: RenderingArgs,
    /// The files to render.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The files to describe.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CreateUserArgs {
    /// The account name.
    pub name: String,
    /// Make the account an administrator.
    #[arg(long)]
    pub admin: bool,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Args, Debug)]
pub struct CreateTokenArgs {
    /// The account the token acts for.
    pub name: String,
    /// Scopes (read, upload, edit, admin), repeated or comma-separated
    /// [default: read,upload,edit, plus admin for administrators].
    #[arg(long = "scope", value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// A label for the token, shown when listing tokens.
    #[arg(long, default_value = "cli")]
    pub label: String,
    #[command(flatten)]
    pub storage: StorageArgs,
}

impl Command {
    /// The storage options, for commands that touch storage.
    pub fn storage(&self) -> Option<&StorageArgs> {
        match self {
            Command::Serve(a) => Some(&a.storage),
            Command::Worker(a) => Some(&a.storage),
            Command::Migrate(a) => Some(a),
            Command::Admin(a) => Some(a.storage()),
            Command::Gc(a) => Some(&a.storage),
            Command::Scrub(a) => Some(a),
            Command::Render(_) | Command::Info(_) | Command::Import(_) => None,
        }
    }

    /// The rendering options, for commands that render.
    pub fn rendering(&self) -> Option<&RenderingArgs> {
        match self {
            Command::Serve(a) => Some(&a.jobs.rendering),
            Command::Worker(a) => Some(&a.jobs.rendering),
            Command::Render(a) => Some(&a.rendering),
            _ => None,
        }
    }

    /// The process options, for the long-running commands.
    pub fn process(&self) -> Option<&ProcessArgs> {
        match self {
            Command::Serve(a) => Some(&a.process),
            Command::Worker(a) => Some(&a.process),
            _ => None,
        }
    }

    /// The job options, for commands that run workers.
    pub fn jobs(&self) -> Option<&JobArgs> {
        match self {
            Command::Serve(a) => Some(&a.jobs),
            Command::Worker(a) => Some(&a.jobs),
            _ => None,
        }
    }
}
