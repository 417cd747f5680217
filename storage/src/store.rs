//! The sequences that write to the catalog and the blob store together, in
//! the one order that keeps every stored byte either referenced or
//! collectable, whatever fails or crashes in between:
//!
//! 1. **Pin** the blob in the catalog (`Catalog::pin_blob`): its row exists
//!    and its grace period restarts, so garbage collection cannot take the
//!    bytes between the next two steps.
//! 2. **Write** the bytes under their hash (publish a staged upload, or put a
//!    rendition).
//! 3. **Record** what refers to them in one transaction (the asset with its
//!    jobs, or the renditions with their job's completion).
//!
//! A crash after 2 leaves a pinned blob nothing refers to: the same bytes
//! arriving again reuse it, else `gc` deletes it after the grace period.

use bytes::Bytes;

use crate::blobs::staging::clean_up_in_background;
use crate::blobs::{StagedBlob, StagingWriter};
use crate::catalog::{AssetInsert, AssetRecord, NewAsset, NewJob, NewLiveVideo};
use crate::{BlobStore, Catalog, ContentHash, StorageError, UserId};

/// The catalog and the blob store, for what needs both.
#[derive(Clone)]
pub struct Store {
    catalog: Catalog,
    blobs: BlobStore,
}

/// An upload fully staged in the blob store but not yet stored as anyone's
/// original. Dropped without [`Store::store_original`] or
/// [`StagedOriginal::discard`] (a request cancelled by its client, say), it
/// deletes its staging object in the background; anything a killed process
/// leaves behind is the staging sweeper's.
pub struct StagedOriginal {
    blob: Option<StagedBlob>,
    blobs: BlobStore,
}

impl StagedOriginal {
    /// BLAKE3 of the bytes.
    pub fn hash(&self) -> ContentHash {
        self.staged().hash
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.staged().len
    }

    /// True for an upload of no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn staged(&self) -> &StagedBlob {
        self.blob
            .as_ref()
            .expect("invariant: a StagedOriginal holds its blob until consumed")
    }

    /// Deletes the staging object now (best effort, as `BlobStore::discard`).
    pub async fn discard(mut self) {
        if let Some(blob) = self.blob.take() {
            self.blobs.discard(&blob).await;
        }
    }
}

impl Drop for StagedOriginal {
    fn drop(&mut self) {
        let Some(blob) = self.blob.take() else { return };
        let blobs = self.blobs.clone();
        let key = blob.key.clone();
        clean_up_in_background(&key, async move { blobs.discard(&blob).await });
    }
}

impl Store {
    /// The two stores, as one.
    pub fn new(catalog: Catalog, blobs: BlobStore) -> Self {
        Store { catalog, blobs }
    }

    /// Starts staging an upload (see [`StagingWriter`]).
    pub async fn stage(&self) -> Result<StagingWriter, StorageError> {
        self.blobs.stage().await
    }

    /// Completes a staging upload; the result cleans up after itself.
    pub async fn finish_staging(
        &self,
        writer: StagingWriter,
    ) -> Result<StagedOriginal, StorageError> {
        Ok(StagedOriginal {
            blob: Some(writer.finish().await?),
            blobs: self.blobs.clone(),
        })
    }

    /// Stores `staged` as `new` describes it (its `hash` and `size` are the
    /// staged bytes'), with `jobs`:
    /// * bytes `new.owner` already holds: `Duplicate` with that asset (or
    ///   `Restored` from the trash), nothing stored twice;
    /// * past the owner's quota: `QuotaExceeded`, nothing stored;
    /// * else pin, publish, and the asset with its jobs in one transaction.
    ///
    /// A duplicate sent under a device asset id gives the existing asset
    /// that id if it has none. The staging object is gone when this returns.
    pub async fn store_original(
        &self,
        mut staged: StagedOriginal,
        new: &NewAsset,
        jobs: &[NewJob],
    ) -> Result<AssetInsert, StorageError> {
        debug_assert_eq!((new.hash, new.size), (staged.hash(), staged.len()));
        let outcome = self.record_original(&mut staged, new, jobs).await;
        staged.discard().await;
        let device = new.device_asset_id.as_deref();
        match outcome? {
            AssetInsert::Duplicate(existing) => {
                Ok(AssetInsert::Duplicate(self.adopt(existing, device).await?))
            }
            other => Ok(other),
        }
    }

    async fn record_original(
        &self,
        staged: &mut StagedOriginal,
        new: &NewAsset,
        jobs: &[NewJob],
    ) -> Result<AssetInsert, StorageError> {
        let held = self
            .publish_unless_held(staged, &new.owner, new.size, new.sha1.as_deref())
            .await?;
        match held {
            Some(existing) => Ok(AssetInsert::Duplicate(existing)),
            None => self.catalog.insert_asset(new, jobs).await,
        }
    }

