//! Assets: one row per photo in a user's library, pointing at a shared blob.

use sqlx::Row;

use super::jobs::{NewJob, insert_job};
use super::{Catalog, parse_id};
use crate::{AssetId, ContentHash, StorageError, UserId, now_ms};

/// A new asset, as the upload path describes it.
#[derive(Clone, Debug)]
pub struct NewAsset {
    /// Chosen by the caller, so jobs enqueued with the asset can name it.
    pub id: AssetId,
    pub owner: UserId,
    pub hash: ContentHash,
    pub size: u64,
    pub original_name: String,
    pub media_type: String,
    pub format: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    /// ISO 8601 as the camera recorded it (with offset when known).
    pub taken_at: Option<String>,
    /// Taken time in ms when known; the upload time is used otherwise.
    pub taken_at_ms: Option<i64>,
    /// Metadata as JSON text.
    pub exif: Option<String>,
}

/// An asset as stored.
#[derive(Clone, Debug)]
pub struct AssetRecord {
    pub id: AssetId,
    pub owner: UserId,
    pub hash: ContentHash,
    pub original_name: String,
    pub media_type: String,
    pub format: String,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    pub taken_at: Option<String>,
    pub sort_at: i64,
    pub exif: Option<String>,
    pub created_at: i64,
}

/// The outcome of recording an upload.
#[derive(Clone, Debug)]
pub enum AssetInsert {
    /// A new asset (and its jobs) were recorded.
    Created(AssetRecord),
    /// The owner already had these bytes: here is that asset.
    Duplicate(AssetRecord),
}

/// Position in the newest-first listing: (sort_at, id) of the last item seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortCursor {
    pub sort_at: i64,
    pub id: AssetId,
}

/// One page of a listing.
#[derive(Clone, Debug)]
pub struct AssetPage {
    pub assets: Vec<AssetRecord>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<SortCursor>,
}

const ASSET_COLUMNS: &str = "id, owner_id, blob_hash, original_name, media_type, format, size,
     width, height, orientation, taken_at, sort_at, exif, created_at";

