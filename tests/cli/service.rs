//! Running as a service: Prometheus metrics scraped after real work, the
//! graceful stop (drain, finish, hand back), and what the workers do by
//! themselves when something goes wrong, as the metrics and the admin jobs
//! view show it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    Running, Storage, client, get_json, jpeg, serve, spawn, token_for, upload, user_with_token,
    wait_for_rendition,
};

/// The samples of a Prometheus text page: `name{labels}` → value.
struct Scrape(HashMap<String, f64>);

impl Scrape {
    fn parse(text: &str) -> Self {
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (series, value) = l.rsplit_once(' ')?;
                Some((series.to_string(), value.parse().ok()?))
            })
            .collect();
        Scrape(samples)
    }

    /// The sum over the series of `name` whose labels include every one of
    /// `labels` (`key="value"`); 0 when there is none.
    fn sum(&self, name: &str, labels: &[&str]) -> f64 {
        self.0
            .iter()
            .filter(|(series, _)| {
                let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
                metric == name && labels.iter().all(|l| rest.contains(l))
            })
            .map(|(_, v)| v)
            .sum()
    }

    fn assert_positive(&self, name: &str, labels: &[&str]) {
        assert!(
            self.sum(name, labels) > 0.0,
            "{name}{labels:?} is not counted; the page has:\n{}",
            self.matching(name)
        );
    }

    fn matching(&self, name: &str) -> String {
        let mut lines: Vec<_> = self
            .0
            .iter()
            .filter(|(s, _)| s.starts_with(name))
            .map(|(s, v)| format!("{s} {v}"))
            .collect();
        lines.sort();
        lines.join("\n")
    }
}

async fn scrape(url: &str, token: Option<&str>) -> Scrape {
    let mut request = client().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "Prometheus' text format"
    );
    Scrape::parse(&response.text().await.unwrap())
}

/// The `http://…` URL a log line announces after `marker`.
fn announced(process: &Running, marker: &str) -> String {
    let line = process.wait_for_log(marker, Duration::from_secs(60));
    let at = line.find("http://").expect("address in log line");
    line[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.'))
        .collect()
}

/// A webhook receiver on a free loopback port answering 204 to everything.
async fn webhook_receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                // One read takes a small JSON delivery whole.
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/hook")
}

#[tokio::test]
async fn metrics_count_real_work_embedded() {
    metrics_count_real_work(Storage::embedded()).await;
}

#[tokio::test]
async fn metrics_count_real_work_postgres_s3() {
    if let Some(storage) = Storage::postgres_s3("metrics_count_real_work") {
        metrics_count_real_work(storage).await;
    }
}

