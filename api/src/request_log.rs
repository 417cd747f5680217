//! What a request leaves in the log: its span (request id, route, the user
//! once known) and one access line. Share-link tokens are cut out of every
//! path: a token in a log is a key to someone's album, readable by whoever
//! reads the logs.

use std::borrow::Cow;

use actix_web::Error;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// What stands in a logged path where a share token was.
pub(crate) const REDACTED: &str = "[token]";

/// The path prefixes followed by a share token.
const TOKEN_PREFIXES: [&str; 2] = ["/s/", "/api/v1/shared/"];

/// `path` (with its query, if any) with a share token replaced by
/// [`REDACTED`].
pub(crate) fn redacted(path: &str) -> Cow<'_, str> {
    for prefix in TOKEN_PREFIXES {
        if let Some(rest) = path.strip_prefix(prefix) {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            return Cow::Owned(format!("{prefix}{REDACTED}{}", &rest[end..]));
        }
    }
    Cow::Borrowed(path)
}

/// tracing-actix-web's root span with the same fields, but the target
/// redacted, and a `user_id` that authentication fills in.
pub(crate) struct RedactingRootSpan;

impl RootSpanBuilder for RedactingRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let target = request
            .uri()
            .path_and_query()
            .map_or("", |p| p.as_str())
            .to_string();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "default".to_string());
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %redacted(&target),
            http.status_code = tracing::field::Empty,
            request_id = %request_id,
            user_id = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_tokens_are_cut_out_of_paths() {
        let token = "Zm9vYmFyYmF6cXV4cXV1eA";
        for (path, logged) in [
            (format!("/s/{token}"), "/s/[token]".to_string()),
            (format!("/s/{token}?x=1"), "/s/[token]?x=1".to_string()),
            (
                format!("/api/v1/shared/{token}/assets/abc/original"),
                "/api/v1/shared/[token]/assets/abc/original".to_string(),
            ),
            (
                "/api/v1/assets/abc".to_string(),
                "/api/v1/assets/abc".to_string(),
            ),
            ("/healthz".to_string(), "/healthz".to_string()),
        ] {
            assert_eq!(redacted(&path), logged);
        }
    }
}
