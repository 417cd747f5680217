//! `darkroom import DIR --server URL --token T`: moves a folder of photos
//! into a darkroom library over its HTTP API, the way an archive of millions
//! of files is migrated.
//!
//! One stream of files runs through bounded stages, so memory stays flat
//! however many files the folder holds:
//!
//! 1. the walk finds photos (and their XMP sidecars) one directory at a time;
//! 2. `check` by device id — the file's path, size and modification time — so
//!    a second run over the same folder reads no file it already sent;
//! 3. the rest are hashed (BLAKE3) in parallel and checked by their bytes, so
//!    photos already in the library from elsewhere are not sent again;
//! 4. what is still missing is uploaded over tus, a few at a time, resuming
//!    after network failures; sidecar fields are applied to new photos;
//! 5. everything, new or already there, goes into `--album` when given.
//!
//! Progress bars show files and bytes with rates and ETAs; the summary says
//! what was uploaded, what was already there and what failed, and why.

mod client;
mod sidecar;
mod walk;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use futures::{StreamExt, stream};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use client::{FileFacts, Refused, Server};
use walk::{Found, Skipped};

/// Files asked about per `check` request (the server takes up to 1000).
const CHECK_BATCH: usize = 500;
/// Failures listed by name in the summary; the rest are counted.
const LISTED_FAILURES: usize = 50;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The folder to import, walked recursively.
    pub dir: PathBuf,
    /// The server's address, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "DARKROOM_SERVER")]
    pub server: String,
    /// An API token with the `upload` and `read` scopes.
    #[arg(long, env = "DARKROOM_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Put every photo of the folder, new or already there, into this album
    /// (created when you have none of that name).
    #[arg(long)]
    pub album: Option<String>,
    /// Walk, hash and ask the server, but change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Uploads in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Files hashed at once (default: one per core).
    #[arg(long)]
    pub hash_threads: Option<usize>,
    /// Print the summary as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// A photo with its hash, on its way to the server.
struct Hashed {
    found: Found,
    blake3: String,
    device_asset_id: String,
}

/// Live Photo videos refused on their first try (their still may still have
/// been on its way): sent once more after everything else.
type SendAgain = Mutex<Vec<Hashed>>;

/// Counts kept as the files go by.
#[derive(Default)]
struct Tally {
    found: AtomicU64,
    found_bytes: AtomicU64,
    /// Files read and hashed (those the server did not know by device id).
    hashed: AtomicU64,
    uploaded: AtomicU64,
    uploaded_bytes: AtomicU64,
    /// Sent, but the server already held the bytes (a race, or the trash).
    duplicates: AtomicU64,
    /// Uploads that became the second file of a photo (RAW+JPEG).
    paired: AtomicU64,
    already_there: AtomicU64,
    would_upload: AtomicU64,
    would_upload_bytes: AtomicU64,
    not_photos: AtomicU64,
    sidecars_applied: AtomicU64,
    failed: AtomicU64,
    failures: Mutex<Vec<(String, String)>>,
    /// Asset ids waiting to go into the album.
    for_album: Mutex<Vec<String>>,
}

impl Tally {
    fn fail(&self, what: String, why: String) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut failures = self.failures.lock().expect("tally lock");
        if failures.len() < LISTED_FAILURES {
            failures.push((what, why));
        }
    }
}

/// The two bars: files settled of files found, bytes sent of bytes to send.
struct Progress {
    files: ProgressBar,
    bytes: ProgressBar,
}

impl Progress {
    fn new(hidden: bool) -> Self {
        let bars = MultiProgress::with_draw_target(if hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        });
        let files = bars.add(ProgressBar::new(0));
        files.set_style(
            ProgressStyle::with_template(
                "files {bar:30} {human_pos}/{human_len} {files_per_sec:>9} ETA {eta} {msg}",
            )
            .expect("invariant: template")
            .with_key(
                "files_per_sec",
                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", state.per_sec());
                },
            ),
        );
        let bytes = bars.add(ProgressBar::new(0));
        bytes.set_style(
            ProgressStyle::with_template(
                "bytes {bar:30} {bytes}/{total_bytes} {bytes_per_sec:>10} ETA {eta}",
            )
            .expect("invariant: template"),
        );
        Progress { files, bytes }
    }
}

