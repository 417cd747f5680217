//! Webhooks: URLs a user registered for some of their change feed's event
//! types. A matching change becomes a delivery — its body fixed then — and a
//! job that sends it, in the change's own transaction, so no event is lost
//! and none is sent for a change that rolled back. The job queue retries a
//! failed send with backoff; each attempt is kept as the delivery's history.

use sqlx::Row;

use super::changes::{ChangeKind, ChangeSubject};
use super::jobs::{Job, NewJob, insert_job};
use super::ledger::Tx;
use super::{Catalog, parse_id};
use crate::{StorageError, UserId, WebhookId, now_ms};

/// Attempts a delivery gets: with the workers' webhook backoff (a minute,
/// doubling up to six hours), about 20 hours of trying.
pub const WEBHOOK_ATTEMPTS: u32 = 12;

/// The job that sends `delivery`.
fn webhook_job(delivery: &str) -> NewJob {
    NewJob {
        job: Job::DeliverWebhook {
            delivery_id: delivery.to_string(),
        },
        max_attempts: WEBHOOK_ATTEMPTS,
    }
}

/// A registered webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: WebhookId,
    pub owner: UserId,
    pub url: String,
    /// The HMAC-SHA256 key deliveries are signed with.
    pub secret: String,
    pub events: Vec<ChangeKind>,
    pub description: String,
    pub created_at: i64,
}

/// One event sent (or being sent) to a webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: String,
    pub webhook: WebhookId,
    pub event: String,
    /// The exact body sent.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// One try at sending a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    pub attempt: u32,
    pub at: i64,
    /// The receiver's HTTP status, when it answered at all.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

const HOOK_COLUMNS: &str = "id, owner_id, url, secret, events, description, created_at";
const DELIVERY_COLUMNS: &str =
    "id, webhook_id, event, payload, state, attempts, created_at, delivered_at";

fn hook_from_row(row: &sqlx::any::AnyRow) -> Result<WebhookRecord, StorageError> {
    let events: String = row.try_get("events")?;
    Ok(WebhookRecord {
        id: parse_id("webhooks.id", &row.try_get::<String, _>("id")?)?,
        owner: parse_id("webhooks.owner_id", &row.try_get::<String, _>("owner_id")?)?,
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        events: events
            .split_whitespace()
            .filter_map(|e| e.parse().ok())
            .collect(),
        description: row.try_get("description")?,
        created_at: row.try_get("created_at")?,
    })
}

