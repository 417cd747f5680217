//! API tokens: list, create (the secret is shown once), revoke. A token can
//! only be given scopes the caller holds, so no one mints more than they have.

use actix_web::{HttpResponse, web};
use darkroom_storage::TokenId;
use darkroom_storage::catalog::Scope;
use serde::Deserialize;
use serde_json::json;

use super::invalid_field;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::rfc3339;
use crate::state::AppState;

pub(crate) async fn list(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tokens = state.catalog.list_tokens(auth.user()).await?;
    let tokens: Vec<_> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id.to_string(),
                "name": t.name,
                "scopes": t.scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "created_at": rfc3339(t.created_at),
                "last_used_at": t.last_used_at.map(rfc3339),
                "current": auth.principal.token_id == Some(t.id),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "tokens": tokens })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    name: String,
    scopes: Vec<String>,
}

pub(crate) async fn create(
    body: web::Json<CreateBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
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
    let issued = state
        .catalog
        .issue_token(auth.user(), name, &scopes)
        .await?;
    Ok(HttpResponse::Created().json(json!({
        "id": issued.id.to_string(),
        "name": name,
        "scopes": scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        // Shown once: only its hash is stored.
        "token": issued.secret,
    })))
}

pub(crate) async fn revoke(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id: TokenId = path.parse().map_err(|_| ApiError::NotFound("token"))?;
    state.catalog.revoke_token(auth.user(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
