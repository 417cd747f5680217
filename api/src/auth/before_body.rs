//! Callers are known before their request bodies are read.
//!
//! A handler's extractors run together, so a JSON body could be read (up to
//! its limit) while the caller's token is still being looked up. This
//! middleware resolves the caller first for every `/api` request that
//! carries a body, except the two that are meant for strangers (signing in,
//! unlocking a share link): an unknown caller gets its `401` without a byte
//! of the body read. The handler's [`Authenticated`] then reuses the answer
//! (the request is counted once against the account's limit).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};

use super::Authenticated;

pub(crate) async fn authenticate_before_body(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if carries_body(&req) && needs_an_account(req.path()) {
        match Authenticated::resolve(req.request()).await {
            Ok(authenticated) => {
                req.extensions_mut().insert(authenticated);
            }
            Err(e) => {
                let response = e.error_response();
                return Ok(req.into_response(response).map_into_right_body());
            }
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn carries_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|len| len > 0)
}

/// Every `/api/v1` route with a body needs an account, but these; and
/// every route under `/api` (Immich's).
fn needs_an_account(path: &str) -> bool {
    let Some(route) = path.strip_prefix("/api/v1/") else {
        return path.starts_with("/api/");
    };
    let for_strangers =
        route == "auth/login" || (route.starts_with("shared/") && route.ends_with("/unlock"));
    !for_strangers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_signing_in_and_unlocking_take_bodies_from_strangers() {
        assert!(!needs_an_account("/api/v1/auth/login"));
        assert!(!needs_an_account("/api/v1/shared/abc/unlock"));
        assert!(!needs_an_account("/healthz"));
        assert!(needs_an_account("/api/v1/assets"));
        assert!(needs_an_account("/api/v1/uploads/x"));
        assert!(needs_an_account("/api/v1/shares"));
        assert!(needs_an_account("/api/assets"));
        assert!(needs_an_account("/api/albums/x/assets"));
    }
}