pub async fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    anyhow::ensure!(args.dir.is_dir(), "{} is not a folder", args.dir.display());
    let server = Server::new(&args.server, &args.token)?;
    let needs: &[&str] = match (args.dry_run, args.album.is_some()) {
        (true, _) => &["read"],
        (false, false) => &["read", "upload"],
        // Sidecar fields and albums are edits.
        (false, true) => &["read", "upload", "edit"],
    };
    let user = server.who_am_i(needs).await?;
    let album = match (&args.album, args.dry_run) {
        (Some(name), false) => Some(
            server
                .album_named(name)
                .await
                .context("finding the album")?,
        ),
        _ => None,
    };
    let tally = Arc::new(Tally::default());
    let progress = Arc::new(Progress::new(args.json));
    let stop = Arc::new(AtomicBool::new(false));
    let fatal: Arc<Mutex<Option<anyhow::Error>>> = Arc::default();
    let hash_threads = args
        .hash_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let ctx = Stage {
        server: server.clone(),
        tally: tally.clone(),
        progress: progress.clone(),
        stop: stop.clone(),
        fatal: fatal.clone(),
        dry_run: args.dry_run,
        send_again: SendAgain::default(),
    };

    let found = walk::spawn(args.dir.clone(), stop.clone()).filter_map(|item| {
        let photo = match item {
            Ok(found) => {
                tally.found.fetch_add(1, Ordering::Relaxed);
                tally.found_bytes.fetch_add(found.size, Ordering::Relaxed);
                progress.files.inc_length(1);
                Some(found)
            }
            Err(Skipped::NotAPhoto) => {
                tally.not_photos.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(Skipped::Unreadable(path, why)) => {
                tally.fail(path.display().to_string(), why);
                None
            }
        };
        futures::future::ready(photo)
    });
    found
        .ready_chunks(CHECK_BATCH)
        .then(|batch| ctx.check_by_device(batch))
        .flat_map(stream::iter)
        .map(|found| ctx.hash(found))
        .buffer_unordered(hash_threads)
        .filter_map(futures::future::ready)
        .ready_chunks(CHECK_BATCH)
        .then(|batch| ctx.check_by_hash(batch))
        .flat_map(stream::iter)
        .map(|hashed| ctx.upload(hashed, true))
        .buffer_unordered(usize::from(args.concurrency))
        .for_each(|()| async {
            if let Some(album) = &album {
                ctx.fill_album(album, false).await;
            }
        })
        .await;
    let again = std::mem::take(&mut *ctx.send_again.lock().expect("send-again lock"));
    for hashed in again {
        ctx.upload(hashed, false).await;
    }
    if let Some(album) = &album {
        ctx.fill_album(album, true).await;
    }
    progress.files.finish_and_clear();
    progress.bytes.finish_and_clear();
    if let Some(e) = fatal.lock().expect("fatal lock").take() {
        return Err(e);
    }
    summarise(args, &user, &tally, started.elapsed().as_secs_f64())
}

/// What every stage shares.
struct Stage {
    server: Server,
    tally: Arc<Tally>,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
    fatal: Arc<Mutex<Option<anyhow::Error>>>,
    dry_run: bool,
    send_again: SendAgain,
}

