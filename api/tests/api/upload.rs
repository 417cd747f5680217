use darkroom_workers::JobOutcome;
use futures::future::join_all;

use darkroom_storage::catalog::Scope;

use crate::backend_tests;
use crate::helpers::{TestApp, decode, jpeg};

backend_tests!(
    upload_renders_upright_thumb_and_preview,
    plain_body_upload_takes_name_from_query,
    same_user_same_bytes_is_one_asset_and_one_blob,
    other_user_same_bytes_gets_own_asset_sharing_the_blob,
    racing_identical_uploads_end_with_one_blob,
    client_hash_must_match_the_body,
    bytes_named_by_their_hash_are_answered_before_the_body,
    metadata_is_read_from_exif,
);

async fn upload_renders_upright_thumb_and_preview(app: TestApp) {
    // Stored 600×300 (red left, blue right) with orientation 6: displayed
    // turned 90° clockwise, so 300×600 with red on top.
    let body = app
        .upload_expect("IMG_0001.JPG", jpeg(600, 300, 1, Some(6), None), 201)
        .await;
    assert_eq!(body["status"], "created");
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(body["asset"]["width"], 600);
    assert_eq!(body["asset"]["orientation"], 6);
    assert_eq!(body["asset"]["renditions"][0]["status"], "pending");

    let pending = app
        .get(&format!("/api/v1/assets/{id}/renditions/thumb"))
        .await;
    assert_eq!(pending.status(), 202);
    assert_eq!(pending.headers()["retry-after"], "1");

    assert_eq!(app.run_jobs().await, vec![JobOutcome::Done]);

    // The listing's URL names the bytes (`?v=`): cacheable for good. The
    // bare URL changes what it serves when the photo is edited.
    let listed = app.get_json(&format!("/api/v1/assets/{id}")).await;
    let url = listed["renditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "thumb")
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.contains("/renditions/thumb?v="), "{url}");
    let bare = app
        .get(&format!("/api/v1/assets/{id}/renditions/thumb"))
        .await;
    assert_eq!(bare.headers()["cache-control"], "private, no-cache");
    let thumb = app.get(&url).await;
    assert_eq!(thumb.status(), 200);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    assert!(
        thumb.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = thumb.headers()["etag"].to_str().unwrap().to_string();
    let thumb = decode(thumb).await;
    assert_eq!(thumb.dimensions(), (128, 256));
    let top = thumb.get_pixel(64, 30);
    let bottom = thumb.get_pixel(64, 226);
    assert!(
        top[0] > 150 && top[2] < 100,
        "top should be red, is {top:?}"
    );
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom should be blue, is {bottom:?}"
    );

    let preview = decode(
        app.get(&format!("/api/v1/assets/{id}/renditions/preview"))
            .await,
    )
    .await;
    assert_eq!(
        preview.dimensions(),
        (300, 600),
        "never upscaled past the original"
    );

    let again = app
        .client
        .get(app.url(&format!("/api/v1/assets/{id}/renditions/thumb")))
        .bearer_auth(&app.token)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    let asset = app.get_json(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(asset["renditions"][0]["status"], "ready");
    assert_eq!(asset["renditions"][0]["width"], 128);
}

async fn plain_body_upload_takes_name_from_query(app: TestApp) {
    let response = app
        .client
        .post(app.url("/api/v1/assets?filename=..%2Fholiday%2Fbeach.jpg"))
        .bearer_auth(&app.token)
        .header("content-type", "application/octet-stream")
        .body(jpeg(64, 48, 2, None, None))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/assets/")
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["asset"]["original_name"], "beach.jpg");
    assert_eq!(body["asset"]["format"], "jpeg");
}

async fn same_user_same_bytes_is_one_asset_and_one_blob(app: TestApp) {
    let bytes = jpeg(64, 48, 3, None, None);
    let first = app.upload_expect("a.jpg", bytes.clone(), 201).await;
    let second = app.upload_expect("copy of a.jpg", bytes, 200).await;
    assert_eq!(second["status"], "duplicate");
    assert_eq!(second["id"], first["id"]);
    assert_eq!(app.stored_blob_count().await, 1);
    assert_eq!(app.catalog.blob_stats().await.unwrap(), (1, 1));
    let listing = app.get_json("/api/v1/assets").await;
    assert_eq!(listing["assets"].as_array().unwrap().len(), 1);
}

async fn other_user_same_bytes_gets_own_asset_sharing_the_blob(app: TestApp) {
    let bytes = jpeg(64, 48, 4, None, None);
    let mine = app.upload_expect("a.jpg", bytes.clone(), 201).await;
    let bob = app
        .user_token("bob", &darkroom_storage::catalog::Scope::ALL[..3])
        .await;
    let response = app.upload_as(&bob, "a.jpg", bytes).await;
    // Bob is told "created": never that someone else has the file.
    assert_eq!(response.status(), 201);
    let his: serde_json::Value = response.json().await.unwrap();
    assert_eq!(his["status"], "created");
    assert_ne!(his["id"], mine["id"]);
    assert_eq!(app.stored_blob_count().await, 1, "one stored copy");
    assert_eq!(
        app.catalog.blob_stats().await.unwrap(),
        (1, 2),
        "referenced twice"
    );
    let mine_id = mine["id"].as_str().unwrap();
    assert_eq!(
        app.get_as(&bob, &format!("/api/v1/assets/{mine_id}"))
            .await
            .status(),
        404
    );
}

