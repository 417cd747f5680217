use std::time::Duration;

use darkroom_storage::catalog::{JobLane, Scope};
use darkroom_workers::JobOutcome;

use crate::backend_tests;
use crate::helpers::{TestApp, assert_error, jpeg, noisy_jpeg};

backend_tests!(
    transient_failures_retry_with_backoff_then_fail_visibly_and_can_be_retried,
    a_dead_workers_lease_expires_and_another_finishes_the_job,
    corrupt_images_fail_without_pointless_retries,
    a_heic_without_its_helper_is_stored_and_fails_plainly,
    administrators_see_the_queue_and_retry_failed_jobs,
    one_backlog_does_not_hold_up_another_and_deliveries_have_their_own_lane,
);

async fn transient_failures_retry_with_backoff_then_fail_visibly_and_can_be_retried(app: TestApp) {
    let bytes = jpeg(300, 200, 21, None, None);
    let body = app.upload_expect("flaky.jpg", bytes.clone(), 201).await;
    let id = body["id"].as_str().unwrap().to_string();
    let thumb = format!("/api/v1/assets/{id}/renditions/thumb");
    // The original vanishes from the store (an outage, as far as workers can tell).
    let hash: darkroom_storage::ContentHash =
        body["asset"]["blake3"].as_str().unwrap().parse().unwrap();
    app.blobs.delete(&hash).await.unwrap();

    let before_first = std::time::Instant::now();
    let first = app.run_jobs().await;
    let backoff = match &first[..] {
        [JobOutcome::Retrying { after, .. }]
            if *after + Duration::from_millis(1) >= app.worker_config.retry_base
                && *after <= app.worker_config.retry_base * 2 + Duration::from_millis(1) =>
        {
            *after
        }
        _ => panic!("{first:?}"),
    };
    // Not runnable again before its backoff has passed. (The backoff is
    // 50–100 ms: on a loaded machine it may pass before the next lease is
    // asked for, and then attempt 2 may run, but not sooner.)
    let again = app.run_jobs().await;
    if again.is_empty() {
        let pending = app.get_json(&thumb).await;
        assert_eq!(pending["status"], "pending");
        assert_eq!(pending["attempts"], 1);
        assert!(
            pending["last_error"]
                .as_str()
                .is_some_and(|e| !e.is_empty())
        );
    } else {
        assert!(
            before_first.elapsed() + Duration::from_millis(2) >= backoff,
            "ran again {:?} after the first attempt, before its backoff of {backoff:?}: {again:?}",
            before_first.elapsed()
        );
    }

    // Attempts 2 and 3 fail too; the third is the last.
    let mut outcomes = again;
    while outcomes.len() < 2 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        outcomes.extend(app.run_jobs().await);
    }
    assert!(
        matches!(outcomes[0], JobOutcome::Retrying { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], JobOutcome::Failed { .. }),
        "{outcomes:?}"
    );
    let failed = assert_error(app.get(&thumb).await, 422, "rendition_failed").await;
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{failed}"
    );
    let asset = app.get_json(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(asset["renditions"][0]["status"], "failed");
    assert_eq!(app.catalog.job_counts().await.unwrap().failed, 1);

    // The store recovers; an explicit retry renders.
    let hash = darkroom_storage::ContentHash::of(&bytes);
    app.blobs.put_bytes(&hash, bytes.into()).await.unwrap();
    let retry = app.retry_renditions_as(&app.token, &id).await;
    assert_eq!(retry.status(), 202);
    assert_eq!(
        retry.json::<serde_json::Value>().await.unwrap()["requeued"],
        1
    );
    assert_eq!(app.run_jobs().await, vec![JobOutcome::Done]);
    assert_eq!(app.get(&thumb).await.status(), 200);
}

async fn a_dead_workers_lease_expires_and_another_finishes_the_job(app: TestApp) {
    let body = app
        .upload_expect("a.jpg", jpeg(300, 200, 22, None, None), 201)
        .await;
    let id = body["id"].as_str().unwrap().to_string();
    // A worker leases the job and dies without a word. (Long enough that a
    // loaded machine still asks again before it runs out.)
    let lease = Duration::from_secs(2);
    let taken = app
        .catalog
        .lease_job("worker-that-dies", lease, JobLane::Renders)
        .await
        .unwrap()
        .expect("a job");
    assert!(app.run_jobs().await.is_empty(), "a live lease is respected");
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    assert_eq!(app.run_jobs().await, vec![JobOutcome::Done]);
    // The dead worker cannot record anything afterwards.
    assert!(
        !app.catalog
            .complete_job(&taken.id, "worker-that-dies")
            .await
            .unwrap()
    );
    assert_eq!(
        app.get(&format!("/api/v1/assets/{id}/renditions/preview"))
            .await
            .status(),
        200
    );
}

async fn corrupt_images_fail_without_pointless_retries(app: TestApp) {
    // A JPEG header followed by garbage: accepted (it is the user's file),
    // but no retry can render it.
    let mut bytes = jpeg(64, 64, 23, None, None);
    bytes.truncate(200);
    bytes.extend(std::iter::repeat_n(0x5Au8, 4000));
    let body = app.upload_expect("broken.jpg", bytes, 201).await;
    let outcomes = app.run_jobs().await;
    assert!(
        matches!(&outcomes[..], [JobOutcome::Failed { .. }]),
        "{outcomes:?}"
    );
    let id = body["id"].as_str().unwrap();
    assert_error(
        app.get(&format!("/api/v1/assets/{id}/renditions/thumb"))
            .await,
        422,
        "rendition_failed",
    )
    .await;
    // The original is still there, byte for byte.
    assert_eq!(
        app.get(&format!("/api/v1/assets/{id}/original"))
            .await
            .status(),
        200
    );
}

