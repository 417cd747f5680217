//! The randomized crash test: rounds of uploads (new, duplicate, resumable),
//! edits, trash, restore, purge and `darkroom gc` against real `serve` and
//! `worker` processes, SIGKILLed at a random moment. After every restart
//! `fsck` finds nothing; at the end every job is `done` or `failed`, `fsck
//! --verify-bytes` finds nothing, and every acknowledged upload not purged
//! on purpose is in the catalog under the BLAKE3 of the bytes sent (which
//! `--verify-bytes` proves the store holds, byte for byte).
//!
//! On SQLite the blobs have a second site (`--replica-blobs`): every blob
//! in use is on both at the end, and `scrub` finds both copies whole.
//!
//! `DARKROOM_CRASH_ROUNDS` (default 4) and `DARKROOM_CRASH_SEED` choose the
//! run; `scripts/crash-rounds.sh` runs a long one and prints its figures.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::helpers::*;

/// What the test knows of one acknowledged upload.
#[derive(Clone, Debug)]
struct Known {
    hash: String,
    /// A purge was sent: the photo may be gone (the answer may have been
    /// lost with the server).
    purge_sent: bool,
    /// A purge was acknowledged: the photo must be gone.
    purged: bool,
}

/// Acknowledged uploads by asset id, shared by the clients of a round.
type Ledger = Arc<Mutex<HashMap<String, Known>>>;

