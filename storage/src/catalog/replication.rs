//! The catalog's side of the second site (`--replica-blobs`): which blobs
//! both sites hold, and the jobs that copy the rest.
//!
//! A blob's first reference queues its `replicate_blob` job in the same
//! transaction (`ledger::hold_blob`); the worker that runs it copies the
//! bytes, checks them by their BLAKE3 name and sets `replicated_at`. So
//! "referenced and `replicated_at IS NULL`" is exactly the backlog.

use sqlx::Row;

use super::jobs::{REPLICATE_JOB_KIND, queue_replication};
use super::{Catalog, parse_id};
use crate::{ContentHash, StorageError, now_ms};

/// Whether a blob still needs a copy, as the job that makes it finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaDuty {
    /// Referenced (or pinned) and not yet on both sites.
    Copy,
    /// Already on both sites.
    Done,
    /// Collected, or being collected: nothing to copy.
    Gone,
}

impl Catalog {
    /// What the job for `hash` has to do.
    pub async fn replica_duty(&self, hash: &ContentHash) -> Result<ReplicaDuty, StorageError> {
        let row: Option<(Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT replicated_at, deleting_at FROM blobs WHERE hash = $1")
                .bind(hash.to_hex())
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            None | Some((_, Some(_))) => ReplicaDuty::Gone,
            Some((Some(_), None)) => ReplicaDuty::Done,
            Some((None, None)) => ReplicaDuty::Copy,
        })
    }

    /// Records that both sites hold `hash`.
    pub async fn mark_blob_replicated(&self, hash: &ContentHash) -> Result<(), StorageError> {
        sqlx::query("UPDATE blobs SET replicated_at = $1 WHERE hash = $2")
            .bind(now_ms())
            .bind(hash.to_hex())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Referenced blobs not yet on both sites: the replica's backlog.
    pub async fn unreplicated_blob_count(&self) -> Result<i64, StorageError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM blobs WHERE replicated_at IS NULL AND ref_count > 0",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Referenced blobs that the catalog says both sites hold (what `fsck`
    /// checks the replica's listing against).
    pub async fn replicated_blobs(&self) -> Result<Vec<ContentHash>, StorageError> {
        let rows = sqlx::query(
            "SELECT hash FROM blobs WHERE replicated_at IS NOT NULL AND ref_count > 0
             ORDER BY hash",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| parse_id("blobs.hash", &r.try_get::<String, _>("hash")?))
            .collect()
    }

    /// Referenced blobs not on both sites that no queued or running job
    /// will copy (their job failed for good, replication was turned on
    /// after they were stored, or a process wrote without `--replica-blobs`).
    pub async fn stranded_unreplicated_blobs(&self) -> Result<Vec<ContentHash>, StorageError> {
        let rows = sqlx::query(
            "SELECT b.hash FROM blobs b
             WHERE b.replicated_at IS NULL AND b.ref_count > 0 AND b.deleting_at IS NULL
               AND NOT EXISTS (
                   SELECT 1 FROM jobs j
                   WHERE j.kind = $1 AND j.state IN ('queued', 'running')
                     AND j.payload = '{\"kind\":\"replicate_blob\",\"hash\":\"' || b.hash || '\"}')
             ORDER BY b.hash",
        )
        .bind(REPLICATE_JOB_KIND)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| parse_id("blobs.hash", &r.try_get::<String, _>("hash")?))
            .collect()
    }

    /// Marks `hashes` as not on both sites and queues their copies, in one
    /// transaction (for `fsck --repair`).
    pub async fn requeue_replication(&self, hashes: &[ContentHash]) -> Result<(), StorageError> {
        let mut tx = self.begin_write().await?;
        for hash in hashes {
            sqlx::query("UPDATE blobs SET replicated_at = NULL WHERE hash = $1")
                .bind(hash.to_hex())
                .execute(&mut *tx)
                .await?;
            queue_replication(&mut tx, hash).await?;
        }
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Job;

    /// The payload the stranded-blob query matches must be the one jobs
    /// are queued with.
    #[test]
    fn the_stranded_query_matches_the_job_payload() {
        let hash = ContentHash::of(b"x");
        let payload = serde_json::to_string(&Job::ReplicateBlob { hash }).unwrap();
        assert_eq!(
            payload,
            format!("{{\"kind\":\"replicate_blob\",\"hash\":\"{hash}\"}}")
        );
    }
}
