//! The catalog's side of blob garbage collection.
//!
//! A blob row whose `ref_count` fell to 0 is an orphan from `orphaned_at` on.
//! Collection takes only orphans older than a grace period, and in two steps
//! that a crash can interrupt anywhere: mark the row `deleting_at` (a
//! conditional update, so it loses any race with a writer), delete the object,
//! then forget the row. Whoever is about to store bytes first *pins* their
//! row: it exists, its grace period starts again, and a row being deleted
//! makes the pin fail (retry later) instead of letting the bytes vanish after
//! they were written. So a concurrent upload of the same bytes never loses
//! its blob.

use std::collections::HashSet;

use sqlx::Row;

use super::listing::{Bind, QueryText};

use super::{Catalog, parse_id};
use crate::{ContentHash, StorageError, now_ms};

/// Storage totals for admins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageTotals {
    /// Blob rows (originals and renditions), and their bytes as stored.
    pub blobs: i64,
    pub stored_bytes: i64,
    /// Bytes of all originals as users hold them (each user's copy counted).
    pub original_bytes: i64,
    /// Bytes of the distinct originals actually stored.
    pub distinct_original_bytes: i64,
    /// Bytes of renditions as stored.
    pub rendition_bytes: i64,
    /// Orphaned blobs waiting for collection, and their bytes.
    pub orphaned_blobs: i64,
    pub orphaned_bytes: i64,
}

impl StorageTotals {
    /// What deduplication saves: originals held minus originals stored.
    pub fn saved_by_dedup(&self) -> i64 {
        (self.original_bytes - self.distinct_original_bytes).max(0)
    }
}

