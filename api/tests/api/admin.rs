//! Administration: usage metering (JSON and CSV), storage totals with the
//! space deduplication saves, and who may use the admin routes.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{TestApp, jpeg};
use darkroom_storage::catalog::Scope;

backend_tests!(
    usage_is_metered_per_user_and_day,
    storage_totals_show_what_dedup_saves,
    only_administrators_reach_admin_routes,
);

async fn usage_is_metered_per_user_and_day(app: TestApp) {
    let token = app
        .user_token("judy", &[Scope::Read, Scope::Upload, Scope::Edit])
        .await;
    let bytes = jpeg(96, 64, 3, None, None);
    let id = app.upload_id(&token, "a.jpg", bytes.clone()).await;
    // A duplicate upload still costs its transfer.
    app.upload_id(&token, "a.jpg", bytes.clone()).await;
    app.run_jobs().await;
    let original = app
        .get_as(&token, &format!("/api/v1/assets/{id}/original"))
        .await;
    assert_eq!(original.bytes().await.unwrap().len(), bytes.len());
    let thumb = app
        .get_as(&token, &format!("/api/v1/assets/{id}/renditions/thumb"))
        .await;
    let thumb_len = thumb.bytes().await.unwrap().len() as u64;
    let ranged = app
        .client
        .get(app.url(&format!("/api/v1/assets/{id}/original")))
        .bearer_auth(&token)
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.bytes().await.unwrap().len(), 100);

    let today = chrono::Utc::now().date_naive();
    let usage = app
        .call_expect(
            Method::GET,
            &app.token,
            &format!("/api/v1/admin/usage?from={today}&to={today}"),
            None,
            200,
        )
        .await;
    let row = usage["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user"] == "judy")
        .expect("judy's row")
        .clone();
    let n = bytes.len() as u64;
    assert_eq!(row["bytes_stored"], json!(n));
    assert_eq!(row["bytes_uploaded"], json!(2 * n));
    assert_eq!(
        row["bytes_downloaded_originals"],
        json!(n + 100),
        "a range counts its bytes"
    );
    assert_eq!(row["bytes_downloaded_renditions"], json!(thumb_len));
    assert!(row["render_cpu_ms"].as_u64().unwrap() >= 1);

    let csv = app
        .get(&format!(
            "/api/v1/admin/usage?from={today}&to={today}&format=csv"
        ))
        .await;
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "day,user_id,user,bytes_stored,bytes_uploaded,bytes_downloaded_originals,bytes_downloaded_renditions,render_cpu_ms"
    );
    let judy = lines
        .find(|l| l.contains(",judy,"))
        .expect("judy in the CSV");
    assert!(judy.starts_with(&today.to_string()));
    assert!(
        judy.contains(&format!(",judy,{n},{},{},{thumb_len},", 2 * n, n + 100)),
        "{judy}"
    );
    // Quiet days carry the stored bytes forward.
    let tomorrow = today.succ_opt().unwrap();
    let ahead = app
        .call_expect(
            Method::GET,
            &app.token,
            &format!("/api/v1/admin/usage?from={tomorrow}&to={tomorrow}"),
            None,
            200,
        )
        .await;
    let row = ahead["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user"] == "judy")
        .unwrap()
        .clone();
    assert_eq!(
        (row["bytes_stored"].clone(), row["bytes_uploaded"].clone()),
        (json!(n), json!(0))
    );
    for q in [
        "from=2024-02-30",
        "from=2024-03-02&to=2024-03-01",
        "format=xml",
    ] {
        let r = app
            .call(
                Method::GET,
                Some(&app.token),
                &format!("/api/v1/admin/usage?{q}"),
                None,
            )
            .await;
        assert_eq!(r.status(), 400, "{q}");
    }
}

async fn storage_totals_show_what_dedup_saves(app: TestApp) {
    let other = app.user_token("kim", &[Scope::Read, Scope::Upload]).await;
    let bytes = jpeg(80, 60, 4, None, None);
    app.upload_id(&app.token, "a.jpg", bytes.clone()).await;
    app.upload_id(&other, "a.jpg", bytes.clone()).await;
    let totals = app
        .call_expect(Method::GET, &app.token, "/api/v1/admin/storage", None, 200)
        .await;
    let n = bytes.len() as u64;
    assert_eq!(totals["original_bytes"], json!(2 * n));
    assert_eq!(totals["distinct_original_bytes"], json!(n));
    assert_eq!(totals["saved_by_dedup_bytes"], json!(n));
    let fixed = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/admin/usage/recompute",
            None,
            200,
        )
        .await;
    assert_eq!(fixed["corrected"], json!([]));
    let users = app
        .call_expect(Method::GET, &app.token, "/api/v1/admin/users", None, 200)
        .await;
    let kim = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "kim")
        .unwrap()
        .clone();
    assert_eq!(kim["usage_bytes"], json!(n), "each user holds their copy");
}

async fn only_administrators_reach_admin_routes(app: TestApp) {
    let user = app
        .user_token("lee", &[Scope::Read, Scope::Upload, Scope::Edit])
        .await;
    // An admin's token without the admin scope does not reach them either.
    let admin = app
        .catalog
        .find_user_by_name("admin")
        .await
        .unwrap()
        .unwrap();
    let weak_admin = app
        .catalog
        .issue_token(&admin.id, "read", &[Scope::Read])
        .await
        .unwrap()
        .secret;
    let some_user = darkroom_storage::UserId::new();
    let routes = [
        (Method::GET, "/api/v1/admin/users".to_string(), None),
        (
            Method::POST,
            "/api/v1/admin/users".to_string(),
            Some(json!({"name": "x"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/users/{some_user}"),
            Some(json!({"disabled": true})),
        ),
        (Method::GET, "/api/v1/admin/usage".to_string(), None),
        (
            Method::POST,
            "/api/v1/admin/usage/recompute".to_string(),
            None,
        ),
        (Method::GET, "/api/v1/admin/storage".to_string(), None),
    ];
    for (method, path, body) in &routes {
        for token in [&user, &weak_admin] {
            app.call_error(
                method.clone(),
                Some(token),
                path,
                body.clone(),
                403,
                "forbidden",
            )
            .await;
        }
        app.call_error(
            method.clone(),
            None,
            path,
            body.clone(),
            401,
            "unauthorized",
        )
        .await;
    }
    // Names are checked and unique.
    app.call_error(
        Method::POST,
        Some(&app.token),
        "/api/v1/admin/users",
        Some(json!({"name": "a b"})),
        422,
        "invalid_field",
    )
    .await;
    app.call_error(
        Method::POST,
        Some(&app.token),
        "/api/v1/admin/users",
        Some(json!({"name": "lee"})),
        409,
        "conflict",
    )
    .await;
}
