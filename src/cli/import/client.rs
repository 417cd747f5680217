//! The importer's side of the HTTP API: `check`, uploads, albums and library
//! fields. Network failures are retried — a file larger than one chunk goes
//! over tus and resumes from the offset the server has, a smaller one is sent
//! again whole (the server dedupes by device id and bytes, so a retry whose
//! first answer was lost does not make a second photo); the server's
//! refusals are not retried.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Bytes per tus request; files up to this go up in one plain request.
const CHUNK_BYTES: u64 = 8 << 20;
/// Tries per request before a network failure counts as the file's failure.
const TRIES: u32 = 5;

/// A server, and the token to speak to it with.
#[derive(Clone)]
pub struct Server {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// What `check` said of one file.
#[derive(Debug, Deserialize)]
pub struct Checked {
    /// `present` or `missing`.
    pub status: String,
    pub asset_id: Option<String>,
}

/// What a file became on the server.
#[derive(Debug)]
pub struct Uploaded {
    pub asset_id: String,
    /// `created`, `duplicate`, `restored` or `paired`.
    pub outcome: String,
}

/// What the server is told about a file besides its bytes.
pub struct FileFacts<'a> {
    pub name: &'a str,
    pub device_asset_id: &'a str,
    /// BLAKE3, hex: the server checks the bytes it got against it.
    pub blake3: &'a str,
}

/// The file's upload failed for a reason that retrying will not change.
#[derive(Debug)]
pub struct Refused(pub String);

