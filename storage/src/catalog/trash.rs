//! The trash: deleting moves an asset there; it can be restored until it is
//! purged (after the retention period, or at once when the trash is emptied).
//! Purging releases the asset's blobs — the original (both files of a
//! RAW+JPEG pair) and its renditions —
//! and gives its bytes back to the owner's usage, in one transaction.

use sqlx::Row;

use super::assets::{ASSET_COLUMNS, AssetRecord, asset_from_row, get_in, get_locked};
use super::captures::release_second_files;
use super::changes::{ChangeKind, ChangeSubject::Asset, record_change};
use super::ledger::{Tx, count_on_timeline, refund_usage, release_blob};
use super::listing::{Bind, QueryText};
use super::{Catalog, parse_id};
use crate::{AssetId, StorageError, UserId, now_ms};

impl Catalog {
    /// Moves the owner's asset to the trash. Already trashed: nothing changes.
    pub async fn trash_asset(&self, owner: &UserId, id: &AssetId) -> Result<(), StorageError> {
        let mut tx = self.begin_write().await?;
        let asset = owned_in(&mut tx, owner, id, self.for_update()).await?;
        if asset.trashed_at.is_none() {
            let now = now_ms();
            sqlx::query("UPDATE assets SET deleted_at = $1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            count_on_timeline(&mut tx, owner, asset.taken_day, -1).await?;
            record_change(&mut tx, owner, ChangeKind::AssetTrashed, Asset(*id)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Brings the owner's asset back from the trash.
    pub async fn restore_asset(
        &self,
        owner: &UserId,
        id: &AssetId,
    ) -> Result<AssetRecord, StorageError> {
        let mut tx = self.begin_write().await?;
        let asset = owned_in(&mut tx, owner, id, self.for_update()).await?;
        let restored = if asset.trashed_at.is_some() {
            restore_in(&mut tx, &asset).await?
        } else {
            asset
        };
        tx.commit().await?;
        Ok(restored)
    }

    /// The owner's trash, most recently deleted first.
    pub async fn list_trash(
        &self,
        owner: &UserId,
        limit: u32,
    ) -> Result<Vec<AssetRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets
             WHERE owner_id = $1 AND deleted_at IS NOT NULL
             ORDER BY deleted_at DESC, id DESC LIMIT $2"
        ));
        let rows = sqlx::query(sql)
            .bind(owner.to_string())
            .bind(i64::from(limit.clamp(1, 1000)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(asset_from_row).collect()
    }

    /// Purges one asset of the owner's trash now.
    pub async fn purge_asset(&self, owner: &UserId, id: &AssetId) -> Result<(), StorageError> {
        let mut tx = self.begin_write().await?;
        let asset = owned_in(&mut tx, owner, id, self.for_update()).await?;
        if asset.trashed_at.is_none() {
            return Err(StorageError::Conflict(
                "only assets in the trash can be purged; delete it first".into(),
            ));
        }
        purge_in(&mut tx, &asset).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Purges everything in the owner's trash; returns how many went.
    pub async fn empty_trash(&self, owner: &UserId) -> Result<u64, StorageError> {
        let owner = Bind::Text(owner.to_string());
        self.purge_where("owner_id = $1 AND deleted_at IS NOT NULL", &owner)
            .await
    }

    /// Purges every asset trashed before `cutoff_ms` (the retention period
    /// has passed); returns how many went.
    pub async fn purge_expired_trash(&self, cutoff_ms: i64) -> Result<u64, StorageError> {
        self.purge_where(
            "deleted_at IS NOT NULL AND deleted_at < $1",
            &Bind::Int(cutoff_ms),
        )
        .await
    }

    /// Purges the assets `condition` selects, one transaction each, so a
    /// large trash never holds the write lock for long.
    async fn purge_where(&self, condition: &str, value: &Bind) -> Result<u64, StorageError> {
        let q = QueryText {
            text: format!("SELECT id FROM assets WHERE {condition} LIMIT 500"),
            binds: vec![value.clone()],
        };
        let mut purged = 0;
        loop {
            let rows = q.query().fetch_all(&self.pool).await?;
            if rows.is_empty() {
                return Ok(purged);
            }
            for row in rows {
                let id: AssetId = parse_id("assets.id", &row.try_get::<String, _>("id")?)?;
                let mut tx = self.begin_write().await?;
                // Restored meanwhile, or purged by someone else: skip it.
                match get_locked(&mut tx, &id, self.for_update()).await {
                    Ok(asset) if asset.trashed_at.is_some() => {
                        purge_in(&mut tx, &asset).await?;
                        tx.commit().await?;
                        purged += 1;
                    }
                    Ok(_) | Err(StorageError::NotFound { .. }) => tx.rollback().await?,
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

/// The owner's asset by id, in the library or the trash, locked inside `tx`.
async fn owned_in(
    tx: &mut Tx,
    owner: &UserId,
    id: &AssetId,
    lock: &str,
) -> Result<AssetRecord, StorageError> {
    match get_locked(tx, id, lock).await {
        Ok(asset) if asset.owner == *owner => Ok(asset),
        Ok(_) => Err(StorageError::NotFound { what: "asset" }),
        Err(e) => Err(e),
    }
}

/// Takes a trashed asset back into the library.
pub(super) async fn restore_in(
    tx: &mut Tx,
    asset: &AssetRecord,
) -> Result<AssetRecord, StorageError> {
    sqlx::query("UPDATE assets SET deleted_at = NULL, updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(asset.id.to_string())
        .execute(&mut **tx)
        .await?;
    count_on_timeline(tx, &asset.owner, asset.taken_day, 1).await?;
    record_change(tx, &asset.owner, ChangeKind::AssetRestored, Asset(asset.id)).await?;
    get_in(tx, &asset.id).await
}

/// Deletes a trashed asset's row and everything that hangs off it (the
/// schema cascades renditions, album entries, keywords, jobs and share
/// links), releasing its blobs and its bytes of usage.
async fn purge_in(tx: &mut Tx, asset: &AssetRecord) -> Result<(), StorageError> {
    super::renditions::drop_renditions(tx, &asset.id).await?;
    release_blob(tx, &asset.hash).await?;
    let second_files = release_second_files(tx, &asset.id).await?;
    // Deleting clears the album covers it was (locking those albums) before
    // the owner's row is locked: the catalog's lock order (see `changes`).
    sqlx::query("DELETE FROM assets WHERE id = $1")
        .bind(asset.id.to_string())
        .execute(&mut **tx)
        .await?;
    refund_usage(tx, &asset.owner, asset.size + second_files).await?;
    record_change(tx, &asset.owner, ChangeKind::AssetPurged, Asset(asset.id)).await?;
    Ok(())
}
