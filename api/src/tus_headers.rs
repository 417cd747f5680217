//! The tus 1.0.0 resumable upload protocol's headers: versions, metadata,
//! offsets, checksums and expiry dates. The routes are in `routes/resumable_uploads.rs`;
//! <https://tus.io/protocols/resumable-upload> is the specification.

use crate::ErrorCode;
use actix_web::HttpRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::Digest;

use crate::ApiError;

/// The one protocol version spoken.
pub(crate) const VERSION: &str = "1.0.0";
/// Extensions implemented (the `Tus-Extension` header).
pub(crate) const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
/// Checksum algorithms accepted in `Upload-Checksum`.
pub(crate) const CHECKSUM_ALGORITHMS: &str = "blake3,sha1,sha256";
/// The content type of a request body that carries upload bytes.
pub(crate) const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// Longest `Upload-Metadata` header kept.
const MAX_METADATA_BYTES: usize = 4096;

/// Refuses a request that does not speak tus 1.0.0 (412, as the protocol says).
pub(crate) fn check_version(req: &HttpRequest) -> Result<(), ApiError> {
    match req.headers().get("tus-resumable").map(|v| v.to_str()) {
        Some(Ok(VERSION)) => Ok(()),
        Some(_) => Err(ApiError::TusVersion(format!(
            "this server speaks tus {VERSION} only (Tus-Version)"
        ))),
        None => Err(ApiError::TusVersion(format!(
            "send Tus-Resumable: {VERSION} with every tus request"
        ))),
    }
}

/// A header holding a non-negative integer (`Upload-Length`, `Upload-Offset`).
pub(crate) fn number_header(
    req: &HttpRequest,
    name: &'static str,
) -> Result<Option<u64>, ApiError> {
    let Some(value) = req.headers().get(name) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidHeader,
                format!("{name} must be a non-negative integer"),
            )
        })
}

/// True when the body is upload bytes (`Content-Type: application/offset+octet-stream`).
pub(crate) fn carries_bytes(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM))
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs, value optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct UploadMetadata {
    pairs: Vec<(String, Option<String>)>,
}

impl UploadMetadata {
    /// Parses the header; malformed metadata is a 400 naming the pair.
    pub(crate) fn parse(header: &str) -> Result<Self, ApiError> {
        if header.len() > MAX_METADATA_BYTES {
            return Err(invalid_metadata(format!(
                "Upload-Metadata is longer than {MAX_METADATA_BYTES} bytes"
            )));
        }
        let mut pairs = Vec::new();
        for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut parts = pair.split(' ').filter(|p| !p.is_empty());
            let key = parts.next().unwrap_or_default();
            let value = parts.next();
            if parts.next().is_some() || key.is_empty() || !key.is_ascii() {
                return Err(invalid_metadata(format!(
                    "{pair:?} is not `key base64value`"
                )));
            }
            let value = match value {
                None => None,
                Some(encoded) => {
                    let bytes = BASE64.decode(encoded).map_err(|_| {
                        invalid_metadata(format!("the value of {key:?} is not base64"))
                    })?;
                    Some(String::from_utf8(bytes).map_err(|_| {
                        invalid_metadata(format!("the value of {key:?} is not UTF-8 text"))
                    })?)
                }
            };
            if pairs.iter().any(|(k, _)| k == key) {
                return Err(invalid_metadata(format!("{key:?} appears twice")));
            }
            pairs.push((key.to_string(), value));
        }
        Ok(UploadMetadata { pairs })
    }

    /// The first of `keys` present with a value.
    pub(crate) fn get(&self, keys: &[&str]) -> Option<&str> {
        keys.iter().find_map(|key| {
            self.pairs
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.as_deref())
        })
    }
}

fn invalid_metadata(message: String) -> ApiError {
    ApiError::bad_request(ErrorCode::InvalidUploadMetadata, message)
}

/// The digest an `Upload-Checksum` header asks for, fed as the bytes arrive.
pub(crate) struct ChunkChecksum {
    algorithm: &'static str,
    expected: Vec<u8>,
    digest: Digester,
}

