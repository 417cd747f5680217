//! Webhooks against a receiver on loopback: registration, signatures,
//! retries with backoff, the delivery history, and giving up; and, with the
//! default policy, receivers inside the network refused (SSRF).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use darkroom_storage::catalog::Scope;
use darkroom_workers::{CpuPool, Runner, WebhookTargets, WorkerConfig};
use hmac::{KeyInit, Mac};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, noisy_jpeg, spawn_app_with};

backend_tests!(
    deliveries_are_signed_retried_and_recorded,
    webhook_registrations_are_checked,
    webhooks_reach_only_public_receivers_unless_allowed,
);

/// What the receiver saw of one request.
#[derive(Clone, Debug)]
struct Received {
    signature: String,
    event: String,
    delivery: String,
    body: Vec<u8>,
}

/// A receiver on a free loopback port that answers the statuses in `script`
/// in turn to deliveries of `event`, and 200 to everything else; returns its
/// URL and what it received.
fn receiver(event: &'static str, script: Vec<u16>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(script));
    let state = (seen.clone(), script);
    let server = HttpServer::new(move || {
        let state = state.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let (seen, script) = state.clone();
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    seen.lock().unwrap().push(Received {
                        signature: header("x-darkroom-signature"),
                        event: header("x-darkroom-event"),
                        delivery: header("x-darkroom-delivery"),
                        body: body.to_vec(),
                    });
                    let mut script = script.lock().unwrap();
                    let status = if script.is_empty() || header("x-darkroom-event") != event {
                        200
                    } else {
                        script.remove(0)
                    };
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .finish()
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}/hook"), seen)
}

/// Checks a signature as a partner would, with nothing of ours: the
/// timestamp is recent and v1 is HMAC-SHA256(secret, "<t>.<body>").
fn verify(secret: &str, header: &str, body: &[u8]) {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_string()),
            Some(("v1", value)) => v1 = Some(value.to_string()),
            _ => {}
        }
    }
    let (t, v1) = (t.expect("t="), v1.expect("v1="));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(t.parse().unwrap()) < 300, "a fresh timestamp");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, expected, "the signature verifies");
}

async fn register(app: &TestApp, url: &str, events: &[&str]) -> Value {
    app.call_expect(
        Method::POST,
        &app.token,
        "/api/v1/webhooks",
        Some(json!({"url": url, "events": events, "description": "test receiver"})),
        201,
    )
    .await
}