fn delivery_from_row(row: &sqlx::any::AnyRow) -> Result<DeliveryRecord, StorageError> {
    Ok(DeliveryRecord {
        id: row.try_get("id")?,
        webhook: parse_id(
            "webhook_deliveries.webhook_id",
            &row.try_get::<String, _>("webhook_id")?,
        )?,
        event: row.try_get("event")?,
        payload: row.try_get("payload")?,
        state: row.try_get("state")?,
        attempts: row.try_get::<i64, _>("attempts")?.clamp(0, u32::MAX as i64) as u32,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

/// Queues a delivery of change `seq` to each of the owner's webhooks that
/// asked for its kind. Called by `record_change`, in the change's transaction.
pub(super) async fn fan_out(
    tx: &mut Tx,
    owner: &UserId,
    seq: u64,
    kind: ChangeKind,
    subject: ChangeSubject,
    at: i64,
) -> Result<(), StorageError> {
    let hooks = sqlx::query("SELECT id FROM webhooks WHERE owner_id = $1 AND events LIKE $2")
        .bind(owner.to_string())
        .bind(format!("% {} %", kind.as_str()))
        .fetch_all(&mut **tx)
        .await?;
    for hook in hooks {
        let hook: String = hook.try_get("id")?;
        // UUIDv7: deliveries list in the order they were made.
        let delivery = uuid::Uuid::now_v7().to_string();
        let (key, id, path) = match subject {
            ChangeSubject::Asset(id) => ("asset_id", id.to_string(), "assets"),
            ChangeSubject::Album(id) => ("album_id", id.to_string(), "albums"),
        };
        let payload = serde_json::json!({
            "id": delivery,
            "type": kind.as_str(),
            "seq": seq,
            "occurred_at": crate::rfc3339(at),
            "data": { key: id, "url": format!("/api/v1/{path}/{id}") },
        })
        .to_string();
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, state, attempts, created_at)
             VALUES ($1, $2, $3, $4, 'pending', 0, $5)",
        )
        .bind(&delivery)
        .bind(&hook)
        .bind(kind.as_str())
        .bind(&payload)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        insert_job(tx, &webhook_job(&delivery), owner, at).await?;
    }
    Ok(())
}

impl Catalog {
    /// Registers a webhook for `events` of the owner's feed.
    pub async fn create_webhook(
        &self,
        owner: &UserId,
        url: &str,
        events: &[ChangeKind],
        description: &str,
    ) -> Result<WebhookRecord, StorageError> {
        let id = WebhookId::new();
        let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        sqlx::query(
            "INSERT INTO webhooks (id, owner_id, url, secret, events, description, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(owner.to_string())
        .bind(url)
        .bind(super::users::random_hex(32))
        .bind(format!(" {} ", names.join(" ")))
        .bind(description)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        self.get_webhook(owner, &id).await
    }

    /// The owner's webhooks, oldest first.
    pub async fn list_webhooks(&self, owner: &UserId) -> Result<Vec<WebhookRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {HOOK_COLUMNS} FROM webhooks WHERE owner_id = $1 ORDER BY id"
        ));
        let rows = sqlx::query(sql)
            .bind(owner.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(hook_from_row).collect()
    }

    /// One of the owner's webhooks.
    pub async fn get_webhook(
        &self,
        owner: &UserId,
        id: &WebhookId,
    ) -> Result<WebhookRecord, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = $1 AND owner_id = $2"
        ));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .bind(owner.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => hook_from_row(&row),
            None => Err(StorageError::NotFound { what: "webhook" }),
        }
    }

    /// Removes the owner's webhook with its history; deliveries still queued
    /// find it gone and are dropped.
    pub async fn delete_webhook(&self, owner: &UserId, id: &WebhookId) -> Result<(), StorageError> {
        let deleted = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND owner_id = $2")
            .bind(id.to_string())
            .bind(owner.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StorageError::NotFound { what: "webhook" });
        }
        Ok(())
    }

    /// A delivery with its webhook (for sending it); `None` once the webhook
    /// (and so the delivery) is gone.
    pub async fn delivery_to_send(
        &self,
        delivery: &str,
    ) -> Result<Option<(DeliveryRecord, WebhookRecord)>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
        ));
        let Some(row) = sqlx::query(sql)
            .bind(delivery)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let delivery = delivery_from_row(&row)?;
        let sql = sqlx::AssertSqlSafe(format!("SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = $1"));
        let hook = sqlx::query(sql)
            .bind(delivery.webhook.to_string())
            .fetch_optional(&self.pool)
            .await?;
        hook.map(|row| Ok((delivery, hook_from_row(&row)?)))
            .transpose()
    }

    /// Records one attempt and where the delivery stands after it:
    /// delivered on success, failed when `last` (no attempt is left).
    pub async fn record_webhook_attempt(
        &self,
        delivery: &str,
        attempt: &AttemptRecord,
        last: bool,
    ) -> Result<(), StorageError> {
        let delivered = attempt.error.is_none();
        let state = match (delivered, last) {
            (true, _) => "delivered",
            (false, true) => "failed",
            (false, false) => "pending",
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error, duration_ms)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (delivery_id, attempt) DO NOTHING",
        )
        .bind(delivery)
        .bind(i64::from(attempt.attempt))
        .bind(attempt.at)
        .bind(attempt.status.map(i64::from))
        .bind(attempt.error.as_deref())
        .bind(attempt.duration_ms as i64)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = $2,
                delivered_at = CASE WHEN $1 = 'delivered' THEN $3 ELSE delivered_at END
             WHERE id = $4",
        )
        .bind(state)
        .bind(i64::from(attempt.attempt))
        .bind(attempt.at)
        .bind(delivery)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of a webhook's deliveries, newest first, after the delivery
    /// `before` (exclusive), each with its attempts in order.
    pub async fn webhook_deliveries(
        &self,
        hook: &WebhookId,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(DeliveryRecord, Vec<AttemptRecord>)>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
             WHERE webhook_id = $1 AND ($2 = '' OR id < $2)
             ORDER BY id DESC LIMIT $3"
        ));
        let rows = sqlx::query(sql)
            .bind(hook.to_string())
            .bind(before.unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let mut page = Vec::with_capacity(rows.len());
        for row in &rows {
            let delivery = delivery_from_row(row)?;
            let attempts = sqlx::query(
                "SELECT attempt, at, status, error, duration_ms FROM webhook_attempts
                 WHERE delivery_id = $1 ORDER BY attempt",
            )
            .bind(&delivery.id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok(AttemptRecord {
                    attempt: row.try_get::<i64, _>("attempt")?.clamp(0, u32::MAX as i64) as u32,
                    at: row.try_get("at")?,
                    status: row
                        .try_get::<Option<i64>, _>("status")?
                        .and_then(|s| u16::try_from(s).ok()),
                    error: row.try_get("error")?,
                    duration_ms: row.try_get::<i64, _>("duration_ms")?.max(0) as u64,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
            page.push((delivery, attempts));
        }
        Ok(page)
    }
}
