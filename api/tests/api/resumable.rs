//! Resumable uploads (tus 1.0.0) spoken by hand, byte by byte, so that every
//! status is seen; `tests/tus_client.py` drives the same routes with tuspy.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use reqwest::Method;
use serde_json::Value;
use sha1::Digest;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, assert_error, noisy_jpeg, spawn_app_with};
use darkroom_storage::catalog::Scope;
use darkroom_storage::{ContentHash, UploadId};

backend_tests!(
    an_upload_cut_off_midway_resumes_from_what_arrived,
    tus_requests_that_cannot_be_honoured_get_the_protocols_answers,
    a_whole_file_in_the_creation_request_is_an_asset_at_once,
    bytes_already_held_finish_an_upload_as_it_is_created,
    two_clients_resuming_at_once_cannot_interleave,
    a_file_of_the_wrong_type_is_refused_at_its_first_bytes,
    tuspy_resumes_an_upload_after_the_app_restarts,
);

/// A photo large enough to send in pieces (about 100 KB).
fn photo(seed: u32) -> Vec<u8> {
    noisy_jpeg(200, 150, seed)
}

fn metadata(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", BASE64.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// `POST /uploads`, with the first bytes in the body when given.
async fn create(
    app: &TestApp,
    length: usize,
    meta: &str,
    body: Option<Vec<u8>>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&app.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header("Upload-Metadata", meta);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/offset+octet-stream")
            .body(body);
    }
    request.send().await.unwrap()
}

/// Creates an upload and returns its URL.
async fn created(app: &TestApp, length: usize, meta: &str) -> String {
    let response = create(app, length, meta, None).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["upload-offset"], "0");
    assert!(response.headers().contains_key("upload-expires"));
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/api/v1/uploads/"), "{location}");
    app.url(&location)
}

async fn patch(
    app: &TestApp,
    url: &str,
    offset: u64,
    body: impl Into<reqwest::Body>,
    checksum: Option<String>,
) -> reqwest::Result<reqwest::Response> {
    let mut request = app
        .client
        .patch(url)
        .bearer_auth(&app.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream");
    if let Some(checksum) = checksum {
        request = request.header("Upload-Checksum", checksum);
    }
    request.body(body).send().await
}

/// `HEAD`: the status and the offset the server has.
async fn offset(app: &TestApp, url: &str) -> (u16, Option<u64>) {
    let response = app
        .client
        .head(url)
        .bearer_auth(&app.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    let offset = response
        .headers()
        .get("upload-offset")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), offset)
}

fn sha1_checksum(bytes: &[u8]) -> String {
    format!("sha1 {}", BASE64.encode(sha1::Sha1::digest(bytes)))
}

/// A body that sends `chunks`, waits, then breaks the connection.
fn breaking_body(chunks: Vec<Vec<u8>>) -> reqwest::Body {
    let parts = chunks
        .into_iter()
        .map(|c| Ok::<_, std::io::Error>(Bytes::from(c)))
        .collect::<Vec<_>>();
    let cut = futures::stream::once(async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "cable pulled",
        ))
    });
    reqwest::Body::wrap_stream(futures::StreamExt::chain(futures::stream::iter(parts), cut))
}

