//! `spawn_app` and the request helpers every test uses.

use std::io::Cursor;
use std::time::Duration;

use darkroom_api::{ApiConfig, Application, Services};
use darkroom_pipeline::Limits;
use darkroom_storage::catalog::{Scope, create_postgres_database};
use darkroom_storage::{BlobConfig, BlobStore, Catalog};
use darkroom_workers::{CpuPool, EditRenderer, JobOutcome, Runner, WebhookTargets, WorkerConfig};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// Which storage the app under test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    SqliteLocal,
    PostgresS3,
}

/// Webhooks to private addresses allowed: the tests' receivers are on
/// loopback (webhooks.rs tests the default, which refuses them).
const INSIDE_ALLOWED: WebhookTargets = WebhookTargets {
    allow_private: true,
};

/// The largest upload the test app accepts (small, to test 413 cheaply).
pub const MAX_UPLOAD: u64 = 4 * 1024 * 1024;

/// A running app, its storage, and a worker the test drives by hand.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// A token of the `admin` user with every scope.
    pub token: String,
    pub catalog: Catalog,
    pub blobs: BlobStore,
    pub runner: Runner,
    pub worker_config: WorkerConfig,
    /// The storage it runs on (to start a second app like it).
    pub backend: Backend,
    _data_dir: tempfile::TempDir,
}

