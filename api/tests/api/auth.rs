use darkroom_storage::catalog::Scope;

use crate::backend_tests;
use crate::helpers::{TestApp, assert_error, jpeg};

backend_tests!(
    every_api_route_needs_a_token,
    scopes_are_enforced,
    another_users_ids_answer_404_everywhere,
);

async fn every_api_route_needs_a_token(app: TestApp) {
    let id = darkroom_storage::AssetId::new();
    let paths = [
        "/api/v1/assets".to_string(),
        format!("/api/v1/assets/{id}"),
        format!("/api/v1/assets/{id}/original"),
        format!("/api/v1/assets/{id}/renditions/thumb"),
    ];
    for path in &paths {
        let anonymous = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
        assert_error(anonymous, 401, "unauthorized").await;
        let forged = app
            .get_as(
                "drk_0000000000000000000000000000000000000000000000000000000000000000",
                path,
            )
            .await;
        assert_error(forged, 401, "unauthorized").await;
    }
    let upload = app
        .client
        .post(app.url("/api/v1/assets"))
        .body(jpeg(8, 8, 1, None, None))
        .send()
        .await
        .unwrap();
    assert_error(upload, 401, "unauthorized").await;
    assert_eq!(app.stored_blob_count().await, 0);
    // Immich clients send X-Api-Key; it works the same.
    let with_key = app
        .client
        .get(app.url("/api/v1/assets"))
        .header("x-api-key", &app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status(), 200);
}

async fn scopes_are_enforced(app: TestApp) {
    let reader = app.user_token("reader", &[Scope::Read]).await;
    assert_error(
        app.upload_as(&reader, "a.jpg", jpeg(8, 8, 2, None, None))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(app.get_as(&reader, "/api/v1/assets").await.status(), 200);
    let uploader = app.user_token("uploader", &[Scope::Upload]).await;
    assert_eq!(
        app.upload_as(&uploader, "a.jpg", jpeg(8, 8, 3, None, None))
            .await
            .status(),
        201
    );
    assert_error(
        app.get_as(&uploader, "/api/v1/assets").await,
        403,
        "forbidden",
    )
    .await;
}

async fn another_users_ids_answer_404_everywhere(app: TestApp) {
    let body = app
        .upload_expect("mine.jpg", jpeg(64, 64, 4, None, None), 201)
        .await;
    let id = body["id"].as_str().unwrap();
    app.run_jobs().await;
    let eve = app.user_token("eve", &Scope::ALL[..3]).await;
    for path in [
        format!("/api/v1/assets/{id}"),
        format!("/api/v1/assets/{id}/original"),
        format!("/api/v1/assets/{id}/renditions/thumb"),
        format!("/api/v1/assets/{id}/renditions/preview"),
    ] {
        assert_error(app.get_as(&eve, &path).await, 404, "not_found").await;
        assert_eq!(
            app.get(&path).await.status(),
            200,
            "the owner still sees {path}"
        );
    }
    let retry = app.retry_renditions_as(&eve, id).await;
    assert_error(retry, 404, "not_found").await;
    let listing: serde_json::Value = app
        .get_as(&eve, "/api/v1/assets")
        .await
        .json()
        .await
        .unwrap();
    assert!(listing["assets"].as_array().unwrap().is_empty());
}
