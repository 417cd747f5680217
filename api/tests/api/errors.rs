use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::backend_tests;
use crate::helpers::{MAX_UPLOAD, TestApp, assert_error, jpeg};

backend_tests!(
    unsupported_types_are_415_and_not_stored,
    empty_uploads_are_400,
    declared_oversize_is_413_before_the_body_is_read,
    a_body_that_stalls_is_cut_off_and_nothing_is_kept,
    streamed_oversize_is_413_and_nothing_is_kept,
    decompression_bombs_are_422_from_the_header,
    multipart_without_a_file_field_is_400,
    unknown_routes_and_ids_are_json_404,
);

/// Every rejection leaves the catalog and the store as they were.
async fn assert_nothing_stored(app: &TestApp) {
    assert_eq!(app.stored_blob_count().await, 0);
    assert_eq!(app.catalog.blob_stats().await.unwrap(), (0, 0));
}

async fn unsupported_types_are_415_and_not_stored(app: TestApp) {
    for (name, bytes) in [
        (
            "archive.jpg",
            b"PK\x03\x04 this is a zip file, whatever its name says".to_vec(),
        ),
        (
            "drawing.png",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".to_vec(),
        ),
        (
            "animation.gif",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
        ),
        ("tiny", b"\xFF".to_vec()),
    ] {
        assert_error(app.upload(name, bytes).await, 415, "unsupported_media_type").await;
    }
    assert_nothing_stored(&app).await;
}

async fn empty_uploads_are_400(app: TestApp) {
    assert_error(app.upload("empty.jpg", Vec::new()).await, 400, "empty_file").await;
    let plain = app
        .client
        .post(app.url("/api/v1/assets"))
        .bearer_auth(&app.token)
        .body(Vec::<u8>::new())
        .send()
        .await
        .unwrap();
    assert_error(plain, 400, "empty_file").await;
    assert_nothing_stored(&app).await;
}

async fn declared_oversize_is_413_before_the_body_is_read(app: TestApp) {
    // Announce a huge body and send none of it: a server that waited for the
    // body would hang here; ours answers from the headers.
    let address = app.address.trim_start_matches("http://").to_string();
    let token = app.token.clone();
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "POST /api/v1/assets HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            10 * MAX_UPLOAD
        )
        .unwrap();
        let mut buf = vec![0u8; 4096];
        let n = stream.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).to_string()
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("payload_too_large"), "{response}");
    assert_nothing_stored(&app).await;
}

/// A client that sends part of its body and stops: after the stall timeout
/// (5 s in tests) the request ends and nothing is kept, rather than holding
/// the connection and the staged bytes for ever (slowloris).
async fn a_body_that_stalls_is_cut_off_and_nothing_is_kept(app: TestApp) {
    let address = app.address.trim_start_matches("http://").to_string();
    let token = app.token.clone();
    let started = std::time::Instant::now();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let photo = jpeg(640, 480, 31, None, None);
        write!(
            stream,
            "POST /api/v1/assets HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
            photo.len() + 100_000
        )
        .unwrap();
        stream.write_all(&photo).unwrap();
        // And then nothing: the rest never comes.
        let mut buf = vec![0u8; 4096];
        stream
            .read(&mut buf)
            .map(|n| String::from_utf8_lossy(&buf[..n]).to_string())
    })
    .await
    .unwrap();
    let answer = answer.expect("the server let go of the stalled body within 30 s");
    // An error status, or the connection closed: either way, no upload.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    assert!(started.elapsed() < Duration::from_secs(25));
    assert_nothing_stored(&app).await;
}

async fn streamed_oversize_is_413_and_nothing_is_kept(app: TestApp) {
    // A chunked body (no Content-Length) that only turns out too large midway.
    let mut first = jpeg(64, 48, 9, None, None);
    first.resize(64 * 1024, 0);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = std::iter::once(Ok(first))
        .chain((0..(MAX_UPLOAD / (64 * 1024)) + 2).map(|_| Ok(vec![0u8; 64 * 1024])))
        .collect();
    let response = app
        .client
        .post(app.url("/api/v1/assets"))
        .bearer_auth(&app.token)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await;
    // The server may close the connection as it answers; when the client
    // sees the answer, it must be a 413.
    if let Ok(response) = response {
        assert_error(response, 413, "payload_too_large").await;
    }
    assert_nothing_stored(&app).await;
    let counts = app.catalog.job_counts().await.unwrap();
    assert_eq!(counts, Default::default());
}