impl Stage {
    /// Ends the import: the walk stops, the stages pass nothing on.
    fn abort(&self, e: anyhow::Error) {
        self.stop.store(true, Ordering::Relaxed);
        self.fatal.lock().expect("fatal lock").get_or_insert(e);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The files the library holds under their device id are done.
    async fn check_by_device(&self, batch: Vec<Found>) -> Vec<Found> {
        let items = batch
            .iter()
            .map(|f| json!({ "device_asset_id": device_asset_id(f) }))
            .collect();
        self.keep_missing(batch, items).await
    }

    /// Asks `check` about `items` (one per file of `batch`, in order): the
    /// files the library holds are settled as already there; the missing
    /// ones are returned. A failed `check` ends the import.
    async fn keep_missing<T>(&self, batch: Vec<T>, items: Vec<serde_json::Value>) -> Vec<T> {
        if self.stopped() {
            return Vec::new();
        }
        match self.server.check(items).await {
            Ok(answers) => batch
                .into_iter()
                .zip(answers)
                .filter_map(|(file, answer)| match answer.asset_id {
                    Some(asset) if answer.status == "present" => {
                        self.already_there(asset);
                        None
                    }
                    _ => Some(file),
                })
                .collect(),
            Err(e) => {
                self.abort(e.context("asking the server which photos it has"));
                Vec::new()
            }
        }
    }

    /// Hashes a file on a blocking thread; a file that cannot be read fails.
    async fn hash(&self, found: Found) -> Option<Hashed> {
        if self.stopped() {
            return None;
        }
        let path = found.path.clone();
        let hashed = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut hasher = blake3::Hasher::new();
            hasher.update_reader(std::fs::File::open(&path)?)?;
            Ok(hasher.finalize().to_hex().to_string())
        })
        .await;
        match hashed {
            Ok(Ok(blake3)) => {
                self.tally.hashed.fetch_add(1, Ordering::Relaxed);
                Some(Hashed {
                    device_asset_id: device_asset_id(&found),
                    blake3,
                    found,
                })
            }
            Ok(Err(e)) => {
                self.settle_failure(&found, format!("cannot read it: {e}"));
                None
            }
            Err(e) => {
                self.settle_failure(&found, format!("hashing stopped: {e}"));
                None
            }
        }
    }

    /// The files the library holds by their bytes are done; the rest go on.
    async fn check_by_hash(&self, batch: Vec<Hashed>) -> Vec<Hashed> {
        let items = batch
            .iter()
            .map(|h| {
                json!({
                    "blake3": h.blake3,
                    "size": h.found.size,
                    "device_asset_id": h.device_asset_id,
                })
            })
            .collect();
        let missing = self.keep_missing(batch, items).await;
        for hashed in &missing {
            self.progress.bytes.inc_length(hashed.found.size);
        }
        missing
    }

    /// Sends one file (or, in a dry run, counts it); a refused Live Photo
    /// video is put aside to be sent again when `first_try`.
    async fn upload(&self, hashed: Hashed, first_try: bool) {
        if self.stopped() {
            return;
        }
        let size = hashed.found.size;
        if self.dry_run {
            self.tally.would_upload.fetch_add(1, Ordering::Relaxed);
            self.tally
                .would_upload_bytes
                .fetch_add(size, Ordering::Relaxed);
            self.progress.files.inc(1);
            return;
        }
        let name = hashed
            .found
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let facts = FileFacts {
            name: &name,
            device_asset_id: &hashed.device_asset_id,
            blake3: &hashed.blake3,
        };
        let bytes = &self.progress.bytes;
        let sent = self
            .server
            .upload(&hashed.found.path, size, &facts, &|n| bytes.inc(n))
            .await;
        match sent {
            Ok(uploaded) => {
                // A paired file is new bytes too: the other file of a
                // photo already there (a RAW beside its JPEG).
                if uploaded.outcome == "paired" {
                    self.tally.paired.fetch_add(1, Ordering::Relaxed);
                }
                if uploaded.outcome == "created" || uploaded.outcome == "paired" {
                    self.tally.uploaded.fetch_add(1, Ordering::Relaxed);
                    self.tally.uploaded_bytes.fetch_add(size, Ordering::Relaxed);
                    self.apply_sidecar(&hashed.found, &uploaded.asset_id).await;
                } else {
                    self.tally.duplicates.fetch_add(1, Ordering::Relaxed);
                }
                self.tally
                    .for_album
                    .lock()
                    .expect("album lock")
                    .push(uploaded.asset_id);
                self.progress.files.inc(1);
            }
            Err(Refused(_)) if first_try && hashed.found.live_video => {
                self.progress.bytes.inc_length(size);
                self.send_again
                    .lock()
                    .expect("send-again lock")
                    .push(hashed);
            }
            Err(Refused(why)) => self.settle_failure(&hashed.found, why),
        }
    }

    /// Applies the photo's sidecar fields to its new asset; a sidecar that
    /// cannot be read is reported, the photo stays imported.
    async fn apply_sidecar(&self, found: &Found, asset: &str) {
        let Some(path) = &found.sidecar else {
            return;
        };
        let fields = match std::fs::metadata(path) {
            Ok(meta) if meta.len() > sidecar::MAX_SIDECAR_BYTES => {
                Err("too large for a sidecar".to_string())
            }
            Ok(_) => std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|xml| sidecar::parse(&xml)),
            Err(e) => Err(e.to_string()),
        };
        match fields.map(|fields| sidecar::patch(&fields)) {
            Ok(None) => {}
            Ok(Some(patch)) => match self.server.patch_asset(asset, &patch).await {
                Ok(()) => {
                    self.tally.sidecars_applied.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => self
                    .tally
                    .fail(path.display().to_string(), format!("{e:#}")),
            },
            Err(why) => self.tally.fail(
                path.display().to_string(),
                format!("sidecar not applied: {why}"),
            ),
        }
    }

    fn already_there(&self, asset: String) {
        self.tally.already_there.fetch_add(1, Ordering::Relaxed);
        self.tally.for_album.lock().expect("album lock").push(asset);
        self.progress.files.inc(1);
    }

    fn settle_failure(&self, found: &Found, why: String) {
        self.tally.fail(found.relative.clone(), why);
        self.progress.files.inc(1);
    }

    /// Adds the photos gathered so far to the album, a batch at a time
    /// (`all`: also a last, partial batch).
    async fn fill_album(&self, album: &str, all: bool) {
        loop {
            let batch: Vec<String> = {
                let mut waiting = self.tally.for_album.lock().expect("album lock");
                if waiting.is_empty() || (!all && waiting.len() < CHECK_BATCH) {
                    return;
                }
                let take = waiting.len().min(CHECK_BATCH);
                waiting.drain(..take).collect()
            };
            if let Err(e) = self.server.add_to_album(album, &batch).await {
                self.tally.fail(
                    format!("{} photos", batch.len()),
                    format!("not added to the album: {e:#}"),
                );
            }
        }
    }
}