/// Starts the app on a free port. `None` (after saying why) when the backend's
/// servers are not configured on this machine.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// [`spawn_app`] with the API's configuration changed by `configure`.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut ApiConfig),
) -> Option<TestApp> {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (database_url, blob_config) = match backend {
        Backend::SqliteLocal => (
            format!("sqlite:{}", data_dir.path().join("catalog.db").display()),
            BlobConfig::Local(data_dir.path().join("blobs")),
        ),
        Backend::PostgresS3 => {
            let (Ok(pg), Ok(s3)) = (
                std::env::var("DARKROOM_TEST_DATABASE_URL"),
                std::env::var("DARKROOM_TEST_S3_ENDPOINT"),
            ) else {
                eprintln!(
                    "SKIPPED (PostgreSQL + S3 backend): set DARKROOM_TEST_DATABASE_URL and \
                     DARKROOM_TEST_S3_ENDPOINT to run it (.ci/run does)"
                );
                return None;
            };
            let name = format!("darkroom_test_{}", uuid::Uuid::new_v4().simple());
            let url = create_postgres_database(&pg, &name)
                .await
                .expect("create test database");
            let bucket =
                std::env::var("DARKROOM_TEST_S3_BUCKET").unwrap_or_else(|_| "darkroom-test".into());
            (
                url,
                BlobConfig::S3 {
                    bucket,
                    // A fresh prefix per test keeps tests apart in one bucket.
                    prefix: format!("test-{}", uuid::Uuid::new_v4().simple()),
                    endpoint: Some(s3),
                    region: None,
                    credentials: None,
                },
            )
        }
    };
    let catalog = Catalog::connect(&database_url)
        .await
        .expect("connect catalog");
    catalog.migrate().await.expect("migrate");
    let blobs = BlobStore::open(&blob_config).expect("open blob store");
    let admin = catalog
        .bootstrap_admin()
        .await
        .expect("bootstrap")
        .expect("first start");

    let limits = Limits {
        max_upload_bytes: MAX_UPLOAD,
        max_pixels: 50_000_000,
        ..Limits::default()
    };
    let worker_config = WorkerConfig {
        concurrency: 0,
        lease: Duration::from_secs(2),
        retry_base: Duration::from_millis(50),
        max_attempts: 3,
        webhook_retry_base: Duration::from_millis(50),
        webhook_retry_max: Duration::from_millis(400),
        limits,
        // The tests' receivers listen on loopback.
        webhook_targets: INSIDE_ALLOWED,
        // Short, so that a test of a stalled client does not wait long.
        export_stall_timeout: Duration::from_secs(2),
        ..WorkerConfig::default()
    };
    let pool = CpuPool::new(Some(2));
    let editing = EditRenderer::new(pool.clone(), &worker_config);
    let runner = Runner::new(catalog.clone(), blobs.clone(), pool, worker_config.clone());
    let mut config = ApiConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        limits,
        job_attempts: worker_config.max_attempts,
        http_workers: Some(2),
        login_limits: darkroom_api::LoginLimits {
            per_account_per_minute: 5,
            per_account_everywhere_per_minute: 12,
            // Tests share 127.0.0.1; only the per-account limits are under test.
            per_address_per_minute: 10_000,
        },
        webhook_targets: INSIDE_ALLOWED,
        // Short, so that a test of a stalled client does not wait long.
        body_stall: Duration::from_secs(5),
        ..ApiConfig::default()
    };
    configure(&mut config);
    let app = Application::build(
        config,
        Services {
            catalog: catalog.clone(),
            blobs: blobs.clone(),
            waker: runner.waker(),
            editing,
        },
    )
    .expect("bind");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Some(TestApp {
        address,
        client: reqwest::Client::new(),
        token: admin.secret,
        catalog,
        blobs,
        runner,
        worker_config,
        backend,
        _data_dir: data_dir,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Sends `method path` as `token` (or anonymously), with a JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// [`call`](Self::call), expecting `status`, returning the JSON body
    /// (`null` for an empty one).
    pub async fn call_expect(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let response = self.call(method.clone(), Some(token), path, body).await;
        let got = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert_eq!(got, status, "{method} {path}: {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
    }

    /// [`call`](Self::call), asserting an error answer: its status and the
    /// code in its JSON body. Returns the body.
    pub async fn call_error(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
        status: u16,
        code: &str,
    ) -> Value {
        assert_error(self.call(method, token, path, body).await, status, code).await
    }

    /// `DELETE /api/v1/assets/{id}` as `token`: to the trash, expecting 204.
    pub async fn trash_as(&self, token: &str, id: &str) {
        self.call_expect(
            reqwest::Method::DELETE,
            token,
            &format!("/api/v1/assets/{id}"),
            None,
            204,
        )
        .await;
    }

    /// Uploads as `token` and returns the new asset's id.
    pub async fn upload_id(&self, token: &str, name: &str, bytes: Vec<u8>) -> String {
        let response = self.upload_as(token, name, bytes).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("upload JSON");
        assert!(status == 201 || status == 200, "upload {name}: {body}");
        body["id"].as_str().expect("id").to_string()
    }

    /// A new user and a token for them with the given scopes.
    pub async fn user_token(&self, name: &str, scopes: &[Scope]) -> String {
        let user = self
            .catalog
            .create_user(name, false)
            .await
            .expect("create user");
        self.catalog
            .issue_token(&user.id, "test", scopes)
            .await
            .expect("token")
            .secret
    }

    /// Another token of the `admin` user (another device), with every scope.
    pub async fn user_token_for_self(&self, name: &str) -> String {
        let admin = self
            .catalog
            .find_user_by_name("admin")
            .await
            .expect("find admin")
            .expect("the admin user");
        self.catalog
            .issue_token(&admin.id, name, &Scope::ALL)
            .await
            .expect("token")
            .secret
    }

    /// Multipart upload as `token`.
    pub async fn upload_as(&self, token: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
        let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
        self.client
            .post(self.url("/api/v1/assets"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload request")
    }

    /// Multipart upload as the admin.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>) -> reqwest::Response {
        self.upload_as(&self.token, name, bytes).await
    }

    /// Uploads and returns the response JSON, asserting the status.
    pub async fn upload_expect(&self, name: &str, bytes: Vec<u8>, status: u16) -> Value {
        let response = self.upload(name, bytes).await;
        assert_eq!(response.status().as_u16(), status, "upload of {name}");
        response.json().await.expect("json body")
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_as(&self.token, path).await
    }

    /// GET as the admin, parsed as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("JSON body")
    }

    /// `POST /api/v1/assets/{id}/renditions/retry` as `token`.
    pub async fn retry_renditions_as(&self, token: &str, id: &str) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/assets/{id}/renditions/retry")))
            .bearer_auth(token)
            .send()
            .await
            .expect("retry request")
    }

    /// Runs queued jobs until none is runnable now; returns their outcomes.
    pub async fn run_jobs(&self) -> Vec<JobOutcome> {
        let mut outcomes = Vec::new();
        while let Some((_, outcome)) = self.runner.run_once().await.expect("run job") {
            outcomes.push(outcome);
        }
        outcomes
    }

    /// Files in the blob store (originals and renditions).
    pub async fn stored_blob_count(&self) -> usize {
        self.blobs.list_hashes().await.expect("list blobs").len()
    }
}

/// Asserts an error response: status, JSON `{"error":{"code","message"}}`.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.expect("error body is JSON");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// A JPEG of `width × height`: left half red, right half blue, with a
/// `seed`-dependent pixel so different seeds give different bytes; with an
/// EXIF orientation and DateTimeOriginal when given.
pub fn jpeg(
    width: u32,
    height: u32,
    seed: u32,
    orientation: Option<u16>,
    taken: Option<&str>,
) -> Vec<u8> {
    let mut img = image::RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            image::Rgb([220, 20, 20])
        } else {
            image::Rgb([20, 20, 220])
        }
    });
    img.put_pixel(
        0,
        0,
        image::Rgb([(seed % 256) as u8, (seed / 256 % 256) as u8, 7]),
    );
    let mut encoded = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut encoded), image::ImageFormat::Jpeg)
        .expect("encode jpeg");
    if orientation.is_none() && taken.is_none() {
        return encoded;
    }
    let app1 = exif_app1(orientation, taken);
    let mut out = Vec::with_capacity(encoded.len() + app1.len());
    out.extend_from_slice(&encoded[..2]); // SOI
    out.extend_from_slice(&app1);
    out.extend_from_slice(&encoded[2..]);
    out
}