/// Waits for the server to count what reached it before the break.
async fn settled_offset(app: &TestApp, url: &str) -> u64 {
    let mut last = None;
    for _ in 0..50 {
        let (status, now) = offset(app, url).await;
        assert_eq!(status, 200);
        if now == last && now != Some(0) {
            break;
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last.unwrap()
}

async fn an_upload_cut_off_midway_resumes_from_what_arrived(app: TestApp) {
    let bytes = photo(1);
    let hash = ContentHash::of(&bytes).to_hex();
    let url = created(
        &app,
        bytes.len(),
        &metadata(&[("filename", "cut.jpg"), ("blake3", &hash)]),
    )
    .await;
    // The connection breaks after a third of a request meant to send it all.
    let sent = bytes.len() / 3;
    let broken = patch(
        &app,
        &url,
        0,
        breaking_body(vec![bytes[..sent].to_vec()]),
        None,
    )
    .await;
    assert!(broken.is_err(), "the client saw its request fail");
    let kept = settled_offset(&app, &url).await;
    assert_eq!(kept, sent as u64, "what arrived before the break is kept");
    // Resuming from anywhere else is refused with the offset to use.
    let wrong = patch(&app, &url, 0, bytes.clone(), None).await.unwrap();
    let body = assert_error(wrong, 409, "offset_mismatch").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&sent.to_string())
    );
    // The rest, checked with SHA-1 on the way.
    let rest = &bytes[sent..];
    let done = patch(&app, &url, kept, rest.to_vec(), Some(sha1_checksum(rest)))
        .await
        .unwrap();
    assert_eq!(done.status(), 204);
    assert_eq!(
        done.headers()["upload-offset"],
        bytes.len().to_string().as_str()
    );
    assert_eq!(done.headers()["x-upload-outcome"], "created");
    let asset_id = done.headers()["x-asset-id"].to_str().unwrap().to_string();
    // The asset is the file, byte for byte, through the plain upload path.
    let asset = app.get_json(&format!("/api/v1/assets/{asset_id}")).await;
    assert_eq!(asset["blake3"], hash.as_str());
    assert_eq!(asset["original_name"], "cut.jpg");
    assert_eq!(asset["size"], bytes.len());
    let original = app
        .get(&format!("/api/v1/assets/{asset_id}/original"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(original.as_ref(), bytes.as_slice());
    assert_eq!(app.run_jobs().await.len(), 1, "the render job was queued");
    // A client that lost the last answer asks HEAD, and learns the asset.
    let head = app
        .client
        .head(&url)
        .bearer_auth(&app.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["x-asset-id"], asset_id.as_str());
    assert_eq!(
        head.headers()["upload-length"],
        bytes.len().to_string().as_str()
    );
    let state = app.get_json(&url.replace(&app.address, "")).await;
    assert_eq!(state["outcome"], "created");
    assert_eq!(state["offset"], bytes.len());
}

async fn tus_requests_that_cannot_be_honoured_get_the_protocols_answers(app: TestApp) {
    // Discovery needs no credentials.
    let options = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/uploads"))
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 204);
    let extensions = options.headers()["tus-extension"].to_str().unwrap();
    for extension in [
        "creation",
        "creation-with-upload",
        "termination",
        "expiration",
        "checksum",
    ] {
        assert!(
            extensions.split(',').any(|e| e == extension),
            "{extensions}"
        );
    }
    assert_eq!(
        options.headers()["tus-checksum-algorithm"],
        "blake3,sha1,sha256"
    );
    // Everything else needs them.
    let anonymous = app
        .client
        .post(app.url("/api/v1/uploads"))
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_error(anonymous, 401, "unauthorized").await;
    // Another protocol version: 412 with the one spoken.
    let old = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&app.token)
        .header("Tus-Resumable", "0.2.2")
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(old.headers()["tus-version"], "1.0.0");
    assert_error(old, 412, "tus_version_unsupported").await;
    // No length, an oversize one, bad metadata.
    let no_length = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&app.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_error(no_length, 400, "length_required").await;
    assert_error(
        create(&app, 1 << 40, "", None).await,
        413,
        "payload_too_large",
    )
    .await;
    assert_error(
        create(&app, 10, "filename ***", None).await,
        400,
        "invalid_upload_metadata",
    )
    .await;

    let bytes = photo(2);
    let url = created(&app, bytes.len(), &metadata(&[("filename", "x.jpg")])).await;
    // A checksum that does not match: 460, nothing kept.
    let half = &bytes[..bytes.len() / 2];
    let wrong = patch(&app, &url, 0, half.to_vec(), Some(sha1_checksum(b"other")))
        .await
        .unwrap();
    assert_error(wrong, 460, "checksum_mismatch").await;
    assert_eq!(offset(&app, &url).await, (200, Some(0)));
    let md5 = patch(&app, &url, 0, half.to_vec(), Some("md5 AAAA".into()))
        .await
        .unwrap();
    assert_error(md5, 400, "unsupported_checksum").await;
    // A BLAKE3 checksum that matches.
    let blake3 = format!("blake3 {}", BASE64.encode(blake3::hash(half).as_bytes()));
    let good = patch(&app, &url, 0, half.to_vec(), Some(blake3))
        .await
        .unwrap();
    assert_eq!(good.status(), 204);
    assert_eq!(
        good.headers()["upload-offset"],
        half.len().to_string().as_str()
    );
    // More than the declared length.
    let long = patch(&app, &url, half.len() as u64, bytes.clone(), None)
        .await
        .unwrap();
    assert_error(long, 400, "upload_too_long").await;
    assert_eq!(offset(&app, &url).await, (200, Some(half.len() as u64)));
    // Bytes in the wrong content type.
    let plain = app
        .client
        .patch(&url)
        .bearer_auth(&app.token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", half.len().to_string())
        .body(bytes[half.len()..].to_vec())
        .send()
        .await
        .unwrap();
    assert_error(plain, 415, "unsupported_media_type").await;
    // Someone else's upload does not exist for them.
    let other = app.user_token("sam", &[Scope::Upload, Scope::Read]).await;
    let theirs = app
        .client
        .head(&url)
        .bearer_auth(&other)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 404);
    // Termination removes it.
    let id: UploadId = url.rsplit('/').next().unwrap().parse().unwrap();
    let gone = app
        .client
        .delete(&url)
        .bearer_auth(&app.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    assert_eq!(offset(&app, &url).await.0, 404);
    assert_eq!(
        app.blobs.delete_upload(&id).await.unwrap(),
        0,
        "its parts went with it"
    );
    let response = patch(
        &app,
        &url,
        half.len() as u64,
        bytes[half.len()..].to_vec(),
        None,
    )
    .await
    .unwrap();
    assert_error(response, 404, "not_found").await;
}

async fn a_whole_file_in_the_creation_request_is_an_asset_at_once(app: TestApp) {
    let bytes = photo(3);
    let response = create(
        &app,
        bytes.len(),
        &metadata(&[("filename", "one.jpg")]),
        Some(bytes.clone()),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["upload-offset"],
        bytes.len().to_string().as_str()
    );
    assert_eq!(response.headers()["x-upload-outcome"], "created");
    let first = response.headers()["x-asset-id"]
        .to_str()
        .unwrap()
        .to_string();
    // The same bytes again: the same asset, as with a plain upload.
    let again = create(
        &app,
        bytes.len(),
        &metadata(&[("filename", "two.jpg")]),
        Some(bytes.clone()),
    )
    .await;
    assert_eq!(again.headers()["x-upload-outcome"], "duplicate");
    assert_eq!(again.headers()["x-asset-id"], first.as_str());
    // Part of a file in the creation request, the rest after.
    let other = photo(4);
    let response = create(&app, other.len(), "", Some(other[..1000].to_vec())).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["upload-offset"], "1000");
    let url = app.url(response.headers()["location"].to_str().unwrap());
    let done = patch(&app, &url, 1000, other[1000..].to_vec(), None)
        .await
        .unwrap();
    assert_eq!(done.headers()["x-upload-outcome"], "created");
    // A hash in the metadata that the bytes do not have: refused, nothing kept.
    let wrong = ContentHash::of(b"not these bytes").to_hex();
    let third = photo(5);
    let response = create(
        &app,
        third.len(),
        &metadata(&[("blake3", &wrong)]),
        Some(third),
    )
    .await;
    assert_error(response, 400, "checksum_mismatch").await;
    let listed: Value = app.get_json("/api/v1/assets").await;
    assert_eq!(listed["assets"].as_array().unwrap().len(), 2);
}

