//! A second site (`--replica-blobs`), on both backends: every blob copied
//! there by the workers; with the primary store gone (a folder replaced by
//! a file, or an S3 gateway that stops answering) originals and renditions
//! are still served and uploads still stored; once the primary is back the
//! copies flow back, `fsck` is clean, and `scrub --repair` mends a bad
//! primary copy from the second site.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::helpers::*;

/// How the test takes the primary store away and brings it back.
enum Primary {
    /// A local folder: moved aside and replaced by a plain file, so that
    /// every call fails as on a dead mount (permissions do not stop root).
    Folder(PathBuf),
    /// An S3 gateway reached through a TCP relay that the test stops.
    Gateway(Relay),
}

impl Primary {
    async fn fail(&mut self) {
        match self {
            Primary::Folder(path) => {
                std::fs::rename(&*path, path.with_extension("away")).unwrap();
                std::fs::write(&*path, b"not a folder").unwrap();
            }
            Primary::Gateway(relay) => relay.stop(),
        }
    }

    async fn recover(&mut self) {
        match self {
            Primary::Folder(path) => {
                std::fs::remove_file(&*path).unwrap();
                std::fs::rename(path.with_extension("away"), &*path).unwrap();
            }
            Primary::Gateway(relay) => relay.start().await,
        }
    }

    /// Damages the primary's copy of `hash`: a flipped byte in a folder,
    /// a deleted object on S3.
    fn damage(&self, hash: &str, storage: &Storage) {
        match self {
            Primary::Folder(path) => {
                let file = path.join(blob_key(hash));
                let mut bytes = std::fs::read(&file).unwrap();
                bytes[100] ^= 0x55;
                std::fs::write(&file, bytes).unwrap();
            }
            Primary::Gateway(relay) => {
                let blobs = storage.args
                    [storage.args.iter().position(|a| a == "--blobs").unwrap() + 1]
                    .clone();
                let bucket_prefix = blobs
                    .trim_start_matches("s3://")
                    .split('?')
                    .next()
                    .unwrap()
                    .to_string();
                s3_delete(
                    &relay.target,
                    &format!("{bucket_prefix}/{}", blob_key(hash)),
                );
            }
        }
    }
}

fn blob_key(hash: &str) -> String {
    format!("blobs/{}/{}/{hash}", &hash[0..2], &hash[2..4])
}

