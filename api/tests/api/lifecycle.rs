//! An asset's life: trash, restore, purge; quotas and usage that never
//! drift; blobs collected only when nothing refers to them, after a grace
//! period, and never from under a concurrent upload.

use std::time::Duration;

use darkroom_storage::catalog::Scope;
use darkroom_storage::maintenance::{GcPolicy, collect_garbage, scrub};
use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{TestApp, assert_error, jpeg};

backend_tests!(
    trash_restores_and_purges_with_usage_and_blobs,
    quota_refuses_before_storing_and_parallel_uploads_cannot_cross_it,
    concurrent_purge_reupload_and_gc_never_lose_a_referenced_blob,
);

/// GC as `darkroom gc` runs it, with this grace for unreferenced blobs.
fn policy(grace: Duration) -> GcPolicy {
    GcPolicy {
        trash_retention: Duration::from_secs(30 * 86_400),
        blob_grace: grace,
        scan_store: true,
    }
}

pub(crate) async fn usage_of(app: &TestApp, name: &str) -> u64 {
    app.catalog
        .find_user_by_name(name)
        .await
        .unwrap()
        .unwrap()
        .usage_bytes
}

async fn trash_restores_and_purges_with_usage_and_blobs(app: TestApp) {
    let bytes = jpeg(64, 48, 1, None, None);
    let size = bytes.len() as u64;
    let id = app.upload_id(&app.token, "a.jpg", bytes.clone()).await;
    app.run_jobs().await; // renditions: two more blobs
    assert_eq!(usage_of(&app, "admin").await, size);
    let blobs_with_renditions = app.stored_blob_count().await;
    assert_eq!(blobs_with_renditions, 3);

    // Trash: gone from the library, listed in the trash, still counted.
    app.trash_as(&app.token, &id).await;
    app.call_expect(
        Method::GET,
        &app.token,
        &format!("/api/v1/assets/{id}"),
        None,
        404,
    )
    .await;
    let trash = app
        .call_expect(Method::GET, &app.token, "/api/v1/trash", None, 200)
        .await;
    assert_eq!(trash["items"][0]["asset"]["id"], json!(id));
    assert!(trash["items"][0]["purge_at"].is_string());
    assert_eq!(trash["retention_days"], 30);
    assert_eq!(
        usage_of(&app, "admin").await,
        size,
        "the trash still holds it"
    );

    // Uploading the same bytes again brings it back from the trash.
    let again = app.upload("a.jpg", bytes.clone()).await;
    assert_eq!(again.status(), 200);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(
        (body["status"].clone(), body["id"].clone()),
        (json!("restored"), json!(id))
    );
    app.call_expect(
        Method::GET,
        &app.token,
        &format!("/api/v1/assets/{id}"),
        None,
        200,
    )
    .await;

    // Purging needs the trash first; then usage is given back at once...
    app.call_expect(
        Method::DELETE,
        &app.token,
        &format!("/api/v1/trash/{id}"),
        None,
        409,
    )
    .await;
    app.trash_as(&app.token, &id).await;
    let emptied = app
        .call_expect(Method::POST, &app.token, "/api/v1/trash/empty", None, 200)
        .await;
    assert_eq!(emptied["purged"], 1);
    assert_eq!(usage_of(&app, "admin").await, 0);
    app.call_expect(
        Method::POST,
        &app.token,
        &format!("/api/v1/assets/{id}/restore"),
        None,
        404,
    )
    .await;
    // ...but the bytes stay through the grace period, and go after it.
    let kept = collect_garbage(&app.catalog, &app.blobs, policy(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert_eq!(kept.deleted_blobs, 0);
    assert_eq!(app.stored_blob_count().await, 3);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let collected = collect_garbage(&app.catalog, &app.blobs, policy(Duration::from_millis(10)))
        .await
        .unwrap();
    assert_eq!(collected.deleted_blobs, 3, "original and two renditions");
    assert_eq!(app.stored_blob_count().await, 0);
    assert_eq!(app.catalog.blob_stats().await.unwrap(), (0, 0));
    // Nothing drifted.
    assert!(app.catalog.recompute_usage().await.unwrap().is_empty());
    assert!(app.catalog.recount_blob_refs().await.unwrap().is_empty());
}

async fn quota_refuses_before_storing_and_parallel_uploads_cannot_cross_it(app: TestApp) {
    let token = app
        .user_token("gina", &[Scope::Read, Scope::Upload, Scope::Edit])
        .await;
    let gina = app
        .catalog
        .find_user_by_name("gina")
        .await
        .unwrap()
        .unwrap();
    let files: Vec<Vec<u8>> = (0..8)
        .map(|i| jpeg(96, 64, 1 + i * 30, None, None))
        .collect();
    let largest = files.iter().map(Vec::len).max().unwrap() as u64;
    // Room for three files, whatever their exact sizes.
    let quota = 3 * largest + largest / 2;
    app.call_expect(
        Method::PATCH,
        &app.token,
        &format!("/api/v1/admin/users/{}", gina.id),
        Some(json!({"quota_bytes": quota})),
        200,
    )
    .await;

    // One file larger than the whole quota: refused, nothing stored.
    let big = jpeg(400, 300, 5, None, None);
    assert!(big.len() as u64 > quota);
    let before = app.stored_blob_count().await;
    let refused = app.upload_as(&token, "big.jpg", big).await;
    let body = assert_error(refused, 507, "quota_exceeded").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("quota"));
    assert_eq!(app.stored_blob_count().await, before);

    // Eight at once: at most the quota is accepted, the rest refused.
    let uploads = files.iter().enumerate().map(|(i, bytes)| {
        let token = token.clone();
        let bytes = bytes.clone();
        let app = &app;
        async move {
            let r = app
                .upload_as(&token, &format!("{i}.jpg"), bytes.clone())
                .await;
            (r.status().as_u16(), bytes.len() as u64)
        }
    });
    let results = futures::future::join_all(uploads).await;
    let accepted: u64 = results
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, n)| n)
        .sum();
    let refused = results.iter().filter(|(s, _)| *s == 507).count();
    assert!(
        results.iter().all(|(s, _)| *s == 201 || *s == 507),
        "{results:?}"
    );
    assert!(accepted <= quota, "{accepted} > {quota}");
    assert!(refused >= 4, "{results:?}");
    assert_eq!(usage_of(&app, "gina").await, accepted);
    assert!(app.catalog.recompute_usage().await.unwrap().is_empty());
    let me = app
        .call_expect(Method::GET, &token, "/api/v1/me", None, 200)
        .await;
    assert_eq!(
        (me["usage_bytes"].as_u64(), me["quota_bytes"].as_u64()),
        (Some(accepted), Some(quota))
    );
}

