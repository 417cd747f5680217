//! Job kinds and their payloads.

use darkroom_storage::AssetId;
use darkroom_storage::catalog::{NewJob, WEBHOOK_JOB_KIND};
use serde::{Deserialize, Serialize};

use crate::WorkerError;

/// The queue's `kind` for rendering an asset's renditions.
pub const RENDER_JOB_KIND: &str = "render_renditions";

/// A unit of work in the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Render every default rendition of an asset.
    RenderRenditions {
        /// The asset to render.
        asset_id: AssetId,
    },
    /// Send one webhook delivery (queued by the catalog with the change).
    DeliverWebhook {
        /// The `webhook_deliveries` row.
        delivery_id: String,
    },
}

impl Job {
    /// The queue row for this job.
    pub fn to_new_job(&self, max_attempts: u32) -> NewJob {
        NewJob {
            kind: self.kind().to_string(),
            payload: serde_json::to_string(self).expect("invariant: jobs serialise"),
            max_attempts,
        }
    }

    /// The queue's `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::RenderRenditions { .. } => RENDER_JOB_KIND,
            Job::DeliverWebhook { .. } => WEBHOOK_JOB_KIND,
        }
    }

    pub(crate) fn parse(payload: &str) -> Result<Self, WorkerError> {
        serde_json::from_str(payload).map_err(|e| WorkerError::BadJob(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips() {
        let job = Job::RenderRenditions {
            asset_id: AssetId::new(),
        };
        let row = job.to_new_job(5);
        assert_eq!(row.kind, RENDER_JOB_KIND);
        assert_eq!(Job::parse(&row.payload).unwrap(), job);
        assert!(Job::parse("{\"kind\":\"nope\"}").is_err());
    }

    /// The catalog writes webhook jobs itself (with the change they report);
    /// they must be the jobs this crate reads.
    #[test]
    fn the_catalogs_webhook_jobs_are_ours() {
        let queued = darkroom_storage::catalog::webhook_job("0192-delivery");
        let ours = Job::DeliverWebhook {
            delivery_id: "0192-delivery".into(),
        };
        assert_eq!(queued.kind, ours.kind());
        assert_eq!(Job::parse(&queued.payload).unwrap(), ours);
        assert_eq!(
            queued.max_attempts,
            darkroom_storage::catalog::WEBHOOK_ATTEMPTS
        );
    }
}