    /// What every upload does before the catalog records it: bytes the owner
    /// holds already give their photo (no second blob write, no second
    /// asset); else the quota is checked (the catalog checks again,
    /// atomically, for uploads racing this one), the blob pinned and
    /// published (which removes the staging object).
    async fn publish_unless_held(
        &self,
        staged: &mut StagedOriginal,
        owner: &UserId,
        size: u64,
        sha1: Option<&str>,
    ) -> Result<Option<AssetRecord>, StorageError> {
        let hash = staged.hash();
        if let Some(existing) = self.catalog.find_asset_by_hash(owner, &hash).await? {
            return Ok(Some(existing));
        }
        self.check_quota(owner, size).await?;
        self.catalog.pin_blob(&hash, size, sha1).await?;
        if let Some(blob) = staged.blob.take() {
            self.blobs.publish(&blob).await?;
        }
        Ok(None)
    }

    /// Records a Live Photo's video whose bytes are staged, as
    /// [`Store::store_original`] does a photo: the catalog keeps it with its
    /// still ([`Catalog::attach_live_video`]), which may refuse it (no such
    /// still: the published blob is then an orphan for garbage collection,
    /// as any refused upload's).
    pub async fn store_live_video(
        &self,
        mut staged: StagedOriginal,
        video: &NewLiveVideo,
        sha1: &str,
    ) -> Result<AssetInsert, StorageError> {
        debug_assert_eq!((video.hash, video.size), (staged.hash(), staged.len()));
        let held = self
            .publish_unless_held(&mut staged, &video.owner, video.size, Some(sha1))
            .await;
        staged.discard().await;
        match held? {
            Some(existing) => Ok(AssetInsert::Duplicate(existing)),
            None => self.catalog.attach_live_video(video).await,
        }
    }

    /// A duplicate sent under a device id: the asset takes the id if it has
    /// none, so the device finds it by that id from now on.
    async fn adopt(
        &self,
        existing: AssetRecord,
        device: Option<&str>,
    ) -> Result<AssetRecord, StorageError> {
        match device {
            Some(device) => self.catalog.adopt_device_asset_id(&existing, device).await,
            None => Ok(existing),
        }
    }

    /// Refuses `len` more bytes for `owner` when they would cross the quota.
    pub async fn check_quota(&self, owner: &UserId, len: u64) -> Result<(), StorageError> {
        let user = self.catalog.get_user(owner).await?;
        match user.quota_bytes {
            Some(quota) if user.usage_bytes.saturating_add(len) > quota => {
                Err(StorageError::QuotaExceeded {
                    quota,
                    available: quota.saturating_sub(user.usage_bytes),
                    needed: len,
                })
            }
            _ => Ok(()),
        }
    }

    /// Stores a rendition's bytes under their hash, pinned first; the caller
    /// records it (`Catalog::finish_render_job`) in its transaction.
    pub async fn store_rendition(
        &self,
        bytes: Vec<u8>,
    ) -> Result<(ContentHash, u64), StorageError> {
        let hash = ContentHash::of(&bytes);
        let size = bytes.len() as u64;
        self.catalog.pin_blob(&hash, size, None).await?;
        self.blobs.put_bytes(&hash, Bytes::from(bytes)).await?;
        Ok((hash, size))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::BlobConfig;

    async fn store(dir: &std::path::Path) -> Store {
        let url = format!("sqlite:{}", dir.join("catalog.db").display());
        let catalog = Catalog::connect(&url).await.unwrap();
        catalog.migrate().await.unwrap();
        let blobs = BlobStore::open(&BlobConfig::Local(dir.join("blobs"))).unwrap();
        Store::new(catalog, blobs)
    }

    /// Files in the local store's staging folder.
    fn staging_objects(dir: &std::path::Path) -> usize {
        let staging = dir.join("blobs").join(crate::blobs::keys::STAGING_PREFIX);
        std::fs::read_dir(staging).map_or(0, |entries| entries.count())
    }

    async fn staged(store: &Store) -> StagedOriginal {
        let mut writer = store.stage().await.unwrap();
        writer
            .write(Bytes::from_static(b"some photo"))
            .await
            .unwrap();
        store.finish_staging(writer).await.unwrap()
    }

    #[tokio::test]
    async fn a_staged_upload_nobody_stores_is_removed_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        // Discarded on purpose: gone at once.
        staged(&store).await.discard().await;
        assert_eq!(staging_objects(dir.path()), 0);
        // Dropped (a request cancelled mid-way): gone soon after.
        drop(staged(&store).await);
        let mut left = 1;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            left = staging_objects(dir.path());
            if left == 0 {
                break;
            }
        }
        assert_eq!(
            left, 0,
            "the dropped upload's staging object was not removed"
        );
        // The probe can fail: a staged blob without the guard stays.
        let writer = store.stage().await.unwrap();
        let _kept = writer.finish().await.unwrap();
        assert_eq!(staging_objects(dir.path()), 1);
    }
}