/// Deletes one object with a signed S3 request (curl's SigV4).
fn s3_delete(endpoint: &str, key: &str) {
    let credentials = format!(
        "{}:{}",
        std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default(),
        std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default()
    );
    let status = std::process::Command::new("curl")
        .args(["-sf", "-X", "DELETE", "--aws-sigv4", "aws:amz:us-east-1:s3"])
        .args(["--user", &credentials])
        .args([
            "-H",
            "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ])
        .arg(format!("{endpoint}/{key}"))
        .status()
        .expect("curl runs");
    assert!(status.success(), "deleting {key} failed");
}

/// A TCP relay to `target` on a fixed local port: stopped, it refuses new
/// connections and cuts the open ones, as a dead gateway does.
struct Relay {
    target: String,
    port: u16,
    /// The accept loop and every connection, aborted by `stop`.
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    async fn new(target: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut relay = Relay {
            target: target.trim_end_matches('/').to_string(),
            port,
            tasks: Arc::default(),
        };
        relay.start().await;
        relay
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn start(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        let target = self.target.trim_start_matches("http://").to_string();
        let tasks = self.tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let connection = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(connection);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    fn stop(&mut self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test]
async fn a_second_site_serves_and_stores_while_the_primary_is_down_embedded() {
    let storage = Storage::embedded();
    let primary = Primary::Folder(storage.path().join("blobs"));
    let replica = tempfile::tempdir().unwrap();
    second_site(storage, primary, replica.path().display().to_string()).await;
}

// Threads of its own for the relay: the test's own thread blocks on
// processes and logs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_site_serves_and_stores_while_the_primary_is_down_postgres_s3() {
    let Some(mut storage) = Storage::postgres_s3("a_second_site_serves_and_stores") else {
        return;
    };
    // The primary is reached through the relay; the second site is another
    // prefix of the same cluster, reached directly.
    let at = storage.args.iter().position(|a| a == "--blobs").unwrap() + 1;
    let (location, endpoint) = storage.args[at].split_once("?endpoint=").unwrap();
    let (location, endpoint) = (location.to_string(), endpoint.to_string());
    let relay = Relay::new(&endpoint).await;
    storage.args[at] = format!("{location}?endpoint={}", relay.url());
    // The second site's credentials come from variables of its own (here
    // the same test account's, under another name).
    let replica = format!("{location}-replica?endpoint={endpoint}&credentials=SECOND_SITE");
    for (var, from) in [
        ("SECOND_SITE_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
        ("SECOND_SITE_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"),
    ] {
        storage.env.push((var.into(), std::env::var(from).unwrap()));
    }
    second_site(storage, Primary::Gateway(relay), replica).await;
}

/// Referenced blobs the second site does not hold yet.
fn backlog(storage: &Storage) -> u64 {
    catalog_sql(
        storage,
        "SELECT COUNT(*) FROM blobs WHERE ref_count > 0 AND replicated_at IS NULL",
    )
    .parse()
    .unwrap()
}

fn wait_for_no_backlog(storage: &Storage, within: Duration) {
    let deadline = Instant::now() + within;
    while backlog(storage) > 0 {
        assert!(
            Instant::now() < deadline,
            "{} blob(s) still not on both sites; jobs: {}",
            backlog(storage),
            catalog_sql(
                storage,
                "SELECT state, attempts, last_error FROM jobs WHERE kind = 'replicate_blob' \
                 AND state <> 'done'"
            )
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

async fn thumbnail(url: &str, token: &str, id: &str) -> bytes::Bytes {
    wait_for_rendition(&format!("{url}/api/v1/assets/{id}/renditions/thumb"), token).await
}

async fn second_site(mut storage: Storage, mut primary: Primary, replica: String) {
    storage
        .args
        .extend(["--replica-blobs".to_string(), replica]);
    // Quick retries, so that copies held up by the outage go soon after.
    let (_server, url) = serve(&storage, &[], &[("DARKROOM_JOB_RETRY_BASE_MS", "200")]);
    let admin = user_with_token(&storage, "root", true, "admin");
    let token = token_for(&storage, "alice");

    let mut photos = Vec::new();
    let mut thumbnails = Vec::new();
    for n in 0..3 {
        let bytes = noisy_jpeg(400 + n);
        let id = upload(&url, &token, bytes.clone()).await;
        thumbnails.push(thumbnail(&url, &token, &id).await);
        photos.push((id, bytes));
    }
    wait_for_no_backlog(&storage, Duration::from_secs(60));
    let replicated = catalog_sql(
        &storage,
        "SELECT COUNT(*) FROM blobs WHERE replicated_at IS NOT NULL",
    );
    assert!(
        replicated.parse::<u64>().unwrap() >= 6,
        "originals and thumbnails: {replicated}"
    );

    // The primary goes away: what was stored is still served, byte for byte.
    primary.fail().await;
    assert_originals(&url, &token, &photos).await;
    for ((id, _), thumb) in photos.iter().zip(&thumbnails) {
        assert_eq!(
            &thumbnail(&url, &token, id).await,
            thumb,
            "thumbnail of {id}"
        );
    }
    // Uploads go on: stored on the second site (or refused, retryably).
    let mut during = Vec::new();
    for n in 0..2 {
        let bytes = noisy_jpeg(500 + n);
        let response = client()
            .post(format!("{url}/api/v1/assets"))
            .bearer_auth(&token)
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        match status {
            201 => during.push((body["id"].as_str().unwrap().to_string(), bytes)),
            503 => assert!(
                body["error"].is_object() || body["message"].is_string(),
                "{body}"
            ),
            other => panic!("an upload during the outage got {other}: {body}"),
        }
    }
    assert!(!during.is_empty(), "no upload was stored during the outage");
    for (id, _) in &during {
        thumbnail(&url, &token, id).await;
    }
    assert_originals(&url, &token, &during).await;
    let metrics = client()
        .get(format!("{url}/metrics"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "darkroom_blob_primary_down 1",
        "darkroom_blob_replica_reads_total{op=\"stream\",reason=",
        "darkroom_blob_replica_writes_total{op=\"stage\"}",
        "darkroom_blobs_unreplicated ",
    ] {
        assert!(
            metrics.contains(needle),
            "{needle} is not in /metrics:\n{metrics}"
        );
    }

    // The primary comes back: what was stored meanwhile is copied to it.
    primary.recover().await;
    wait_for_no_backlog(&storage, Duration::from_secs(90));
    let fsck = darkroom(&["fsck"], &storage);
    assert!(
        fsck.status.success(),
        "{}{}",
        text(&fsck.stdout),
        text(&fsck.stderr)
    );
    assert!(
        text(&fsck.stdout).contains("on the second site"),
        "{}",
        text(&fsck.stdout)
    );
    photos.extend(during);
    assert_originals(&url, &token, &photos).await;

    // A bad primary copy: scrub names it, and mends it from the second site.
    let (first_id, first_bytes) = &photos[0];
    let hash = catalog_sql(
        &storage,
        &format!("SELECT blob_hash FROM assets WHERE id = '{first_id}'"),
    );
    primary.damage(&hash, &storage);
    let scrub = darkroom(&["scrub"], &storage);
    assert!(!scrub.status.success(), "{}", text(&scrub.stdout));
    assert!(
        text(&scrub.stdout).contains(&hash),
        "{}",
        text(&scrub.stdout)
    );
    assert!(
        text(&scrub.stderr).contains("--repair"),
        "{}",
        text(&scrub.stderr)
    );
    let repaired = darkroom(&["scrub", "--repair"], &storage);
    assert!(
        repaired.status.success(),
        "{}{}",
        text(&repaired.stdout),
        text(&repaired.stderr)
    );
    assert!(
        text(&repaired.stdout).contains(&format!("restored {hash} from the second site")),
        "{}",
        text(&repaired.stdout)
    );
    darkroom_ok(&["scrub"], &storage);
    assert_originals(&url, &token, &[(first_id.clone(), first_bytes.clone())]).await;
}

#[tokio::test]
async fn turning_replication_on_and_losing_replicas_are_fsck_findings_embedded() {
    let storage = Storage::embedded();
    let replica = tempfile::tempdir().unwrap();
    let replica = replica.path().display().to_string();
    replication_findings(storage, replica.clone(), |key| {
        std::fs::remove_file(PathBuf::from(&replica).join(key)).unwrap()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_replication_on_and_losing_replicas_are_fsck_findings_postgres_s3() {
    let Some(storage) = Storage::postgres_s3("turning_replication_on") else {
        return;
    };
    let at = storage.args.iter().position(|a| a == "--blobs").unwrap() + 1;
    let (location, endpoint) = storage.args[at].split_once("?endpoint=").unwrap();
    let (location, endpoint) = (location.to_string(), endpoint.to_string());
    let replica = format!("{location}-replica?endpoint={endpoint}");
    let bucket_prefix = format!("{}-replica", location.trim_start_matches("s3://"));
    replication_findings(storage, replica, |key| {
        s3_delete(&endpoint, &format!("{bucket_prefix}/{key}"))
    })
    .await;
}

/// A library stored before `--replica-blobs` was set: fsck says which blobs
/// no job will copy, `--repair` queues them, the workers copy them. A copy
/// lost on the second site later is found and copied again the same way.
async fn replication_findings(storage: Storage, replica: String, lose: impl Fn(&str)) {
    let mut photos = Vec::new();
    {
        let (_server, url) = serve(&storage, &[], &[]);
        let token = token_for(&storage, "bob");
        for n in 0..2 {
            let bytes = noisy_jpeg(600 + n);
            let id = upload(&url, &token, bytes.clone()).await;
            thumbnail(&url, &token, &id).await;
            photos.push(id);
        }
    }
    // The same library, now with a second site.
    let mut replicated = storage;
    replicated
        .args
        .extend(["--replica-blobs".to_string(), replica]);

    let fsck = darkroom(&["fsck"], &replicated);
    assert_eq!(fsck.status.code(), Some(1), "{}", text(&fsck.stdout));
    let stalled = text(&fsck.stdout)
        .matches("replication stalled: blob")
        .count();
    assert!(
        stalled >= 4,
        "two originals and their renditions:\n{}",
        text(&fsck.stdout)
    );
    let repair = darkroom(&["fsck", "--repair"], &replicated);
    assert!(repair.status.success(), "{}", text(&repair.stdout));
    assert_eq!(
        text(&repair.stdout)
            .matches("queued the copy of blob")
            .count(),
        stalled,
        "{}",
        text(&repair.stdout)
    );
    let (_server, _url) = serve(&replicated, &[], &[]);
    wait_for_no_backlog(&replicated, Duration::from_secs(60));
    darkroom_ok(&["fsck"], &replicated);

    // A copy lost on the second site.
    let hash = catalog_sql(
        &replicated,
        &format!("SELECT blob_hash FROM assets WHERE id = '{}'", photos[0]),
    );
    lose(&blob_key(&hash));
    let fsck = darkroom(&["fsck"], &replicated);
    assert_eq!(fsck.status.code(), Some(1), "{}", text(&fsck.stdout));
    assert!(
        text(&fsck.stdout).contains(&format!("replica missing: blob {hash}")),
        "{}",
        text(&fsck.stdout)
    );
    darkroom_ok(&["fsck", "--repair"], &replicated);
    wait_for_no_backlog(&replicated, Duration::from_secs(60));
    darkroom_ok(&["fsck"], &replicated);
    darkroom_ok(&["scrub"], &replicated);
}