/// The file's id as the server knows it: where it is in the folder, how
/// big it is and when it last changed. A file edited since is sent again.
fn device_asset_id(found: &Found) -> String {
    let place = blake3::hash(found.relative.as_bytes()).to_hex();
    format!("import:{}:{}:{}", &place[..32], found.size, found.modified)
}

fn summarise(args: &ImportArgs, user: &str, tally: &Tally, secs: f64) -> anyhow::Result<()> {
    let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let failures = tally.failures.lock().expect("tally lock");
    let failed = n(&tally.failed);
    let found = n(&tally.found);
    let rate = |count: u64| count as f64 / secs.max(1e-3);
    if args.json {
        let summary = json!({
            "user": user,
            "dry_run": args.dry_run,
            "found": found,
            "found_bytes": n(&tally.found_bytes),
            "hashed": n(&tally.hashed),
            "uploaded": n(&tally.uploaded),
            "uploaded_bytes": n(&tally.uploaded_bytes),
            "duplicates": n(&tally.duplicates),
            "paired": n(&tally.paired),
            "already_there": n(&tally.already_there),
            "would_upload": n(&tally.would_upload),
            "would_upload_bytes": n(&tally.would_upload_bytes),
            "not_photos": n(&tally.not_photos),
            "sidecars_applied": n(&tally.sidecars_applied),
            "failed": failed,
            "failures": failures.iter().map(|(what, why)| json!({"file": what, "reason": why})).collect::<Vec<_>>(),
            "seconds": secs,
            "files_per_second": rate(found),
            "megabytes_per_second": rate(n(&tally.uploaded_bytes)) / 1e6,
        });
        println!("{summary}");
    } else {
        let mb = |bytes: u64| bytes as f64 / 1e6;
        println!(
            "{} as {user}: {found} photos found in {:.1} s ({:.0} files/s)",
            args.dir.display(),
            secs,
            rate(found)
        );
        if args.dry_run {
            println!(
                "  would upload  {} ({:.1} MB)",
                n(&tally.would_upload),
                mb(n(&tally.would_upload_bytes))
            );
        } else {
            println!(
                "  uploaded      {} ({:.1} MB, {:.1} MB/s)",
                n(&tally.uploaded),
                mb(n(&tally.uploaded_bytes)),
                rate(n(&tally.uploaded_bytes)) / 1e6
            );
            if n(&tally.paired) > 0 {
                println!(
                    "  paired        {} (each joined its RAW or JPEG as one photo)",
                    n(&tally.paired)
                );
            }
        }
        println!(
            "  already there {}",
            n(&tally.already_there) + n(&tally.duplicates)
        );
        if n(&tally.sidecars_applied) > 0 {
            println!("  sidecar fields applied to {}", n(&tally.sidecars_applied));
        }
        if n(&tally.not_photos) > 0 {
            println!("  not photos    {} (skipped)", n(&tally.not_photos));
        }
        println!("  failed        {failed}");
        for (what, why) in failures.iter() {
            println!("    {what}: {why}");
        }
        if failed > failures.len() as u64 {
            println!("    … and {} more", failed - failures.len() as u64);
        }
    }
    anyhow::ensure!(
        failed == 0,
        "{failed} file(s) failed; run the import again to retry them"
    );
    Ok(())
}
