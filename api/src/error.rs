//! The one place where errors become HTTP responses.
//!
//! Every error body is `{"error":{"code":"…","message":"…"}}`. Codes are stable
//! strings clients branch on; never rename one. A 5xx body says nothing about
//! internals; the full error goes to the log with the request id.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use darkroom_pipeline::PipelineError;
use darkroom_storage::StorageError;
use darkroom_workers::WorkerError;

/// Declares [`ErrorCode`]: each variant with its string, once.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// The stable `code` of an error body, that clients branch on. Never
        /// rename one; add new ones here.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, for the tests that hold them unique.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as it appears in the body.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    // Who is asking (401, 403).
    /// No or unknown credentials.
    Unauthorized = "unauthorized",
    /// A wrong user name or password.
    InvalidCredentials = "invalid_credentials",
    /// The token lacks a scope.
    Forbidden = "forbidden",
    /// A state-changing request from a session without the CSRF token.
    CsrfFailed = "csrf_failed",
    /// The account is disabled.
    AccountDisabled = "account_disabled",
    /// Only a signed-in session (not a token) may do this.
    SessionRequired = "session_required",
    /// The token is bound to a client certificate this connection lacks.
    CertificateRequired = "certificate_required",
    /// An admin may not disable their own account.
    CannotDisableSelf = "cannot_disable_self",
    /// The caller's role in a shared album does not allow this (a viewer
    /// adding photos, a contributor renaming…).
    RoleNotAllowed = "role_not_allowed",
    // Share links.
    /// The share link was revoked (410).
    ShareRevoked = "share_revoked",
    /// The share link expired (410).
    ShareExpired = "share_expired",
    /// The share link wants its password.
    SharePasswordRequired = "share_password_required",
    /// The link's owner did not allow downloads.
    DownloadNotAllowed = "download_not_allowed",
    /// This original cannot leave through a link without its location.
    OriginalNotShareable = "original_not_shareable",
    // The request (400, 404, 405, 411, 413, 415, 416).
    /// The body is not valid JSON for this route.
    InvalidJson = "invalid_json",
    /// The query string is not valid for this route.
    InvalidQuery = "invalid_query",
    /// A field's value is not valid.
    InvalidField = "invalid_field",
    /// A header's value is not valid.
    InvalidHeader = "invalid_header",
    /// A cursor this list did not give out.
    InvalidCursor = "invalid_cursor",
    /// A date or month that is not one.
    InvalidDate = "invalid_date",
    /// An album filter that is not an album id.
    InvalidAlbum = "invalid_album",
    /// A limit out of range.
    InvalidLimit = "invalid_limit",
    /// An unknown sort.
    InvalidSort = "invalid_sort",
    /// An unknown order.
    InvalidOrder = "invalid_order",
    /// A rating outside 0..5.
    InvalidRating = "invalid_rating",
    /// A range (of dates, sizes) that is not one.
    InvalidRange = "invalid_range",
    /// An unknown format.
    InvalidFormat = "invalid_format",
    /// A password that is not acceptable here.
    InvalidPassword = "invalid_password",
    /// A new password too weak to keep.
    WeakPassword = "weak_password",
    /// Nothing there, or not the caller's.
    NotFound = "not_found",
    /// The path answers other methods (listed in `Allow`).
    MethodNotAllowed = "method_not_allowed",
    /// A name already taken, or a state that forbids it.
    Conflict = "conflict",
    /// A failed job's retry asked of one that has not failed.
    JobNotFailed = "job_not_failed",
    /// Too many webhooks for one account.
    TooManyWebhooks = "too_many_webhooks",
    /// Too many API tokens for one account.
    TooManyTokens = "too_many_tokens",
    /// As many resumable uploads are unfinished as the server keeps per user.
    TooManyUploads = "too_many_uploads",
    /// A resumable upload has as many parts as one keeps.
    TooManyParts = "too_many_parts",
    /// Too many attempts; `Retry-After` says when to try again.
    TooManyRequests = "too_many_requests",
    /// A byte range outside the original (416).
    RangeNotSatisfiable = "range_not_satisfiable",
    // Uploads.
    /// A multipart body that cannot be read.
    InvalidMultipart = "invalid_multipart",
    /// A multipart body without the file's field.
    MissingFile = "missing_file",
    /// An upload of no bytes.
    EmptyFile = "empty_file",
    /// The body is larger than the upload limit (413).
    PayloadTooLarge = "payload_too_large",
    /// A type darkroom does not take (415).
    UnsupportedMediaType = "unsupported_media_type",
    /// Storing this would cross the storage quota (507).
    QuotaExceeded = "quota_exceeded",
    /// The connection ended before the body did.
    UploadInterrupted = "upload_interrupted",
    /// More bytes than the upload announced.
    UploadTooLong = "upload_too_long",
    /// A tus creation without `Upload-Length`.
    LengthRequired = "length_required",
    /// A tus `Upload-Metadata` that cannot be read.
    InvalidUploadMetadata = "invalid_upload_metadata",
    /// A tus request without `Tus-Resumable: 1.0.0` (412).
    TusVersionUnsupported = "tus_version_unsupported",
    /// A tus append without `Upload-Offset`.
    OffsetRequired = "offset_required",
    /// A tus append at an offset the upload is not at (409).
    OffsetMismatch = "offset_mismatch",
    /// An `Upload-Checksum` that cannot be read.
    InvalidChecksum = "invalid_checksum",
    /// A checksum algorithm not offered.
    UnsupportedChecksum = "unsupported_checksum",
    /// The bytes do not match their checksum (tus: 460).
    ChecksumMismatch = "checksum_mismatch",
    // Pictures (422).
    /// The picture is over the pixel or edge limits.
    ImageTooLarge = "image_too_large",
    /// The picture cannot be decoded.
    UnreadableImage = "unreadable_image",
    /// The rendition's job failed for good.
    RenditionFailed = "rendition_failed",
    /// This build does not decode the photo's format.
    RenditionUnsupported = "rendition_unsupported",
    /// This photo cannot be edited.
    EditUnsupported = "edit_unsupported",
    /// A Live Photo's video sent before its still (send the still first).
    LivePhotoWithoutStill = "live_photo_without_still",
    // The server (5xx).
    /// A backend is unreachable: worth retrying (503).
    Unavailable = "unavailable",
    /// The server is doing as much of this as it takes at once (503).
    Busy = "busy",
    /// A bug or an unexpected failure (500).
    Internal = "internal",
}

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No or unknown credentials.
    #[error("sign in, or send a valid API token (Authorization: Bearer <token>)")]
    Unauthorized,
    /// A login with a wrong name or password.
    #[error("the user name or password is wrong")]
    InvalidCredentials,
    /// The token lacks a scope.
    #[error("this token lacks the {0:?} scope")]
    MissingScope(String),
    /// Known caller, but not allowed (CSRF, disabled account, not an admin…).
    #[error("{message}")]
    Denied { code: ErrorCode, message: String },
    /// The resource conflicts with the request (a name taken…).
    #[error("{message}")]
    Conflict { code: ErrorCode, message: String },
    /// It existed, and is gone for good (an expired or revoked share link).
    #[error("{message}")]
    Gone { code: ErrorCode, message: String },
    /// Too many attempts; try again after the wait.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// Storing this would cross the user's storage quota.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Nothing there (or not the caller's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The path exists, with other methods (listed in `Allow`).
    #[error("this path answers {allowed} only")]
    MethodNotAllowed { allowed: String },
    /// The request itself is malformed.
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    /// The body is larger than allowed.
    #[error("the upload exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    /// The file type is not accepted.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Understood, but cannot be done for this resource.
    #[error("{message}")]
    Unprocessable { code: ErrorCode, message: String },
    /// A tus request without `Tus-Resumable: 1.0.0` (412, with `Tus-Version`).
    #[error("{0}")]
    TusVersion(String),
    /// A tus request's bytes do not match its `Upload-Checksum` (460, as tus says).
    #[error("{0}")]
    ChecksumMismatch(String),
    /// A backend (catalog or blob store) is unreachable: worth retrying.
    #[error("storage is unavailable")]
    Unavailable(#[source] StorageError),
    /// As many of these as the server takes at once are under way (503,
    /// `Retry-After`): a refusal by design, not a failure.
    #[error("{0}; try again shortly")]
    Busy(&'static str),
    /// A byte range outside the original, which is this long (416).
    #[error("the original is {len} bytes long")]
    RangeNotSatisfiable { len: u64 },
    /// A bug or an unexpected failure; its cause (with its own causes) goes
    /// to the log, never to the client.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// The stable code in the error body.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    fn error_code(&self) -> ErrorCode {
        match self {
            ApiError::Unauthorized => ErrorCode::Unauthorized,
            ApiError::InvalidCredentials => ErrorCode::InvalidCredentials,
            ApiError::MissingScope(_) => ErrorCode::Forbidden,
            ApiError::Denied { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Gone { code, .. } => *code,
            ApiError::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            ApiError::QuotaExceeded(_) => ErrorCode::QuotaExceeded,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::BadRequest { code, .. } | ApiError::Unprocessable { code, .. } => *code,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            ApiError::TusVersion(_) => ErrorCode::TusVersionUnsupported,
            ApiError::ChecksumMismatch(_) => ErrorCode::ChecksumMismatch,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::Busy(_) => ErrorCode::Busy,
            ApiError::RangeNotSatisfiable { .. } => ErrorCode::RangeNotSatisfiable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// An unexpected failure, keeping `cause` (and its causes) for the log.
    pub(crate) fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(cause.into())
    }

    pub(crate) fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound { what } => ApiError::NotFound(what),
            StorageError::Conflict(message) => ApiError::Conflict {
                code: ErrorCode::Conflict,
                message,
            },
            StorageError::StillMissing(message) => ApiError::Unprocessable {
                code: ErrorCode::LivePhotoWithoutStill,
                message,
            },
            StorageError::NotPermitted(message) => ApiError::Denied {
                code: ErrorCode::RoleNotAllowed,
                message,
            },
            e @ StorageError::QuotaExceeded { .. } => ApiError::QuotaExceeded(format!(
                "{e}; delete photos (and empty the trash) or ask an admin for more space"
            )),
            e if e.is_retryable() => ApiError::Unavailable(e),
            e => ApiError::internal(e),
        }
    }
}

