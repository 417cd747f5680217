//! Web sign-in: `POST /api/v1/auth/login` opens a session (an HttpOnly,
//! SameSite=Lax cookie, Secure over HTTPS) and returns the CSRF token that
//! state-changing requests must echo; logout ends it; "log out everywhere"
//! ends all of the user's sessions.

use crate::ErrorCode;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, web};
use darkroom_storage::catalog::NewSession;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiError;
use crate::auth::{Authenticated, SESSION_COOKIE, password};
use crate::dto::{UserDto, rfc3339};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub(crate) struct LoginDto {
    user: UserDto,
    /// Send as `X-CSRF-Token` with every state-changing request.
    csrf_token: String,
    /// RFC 3339; renewed by use.
    expires_at: String,
}

/// Who is signed in.
#[derive(Serialize, ToSchema)]
pub(crate) struct SessionDto {
    user: UserDto,
    /// With a web session; `null` with an API token.
    csrf_token: Option<String>,
    /// What the credential may do: `read`, `upload`, `edit`, `admin`.
    scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SessionsEndedDto {
    sessions_ended: u64,
}

/// Signs in with a user name and password: sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", security(()),
    request_body = LoginBody,
    responses((status = 200, description = "Signed in; the cookie is set", body = LoginDto)))]
pub(crate) async fn login(
    req: HttpRequest,
    body: web::Json<LoginBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let address = state.config.trusted_proxies.client_of(&req);
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
    let known_account = user.is_some();
    let Some(user) = user.filter(|_| matches) else {
        // Not the name typed: people type passwords into the name field.
        tracing::info!(known_account, "failed login");
        return Err(ApiError::InvalidCredentials);
    };
    if user.disabled_at.is_some() {
        return Err(ApiError::Denied {
            code: ErrorCode::AccountDisabled,
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
    Ok(HttpResponse::Ok().cookie(cookie).json(LoginDto {
        user: UserDto::new(&user),
        csrf_token: opened.csrf_token,
        expires_at: rfc3339(opened.expires_at),
    }))
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

/// Who is signed in, and the CSRF token again (for a page reloaded in a
/// browser).
#[utoipa::path(get, path = "/api/v1/auth/session", tag = "accounts",
    responses((status = 200, description = "The signed-in user", body = SessionDto)))]
pub(crate) async fn session(auth: Authenticated) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(SessionDto {
        user: UserDto::new(&auth.principal.user),
        csrf_token: auth.session.as_ref().map(|s| s.csrf_token.clone()),
        scopes: auth
            .principal
            .scopes
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }))
}

/// Ends this web session (clears the cookie).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts",
    responses((status = 204, description = "Signed out")))]
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
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "accounts",
    responses((status = 200, description = "How many sessions ended", body = SessionsEndedDto)))]
pub(crate) async fn logout_everywhere(
    req: HttpRequest,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let closed = state.catalog.close_all_sessions(auth.user()).await?;
    Ok(HttpResponse::Ok()
        .cookie(expired_cookie(&req, &state))
        .json(SessionsEndedDto {
            sessions_ended: closed,
        }))
}

/// Ends the user's other sessions (a browser left signed in elsewhere);
/// this one stays. Called with a token, it ends every session.
#[utoipa::path(post, path = "/api/v1/auth/logout-others", tag = "accounts",
    responses((status = 200, description = "How many sessions ended", body = SessionsEndedDto)))]
pub(crate) async fn logout_others(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let closed = match &auth.session {
        Some(session) => {
            state
                .catalog
                .close_other_sessions(auth.user(), &session.secret)
                .await?
        }
        None => state.catalog.close_all_sessions(auth.user()).await?,
    };
    Ok(HttpResponse::Ok().json(SessionsEndedDto {
        sessions_ended: closed,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordBody {
    current_password: Option<String>,
    new_password: String,
}

/// `PUT /api/v1/me/password`: from a web session only (a leaked app token
/// must not take the account over), with the current password when one is
/// set. The user's other sessions end; this one stays.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "accounts",
    request_body = PasswordBody,
    responses((status = 204, description = "Changed; your other sessions ended")))]
pub(crate) async fn change_password(
    req: HttpRequest,
    body: web::Json<PasswordBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(this_session) = auth.session.as_ref().map(|s| s.secret.as_str()) else {
        return Err(ApiError::Denied {
            code: ErrorCode::SessionRequired,
            message: "passwords are changed from a signed-in web session, not with an API token"
                .into(),
        });
    };
    password::check_policy(&body.new_password)?;
    let user = auth.principal.user.clone();
    // The current password is guessed here as at sign-in (by whoever holds
    // a stolen session): the same limits apply.
    let address = state.config.trusted_proxies.client_of(&req);
    state.login_limiter.check(&user.name, address)?;
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

/// The signed-in user: name, usage, quota.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, description = "You", body = UserDto)))]
pub(crate) async fn me(auth: Authenticated) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(UserDto::new(&auth.principal.user)))
}
