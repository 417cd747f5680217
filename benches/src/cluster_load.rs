//! `cluster-load`: mixed traffic from many concurrent clients against a
//! darkroom cluster (through its load balancer), then a check of everything
//! it was told: `scripts/cluster.sh` runs it while it restarts processes.
//!
//! Clients (each as one of the given users) loop until the time is up:
//! camera-sized JPEG uploads at a bounded rate (a share of them duplicates of
//! what was already acknowledged), timeline reads, filtered page reads, and
//! rendition and original fetches of acknowledged photos. Every answer is
//! recorded; a failure is a 5xx, a transport error (reset, refused, timeout),
//! or an answer the API never gives to a correct request.
//!
//! `--verify-after`: every acknowledged upload is then fetched back and its
//! bytes compared (BLAKE3), and its thumb and preview are waited for.
//!
//! Prints a report (and writes it as JSON to `--out`): per endpoint requests,
//! requests/s, p50 and p99; failures with the second they happened.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rand::prelude::*;
use serde_json::json;

struct Args {
    url: String,
    tokens: Vec<String>,
    clients: usize,
    seconds: u64,
    uploads_per_sec: f64,
    duplicate_share: f64,
    photos: Option<PathBuf>,
    out: Option<PathBuf>,
    verify_secs: Option<u64>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        url: "http://127.0.0.1:8080".into(),
        tokens: Vec::new(),
        clients: 200,
        seconds: 300,
        uploads_per_sec: 2.0,
        duplicate_share: 0.3,
        photos: None,
        out: None,
        verify_secs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--tokens-file" => {
                args.tokens = std::fs::read_to_string(value()?)?
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect()
            }
            "--clients" => args.clients = value()?.parse()?,
            "--seconds" => args.seconds = value()?.parse()?,
            "--uploads-per-sec" => args.uploads_per_sec = value()?.parse()?,
            "--duplicate-share" => args.duplicate_share = value()?.parse()?,
            "--photos" => args.photos = Some(value()?.into()),
            "--out" => args.out = Some(value()?.into()),
            "--verify-after" => args.verify_secs = Some(value()?.parse()?),
            other => anyhow::bail!(
                "unknown flag {other}; flags: --url --tokens-file --clients --seconds \
                 --uploads-per-sec --duplicate-share --photos DIR --out FILE --verify-after SECS"
            ),
        }
    }
    anyhow::ensure!(
        !args.tokens.is_empty(),
        "--tokens-file with one API token a line"
    );
    Ok(args)
}

/// An upload the cluster answered 200 or 201 to.
#[derive(Clone)]
struct Acknowledged {
    /// Which of the tokens sent it.
    user: usize,
    asset_id: String,
    /// BLAKE3 of the bytes sent, hex.
    hash: String,
    bytes: Arc<Vec<u8>>,
}

/// What the clients share.
struct Shared {
    url: String,
    http: reqwest::Client,
    started: Instant,
    templates: Vec<Vec<u8>>,
    acknowledged: Mutex<Vec<Acknowledged>>,
    samples: Mutex<BTreeMap<&'static str, Vec<f64>>>,
    statuses: Mutex<BTreeMap<(&'static str, String), u64>>,
    failures: Mutex<Vec<(f64, &'static str, String)>>,
    next_upload_at: Mutex<Instant>,
    upload_every: Duration,
    /// Of uploads, the share that re-sends bytes already acknowledged.
    duplicate_share: f64,
}

impl Shared {
    fn record(&self, endpoint: &'static str, started: Instant, outcome: Result<u16, String>) {
        let at = self.started.elapsed().as_secs_f64();
        let status = match &outcome {
            Ok(s) => s.to_string(),
            Err(e) => format!("error: {e}"),
        };
        *self
            .statuses
            .lock()
            .unwrap()
            .entry((endpoint, status.clone()))
            .or_default() += 1;
        self.samples
            .lock()
            .unwrap()
            .entry(endpoint)
            .or_default()
            .push(started.elapsed().as_secs_f64());
        let failed = match outcome {
            Ok(s) => s >= 500 || !expected(endpoint, s),
            Err(_) => true,
        };
        if failed {
            self.failures.lock().unwrap().push((at, endpoint, status));
        }
    }

    /// An upload slot, at most `uploads_per_sec` a second across all clients.
    fn take_upload_slot(&self) -> bool {
        let mut next = self.next_upload_at.lock().unwrap();
        let now = Instant::now();
        if now < *next {
            return false;
        }
        *next = (*next).max(now - self.upload_every) + self.upload_every;
        true
    }
}

/// The answers a correct request may get.
fn expected(endpoint: &str, status: u16) -> bool {
    match endpoint {
        "upload" => matches!(status, 200 | 201),
        // 202 while the rendition is still being made.
        "rendition" => matches!(status, 200 | 202),
        _ => status == 200,
    }
}

/// `template` made unique: a COM segment with random bytes right after SOI
/// (a valid JPEG, new bytes, same pixels).
fn unique_jpeg(template: &[u8], rng: &mut impl Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(template.len() + 40);
    out.extend_from_slice(&template[..2]);
    out.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x22]);
    let mut noise = [0u8; 32];
    rng.fill(&mut noise);
    out.extend_from_slice(&noise);
    out.extend_from_slice(&template[2..]);
    out
}

