//! Edit versions: every save of an asset's edit recipe, kept. The recipe is
//! opaque JSON here (the pipeline owns its meaning); the catalog keeps the
//! history, the current version and its fingerprint, and queues the
//! re-render in the same transaction as the save.

use sqlx::Row;

use super::Catalog;
use super::assets::get_locked;
use super::changes::{ChangeKind, ChangeSubject, record_change};
use super::jobs::{NewJob, insert_job};
use crate::{AssetId, StorageError, UserId, now_ms};

/// One saved version of an asset's edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditVersion {
    /// 1 for the first save.
    pub version: u32,
    /// The recipe's canonical JSON.
    pub recipe: String,
    /// The recipe's fingerprint ('' for one that changes nothing).
    pub recipe_hash: String,
    pub created_at: i64,
}

fn version_from_row(row: &sqlx::any::AnyRow) -> Result<EditVersion, StorageError> {
    Ok(EditVersion {
        version: row.try_get::<i64, _>("version")?.clamp(0, u32::MAX as i64) as u32,
        recipe: row.try_get("recipe")?,
        recipe_hash: row.try_get("recipe_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Catalog {
    /// Saves `recipe` as the owner's asset's next edit version, makes it
    /// current and queues `jobs` (the re-render), atomically. Saving the
    /// current recipe again still makes a version: the history shows what
    /// was done, reverts included.
    pub async fn save_edit(
        &self,
        owner: &UserId,
        id: &AssetId,
        recipe: &str,
        recipe_hash: &str,
        jobs: &[NewJob],
    ) -> Result<EditVersion, StorageError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        // Locked on PostgreSQL, so that two saves number their versions
        // one after the other.
        let asset = get_locked(&mut tx, id, self.for_update()).await?;
        if asset.owner != *owner || asset.trashed_at.is_some() {
            return Err(StorageError::NotFound { what: "asset" });
        }
        let version: i64 = sqlx::query(
            "SELECT COALESCE(MAX(version), 0) + 1 AS next FROM asset_edits WHERE asset_id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get("next")?;
        sqlx::query(
            "INSERT INTO asset_edits (asset_id, version, recipe, recipe_hash, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(version)
        .bind(recipe)
        .bind(recipe_hash)
        .bind(now)
        .bind(owner.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE assets SET edit_version = $1, recipe_hash = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(version)
        .bind(recipe_hash)
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        for job in jobs {
            insert_job(&mut tx, job, owner, now).await?;
        }
        record_change(
            &mut tx,
            owner,
            ChangeKind::AssetEdited,
            ChangeSubject::Asset(*id),
        )
        .await?;
        tx.commit().await?;
        Ok(EditVersion {
            version: version.clamp(0, u32::MAX as i64) as u32,
            recipe: recipe.to_string(),
            recipe_hash: recipe_hash.to_string(),
            created_at: now,
        })
    }

    /// Every saved version of the owner's asset's edit, newest first.
    pub async fn edit_history(
        &self,
        owner: &UserId,
        id: &AssetId,
    ) -> Result<Vec<EditVersion>, StorageError> {
        self.get_asset(owner, id).await?;
        let rows = sqlx::query(
            "SELECT version, recipe, recipe_hash, created_at FROM asset_edits
             WHERE asset_id = $1 ORDER BY version DESC",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// The asset's current edit (any owner: for workers and shares), or
    /// `None` when it was never edited.
    pub async fn current_edit(&self, id: &AssetId) -> Result<Option<EditVersion>, StorageError> {
        let row = sqlx::query(
            "SELECT e.version, e.recipe, e.recipe_hash, e.created_at
             FROM assets a JOIN asset_edits e ON e.asset_id = a.id AND e.version = a.edit_version
             WHERE a.id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(version_from_row).transpose()
    }
}