impl Catalog {
    /// Ensures a row for `hash` before its bytes are (re)written, and restarts
    /// its grace period if it is an orphan. `Busy` when the blob is being
    /// collected right now: try again once the collector has finished.
    /// An original's `sha1` (lowercase hex, computed as it streamed in) is
    /// recorded with the row, for clients that look files up by it.
    pub async fn pin_blob(
        &self,
        hash: &ContentHash,
        size: u64,
        sha1: Option<&str>,
    ) -> Result<(), StorageError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO blobs (hash, size, ref_count, created_at, orphaned_at, sha1)
             VALUES ($1, $2, 0, $3, $3, $4)
             ON CONFLICT (hash) DO UPDATE SET orphaned_at =
                CASE WHEN blobs.ref_count = 0 THEN excluded.orphaned_at ELSE NULL END,
                sha1 = COALESCE(blobs.sha1, excluded.sha1)",
        )
        .bind(hash.to_hex())
        .bind(size as i64)
        .bind(now)
        .bind(sha1)
        .execute(&mut *tx)
        .await?;
        let deleting: Option<i64> = sqlx::query("SELECT deleting_at FROM blobs WHERE hash = $1")
            .bind(hash.to_hex())
            .fetch_one(&mut *tx)
            .await?
            .try_get("deleting_at")?;
        tx.commit().await?;
        match deleting {
            None => Ok(()),
            Some(_) => Err(StorageError::Busy(
                "these bytes are being garbage-collected at this moment; try again in a few seconds"
                    .into(),
            )),
        }
    }

    /// Orphans whose grace period ended before `cutoff_ms`, oldest first.
    pub async fn collectable_blobs(
        &self,
        cutoff_ms: i64,
        limit: u32,
    ) -> Result<Vec<ContentHash>, StorageError> {
        let rows = sqlx::query(
            "SELECT hash FROM blobs
             WHERE ref_count = 0 AND orphaned_at < $1 AND deleting_at IS NULL
             ORDER BY orphaned_at LIMIT $2",
        )
        .bind(cutoff_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| parse_id("blobs.hash", &r.try_get::<String, _>("hash")?))
            .collect()
    }

    /// Claims an orphan for deletion; false when it was referenced or pinned
    /// since (then it must stay).
    pub async fn mark_blob_deleting(
        &self,
        hash: &ContentHash,
        cutoff_ms: i64,
    ) -> Result<bool, StorageError> {
        let marked = sqlx::query(
            "UPDATE blobs SET deleting_at = $1
             WHERE hash = $2 AND ref_count = 0 AND orphaned_at < $3 AND deleting_at IS NULL",
        )
        .bind(now_ms())
        .bind(hash.to_hex())
        .bind(cutoff_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(marked == 1)
    }

    /// Blobs claimed for deletion whose deletion has not finished (a
    /// collector stopped half-way): the next collection finishes them.
    pub async fn blobs_being_deleted(&self) -> Result<Vec<ContentHash>, StorageError> {
        let rows =
            sqlx::query("SELECT hash FROM blobs WHERE deleting_at IS NOT NULL AND ref_count = 0")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| parse_id("blobs.hash", &r.try_get::<String, _>("hash")?))
            .collect()
    }

    /// Forgets a claimed blob once its object is gone.
    pub async fn forget_blob(&self, hash: &ContentHash) -> Result<(), StorageError> {
        sqlx::query(
            "DELETE FROM blobs WHERE hash = $1 AND deleting_at IS NOT NULL AND ref_count = 0",
        )
        .bind(hash.to_hex())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Those of `hashes` the catalog has a row for (any state).
    pub async fn known_blobs(
        &self,
        hashes: &[ContentHash],
    ) -> Result<HashSet<ContentHash>, StorageError> {
        if hashes.is_empty() {
            return Ok(HashSet::new());
        }
        let mut q = QueryText::default();
        let list = q.bind_list(hashes.iter().map(|h| Bind::Text(h.to_hex())));
        q.text = format!("SELECT hash FROM blobs WHERE hash IN ({list})");
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| parse_id("blobs.hash", &r.try_get::<String, _>("hash")?))
            .collect()
    }

    /// Every hash the catalog still refers to (ref_count > 0), for scrubbing.
    pub async fn referenced_blobs(&self) -> Result<Vec<(ContentHash, u64)>, StorageError> {
        let rows = sqlx::query("SELECT hash, size FROM blobs WHERE ref_count > 0 ORDER BY hash")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_id("blobs.hash", &r.try_get::<String, _>("hash")?)?,
                    r.try_get::<i64, _>("size")?.max(0) as u64,
                ))
            })
            .collect()
    }

    /// Recounts every blob's references from the assets and renditions that
    /// point at it; returns the rows that were wrong as (hash, stored, counted)
    /// after fixing them.
    pub async fn recount_blob_refs(&self) -> Result<Vec<(ContentHash, i64, i64)>, StorageError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(super::integrity::BLOB_REFS_SQL)
            .fetch_all(&mut *tx)
            .await?;
        let mut wrong = Vec::new();
        for row in rows {
            let stored: i64 = row.try_get("ref_count")?;
            let counted: i64 = row.try_get("counted")?;
            if stored != counted {
                let hash: ContentHash = parse_id("blobs.hash", &row.try_get::<String, _>("hash")?)?;
                sqlx::query(
                    "UPDATE blobs SET ref_count = $1,
                        orphaned_at = CASE WHEN $1 = 0 THEN $2 ELSE NULL END
                     WHERE hash = $3",
                )
                .bind(counted)
                .bind(now_ms())
                .bind(hash.to_hex())
                .execute(&mut *tx)
                .await?;
                wrong.push((hash, stored, counted));
            }
        }
        tx.commit().await?;
        Ok(wrong)
    }

    /// Totals for the admin's storage report.
    pub async fn storage_totals(&self) -> Result<StorageTotals, StorageError> {
        let row = sqlx::query(
            "SELECT
                (SELECT COUNT(*) FROM blobs) AS blobs,
                (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs) AS stored_bytes,
                (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM assets)
                + (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM asset_files)
                    AS original_bytes,
                (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs
                    WHERE hash IN (SELECT blob_hash FROM assets
                        UNION SELECT blob_hash FROM asset_files)) AS distinct_original_bytes,
                (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs
                    WHERE hash IN (SELECT blob_hash FROM renditions)) AS rendition_bytes,
                (SELECT COUNT(*) FROM blobs WHERE ref_count = 0) AS orphaned_blobs,
                (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM blobs
                    WHERE ref_count = 0) AS orphaned_bytes",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(StorageTotals {
            blobs: row.try_get("blobs")?,
            stored_bytes: row.try_get("stored_bytes")?,
            original_bytes: row.try_get("original_bytes")?,
            distinct_original_bytes: row.try_get("distinct_original_bytes")?,
            rendition_bytes: row.try_get("rendition_bytes")?,
            orphaned_blobs: row.try_get("orphaned_blobs")?,
            orphaned_bytes: row.try_get("orphaned_bytes")?,
        })
    }
}
