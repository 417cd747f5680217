//! Webhooks: a partner registers a URL for some of the change feed's event
//! types and sees each delivery's attempts. Sending is the workers' job
//! (`darkroom_workers::signature` documents the signature).

use crate::ErrorCode;
use actix_web::{HttpResponse, web};
use darkroom_storage::WebhookId;
use darkroom_storage::catalog::{AttemptRecord, ChangeKind, DeliveryRecord, Scope, WebhookRecord};
use darkroom_workers::WebhookTargets;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::invalid_field;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::rfc3339;
use crate::state::AppState;

/// Longest URL accepted.
const MAX_URL: usize = 2048;
/// Webhooks one user may hold.
const MAX_HOOKS: usize = 20;

/// A webhook as its owner sees it (the secret only once, at creation).
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookDto {
    id: String,
    url: String,
    events: Vec<&'static str>,
    description: String,
    created_at: String,
    deliveries_url: String,
    /// The HMAC-SHA256 key: in the creation's answer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl WebhookDto {
    fn new(hook: &WebhookRecord, with_secret: bool) -> Self {
        WebhookDto {
            id: hook.id.to_string(),
            url: hook.url.clone(),
            events: hook.events.iter().map(|e| e.as_str()).collect(),
            description: hook.description.clone(),
            created_at: rfc3339(hook.created_at),
            deliveries_url: format!("/api/v1/webhooks/{}/deliveries", hook.id),
            secret: with_secret.then(|| hook.secret.clone()),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    url: String,
    events: Vec<String>,
    #[serde(default)]
    description: String,
}

/// Registers a URL for some of the change feed's event types; the answer
/// holds the signing secret, once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateBody,
    responses((status = 201, description = "The webhook, with its secret", body = WebhookDto)))]
pub(crate) async fn create(
    body: web::Json<CreateBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let url = check_url(&body.url, state.config.webhook_targets)?;
    let events = check_events(&body.events)?;
    if body.description.chars().count() > 500 {
        return Err(invalid_field(
            "description",
            "at most 500 characters".into(),
        ));
    }
    if state.catalog.list_webhooks(auth.user()).await?.len() >= MAX_HOOKS {
        return Err(ApiError::Conflict {
            code: ErrorCode::TooManyWebhooks,
            message: format!("you have {MAX_HOOKS} webhooks, the most allowed; delete one first"),
        });
    }
    let hook = state
        .catalog
        .create_webhook(auth.user(), &url, &events, body.description.trim())
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/webhooks/{}", hook.id),
        ))
        .json(WebhookDto::new(&hook, true)))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookListDto {
    webhooks: Vec<WebhookDto>,
}

/// Your webhooks (without their secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, description = "The webhooks", body = WebhookListDto)))]
pub(crate) async fn list(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let hooks = state.catalog.list_webhooks(auth.user()).await?;
    let webhooks = hooks.iter().map(|h| WebhookDto::new(h, false)).collect();
    Ok(HttpResponse::Ok().json(WebhookListDto { webhooks }))
}

/// One of your webhooks.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "The webhook's id")),
    responses((status = 200, description = "The webhook", body = WebhookDto)))]
pub(crate) async fn get(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let hook = state
        .catalog
        .get_webhook(auth.user(), &hook_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(WebhookDto::new(&hook, false)))
}

/// Removes a webhook and its history; queued deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, description = "The webhook's id")),
    responses((status = 204, description = "Removed")))]