/// Runs jobs (deliveries included) until `done` holds, waiting out backoffs.
async fn run_until(app: &TestApp, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "deliveries did not settle");
        app.run_jobs().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn deliveries_are_signed_retried_and_recorded(app: TestApp) {
    // The receiver is down for two attempts, then takes everything.
    let (url, seen) = receiver("asset.created", vec![503, 500]);
    let hook = register(
        &app,
        &url,
        &[
            "asset.created",
            "rendition.ready",
            "asset.edited",
            "asset.trashed",
            "album.changed",
        ],
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    let hook_id = hook["id"].as_str().unwrap().to_string();
    // A second one that never answers: its deliveries fail for good.
    let dead = register(&app, "http://127.0.0.1:9/never", &["asset.created"]).await;

    let asset = app
        .upload_id(&app.token, "hook.jpg", noisy_jpeg(40, 30, 1))
        .await;
    // Not subscribed: asset.updated.
    app.call_expect(
        Method::PATCH,
        &app.token,
        &format!("/api/v1/assets/{asset}"),
        Some(json!({"rating": 4})),
        200,
    )
    .await;
    let album = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/albums",
            Some(json!({"name": "Hooks"})),
            201,
        )
        .await;
    app.call_expect(
        Method::PATCH,
        &app.token,
        &format!("/api/v1/albums/{}", album["id"].as_str().unwrap()),
        Some(json!({"name": "Hooked"})),
        200,
    )
    .await;
    app.trash_as(&app.token, &asset).await;

    // asset.created, rendition.ready, album.changed, asset.trashed: four
    // events; the first two tries of the first fail.
    run_until(&app, || {
        let seen = seen.lock().unwrap();
        let delivered: std::collections::HashSet<_> =
            seen.iter().map(|r| r.delivery.clone()).collect();
        delivered.len() == 4 && seen.len() == 6
    })
    .await;
    let received = seen.lock().unwrap().clone();
    for r in &received {
        verify(&secret, &r.signature, &r.body);
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["type"], r.event.as_str());
        assert_eq!(body["id"], r.delivery.as_str());
    }
    // The retried delivery was the same bytes each time; deliveries may
    // overtake one that waits out a backoff, and `seq` orders them again.
    let tries: Vec<&Received> = received
        .iter()
        .filter(|r| r.event == "asset.created")
        .collect();
    assert_eq!(tries.len(), 3);
    assert!(
        tries
            .iter()
            .all(|r| r.body == tries[0].body && r.delivery == tries[0].delivery)
    );
    let mut by_seq: Vec<(u64, String)> = received
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            (body["seq"].as_u64().unwrap(), r.event.clone())
        })
        .collect();
    by_seq.sort();
    by_seq.dedup();
    let events: Vec<&str> = by_seq.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(
        events,
        // The renditions were rendered when the jobs ran, after the rest.
        [
            "asset.created",
            "album.changed",
            "asset.trashed",
            "rendition.ready"
        ]
    );
    let created: Value = serde_json::from_slice(&tries[0].body).unwrap();
    assert_eq!(created["data"]["asset_id"], asset.as_str());
    assert_eq!(created["data"]["url"], format!("/api/v1/assets/{asset}"));

    // The history through the API: newest first, every attempt.
    let history = app
        .call_expect(
            Method::GET,
            &app.token,
            &format!("/api/v1/webhooks/{hook_id}/deliveries"),
            None,
            200,
        )
        .await;
    let deliveries = history["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 4);
    let first = &deliveries[3];
    assert_eq!(first["event"], "asset.created");
    assert_eq!(first["state"], "delivered");
    let statuses: Vec<Value> = first["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(503), json!(500), json!(200)]);
    assert!(
        first["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("503")
    );
    assert_eq!(first["payload"], created);
    assert!(
        deliveries[..3]
            .iter()
            .all(|d| d["state"] == "delivered" && d["attempts"].as_array().unwrap().len() == 1)
    );

    // The dead receiver's delivery is retried with backoff until it fails.
    let dead_path = format!(
        "/api/v1/webhooks/{}/deliveries",
        dead["id"].as_str().unwrap()
    );
    let mut last = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(60);
    while last["state"] != "failed" {
        assert!(
            Instant::now() < deadline,
            "the dead receiver's delivery never failed: {last}"
        );
        app.run_jobs().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = app
            .call_expect(Method::GET, &app.token, &dead_path, None, 200)
            .await["deliveries"][0]
            .clone();
    }
    let attempts = last["attempts"].as_array().unwrap();
    assert_eq!(
        attempts.len(),
        darkroom_storage::catalog::WEBHOOK_ATTEMPTS as usize
    );
    assert!(attempts.iter().all(|a| a["status"].is_null()));
    assert_eq!(attempts[0]["error"], "could not connect to the receiver");
    // The waits between attempts grew (the backoff doubles, to a ceiling).
    let at = |i: usize| {
        chrono::DateTime::parse_from_rfc3339(attempts[i]["at"].as_str().unwrap()).unwrap()
    };
    assert!(at(11) - at(8) > at(3) - at(0), "{attempts:?}");

    // An administrator retries it: one more try, numbered on in the history.
    let failed = app
        .call_expect(
            Method::GET,
            &app.token,
            "/api/v1/admin/jobs?state=failed",
            None,
            200,
        )
        .await;
    let job = failed["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["kind"] == "deliver_webhook")
        .expect("the failed delivery's job")
        .clone();
    app.call_expect(
        Method::POST,
        &app.token,
        &format!("/api/v1/admin/jobs/{}/retry", job["id"].as_str().unwrap()),
        None,
        202,
    )
    .await;
    app.run_jobs().await;
    let again = app
        .call_expect(Method::GET, &app.token, &dead_path, None, 200)
        .await["deliveries"][0]
        .clone();
    let attempts = again["attempts"].as_array().unwrap();
    assert_eq!(
        attempts.len(),
        darkroom_storage::catalog::WEBHOOK_ATTEMPTS as usize + 1
    );
    assert_eq!(
        attempts.last().unwrap()["attempt"],
        darkroom_storage::catalog::WEBHOOK_ATTEMPTS + 1
    );

    // Deleting the webhook stops its deliveries.
    app.call_expect(
        Method::DELETE,
        &app.token,
        &format!("/api/v1/webhooks/{hook_id}"),
        None,
        204,
    )
    .await;
    let before = seen.lock().unwrap().len();
    app.upload_id(&app.token, "after.jpg", noisy_jpeg(40, 30, 2))
        .await;
    app.run_jobs().await;
    assert_eq!(seen.lock().unwrap().len(), before);
}

async fn webhook_registrations_are_checked(app: TestApp) {
    for (body, says) in [
        (
            json!({"url": "ftp://partner.example/hook", "events": ["asset.created"]}),
            "url",
        ),
        (
            json!({"url": "https://partner.example/hook", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://partner.example/hook", "events": ["asset.exploded"]}),
            "events",
        ),
    ] {
        let error = app
            .call_error(
                Method::POST,
                Some(&app.token),
                "/api/v1/webhooks",
                Some(body),
                422,
                "invalid_field",
            )
            .await;
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(says),
            "{error}"
        );
    }
    let hook = register(&app, "https://partner.example/hook", &["asset.created"]).await;
    let listed = app
        .call_expect(Method::GET, &app.token, "/api/v1/webhooks", None, 200)
        .await;
    assert_eq!(listed["webhooks"][0]["id"], hook["id"]);
    assert!(
        listed["webhooks"][0].get("secret").is_none(),
        "the secret is shown once"
    );
    // Another user cannot see or delete it.
    let other = app.user_token("pia", &[Scope::Read, Scope::Edit]).await;
    let path = format!("/api/v1/webhooks/{}", hook["id"].as_str().unwrap());
    app.call_error(Method::GET, Some(&other), &path, None, 404, "not_found")
        .await;
    app.call_error(Method::DELETE, Some(&other), &path, None, 404, "not_found")
        .await;
    let theirs = app
        .call_expect(Method::GET, &other, "/api/v1/webhooks", None, 200)
        .await;
    assert_eq!(theirs["webhooks"], json!([]));
}

async fn webhooks_reach_only_public_receivers_unless_allowed(app: TestApp) {
    // Managing webhooks takes the `edit` scope: a read-only token can neither
    // make one nor read the deliveries log.
    let reader = app.user_token("rhea", &[Scope::Read]).await;
    let body = json!({"url": "https://partner.example/hook", "events": ["asset.created"]});
    app.call_error(
        Method::POST,
        Some(&reader),
        "/api/v1/webhooks",
        Some(body),
        403,
        "forbidden",
    )
    .await;
    app.call_error(
        Method::GET,
        Some(&reader),
        "/api/v1/webhooks",
        None,
        403,
        "forbidden",
    )
    .await;

    // A server as shipped refuses receivers inside the network when a
    // webhook is made, however the address is written.
    let strict = spawn_app_with(app.backend, |config| {
        config.webhook_targets = WebhookTargets::default();
    })
    .await
    .expect("the backend ran the first app");
    for url in [
        "http://partner.example/hook",
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://localhost:8443/hook",
        "https://10.0.0.1/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://[::ffff:192.168.1.1]/",
        "https://0.0.0.0/",
        "https://2130706433/",
        "https://0x7f000001/",
    ] {
        let error = strict
            .call_error(
                Method::POST,
                Some(&strict.token),
                "/api/v1/webhooks",
                Some(json!({"url": url, "events": ["asset.created"]})),
                422,
                "invalid_field",
            )
            .await;
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("url")
                && (message.contains("not a public address")
                    || url.starts_with("http:") && message.contains("https://")),
            "{url}: {message}"
        );
    }
    let listed = strict
        .call_expect(Method::GET, &strict.token, "/api/v1/webhooks", None, 200)
        .await;
    assert_eq!(listed["webhooks"], json!([]));
    register(&strict, "https://partner.example/hook", &["asset.created"]).await;

    // And again at delivery: a webhook made while private receivers were
    // allowed sends nothing once a worker no longer allows them, and says why.
    let (url, seen) = receiver("asset.created", vec![]);
    for (seed, receiver_url) in [
        (9, url.clone()),
        (10, url.replace("127.0.0.1", "localhost")),
    ] {
        let hook = register(&app, &receiver_url, &["asset.created"]).await;
        let deliveries = format!(
            "/api/v1/webhooks/{}/deliveries",
            hook["id"].as_str().unwrap()
        );
        app.upload_id(&app.token, "inside.jpg", noisy_jpeg(40, 30, seed))
            .await;
        let strict_worker = Runner::new(
            app.catalog.clone(),
            app.blobs.clone(),
            CpuPool::new(Some(1)),
            WorkerConfig {
                webhook_targets: WebhookTargets::default(),
                ..app.worker_config.clone()
            },
        );
        while strict_worker.run_once().await.unwrap().is_some() {}
        let attempts = app
            .call_expect(Method::GET, &app.token, &deliveries, None, 200)
            .await["deliveries"][0]["attempts"]
            .clone();
        // One attempt, or two when the short test backoff ran out before
        // the loop was done (a loaded machine): each refused, none sent.
        let attempts = attempts.as_array().unwrap();
        assert!(!attempts.is_empty(), "{attempts:?}");
        for attempt in attempts {
            assert!(attempt["status"].is_null());
            let error = attempt["error"].as_str().unwrap();
            assert!(
                error.starts_with("not sent:") && error.contains("not a public address"),
                "{receiver_url}: {error}"
            );
        }
        app.call_expect(
            Method::DELETE,
            &app.token,
            &format!("/api/v1/webhooks/{}", hook["id"].as_str().unwrap()),
            None,
            204,
        )
        .await;
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached the receiver"
    );
}
