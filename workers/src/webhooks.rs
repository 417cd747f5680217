//! Sending webhook deliveries: sign the body, POST it, keep the attempt.
//!
//! Receivers check `X-Darkroom-Signature: t=<unix seconds>,v1=<hex>`, where
//! `v1` is HMAC-SHA256 under the webhook's secret of `"<t>.<body>"`: the
//! timestamp is signed too, so a receiver can refuse old (replayed) requests.
//! Any 2xx is success; anything else, or no answer within the timeout, is
//! retried by the queue with backoff until the attempts are spent. A delivery
//! may arrive more than once (a worker can die after sending and before
//! recording): `X-Darkroom-Delivery` names it, for receivers to deduplicate.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use darkroom_storage::catalog::{AttemptRecord, DeliveryRecord, LeasedJob};
use darkroom_storage::now_ms;
use hmac::{KeyInit, Mac};

use crate::webhook_targets::RefusedTarget;
use crate::{Runner, WorkerError};

/// The header with the timestamped signature.
pub const SIGNATURE_HEADER: &str = "X-Darkroom-Signature";
/// How long a receiver has to answer.
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
pub fn signature(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("invariant: HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

impl Runner {
    /// Sends one delivery; Ok(true) once it is delivered (or moot: its
    /// webhook was deleted), an error to have the queue retry it.
    pub(crate) async fn deliver_webhook(
        &self,
        job: &LeasedJob,
        delivery: &str,
    ) -> Result<bool, WorkerError> {
        let Some((delivery, hook)) = self.catalog.delivery_to_send(delivery).await? else {
            tracing::info!("webhook deleted; delivery dropped");
            return Ok(self.catalog.complete_job(&job.id, self.id()).await?);
        };
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let started = Instant::now();
        let at = now_ms();
        let sent = self
            .send(&hook.url, &hook.secret, &delivery, timestamp)
            .await;
        let outcome = match &sent {
            Ok(response) if response.status().is_success() => "delivered",
            Ok(_) => "refused",
            Err(Undelivered::NotAllowed(_)) => "not_allowed",
            Err(Undelivered::Failed(_)) => "unreachable",
        };
        metrics::counter!("darkroom_webhook_deliveries_total", "outcome" => outcome).increment(1);
        let (status, error) = match sent {
            Ok(response) if response.status().is_success() => {
                (Some(response.status().as_u16()), None)
            }
            Ok(response) => (
                Some(response.status().as_u16()),
                Some(format!("the receiver answered {}", response.status())),
            ),
            Err(undelivered) => (None, Some(undelivered.to_string())),
        };
        let attempt = AttemptRecord {
            // Numbered by the delivery, not the job: an administrator's retry
            // starts the job's count again, the history goes on.
            attempt: delivery.attempts + 1,
            at,
            status,
            error: error.clone(),
            duration_ms: started.elapsed().as_millis() as u64,
        };
        let last = job.attempt >= job.max_attempts;
        self.catalog
            .record_webhook_attempt(&delivery.id, &attempt, last)
            .await?;
        match error {
            None => Ok(self.catalog.complete_job(&job.id, self.id()).await?),
            Some(error) => Err(WorkerError::Delivery(error)),
        }
    }

    /// Signs and POSTs one delivery to `url`, if the receiver is allowed.
    async fn send(
        &self,
        url: &str,
        secret: &str,
        delivery: &DeliveryRecord,
        timestamp: u64,
    ) -> Result<reqwest::Response, Undelivered> {
        // Checked again at each delivery: the policy may have changed since
        // the webhook was made. (A name's addresses are checked as it
        // resolves, inside the client.)
        let url = reqwest::Url::parse(url)
            .map_err(|e| Undelivered::Failed(format!("the receiver's URL: {e}")))?;
        self.config
            .webhook_targets
            .check_url(&url)
            .map_err(Undelivered::NotAllowed)?;
        self.http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                SIGNATURE_HEADER,
                signature(secret, timestamp, delivery.payload.as_bytes()),
            )
            .header("X-Darkroom-Event", &delivery.event)
            .header("X-Darkroom-Delivery", &delivery.id)
            .body(delivery.payload.clone())
            .send()
            .await
            .map_err(Undelivered::from)
    }
}

/// Why a delivery did not reach its receiver, as the deliveries log says it
/// (without the URL: it is in the webhook already).
#[derive(Debug, thiserror::Error)]
enum Undelivered {
    /// The receiver is where webhooks may not go; nothing was sent.
    #[error("not sent: {0}")]
    NotAllowed(RefusedTarget),
    /// No answer, or no connection.
    #[error("{0}")]
    Failed(String),
}

impl From<reqwest::Error> for Undelivered {
    fn from(e: reqwest::Error) -> Self {
        // The resolver's refusal comes back wrapped in the client's error.
        let refused = std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
            e.source()
        })
        .find_map(|e| e.downcast_ref::<RefusedTarget>());
        if let Some(refused) = refused {
            Undelivered::NotAllowed(refused.clone())
        } else if e.is_timeout() {
            Undelivered::Failed(format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs()))
        } else if e.is_connect() {
            Undelivered::Failed("could not connect to the receiver".to_string())
        } else {
            Undelivered::Failed(e.without_url().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_timestamped_hmacs() {
        let s = signature("Jefe", 0, b"what do ya want for nothing?");
        assert!(s.starts_with("t=0,v1="), "{s}");
        assert_eq!(s.len(), "t=0,v1=".len() + 64);
        assert_ne!(s, signature("Jefe", 1, b"what do ya want for nothing?"));
        assert_ne!(s, signature("Jeff", 0, b"what do ya want for nothing?"));
        // Independent: HMAC-SHA256("key", "0.body") by Python's hmac module.
        assert_eq!(
            signature("key", 0, b"body"),
            "t=0,v1=e0af04d5c83b24373ff89f540d0c8fd9a4e097e2b3ee8318ab5541047697626d"
        );
    }
}
