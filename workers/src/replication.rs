//! The `replicate_blob` job: make both sites hold a blob.

use darkroom_storage::catalog::{LeasedJob, ReplicaDuty};
use darkroom_storage::{ContentHash, Replicated};

use crate::{Runner, WorkerError};

impl Runner {
    /// Copies one blob to whichever site lacks it (checked by its BLAKE3
    /// name) and records that both hold it; Ok(false) when the lease was
    /// lost. A blob collected meanwhile needs nothing.
    pub(crate) async fn replicate_blob(
        &self,
        job: &LeasedJob,
        hash: &ContentHash,
    ) -> Result<bool, WorkerError> {
        if self.blobs.replica_only().is_none() {
            return Err(WorkerError::BadJob(
                "this worker has no second site (--replica-blobs) to copy blobs to".into(),
            ));
        }
        match self.catalog.replica_duty(hash).await? {
            ReplicaDuty::Gone | ReplicaDuty::Done => {}
            ReplicaDuty::Copy => {
                let (direction, bytes) = match self.blobs.replicate(hash).await? {
                    Replicated::AlreadyBoth => ("none", 0),
                    Replicated::ToReplica(bytes) => ("to_replica", bytes),
                    Replicated::ToPrimary(bytes) => ("to_primary", bytes),
                };
                metrics::counter!("darkroom_blob_replications_total", "copied" => direction)
                    .increment(1);
                metrics::counter!("darkroom_blob_replicated_bytes_total", "copied" => direction)
                    .increment(bytes);
                tracing::debug!(%hash, direction, bytes, "blob on both sites");
                self.catalog.mark_blob_replicated(hash).await?;
            }
        }
        Ok(self.catalog.complete_job(&job.id, self.id()).await?)
    }
}
