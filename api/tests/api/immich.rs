//! Immich's routes (what its uploader and apps call), in Immich's shapes:
//! the discovery and account routes, the SHA-1 bulk check, uploads with its
//! form fields, and albums; `tests/cli/immich.rs` drives them with Immich's
//! own client.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha1::Digest;

use crate::backend_tests;
use crate::helpers::{TestApp, noisy_jpeg};
use darkroom_storage::catalog::Scope;

backend_tests!(
    discovery_and_the_account_in_immichs_shapes,
    the_bulk_check_answers_by_sha1_per_owner,
    an_upload_in_immichs_form_is_our_upload,
    albums_are_listed_created_and_filled_per_id,
);

fn sha1_hex(bytes: &[u8]) -> String {
    sha1::Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Uploads `bytes` as Immich's clients do (`x-api-key`, multipart with
/// `assetData` between other fields and a sidecar after it).
async fn immich_upload(
    app: &TestApp,
    token: &str,
    bytes: Vec<u8>,
    favourite: bool,
) -> (u16, Value) {
    let form = Form::new()
        .text("fileCreatedAt", "2024-05-01T10:00:00.000Z")
        .text("fileModifiedAt", "2024-05-01T10:00:00.000Z")
        .text("fileSize", bytes.len().to_string())
        .text("isFavorite", favourite.to_string())
        .part("assetData", Part::bytes(bytes).file_name("IMG_0042.jpg"))
        .part(
            "sidecarData",
            Part::bytes(vec![b' '; 200_000]).file_name("IMG_0042.xmp"),
        );
    let response = app
        .client
        .post(app.url("/api/assets"))
        .header("x-api-key", token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// GETs `path` (as Immich's clients send a token: `x-api-key`); its JSON.
async fn get_json(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.header("x-api-key", token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

async fn discovery_and_the_account_in_immichs_shapes(app: TestApp) {
    let well_known = get_json(&app, None, "/.well-known/immich").await;
    assert_eq!(well_known, json!({"api": {"endpoint": "/api"}}));
    let ping = get_json(&app, None, "/api/server/ping").await;
    assert_eq!(ping, json!({"res": "pong"}));
    let types = get_json(&app, None, "/api/server/media-types").await;
    for ext in [".jpg", ".jpeg", ".dng", ".nef", ".heic"] {
        assert!(
            types["image"].as_array().unwrap().contains(&json!(ext)),
            "{types}"
        );
    }
    assert_eq!(types["video"], json!([]));

    // The account, with the token as Immich's x-api-key.
    let me = get_json(&app, Some(&app.token), "/api/users/me").await;
    assert_eq!(me["email"], me["name"], "{me}");
    assert!(me["id"].is_string() && me["createdAt"].is_string(), "{me}");
    // Every scope is Immich's `all`; fewer are listed one by one.
    let key = app
        .call_expect(Method::GET, &app.token, "/api/api-keys/me", None, 200)
        .await;
    assert_eq!(key["permissions"], json!(["all"]), "{key}");
    let uploader = app
        .user_token("uploader", &[Scope::Read, Scope::Upload])
        .await;
    let key = app
        .call_expect(Method::GET, &uploader, "/api/api-keys/me", None, 200)
        .await;
    let permissions = key["permissions"].as_array().unwrap();
    assert!(
        permissions.contains(&json!("user.read")) && permissions.contains(&json!("asset.upload")),
        "{key}"
    );
    assert!(!permissions.contains(&json!("album.create")), "{key}");

    // No credentials: 401; a method a path does not take: 405 naming it.
    app.call_error(
        Method::GET,
        None,
        "/api/users/me",
        None,
        401,
        "unauthorized",
    )
    .await;
    let response = app
        .call(Method::DELETE, Some(&app.token), "/api/albums", None)
        .await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, POST");
}

async fn the_bulk_check_answers_by_sha1_per_owner(app: TestApp) {
    let (kept, trashed, new) = (
        noisy_jpeg(64, 48, 1),
        noisy_jpeg(64, 48, 2),
        noisy_jpeg(64, 48, 3),
    );
    let kept_id = app.upload_id(&app.token, "kept.jpg", kept.clone()).await;
    let trashed_id = app
        .upload_id(&app.token, "trashed.jpg", trashed.clone())
        .await;
    app.trash_as(&app.token, &trashed_id).await;
    use base64::Engine;
    let base64 = base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(&kept));
    let check = json!({"assets": [
        {"id": "/photos/kept.jpg", "checksum": sha1_hex(&kept)},
        {"id": "/photos/kept-again.jpg", "checksum": base64},
        {"id": "/photos/trashed.jpg", "checksum": sha1_hex(&trashed).to_uppercase()},
        {"id": "/photos/new.jpg", "checksum": sha1_hex(&new)},
    ]});
    let answer = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/assets/bulk-upload-check",
            Some(check.clone()),
            200,
        )
        .await;
    assert_eq!(
        answer,
        json!({"results": [
            {"id": "/photos/kept.jpg", "action": "reject", "reason": "duplicate", "assetId": kept_id, "isTrashed": false},
            {"id": "/photos/kept-again.jpg", "action": "reject", "reason": "duplicate", "assetId": kept_id, "isTrashed": false},
            {"id": "/photos/trashed.jpg", "action": "reject", "reason": "duplicate", "assetId": trashed_id, "isTrashed": true},
            {"id": "/photos/new.jpg", "action": "accept"},
        ]})
    );
    // Another account holds none of them.
    let other = app.user_token("other", &[Scope::Read, Scope::Upload]).await;
    let answer = app
        .call_expect(
            Method::POST,
            &other,
            "/api/assets/bulk-upload-check",
            Some(check),
            200,
        )
        .await;
    assert!(
        answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["action"] == "accept"),
        "{answer}"
    );
    // A checksum that is not a SHA-1 is named.
    let bad = json!({"assets": [{"id": "x", "checksum": sha1_hex(&new)}, {"id": "y", "checksum": "abc"}]});
    let error = app
        .call_error(
            Method::POST,
            Some(&app.token),
            "/api/assets/bulk-upload-check",
            Some(bad),
            422,
            "invalid_field",
        )
        .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("assets[1].checksum"),
        "{error}"
    );
}

async fn an_upload_in_immichs_form_is_our_upload(app: TestApp) {
    let bytes = noisy_jpeg(64, 48, 7);
    let (status, created) = immich_upload(&app, &app.token, bytes.clone(), true).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "created");
    let id = created["id"].as_str().unwrap();
    let asset = app.get_json(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(asset["original_name"], "IMG_0042.jpg");
    assert_eq!(asset["favorite"], true, "isFavorite=true marks it");
    // The same bytes again: 200 duplicate, the same asset; then found by SHA-1.
    let (status, again) = immich_upload(&app, &app.token, bytes.clone(), false).await;
    assert_eq!(
        (status, again.clone()),
        (200, json!({"id": id, "status": "duplicate"}))
    );
    let check = json!({"assets": [{"id": "a", "checksum": sha1_hex(&bytes)}]});
    let answer = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/assets/bulk-upload-check",
            Some(check),
            200,
        )
        .await;
    assert_eq!(answer["results"][0]["assetId"], json!(id));
    // Refusals are ours: a file that is no photo.
    let form = Form::new().part(
        "assetData",
        Part::bytes(b"%PDF-1.7 not a photo at all, really".to_vec()).file_name("x.pdf"),
    );
    let response = app
        .client
        .post(app.url("/api/assets"))
        .header("x-api-key", &app.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    // A token without the upload scope is refused before the body is read.
    let reader = app.user_token("reader", &[Scope::Read]).await;
    let (status, refused) = immich_upload(&app, &reader, noisy_jpeg(64, 48, 8), false).await;
    assert_eq!(
        (status, refused["error"]["code"].clone()),
        (403, json!("forbidden"))
    );
}

async fn albums_are_listed_created_and_filled_per_id(app: TestApp) {
    let a = app
        .upload_id(&app.token, "a.jpg", noisy_jpeg(64, 48, 11))
        .await;
    let b = app
        .upload_id(&app.token, "b.jpg", noisy_jpeg(64, 48, 12))
        .await;
    let album = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/albums",
            Some(json!({"albumName": "Holiday", "assetIds": [a]})),
            201,
        )
        .await;
    assert_eq!(
        (album["albumName"].clone(), album["assetCount"].clone()),
        (json!("Holiday"), json!(1))
    );
    let id = album["id"].as_str().unwrap();
    let results = app
        .call_expect(
            Method::PUT,
            &app.token,
            &format!("/api/albums/{id}/assets"),
            Some(json!({"ids": [a, b, "not-an-id", "01a23b5d-0000-7000-8000-000000000000"]})),
            200,
        )
        .await;
    assert_eq!(
        results,
        json!([
            {"id": a, "success": false, "error": "duplicate"},
            {"id": b, "success": true},
            {"id": "not-an-id", "success": false, "error": "not_found"},
            {"id": "01a23b5d-0000-7000-8000-000000000000", "success": false, "error": "not_found"},
        ])
    );
    let listed = app
        .call_expect(Method::GET, &app.token, "/api/albums", None, 200)
        .await;
    assert_eq!(listed[0]["assetCount"], 2, "{listed}");
    let by_name = app
        .call_expect(Method::GET, &app.token, "/api/albums?name=Nope", None, 200)
        .await;
    assert_eq!(by_name, json!([]));
    let holding = app
        .call_expect(
            Method::GET,
            &app.token,
            &format!("/api/albums?assetId={b}"),
            None,
            200,
        )
        .await;
    assert_eq!(holding[0]["id"], json!(id));
    let shared = app
        .call_expect(
            Method::GET,
            &app.token,
            "/api/albums?isShared=true",
            None,
            200,
        )
        .await;
    assert_eq!(shared, json!([]));
    // Another account's album is not found; its photos cannot be added.
    let other = app.user_token("other", &Scope::ALL).await;
    app.call_error(
        Method::PUT,
        Some(&other),
        &format!("/api/albums/{id}/assets"),
        Some(json!({"ids": [a]})),
        404,
        "not_found",
    )
    .await;
}