fn opt_u32(v: Option<i64>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

fn asset_from_row(row: &sqlx::any::AnyRow) -> Result<AssetRecord, StorageError> {
    Ok(AssetRecord {
        id: parse_id("assets.id", &row.try_get::<String, _>("id")?)?,
        owner: parse_id("assets.owner_id", &row.try_get::<String, _>("owner_id")?)?,
        hash: parse_id("assets.blob_hash", &row.try_get::<String, _>("blob_hash")?)?,
        original_name: row.try_get("original_name")?,
        media_type: row.try_get("media_type")?,
        format: row.try_get("format")?,
        size: row.try_get::<i64, _>("size")?.max(0) as u64,
        width: opt_u32(row.try_get("width")?),
        height: opt_u32(row.try_get("height")?),
        orientation: row
            .try_get::<Option<i64>, _>("orientation")?
            .and_then(|v| u16::try_from(v).ok()),
        taken_at: row.try_get("taken_at")?,
        sort_at: row.try_get("sort_at")?,
        exif: row.try_get("exif")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Catalog {
    /// The owner's asset holding exactly these bytes, if any.
    pub async fn find_asset_by_hash(
        &self,
        owner: &UserId,
        hash: &ContentHash,
    ) -> Result<Option<AssetRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets
             WHERE owner_id = $1 AND blob_hash = $2 AND deleted_at IS NULL"
        ));
        let row = sqlx::query(sql)
            .bind(owner.to_string())
            .bind(hash.to_hex())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(asset_from_row).transpose()
    }

    /// The owner's asset with this id. Other users' assets are "not found".
    pub async fn get_asset(
        &self,
        owner: &UserId,
        id: &AssetId,
    ) -> Result<AssetRecord, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets
             WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL"
        ));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .bind(owner.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => asset_from_row(&row),
            None => Err(StorageError::NotFound { what: "asset" }),
        }
    }

    /// Any asset by id, whoever owns it (for workers).
    pub async fn get_asset_any_owner(&self, id: &AssetId) -> Result<AssetRecord, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {ASSET_COLUMNS} FROM assets WHERE id = $1"));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => asset_from_row(&row),
            None => Err(StorageError::NotFound { what: "asset" }),
        }
    }

    /// Records an upload whose bytes are already published in the blob store:
    /// the blob row (insert-or-ignore, reference counted), the asset row
    /// (unique per owner and hash) and its jobs, in one transaction.
    #[tracing::instrument(skip_all, fields(owner = %new.owner, hash = %new.hash))]
    pub async fn insert_asset(
        &self,
        new: &NewAsset,
        jobs: &[NewJob],
    ) -> Result<AssetInsert, StorageError> {
        let now = now_ms();
        let id = new.id;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO blobs (hash, size, ref_count, created_at) VALUES ($1, $2, 0, $3)
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(new.hash.to_hex())
        .bind(new.size as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO assets (id, owner_id, blob_hash, original_name, media_type, format, size,
                width, height, orientation, taken_at, sort_at, exif, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (owner_id, blob_hash) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(new.owner.to_string())
        .bind(new.hash.to_hex())
        .bind(&new.original_name)
        .bind(&new.media_type)
        .bind(&new.format)
        .bind(new.size as i64)
        .bind(new.width.map(i64::from))
        .bind(new.height.map(i64::from))
        .bind(new.orientation.map(i64::from))
        .bind(new.taken_at.as_deref())
        .bind(new.taken_at_ms.unwrap_or(now)) // sort_at
        .bind(new.exif.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            // The owner already holds these bytes (perhaps a racing upload).
            tx.commit().await?;
            return self
                .find_asset_by_hash(&new.owner, &new.hash)
                .await?
                .map(AssetInsert::Duplicate)
                .ok_or(StorageError::NotFound { what: "asset" });
        }
        sqlx::query("UPDATE blobs SET ref_count = ref_count + 1 WHERE hash = $1")
            .bind(new.hash.to_hex())
            .execute(&mut *tx)
            .await?;
        for job in jobs {
            insert_job(&mut tx, job, Some(&id), now).await?;
        }
        tx.commit().await?;
        Ok(AssetInsert::Created(AssetRecord {
            id,
            owner: new.owner,
            hash: new.hash,
            original_name: new.original_name.clone(),
            media_type: new.media_type.clone(),
            format: new.format.clone(),
            size: new.size,
            width: new.width,
            height: new.height,
            orientation: new.orientation,
            taken_at: new.taken_at.clone(),
            sort_at: new.taken_at_ms.unwrap_or(now),
            exif: new.exif.clone(),
            created_at: now,
        }))
    }

    /// The owner's assets, newest taken first, `limit` at a time.
    pub async fn list_assets(
        &self,
        owner: &UserId,
        after: Option<&SortCursor>,
        limit: u32,
    ) -> Result<AssetPage, StorageError> {
        let limit = limit.clamp(1, 1000);
        // Keyset pagination: (sort_at, id) < cursor, expanded so that both
        // databases use the (owner_id, sort_at DESC, id DESC) index.
        let rows = match after {
            Some(cursor) => {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {ASSET_COLUMNS} FROM assets
                     WHERE owner_id = $1 AND deleted_at IS NULL
                       AND (sort_at < $2 OR (sort_at = $2 AND id < $3))
                     ORDER BY sort_at DESC, id DESC
                     LIMIT $4"
                ));
                sqlx::query(sql)
                    .bind(owner.to_string())
                    .bind(cursor.sort_at)
                    .bind(cursor.id.to_string())
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {ASSET_COLUMNS} FROM assets
                     WHERE owner_id = $1 AND deleted_at IS NULL
                     ORDER BY sort_at DESC, id DESC
                     LIMIT $2"
                ));
                sqlx::query(sql)
                    .bind(owner.to_string())
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let mut assets = rows
            .iter()
            .map(asset_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if assets.len() > limit as usize {
            assets.truncate(limit as usize);
            assets.last().map(|a| SortCursor {
                sort_at: a.sort_at,
                id: a.id,
            })
        } else {
            None
        };
        Ok(AssetPage { assets, next })
    }

    /// Number of blob rows and the sum of their reference counts.
    pub async fn blob_stats(&self) -> Result<(i64, i64), StorageError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(ref_count), 0) AS BIGINT) AS refs FROM blobs",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("refs")?))
    }
}