pub(crate) async fn delete(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    state
        .catalog
        .delete_webhook(auth.user(), &hook_id(&path)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveriesQuery {
    /// 1 to 100 (default 20).
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryDto {
    id: String,
    event: String,
    /// `pending` (being tried), `delivered` or `failed` (attempts spent).
    state: String,
    /// The body sent, as JSON.
    #[schema(value_type = Object)]
    payload: serde_json::Value,
    created_at: String,
    delivered_at: Option<String>,
    attempts: Vec<AttemptDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AttemptDto {
    attempt: u32,
    at: String,
    /// The receiver's status, when it answered.
    status: Option<u16>,
    error: Option<String>,
    duration_ms: u64,
}

impl DeliveryDto {
    fn new(delivery: &DeliveryRecord, attempts: &[AttemptRecord]) -> Self {
        DeliveryDto {
            id: delivery.id.clone(),
            event: delivery.event.clone(),
            state: delivery.state.clone(),
            payload: serde_json::from_str(&delivery.payload).unwrap_or_default(),
            created_at: rfc3339(delivery.created_at),
            delivered_at: delivery.delivered_at.map(rfc3339),
            attempts: attempts
                .iter()
                .map(|a| AttemptDto {
                    attempt: a.attempt,
                    at: rfc3339(a.at),
                    status: a.status,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryPageDto {
    deliveries: Vec<DeliveryDto>,
    /// Pass as `cursor` for older ones; null on the last page.
    next_cursor: Option<String>,
}

/// A page of a webhook's deliveries, newest first, each with every attempt.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id"), DeliveriesQuery),
    responses((status = 200, description = "A page", body = DeliveryPageDto)))]
pub(crate) async fn deliveries(
    path: web::Path<String>,
    query: web::Query<DeliveriesQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let hook = state
        .catalog
        .get_webhook(auth.user(), &hook_id(&path)?)
        .await?;
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(invalid_field("limit", "1 to 100".into()));
    }
    let before = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(
            cursor
                .parse::<uuid::Uuid>()
                .map_err(|_| {
                    ApiError::bad_request(
                        ErrorCode::InvalidCursor,
                        "the cursor is not one this list gave out",
                    )
                })?
                .to_string(),
        ),
    };
    let page = state
        .catalog
        .webhook_deliveries(&hook.id, before.as_deref(), limit)
        .await?;
    let next_cursor = (page.len() == limit as usize)
        .then(|| page.last().map(|(d, _)| d.id.clone()))
        .flatten();
    let deliveries = page.iter().map(|(d, a)| DeliveryDto::new(d, a)).collect();
    Ok(HttpResponse::Ok().json(DeliveryPageDto {
        deliveries,
        next_cursor,
    }))
}

fn hook_id(raw: &str) -> Result<WebhookId, ApiError> {
    super::path_id(raw, "webhook")
}

/// A URL whose receiver webhooks may reach (see
/// `darkroom_workers::WebhookTargets`: https:// to a public address unless
/// the operator allows private receivers), at most [`MAX_URL`] long.
fn check_url(raw: &str, targets: WebhookTargets) -> Result<String, ApiError> {
    let refused = |why: String| invalid_field("url", why);
    if raw.len() > MAX_URL {
        return Err(refused(format!("at most {MAX_URL} characters")));
    }
    let url = url::Url::parse(raw.trim()).map_err(|e| refused(format!("not a URL: {e}")))?;
    targets
        .check_url(&url)
        .map_err(|why| refused(why.to_string()))?;
    Ok(url.to_string())
}

fn check_events(raw: &[String]) -> Result<Vec<ChangeKind>, ApiError> {
    let names = || {
        ChangeKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if raw.is_empty() {
        return Err(invalid_field(
            "events",
            format!("at least one of {}", names()),
        ));
    }
    raw.iter()
        .map(|e| {
            e.parse()
                .map_err(|()| invalid_field("events", format!("{e:?} is not one of {}", names())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_public_https_unless_private_receivers_are_allowed() {
        let strict = WebhookTargets::default();
        let inside = WebhookTargets {
            allow_private: true,
        };
        assert!(check_url("https://partner.example/hooks/darkroom", strict).is_ok());
        for bad in [
            "http://partner.example/hook",
            "http://127.0.0.1:9000/hook",
            "https://localhost/hook",
            "https://[::ffff:10.0.0.1]/",
            "ftp://127.0.0.1/",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad, strict).is_err(), "{bad}");
        }
        for good in [
            "http://127.0.0.1:9000/hook",
            "http://10.0.0.1/",
            "https://[::1]:8080/",
        ] {
            assert!(check_url(good, inside).is_ok(), "{good}");
        }
        assert!(check_url("file:///etc/passwd", inside).is_err());
        let long = format!("https://partner.example/{}", "a".repeat(MAX_URL));
        assert!(check_url(&long, inside).is_err());
    }

    #[test]
    fn events_are_the_feeds() {
        assert_eq!(
            check_events(&["asset.created".into(), "rendition.ready".into()]).unwrap(),
            [ChangeKind::AssetCreated, ChangeKind::RenditionReady]
        );
        assert!(check_events(&["asset.exploded".into()]).is_err());
        assert!(check_events(&[]).is_err());
    }
}
