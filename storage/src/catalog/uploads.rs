//! Resumable uploads: how far each one has come. The bytes themselves are
//! parts in the blob store ([`crate::BlobStore::upload_part`]); a part counts
//! only once [`Catalog::advance_upload`] has listed it (a row of
//! `upload_parts`), so a part written by a request that then lost a race, or
//! died, is ignored (and swept with the upload).

use sqlx::Row;

use super::{Catalog, parse_id};
use crate::{AssetId, StorageError, UploadId, UserId, now_ms};

/// An upload in progress (or finished, until it expires).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRecord {
    pub id: UploadId,
    pub owner: UserId,
    /// The whole file's length, declared when the upload was created.
    pub length: u64,
    /// Bytes received and kept, from the start.
    pub received: u64,
    /// How many parts hold them (see [`Catalog::upload_parts`]).
    pub part_count: u64,
    /// The client's `Upload-Metadata` header, as sent.
    pub metadata: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// The asset the bytes became, and how (`created`, `duplicate`, `restored`).
    pub finished: Option<(AssetId, String)>,
}

impl UploadRecord {
    /// True once every byte has arrived.
    pub fn is_complete(&self) -> bool {
        self.received == self.length
    }
}

const UPLOAD_COLUMNS: &str = "id, owner_id, length, received, metadata, created_at, expires_at,
    asset_id, outcome,
    (SELECT COUNT(*) FROM upload_parts p WHERE p.upload_id = uploads.id) AS part_count";

fn upload_from_row(row: &sqlx::any::AnyRow) -> Result<UploadRecord, StorageError> {
    let asset: Option<String> = row.try_get("asset_id")?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let finished = match (asset, outcome) {
        (Some(asset), Some(outcome)) => Some((parse_id("uploads.asset_id", &asset)?, outcome)),
        _ => None,
    };
    Ok(UploadRecord {
        id: parse_id("uploads.id", &row.try_get::<String, _>("id")?)?,
        owner: parse_id("uploads.owner_id", &row.try_get::<String, _>("owner_id")?)?,
        length: row.try_get::<i64, _>("length")? as u64,
        received: row.try_get::<i64, _>("received")? as u64,
        part_count: row.try_get::<i64, _>("part_count")? as u64,
        metadata: row.try_get("metadata")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        finished,
    })
}

impl Catalog {
    /// Records a new, empty upload of `length` bytes that expires at `expires_at`.
    pub async fn create_upload(
        &self,
        owner: &UserId,
        length: u64,
        metadata: &str,
        expires_at: i64,
    ) -> Result<UploadRecord, StorageError> {
        self.insert_upload(owner, length, metadata, expires_at, None)
            .await
    }

    /// Records an upload that is finished as it is created: the owner
    /// already holds its bytes (as `asset`), so none need to be sent.
    pub async fn create_finished_upload(
        &self,
        owner: &UserId,
        length: u64,
        metadata: &str,
        expires_at: i64,
        finished: (&AssetId, &str),
    ) -> Result<UploadRecord, StorageError> {
        self.insert_upload(owner, length, metadata, expires_at, Some(finished))
            .await
    }