/// A client that names its file's BLAKE3 in the metadata, for bytes the
/// user already holds, never sends them: the upload is finished as it is
/// created, and a client that PATCHes anyway is told the end.
async fn bytes_already_held_finish_an_upload_as_it_is_created(app: TestApp) {
    let bytes = photo(6);
    let held = app.upload_id(&app.token, "held.jpg", bytes.clone()).await;
    let hash = ContentHash::of(&bytes).to_hex();
    let named = metadata(&[("filename", "again.jpg"), ("blake3", &hash)]);
    let response = create(&app, bytes.len(), &named, None).await;
    assert_eq!(response.status(), 201);
    let length = bytes.len().to_string();
    assert_eq!(response.headers()["upload-offset"], length.as_str());
    assert_eq!(response.headers()["x-upload-outcome"], "duplicate");
    assert_eq!(response.headers()["x-asset-id"], held.as_str());
    let url = app.url(response.headers()["location"].to_str().unwrap());
    assert_eq!(offset(&app, &url).await, (200, Some(bytes.len() as u64)));
    // A client that did not read the offset and sends from 0 is told the
    // end (and its asset) instead of a conflict; nothing it sent is kept.
    let patched = patch(&app, &url, 0, photo(7), None).await.unwrap();
    assert_eq!(patched.status(), 204);
    assert_eq!(patched.headers()["upload-offset"], length.as_str());
    assert_eq!(patched.headers()["x-asset-id"], held.as_str());
    let id = url.rsplit('/').next().unwrap();
    let status: Value = app.get_json(&format!("/api/v1/uploads/{id}")).await;
    assert_eq!(status["outcome"], "duplicate");
    // Another user naming the same BLAKE3 holds nothing: their upload starts
    // at 0 and must bring the bytes (what one user has never tells another).
    let stranger = app
        .user_token("stranger", &[Scope::Upload, Scope::Read])
        .await;
    let theirs = app
        .client
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(&stranger)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.as_str())
        .header("Upload-Metadata", named.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 201);
    assert_eq!(theirs.headers()["upload-offset"], "0");
    assert!(!theirs.headers().contains_key("x-asset-id"));
    // Bytes in the trash are not held: they come through the body, which
    // restores them.
    app.trash_as(&app.token, &held).await;
    let url = created(&app, bytes.len(), &named).await;
    let done = patch(&app, &url, 0, bytes.clone(), None).await.unwrap();
    assert_eq!(done.headers()["x-upload-outcome"], "restored");
    let listed: Value = app.get_json("/api/v1/assets").await;
    assert_eq!(listed["assets"].as_array().unwrap().len(), 1);
}

