//! The catalog's side of `fsck`: queries that compare what the catalog
//! records against what it can recount, and the few repairs that are safe.
//!
//! Each check is one statement, so it reads one consistent state even while
//! servers write; `fsck` still confirms a finding by asking twice, because
//! two statements (the timeline's) can straddle a write.

use sqlx::Row;

use super::jobs::{Job, NewJob, insert_job};
use super::ledger::{record_stored, release_blob};
use super::{Catalog, parse_id};
use crate::{AssetId, ContentHash, StorageError, UserId, now_ms};

/// Counts a blob's references from the rows that point at it.
pub(super) const BLOB_REFS_SQL: &str = "SELECT b.hash, b.ref_count,
        (SELECT COUNT(*) FROM assets a WHERE a.blob_hash = b.hash)
        + (SELECT COUNT(*) FROM renditions r WHERE r.blob_hash = b.hash)
        + (SELECT COUNT(*) FROM asset_files f WHERE f.blob_hash = b.hash) AS counted
     FROM blobs b";

/// A user's stored bytes: as recorded, as recounted from their assets, and
/// as the metering report has them (its latest day).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageCheck {
    pub user: UserId,
    pub name: String,
    pub recorded: i64,
    pub counted: i64,
    /// `None` when the user has no metering row yet.
    pub metered: Option<i64>,
}

impl UsageCheck {
    /// True when recorded, metered and counted usage agree.
    pub fn agrees(&self) -> bool {
        self.recorded == self.counted && self.metered.unwrap_or(0) == self.counted
    }
}

/// A user's change feed: how many entries it holds and its ends, against the
/// counter new changes are numbered from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedCheck {
    pub user: UserId,
    pub name: String,
    pub counter: i64,
    pub entries: i64,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

impl FeedCheck {
    /// Sequence numbers missing between the feed's ends.
    pub fn missing(&self) -> i64 {
        match (self.first, self.last) {
            (Some(first), Some(last)) => last - first + 1 - self.entries,
            _ => 0,
        }
    }

    /// True when the feed has no holes and ends where the counter is.
    pub fn agrees(&self) -> bool {
        self.missing() == 0 && self.last.unwrap_or(0) == self.counter
    }
}

/// Who refers to a blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobUser {
    /// The original of an asset (its owner's name).
    Original { asset: AssetId, owner: String },
    /// A rendition of an asset.
    Rendition { asset: AssetId, name: String },
}

