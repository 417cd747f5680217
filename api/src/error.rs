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
    Denied { code: &'static str, message: String },
    /// The resource conflicts with the request (a name taken…).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// It existed, and is gone for good (an expired or revoked share link).
    #[error("{message}")]
    Gone { code: &'static str, message: String },
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
    BadRequest { code: &'static str, message: String },
    /// The body is larger than allowed.
    #[error("the upload exceeds the limit of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    /// The file type is not accepted.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Understood, but cannot be done for this resource.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    /// A tus request without `Tus-Resumable: 1.0.0` (412, with `Tus-Version`).
    #[error("{0}")]
    TusVersion(String),
    /// A tus request's bytes do not match its `Upload-Checksum` (460, as tus says).
    #[error("{0}")]
    ChecksumMismatch(String),
    /// A backend (catalog or blob store) is unreachable: worth retrying.
    #[error("storage is unavailable")]
    Unavailable(#[source] StorageError),
    /// A bug or an unexpected failure.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The stable code in the error body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::MissingScope(_) => "forbidden",
            ApiError::Denied { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Gone { code, .. } => code,
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::QuotaExceeded(_) => "quota_exceeded",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::BadRequest { code, .. } | ApiError::Unprocessable { code, .. } => code,
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TusVersion(_) => "tus_version_unsupported",
            ApiError::ChecksumMismatch(_) => "checksum_mismatch",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
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
                code: "conflict",
                message,
            },
            e @ StorageError::QuotaExceeded { .. } => ApiError::QuotaExceeded(format!(
                "{e}; delete photos (and empty the trash) or ask an admin for more space"
            )),
            e if e.is_retryable() => ApiError::Unavailable(e),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<PipelineError> for ApiError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::UnsupportedType(_) => ApiError::UnsupportedMediaType(e.to_string()),
            PipelineError::LimitExceeded { .. } => ApiError::Unprocessable {
                code: "image_too_large",
                message: e.to_string(),
            },
            e => ApiError::Unprocessable {
                code: "unreadable_image",
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
            other => ApiError::Internal(other.to_string()),
        }
    }
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
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = ?self, code = self.code(), "request failed");
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
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::MethodNotAllowed { allowed } => {
                response.insert_header((header::ALLOW, allowed.clone()));
            }
            ApiError::TusVersion(_) => {
                response.insert_header(("Tus-Version", crate::tus::VERSION));
            }
            _ => {}
        }
        response.json(crate::openapi::ErrorBody::new(self.code(), message))
    }
}