impl Server {
    pub fn new(base: &str, token: &str) -> anyhow::Result<Self> {
        let base = base.trim_end_matches('/').to_string();
        reqwest::Url::parse(&base).with_context(|| format!("{base:?} is not a URL"))?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("darkroom-import/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Server {
            base,
            token: token.to_string(),
            http,
        })
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.http.request(method, url).bearer_auth(&self.token)
    }

    /// A JSON call, retried on network failures and 5xx; a 4xx is an error
    /// with the server's message.
    async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let response = self
            .send_retrying(|| {
                let request = self.request(method.clone(), path);
                match body {
                    Some(body) => request.json(body),
                    None => request,
                }
            })
            .await
            .map_err(|Refused(why)| anyhow::anyhow!("{method} {path}: {why}"))?;
        let text = response.text().await?;
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    /// Checks the token works and holds `scopes`, before any file is read;
    /// answers the user's name.
    pub async fn who_am_i(&self, scopes: &[&str]) -> anyhow::Result<String> {
        let session = self
            .json(Method::GET, "/api/v1/auth/session", None)
            .await
            .context("signing in to the server")?;
        let held: Vec<&str> = session["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let missing: Vec<&str> = scopes
            .iter()
            .filter(|s| !held.contains(s))
            .copied()
            .collect();
        if !missing.is_empty() {
            bail!(
                "the token lacks the {} scope(s) an import needs (it has {})",
                missing.join(", "),
                held.join(", ")
            );
        }
        Ok(session["user"]["name"].as_str().unwrap_or("?").to_string())
    }

    /// Asks which of `items` (`{device_asset_id, blake3?, size?}`) the
    /// library holds; answers in the same order.
    pub async fn check(&self, items: Vec<Value>) -> anyhow::Result<Vec<Checked>> {
        let answer = self
            .json(
                Method::POST,
                "/api/v1/assets/check",
                Some(&json!({ "assets": items })),
            )
            .await?;
        Ok(serde_json::from_value(answer["results"].clone())?)
    }

    /// The id of the user's album named `name`, created if there is none.
    pub async fn album_named(&self, name: &str) -> anyhow::Result<String> {
        let albums = self.json(Method::GET, "/api/v1/albums", None).await?;
        let found = albums["albums"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["name"] == name);
        if let Some(album) = found {
            return Ok(album["id"].as_str().unwrap_or_default().to_string());
        }
        let album = self
            .json(
                Method::POST,
                "/api/v1/albums",
                Some(&json!({ "name": name })),
            )
            .await?;
        Ok(album["id"].as_str().unwrap_or_default().to_string())
    }

    /// Puts photos into an album (ones already there are skipped by the server).
    pub async fn add_to_album(&self, album: &str, assets: &[String]) -> anyhow::Result<()> {
        self.json(
            Method::POST,
            &format!("/api/v1/albums/{album}/assets"),
            Some(&json!({ "asset_ids": assets })),
        )
        .await?;
        Ok(())
    }

    /// Sets library fields (from a sidecar) on a photo.
    pub async fn patch_asset(&self, asset: &str, fields: &Value) -> anyhow::Result<()> {
        self.json(
            Method::PATCH,
            &format!("/api/v1/assets/{asset}"),
            Some(fields),
        )
        .await?;
        Ok(())
    }

    /// Uploads `path` (a small file whole, a large one over tus, resuming
    /// after network failures); `progress` hears of the bytes the server took.
    pub async fn upload(
        &self,
        path: &Path,
        size: u64,
        file: &FileFacts<'_>,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Uploaded, Refused> {
        let mut handle = tokio::fs::File::open(path)
            .await
            .map_err(|e| Refused(format!("cannot read it: {e}")))?;
        let first = read_chunk(&mut handle, 0, size).await?;
        if size <= CHUNK_BYTES {
            let uploaded = self.upload_whole(first, file).await?;
            progress(size);
            return Ok(uploaded);
        }
        let metadata = [
            ("filename", file.name),
            ("device_asset_id", file.device_asset_id),
            ("blake3", file.blake3),
        ]
        .iter()
        .map(|(k, v)| format!("{k} {}", BASE64.encode(v)))
        .collect::<Vec<_>>()
        .join(",");
        let mut file = handle;
        let sent = first.len() as u64;
        // Created with the first chunk (for most photos, the whole file).
        let response = self
            .send_retrying(|| {
                self.request(Method::POST, "/api/v1/uploads")
                    .header("Tus-Resumable", "1.0.0")
                    .header("Upload-Length", size.to_string())
                    .header("Upload-Metadata", &metadata)
                    .header("Content-Type", "application/offset+octet-stream")
                    .body(first.clone())
            })
            .await?;
        let location = header(&response, "location")
            .ok_or_else(|| Refused("the server gave no upload URL".into()))?;
        let mut offset = header(&response, "upload-offset")
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        progress(offset.min(sent));
        let mut last = response;
        let mut failures = 0;
        while offset < size {
            let chunk = read_chunk(&mut file, offset, size).await?;
            let len = chunk.len() as u64;
            let sent = self
                .request(Method::PATCH, &location)
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Offset", offset.to_string())
                .header("Content-Type", "application/offset+octet-stream")
                .body(chunk)
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    let now = header(&response, "upload-offset")
                        .and_then(|o| o.parse().ok())
                        .unwrap_or(offset + len);
                    progress(now - offset);
                    offset = now;
                    last = response;
                    failures = 0;
                }
                Ok(response)
                    if !retryable(response.status())
                        && response.status() != StatusCode::CONFLICT =>
                {
                    return Err(Refused(refusal(response).await));
                }
                // The connection broke, the server was busy, or the offset
                // moved: ask where the server is, and go on from there.
                _ => {
                    failures += 1;
                    if failures >= TRIES {
                        return Err(Refused(format!("the upload kept failing at byte {offset}")));
                    }
                    tokio::time::sleep(backoff(failures)).await;
                    if let Some(now) = self.offset(&location).await {
                        progress(now.saturating_sub(offset));
                        offset = now;
                    }
                }
            }
        }
        match (
            header(&last, "x-asset-id"),
            header(&last, "x-upload-outcome"),
        ) {
            (Some(asset_id), Some(outcome)) => Ok(Uploaded { asset_id, outcome }),
            _ => self.finished(&location).await,
        }
    }

    /// `POST /api/v1/assets` with the whole file, again after network failures.
    async fn upload_whole(
        &self,
        bytes: Vec<u8>,
        file: &FileFacts<'_>,
    ) -> Result<Uploaded, Refused> {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/assets", self.base))
            .map_err(|e| Refused(e.to_string()))?;
        url.query_pairs_mut().append_pair("filename", file.name);
        let response = self
            .send_retrying(|| {
                self.request(Method::POST, url.as_str())
                    .header("X-Device-Asset-Id", file.device_asset_id)
                    .header("X-Content-Blake3", file.blake3)
                    .body(bytes.clone())
            })
            .await?;
        let answer: Value = response
            .json()
            .await
            .map_err(|e| Refused(format!("the server's answer was not JSON: {e}")))?;
        match (answer["id"].as_str(), answer["status"].as_str()) {
            (Some(id), Some(status)) => Ok(Uploaded {
                asset_id: id.to_string(),
                outcome: status.to_string(),
            }),
            _ => Err(Refused(format!(
                "the server's answer names no photo: {answer}"
            ))),
        }
    }

    /// Sends a request (one that may safely arrive twice) until it is
    /// answered: again after network failures, 5xx and 429, with backoff.
    async fn send_retrying(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Refused> {
        let mut tried = 0;
        loop {
            tried += 1;
            match request().send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) if !retryable(response.status()) => {
                    return Err(Refused(refusal(response).await));
                }
                Ok(_) | Err(_) if tried < TRIES => tokio::time::sleep(backoff(tried)).await,
                Ok(response) => {
                    return Err(Refused(format!(
                        "the server answered {}",
                        response.status()
                    )));
                }
                Err(e) => {
                    return Err(Refused(format!(
                        "could not reach the server: {}",
                        e.without_url()
                    )));
                }
            }
        }
    }

    /// The server's offset for an upload (`HEAD`), if it answers.
    async fn offset(&self, location: &str) -> Option<u64> {
        let response = self
            .request(Method::HEAD, location)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .ok()?;
        header(&response, "upload-offset")?.parse().ok()
    }

    /// What a finished upload became, when its last answer was lost.
    async fn finished(&self, location: &str) -> Result<Uploaded, Refused> {
        let state = self
            .json(Method::GET, location, None)
            .await
            .map_err(|e| Refused(e.to_string()))?;
        match (state["asset_id"].as_str(), state["outcome"].as_str()) {
            (Some(asset_id), Some(outcome)) => Ok(Uploaded {
                asset_id: asset_id.to_string(),
                outcome: outcome.to_string(),
            }),
            _ => Err(Refused(
                "the server took every byte but made no photo of them".into(),
            )),
        }
    }
}

async fn read_chunk(
    file: &mut tokio::fs::File,
    offset: u64,
    size: u64,
) -> Result<Vec<u8>, Refused> {
    let len = (size - offset).min(CHUNK_BYTES) as usize;
    let mut chunk = vec![0; len];
    file.seek(std::io::SeekFrom::Start(offset))
        .await
        .and(Ok(()))
        .map_err(|e| Refused(format!("cannot read it: {e}")))?;
    file.read_exact(&mut chunk)
        .await
        .map_err(|e| Refused(format!("cannot read it (did it change meanwhile?): {e}")))?;
    Ok(chunk)
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    Some(response.headers().get(name)?.to_str().ok()?.to_string())
}

fn retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// The server's own words for a refusal: `{"error":{"message"}}`.
async fn refusal(response: reqwest::Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    match body["error"]["message"].as_str() {
        Some(message) => format!("{message} ({})", status.as_u16()),
        None => format!("the server answered {status}"),
    }
}

/// The wait after failed try number `tried` (from 1): doubling from half a
/// second to 16 s, with jitter.
fn backoff(tried: u32) -> Duration {
    darkroom_workers::jittered_backoff(Duration::from_millis(500), Duration::from_secs(16), tried)
}
