//! Streaming an upload into the staging area while hashing it.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

use super::keys;
use crate::{ContentHash, StorageError};

/// Part size for multipart staging: S3 wants at least 5 MiB per part.
const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts in flight at once; with `PART_BYTES` this bounds an upload's memory.
const PARTS_IN_FLIGHT: usize = 2;

/// An upload being written to `staging/<uuid>`, hashed on the way.
///
/// Memory stays bounded by `PART_BYTES * (PARTS_IN_FLIGHT + 1)` however large
/// the upload. Call [`StagingWriter::abort`] on failure; anything left behind
/// by a killed process is removed by the staging sweeper.
pub struct StagingWriter {
    key: Path,
    upload: WriteMultipart,
    hasher: blake3::Hasher,
    len: u64,
}

/// A fully written staging object, with the hash and length of its bytes.
#[derive(Debug, Clone)]
pub struct StagedBlob {
    pub(crate) key: Path,
    /// BLAKE3 of the bytes.
    pub hash: ContentHash,
    /// Length in bytes.
    pub len: u64,
}

impl StagingWriter {
    pub(crate) async fn start(store: Arc<dyn ObjectStore>) -> Result<Self, StorageError> {
        Self::start_at(store, keys::staging_key()).await
    }

    /// Starts writing (and hashing) a new object at `key`.
    pub(crate) async fn start_at(
        store: Arc<dyn ObjectStore>,
        key: Path,
    ) -> Result<Self, StorageError> {
        let upload = super::observed("stage_start", store.put_multipart(&key)).await?;
        Ok(StagingWriter {
            key,
            upload: WriteMultipart::new_with_chunk_size(upload, PART_BYTES),
            hasher: blake3::Hasher::new(),
            len: 0,
        })
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True before the first byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hashes and writes one chunk, waiting while too many parts are in flight.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StorageError> {
        // Hashing a 64 KiB chunk takes tens of microseconds: fine inline.
        self.hasher.update(&chunk);
        self.len += chunk.len() as u64;
        self.upload.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        self.upload.put(chunk);
        Ok(())
    }

    /// Completes the staging object (durably, for the local store).
    pub async fn finish(self) -> Result<StagedBlob, StorageError> {
        let hash = ContentHash::from_hasher(&self.hasher);
        super::observed("stage_finish", self.upload.finish()).await?;
        Ok(StagedBlob {
            key: self.key,
            hash,
            len: self.len,
        })
    }

    /// Abandons the upload and removes what was written.
    pub async fn abort(self) {
        let key = self.key.clone();
        if let Err(e) = super::observed("stage_abort", self.upload.abort()).await {
            tracing::warn!(%key, error = %e, "could not abort staging upload");
        }
    }
}
