//! The content-addressed blob store.
//!
//! Uploads are streamed into a staging object (`staging/<uuid>`) while being
//! hashed, then published under their hash with a create-only copy: a hard
//! link on the local file system, `UploadPartCopy` + `CompleteMultipartUpload`
//! with `If-None-Match: *` on S3. Two identical uploads racing each other end
//! with one blob: the loser's copy fails with "already exists", which is success.

mod config;
mod keys;
mod staging;
mod sweep;
mod uploads;
pub use sweep::DEFAULT_STAGING_GRACE;

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
};

pub use config::BlobConfig;
pub use staging::{StagedBlob, StagingWriter};

use crate::{ContentHash, StorageError};

/// Content-addressed storage for originals and renditions.
#[derive(Clone, Debug)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// Root folder when the store is local: object_store's in-flight staging
    /// files (`name#N`) are invisible to its listing, so the sweeper walks here.
    local_root: Option<PathBuf>,
    description: String,
}

/// A byte range of a blob, already validated against its length.
pub type ByteRange = Range<u64>;

impl BlobStore {
    /// Opens the store that `config` describes.
    pub fn open(config: &BlobConfig) -> Result<Self, StorageError> {
        config.open()
    }

    fn new(store: Arc<dyn ObjectStore>, local_root: Option<PathBuf>, description: String) -> Self {
        BlobStore {
            store,
            local_root,
            description,
        }
    }

    /// A human-readable description (no credentials) for logs.
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Starts streaming a new upload into the staging area.
    pub async fn stage(&self) -> Result<StagingWriter, StorageError> {
        StagingWriter::start(self.store.clone()).await
    }

    /// Publishes a staged upload under its content hash, create-only, then
    /// removes the staging object. Bytes already stored (by an earlier or a
    /// racing upload) are success: content addressing makes them identical.
    #[tracing::instrument(skip_all, fields(hash = %staged.hash))]
    pub async fn publish(&self, staged: &StagedBlob) -> Result<(), StorageError> {
        let key = keys::blob_key(&staged.hash);
        match self.store.copy_if_not_exists(&staged.key, &key).await {
            Ok(()) | Err(object_store::Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.discard(staged).await;
        Ok(())
    }

    /// Deletes a staged upload that will not be published. Best effort: the
    /// sweeper removes anything left behind.
    pub async fn discard(&self, staged: &StagedBlob) {
        if let Err(e) = self.store.delete(&staged.key).await {
            tracing::warn!(key = %staged.key, error = %e, "could not delete staging object");
        }
    }

    /// Stores a small, complete buffer (a rendition) under `hash`, which the
    /// caller computed with [`ContentHash::of`] (once: it pins the blob with
    /// it first), create-only; bytes already stored are success.
    pub async fn put_bytes(&self, hash: &ContentHash, bytes: Bytes) -> Result<(), StorageError> {
        debug_assert_eq!(
            *hash,
            ContentHash::of(&bytes),
            "put_bytes under a wrong name"
        );
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .store
            .put_opts(&keys::blob_key(hash), PutPayload::from_bytes(bytes), opts)
            .await
        {
            Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads a whole blob into memory (for decoding; callers bound sizes).
    pub async fn get(&self, hash: &ContentHash) -> Result<Bytes, StorageError> {
        Ok(self.store.get(&keys::blob_key(hash)).await?.bytes().await?)
    }

    /// Streams a blob, or one byte range of it.
    pub async fn stream(
        &self,
        hash: &ContentHash,
        range: Option<ByteRange>,
    ) -> Result<BoxStream<'static, Result<Bytes, StorageError>>, StorageError> {
        let opts = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        let result = self.store.get_opts(&keys::blob_key(hash), opts).await?;
        Ok(result.into_stream().map_err(StorageError::from).boxed())
    }

    /// Deletes a blob (used by garbage collection once nothing refers to it).
    pub async fn delete(&self, hash: &ContentHash) -> Result<(), StorageError> {
        match self.store.delete(&keys::blob_key(hash)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks that the store answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StorageError> {
        match self.store.head(&Path::from("readyz-probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Lists stored blobs with their last-modified time in ms (for GC).
    pub async fn list_hashes_with_age(&self) -> Result<Vec<(ContentHash, i64)>, StorageError> {
        let metas: Vec<_> = self
            .store
            .list(Some(&Path::from(keys::BLOB_PREFIX)))
            .try_collect()
            .await?;
        Ok(metas
            .iter()
            .filter_map(|m| {
                let hash = m.location.filename()?.parse().ok()?;
                Some((hash, m.last_modified.timestamp_millis()))
            })
            .collect())
    }

    /// Lists the hashes of all stored blobs (for consistency checks and GC).
    pub async fn list_hashes(&self) -> Result<Vec<ContentHash>, StorageError> {
        Ok(self
            .list_hashes_with_age()
            .await?
            .into_iter()
            .map(|(hash, _)| hash)
            .collect())
    }
}
