use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_darkroom");

/// Where a test's darkroom keeps its state.
pub struct Storage {
    pub args: Vec<String>,
    /// Environment for every darkroom process using this storage.
    pub env: Vec<(String, String)>,
    pub data_dir: tempfile::TempDir,
}

impl Storage {
    /// The embedded defaults: SQLite and blobs under one data folder.
    pub fn embedded() -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let args = vec!["--data-dir".into(), data_dir.path().display().to_string()];
        Storage {
            args,
            env: Vec::new(),
            data_dir,
        }
    }

    /// PostgreSQL + S3 when the test servers are configured, else `None`
    /// (after saying so).
    pub fn postgres_s3(test: &str) -> Option<Self> {
        let (Ok(pg), Ok(s3)) = (
            std::env::var("DARKROOM_TEST_DATABASE_URL"),
            std::env::var("DARKROOM_TEST_S3_ENDPOINT"),
        ) else {
            eprintln!(
                "SKIPPED {test} on PostgreSQL + S3: DARKROOM_TEST_DATABASE_URL / DARKROOM_TEST_S3_ENDPOINT not set"
            );
            return None;
        };
        let name = format!("darkroom_cli_{}", uuid_like());
        let status = Command::new("psql")
            .arg(&pg)
            .args(["-qc", &format!("CREATE DATABASE {name}")])
            .status()
            .expect("psql");
        assert!(status.success(), "could not create database {name}");
        let mut url = pg.clone();
        let cut = url.rfind('/').unwrap();
        url.truncate(cut + 1);
        url.push_str(&name);
        let bucket =
            std::env::var("DARKROOM_TEST_S3_BUCKET").unwrap_or_else(|_| "darkroom-test".into());
        let data_dir = tempfile::tempdir().unwrap();
        let args = vec![
            "--data-dir".into(),
            data_dir.path().display().to_string(),
            "--blobs".into(),
            format!("s3://{bucket}/cli-{}?endpoint={s3}", uuid_like()),
        ];
        // The catalog comes from DATABASE_URL, as the README promises.
        let env = vec![("DATABASE_URL".to_string(), url)];
        Some(Storage {
            args,
            env,
            data_dir,
        })
    }

    pub fn path(&self) -> &Path {
        self.data_dir.path()
    }
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", nanos, std::process::id())
}

/// Runs `darkroom ARGS… STORAGE…` to completion.
pub fn darkroom(args: &[&str], storage: &Storage) -> Output {
    Command::new(BIN)
        .args(args)
        .args(&storage.args)
        .envs(storage.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("run darkroom")
}

/// A background darkroom process, killed when dropped.
pub struct Running {
    pub child: Child,
    pub stdout_lines: mpsc::Receiver<String>,
    pub stderr_lines: mpsc::Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a standard-error line containing `needle`; returns it.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no log line containing {needle:?} within {timeout:?}");
    }

    /// SIGKILL: no chance to clean up, as in a crash or an OOM kill.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `darkroom ARGS… STORAGE…` in the background with plain logs.
pub fn spawn(args: &[&str], storage: &Storage, env: &[(&str, &str)]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .args(&storage.args)
        .envs(storage.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn darkroom");
    let stdout_lines = lines(child.stdout.take().unwrap());
    let stderr_lines = lines(child.stderr.take().unwrap());
    Running {
        child,
        stdout_lines,
        stderr_lines,
    }
}

fn lines(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = tx.send(strip_ansi(&line));
        }
    });
    rx
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Starts `darkroom serve` on a free port; returns it with its base URL.
pub fn serve(storage: &Storage, extra: &[&str], env: &[(&str, &str)]) -> (Running, String) {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let server = spawn(&args, storage, env);
    let line = server.wait_for_log("darkroom is listening on", Duration::from_secs(60));
    // Plain or JSON, the line holds `http://ADDR:PORT`.
    let at = line.find("http://").expect("address in log line");
    let url: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.'))
        .collect();
    (server, url)
}

