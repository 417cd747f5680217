use futures::StreamExt;

use crate::helpers::{Storage, client, jpeg, peak_rss_kib, serve, token_for};

/// 320 MiB streamed to the server must not be held in memory: the server's
/// peak resident size may grow by far less than the upload.
#[tokio::test]
async fn a_large_upload_streams_through_bounded_memory() {
    const TOTAL: u64 = 320 * 1024 * 1024;
    const CHUNK: usize = 256 * 1024;
    const MAX_GROWTH_KIB: u64 = 96 * 1024;

    let storage = Storage::embedded();
    // No in-process workers: rendering is another subject; this is ingest.
    let (server, url) = serve(&storage, &["--workers", "0"], &[]);
    let token = token_for(&storage, "dave");
    let before = peak_rss_kib(server.pid());

    // A real JPEG followed by zeros (trailing data is legal in a JPEG file).
    let head = jpeg(3);
    let head_len = head.len() as u64;
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(
        futures::stream::iter(
            (0..(TOTAL - head_len).div_ceil(CHUNK as u64)).map(move |i| {
                let left = TOTAL - head_len - i * CHUNK as u64;
                Ok(vec![0u8; left.min(CHUNK as u64) as usize])
            }),
        ),
    );
    let response = client()
        .post(format!("{url}/api/v1/assets?filename=big.jpg"))
        .bearer_auth(&token)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let asset: serde_json::Value = response.json().await.unwrap();
    assert_eq!(asset["asset"]["size"], TOTAL);

    let after = peak_rss_kib(server.pid());
    let growth = after.saturating_sub(before);
    eprintln!(
        "server peak RSS: {before} KiB before, {after} KiB after a {} MiB upload",
        TOTAL >> 20
    );
    assert!(
        growth < MAX_GROWTH_KIB,
        "peak RSS grew by {growth} KiB for a {} MiB upload",
        TOTAL >> 20
    );

    // And every byte arrived: the stored length and the tail are right.
    let original = format!(
        "{url}/api/v1/assets/{}/original",
        asset["id"].as_str().unwrap()
    );
    let tail = client()
        .get(&original)
        .bearer_auth(&token)
        .header("range", "bytes=-4")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &[0, 0, 0, 0]);
}
