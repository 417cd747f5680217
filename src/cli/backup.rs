//! `darkroom backup` and `darkroom restore`: a consistent copy of the
//! catalog and the blobs it refers to, taken while servers keep running,
//! and brought back into an empty database or data folder (see
//! `darkroom_storage::backup`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use darkroom_storage::backup::{backup, restore};

use super::StorageArgs;
use super::progress::Bars;
use crate::settings::Settings;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The backup folder; backing up into the same one again copies only
    /// the blobs it lacks.
    #[arg(long)]
    pub out: PathBuf,
    /// Blobs copied at a time.
    #[arg(long, default_value_t = 8)]
    pub parallel: usize,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A folder written by `darkroom backup`.
    pub from: PathBuf,
    /// Blobs copied at a time.
    #[arg(long, default_value_t = 8)]
    pub parallel: usize,
    #[command(flatten)]
    pub storage: StorageArgs,
}

pub async fn run_backup(settings: Settings, args: &BackupArgs) -> anyhow::Result<()> {
    let (catalog, blobs) = super::serve::open_storage(&settings).await?;
    let progress = Bars::new("backup");
    let report = backup(
        &catalog,
        &settings.database_url,
        &blobs,
        &args.out,
        args.parallel,
        &progress,
    )
    .await;
    progress.bar.finish_and_clear();
    catalog.close().await;
    let report = report.with_context(|| format!("backing up into {}", args.out.display()))?;
    println!(
        "backed up the catalog as of {} and {} blob(s) ({} bytes) into {}: {} copied ({} bytes), \
         {} there from an earlier backup",
        report.manifest.taken_at,
        report.manifest.blobs,
        report.manifest.bytes,
        args.out.display(),
        report.copy.copied,
        report.copy.bytes,
        report.copy.present
    );
    Ok(())
}

pub async fn run_restore(settings: Settings, args: &RestoreArgs) -> anyhow::Result<()> {
    if settings.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data folder {}", settings.data_dir.display()))?;
    }
    let blobs = settings.open_blobs()?;
    let progress = Bars::new("restore");
    let restored = restore(
        &args.from,
        &settings.database_url,
        &blobs,
        args.parallel,
        &progress,
    )
    .await;
    progress.bar.finish_and_clear();
    let (catalog, report) =
        restored.with_context(|| format!("restoring {}", args.from.display()))?;
    catalog.close().await;
    println!(
        "restored the catalog as of {} and {} blob(s) ({} bytes) into {}: {} copied, {} there \
         already; check it with `darkroom fsck`",
        report.manifest.taken_at,
        report.manifest.blobs,
        report.manifest.bytes,
        blobs.describe(),
        report.copy.copied,
        report.copy.present
    );
    Ok(())
}