impl From<PipelineError> for ApiError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::UnsupportedType(_) => ApiError::UnsupportedMediaType(e.to_string()),
            PipelineError::LimitExceeded { .. } => ApiError::Unprocessable {
                code: ErrorCode::ImageTooLarge,
                message: e.to_string(),
            },
            e => ApiError::Unprocessable {
                code: ErrorCode::UnreadableImage,
                message: e.to_string(),
            },
        }
    }
}

/// Previews and exports render through the workers' CPU pool.
impl From<WorkerError> for ApiError {
    fn from(e: WorkerError) -> Self {
        match e {
            WorkerError::Pipeline(e) => e.into(),
            WorkerError::Storage(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

/// An error and its causes, outermost first: "a: b: c".
pub(crate) fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// tus's status for "Checksum Mismatch": not in the HTTP registry.
fn checksum_mismatch() -> StatusCode {
    StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::MissingScope(_) | ApiError::Denied { .. } => StatusCode::FORBIDDEN,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            // 507, not 413: 413 already means "this one file is over the size
            // limit"; clients can tell the two apart by status alone.
            ApiError::QuotaExceeded(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TusVersion(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::ChecksumMismatch(_) => checksum_mismatch(),
            ApiError::Unavailable(_) | ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let ApiError::Busy(what) = self {
            tracing::warn!(what, "refused: busy");
        } else if status.is_server_error() {
            tracing::error!(error = %causes(self), code = self.code(), "request failed");
        }
        let message = match self {
            ApiError::Unavailable(_) => "storage is unavailable; try again shortly".to_string(),
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(status);
        match self {
            ApiError::Unauthorized => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::Unavailable(_) | ApiError::Busy(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::MethodNotAllowed { allowed } => {
                response.insert_header((header::ALLOW, allowed.clone()));
            }
            ApiError::TusVersion(_) => {
                response.insert_header(("Tus-Version", crate::tus_headers::VERSION));
            }
            ApiError::RangeNotSatisfiable { len } => {
                response.insert_header((header::CONTENT_RANGE, format!("bytes */{len}")));
            }
            _ => {}
        }
        response.json(crate::openapi::ErrorBody::new(self.code(), message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_unique_snake_case_names() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
    }

    #[test]
    fn internal_errors_log_their_causes() {
        let io = std::io::Error::other("disk on fire");
        let error = ApiError::internal(StorageError::from(io));
        assert_eq!(error.to_string(), "internal error");
        let logged = causes(&error);
        assert!(logged.contains("disk on fire"), "{logged}");
    }
}
