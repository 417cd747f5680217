//! `darkroom fsck`: checks every invariant the catalog and the blob store
//! keep (see `darkroom_storage::fsck`), safe beside running servers. Prints
//! one line per problem and exits 1 while any stands; `--repair` fixes what
//! is safe and says what it did.

use clap::Args;
use darkroom_storage::fsck::{FsckOptions, fsck};
use darkroom_storage::maintenance::COLLECTION_INTERVAL;

use super::StorageArgs;
use super::progress::Bars;
use crate::settings::Settings;

#[derive(Args, Debug)]
pub struct FsckArgs {
    /// Also read every blob in use and check that it hashes to its name
    /// (reads the whole store).
    #[arg(long)]
    pub verify_bytes: bool,
    /// Fix what is safe to fix: reference counts, usage and metering,
    /// timelines, renditions whose objects are gone (rendered again),
    /// assets never queued for rendering, overdue orphans; with
    /// --replica-blobs, blobs only one site holds (copied or queued).
    #[arg(long)]
    pub repair: bool,
    #[command(flatten)]
    pub storage: StorageArgs,
}

pub async fn run(settings: Settings, args: &FsckArgs) -> anyhow::Result<()> {
    let (catalog, blobs) = super::serve::open_storage(&settings).await?;
    let options = FsckOptions {
        verify_bytes: args.verify_bytes,
        repair: args.repair,
        blob_grace: settings.gc.blob_grace,
        // The servers collect every COLLECTION_INTERVAL; give them two.
        orphan_limit: settings.gc.blob_grace + 2 * COLLECTION_INTERVAL,
        render_attempts: settings.workers.max_attempts,
    };
    let progress = Bars::new("fsck");
    let report = fsck(&catalog, &blobs, options, &progress).await;
    progress.bar.finish_and_clear();
    catalog.close().await;
    let report = report?;

    for finding in &report.findings {
        println!("{finding}");
    }
    for repair in &report.repairs {
        println!("repaired: {repair}");
    }
    let standing = report.standing(args.repair).count();
    let hashed = if args.verify_bytes {
        format!(", {} bytes hashed", report.bytes_verified)
    } else {
        String::new()
    };
    let second_site = report
        .replica_objects
        .map_or(String::new(), |n| format!(" (and {n} on the second site)"));
    println!(
        "checked {} stored object(s){second_site}, {} blob(s) in use, {} user(s){hashed}: {} problem(s){}",
        report.objects,
        report.blobs_in_use,
        report.users,
        report.findings.len(),
        if args.repair {
            format!(", {} repair(s), {standing} standing", report.repairs.len())
        } else {
            String::new()
        }
    );
    if standing > 0 {
        let hint = if args.repair {
            "what is left needs a backup or a person (see each line)"
        } else {
            "run `darkroom fsck --repair` to fix what is safe to fix"
        };
        anyhow::bail!("{standing} problem(s) found: {hint}");
    }
    Ok(())
}
