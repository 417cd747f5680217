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
/// the upload. Call [`StagingWriter::abort`] on failure. Dropped unfinished
/// (a request cancelled mid-body), it aborts in the background: on S3 an
/// unfinished multipart upload is invisible to listings, so the staging
/// sweeper could not find it later. What a killed process leaves behind in a
/// local store is the sweeper's.
pub struct StagingWriter {
    key: Path,
    /// `None` once finished or aborted.
    upload: Option<WriteMultipart>,
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
            upload: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
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
        let upload = self.upload_mut();
        upload.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        upload.put(chunk);
        Ok(())
    }

    fn upload_mut(&mut self) -> &mut WriteMultipart {
        self.upload
            .as_mut()
            .expect("invariant: only finish and abort take the upload, and they consume the writer")
    }

    /// Completes the staging object (durably, for the local store).
    pub async fn finish(mut self) -> Result<StagedBlob, StorageError> {
        let hash = ContentHash::from_hasher(&self.hasher);
        if let Some(upload) = self.upload.take() {
            super::observed("stage_finish", upload.finish()).await?;
        }
        Ok(StagedBlob {
            key: self.key.clone(),
            hash,
            len: self.len,
        })
    }

    /// Abandons the upload and removes what was written.
    pub async fn abort(mut self) {
        if let Some(upload) = self.upload.take() {
            abort(self.key.clone(), upload).await;
        }
    }
}

async fn abort(key: Path, upload: WriteMultipart) {
    if let Err(e) = super::observed("stage_abort", upload.abort()).await {
        tracing::warn!(%key, error = %e, "could not abort staging upload");
    }
}

impl Drop for StagingWriter {
    fn drop(&mut self) {
        let Some(upload) = self.upload.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(abort(self.key.clone(), upload));
            }
            Err(_) => {
                tracing::warn!(key = %self.key, "unfinished staging upload left for the sweeper")
            }
        }
    }
}
