use std::net::SocketAddr;
use std::time::Duration;

use darkroom_pipeline::{Limits, RenditionSpec};
use darkroom_workers::WebhookTargets;

pub use crate::auth::rate_limit::{LoginLimits, RequestLimits};
pub use crate::client_address::TrustedProxies;
pub use crate::tls::TlsFiles;

/// How the HTTP API behaves.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// HTTPS, and mutual TLS with a client CA; `None`: plain HTTP (behind a
    /// proxy that terminates TLS, or on a laptop).
    pub tls: Option<TlsFiles>,
    /// Upload and decode limits.
    pub limits: Limits,
    /// Renditions clients may ask for by name (the workers render these).
    pub renditions: Vec<RenditionSpec>,
    /// Attempts a render job gets before it is marked failed.
    pub job_attempts: u32,
    /// HTTP worker threads (default: one per core).
    pub http_workers: Option<usize>,
    /// A web session ends after this long without a request.
    pub session_idle: Duration,
    /// Login attempts allowed per minute.
    pub login_limits: LoginLimits,
    /// API requests allowed per account; `None`: unlimited.
    pub request_limits: Option<RequestLimits>,
    /// Share-link requests (`/api/v1/shared/…`) allowed per client address,
    /// signed in or not; `None`: unlimited.
    pub share_limits: Option<RequestLimits>,
    /// Shared originals sent at once (each holds a blob stream and a
    /// little memory until its client has it); more are refused with 503.
    pub shared_originals_at_once: usize,
    /// How long a trashed asset can be restored (shown to clients; the
    /// collector purges after it).
    pub trash_retention: Duration,
    /// A resumable upload that sees no request for this long expires, and
    /// its partial bytes are removed.
    pub upload_expiry: Duration,
    /// However busy, a resumable upload expires this long after it began.
    pub upload_lifetime: Duration,
    /// Resumable uploads a user may have unfinished at once.
    pub max_open_uploads: u32,
    /// Parts (PATCH requests that brought bytes) one resumable upload keeps.
    pub max_upload_parts: u64,
    /// The operator's reverse proxies, whose `X-Forwarded-For` names the
    /// client that rate limits count (by default none: the peer counts).
    pub trusted_proxies: TrustedProxies,
    /// Mark cookies `Secure` even when the request did not come over HTTPS
    /// (behind a proxy that does not send X-Forwarded-Proto).
    pub force_secure_cookies: bool,
    /// Once told to stop, how long in-flight requests get to finish.
    pub stop_timeout: Duration,
    /// Where webhooks may be sent: refused at creation when not allowed.
    pub webhook_targets: WebhookTargets,
    /// A request body that brings no byte for this long fails (see
    /// `slow_clients.rs`).
    pub body_stall: Duration,
    /// A client has this long to send a request's headers, or it gets 408
    /// and the connection closes (a slow-headers attack holds nothing long).
    pub header_timeout: Duration,
    /// An idle kept-alive connection is closed after this long.
    pub keep_alive: Duration,
    /// Connections one HTTP worker serves at once; past it, new ones wait
    /// in the listen backlog.
    pub max_connections_per_worker: usize,
}

impl ApiConfig {
    pub(crate) fn session_idle_ms(&self) -> i64 {
        self.session_idle.as_millis().min(i64::MAX as u128) as i64
    }

    /// When an upload begun at `created_at` (ms) and touched now expires,
    /// in ms since the epoch: a while after now, but never past its lifetime.
    pub(crate) fn upload_expires_at(&self, created_at: i64) -> i64 {
        let ms = |d: Duration| d.as_millis().min(i64::MAX as u128 / 4) as i64;
        (darkroom_storage::now_ms() + ms(self.upload_expiry))
            .min(created_at + ms(self.upload_lifetime))
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls: None,
            limits: Limits::default(),
            renditions: RenditionSpec::defaults(),
            job_attempts: 5,
            http_workers: None,
            session_idle: Duration::from_secs(30 * 24 * 3600),
            login_limits: LoginLimits::default(),
            request_limits: Some(RequestLimits::default()),
            // An album opened through a link loads its thumbnails at once:
            // generous bursts, but not a crawler's pace.
            share_limits: Some(RequestLimits {
                per_minute: 1_200,
                burst: 300,
            }),
            shared_originals_at_once: 16,
            trash_retention: Duration::from_secs(30 * 24 * 3600),
            upload_expiry: Duration::from_secs(24 * 3600),
            upload_lifetime: Duration::from_secs(7 * 24 * 3600),
            // Apps send a few files at once; a phone catching up on a backlog
            // queues more, but need not open them all.
            max_open_uploads: 50,
            // S3's own limit on a multipart upload's parts.
            max_upload_parts: 10_000,
            trusted_proxies: TrustedProxies::default(),
            force_secure_cookies: false,
            stop_timeout: Duration::from_secs(30),
            webhook_targets: WebhookTargets::default(),
            body_stall: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(30),
            max_connections_per_worker: 5_000,
        }
    }
}
