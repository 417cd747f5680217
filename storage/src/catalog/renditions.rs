//! Renditions: derived images (thumb, preview…) stored as blobs like originals.

use sqlx::Row;

use super::captures::second_file_rendered;
use super::changes::{ChangeKind, ChangeSubject, record_change};
use super::jobs::mark_done;
use super::ledger::{Tx, hold_blob, release_blob};
use super::listing::{Bind, QueryText};
use super::{Catalog, parse_id};
use crate::{AssetId, ContentHash, JobId, StorageError, UserId, now_ms};

/// A rendition a worker has just stored in the blob store.
#[derive(Clone, Debug)]
pub struct NewRendition {
    /// The name clients ask for (`thumb`, `preview`).
    pub name: String,
    /// The canonical spec it was rendered with (so a changed spec re-renders).
    pub spec: String,
    pub hash: ContentHash,
    pub media_type: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

/// A stored rendition.
#[derive(Clone, Debug)]
pub struct RenditionRecord {
    pub asset_id: AssetId,
    pub name: String,
    pub spec: String,
    /// The fingerprint of the edit recipe it was rendered with ('' unedited).
    pub recipe_hash: String,
    pub hash: ContentHash,
    pub media_type: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

fn rendition_from_row(row: &sqlx::any::AnyRow) -> Result<RenditionRecord, StorageError> {
    Ok(RenditionRecord {
        asset_id: parse_id(
            "renditions.asset_id",
            &row.try_get::<String, _>("asset_id")?,
        )?,
        name: row.try_get("name")?,
        spec: row.try_get("spec")?,
        recipe_hash: row.try_get("recipe_hash")?,
        hash: parse_id(
            "renditions.blob_hash",
            &row.try_get::<String, _>("blob_hash")?,
        )?,
        media_type: row.try_get("media_type")?,
        width: row.try_get::<i64, _>("width")?.clamp(0, u32::MAX as i64) as u32,
        height: row.try_get::<i64, _>("height")?.clamp(0, u32::MAX as i64) as u32,
        size: row.try_get::<i64, _>("size")?.max(0) as u64,
    })
}

impl Catalog {
    /// Records a render job's renditions and marks the job done, atomically.
    /// `recipe_hash` is the fingerprint of the edit they were rendered with.
    ///
    /// Returns false (and records nothing) when `worker` lost the job's lease:
    /// another worker owns the job now and will record its own result. When
    /// the asset's edit changed while it rendered, the job is done and
    /// nothing is recorded either (the save queued a render of the new
    /// edit): renditions never go back to an older edit. Likewise when the
    /// file it rendered from (`source`) is no longer the one the photo is
    /// rendered from — a RAW's JPEG arrived meanwhile, and queued its own
    /// render (see `captures`).
    pub async fn finish_render_job(
        &self,
        job: &JobId,
        worker: &str,
        asset: &AssetId,
        recipe_hash: &str,
        source: &ContentHash,
        renditions: &[NewRendition],
    ) -> Result<bool, StorageError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        if !mark_done(&mut tx, job, worker).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        // Read under the transaction (and locked on PostgreSQL) so that a
        // save cannot slip in between this check and the rows below.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT owner_id, recipe_hash, blob_hash FROM assets WHERE id = $1 {}",
            self.for_update()
        ));
        let current = sqlx::query(sql)
            .bind(asset.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        // Still current: the same edit, and the file the photo is rendered
        // from now (by `render_source`'s rule) is the one this job read.
        let owner = match current {
            Some(row) if row.try_get::<String, _>("recipe_hash")? == recipe_hash => {
                let own: ContentHash =
                    parse_id("assets.blob_hash", &row.try_get::<String, _>("blob_hash")?)?;
                let rendered_from = second_file_rendered(&mut *tx, asset, !recipe_hash.is_empty())
                    .await?
                    .map_or(own, |(hash, _)| hash);
                (rendered_from == *source).then(|| {
                    parse_id::<UserId>("assets.owner_id", &row.try_get::<String, _>("owner_id")?)
                })
            }
            _ => None,
        };
        let Some(owner) = owner.transpose()? else {
            tx.commit().await?;
            return Ok(true);
        };
        for r in renditions {
            // A re-render replaces the previous rendition: release its blob.
            let previous =
                sqlx::query("SELECT blob_hash FROM renditions WHERE asset_id = $1 AND name = $2")
                    .bind(asset.to_string())
                    .bind(&r.name)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(previous) = previous {
                let hash: ContentHash = parse_id(
                    "renditions.blob_hash",
                    &previous.try_get::<String, _>("blob_hash")?,
                )?;
                release_blob(&mut tx, &hash).await?;
            }
            sqlx::query("DELETE FROM renditions WHERE asset_id = $1 AND name = $2")
                .bind(asset.to_string())
                .bind(&r.name)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO renditions (asset_id, name, spec, blob_hash, media_type,
                    width, height, size, created_at, recipe_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(asset.to_string())
            .bind(&r.name)
            .bind(&r.spec)
            .bind(r.hash.to_hex())
            .bind(&r.media_type)
            .bind(i64::from(r.width))
            .bind(i64::from(r.height))
            .bind(r.size as i64)
            .bind(now)
            .bind(recipe_hash)
            .execute(&mut *tx)
            .await?;
            hold_blob(&mut tx, &r.hash, self.replicating).await?;
        }
        if !renditions.is_empty() {
            record_change(
                &mut tx,
                &owner,
                ChangeKind::RenditionReady,
                ChangeSubject::Asset(*asset),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// One named rendition of an asset, if rendered.
    pub async fn get_rendition(
        &self,
        asset: &AssetId,
        name: &str,
    ) -> Result<Option<RenditionRecord>, StorageError> {
        let row = sqlx::query(
            "SELECT asset_id, name, spec, recipe_hash, blob_hash, media_type, width, height, size
             FROM renditions WHERE asset_id = $1 AND name = $2",
        )
        .bind(asset.to_string())
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(rendition_from_row).transpose()
    }

    /// The renditions of many assets at once (for a page of a listing).
    pub async fn list_renditions_of(
        &self,
        assets: &[AssetId],
    ) -> Result<Vec<RenditionRecord>, StorageError> {
        if assets.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryText::default();
        let ids = q.bind_list(assets.iter().map(|a| Bind::Text(a.to_string())));
        q.text = format!(
            "SELECT asset_id, name, spec, recipe_hash, blob_hash, media_type, width, height, size
             FROM renditions WHERE asset_id IN ({ids}) ORDER BY asset_id, name"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter().map(rendition_from_row).collect()
    }
}

/// Forgets the asset's renditions, releasing their blobs: when its look
/// changes (a pair's JPEG joins its RAW) or it is purged.
pub(super) async fn drop_renditions(tx: &mut Tx, asset: &AssetId) -> Result<(), StorageError> {
    let rows = sqlx::query("DELETE FROM renditions WHERE asset_id = $1 RETURNING blob_hash")
        .bind(asset.to_string())
        .fetch_all(&mut **tx)
        .await?;
    for row in rows {
        let hash: ContentHash = parse_id(
            "renditions.blob_hash",
            &row.try_get::<String, _>("blob_hash")?,
        )?;
        release_blob(tx, &hash).await?;
    }
    Ok(())
}
