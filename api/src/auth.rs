//! Bearer-token authentication: every `/api/v1` route takes an [`Authenticated`].

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use darkroom_storage::catalog::{Principal, Scope};

use crate::ApiError;
use crate::state::AppState;

/// The caller, resolved from `Authorization: Bearer <token>` (or `X-Api-Key`,
/// the header Immich clients send).
pub(crate) struct Authenticated(pub Principal);

impl Authenticated {
    /// Refuses the request unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.0.has(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(scope.to_string()))
        }
    }

    /// The caller's user id.
    pub fn user(&self) -> &darkroom_storage::UserId {
        &self.0.user.id
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

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = presented_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal("no app state".into()))?;
            let token = token.ok_or(ApiError::Unauthorized)?;
            let principal = state
                .catalog
                .authenticate(&token)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            tracing::Span::current().record("user_id", tracing::field::display(&principal.user.id));
            Ok(Authenticated(principal))
        })
    }
}