fn templates(dir: Option<&PathBuf>) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut found = Vec::new();
    if let Some(dir) = dir {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let is_jpeg = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"));
            if is_jpeg {
                found.push(std::fs::read(&path)?);
            }
        }
    }
    if found.is_empty() {
        // 12 MP of smooth gradients: camera-sized, without the corpus.
        eprintln!("cluster-load: no JPEGs in --photos; using generated 4000x3000 JPEGs");
        for seed in 0..3u32 {
            let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
                image::Rgb([
                    (x / 16 + seed * 40) as u8,
                    (y / 12) as u8,
                    ((x + y) / 28) as u8,
                ])
            });
            let mut out = Vec::new();
            image::DynamicImage::ImageRgb8(img).write_to(
                &mut std::io::Cursor::new(&mut out),
                image::ImageFormat::Jpeg,
            )?;
            found.push(out);
        }
    }
    Ok(found)
}

async fn client_loop(shared: Arc<Shared>, token_index: usize, token: String, deadline: Instant) {
    let mut rng = StdRng::from_os_rng();
    while Instant::now() < deadline {
        // A person's pause between actions.
        tokio::time::sleep(Duration::from_millis(rng.random_range(100..600))).await;
        // One of this user's acknowledged photos, to read back.
        let known: Option<String> = {
            let acked = shared.acknowledged.lock().unwrap();
            let mine: Vec<_> = acked.iter().filter(|a| a.user == token_index).collect();
            mine.choose(&mut rng).map(|a| a.asset_id.clone())
        };
        let roll: f64 = rng.random();
        let url = &shared.url;
        if shared.take_upload_slot() {
            upload(&shared, token_index, &token, &mut rng).await;
        } else if roll < 0.20 || known.is_none() {
            get(
                &shared,
                "timeline",
                format!("{url}/api/v1/timeline"),
                &token,
            )
            .await;
        } else if roll < 0.45 {
            let filter = match rng.random_range(0..4) {
                0 => "",
                1 => "&favorite=true",
                2 => "&min_rating=3",
                _ => "&make=Canon",
            };
            let page = format!("{url}/api/v1/assets?limit=100{filter}");
            get(&shared, "page", page, &token).await;
        } else if roll < 0.85 {
            let id = known.as_deref().unwrap_or_default();
            let name = if rng.random_bool(0.7) {
                "thumb"
            } else {
                "preview"
            };
            let rendition = format!("{url}/api/v1/assets/{id}/renditions/{name}");
            get(&shared, "rendition", rendition, &token).await;
        } else {
            let id = known.as_deref().unwrap_or_default();
            get(
                &shared,
                "original",
                format!("{url}/api/v1/assets/{id}/original"),
                &token,
            )
            .await;
        }
    }
}

async fn get(shared: &Shared, endpoint: &'static str, url: String, token: &str) {
    let started = Instant::now();
    let outcome = match shared.http.get(&url).bearer_auth(token).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            // Read the body: a reset half-way through is a failure too.
            match response.bytes().await {
                Ok(_) => Ok(status),
                Err(e) => Err(describe(&e)),
            }
        }
        Err(e) => Err(describe(&e)),
    };
    shared.record(endpoint, started, outcome);
}