fn fsck_is_clean(storage: &Storage, args: &[&str]) -> Result<(), String> {
    let mut all = vec!["fsck"];
    all.extend_from_slice(args);
    let output = darkroom(&all, storage);
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// One client's work until its server dies: random operations on the
/// photos it uploaded itself (so it knows their state).
async fn client_work(url: String, token: String, ledger: Ledger, seed: u64, first_photo: u32) {
    let mut rng = StdRng::seed_from_u64(seed);
    let http = client();
    let mut mine: Vec<(String, Vec<u8>)> = Vec::new();
    let mut next_photo = first_photo;
    loop {
        let choice = rng.random_range(0..100);
        let outcome: Result<(), reqwest::Error> = async {
            match choice {
                // A new photo, as a plain upload.
                0..=34 => {
                    let bytes = noisy_jpeg(next_photo);
                    next_photo += 1;
                    let response = http
                        .post(format!("{url}/api/v1/assets"))
                        .bearer_auth(&token)
                        .body(bytes.clone())
                        .send()
                        .await?;
                    if response.status() == 201 {
                        let body: serde_json::Value = response.json().await?;
                        let id = body["id"].as_str().unwrap().to_string();
                        acknowledge(&ledger, &id, &bytes);
                        mine.push((id, bytes));
                    }
                }
                // A new photo, resumable, in two pieces.
                35..=49 => {
                    let bytes = noisy_jpeg(next_photo);
                    next_photo += 1;
                    let created = http
                        .post(format!("{url}/api/v1/uploads"))
                        .bearer_auth(&token)
                        .header("Tus-Resumable", "1.0.0")
                        .header("Upload-Length", bytes.len().to_string())
                        .header("Upload-Metadata", "filename Y3Jhc2guanBn")
                        .send()
                        .await?;
                    if created.status() != 201 {
                        return Ok(());
                    }
                    let location = created.headers()["location"].to_str().unwrap().to_string();
                    let half = bytes.len() / 2;
                    for (offset, piece) in [(0, &bytes[..half]), (half, &bytes[half..])] {
                        let patched = http
                            .patch(format!("{url}{location}"))
                            .bearer_auth(&token)
                            .header("Tus-Resumable", "1.0.0")
                            .header("Upload-Offset", offset.to_string())
                            .header("Content-Type", "application/offset+octet-stream")
                            .body(piece.to_vec())
                            .send()
                            .await?;
                        if !patched.status().is_success() {
                            return Ok(());
                        }
                        if let Some(id) = patched.headers().get("x-asset-id") {
                            let id = id.to_str().unwrap().to_string();
                            acknowledge(&ledger, &id, &bytes);
                            mine.push((id, bytes.clone()));
                        }
                    }
                }
                // The same bytes again: a duplicate.
                50..=59 if !mine.is_empty() => {
                    let (_, bytes) = &mine[rng.random_range(0..mine.len())];
                    http.post(format!("{url}/api/v1/assets"))
                        .bearer_auth(&token)
                        .body(bytes.clone())
                        .send()
                        .await?;
                }
                // An edit.
                60..=74 if !mine.is_empty() => {
                    let (id, _) = &mine[rng.random_range(0..mine.len())];
                    let exposure = rng.random_range(-2.0..2.0f64);
                    http.put(format!("{url}/api/v1/assets/{id}/edit"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({ "exposure": exposure }))
                        .send()
                        .await?;
                }
                // Trash, then restore or purge.
                75..=99 if !mine.is_empty() => {
                    let at = rng.random_range(0..mine.len());
                    let id = mine[at].0.clone();
                    http.delete(format!("{url}/api/v1/assets/{id}"))
                        .bearer_auth(&token)
                        .send()
                        .await?;
                    if rng.random_bool(0.5) {
                        http.post(format!("{url}/api/v1/assets/{id}/restore"))
                            .bearer_auth(&token)
                            .send()
                            .await?;
                    } else {
                        ledger.lock().unwrap().get_mut(&id).unwrap().purge_sent = true;
                        let purged = http
                            .delete(format!("{url}/api/v1/trash/{id}"))
                            .bearer_auth(&token)
                            .send()
                            .await?;
                        if purged.status().is_success() {
                            ledger.lock().unwrap().get_mut(&id).unwrap().purged = true;
                            mine.swap_remove(at);
                        }
                    }
                }
                _ => {}
            }
            Ok(())
        }
        .await;
        // The server was killed: this client's round is over.
        if outcome.is_err() {
            return;
        }
    }
}

fn acknowledge(ledger: &Ledger, id: &str, bytes: &[u8]) {
    ledger.lock().unwrap().insert(
        id.to_string(),
        Known {
            hash: blake3::hash(bytes).to_hex().to_string(),
            purge_sent: false,
            purged: false,
        },
    );
}

/// A `darkroom gc` that deletes unreferenced blobs at once, in the
/// background (killed with the rest).
fn spawn_gc(storage: &Storage) -> Child {
    Command::new(BIN)
        .args(["gc", "--blob-grace-secs", "0"])
        .args(&storage.args)
        .envs(storage.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn crash_rounds(backend: &str, storage: Storage) {
    let rounds: u32 = std::env::var("DARKROOM_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(4);
    let seed: u64 = std::env::var("DARKROOM_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("crash rounds on {backend}: {rounds}, seed {seed} (DARKROOM_CRASH_SEED to repeat)");
    let mut rng = StdRng::seed_from_u64(seed);
    let token = token_for(&storage, "dora");
    let ledger: Ledger = Arc::default();
    let lease = [("DARKROOM_JOB_LEASE_SECS", "2")];
    let mut kills = 0;
    for round in 0..rounds {
        let (server, url) = serve(&storage, &["--workers", "0"], &lease);
        let worker = spawn(&["worker", "--workers", "1"], &storage, &lease);
        fsck_is_clean(&storage, &[])
            .unwrap_or_else(|found| panic!("after restart {round} (seed {seed}):\n{found}"));
        let clients: Vec<_> = (0..3)
            .map(|c| {
                let first_photo = round * 100_000 + c * 10_000;
                tokio::spawn(client_work(
                    url.clone(),
                    token.clone(),
                    ledger.clone(),
                    rng.random(),
                    first_photo,
                ))
            })
            .collect();
        let gc = rng.random_bool(0.5).then(|| spawn_gc(&storage));
        // The kill comes at a random moment once the round has had an
        // upload acknowledged (a loaded machine can be slow to start).
        let before = ledger.lock().unwrap().len();
        let started = Instant::now();
        while ledger.lock().unwrap().len() == before {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no upload in round {round}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(300..2500))).await;
        // SIGKILL, mid-whatever: the server, the worker, a collector.
        server.kill_hard();
        worker.kill_hard();
        kills += 2;
        if let Some(mut gc) = gc {
            if gc.try_wait().unwrap().is_none() {
                kills += 1;
            }
            let _ = gc.kill();
            let _ = gc.wait();
        }
        for client in clients {
            client.await.unwrap();
        }
    }

    // The last restart: workers finish what is queued, or fail it visibly.
    let (_server, _url) = serve(&storage, &["--workers", "0"], &lease);
    let _worker = spawn(&["worker", "--workers", "2"], &storage, &lease);
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let open = catalog_sql(
            &storage,
            "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')",
        );
        if open == "0" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} job(s) never finished (seed {seed})"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    fsck_is_clean(&storage, &["--verify-bytes"])
        .unwrap_or_else(|found| panic!("after the last round (seed {seed}):\n{found}"));
    if storage.args.iter().any(|a| a == "--replica-blobs") {
        // Every blob in use on both sites, both copies whole.
        let behind = catalog_sql(
            &storage,
            "SELECT COUNT(*) FROM blobs WHERE ref_count > 0 AND replicated_at IS NULL",
        );
        assert_eq!(behind, "0", "blobs never replicated (seed {seed})");
        let scrub = darkroom(&["scrub"], &storage);
        assert!(
            scrub.status.success(),
            "seed {seed}: {}{}",
            text(&scrub.stdout),
            text(&scrub.stderr)
        );
    }

    let stored: HashMap<String, String> = catalog_sql(&storage, "SELECT id, blob_hash FROM assets")
        .lines()
        .filter_map(|l| l.split_once('|'))
        .map(|(id, hash)| (id.to_string(), hash.to_string()))
        .collect();
    let ledger = ledger.lock().unwrap();
    let mut lost = Vec::new();
    for (id, known) in ledger.iter() {
        let present = stored.get(id).map(|hash| *hash == known.hash);
        match present {
            Some(true) if !known.purged => {}
            None if known.purge_sent => {}
            _ => lost.push(format!(
                "{id}: purge sent {}, acknowledged {}, stored as {:?}",
                known.purge_sent,
                known.purged,
                stored.get(id)
            )),
        }
    }
    let jobs = catalog_sql(
        &storage,
        "SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state",
    );
    eprintln!(
        "crash rounds on {backend}: {rounds} rounds, {kills} SIGKILLs, {} uploads acknowledged ({} purged \
         on purpose), fsck findings 0, lost {}; jobs: {}",
        ledger.len(),
        ledger.values().filter(|k| k.purged).count(),
        lost.len(),
        jobs.replace('\n', ", ")
    );
    assert!(lost.is_empty(), "seed {seed}:\n{}", lost.join("\n"));
    assert!(
        ledger.len() >= rounds as usize,
        "the rounds did too little work"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_rounds_on_sqlite_and_a_folder() {
    if Command::new("sqlite3").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED crash_rounds_on_sqlite_and_a_folder: the sqlite3 client is not installed"
        );
        return;
    }
    // With a second site: its jobs are queued in the transactions the kills
    // interrupt, and fsck checks after every restart that none was lost.
    let mut storage = Storage::embedded();
    let second_site = storage.path().join("second-site").display().to_string();
    storage.args.extend(["--replica-blobs".into(), second_site]);
    crash_rounds("SQLite + folder, a folder as second site", storage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_rounds_on_postgres_and_ceph() {
    let Some(storage) = Storage::postgres_s3("crash_rounds_on_postgres_and_ceph") else {
        return;
    };
    crash_rounds("PostgreSQL + Ceph", storage).await;
}
