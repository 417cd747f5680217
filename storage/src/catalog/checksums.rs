//! SHA-1s of originals, for clients that name files by them (Immich's
//! bulk upload check). BLAKE3 stays the only identity of a blob; the SHA-1
//! is looked up, never trusted to name bytes.

use sqlx::Row;

use super::listing::{Bind, QueryText};
use super::{Catalog, parse_id};
use crate::{AssetId, ContentHash, StorageError, UserId};

/// One of the owner's assets whose bytes have a SHA-1 asked about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sha1Match {
    /// Lowercase hex.
    pub sha1: String,
    pub asset: AssetId,
    /// In the trash.
    pub trashed: bool,
}

impl Catalog {
    /// The owner's assets (library and trash) whose bytes have one of
    /// `sha1s` (lowercase hex).
    pub async fn owned_by_sha1(
        &self,
        owner: &UserId,
        sha1s: &[String],
    ) -> Result<Vec<Sha1Match>, StorageError> {
        if sha1s.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryText::default();
        let owner_p = q.bind(Bind::Text(owner.to_string()));
        let list = q.bind_list(sha1s.iter().map(|v| Bind::Text(v.clone())));
        q.text = format!(
            "SELECT b.sha1 AS sha1, a.id AS id, a.deleted_at AS deleted_at
             FROM blobs b JOIN assets a ON a.blob_hash = b.hash
             WHERE b.sha1 IN ({list}) AND a.owner_id = {owner_p}"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(Sha1Match {
                    sha1: row.try_get("sha1")?,
                    asset: parse_id("assets.id", &row.try_get::<String, _>("id")?)?,
                    trashed: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Up to `limit` originals (blobs some asset uses) without a SHA-1,
    /// after `after` in hash order: what `admin backfill-sha1` reads.
    pub async fn originals_without_sha1(
        &self,
        after: Option<&ContentHash>,
        limit: u32,
    ) -> Result<Vec<ContentHash>, StorageError> {
        let rows = sqlx::query(
            "SELECT b.hash AS hash FROM blobs b
             WHERE b.sha1 IS NULL AND b.hash > $1
               AND (EXISTS (SELECT 1 FROM assets a WHERE a.blob_hash = b.hash)
                 OR EXISTS (SELECT 1 FROM asset_files f WHERE f.blob_hash = b.hash))
             ORDER BY b.hash LIMIT $2",
        )
        .bind(after.map_or(String::new(), ContentHash::to_hex))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| parse_id("blobs.hash", &r.try_get::<String, _>("hash")?))
            .collect()
    }

    /// How many originals have no SHA-1 yet.
    pub async fn originals_without_sha1_count(&self) -> Result<i64, StorageError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM blobs b WHERE b.sha1 IS NULL
               AND (EXISTS (SELECT 1 FROM assets a WHERE a.blob_hash = b.hash)
                 OR EXISTS (SELECT 1 FROM asset_files f WHERE f.blob_hash = b.hash))",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Records a SHA-1 computed afterwards (by the backfill); uploads give
    /// theirs to [`Catalog::pin_blob`].
    pub async fn set_blob_sha1(&self, hash: &ContentHash, sha1: &str) -> Result<(), StorageError> {
        sqlx::query("UPDATE blobs SET sha1 = $1 WHERE hash = $2 AND sha1 IS NULL")
            .bind(sha1)
            .bind(hash.to_hex())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
