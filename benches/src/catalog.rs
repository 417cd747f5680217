//! Catalog benchmark: how listing costs grow with the library.
//!
//! For each library size (default 10 000 and 1 000 000 synthetic assets of
//! one user) this fills a fresh catalog, starts the real API in-process over
//! loopback, and drives each endpoint with a small Rust load client for a
//! fixed time: requests per second and p50/p99 latency for the timeline's
//! bucket list, pages of 100 assets with filters, a timeline bucket's page,
//! an album page, and searches: ranked for a trip's name (about 100 photos
//! at every size, as a real trip would be), ranked and newest first for a
//! camera maker's name (a fifth of the library, growing with it). Then it prints each figure at the largest size beside
//! the smallest as a ratio: the cost must not grow with the library.
//!
//!   cargo run --release -p darkroom-benches --bin catalog-bench -- \
//!       [--sizes 10000,1000000] [--seconds 10] [--concurrency 8] [--backend sqlite|postgres]
//!
//! `--backend postgres` needs DARKROOM_BENCH_DATABASE_URL (a server URL whose
//! user may create databases); each size gets a fresh database.

use std::time::{Duration, Instant};

use anyhow::Context;
use darkroom_api::{ApiConfig, Application, Services};
use darkroom_storage::catalog::{
    PHOTOS_PER_TRIP, Scope, create_postgres_database, synthetic_trip_word,
};
use darkroom_storage::{BlobConfig, BlobStore, Catalog};
use darkroom_workers::{CpuPool, EditRenderer, Waker, WorkerConfig};

struct Args {
    sizes: Vec<usize>,
    seconds: u64,
    concurrency: usize,
    postgres: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        sizes: vec![10_000, 1_000_000],
        seconds: 10,
        concurrency: 8,
        postgres: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--sizes" => {
                args.sizes = value()?
                    .split(',')
                    .map(|s| s.trim().parse())
                    .collect::<Result<_, _>>()?
            }
            "--seconds" => args.seconds = value()?.parse()?,
            "--concurrency" => args.concurrency = value()?.parse()?,
            "--backend" => args.postgres = value()? == "postgres",
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    Ok(args)
}

/// One endpoint's figures.
#[derive(Clone, Copy)]
struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Requests `path` from `concurrency` tasks for `seconds`; every answer must be 200.
async fn drive(
    url: &str,
    token: &str,
    path: &str,
    seconds: u64,
    concurrency: usize,
) -> anyhow::Result<Figures> {
    let client = reqwest::Client::new();
    // Warm up (caches, prepared statements, connections).
    for _ in 0..20 {
        let r = client
            .get(format!("{url}{path}"))
            .bearer_auth(token)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "{path}: {}", r.status());
        r.bytes().await?;
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let full = format!("{url}{path}");
            let token = token.to_string();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let r = client.get(&full).bearer_auth(&token).send().await?;
                    anyhow::ensure!(r.status() == 200, "{full}: {}", r.status());
                    r.bytes().await?;
                    latencies.push(t.elapsed());
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct =
        |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1e3;
    Ok(Figures {
        rps: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    })
}