enum Digester {
    Blake3(Box<blake3::Hasher>),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl ChunkChecksum {
    /// Parses `Upload-Checksum: <algorithm> <base64 digest>`, if sent.
    pub(crate) fn from_request(req: &HttpRequest) -> Result<Option<Self>, ApiError> {
        let Some(value) = req.headers().get("upload-checksum") else {
            return Ok(None);
        };
        Self::parse(value.to_str().unwrap_or_default()).map(Some)
    }

    /// Parses the value of an `Upload-Checksum` header.
    pub(crate) fn parse(text: &str) -> Result<Self, ApiError> {
        let text = text.trim();
        let (name, encoded) = text.split_once(' ').unwrap_or((text, ""));
        let (algorithm, digest, digest_len) = match name.to_ascii_lowercase().as_str() {
            "blake3" => ("blake3", Digester::Blake3(Box::default()), 32),
            "sha1" => ("sha1", Digester::Sha1(sha1::Sha1::new()), 20),
            "sha256" => ("sha256", Digester::Sha256(sha2::Sha256::new()), 32),
            _ => {
                return Err(ApiError::bad_request(
                    ErrorCode::UnsupportedChecksum,
                    format!(
                        "Upload-Checksum must name one of {CHECKSUM_ALGORITHMS}, then the base64 digest"
                    ),
                ));
            }
        };
        let expected = BASE64
            .decode(encoded.trim())
            .ok()
            .filter(|d| d.len() == digest_len)
            .ok_or_else(|| {
                ApiError::bad_request(
                    ErrorCode::InvalidChecksum,
                    format!("the {algorithm} digest in Upload-Checksum must be {digest_len} bytes in base64"),
                )
            })?;
        Ok(ChunkChecksum {
            algorithm,
            expected,
            digest,
        })
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match &mut self.digest {
            Digester::Blake3(h) => {
                h.update(bytes);
            }
            Digester::Sha1(h) => h.update(bytes),
            Digester::Sha256(h) => h.update(bytes),
        }
    }

    /// Checks the request's bytes against the digest sent (460 if they differ).
    pub(crate) fn verify(self) -> Result<(), ApiError> {
        let actual: Vec<u8> = match self.digest {
            Digester::Blake3(h) => h.finalize().as_bytes().to_vec(),
            Digester::Sha1(h) => h.finalize().to_vec(),
            Digester::Sha256(h) => h.finalize().to_vec(),
        };
        if actual == self.expected {
            Ok(())
        } else {
            Err(ApiError::ChecksumMismatch(format!(
                "the request's bytes have {} {}, not {} as Upload-Checksum says; they were not kept",
                self.algorithm,
                BASE64.encode(&actual),
                BASE64.encode(&self.expected)
            )))
        }
    }
}

/// An `Upload-Expires` value: an HTTP date.
pub(crate) fn http_date(ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    httpdate::fmt_http_date(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn metadata_pairs_decode() {
        let meta =
            UploadMetadata::parse("filename aW1nLmpwZw==, is_confidential,device_asset_id YWJj")
                .unwrap();
        assert_eq!(meta.get(&["filename"]), Some("img.jpg"));
        assert_eq!(meta.get(&["name", "device_asset_id"]), Some("abc"));
        assert_eq!(meta.get(&["is_confidential"]), None);
        assert_eq!(
            UploadMetadata::parse("").unwrap(),
            UploadMetadata::default()
        );
    }

    #[test]
    fn bad_metadata_is_refused_with_the_reason() {
        for (header, says) in [
            ("filename !!!", "not base64"),
            ("filename a b", "not `key base64value`"),
            ("a YQ==,a YQ==", "twice"),
            ("filename /w==", "not UTF-8"),
        ] {
            let e = UploadMetadata::parse(header).unwrap_err();
            assert!(e.to_string().contains(says), "{header}: {e}");
        }
    }

    #[test]
    fn checksums_verify_and_refuse() {
        let body = b"hello tus";
        let sha1 = BASE64.encode(sha1::Sha1::digest(body));
        let blake3 = BASE64.encode(blake3::hash(body).as_bytes());
        for header in [format!("sha1 {sha1}"), format!("blake3 {blake3}")] {
            let req = TestRequest::default()
                .insert_header(("Upload-Checksum", header.as_str()))
                .to_http_request();
            let mut good = ChunkChecksum::from_request(&req).unwrap().unwrap();
            good.update(&body[..4]);
            good.update(&body[4..]);
            good.verify().unwrap();
            let mut bad = ChunkChecksum::from_request(&req).unwrap().unwrap();
            bad.update(b"hello tuz");
            assert_eq!(bad.verify().unwrap_err().code(), "checksum_mismatch");
        }
        let md5 = TestRequest::default()
            .insert_header(("Upload-Checksum", "md5 XrY7u+Ae7tCTyyK7j1rNww=="))
            .to_http_request();
        assert_eq!(
            ChunkChecksum::from_request(&md5).err().unwrap().code(),
            "unsupported_checksum"
        );
    }

    #[test]
    fn expiry_is_an_http_date() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
