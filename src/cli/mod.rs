//! The command line: which subcommand runs, and with what. Each
//! subcommand's own arguments and code live in its file; options several
//! share are in `options.rs`.

pub mod admin;
pub mod backup;
pub mod blobs;
pub mod fsck;
pub mod import;
pub mod info;
pub mod maintenance;
pub mod migrate;
mod options;
mod process;
mod progress;
pub mod render;
pub mod serve;
pub mod worker;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use admin::AdminCommand;
pub use info::InfoArgs;
pub use maintenance::{GcArgs, ScrubArgs};
pub use options::{JobArgs, ProcessArgs, RenderingArgs, StorageArgs};
pub use render::RenderArgs;
pub use serve::ServeArgs;
pub use worker::WorkerArgs;

use crate::settings::Settings;

/// Runs the subcommand.
pub async fn run(command: &Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::run(settings, args).await,
        Command::Worker(args) => worker::run(settings, args).await,
        Command::Migrate(_) => migrate::run(settings).await,
        Command::Render(args) => render::run(settings, args),
        Command::Info(args) => info::run(args),
        Command::Import(args) => import::run(args).await,
        Command::Admin(command) => admin::run(settings, command).await,
        Command::Gc(args) => maintenance::gc(settings, args).await,
        Command::Scrub(args) => maintenance::scrub(settings, args).await,
        Command::Fsck(args) => fsck::run(settings, args).await,
        Command::Blobs(command) => blobs::run(settings, command).await,
        Command::Backup(args) => backup::run_backup(settings, args).await,
        Command::Restore(args) => backup::run_restore(settings, args).await,
    }
}

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
    /// Re-hash every blob in use (on both sites with --replica-blobs); report, or with --repair rewrite, bad copies.
    Scrub(ScrubArgs),
    /// Check every invariant of the catalog and the blob store, beside running
    /// servers; --repair fixes what is safe to fix.
    Fsck(fsck::FsckArgs),
    /// Back up the catalog and the blobs it refers to into a folder, while
    /// servers keep running (again into the same folder: only what is new).
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty database or data folder.
    Restore(backup::RestoreArgs),
    /// Work on the blob store as a whole: `migrate --to URL` copies every blob
    /// into another store.
    #[command(subcommand)]
    Blobs(blobs::BlobsCommand),
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
                | Command::Fsck(_)
                | Command::Backup(_)
                | Command::Restore(_)
                | Command::Blobs(_)
        )
    }
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
            Command::Scrub(a) => Some(&a.storage),
            Command::Fsck(a) => Some(&a.storage),
            Command::Backup(a) => Some(&a.storage),
            Command::Restore(a) => Some(&a.storage),
            Command::Blobs(c) => Some(c.storage()),
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
