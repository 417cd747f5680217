//! Who is calling: an API token (`Authorization: Bearer …`, or `X-Api-Key`
//! as Immich clients send) or a web session cookie. Every `/api/v1` route
//! that needs an account takes an [`Authenticated`].
//!
//! Cookie-authenticated requests that change state must echo the session's
//! CSRF token in `X-CSRF-Token`: a cross-site form can send the cookie (were
//! SameSite ever bypassed) but cannot read the token. Token-authenticated
//! requests need no CSRF token: browsers never attach them on their own.

pub(crate) mod before_body;
pub(crate) mod password;
pub(crate) mod rate_limit;

use crate::ErrorCode;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use darkroom_storage::catalog::{Principal, Scope};

use crate::ApiError;
use crate::state::AppState;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "drk_session";
/// The header that carries the CSRF token.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The caller, resolved from a token or a session.
pub(crate) struct Authenticated {
    pub principal: Principal,
    /// The session cookie's secret, when the caller came with one.
    pub session: Option<WebSession>,
}

/// The web session a caller came with.
pub(crate) struct WebSession {
    /// The cookie's secret.
    pub secret: String,
    /// The token its state-changing requests must echo.
    pub csrf_token: String,
}

impl Authenticated {
    /// Refuses the request unless the credentials carry `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.principal.has(scope) {
            Ok(())
        } else {
            Err(ApiError::MissingScope(scope.to_string()))
        }
    }

    /// Refuses the request unless the caller is an administrator acting
    /// with the admin scope.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(Scope::Admin)
    }

    /// The caller's user id.
    pub fn user(&self) -> &darkroom_storage::UserId {
        &self.principal.user.id
    }
}

fn presented_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    req.headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

/// Methods that change state and so need the CSRF token with a cookie.
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Resolved already, before the body was read (see before_body.rs).
        if let Some(authenticated) = req.extensions_mut().remove::<Authenticated>() {
            return Box::pin(std::future::ready(Ok(authenticated)));
        }
        Authenticated::resolve(req)
    }
}

impl Authenticated {
    /// Looks the caller up (a token, or a session and its CSRF token) and
    /// counts the request against the account's limit.
    fn resolve(req: &HttpRequest) -> Pin<Box<dyn Future<Output = Result<Self, ApiError>>>> {
        let token = presented_token(req);
        let client_certificate = req
            .conn_data::<crate::tls::ClientCertificate>()
            .map(|c| c.sha256.clone());
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let csrf = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let needs_csrf = changes_state(req.method());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("no app state"))?;
            let authenticated = if let Some(token) = token {
                let principal = state
                    .catalog
                    .authenticate(&token)
                    .await?
                    .ok_or(ApiError::Unauthorized)?;
                if let Some(bound) = &principal.certificate_sha256
                    && client_certificate.as_ref() != Some(bound)
                {
                    return Err(ApiError::Denied {
                        code: ErrorCode::CertificateRequired,
                        message: "this token works only over a mutual-TLS connection that \
                                  presents the client certificate it is bound to"
                            .into(),
                    });
                }
                Authenticated {
                    principal,
                    session: None,
                }
            } else if let Some(secret) = cookie {
                let session = state
                    .catalog
                    .resume_session(&secret, state.config.session_idle_ms())
                    .await?
                    .ok_or(ApiError::Unauthorized)?;
                if needs_csrf && !csrf.is_some_and(|c| constant_time_eq(&c, &session.csrf_token)) {
                    return Err(ApiError::Denied {
                        code: ErrorCode::CsrfFailed,
                        message: "this request needs the session's CSRF token in X-CSRF-Token \
                                  (from the login response or GET /api/v1/auth/session)"
                            .into(),
                    });
                }
                Authenticated {
                    principal: Principal::for_session(session.user),
                    session: Some(WebSession {
                        secret,
                        csrf_token: session.csrf_token,
                    }),
                }
            } else {
                return Err(ApiError::Unauthorized);
            };
            tracing::Span::current().record(
                "user_id",
                tracing::field::display(&authenticated.principal.user.id),
            );
            // Per account, all its tokens and sessions together: minting
            // another token buys no more requests.
            if let Some(limiter) = &state.request_limiter {
                limiter.check(&authenticated.principal.user.id.to_string())?;
            }
            Ok(authenticated)
        })
    }
}

/// Account names: what people type at sign-in, so kept plain.
pub fn check_user_name(name: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(crate::routes::invalid_field(
            "name",
            "1 to 64 letters, digits, '.', '_', '-' or '@'".into(),
        ))
    }
}

/// Compares secrets without an early exit that would leak their prefix.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_compare_exactly() {
        assert!(super::constant_time_eq("abc", "abc"));
        assert!(!super::constant_time_eq("abc", "abd"));
        assert!(!super::constant_time_eq("abc", "abcd"));
    }
}