async fn catalog_for(
    postgres: bool,
    size: usize,
    dir: &std::path::Path,
) -> anyhow::Result<Catalog> {
    let url = if postgres {
        let admin = std::env::var("DARKROOM_BENCH_DATABASE_URL")
            .context("--backend postgres needs DARKROOM_BENCH_DATABASE_URL")?;
        let name = format!("darkroom_bench_{size}_{}", std::process::id());
        create_postgres_database(&admin, &name).await?
    } else {
        format!("sqlite:{}", dir.join("catalog.db").display())
    };
    let catalog = Catalog::connect(&url).await?;
    catalog.migrate().await?;
    Ok(catalog)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let mut results: Vec<(usize, Vec<(&'static str, Figures)>)> = Vec::new();
    for &size in &args.sizes {
        let dir = tempfile::tempdir()?;
        let catalog = catalog_for(args.postgres, size, dir.path()).await?;
        let user = catalog.create_user("bench", false).await?;
        let token = catalog
            .issue_token(&user.id, "bench", &[Scope::Read])
            .await?
            .secret;
        let filled = Instant::now();
        let album = catalog
            .fill_synthetic_library(&user.id, size, 5_000)
            .await?;
        eprintln!("{size} assets in {:.1} s", filled.elapsed().as_secs_f64());
        // What `darkroom serve` does as it starts (on SQLite; PostgreSQL's
        // autovacuum analyzes by itself, as the fill has done for it).
        let refreshed = catalog.refresh_statistics().await?;
        if !refreshed.tables.is_empty() {
            eprintln!(
                "statistics refreshed in {} ms: {}",
                refreshed.elapsed_ms,
                refreshed.tables.join(", ")
            );
        }
        // A month in the middle of the ten years: a typical timeline bucket.
        let month = (chrono::Utc::now() - chrono::Duration::days(5 * 365)).format("%Y-%m");
        let app = Application::build(
            ApiConfig {
                listen: "127.0.0.1:0".parse()?,
                // Load generators: unlimited, or they would measure the limiter.
                request_limits: None,
                http_workers: Some(2),
                ..ApiConfig::default()
            },
            Services {
                catalog: catalog.clone(),
                blobs: BlobStore::open(&BlobConfig::Local(dir.path().join("blobs")))?,
                waker: Waker::default(),
                editing: EditRenderer::new(CpuPool::new(Some(1)), &WorkerConfig::default()),
            },
        )?;
        let url = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let endpoints: Vec<(&'static str, String)> = vec![
            ("timeline buckets", "/api/v1/timeline".into()),
            (
                "page of 100 (favorites, ≥3★)",
                "/api/v1/assets?limit=100&favorite=true&min_rating=3".into(),
            ),
            (
                "page of 100 (camera model)",
                "/api/v1/assets?limit=100&model=X-T5".into(),
            ),
            (
                "page of 100 (one month)",
                format!("/api/v1/assets?limit=100&month={month}"),
            ),
            (
                "album page of 100",
                format!("/api/v1/albums/{album}/assets?limit=100"),
            ),
            (
                "search a trip (ranked)",
                format!(
                    "/api/v1/assets?limit=100&q=trip+{}",
                    synthetic_trip_word(size / PHOTOS_PER_TRIP / 2)
                ),
            ),
            (
                "search a maker (ranked)",
                "/api/v1/assets?limit=100&q=fujifilm".into(),
            ),
            (
                "search a maker (newest)",
                "/api/v1/assets?limit=100&q=fujifilm&sort=taken".into(),
            ),
        ];
        let mut figures = Vec::new();
        for (name, path) in &endpoints {
            let f = drive(&url, &token, path, args.seconds, args.concurrency).await?;
            eprintln!(
                "  {name:<30} {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms",
                f.rps, f.p50_ms, f.p99_ms
            );
            figures.push((*name, f));
        }
        handle.stop(true).await;
        catalog.close().await;
        results.push((size, figures));
    }
    let backend = if args.postgres {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "\ncatalog bench, {backend}, {} concurrent clients over loopback, {} s per endpoint, 2 HTTP workers",
        args.concurrency, args.seconds
    );
    let (small, small_f) = &results[0];
    let (large, large_f) = &results[results.len() - 1];
    println!(
        "{:<30} | {:>9} {:>8} {:>8} | {:>9} {:>8} {:>8} | {:>6} {:>6}",
        "endpoint",
        format!("{small} rps"),
        "p50 ms",
        "p99 ms",
        format!("{large} rps"),
        "p50 ms",
        "p99 ms",
        "p50 ×",
        "rps ×"
    );
    for ((name, s), (_, l)) in small_f.iter().zip(large_f) {
        println!(
            "{name:<30} | {:>9.0} {:>8.2} {:>8.2} | {:>9.0} {:>8.2} {:>8.2} | {:>6.2} {:>6.2}",
            s.rps,
            s.p50_ms,
            s.p99_ms,
            l.rps,
            l.p50_ms,
            l.p99_ms,
            l.p50_ms / s.p50_ms,
            l.rps / s.rps
        );
    }
    Ok(())
}