async fn concurrent_purge_reupload_and_gc_never_lose_a_referenced_blob(app: TestApp) {
    let other = app
        .user_token("hank", &[Scope::Read, Scope::Upload, Scope::Edit])
        .await;
    for round in 0..6u32 {
        let bytes = jpeg(48, 32, 7 + round * 37, None, None);
        let id = app.upload_id(&app.token, "r.jpg", bytes.clone()).await;
        app.trash_as(&app.token, &id).await;
        // At once: purge it, upload the same bytes (as its owner and as
        // another user), and collect garbage with no grace at all.
        let purge = app.call(Method::POST, Some(&app.token), "/api/v1/trash/empty", None);
        let mine = app.upload_as(&app.token, "r.jpg", bytes.clone());
        let theirs = app.upload_as(&other, "r.jpg", bytes.clone());
        let gc = collect_garbage(&app.catalog, &app.blobs, policy(Duration::ZERO));
        let (purged, mine, theirs, gc) = tokio::join!(purge, mine, theirs, gc);
        gc.unwrap();
        assert_eq!(purged.status(), 200);
        for response in [mine, theirs] {
            // Either recorded, or refused as "try again" (503): never a
            // recorded asset without its bytes.
            let status = response.status().as_u16();
            assert!(matches!(status, 200 | 201 | 503), "round {round}: {status}");
            if status != 503 {
                let body: serde_json::Value = response.json().await.unwrap();
                let id = body["id"].as_str().unwrap();
                // Whoever owns it can read its original, byte for byte.
                let owner_token = if app
                    .call(
                        Method::GET,
                        Some(&app.token),
                        &format!("/api/v1/assets/{id}"),
                        None,
                    )
                    .await
                    .status()
                    == 200
                {
                    app.token.clone()
                } else {
                    other.clone()
                };
                let original = app
                    .get_as(&owner_token, &format!("/api/v1/assets/{id}/original"))
                    .await;
                assert_eq!(original.status(), 200, "round {round}");
                assert_eq!(original.bytes().await.unwrap().as_ref(), bytes.as_slice());
            }
        }
        // One more collection with no grace: still nothing referenced goes.
        collect_garbage(&app.catalog, &app.blobs, policy(Duration::ZERO))
            .await
            .unwrap();
        let report = scrub(&app.catalog, &app.blobs, false, &()).await.unwrap();
        assert!(report.is_clean(), "round {round}: {report:?}");
    }
    assert!(app.catalog.recount_blob_refs().await.unwrap().is_empty());
    assert!(app.catalog.recompute_usage().await.unwrap().is_empty());
}