async fn decompression_bombs_are_422_from_the_header(app: TestApp) {
    let mut bomb = Vec::new();
    let mut encoder = png::Encoder::new(&mut bomb, 100_000, 100_000);
    encoder.set_color(png::ColorType::Rgb);
    drop(encoder.write_header().unwrap());
    assert_error(app.upload("bomb.png", bomb).await, 422, "image_too_large").await;
    assert_nothing_stored(&app).await;
}

async fn multipart_without_a_file_field_is_400(app: TestApp) {
    let form = reqwest::multipart::Form::new().text("deviceAssetId", "abc");
    let response = app
        .client
        .post(app.url("/api/v1/assets"))
        .bearer_auth(&app.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_error(response, 400, "missing_file").await;
}

async fn unknown_routes_and_ids_are_json_404(app: TestApp) {
    assert_error(app.get("/api/v1/nothing-here").await, 404, "not_found").await;
    assert_error(app.get("/api/v1/assets/not-an-id").await, 404, "not_found").await;
    let unknown = darkroom_storage::AssetId::new();
    assert_error(
        app.get(&format!("/api/v1/assets/{unknown}")).await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        app.get(&format!("/api/v1/assets/{unknown}/original")).await,
        404,
        "not_found",
    )
    .await;
    // A path of ours with a method it does not take: 405, and what it takes.
    for (method, path, allow) in [
        (
            reqwest::Method::DELETE,
            "/api/v1/timeline".to_string(),
            "GET",
        ),
        (
            reqwest::Method::PUT,
            "/api/v1/assets".to_string(),
            "POST, GET",
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/assets/{unknown}"),
            "GET, PATCH, DELETE",
        ),
    ] {
        let response = app.call(method, Some(&app.token), &path, None).await;
        assert_eq!(response.headers()["allow"], allow, "{path}");
        assert_error(response, 405, "method_not_allowed").await;
    }
}

/// Sends `head` on a new connection and reads what comes back (empty when
/// the server closed it), with how long that took.
fn raw_exchange(address: &str, head: &str) -> (String, Duration) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let started = std::time::Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).unwrap_or(0);
    (
        String::from_utf8_lossy(&buf[..n]).to_string(),
        started.elapsed(),
    )
}

/// Slow clients hold nothing long: headers that never finish meet the
/// header timeout, an idle connection the keep-alive timeout, and a body is
/// read only for a caller who is known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_idle_connections_and_strangers_bodies_are_let_go() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::SqliteLocal, |config| {
        config.header_timeout = Duration::from_secs(1);
        config.keep_alive = Duration::from_secs(1);
        config.request_limits = Some(darkroom_api::RequestLimits {
            per_minute: 60,
            burst: 4,
        });
    })
    .await
    .expect("the embedded backend always works");
    let address = app.address.trim_start_matches("http://").to_string();

    // Headers begun and never finished.
    let at = address.clone();
    let (answer, took) = tokio::task::spawn_blocking(move || {
        raw_exchange(&at, "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ")
    })
    .await
    .unwrap();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    assert!(took < Duration::from_secs(4), "cut off after {took:?}");

    // A kept-alive connection that goes quiet after its request.
    let at = address.clone();
    let (answer, took) = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&at).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            .unwrap();
        let mut buf = vec![0u8; 4096];
        let n = stream.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        let started = std::time::Instant::now();
        let closed = stream.read(&mut buf).unwrap_or(0);
        (closed.to_string(), started.elapsed())
    })
    .await
    .unwrap();
    assert_eq!(answer, "0", "the server closed the idle connection");
    assert!(took < Duration::from_secs(5), "closed after {took:?}");

    // A body for a route that needs an account, from an unknown caller: the
    // answer comes at once, though the body never does.
    let at = address.clone();
    let (answer, took) = tokio::task::spawn_blocking(move || {
        raw_exchange(
            &at,
            "POST /api/v1/albums HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer drk_unknown\r\n\
             Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"name\":",
        )
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(took < Duration::from_secs(3), "{took:?}");

    // A known caller's request is counted once, though resolved early: four
    // requests with bodies fit the burst of four.
    for n in 0..4 {
        app.call_expect(
            reqwest::Method::POST,
            &app.token,
            "/api/v1/albums",
            Some(serde_json::json!({"name": format!("a{n}")})),
            201,
        )
        .await;
    }
}