async fn upload(shared: &Shared, token_index: usize, token: &str, rng: &mut StdRng) {
    let duplicate = {
        let acked = shared.acknowledged.lock().unwrap();
        let mine: Vec<_> = acked.iter().filter(|a| a.user == token_index).collect();
        if rng.random_bool(shared.duplicate_share) {
            mine.choose(rng).map(|a| a.bytes.clone())
        } else {
            None
        }
    };
    let bytes = match duplicate {
        Some(bytes) => bytes,
        None => {
            let template = shared.templates.choose(rng).expect("templates");
            Arc::new(unique_jpeg(template, rng))
        }
    };
    let started = Instant::now();
    let sent = shared
        .http
        .post(format!("{}/api/v1/assets", shared.url))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(bytes.to_vec())
        .send()
        .await;
    let outcome = match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.json::<serde_json::Value>().await {
                Ok(body) if matches!(status, 200 | 201) => {
                    if let Some(id) = body["id"].as_str() {
                        let hash = blake3::hash(&bytes).to_hex().to_string();
                        let mut acked = shared.acknowledged.lock().unwrap();
                        if !acked.iter().any(|a| a.asset_id == id) {
                            acked.push(Acknowledged {
                                user: token_index,
                                asset_id: id.to_string(),
                                hash,
                                bytes: bytes.clone(),
                            });
                        }
                    }
                    Ok(status)
                }
                Ok(_) => Ok(status),
                Err(e) => Err(describe(&e)),
            }
        }
        Err(e) => Err(describe(&e)),
    };
    shared.record("upload", started, outcome);
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Every acknowledged upload is there, byte for byte, with its renditions.
async fn verify(shared: &Shared, tokens: &[String], wait: Duration) -> serde_json::Value {
    let acked = shared.acknowledged.lock().unwrap().clone();
    let deadline = Instant::now() + wait;
    let (mut missing, mut corrupt, mut unrendered) = (Vec::new(), Vec::new(), Vec::new());
    for Acknowledged {
        user,
        asset_id: id,
        hash,
        ..
    } in &acked
    {
        let token = &tokens[*user];
        let original = shared
            .http
            .get(format!("{}/api/v1/assets/{id}/original", shared.url))
            .bearer_auth(token)
            .send()
            .await;
        match original {
            Ok(r) if r.status() == 200 => {
                let bytes = r.bytes().await.unwrap_or_default();
                if blake3::hash(&bytes).to_hex().as_str() != hash {
                    corrupt.push(id.clone());
                }
            }
            _ => missing.push(id.clone()),
        }
        for name in ["thumb", "preview"] {
            loop {
                let status = shared
                    .http
                    .get(format!(
                        "{}/api/v1/assets/{id}/renditions/{name}",
                        shared.url
                    ))
                    .bearer_auth(token)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                if status == 200 {
                    break;
                }
                if Instant::now() > deadline {
                    unrendered.push(format!("{id} {name} ({status})"));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    println!(
        "verify: {} acknowledged uploads; missing {}, bytes differ {}, renditions not ready {}",
        acked.len(),
        missing.len(),
        corrupt.len(),
        unrendered.len()
    );
    json!({
        "acknowledged": acked.len(),
        "missing": missing,
        "bytes_differ": corrupt,
        "renditions_not_ready": unrendered,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let shared = Arc::new(Shared {
        url: args.url.trim_end_matches('/').to_string(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(args.clients)
            .build()?,
        started: Instant::now(),
        templates: templates(args.photos.as_ref())?,
        acknowledged: Mutex::default(),
        samples: Mutex::default(),
        statuses: Mutex::default(),
        failures: Mutex::default(),
        next_upload_at: Mutex::new(Instant::now()),
        upload_every: Duration::from_secs_f64(1.0 / args.uploads_per_sec.max(0.001)),
        duplicate_share: args.duplicate_share,
    });
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    println!(
        "cluster-load: {} clients as {} users for {} s against {}",
        args.clients,
        args.tokens.len(),
        args.seconds,
        shared.url
    );
    let clients: Vec<_> = (0..args.clients)
        .map(|i| {
            let index = i % args.tokens.len();
            tokio::spawn(client_loop(
                shared.clone(),
                index,
                args.tokens[index].clone(),
                deadline,
            ))
        })
        .collect();
    // A line every 30 s, so a long run shows it is alive.
    let progress = {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(30)).await;
                let requests: usize = shared.samples.lock().unwrap().values().map(Vec::len).sum();
                let failures = shared.failures.lock().unwrap().len();
                let acked = shared.acknowledged.lock().unwrap().len();
                println!(
                    "  t={:>4.0}s requests {requests}, failures {failures}, photos acknowledged {acked}",
                    shared.started.elapsed().as_secs_f64()
                );
            }
        })
    };
    for client in clients {
        client.await?;
    }
    progress.abort();
    let elapsed = shared.started.elapsed().as_secs_f64();

    let mut endpoints = serde_json::Map::new();
    println!(
        "\n{:<10} {:>9} {:>8} {:>9} {:>9}",
        "endpoint", "requests", "req/s", "p50 ms", "p99 ms"
    );
    for (endpoint, samples) in shared.samples.lock().unwrap().iter_mut() {
        samples.sort_by(f64::total_cmp);
        let (p50, p99) = (
            percentile(samples, 0.5) * 1e3,
            percentile(samples, 0.99) * 1e3,
        );
        let rate = samples.len() as f64 / elapsed;
        println!(
            "{endpoint:<10} {:>9} {rate:>8.1} {p50:>9.1} {p99:>9.1}",
            samples.len()
        );
        endpoints.insert(
            endpoint.to_string(),
            json!({"requests": samples.len(), "per_sec": rate, "p50_ms": p50, "p99_ms": p99}),
        );
    }
    let statuses: BTreeMap<String, u64> = shared
        .statuses
        .lock()
        .unwrap()
        .iter()
        .map(|((e, s), n)| (format!("{e} {s}"), *n))
        .collect();
    println!("answers: {statuses:?}");
    let failures = shared.failures.lock().unwrap().clone();
    println!("failed requests: {}", failures.len());
    for (at, endpoint, status) in failures.iter().take(50) {
        println!("  t={at:.1}s {endpoint}: {status}");
    }
    let verified = match args.verify_secs {
        Some(secs) => Some(verify(&shared, &args.tokens, Duration::from_secs(secs)).await),
        None => None,
    };
    let report = json!({
        "seconds": elapsed,
        "clients": args.clients,
        "endpoints": endpoints,
        "answers": statuses,
        "failures": failures.iter().map(|(at, e, s)| json!({"at": at, "endpoint": e, "status": s})).collect::<Vec<_>>(),
        "verify": verified,
    });
    if let Some(out) = &args.out {
        std::fs::write(out, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}