    /// A new upload's row: empty, or (with the asset it is) complete.
    async fn insert_upload(
        &self,
        owner: &UserId,
        length: u64,
        metadata: &str,
        expires_at: i64,
        finished: Option<(&AssetId, &str)>,
    ) -> Result<UploadRecord, StorageError> {
        let id = UploadId::new();
        let received = if finished.is_some() { length } else { 0 };
        sqlx::query(
            "INSERT INTO uploads
               (id, owner_id, length, received, metadata, created_at, expires_at, asset_id, outcome)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(owner.to_string())
        .bind(length as i64)
        .bind(received as i64)
        .bind(metadata)
        .bind(now_ms())
        .bind(expires_at)
        .bind(finished.map(|(asset, _)| asset.to_string()))
        .bind(finished.map(|(_, outcome)| outcome.to_string()))
        .execute(&self.pool)
        .await?;
        self.get_upload(owner, &id).await
    }

    /// The owner's upload; another user's, or an expired one, is not found.
    pub async fn get_upload(
        &self,
        owner: &UserId,
        id: &UploadId,
    ) -> Result<UploadRecord, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads
             WHERE id = $1 AND owner_id = $2 AND expires_at > $3"
        ));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .bind(owner.to_string())
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => upload_from_row(&row),
            None => Err(StorageError::NotFound { what: "upload" }),
        }
    }

    /// Lists `part` (holding bytes `from..to`), moving `received` to `to`
    /// and the expiry to `expires_at`, only if the upload is still at `from`
    /// and has not expired. False when another request got there first (or
    /// the upload went): the caller's part then does not count.
    pub async fn advance_upload(
        &self,
        id: &UploadId,
        part: &str,
        from: u64,
        to: u64,
        expires_at: i64,
    ) -> Result<bool, StorageError> {
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(
            "UPDATE uploads SET received = $1, expires_at = $2
             WHERE id = $3 AND received = $4 AND received < $1 AND $1 <= length
               AND expires_at > $5",
        )
        .bind(to as i64)
        .bind(expires_at)
        .bind(id.to_string())
        .bind(from as i64)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO upload_parts (upload_id, start, part) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(from as i64)
            .bind(part)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The blob store parts of an upload, in order.
    pub async fn upload_parts(&self, id: &UploadId) -> Result<Vec<String>, StorageError> {
        Ok(
            sqlx::query_scalar("SELECT part FROM upload_parts WHERE upload_id = $1 ORDER BY start")
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// How many of the owner's uploads are open (unfinished, unexpired),
    /// and the bytes they have declared: what they will store once done.
    pub async fn open_uploads(&self, owner: &UserId) -> Result<(u64, u64), StorageError> {
        let (count, bytes): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(length), 0) AS BIGINT) FROM uploads
             WHERE owner_id = $1 AND asset_id IS NULL AND expires_at > $2",
        )
        .bind(owner.to_string())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok((count.max(0) as u64, bytes.max(0) as u64))
    }

    /// Records the asset a complete upload became.
    pub async fn finish_upload(
        &self,
        id: &UploadId,
        asset: &AssetId,
        outcome: &str,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE uploads SET asset_id = $1, outcome = $2 WHERE id = $3")
            .bind(asset.to_string())
            .bind(outcome)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets an upload (its parts must already be gone, or be going).
    pub async fn delete_upload(&self, id: &UploadId) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether the catalog has a row for the upload, expired or not.
    pub async fn upload_exists(&self, id: &UploadId) -> Result<bool, StorageError> {
        Ok(sqlx::query("SELECT 1 AS one FROM uploads WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// Up to `limit` uploads whose expiry passed before `now`.
    pub async fn expired_uploads(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<UploadId>, StorageError> {
        let rows = sqlx::query(
            "SELECT id FROM uploads WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| parse_id("uploads.id", &row.try_get::<String, _>("id")?))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migration 0011 turns the parts an earlier version listed in a string
    /// into rows, in their order, ahead of any part added after it.
    #[tokio::test]
    async fn parts_listed_by_earlier_versions_become_rows_in_order() {
        let (_dir, catalog) = crate::catalog::test_catalog().await;
        let owner = catalog.create_user("ann", false).await.unwrap().id;
        let upload = catalog
            .create_upload(&owner, 100, "", now_ms() + 60_000)
            .await
            .unwrap();
        // As an earlier version left it: parts in a string, no rows.
        sqlx::query(
            "UPDATE uploads SET parts = ' p-one p-two  p-three', received = 30 WHERE id = $1",
        )
        .bind(upload.id.to_string())
        .execute(&catalog.pool)
        .await
        .unwrap();
        let migration = include_str!("../../../migrations/sqlite/0011_upload_parts.sql").replace(
            "CREATE TABLE upload_parts",
            "CREATE TABLE IF NOT EXISTS upload_parts",
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(migration))
            .execute(&catalog.pool)
            .await
            .unwrap();
        assert!(
            catalog
                .advance_upload(&upload.id, "p-four", 30, 40, now_ms() + 60_000)
                .await
                .unwrap()
        );
        assert_eq!(
            catalog.upload_parts(&upload.id).await.unwrap(),
            ["p-one", "p-two", "p-three", "p-four"]
        );
        let now = catalog.get_upload(&owner, &upload.id).await.unwrap();
        assert_eq!((now.received, now.part_count), (40, 4));
        // A request that lost the race lists nothing.
        assert!(
            !catalog
                .advance_upload(&upload.id, "p-late", 30, 50, now_ms() + 60_000)
                .await
                .unwrap()
        );
        assert_eq!(catalog.upload_parts(&upload.id).await.unwrap().len(), 4);
        assert_eq!(catalog.open_uploads(&owner).await.unwrap(), (1, 100));
    }
}