async fn two_clients_resuming_at_once_cannot_interleave(app: TestApp) {
    let bytes = photo(6);
    let url = created(&app, bytes.len(), "").await;
    // Both start at offset 0 and are still sending when the other looks.
    let slow = |chunk: Vec<u8>| {
        let first =
            futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(chunk)) });
        let pause = futures::stream::once(async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            Ok(Bytes::new())
        });
        reqwest::Body::wrap_stream(futures::StreamExt::chain(first, pause))
    };
    let (a, b) = tokio::join!(
        patch(&app, &url, 0, slow(bytes[..4096].to_vec()), None),
        patch(&app, &url, 0, slow(bytes[..6000].to_vec()), None)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(
        statuses,
        [204, 409],
        "one wins, the other finds the upload moved on"
    );
    let winner = if a.status() == 204 { 4096 } else { 6000 };
    assert_eq!(offset(&app, &url).await, (200, Some(winner)));
    // The loser resumes from the winner's offset, and the file is whole.
    let done = patch(&app, &url, winner, bytes[winner as usize..].to_vec(), None)
        .await
        .unwrap();
    let asset_id = done.headers()["x-asset-id"].to_str().unwrap().to_string();
    let asset = app.get_json(&format!("/api/v1/assets/{asset_id}")).await;
    assert_eq!(asset["blake3"], ContentHash::of(&bytes).to_hex().as_str());
}

async fn a_file_of_the_wrong_type_is_refused_at_its_first_bytes(app: TestApp) {
    let text = b"This is a shopping list, not a photo. Eggs, milk, film.".repeat(100);
    let url = created(&app, text.len(), "").await;
    let refused = patch(&app, &url, 0, text.clone(), None).await.unwrap();
    assert_error(refused, 415, "unsupported_media_type").await;
    assert_eq!(offset(&app, &url).await.0, 404, "the upload is gone");
}

