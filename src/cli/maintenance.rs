//! `darkroom gc` and `darkroom scrub`: storage housekeeping, safe to run
//! while servers and workers use the same storage.

use clap::Args;
use darkroom_storage::maintenance::{GcPolicy, collect_garbage, scrub as scrub_blobs};

use super::StorageArgs;
use super::progress::Bars;
use crate::settings::Settings;
pub async fn gc(settings: Settings, _args: &GcArgs) -> anyhow::Result<()> {
    let (catalog, blobs) = super::serve::open_storage(&settings).await?;
    let policy = GcPolicy {
        scan_store: true,
        ..settings.gc
    };
    let report = collect_garbage(&catalog, &blobs, policy).await?;
    println!(
        "purged {} trashed asset(s) past {} days; deleted {} unreferenced blob(s) older than {} s, \
         {} untracked object(s), {} abandoned staging upload(s), {} expired resumable upload(s)",
        report.purged_assets,
        settings.gc.trash_retention.as_secs() / 86_400,
        report.deleted_blobs,
        settings.gc.blob_grace.as_secs(),
        report.deleted_untracked,
        report.swept_staging,
        report.expired_uploads
    );
    catalog.close().await;
    Ok(())
}

pub async fn scrub(settings: Settings, args: &ScrubArgs) -> anyhow::Result<()> {
    let (catalog, blobs) = super::serve::open_storage(&settings).await?;
    let progress = Bars::new("scrub");
    let report = scrub_blobs(&catalog, &blobs, args.repair, &progress).await?;
    progress.bar.finish_and_clear();
    catalog.close().await;
    println!(
        "checked {} blob(s), {} bytes: {} missing, {} corrupt",
        report.checked,
        report.bytes,
        report.missing.len(),
        report.corrupt.len()
    );
    if let Some(replica) = blobs.replica_only() {
        println!(
            "second site {}: checked {} copies: {} missing, {} corrupt",
            replica.describe(),
            report.replica_checked,
            report.replica_missing.len(),
            report.replica_corrupt.len()
        );
    }
    for hash in &report.missing {
        println!("missing {hash}");
    }
    for (name, actual) in &report.corrupt {
        println!("corrupt {name} (its bytes hash to {actual})");
    }
    for hash in &report.replica_missing {
        println!("missing on the second site {hash}");
    }
    for (name, actual) in &report.replica_corrupt {
        println!("corrupt on the second site {name} (its bytes hash to {actual})");
    }
    for hash in &report.restored {
        println!("restored {hash} from the second site");
    }
    for hash in &report.re_replicated {
        println!("rewrote the second site's copy of {hash}");
    }
    let hint = match (blobs.replica_only().is_some(), args.repair) {
        (true, false) => "run `darkroom scrub --repair` to rewrite bad copies from the other site",
        (true, true) => "neither site has an intact copy: restore them from a backup",
        (false, _) => "restore them from a backup",
    };
    anyhow::ensure!(
        report.is_clean(),
        "{} blob copies missing or corrupt: {hint}",
        report.standing()
    );
    Ok(())
}

#[derive(Args, Debug)]
pub struct ScrubArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Rewrite a missing or corrupt copy from the other site's intact one
    /// (with --replica-blobs).
    #[arg(long)]
    pub repair: bool,
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