impl Catalog {
    /// Blobs whose recorded reference count differs from the rows that
    /// point at them: (hash, recorded, counted).
    pub async fn blob_ref_mismatches(&self) -> Result<Vec<(ContentHash, i64, i64)>, StorageError> {
        // Constants only: no input reaches this text.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT * FROM ({BLOB_REFS_SQL}) c WHERE c.ref_count <> c.counted ORDER BY c.hash"
        ));
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_id("blobs.hash", &r.try_get::<String, _>("hash")?)?,
                    r.try_get("ref_count")?,
                    r.try_get("counted")?,
                ))
            })
            .collect()
    }

    /// Every user's usage, recorded, recounted and metered.
    pub async fn usage_checks(&self) -> Result<Vec<UsageCheck>, StorageError> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.usage_bytes,
                (SELECT CAST(COALESCE(SUM(a.size), 0) AS BIGINT) FROM assets a
                    WHERE a.owner_id = u.id)
                + (SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM asset_files f
                    WHERE f.owner_id = u.id) AS counted,
                (SELECT d.bytes_stored FROM usage_daily d WHERE d.user_id = u.id
                    ORDER BY d.day DESC LIMIT 1) AS metered
             FROM users u ORDER BY u.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UsageCheck {
                    user: parse_id("users.id", &r.try_get::<String, _>("id")?)?,
                    name: r.try_get("name")?,
                    recorded: r.try_get("usage_bytes")?,
                    counted: r.try_get("counted")?,
                    metered: r.try_get("metered")?,
                })
            })
            .collect()
    }

    /// Sets a user's usage to the sum of their assets, and today's metering
    /// row with it (the metering report carries the last row forward).
    pub async fn reset_usage(&self, user: &UserId) -> Result<(), StorageError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE users SET usage_bytes = (SELECT CAST(COALESCE(SUM(a.size), 0) AS BIGINT)
                 FROM assets a WHERE a.owner_id = users.id)
                 + (SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT)
                 FROM asset_files f WHERE f.owner_id = users.id)
             WHERE id = $1",
        )
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        record_stored(&mut tx, user).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every user's change feed, summarised.
    pub async fn feed_checks(&self) -> Result<Vec<FeedCheck>, StorageError> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.change_seq, COUNT(c.seq) AS entries,
                MIN(c.seq) AS first, MAX(c.seq) AS last
             FROM users u LEFT JOIN changes c ON c.owner_id = u.id
             GROUP BY u.id, u.name, u.change_seq ORDER BY u.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FeedCheck {
                    user: parse_id("users.id", &r.try_get::<String, _>("id")?)?,
                    name: r.try_get("name")?,
                    counter: r.try_get("change_seq")?,
                    entries: r.try_get("entries")?,
                    first: r.try_get("first")?,
                    last: r.try_get("last")?,
                })
            })
            .collect()
    }

    /// Every distinct blob an asset or a rendition points at.
    pub async fn blobs_in_use(&self) -> Result<Vec<ContentHash>, StorageError> {
        let rows = sqlx::query(
            "SELECT blob_hash FROM assets UNION SELECT blob_hash FROM asset_files
             UNION SELECT blob_hash FROM renditions ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| parse_id("blob_hash", &r.try_get::<String, _>(0)?))
            .collect()
    }

    /// The blobs among `hashes` the catalog has no row for.
    pub async fn unrecorded_blobs(
        &self,
        hashes: &[ContentHash],
    ) -> Result<Vec<ContentHash>, StorageError> {
        let known = self.known_blobs(hashes).await?;
        Ok(hashes
            .iter()
            .filter(|h| !known.contains(h))
            .copied()
            .collect())
    }

    /// The assets and renditions that point at `hash`.
    pub async fn users_of_blob(&self, hash: &ContentHash) -> Result<Vec<BlobUser>, StorageError> {
        let mut users = Vec::new();
        let originals = sqlx::query(
            "SELECT a.id, u.name FROM assets a JOIN users u ON u.id = a.owner_id
             WHERE a.blob_hash = $1 ORDER BY a.id",
        )
        .bind(hash.to_hex())
        .fetch_all(&self.pool)
        .await?;
        for r in originals {
            users.push(BlobUser::Original {
                asset: parse_id("assets.id", &r.try_get::<String, _>("id")?)?,
                owner: r.try_get("name")?,
            });
        }
        let second_files = sqlx::query(
            "SELECT f.asset_id, u.name FROM asset_files f JOIN users u ON u.id = f.owner_id
             WHERE f.blob_hash = $1 ORDER BY f.asset_id",
        )
        .bind(hash.to_hex())
        .fetch_all(&self.pool)
        .await?;
        for r in second_files {
            users.push(BlobUser::Original {
                asset: parse_id("asset_files.asset_id", &r.try_get::<String, _>("asset_id")?)?,
                owner: r.try_get("name")?,
            });
        }
        let renditions = sqlx::query(
            "SELECT asset_id, name FROM renditions WHERE blob_hash = $1 ORDER BY asset_id, name",
        )
        .bind(hash.to_hex())
        .fetch_all(&self.pool)
        .await?;
        for r in renditions {
            users.push(BlobUser::Rendition {
                asset: parse_id("renditions.asset_id", &r.try_get::<String, _>("asset_id")?)?,
                name: r.try_get("name")?,
            });
        }
        Ok(users)
    }

    /// Assets with neither a rendition nor a render job in any state: no
    /// worker will ever give them a thumbnail.
    pub async fn assets_never_rendered(&self) -> Result<Vec<(AssetId, String)>, StorageError> {
        let rows = sqlx::query(
            "SELECT a.id, u.name FROM assets a JOIN users u ON u.id = a.owner_id
             WHERE NOT EXISTS (SELECT 1 FROM renditions r WHERE r.asset_id = a.id)
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.asset_id = a.id AND j.kind = $1)
             ORDER BY a.id",
        )
        .bind(super::jobs::RENDER_JOB_KIND)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_id("assets.id", &r.try_get::<String, _>("id")?)?,
                    r.try_get("name")?,
                ))
            })
            .collect()
    }

    /// Forgets the asset's renditions named `names` (their objects are
    /// gone) and queues a render of the asset, in one transaction.
    pub async fn render_again(
        &self,
        asset: &AssetId,
        names: &[String],
        max_attempts: u32,
    ) -> Result<(), StorageError> {
        let mut tx = self.begin_write().await?;
        let Some(owner) = sqlx::query("SELECT owner_id FROM assets WHERE id = $1")
            .bind(asset.to_string())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(());
        };
        let owner: UserId = parse_id("assets.owner_id", &owner.try_get::<String, _>(0)?)?;
        for name in names {
            let gone = sqlx::query(
                "DELETE FROM renditions WHERE asset_id = $1 AND name = $2 RETURNING blob_hash",
            )
            .bind(asset.to_string())
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = gone {
                let hash: ContentHash = parse_id("blob_hash", &row.try_get::<String, _>(0)?)?;
                release_blob(&mut tx, &hash).await?;
            }
        }
        let job = NewJob {
            job: Job::RenderRenditions { asset_id: *asset },
            max_attempts,
        };
        insert_job(&mut tx, &job, &owner, now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }
}
