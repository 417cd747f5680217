//! `ETag` / `If-None-Match` on every JSON read: a client polling a listing
//! (a partner's script, the gallery) gets `304 Not Modified`, with no body,
//! while nothing changed.
//!
//! The tag is a hash of the JSON body itself, so it is right by construction
//! for every route without each handler knowing what its answer depends on.
//! It saves the transfer, not the server's work. Routes that set their own
//! validators (originals and renditions, named by content hash) keep them.

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// Bodies larger than this (no JSON page is) pass through untagged.
const MAX_TAGGED_BYTES: u64 = 8 << 20;

pub(crate) async fn json_etags(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.call(req).await?.map_into_boxed_body();
    if !is_read || !taggable(&response) {
        return Ok(response);
    }
    let (req, response) = response.into_parts();
    let (mut response, body) = response.into_parts();
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(e) => return Err(actix_web::error::ErrorInternalServerError(e.to_string())),
    };
    let tag = format!("W/\"{}\"", &blake3::hash(&bytes).to_hex()[..32]);
    let value = HeaderValue::from_str(&tag).expect("invariant: hex is a valid header");
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        // Private data; keep it, but ask each time whether it changed.
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    if if_none_match.is_some_and(|sent| matches(&sent, &tag)) {
        let mut not_modified = HttpResponse::NotModified();
        for name in [header::CACHE_CONTROL, header::VARY] {
            if let Some(v) = response.headers().get(&name) {
                not_modified.insert_header((name, v.clone()));
            }
        }
        not_modified.insert_header((header::ETAG, value));
        return Ok(ServiceResponse::new(req, not_modified.finish()));
    }
    response.headers_mut().insert(header::ETAG, value);
    Ok(ServiceResponse::new(
        req,
        response.set_body(BoxBody::new(bytes)),
    ))
}

/// A 200 JSON answer of known, modest size without a validator of its own,
/// that may be kept at all.
fn taggable(response: &ServiceResponse<BoxBody>) -> bool {
    let headers = response.headers();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let no_store = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    let small =
        matches!(response.response().body().size(), BodySize::Sized(n) if n <= MAX_TAGGED_BYTES);
    response.status() == StatusCode::OK
        && is_json
        && small
        && !no_store
        && !headers.contains_key(header::ETAG)
}

/// True when the request's `If-None-Match` already names `tag`: for the
/// routes that set their own validators (originals, renditions).
pub(crate) fn not_modified(req: &actix_web::HttpRequest, tag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|sent| matches(sent, tag))
}

/// True when an `If-None-Match` list names `tag` or is `*`. The comparison
/// is weak, as RFC 9110 (13.1.2) has it for `If-None-Match`: `W/"x"` and
/// `"x"` name the same thing.
fn matches(sent: &HeaderValue, tag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    sent.to_str().is_ok_and(|list| {
        list.split(',')
            .any(|t| t.trim() == "*" || bare(t) == bare(tag))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly() {
        let tag = "W/\"abc\"";
        for sent in ["W/\"abc\"", "\"abc\"", "\"x\", W/\"abc\"", "*"] {
            assert!(matches(&HeaderValue::from_static(sent), tag), "{sent}");
        }
        assert!(!matches(&HeaderValue::from_static("W/\"abd\""), tag));
    }
}
