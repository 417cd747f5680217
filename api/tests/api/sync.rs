//! Companion-app sync: device asset ids and `POST /assets/check`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, jpeg};
use darkroom_storage::ContentHash;
use darkroom_storage::catalog::Scope;

backend_tests!(
    a_device_asset_uploaded_twice_is_one_asset,
    check_says_which_photos_are_already_there,
    racing_uploads_of_one_device_asset_make_one_asset,
);

/// Uploads `bytes` as `token` with `device` in the X-Device-Asset-Id header.
async fn upload_device(app: &TestApp, token: &str, device: &str, bytes: Vec<u8>) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/assets?filename=p.jpg"))
        .bearer_auth(token)
        .header("X-Device-Asset-Id", device)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn a_device_asset_uploaded_twice_is_one_asset(app: TestApp) {
    let (status, first) =
        upload_device(&app, &app.token, "IMG_0001", jpeg(32, 16, 1, None, None)).await;
    assert_eq!((status, first["status"].clone()), (201, json!("created")));
    // New bytes for the same photo (the phone re-encoded it): still one asset.
    let (status, again) =
        upload_device(&app, &app.token, "IMG_0001", jpeg(40, 16, 2, None, None)).await;
    assert_eq!((status, again["status"].clone()), (200, json!("duplicate")));
    assert_eq!(again["id"], first["id"]);
    // As Immich sends it: a form field before the file.
    let form = reqwest::multipart::Form::new()
        .text("deviceAssetId", "IMG_0001")
        .part(
            "assetData",
            reqwest::multipart::Part::bytes(jpeg(48, 16, 3, None, None)).file_name("p.jpg"),
        );
    let response = app
        .client
        .post(app.url("/api/v1/assets"))
        .bearer_auth(&app.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], first["id"]);
    // Or as a query parameter.
    let response = app
        .client
        .post(app.url("/api/v1/assets?device_asset_id=IMG_0001"))
        .bearer_auth(&app.token)
        .body(jpeg(56, 16, 4, None, None))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let listed = app.get_json("/api/v1/assets").await;
    assert_eq!(listed["assets"].as_array().unwrap().len(), 1);
    // Per user: another account's app may use the same id.
    let other = app.user_token("ivy", &[Scope::Read, Scope::Upload]).await;
    let (status, theirs) =
        upload_device(&app, &other, "IMG_0001", jpeg(32, 16, 1, None, None)).await;
    assert_eq!(status, 201);
    assert_ne!(theirs["id"], first["id"]);
    // Ids that are not ids name the field.
    for bad in [" ".to_string(), "x".repeat(300)] {
        let (status, body) = upload_device(&app, &app.token, &bad, jpeg(8, 8, 9, None, None)).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("device_asset_id")
        );
    }
}

async fn check_says_which_photos_are_already_there(app: TestApp) {
    let a = jpeg(32, 16, 11, None, None);
    let c = jpeg(40, 16, 12, None, None);
    let (_, first) = upload_device(&app, &app.token, "dev-a", a.clone()).await;
    let c_id = app.upload_id(&app.token, "c.jpg", c.clone()).await;
    let unknown = jpeg(48, 16, 13, None, None);
    let hex = |bytes: &[u8]| ContentHash::of(bytes).to_hex();
    let body = json!({"assets": [
        {"blake3": hex(&a), "size": a.len()},
        {"blake3": hex(&unknown), "size": unknown.len(), "device_asset_id": "dev-a"},
        {"blake3": hex(&c), "size": c.len()},
        {"blake3": hex(&unknown), "size": unknown.len(), "device_asset_id": "dev-z"},
    ]});
    let answer = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/assets/check",
            Some(body.clone()),
            200,
        )
        .await;
    let statuses: Vec<&str> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["present", "present", "present", "missing"]);
    assert_eq!(answer["results"][0]["asset_id"], first["id"]);
    assert_eq!(
        answer["results"][1]["asset_id"], first["id"],
        "by its device id"
    );
    assert_eq!(answer["results"][2]["asset_id"], c_id.as_str());
    assert_eq!(answer["results"][3]["device_asset_id"], "dev-z");
    // A trashed photo is missing from the library: the app may send it again.
    app.trash_as(&app.token, &c_id).await;
    let answer = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/assets/check",
            Some(body),
            200,
        )
        .await;
    assert_eq!(answer["results"][2]["status"], "missing");
    // Another user has none of them.
    let other = app.user_token("jo", &[Scope::Read]).await;
    let theirs = app
        .call_expect(
            Method::POST,
            &other,
            "/api/v1/assets/check",
            Some(json!({"assets": [{"blake3": hex(&a), "size": a.len()}]})),
            200,
        )
        .await;
    assert_eq!(theirs["results"][0]["status"], "missing");
    // Bad input names the field.
    let error = app
        .call_error(
            Method::POST,
            Some(&app.token),
            "/api/v1/assets/check",
            Some(json!({"assets": [{"blake3": hex(&a), "size": 1}, {"blake3": "abc", "size": 1}]})),
            422,
            "invalid_field",
        )
        .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("assets[1].blake3")
    );
    let many: Vec<Value> = (0..1001)
        .map(|_| json!({"blake3": hex(&a), "size": 1}))
        .collect();
    app.call_error(
        Method::POST,
        Some(&app.token),
        "/api/v1/assets/check",
        Some(json!({"assets": many})),
        422,
        "invalid_field",
    )
    .await;
}

async fn racing_uploads_of_one_device_asset_make_one_asset(app: TestApp) {
    // Six different files under one device id, all at once.
    let uploads = (0..6u32).map(|i| {
        let app = &app;
        async move {
            upload_device(
                app,
                &app.token,
                "burst-7",
                jpeg(24 + 8 * i, 24, 100, None, None),
            )
            .await
        }
    });
    let results = futures::future::join_all(uploads).await;
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{results:?}");
    assert!(
        results.iter().all(|(s, _)| *s == 201 || *s == 200),
        "{results:?}"
    );
    let first = &results[0].1["id"];
    assert!(
        results.iter().all(|(_, b)| &b["id"] == first),
        "{results:?}"
    );
    let listed = app.get_json("/api/v1/assets").await;
    assert_eq!(listed["assets"].as_array().unwrap().len(), 1);
    // Only the kept photo counts against the quota.
    assert!(app.catalog.recompute_usage().await.unwrap().is_empty());
}