/// Uploads (new, duplicate, refused), a rendition, a webhook delivery and a
/// login past its limit, then every metric the dashboard uses, on the API's
/// `/metrics` (admin token) and on `--metrics-listen` (no credentials).
async fn metrics_count_real_work(storage: Storage) {
    let (server, url) = serve(
        &storage,
        &[
            "--workers",
            "1",
            "--metrics-listen",
            "127.0.0.1:0",
            // The receiver is on loopback.
            "--webhooks-allow-private",
        ],
        &[],
    );
    let metrics_url = announced(&server, "metrics at");
    let admin = user_with_token(&storage, "ops", true, "admin");
    let token = token_for(&storage, "dana");

    let hook = webhook_receiver().await;
    let registered = client()
        .post(format!("{url}/api/v1/webhooks"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"url": hook, "events": ["asset.created"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        registered.status(),
        201,
        "{}",
        registered.text().await.unwrap()
    );

    let photo = jpeg(11);
    let id = upload(&url, &token, photo.clone()).await;
    let again = client()
        .post(format!("{url}/api/v1/assets"))
        .bearer_auth(&token)
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "a duplicate");
    let refused = client()
        .post(format!("{url}/api/v1/assets"))
        .bearer_auth(&token)
        .body(b"plain text, not a photo, long enough to be sniffed".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 415);
    wait_for_rendition(
        &format!("{url}/api/v1/assets/{id}/renditions/thumb"),
        &token,
    )
    .await;
    for _ in 0..6 {
        client()
            .post(format!("{url}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "dana", "password": "wrong password"}))
            .send()
            .await
            .unwrap();
    }

    // Only an administrator's token reads them on the API's address.
    let anonymous = client().get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let user = client()
        .get(format!("{url}/metrics"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(user.status(), 403);

    // The delivery is a job of its own, after the upload's.
    let deadline = Instant::now() + Duration::from_secs(30);
    let page = loop {
        let page = scrape(&format!("{url}/metrics"), Some(&admin)).await;
        if page.sum(
            "darkroom_webhook_deliveries_total",
            &[r#"outcome="delivered""#],
        ) > 0.0
        {
            break page;
        }
        assert!(
            Instant::now() < deadline,
            "no webhook delivery counted:\n{}",
            page.matching("darkroom_webhook")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let upload_route = r#"route="/api/v1/assets""#;
    page.assert_positive(
        "darkroom_http_requests_total",
        &[upload_route, r#"status="201""#],
    );
    page.assert_positive(
        "darkroom_http_requests_total",
        &[upload_route, r#"status="415""#],
    );
    page.assert_positive(
        "darkroom_http_request_duration_seconds_count",
        &[upload_route],
    );
    assert_eq!(
        page.sum(
            "darkroom_http_requests_total",
            &[&format!(r#"route="/api/v1/assets/{id}"#)]
        ),
        0.0,
        "routes are labelled by pattern, never by photo"
    );
    page.assert_positive("darkroom_upload_bytes_total", &[]);
    for outcome in ["created", "duplicate", "refused"] {
        page.assert_positive(
            "darkroom_uploads_total",
            &[&format!(r#"outcome="{outcome}""#)],
        );
    }
    for stage in ["probe", "decode", "resize", "encode"] {
        page.assert_positive(
            "darkroom_pipeline_stage_seconds_count",
            &[&format!(r#"stage="{stage}""#), r#"format="jpeg""#],
        );
    }
    page.assert_positive(
        "darkroom_jobs",
        &[r#"kind="render_renditions""#, r#"state="done""#],
    );
    page.assert_positive("darkroom_job_attempts_total", &[r#"outcome="done""#]);
    page.assert_positive(
        "darkroom_job_seconds_count",
        &[r#"kind="render_renditions""#],
    );
    for op in ["stage_start", "stage_finish", "copy", "put", "get"] {
        page.assert_positive(
            "darkroom_blob_store_op_seconds_count",
            &[&format!(r#"op="{op}""#)],
        );
    }
    page.assert_positive(
        "darkroom_catalog_query_seconds_count",
        &[r#"statement="select""#],
    );
    page.assert_positive(
        "darkroom_catalog_transaction_seconds_count",
        &[r#"outcome="commit""#],
    );
    page.assert_positive("darkroom_catalog_pool_connections", &[r#"state="max""#]);
    page.assert_positive(
        "darkroom_rate_limit_refusals_total",
        &[r#"limiter="login""#],
    );
    page.assert_positive("darkroom_process_resident_memory_bytes", &[]);
    assert!(page.0.contains_key("darkroom_process_cpu_seconds_total"));

    // The private address: the same registry, no credentials.
    let open = scrape(&metrics_url, None).await;
    open.assert_positive("darkroom_uploads_total", &[r#"outcome="created""#]);
    open.assert_positive("darkroom_jobs", &[r#"state="done""#]);
}

/// SIGTERM: `/readyz` turns 503 at once while requests are still served for
/// the drain period, an upload in flight then finishes with 201, and the
/// process exits 0 by itself.
#[tokio::test]
async fn sigterm_drains_then_finishes_requests_in_flight() {
    let storage = Storage::embedded();
    let (mut server, url) = serve(&storage, &["--workers", "0", "--drain-secs", "2"], &[]);
    let token = token_for(&storage, "erin");
    let ready = client().get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    // An upload that trickles in over about three seconds.
    let photo = jpeg(21);
    let chunks: Vec<Vec<u8>> = photo
        .chunks(photo.len() / 6 + 1)
        .map(<[u8]>::to_vec)
        .collect();
    let body = futures::stream::iter(chunks).then(|chunk| async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok::<_, std::io::Error>(chunk)
    });
    let slow = tokio::spawn(
        client()
            .post(format!("{url}/api/v1/assets"))
            .bearer_auth(&token)
            .body(reqwest::Body::wrap_stream(body))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = Instant::now();
    nix_kill(server.pid(), "TERM");
    server.wait_for_log("stopping: /readyz answers 503", Duration::from_secs(5));

    let ready = client().get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "a balancer takes the process out");
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "draining");
    let meanwhile = client()
        .get(format!("{url}/api/v1/assets"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        meanwhile.status(),
        200,
        "requests are still served while draining"
    );

    let uploaded = slow
        .await
        .unwrap()
        .expect("the upload in flight is answered");
    assert_eq!(uploaded.status(), 201, "the upload in flight finished");
    let status = wait_exit(&mut server, Duration::from_secs(30));
    assert!(
        status.success(),
        "exits 0 after a graceful stop: {status:?}"
    );
    assert!(
        stopping.elapsed() >= Duration::from_secs(2),
        "the drain period was kept"
    );
}

/// A second signal ends the process at once, whatever the drain period.
#[test]
fn a_second_signal_stops_at_once() {
    let storage = Storage::embedded();
    let (mut server, _url) = serve(&storage, &["--workers", "0", "--drain-secs", "60"], &[]);
    nix_kill(server.pid(), "TERM");
    server.wait_for_log("stopping: /readyz answers 503", Duration::from_secs(5));
    let started = Instant::now();
    nix_kill(server.pid(), "INT");
    let status = wait_exit(&mut server, Duration::from_secs(10));
    assert!(!status.success());
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A worker told to stop while a job is still running hands it back after
/// its stop timeout: another worker renders it at once, long before the
/// lease (ten minutes here) would have run out, and the attempt is not
/// counted against the job.
#[tokio::test]
async fn a_stopping_worker_hands_its_job_back() {
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &["--workers", "0"], &[]);
    let token = token_for(&storage, "fay");
    let id = upload(&url, &token, jpeg(31)).await;
    let thumb = format!("{url}/api/v1/assets/{id}/renditions/thumb");

    let mut stuck = spawn(
        &[
            "worker",
            "--workers",
            "1",
            "--job-lease-secs",
            "600",
            "--stop-timeout-secs",
            "1",
            "--fault-hold-job-ms",
            "600000",
        ],
        &storage,
        &[],
    );
    stuck.wait_for_log("fault injection: holding job", Duration::from_secs(60));
    nix_kill(stuck.pid(), "TERM");
    stuck.wait_for_log("handed the unfinished job back", Duration::from_secs(10));
    let status = wait_exit(&mut stuck, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    let pending = get_json(&thumb, &token).await;
    assert_eq!(
        pending["attempts"], 0,
        "the handed-back attempt is not counted: {pending}"
    );

    let started = Instant::now();
    let _next = spawn(
        &["worker", "--workers", "1", "--job-lease-secs", "600"],
        &storage,
        &[],
    );
    wait_for_rendition(&thumb, &token).await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "taken at once, not after the lease"
    );
}

/// A worker SIGKILLed mid-job: the next worker takes the job over when the
/// lease runs out, counts it, and the admin jobs view says what happened.
/// A job past its time budget is abandoned and retried, and counted.
#[tokio::test]
async fn takeovers_and_time_budgets_show_in_metrics_and_the_jobs_view() {
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &["--workers", "0"], &[]);
    let admin = user_with_token(&storage, "root", true, "admin");
    let token = token_for(&storage, "gus");
    let id = upload(&url, &token, jpeg(41)).await;

    let doomed = spawn(
        &[
            "worker",
            "--workers",
            "1",
            "--job-lease-secs",
            "2",
            "--fault-hold-job-ms",
            "600000",
        ],
        &storage,
        &[],
    );
    doomed.wait_for_log("fault injection: holding job", Duration::from_secs(60));
    doomed.kill_hard();

    // The rescuer holds every job past a one-second budget: the job it
    // takes over times out, and is queued again for a later attempt.
    let rescuer = spawn(
        &[
            "worker",
            "--workers",
            "1",
            "--job-lease-secs",
            "2",
            "--job-timeout-secs",
            "1",
            "--job-max-attempts",
            "5",
            "--fault-hold-job-ms",
            "5000",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        &storage,
        &[("DARKROOM_JOB_RETRY_BASE_MS", "60000")],
    );
    let metrics_url = announced(&rescuer, "metrics at");
    rescuer.wait_for_log(
        "took over a job whose worker's lease ran out",
        Duration::from_secs(30),
    );
    rescuer.wait_for_log("time budget", Duration::from_secs(30));
    let page = scrape(&metrics_url, None).await;
    page.assert_positive(
        "darkroom_job_lease_expiries_total",
        &[r#"outcome="taken_over""#],
    );
    page.assert_positive(
        "darkroom_job_timeouts_total",
        &[r#"kind="render_renditions""#],
    );
    page.assert_positive("darkroom_job_attempts_total", &[r#"outcome="retrying""#]);

    let jobs = get_json(&format!("{url}/api/v1/admin/jobs"), &admin).await;
    let job = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["asset_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the asset's job in {jobs}"));
    let error = job["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("time budget"), "{job}");
    assert_eq!(job["state"], "queued", "retried later: {job}");
}

fn nix_kill(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_exit(process: &mut Running, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = process.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the process did not exit within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The alert rules in `deploy/` are valid Prometheus rules that fire when
/// they should (promtool's own unit tests, `alerts-test.yml`), and the rules
/// and the Grafana dashboard name only metrics darkroom exports.
#[test]
fn deploy_rules_and_dashboard_are_valid() {
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let exported = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("api/src/prometheus.rs"),
    )
    .unwrap();
    for file in ["prometheus/alerts.yml", "grafana/darkroom.json"] {
        let text = std::fs::read_to_string(deploy.join(file)).unwrap();
        let mut named = 0;
        for (at, _) in text.match_indices("darkroom_") {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let base = ["_bucket", "_count", "_sum"]
                .iter()
                .fold(name.as_str(), |n, suffix| {
                    n.strip_suffix(suffix).unwrap_or(n)
                });
            // Process metrics come from metrics-process, with our prefix.
            if base.starts_with("darkroom_process_") {
                continue;
            }
            named += 1;
            assert!(
                exported.contains(&format!("\"{base}\"")),
                "{file} names {base}, which darkroom does not export"
            );
        }
        assert!(named > 5, "{file} names darkroom's metrics");
    }
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(deploy.join("grafana/darkroom.json")).unwrap(),
    )
    .unwrap();
    assert!(dashboard["panels"].as_array().unwrap().len() > 10);

    let Ok(version) = std::process::Command::new("promtool")
        .arg("--version")
        .output()
    else {
        println!(
            "SKIPPED promtool checks of deploy/prometheus: promtool is not installed (apt-get install prometheus)"
        );
        return;
    };
    assert!(version.status.success());
    for args in [
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts-test.yml"],
    ] {
        let output = std::process::Command::new("promtool")
            .args(args)
            .current_dir(deploy.join("prometheus"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
