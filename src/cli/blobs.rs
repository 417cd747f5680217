//! `darkroom blobs migrate --to URL`: copies every blob of the configured
//! store into another (a folder into S3, one bucket into another), beside
//! running servers. Streamed from the listing, several at a time, each
//! verified by its BLAKE3 name; whatever the target holds already is not
//! sent again, so an interrupted run resumes and a second run copies only
//! what is new. README gives the switch-over steps.

use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use darkroom_storage::blobs::copy_all_blobs;
use darkroom_storage::{BlobConfig, BlobStore};

use super::StorageArgs;
use super::progress::Bars;
use crate::settings::Settings;

#[derive(Subcommand, Debug)]
pub enum BlobsCommand {
    /// Copy every blob into another store (resumable, incremental, verified).
    Migrate(MigrateArgs),
}

impl BlobsCommand {
    pub fn storage(&self) -> &StorageArgs {
        match self {
            BlobsCommand::Migrate(a) => &a.storage,
        }
    }
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The store to copy into: a folder, file:///path, or
    /// s3://bucket[/prefix]?endpoint=… (credentials as for --blobs).
    #[arg(long)]
    pub to: String,
    /// Blobs copied at a time.
    #[arg(long, default_value_t = 16)]
    pub parallel: usize,
    #[command(flatten)]
    pub storage: StorageArgs,
}

pub async fn run(settings: Settings, command: &BlobsCommand) -> anyhow::Result<()> {
    match command {
        BlobsCommand::Migrate(args) => migrate(settings, args).await,
    }
}

async fn migrate(settings: Settings, args: &MigrateArgs) -> anyhow::Result<()> {
    let from = settings.open_blobs()?;
    let to_config = BlobConfig::parse(&args.to).context("reading --to")?;
    let to = BlobStore::open(&to_config).context("opening the store to copy into")?;
    anyhow::ensure!(
        from.describe() != to.describe(),
        "--to names the store the blobs are in already ({})",
        from.describe()
    );
    let progress = Bars::new("blobs migrate");
    let started = Instant::now();
    let report = copy_all_blobs(&from, &to, args.parallel, &progress).await;
    progress.bar.finish_and_clear();
    let report = report.with_context(|| format!("copying into {}", to.describe()))?;
    let secs = started.elapsed().as_secs_f64().max(0.001);
    println!(
        "copied {} blob(s) ({} bytes) from {} to {} in {secs:.1} s ({:.0} blobs/s, {:.1} MB/s); \
         {} were there already",
        report.copied,
        report.bytes,
        from.describe(),
        to.describe(),
        report.copied as f64 / secs,
        report.bytes as f64 / secs / 1e6,
        report.present
    );
    Ok(())
}
