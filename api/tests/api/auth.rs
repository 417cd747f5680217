use darkroom_storage::catalog::Scope;

use crate::backend_tests;
use crate::helpers::{TestApp, assert_error, jpeg};

backend_tests!(
    every_api_route_needs_a_token,
    scopes_are_enforced,
    another_users_ids_answer_404_everywhere,
    id_routes_follow_the_authorization_matrix,
);

async fn every_api_route_needs_a_token(app: TestApp) {
    let id = darkroom_storage::AssetId::new();
    let paths = [
        "/api/v1/assets".to_string(),
        format!("/api/v1/assets/{id}"),
        format!("/api/v1/assets/{id}/original"),
        format!("/api/v1/assets/{id}/renditions/thumb"),
        format!("/api/v1/assets/{id}/edit"),
        format!("/api/v1/assets/{id}/edit/history"),
        format!("/api/v1/assets/{id}/export"),
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

/// The authorization matrix for the routes that take an id: the owner may,
/// another user (even with every scope) gets 404 and changes nothing, an
/// admin acting on someone else's id gets 404 too (admins manage accounts,
/// not other people's photos), anonymous callers get 401, and a share-link
/// token is no credential on these routes.
async fn id_routes_follow_the_authorization_matrix(app: TestApp) {
    use reqwest::Method;
    use serde_json::json;
    let owner = app.user_token("olga", &Scope::ALL[..3]).await;
    let other = app.user_token("pete", &Scope::ALL[..3]).await;
    let asset = app
        .upload_id(&owner, "o.jpg", jpeg(32, 32, 50, None, None))
        .await;
    let trashed = app
        .upload_id(&owner, "t.jpg", jpeg(32, 32, 150, None, None))
        .await;
    app.trash_as(&owner, &trashed).await;
    let album = app
        .call_expect(
            Method::POST,
            &owner,
            "/api/v1/albums",
            Some(json!({"name": "a", "asset_ids": [asset]})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let link = app
        .call_expect(
            Method::POST,
            &owner,
            "/api/v1/shares",
            Some(json!({"album_id": album})),
            201,
        )
        .await;
    let (link_id, link_token) = (
        link["id"].as_str().unwrap().to_string(),
        link["token"].as_str().unwrap().to_string(),
    );
    let token_id = app
        .call_expect(
            Method::POST,
            &owner,
            "/api/v1/tokens",
            Some(json!({"name": "n", "scopes": ["read"]})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // (method, path, body, the owner's expected status); the owner's call
    // runs last so destructive ones do not hide the others' answers.
    let routes: Vec<(Method, String, Option<serde_json::Value>, u16)> = vec![
        (Method::GET, format!("/api/v1/assets/{asset}"), None, 200),
        (
            Method::PATCH,
            format!("/api/v1/assets/{asset}"),
            Some(json!({"rating": 3})),
            200,
        ),
        (
            Method::GET,
            format!("/api/v1/assets/{asset}/original"),
            None,
            200,
        ),
        (
            Method::GET,
            format!("/api/v1/assets/{asset}/edit"),
            None,
            200,
        ),
        (
            Method::PUT,
            format!("/api/v1/assets/{asset}/edit"),
            Some(json!({"exposure": 0.5})),
            200,
        ),
        (
            Method::GET,
            format!("/api/v1/assets/{asset}/edit/history"),
            None,
            200,
        ),
        (
            Method::POST,
            format!("/api/v1/assets/{asset}/edit/preview?size=64"),
            Some(json!({"exposure": 1})),
            200,
        ),
        (
            Method::GET,
            format!("/api/v1/assets/{asset}/export"),
            None,
            200,
        ),
        (
            Method::POST,
            format!("/api/v1/assets/{trashed}/restore"),
            None,
            200,
        ),
        (Method::GET, format!("/api/v1/albums/{album}"), None, 200),
        (
            Method::GET,
            format!("/api/v1/albums/{album}/assets"),
            None,
            200,
        ),
        (
            Method::PATCH,
            format!("/api/v1/albums/{album}"),
            Some(json!({"name": "b"})),
            200,
        ),
        (
            Method::POST,
            format!("/api/v1/albums/{album}/assets"),
            Some(json!({"asset_ids": [trashed]})),
            200,
        ),
        (
            Method::PUT,
            format!("/api/v1/albums/{album}/order"),
            Some(json!({"asset_ids": [asset]})),
            200,
        ),
        (
            Method::DELETE,
            format!("/api/v1/albums/{album}/assets"),
            Some(json!({"asset_ids": [trashed]})),
            200,
        ),
        (
            Method::DELETE,
            format!("/api/v1/shares/{link_id}"),
            None,
            204,
        ),
        (
            Method::DELETE,
            format!("/api/v1/tokens/{token_id}"),
            None,
            204,
        ),
        (Method::DELETE, format!("/api/v1/assets/{asset}"), None, 204),
        (Method::DELETE, format!("/api/v1/trash/{asset}"), None, 204),
        (Method::DELETE, format!("/api/v1/albums/{album}"), None, 204),
    ];
    for (method, path, body, owner_status) in routes {
        for (who, token) in [("another user", &other), ("an admin", &app.token)] {
            let r = app
                .call(method.clone(), Some(token), &path, body.clone())
                .await;
            assert_eq!(r.status(), 404, "{who}: {method} {path}");
        }
        let r = app.call(method.clone(), None, &path, body.clone()).await;
        assert_eq!(r.status(), 401, "anonymous: {method} {path}");
        let r = app
            .call(method.clone(), Some(&link_token), &path, body.clone())
            .await;
        assert_eq!(r.status(), 401, "share token: {method} {path}");
        let r = app
            .call(method.clone(), Some(&owner), &path, body.clone())
            .await;
        assert_eq!(r.status().as_u16(), owner_status, "owner: {method} {path}");
    }
    // Nothing the others tried changed anything: the owner's usage is intact
    // and their listings never showed the owner's photos.
    assert!(app.catalog.recompute_usage().await.unwrap().is_empty());
    for token in [&other, &app.token] {
        let listing = app
            .call_expect(Method::GET, token, "/api/v1/assets", None, 200)
            .await;
        assert!(!listing.to_string().contains(&trashed));
        let albums = app
            .call_expect(Method::GET, token, "/api/v1/albums", None, 200)
            .await;
        assert!(!albums.to_string().contains(&album));
    }
}