async fn racing_identical_uploads_end_with_one_blob(app: TestApp) {
    let bytes = jpeg(256, 128, 5, None, None);
    let bob = app
        .user_token("bob", &darkroom_storage::catalog::Scope::ALL[..3])
        .await;
    let tokens: Vec<&str> = (0..8)
        .map(|i| {
            if i % 2 == 0 {
                app.token.as_str()
            } else {
                bob.as_str()
            }
        })
        .collect();
    let responses = join_all(
        tokens
            .iter()
            .map(|t| app.upload_as(t, "race.jpg", bytes.clone())),
    )
    .await;
    let mut by_user: std::collections::HashMap<&str, Vec<(u16, String)>> = Default::default();
    for (token, response) in tokens.iter().zip(responses) {
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        by_user
            .entry(token)
            .or_default()
            .push((status, body["id"].as_str().unwrap().to_string()));
    }
    for results in by_user.values() {
        assert_eq!(
            results.iter().filter(|(s, _)| *s == 201).count(),
            1,
            "{results:?}"
        );
        assert_eq!(
            results.iter().filter(|(s, _)| *s == 200).count(),
            3,
            "{results:?}"
        );
        assert!(
            results.iter().all(|(_, id)| id == &results[0].1),
            "one asset per user: {results:?}"
        );
    }
    assert_eq!(app.stored_blob_count().await, 1);
    assert_eq!(app.catalog.blob_stats().await.unwrap(), (1, 2));
}

async fn client_hash_must_match_the_body(app: TestApp) {
    let bytes = jpeg(64, 48, 6, None, None);
    let right = blake3::hash(&bytes).to_hex().to_string();
    let wrong = blake3::hash(b"something else").to_hex().to_string();
    let send = |hash: String| {
        app.client
            .post(app.url("/api/v1/assets"))
            .bearer_auth(&app.token)
            .header("x-content-blake3", hash)
            .body(bytes.clone())
            .send()
    };
    crate::helpers::assert_error(send(wrong).await.unwrap(), 400, "checksum_mismatch").await;
    assert_eq!(
        app.stored_blob_count().await,
        0,
        "nothing kept after a mismatch"
    );
    assert_eq!(app.catalog.blob_stats().await.unwrap(), (0, 0));
    crate::helpers::assert_error(
        send("nothex".into()).await.unwrap(),
        400,
        "invalid_checksum",
    )
    .await;
    let ok = send(right.to_uppercase()).await.unwrap();
    assert_eq!(ok.status(), 201);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["asset"]["blake3"], right);
}

/// A client that names its file's BLAKE3 gets `200 duplicate` for bytes it
/// already holds without the server reading the body (here: a body that is
/// not the photo at all, which reading would refuse); other users' photos,
/// the trash and unknown hashes still go through the body.
async fn bytes_named_by_their_hash_are_answered_before_the_body(app: TestApp) {
    let bytes = jpeg(64, 48, 90, None, None);
    let hash = blake3::hash(&bytes).to_hex().to_string();
    let first = app.upload_expect("held.jpg", bytes.clone(), 201).await;
    let send = |token: String, hash: String, body: Vec<u8>| {
        app.client
            .post(app.url("/api/v1/assets"))
            .bearer_auth(token)
            .header("x-content-blake3", hash)
            .body(body)
            .send()
    };
    let not_read = send(
        app.token.clone(),
        hash.clone(),
        b"not even a photo".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(not_read.status(), 200);
    let body: serde_json::Value = not_read.json().await.unwrap();
    assert_eq!(body["status"], "duplicate");
    assert_eq!(body["id"], first["id"]);
    // Another user with the same claim: their upload is read (and refused:
    // the body is not a photo).
    let other = app.user_token("otto", &Scope::ALL[..3]).await;
    crate::helpers::assert_error(
        send(other.clone(), hash.clone(), b"not even a photo".to_vec())
            .await
            .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    // In the trash: the body comes through and restores it.
    app.trash_as(&app.token, first["id"].as_str().unwrap())
        .await;
    crate::helpers::assert_error(
        send(
            app.token.clone(),
            hash.clone(),
            b"not even a photo".to_vec(),
        )
        .await
        .unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    let restored = send(app.token.clone(), hash, bytes).await.unwrap();
    assert_eq!(restored.status(), 200);
    let body: serde_json::Value = restored.json().await.unwrap();
    assert_eq!(body["status"], "restored");
}

async fn metadata_is_read_from_exif(app: TestApp) {
    let body = app
        .upload_expect(
            "dated.jpg",
            jpeg(64, 48, 7, Some(1), Some("2021:07:04 18:30:00")),
            201,
        )
        .await;
    assert_eq!(body["asset"]["taken_at"], "2021-07-04T18:30:00");
    assert_eq!(body["asset"]["metadata"]["taken_at"], "2021-07-04T18:30:00");
    assert_eq!(body["asset"]["metadata"]["orientation"], 1);
}
