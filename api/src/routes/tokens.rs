//! API tokens: list, create (the secret is shown once), revoke. Managing
//! tokens takes the `edit` scope (a web session has it): a leaked read- or
//! upload-only token cannot mint a sibling that outlives its own revocation.
//! A token is only given scopes the caller holds, so no one mints more than
//! they have; any token may revoke itself.

use actix_web::{HttpResponse, web};
use darkroom_storage::TokenId;
use darkroom_storage::catalog::Scope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::invalid_field;
use crate::auth::Authenticated;
use crate::dto::rfc3339;
use crate::state::AppState;
use crate::{ApiError, ErrorCode};

/// Tokens one account may hold: many devices and scripts, not unbounded.
const MAX_TOKENS: usize = 100;

/// An API token (never its secret).
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenDto {
    id: String,
    name: String,
    /// `read`, `upload`, `edit`, `admin`.
    scopes: Vec<String>,
    created_at: String,
    last_used_at: Option<String>,
    /// The client certificate (SHA-256, hex) the token works with alone.
    certificate_sha256: Option<String>,
    /// True for the token this request was made with.
    current: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TokenListDto {
    tokens: Vec<TokenDto>,
}

/// A new token, with its secret: shown once, only its hash is stored.
#[derive(Serialize, ToSchema)]
pub(crate) struct IssuedTokenDto {
    id: String,
    name: String,
    scopes: Vec<String>,
    certificate_sha256: Option<String>,
    /// Send as `Authorization: Bearer <token>`.
    token: String,
}

/// Your API tokens (scope `edit`).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts",
    responses((status = 200, description = "Your tokens", body = TokenListDto)))]
pub(crate) async fn list(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let tokens = state.catalog.list_tokens(auth.user()).await?;
    let tokens = tokens
        .iter()
        .map(|t| TokenDto {
            id: t.id.to_string(),
            name: t.name.clone(),
            scopes: t.scopes.iter().map(|s| s.to_string()).collect(),
            created_at: rfc3339(t.created_at),
            last_used_at: t.last_used_at.map(rfc3339),
            certificate_sha256: t.certificate_sha256.clone(),
            current: auth.principal.token_id == Some(t.id),
        })
        .collect();
    Ok(HttpResponse::Ok().json(TokenListDto { tokens }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    name: String,
    /// Only scopes you hold.
    scopes: Vec<String>,
    /// Bind the token to a client certificate (its SHA-256 fingerprint, as
    /// `openssl x509 -noout -fingerprint -sha256` prints it): it then works
    /// only over a mutual-TLS connection presenting that certificate.
    certificate_sha256: Option<String>,
}

/// Creates an API token with some of your scopes (scope `edit`; at most 100
/// tokens an account).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts",
    request_body = CreateBody,
    responses((status = 201, description = "The token, with its secret (shown once)", body = IssuedTokenDto)))]
pub(crate) async fn create(
    body: web::Json<CreateBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid_field("name", "1 to 100 characters".into()));
    }
    if body.scopes.is_empty() {
        return Err(invalid_field(
            "scopes",
            "at least one of read, upload, edit, admin".into(),
        ));
    }
    let certificate = match &body.certificate_sha256 {
        None => None,
        Some(text) => Some(crate::tls::normalised_fingerprint(text).ok_or_else(|| {
            invalid_field(
                "certificate_sha256",
                "a SHA-256 fingerprint: 64 hex digits, colons allowed".into(),
            )
        })?),
    };
    let mut scopes = Vec::new();
    for raw in &body.scopes {
        let scope: Scope = raw
            .parse()
            .map_err(|e: String| invalid_field("scopes", e))?;
        auth.require(scope)?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if state.catalog.list_tokens(auth.user()).await?.len() >= MAX_TOKENS {
        return Err(ApiError::Conflict {
            code: ErrorCode::TooManyTokens,
            message: format!(
                "you have {MAX_TOKENS} API tokens, the most allowed; revoke one first"
            ),
        });
    }
    let issued = state
        .catalog
        .issue_bound_token(auth.user(), name, &scopes, certificate.as_deref())
        .await?;
    Ok(HttpResponse::Created().json(IssuedTokenDto {
        id: issued.id.to_string(),
        name: name.to_string(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        certificate_sha256: certificate,
        token: issued.secret,
    }))
}

/// Revokes one of your tokens, at once (scope `edit`, or the token itself).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked")))]
pub(crate) async fn revoke(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id: TokenId = super::path_id(&path, "token")?;
    // Giving up one's own access needs no more than holding it.
    if auth.principal.token_id != Some(id) {
        auth.require(Scope::Edit)?;
    }
    state.catalog.revoke_token(auth.user(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
