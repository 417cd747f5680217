//! Streaming an upload into the staging area while hashing it.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

use super::keys;
use super::replica::Site;
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
    site: Site,
    /// `None` once finished or aborted.
    upload: Option<WriteMultipart>,
    hasher: blake3::Hasher,
    len: u64,
}

/// A fully written staging object, with the hash and length of its bytes.
#[derive(Debug, Clone)]
pub struct StagedBlob {
    pub(crate) key: Path,
    /// Which of the two sites it was written to.
    pub(crate) site: Site,
    /// BLAKE3 of the bytes.
    pub hash: ContentHash,
    /// Length in bytes.
    pub len: u64,
}

impl StagingWriter {
    pub(crate) async fn start(
        store: Arc<dyn ObjectStore>,
        site: Site,
    ) -> Result<Self, StorageError> {
        Self::start_at(store, keys::staging_key(), site).await
    }

    /// Starts writing (and hashing) a new object at `key` of `site`.
    pub(crate) async fn start_at(
        store: Arc<dyn ObjectStore>,
        key: Path,
        site: Site,
    ) -> Result<Self, StorageError> {
        let upload = super::observed("stage_start", store.put_multipart(&key)).await?;
        Ok(StagingWriter {
            key,
            site,
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
            site: self.site,
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
        clean_up_in_background(&self.key, abort(self.key.clone(), upload));
    }
}

/// Runs `cleanup` of the staging object at `key` on the current runtime,
/// for `Drop` impls (which cannot wait); outside a runtime the object is
/// left for the staging sweeper.
pub(crate) fn clean_up_in_background(
    key: &Path,
    cleanup: impl std::future::Future<Output = ()> + Send + 'static,
) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(cleanup);
        }
        Err(_) => tracing::warn!(%key, "staging object left for the sweeper"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{BlobConfig, BlobStore};

    /// Unfinished multipart uploads under `prefix` in the test bucket, as
    /// the gateway lists them (S3 ListMultipartUploads, signed by curl).
    fn unfinished_uploads(endpoint: &str, bucket: &str, prefix: &str) -> usize {
        let credentials = format!(
            "{}:{}",
            std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default(),
            std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default()
        );
        let listing = std::process::Command::new("curl")
            .args(["-sf", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", &credentials])
            // The gateway wants the payload's hash: here the empty body's.
            .args([
                "-H",
                "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ])
            .arg(format!("{endpoint}/{bucket}?prefix={prefix}&uploads="))
            .output()
            .expect("curl runs");
        assert!(listing.status.success(), "listing multipart uploads failed");
        String::from_utf8_lossy(&listing.stdout)
            .matches("<Upload>")
            .count()
    }

    /// A request cancelled mid-body drops its writer: on S3 the multipart
    /// upload must be aborted, since no listing (and so no sweeper) sees it.
    #[tokio::test]
    async fn a_writer_dropped_mid_body_aborts_its_s3_upload() {
        let Ok(endpoint) = std::env::var("DARKROOM_TEST_S3_ENDPOINT") else {
            eprintln!(
                "SKIPPED a_writer_dropped_mid_body_aborts_its_s3_upload: \
                 DARKROOM_TEST_S3_ENDPOINT not set (.ci/run sets it)"
            );
            return;
        };
        let bucket =
            std::env::var("DARKROOM_TEST_S3_BUCKET").unwrap_or_else(|_| "darkroom-test".into());
        let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
        let blobs = BlobStore::open(&BlobConfig::S3 {
            bucket: bucket.clone(),
            prefix: prefix.clone(),
            endpoint: Some(endpoint.clone()),
            region: None,
            credentials: None,
        })
        .unwrap();
        let mut writer = blobs.stage().await.unwrap();
        writer.write(Bytes::from(vec![7u8; 100_000])).await.unwrap();
        // The probe sees the upload while it is open.
        assert_eq!(unfinished_uploads(&endpoint, &bucket, &prefix), 1);
        drop(writer);
        let mut left = 1;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            left = unfinished_uploads(&endpoint, &bucket, &prefix);
            if left == 0 {
                break;
            }
        }
        assert_eq!(
            left, 0,
            "the dropped writer's multipart upload is still open"
        );
    }
}