/// Abandoned uploads expire; the collector removes their bytes.
async fn expired_uploads_lose_their_bytes(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |config| {
        config.upload_expiry = Duration::from_millis(2500);
    })
    .await
    else {
        return;
    };
    let bytes = photo(7);
    let url = created(&app, bytes.len(), "").await;
    let id: UploadId = url.rsplit('/').next().unwrap().parse().unwrap();
    let response = patch(&app, &url, 0, bytes[..5000].to_vec(), None)
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let expires = response.headers()["upload-expires"].to_str().unwrap();
    assert!(expires.ends_with(" GMT"), "{expires}");
    let kept = darkroom_storage::maintenance::remove_expired_uploads(
        &app.catalog,
        &app.blobs,
        Duration::ZERO,
    )
    .await
    .unwrap();
    assert_eq!(kept, 0, "a live upload is kept");
    tokio::time::sleep(Duration::from_millis(2700)).await;
    assert_eq!(
        offset(&app, &url).await.0,
        404,
        "an expired upload is not offered"
    );
    let removed = darkroom_storage::maintenance::remove_expired_uploads(
        &app.catalog,
        &app.blobs,
        Duration::ZERO,
    )
    .await
    .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(
        app.blobs.delete_upload(&id).await.unwrap(),
        0,
        "no part is left"
    );
    // Parts whose upload the catalog no longer has (a request still writing
    // when its upload went) are swept too; a live upload's are not.
    let live = created(&app, bytes.len(), "").await;
    let live_id: UploadId = live.rsplit('/').next().unwrap().parse().unwrap();
    let orphan = created(&app, bytes.len(), "").await;
    let orphan_id: UploadId = orphan.rsplit('/').next().unwrap().parse().unwrap();
    for url in [&live, &orphan] {
        let response = patch(&app, url, 0, bytes[..5000].to_vec(), None)
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
    app.catalog.delete_upload(&orphan_id).await.unwrap();
    let swept = darkroom_storage::maintenance::remove_expired_uploads(
        &app.catalog,
        &app.blobs,
        Duration::ZERO,
    )
    .await
    .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(
        app.blobs.delete_upload(&orphan_id).await.unwrap(),
        0,
        "the orphan's parts went"
    );
    assert_eq!(
        offset(&app, &live).await,
        (200, Some(5000)),
        "the live upload kept its bytes"
    );
    assert_eq!(app.blobs.delete_upload(&live_id).await.unwrap(), 1);
    assert_eq!(app.stored_blob_count().await, 0, "nothing became a blob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_uploads_lose_their_bytes_sqlite_local() {
    expired_uploads_lose_their_bytes(Backend::SqliteLocal).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_uploads_lose_their_bytes_postgres_s3() {
    expired_uploads_lose_their_bytes(Backend::PostgresS3).await;
}

/// Runs `tests/clients/tus_resume.py` (tuspy) for one phase; `None` when
/// tuspy is not installed here (CI installs it).
fn tuspy(
    app: &TestApp,
    file: &std::path::Path,
    store: &std::path::Path,
    phase: &str,
) -> Option<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/tus_resume.py");
    let has_tuspy = std::process::Command::new("python3")
        .args(["-c", "import tusclient"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_tuspy {
        eprintln!(
            "SKIPPED (tuspy): `python3 -m pip install tuspy` to drive the uploads with a real tus client"
        );
        return None;
    }
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(&app.address)
        .arg(&app.token)
        .arg(file)
        .arg(store)
        .arg(phase)
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "tuspy {phase}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("one JSON line"))
}

async fn tuspy_resumes_an_upload_after_the_app_restarts(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = noisy_jpeg(300, 300, 8);
    let file = dir.path().join("DSC_0042.jpg");
    std::fs::write(&file, &bytes).unwrap();
    let store = dir.path().join("urls.json");
    let started = {
        let app = &app;
        let (file, store) = (file.clone(), store.clone());
        tokio::task::block_in_place(|| tuspy(app, &file, &store, "start"))
    };
    let Some(started) = started else {
        return;
    };
    let url = started["url"].as_str().unwrap().to_string();
    let half = started["offset"].as_u64().unwrap();
    assert!(
        half >= bytes.len() as u64 / 2 && half < bytes.len() as u64,
        "{started}"
    );
    // The server holds exactly what tuspy sent before it stopped.
    assert_eq!(offset(&app, &url).await, (200, Some(half)));
    let resumed = tokio::task::block_in_place(|| tuspy(&app, &file, &store, "resume")).unwrap();
    assert_eq!(
        resumed["url"],
        url.as_str(),
        "the same upload, found by fingerprint"
    );
    assert_eq!(resumed["resumed_from"], half);
    assert_eq!(resumed["offset"], bytes.len());
    assert_eq!(resumed["outcome"], "created");
    let asset = app
        .get_json(&format!(
            "/api/v1/assets/{}",
            resumed["asset_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(asset["blake3"], ContentHash::of(&bytes).to_hex().as_str());
    assert_eq!(asset["original_name"], "DSC_0042.jpg");
}

/// Unfinished uploads hold their declared bytes against the quota, only so
/// many are open at once, each keeps so many parts, and none lives forever.
#[tokio::test]
async fn unfinished_uploads_are_counted_capped_and_bounded() {
    let app = spawn_app_with(Backend::SqliteLocal, |config| {
        config.max_open_uploads = 3;
        config.max_upload_parts = 3;
        config.upload_expiry = Duration::from_secs(24 * 3600);
        config.upload_lifetime = Duration::from_secs(3600);
    })
    .await
    .expect("the embedded backend always works");
    let admin = app
        .catalog
        .find_user_by_name("admin")
        .await
        .unwrap()
        .unwrap();
    let file = photo(61);
    let len = file.len();
    let meta = metadata(&[("filename", "parked.jpg")]);
    app.call_expect(
        Method::PATCH,
        &app.token,
        &format!("/api/v1/admin/users/{}", admin.id),
        Some(serde_json::json!({"quota_bytes": 2 * len + len / 2})),
        200,
    )
    .await;

    // A lifetime, not only an idle expiry: an hour, though idling allows a day.
    let response = create(&app, len, &meta, None).await;
    assert_eq!(response.status(), 201);
    let expires = chrono::DateTime::parse_from_rfc2822(
        response.headers()["upload-expires"].to_str().unwrap(),
    )
    .unwrap();
    let in_secs = (expires.timestamp() - chrono::Utc::now().timestamp()) as u64;
    assert!((3500..=3600).contains(&in_secs), "expires in {in_secs} s");
    let first = app.url(response.headers()["location"].to_str().unwrap());

    // Two unfinished uploads hold two files' worth of the quota: a third
    // does not fit, though nothing is stored yet.
    let _second = created(&app, len, &meta).await;
    let refused = create(&app, len, &meta, None).await;
    let body = assert_error(refused, 507, "quota_exceeded").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unfinished"),
        "{body}"
    );

    // Without a quota, the cap on open uploads still holds.
    app.call_expect(
        Method::PATCH,
        &app.token,
        &format!("/api/v1/admin/users/{}", admin.id),
        Some(serde_json::json!({"quota_bytes": null})),
        200,
    )
    .await;
    let third = created(&app, len, &meta).await;
    assert_error(
        create(&app, len, &meta, None).await,
        409,
        "too_many_uploads",
    )
    .await;
    let cancelled = app
        .client
        .delete(&third)
        .bearer_auth(&app.token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 204);
    let _fourth = created(&app, len, &meta).await;

    // Three parts, then only a request with every remaining byte.
    for at in [0usize, 10, 20] {
        let r = patch(&app, &first, at as u64, file[at..at + 10].to_vec(), None)
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let r = patch(&app, &first, 30, file[30..40].to_vec(), None)
        .await
        .unwrap();
    assert_error(r, 409, "too_many_parts").await;
    assert_eq!(offset(&app, &first).await, (200, Some(30)));
    let r = patch(&app, &first, 30, file[30..].to_vec(), None)
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let asset = r.headers()["x-asset-id"].to_str().unwrap().to_string();
    let stored = app
        .get_as(&app.token, &format!("/api/v1/assets/{asset}/original"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(stored.to_vec(), file, "the parts, in order");
}
