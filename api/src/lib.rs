//! darkroom-api: the HTTP face of darkroom.
//!
//! Routes live in `routes/` (one resource per file); the streaming upload path
//! in `ingest` (and, resumable, `tus`); authentication in `auth`; and `error` is the one place where
//! errors of every crate become HTTP statuses and `{"error":{"code","message"}}`
//! bodies. This crate owns no storage and renders no pixels: it calls
//! darkroom-storage, darkroom-pipeline (probe, limits, specs) and
//! darkroom-workers (to enqueue and wake workers).

mod auth;
mod client_address;
mod config;
mod dto;
mod error;
mod etag;
mod immich;
mod ingest;
mod metering;
mod openapi;
pub mod places;
mod prometheus;
mod range;
mod request_log;
mod routes;
mod shared_originals;
mod slow_clients;
mod startup;
mod state;
mod streams;
mod tls;
mod tus_headers;
mod usage_csv;
mod web_app;
mod zip_stream;

pub use auth::check_user_name;
pub use auth::password::{
    check_policy as check_password_policy, generate as generate_password, hash as hash_password,
};
pub use config::{ApiConfig, LoginLimits, RequestLimits, TlsFiles, TrustedProxies};
pub use error::{ApiError, ErrorCode};
pub use prometheus::Telemetry;
pub use startup::{Application, ServerStopper, Services, serve_metrics};
pub use state::DrainSwitch;
pub use tls::TlsError;
pub use usage_csv::usage_csv;

/// Entry points for the fuzz targets in `api/fuzz`: the parsers of what
/// anyone can put in a request header, given arbitrary text. Not an API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::range::{RangeRequest, parse_range};
    use crate::tus_headers::{ChunkChecksum, UploadMetadata};

    /// `Range` against a body of `len` bytes: a range it grants lies inside.
    pub fn range(header: &str, len: u64) {
        if let RangeRequest::Partial(range) = parse_range(Some(header), len) {
            assert!(
                range.start < range.end && range.end <= len,
                "{range:?} of {len}"
            );
        }
    }

    /// tus `Upload-Metadata`.
    pub fn upload_metadata(header: &str) {
        if let Ok(metadata) = UploadMetadata::parse(header) {
            let _ = metadata.get(&["filename", "name", "blake3"]);
        }
    }

    /// tus `Upload-Checksum`, then a digest checked against it.
    pub fn upload_checksum(header: &str, body: &[u8]) {
        if let Ok(mut checksum) = ChunkChecksum::parse(header) {
            checksum.update(body);
            let _ = checksum.verify();
        }
    }

    /// `X-Forwarded-For` behind a trusted proxy network.
    pub fn forwarded_for(trusted: &str, header: &str) {
        if let Ok(proxies) = crate::client_address::TrustedProxies::parse(trusted) {
            let _ = proxies.client_behind(std::net::IpAddr::from([127, 0, 0, 1]), header);
        }
    }
}