/// HEIC is rendered by the helper (`tests/cli/heif.rs`); a worker without
/// one (these tests') stores it, queues it, and fails its render plainly.
async fn a_heic_without_its_helper_is_stored_and_fails_plainly(app: TestApp) {
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.extend(std::iter::repeat_n(0u8, 1000));
    let body = app.upload_expect("IMG_2682.HEIC", heic, 201).await;
    assert_eq!(body["asset"]["format"], "heic");
    assert_eq!(body["asset"]["media_type"], "image/heic");
    assert_eq!(body["asset"]["renditions"][0]["status"], "pending");
    let outcomes = app.run_jobs().await;
    assert!(
        matches!(&outcomes[..], [JobOutcome::Failed { .. }]),
        "{outcomes:?}"
    );
    let id = body["id"].as_str().unwrap();
    let error = assert_error(
        app.get(&format!("/api/v1/assets/{id}/renditions/thumb"))
            .await,
        422,
        "rendition_failed",
    )
    .await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no decoder for heic"),
        "{error}"
    );
}

async fn administrators_see_the_queue_and_retry_failed_jobs(app: TestApp) {
    let mut bytes = jpeg(64, 64, 29, None, None);
    bytes.truncate(200);
    bytes.extend(std::iter::repeat_n(0x5Au8, 4000));
    let broken = app.upload_expect("broken.jpg", bytes, 201).await;
    app.upload_expect("fine.jpg", jpeg(64, 64, 30, None, None), 201)
        .await;
    app.run_jobs().await;
    let queue = app.get_json("/api/v1/admin/jobs").await;
    assert_eq!(queue["counts"]["failed"], 1, "{queue}");
    assert_eq!(queue["counts"]["done"], 1, "{queue}");
    let failed = app.get_json("/api/v1/admin/jobs?state=failed").await;
    let job = &failed["jobs"][0];
    assert_eq!(failed["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(job["kind"], "render_renditions");
    assert_eq!(job["asset_id"], broken["id"]);
    assert!(!job["last_error"].as_str().unwrap().is_empty(), "{job}");
    // Retried: queued again, with fresh attempts; a second retry is refused.
    let path = format!("/api/v1/admin/jobs/{}/retry", job["id"].as_str().unwrap());
    let retried = app
        .call_expect(reqwest::Method::POST, &app.token, &path, None, 202)
        .await;
    assert_eq!(retried["requeued"], 1);
    let queued = app.get_json("/api/v1/admin/jobs?state=queued").await;
    assert_eq!(queued["jobs"][0]["id"], job["id"]);
    assert_eq!(queued["jobs"][0]["attempts"], 0);
    app.call_error(
        reqwest::Method::POST,
        Some(&app.token),
        &path,
        None,
        409,
        "job_not_failed",
    )
    .await;
    // Paging, and a filter that is not a state.
    let page = app.get_json("/api/v1/admin/jobs?limit=1").await;
    let next = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get_json(&format!("/api/v1/admin/jobs?limit=1&cursor={next}"))
        .await;
    assert_ne!(rest["jobs"][0]["id"], page["jobs"][0]["id"]);
    app.call_error(
        reqwest::Method::GET,
        Some(&app.token),
        "/api/v1/admin/jobs?state=stuck",
        None,
        422,
        "invalid_field",
    )
    .await;
    // Not for everyone.
    let user = app
        .user_token("lee", &[darkroom_storage::catalog::Scope::Read])
        .await;
    app.call_error(
        reqwest::Method::GET,
        Some(&user),
        "/api/v1/admin/jobs",
        None,
        403,
        "forbidden",
    )
    .await;
}

/// Jobs are leased by their owners' lines, not by the clock alone: someone
/// arriving behind another's backlog is served alongside it. Webhook
/// deliveries are leased only by their own lane's loops.
async fn one_backlog_does_not_hold_up_another_and_deliveries_have_their_own_lane(app: TestApp) {
    app.call_expect(
        reqwest::Method::POST,
        &app.token,
        "/api/v1/webhooks",
        Some(serde_json::json!({"url": "http://127.0.0.1:9/hook", "events": ["asset.created"]})),
        201,
    )
    .await;
    let mut backlog = Vec::new();
    for seed in 0..5 {
        backlog.push(
            app.upload_id(
                &app.token,
                &format!("b{seed}.jpg"),
                noisy_jpeg(40, 30, seed),
            )
            .await,
        );
    }
    let late = app.user_token("lena", &[Scope::Read, Scope::Upload]).await;
    let lenas = app
        .upload_id(&late, "mine.jpg", noisy_jpeg(40, 30, 99))
        .await;

    let mut order = Vec::new();
    while let Some(job) = app
        .catalog
        .lease_job("fair-test", Duration::from_secs(60), JobLane::Renders)
        .await
        .unwrap()
    {
        assert_eq!(
            job.kind, "render_renditions",
            "renders only in the render lane"
        );
        order.push(job.asset_id.unwrap().to_string());
    }
    assert_eq!(order.len(), 6);
    let lenas_turn = order.iter().position(|id| *id == lenas).unwrap();
    assert!(
        lenas_turn <= 1,
        "the late user's photo is leased second at the latest, not after the backlog: {lenas_turn}"
    );
    assert_eq!(order[0], backlog[0]);
    // The five deliveries wait in their own lane.
    let delivery = app
        .catalog
        .lease_job("fair-test", Duration::from_secs(60), JobLane::Deliveries)
        .await
        .unwrap()
        .expect("a delivery is queued");
    assert_eq!(delivery.kind, "deliver_webhook");
}