/// A JPEG of `width × height` filled with `seed`'s noise: it compresses
/// badly (about 3 bytes a pixel), and every seed gives other bytes.
pub fn noisy_jpeg(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut state = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let img = image::RgbImage::from_fn(width, height, |_, _| {
        // xorshift64: cheap, and enough to defeat the JPEG encoder.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let [r, g, b, ..] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut encoded = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut encoded), image::ImageFormat::Jpeg)
        .expect("encode jpeg");
    encoded
}

/// An APP1 EXIF segment with IFD0 Orientation and an Exif IFD DateTimeOriginal.
fn exif_app1(orientation: Option<u16>, taken: Option<&str>) -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    let entries: u16 = orientation.is_some() as u16 + taken.is_some() as u16;
    let ifd0_end = 8 + 2 + 12 * entries as u32 + 4;
    tiff.extend_from_slice(&entries.to_le_bytes());
    if let Some(o) = orientation {
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&o.to_le_bytes());
        tiff.extend_from_slice(&[0, 0]);
    }
    if taken.is_some() {
        tiff.extend_from_slice(&0x8769u16.to_le_bytes()); // Exif IFD pointer
        tiff.extend_from_slice(&4u16.to_le_bytes()); // LONG
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&ifd0_end.to_le_bytes());
    }
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    if let Some(t) = taken {
        let value_at = ifd0_end + 2 + 12 + 4;
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x9003u16.to_le_bytes()); // DateTimeOriginal
        tiff.extend_from_slice(&2u16.to_le_bytes()); // ASCII
        tiff.extend_from_slice(&20u32.to_le_bytes());
        tiff.extend_from_slice(&value_at.to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        let mut text = t.as_bytes().to_vec();
        text.resize(19, b' ');
        text.push(0);
        tiff.extend_from_slice(&text);
    }
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    app1
}

/// Decodes an image response body.
pub async fn decode(response: reqwest::Response) -> image::RgbImage {
    let bytes = response.bytes().await.expect("body");
    image::load_from_memory(&bytes)
        .expect("decodable image")
        .to_rgb8()
}
