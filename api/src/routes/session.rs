//! Web sign-in: `POST /api/v1/auth/login` opens a session (an HttpOnly,
//! SameSite=Lax cookie, Secure over HTTPS) and returns the CSRF token that
//! state-changing requests must echo; logout ends it; "log out everywhere"
//! ends all of the user's sessions.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_storage::catalog::NewSession;
use serde::Deserialize;
use serde_json::json;

use crate::ApiError;
use crate::auth::{Authenticated, SESSION_COOKIE, password};
use crate::dto::{UserDto, rfc3339};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

pub(crate) async fn login(
    req: HttpRequest,
    body: web::Json<LoginBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let address = req.peer_addr().map(|a| a.ip());
    state.login_limiter.check(&body.username, address)?;
    let user = state
        .catalog
        .find_user_by_name(body.username.trim())
        .await?;
    let stored = match &user {
        Some(user) => state.catalog.password_hash(&user.id).await?,
        None => None,
    };
    let matches = password::matches(&body.password, stored).await?;
    let Some(user) = user.filter(|_| matches) else {
        tracing::info!(username = %body.username, "failed login");
        return Err(ApiError::InvalidCredentials);
    };
    if user.disabled_at.is_some() {
        return Err(ApiError::Denied {
            code: "account_disabled",
            message: "this account is disabled; ask an administrator".into(),
        });
    }
    let opened = state
        .catalog
        .open_session(&NewSession {
            user: user.id,
            idle_lifetime_ms: state.config.session_idle_ms(),
            user_agent: req
                .headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(300).collect()),
        })
        .await?;
    let cookie = Cookie::build(SESSION_COOKIE, opened.secret)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_https(&req, &state))
        .max_age(CookieDuration::milliseconds(state.config.session_idle_ms()))
        .finish();
    Ok(HttpResponse::Ok().cookie(cookie).json(json!({
        "user": UserDto::new(&user),
        "csrf_token": opened.csrf_token,
        "expires_at": rfc3339(opened.expires_at),
    })))
}

/// True when the client reached us over HTTPS (directly or, as the proxy's
/// `Forwarded`/`X-Forwarded-Proto` says, through a TLS-terminating proxy).
pub(crate) fn is_https(req: &HttpRequest, state: &AppState) -> bool {
    state.config.force_secure_cookies || req.connection_info().scheme() == "https"
}

/// A cookie that deletes the session cookie in the browser.
fn expired_cookie(req: &HttpRequest, state: &AppState) -> Cookie<'static> {
    let mut cookie = Cookie::build(SESSION_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_https(req, state))
        .finish();
    cookie.make_removal();
    cookie
}

/// `GET /api/v1/auth/session`: who is signed in, and the CSRF token again
/// (for a page reloaded in a browser).
pub(crate) async fn session(auth: Authenticated) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(json!({
        "user": UserDto::new(&auth.principal.user),
        "csrf_token": auth.session.as_ref().map(|s| &s.csrf_token),
        "scopes": auth.principal.scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    })))
}

pub(crate) async fn logout(
    req: HttpRequest,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Some(session) = &auth.session {
        state.catalog.close_session(&session.secret).await?;
    }
    Ok(HttpResponse::NoContent()
        .cookie(expired_cookie(&req, &state))
        .finish())
}

/// Ends every session of the user (API tokens are revoked separately).
pub(crate) async fn logout_everywhere(
    req: HttpRequest,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let closed = state.catalog.close_all_sessions(auth.user()).await?;
    Ok(HttpResponse::Ok()
        .cookie(expired_cookie(&req, &state))
        .json(json!({ "sessions_ended": closed })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordBody {
    current_password: Option<String>,
    new_password: String,
}

/// `PUT /api/v1/me/password`: from a web session only (a leaked app token
/// must not take the account over), with the current password when one is
/// set. The user's other sessions end; this one stays.
pub(crate) async fn change_password(
    body: web::Json<PasswordBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(this_session) = auth.session.as_ref().map(|s| s.secret.as_str()) else {
        return Err(ApiError::Denied {
            code: "session_required",
            message: "passwords are changed from a signed-in web session, not with an API token"
                .into(),
        });
    };
    password::check_policy(&body.new_password)?;
    let user = auth.principal.user.clone();
    if let Some(stored) = state.catalog.password_hash(&user.id).await? {
        let current = body.current_password.as_deref().unwrap_or_default();
        if !password::matches(current, Some(stored)).await? {
            return Err(ApiError::InvalidCredentials);
        }
    }
    let hash = password::hash_new(&body.new_password).await?;
    state.catalog.set_password_hash(&user.id, &hash).await?;
    state
        .catalog
        .close_other_sessions(&user.id, this_session)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/me`.
pub(crate) async fn me(auth: Authenticated) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(UserDto::new(&auth.principal.user)))
}
