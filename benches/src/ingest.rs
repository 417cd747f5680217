//! Ingest benchmark: upload throughput over loopback, beside plain disk writes.
//!
//! Starts the real API in-process on SQLite + a local blob folder (workers
//! off: this measures ingest, not rendering), then for a folder of camera-sized
//! JPEGs measures, per round:
//!
//! * new bytes: every file uploaded once, made unique per round by a trailer
//!   after the JPEG's end marker (legal, and a different hash);
//! * duplicates: the same files again (the owner already has them);
//! * duplicates named: the same again, each request naming its bytes'
//!   BLAKE3 (`X-Content-Blake3`, as a client that hashed its files while
//!   scanning them sends): answered before the body is read;
//! * the disk alone: the same bytes written to files in the same folder, each
//!   `sync_all`ed and its directory fsynced — what any durable store must do.
//!
//! Prints medians over rounds and the ratios. Usage:
//!   cargo run --release -p darkroom-benches --bin ingest-bench -- [DIR] [--rounds N] [--parallel N]
//! DIR defaults to ../shared/corpus/camera; make a camera-sized set with
//! ../shared/tools/make-bench-corpus.sh.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use darkroom_api::{ApiConfig, Application, Services};
use darkroom_storage::{BlobConfig, BlobStore, Catalog};
use darkroom_workers::{CpuPool, EditRenderer, Waker, WorkerConfig};
use futures::StreamExt;

struct Args {
    corpus: PathBuf,
    rounds: usize,
    parallel: usize,
    work_dir: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        corpus: PathBuf::from("../shared/corpus/camera"),
        rounds: 5,
        parallel: 1,
        work_dir: PathBuf::from("target/ingest-bench"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--rounds" => args.rounds = it.next().context("--rounds N")?.parse()?,
            "--parallel" => args.parallel = it.next().context("--parallel N")?.parse()?,
            "--work-dir" => args.work_dir = it.next().context("--work-dir DIR")?.into(),
            other if !other.starts_with('-') => args.corpus = other.into(),
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(args)
}

fn load_corpus(dir: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg")))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no .jpg files in {}", dir.display());
    files.iter().map(|p| Ok(std::fs::read(p)?)).collect()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / 1e6 / elapsed.as_secs_f64()
}

/// Uploads every body with `parallel` in flight, each naming its BLAKE3
/// when `hashes` are given; returns elapsed time and checks each answer's
/// status.
async fn upload_all(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    bodies: &[Vec<u8>],
    hashes: Option<&[String]>,
    parallel: usize,
    expect: u16,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let named = bodies
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, body)| (body, hashes.map(|h| h[i].clone())));
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(named)
        .map(|(body, hash)| async move {
            let mut request = client.post(url).bearer_auth(token).body(body);
            if let Some(hash) = hash {
                request = request.header("x-content-blake3", hash);
            }
            let response = request.send().await?;
            anyhow::ensure!(
                response.status().as_u16() == expect,
                "status {} (wanted {expect})",
                response.status()
            );
            Ok(())
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<()>>()?;
    Ok(start.elapsed())
}

/// Writes each body to its own file, durably, as a store at least must.
fn write_all_durably(dir: &Path, bodies: &[Vec<u8>]) -> anyhow::Result<Duration> {
    std::fs::create_dir_all(dir)?;
    let start = Instant::now();
    for (i, body) in bodies.iter().enumerate() {
        let mut file = std::fs::File::create(dir.join(format!("{i}.jpg")))?;
        file.write_all(body)?;
        file.sync_all()?;
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(start.elapsed())
}

fn with_trailer(files: &[Vec<u8>], round: usize) -> Vec<Vec<u8>> {
    files
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.extend_from_slice(format!("darkroom-bench-round-{round}").as_bytes());
            f
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let files = load_corpus(&args.corpus)?;
    let total: u64 = files.iter().map(|f| f.len() as u64).sum();
    let _ = std::fs::remove_dir_all(&args.work_dir);
    std::fs::create_dir_all(&args.work_dir)?;
    let data = args.work_dir.canonicalize()?;

    let catalog =
        Catalog::connect(&format!("sqlite:{}", data.join("catalog.db").display())).await?;
    catalog.migrate().await?;
    let blobs = BlobStore::open(&BlobConfig::Local(data.join("blobs")))?;
    let token = catalog
        .bootstrap_admin()
        .await?
        .context("fresh catalog")?
        .secret;
    let app = Application::build(
        ApiConfig {
            listen: "127.0.0.1:0".parse()?,
            // Load generators: unlimited, or they would measure the limiter.
            request_limits: None,
            ..ApiConfig::default()
        },
        Services {
            catalog,
            blobs,
            waker: Waker::default(),
            editing: EditRenderer::new(CpuPool::new(Some(1)), &WorkerConfig::default()),
        },
    )?;
    let url = format!("http://127.0.0.1:{}/api/v1/assets", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();

    println!(
        "ingest benchmark: {} files, {:.1} MB per round, {} rounds, {} upload(s) in flight, data in {}",
        files.len(),
        total as f64 / 1e6,
        args.rounds,
        args.parallel,
        data.display()
    );
    let (mut new, mut dup, mut named, mut disk) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..args.rounds {
        let bodies = with_trailer(&files, round);
        let bytes: u64 = bodies.iter().map(|b| b.len() as u64).sum();
        // Hashed as a client scanning its files would, before uploading.
        let hashes: Vec<String> = bodies
            .iter()
            .map(|b| blake3::hash(b).to_hex().to_string())
            .collect();
        new.push(mb_per_s(
            bytes,
            upload_all(&client, &url, &token, &bodies, None, args.parallel, 201).await?,
        ));
        dup.push(mb_per_s(
            bytes,
            upload_all(&client, &url, &token, &bodies, None, args.parallel, 200).await?,
        ));
        named.push(mb_per_s(
            bytes,
            upload_all(
                &client,
                &url,
                &token,
                &bodies,
                Some(&hashes),
                args.parallel,
                200,
            )
            .await?,
        ));
        disk.push(mb_per_s(
            bytes,
            write_all_durably(&data.join(format!("disk-{round}")), &bodies)?,
        ));
    }
    let (new, dup, named, disk) = (median(new), median(dup), median(named), median(disk));
    println!("  upload, new bytes:    {new:8.1} MB/s (median)");
    println!("  upload, duplicates:   {dup:8.1} MB/s (median)");
    println!("  duplicates, named:    {named:8.1} MB/s (median; X-Content-Blake3, body not read)");
    println!("  disk write + fsync:   {disk:8.1} MB/s (median)");
    println!("  ratio new/disk:       {:8.2}", new / disk);
    println!("  ratio duplicate/disk: {:8.2}", dup / disk);
    println!("  ratio named/new:      {:8.2}", named / new);
    Ok(())
}
