use crate::backend_tests;
use crate::helpers::{TestApp, assert_error, jpeg};

backend_tests!(
    listing_is_newest_taken_first_with_cursors,
    originals_are_served_exactly_with_ranges_and_etags,
    health_and_request_ids,
    json_reads_answer_304_while_nothing_changed,
);

async fn listing_is_newest_taken_first_with_cursors(app: TestApp) {
    let dates = [
        "2020:01:01 10:00:00",
        "2023:06:15 09:00:00",
        "2021:03:03 12:00:00",
        "2022:11:30 23:59:59",
        "2019:05:05 05:05:05",
    ];
    for (i, date) in dates.iter().enumerate() {
        app.upload_expect(
            &format!("{i}.jpg"),
            jpeg(32, 32, 100 + i as u32, None, Some(date)),
            201,
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/assets?limit=2&cursor={c}"),
            None => "/api/v1/assets?limit=2".to_string(),
        };
        let page = app.get_json(&path).await;
        pages += 1;
        for asset in page["assets"].as_array().unwrap() {
            seen.push(asset["taken_at"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        [
            "2023-06-15T09:00:00",
            "2022-11-30T23:59:59",
            "2021-03-03T12:00:00",
            "2020-01-01T10:00:00",
            "2019-05-05T05:05:05"
        ]
    );
    assert_error(
        app.get("/api/v1/assets?cursor=garbage").await,
        400,
        "invalid_cursor",
    )
    .await;
    assert_error(
        app.get("/api/v1/assets?limit=0").await,
        400,
        "invalid_limit",
    )
    .await;
}

async fn originals_are_served_exactly_with_ranges_and_etags(app: TestApp) {
    let bytes = jpeg(200, 100, 11, None, None);
    let body = app
        .upload_expect("Ünïcode name \"quoted\".jpg", bytes.clone(), 201)
        .await;
    let path = format!("/api/v1/assets/{}/original", body["id"].as_str().unwrap());

    let whole = app.get(&path).await;
    assert_eq!(whole.status(), 200);
    let etag = whole.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{}\"", blake3::hash(&bytes).to_hex()));
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.headers()["x-content-type-options"], "nosniff");
    let disposition = whole.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename*=UTF-8''%C3%9Cn"),
        "{disposition}"
    );
    assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let ranged = |range: &'static str| {
        app.client
            .get(app.url(&path))
            .bearer_auth(&app.token)
            .header("range", range)
            .send()
    };
    let part = ranged("bytes=10-19").await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 10-19/{}", bytes.len())
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[10..20]);
    let tail = ranged("bytes=-5").await.unwrap();
    assert_eq!(
        tail.bytes().await.unwrap().as_ref(),
        &bytes[bytes.len() - 5..]
    );
    let beyond = ranged("bytes=999999999-").await.unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", bytes.len())
    );
    let body: serde_json::Value = beyond.json().await.unwrap();
    assert_eq!(body["error"]["code"], "range_not_satisfiable");

    let cached = app
        .client
        .get(app.url(&path))
        .bearer_auth(&app.token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    // If-None-Match compares weakly (RFC 9110): a weak tag names it too.
    let weakly = app
        .client
        .get(app.url(&path))
        .bearer_auth(&app.token)
        .header("if-none-match", format!("W/{etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(weakly.status(), 304);
}

async fn health_and_request_ids(app: TestApp) {
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let id = ready.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["catalog"], "ok");
    assert_eq!(body["blobs"], "ok");
    let other = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_ne!(
        other.headers()["x-request-id"].to_str().unwrap(),
        id,
        "a fresh id per request"
    );
    // Not ready once the catalog is gone, and anyone asking learns that,
    // not the error's text (it goes to the log).
    app.catalog.close().await;
    let down = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(down.status(), 503);
    let body: serde_json::Value = down.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["catalog"], "unavailable (the log says why)", "{body}");
    assert_eq!(body["blobs"], "ok");
}

async fn json_reads_answer_304_while_nothing_changed(app: TestApp) {
    let id = app
        .upload_id(&app.token, "e.jpg", jpeg(32, 32, 7, None, None))
        .await;
    let get = |path: String, tag: Option<String>| {
        let mut request = app.client.get(app.url(&path)).bearer_auth(&app.token);
        if let Some(tag) = tag {
            request = request.header("If-None-Match", tag);
        }
        request.send()
    };
    for path in [
        "/api/v1/assets".to_string(),
        format!("/api/v1/assets/{id}"),
        "/api/v1/timeline".into(),
    ] {
        let first = get(path.clone(), None).await.unwrap();
        assert_eq!(first.status(), 200);
        let tag = first.headers()["etag"].to_str().unwrap().to_string();
        assert!(tag.starts_with("W/\""), "{tag}");
        assert_eq!(first.headers()["cache-control"], "private, no-cache");
        let again = get(path.clone(), Some(tag.clone())).await.unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], tag.as_str());
        assert!(again.bytes().await.unwrap().is_empty());
    }
    // A change gives a new tag, and the full answer.
    let before = get(format!("/api/v1/assets/{id}"), None).await.unwrap();
    let tag = before.headers()["etag"].to_str().unwrap().to_string();
    app.call_expect(
        reqwest::Method::PATCH,
        &app.token,
        &format!("/api/v1/assets/{id}"),
        Some(serde_json::json!({"title": "changed"})),
        200,
    )
    .await;
    let after = get(format!("/api/v1/assets/{id}"), Some(tag.clone()))
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"], tag.as_str());
    // Originals keep their own strong, content-named tag.
    let original = get(format!("/api/v1/assets/{id}/original"), None)
        .await
        .unwrap();
    assert!(
        !original.headers()["etag"]
            .to_str()
            .unwrap()
            .starts_with("W/")
    );
}