/// Runs `darkroom ARGS… STORAGE…`, asserting success; its standard output.
pub fn darkroom_ok(args: &[&str], storage: &Storage) -> String {
    let output = darkroom(args, storage);
    assert!(
        output.status.success(),
        "darkroom {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Mints a token for a fresh user through the CLI, as scripts do.
pub fn token_for(storage: &Storage, user: &str) -> String {
    darkroom_ok(&["admin", "create-user", user], storage);
    darkroom_ok(&["admin", "create-token", user], storage)
}

/// A fresh user (an administrator when `admin`) and a token with `scopes`
/// (comma-separated).
pub fn user_with_token(storage: &Storage, user: &str, admin: bool, scopes: &str) -> String {
    let mut create = vec!["admin", "create-user", user];
    if admin {
        create.push("--admin");
    }
    darkroom_ok(&create, storage);
    darkroom_ok(&["admin", "create-token", user, "--scope", scopes], storage)
}

/// Peak resident memory of a process in KiB (VmHWM).
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc status")
}

/// A small valid JPEG, different for each seed.
pub fn jpeg(seed: u32) -> Vec<u8> {
    jpeg_sized(320, 200, seed)
}

/// A valid JPEG of `width × height`, different for each seed.
pub fn jpeg_sized(width: u32, height: u32, seed: u32) -> Vec<u8> {
    encode_jpeg(image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x + seed) as u8, y as u8, (seed * 7) as u8])
    }))
}

/// A small JPEG of pixel noise, new for every `n` (nearby seeds of
/// [`jpeg`] can repeat a pattern, and then the bytes).
pub fn noisy_jpeg(n: u32) -> Vec<u8> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(n) * 7919);
    encode_jpeg(image::RgbImage::from_fn(160, 120, |_, _| {
        image::Rgb([rng.random(), rng.random(), rng.random()])
    }))
}

fn encode_jpeg(img: image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out
}

/// A process's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs one SQL statement against the storage's catalog with the engine's
/// own command-line client (`psql`, `sqlite3`); its output, a row a line
/// (columns split by `|`).
pub fn catalog_sql(storage: &Storage, statement: &str) -> String {
    let output = match storage.env.iter().find(|(k, _)| k == "DATABASE_URL") {
        Some((_, url)) => Command::new("psql")
            .args([url.as_str(), "-qAtc", statement])
            .output()
            .expect("psql"),
        None => Command::new("sqlite3")
            .args(["-cmd", ".timeout 10000"])
            .arg(storage.path().join("catalog.db"))
            .arg(statement)
            .output()
            .expect("sqlite3"),
    };
    assert!(
        output.status.success(),
        "{statement}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Asserts that the server at `url` serves each `(asset id, bytes)` as its
/// original, byte for byte.
pub async fn assert_originals(url: &str, token: &str, photos: &[(String, Vec<u8>)]) {
    for (id, bytes) in photos {
        let original = client()
            .get(format!("{url}/api/v1/assets/{id}/original"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(original.status(), 200, "the original of {id}");
        assert_eq!(&original.bytes().await.unwrap()[..], &bytes[..], "{id}");
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// GETs `url` with `token` and parses the JSON answer, whatever its status.
pub async fn get_json(url: &str, token: &str) -> serde_json::Value {
    client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn data_file(storage: &Storage, rel: &str) -> PathBuf {
    storage.path().join(rel)
}

/// Uploads `bytes` as a plain body; asserts `201` and returns the asset id.
pub async fn upload(url: &str, token: &str, bytes: Vec<u8>) -> String {
    let response = client()
        .post(format!("{url}/api/v1/assets"))
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

/// Polls a rendition URL until it is served (202 meanwhile); returns its bytes.
pub async fn wait_for_rendition(rendition_url: &str, token: &str) -> bytes::Bytes {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = client()
            .get(rendition_url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            assert_eq!(response.headers()["content-type"], "image/jpeg");
            return response.bytes().await.unwrap();
        }
        assert_eq!(
            response.status(),
            202,
            "a rendition is served or pending, nothing else"
        );
        assert!(
            Instant::now() < deadline,
            "{rendition_url} was never rendered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls the asset until its `name` rendition is ready and shows the
/// current edit; returns its pixels.
pub async fn current_rendition(url: &str, token: &str, id: &str, name: &str) -> image::RgbImage {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let asset = get_json(&format!("{url}/api/v1/assets/{id}"), token).await;
        let rendition = asset["renditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone();
        if rendition["status"] == "ready" && rendition["outdated"].is_null() {
            let bytes = client()
                .get(format!("{url}{}", rendition["url"].as_str().unwrap()))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            return image::load_from_memory(&bytes).unwrap().to_rgb8();
        }
        assert!(
            rendition["status"] != "failed" && std::time::Instant::now() < deadline,
            "{rendition}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
