//! The content-addressed blob store.
//!
//! Uploads are streamed into a staging object (`staging/<uuid>`) while being
//! hashed, then published under their hash by a plain copy (a hard link and a
//! rename on the local file system, `CopyObject` on S3).
//!
//! No write here is conditional, on purpose. The bytes are content-addressed,
//! so every writer of a key writes the same bytes and the last one to land
//! changes nothing; what must hold is that garbage collection never deletes a
//! blob an acknowledged asset needs, and that is the catalog's job: a writer
//! pins the blob's row ([`crate::Catalog::pin_blob`]) before writing, and the
//! collector's claim on a row is a conditional update that a pin defeats. So
//! the store needs only plain PUT, multipart upload, GET (with ranges), HEAD,
//! `CopyObject`, DELETE and LIST: real engines whose conditional writes are
//! partial (Ceph RGW 16 ignores `If-None-Match` on `CompleteMultipartUpload`
//! and answers 411 to the `UploadPartCopy` that a create-only multipart copy
//! needs) work as well as AWS S3.

mod config;
mod copy;
pub(crate) mod keys;
mod replica;
pub(crate) mod staging;
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
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};

pub use config::BlobConfig;
pub use copy::{CopyReport, copy_all_blobs, copy_blobs};
pub use replica::{ReplicaCheck, Replicated};
pub use staging::{StagedBlob, StagingWriter};

use replica::{Replica, Site};

use crate::{ContentHash, StorageError};

/// Content-addressed storage for originals and renditions: one store, or
/// with [`BlobStore::with_replica`] two sites, where reads fall back to the
/// second and writes go there while the first is failing (see `replica`).
#[derive(Clone, Debug)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// Root folder when the store is local: object_store's in-flight staging
    /// files (`name#N`) are invisible to its listing, so the sweeper walks here.
    local_root: Option<PathBuf>,
    description: String,
    /// The second site, if any (its own `replica` is always `None`).
    replica: Option<Arc<Replica>>,
}

/// Runs one call to the object store, timing it for
/// `darkroom_blob_store_op_seconds{op}` and counting its failures (a missing
/// object is an answer, not a failure) in `darkroom_blob_store_errors_total{op}`.
pub(crate) async fn observed<T>(
    op: &'static str,
    call: impl Future<Output = Result<T, object_store::Error>>,
) -> Result<T, object_store::Error> {
    let started = std::time::Instant::now();
    let result = call.await;
    metrics::histogram!("darkroom_blob_store_op_seconds", "op" => op)
        .record(started.elapsed().as_secs_f64());
    if let Err(e) = &result
        && !matches!(e, object_store::Error::NotFound { .. })
    {
        metrics::counter!("darkroom_blob_store_errors_total", "op" => op).increment(1);
    }
    result
}

/// A byte range of a blob, already validated against its length.
pub type ByteRange = Range<u64>;

impl BlobStore {
    /// Opens the store that `config` describes.
    pub fn open(config: &BlobConfig) -> Result<Self, StorageError> {
        config.open()
    }

    /// Opens `primary` with `replica` as its second site (see
    /// [`BlobStore::with_replica`]). The primary's calls are retried for
    /// seconds, not half a minute: the second site serves meanwhile.
    pub fn open_with_replica(
        primary: &BlobConfig,
        replica: &BlobConfig,
    ) -> Result<Self, StorageError> {
        if primary == replica {
            return Err(StorageError::Config(
                "the second site (--replica-blobs) is the blob store itself".into(),
            ));
        }
        let primary = primary.open_with(config::quick_retries())?;
        Ok(primary.with_replica(replica.open()?))
    }

    fn new(store: Arc<dyn ObjectStore>, local_root: Option<PathBuf>, description: String) -> Self {
        BlobStore {
            store,
            local_root,
            description,
            replica: None,
        }
    }

    /// This store as the primary site, with `replica` as the second:
    /// reads fall back to it, writes go to it while the primary fails.
    pub fn with_replica(mut self, replica: BlobStore) -> Self {
        self.replica = Some(Arc::new(Replica::new(replica.primary_only())));
        self
    }

    /// The primary site alone, without fallback.
    pub fn primary_only(&self) -> BlobStore {
        BlobStore {
            replica: None,
            ..self.clone()
        }
    }

    /// The second site alone, if there is one.
    pub fn replica_only(&self) -> Option<&BlobStore> {
        self.replica.as_deref().map(Replica::store)
    }

    /// A human-readable description (no credentials) for logs.
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Starts streaming a new upload into the staging area: the primary's,
    /// or the second site's while the primary fails.
    pub async fn stage(&self) -> Result<StagingWriter, StorageError> {
        let start = |site: &BlobStore, which| StagingWriter::start(site.store.clone(), which);
        match &self.replica {
            None => start(self, Site::Primary).await,
            Some(replica) => replica.write("stage", self, start).await,
        }
    }

    /// The site a staged object is on.
    fn site(&self, site: Site) -> &BlobStore {
        match (site, self.replica_only()) {
            (Site::Replica, Some(replica)) => replica,
            _ => self,
        }
    }

    /// Publishes a staged upload under its content hash, then removes the
    /// staging object. The caller has pinned the hash in the catalog. Bytes
    /// already stored (by an earlier upload) are not copied again; a racing
    /// upload of the same bytes may copy them twice, which is harmless.
    #[tracing::instrument(skip_all, fields(hash = %staged.hash))]
    pub async fn publish(&self, staged: &StagedBlob) -> Result<(), StorageError> {
        self.publish_as(staged, false).await
    }

    /// [`publish`](Self::publish), with `overwrite` copying over whatever
    /// is stored under the hash (a corrupt copy being replaced).
    pub(crate) async fn publish_as(
        &self,
        staged: &StagedBlob,
        overwrite: bool,
    ) -> Result<(), StorageError> {
        let site = self.site(staged.site);
        let key = keys::blob_key(&staged.hash);
        if overwrite || !site.exists(&key).await? {
            observed("copy", site.store.copy(&staged.key, &key)).await?;
        }
        self.discard(staged).await;
        Ok(())
    }

    /// Whether an object is stored at `key`.
    async fn exists(&self, key: &Path) -> Result<bool, StorageError> {
        match observed("head", self.store.head(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a staged upload that will not be published. Best effort: the
    /// sweeper removes anything left behind.
    pub async fn discard(&self, staged: &StagedBlob) {
        let site = self.site(staged.site);
        if let Err(e) = observed("delete", site.store.delete(&staged.key)).await {
            tracing::warn!(key = %staged.key, error = %e, "could not delete staging object");
        }
    }

    /// Stores a small, complete buffer (a rendition) under `hash`, which the
    /// caller computed with [`ContentHash::of`] (once: it pins the blob with
    /// it first). A plain PUT: bytes already stored under that name are the
    /// same bytes, so overwriting them changes nothing.
    pub async fn put_bytes(&self, hash: &ContentHash, bytes: Bytes) -> Result<(), StorageError> {
        debug_assert_eq!(
            *hash,
            ContentHash::of(&bytes),
            "put_bytes under a wrong name"
        );
        match &self.replica {
            None => self.put_here(hash, bytes).await,
            Some(replica) => {
                replica
                    .write("put", self, |site, _| site.put_here(hash, bytes.clone()))
                    .await
            }
        }
    }

    /// A plain PUT to this site.
    async fn put_here(&self, hash: &ContentHash, bytes: Bytes) -> Result<(), StorageError> {
        let key = keys::blob_key(hash);
        observed("put", self.store.put(&key, PutPayload::from_bytes(bytes))).await?;
        Ok(())
    }

    /// Reads a whole blob into memory (for decoding; callers bound sizes).
    /// With a second site, the bytes are checked against their name, and a
    /// copy that is missing, corrupt or unreadable is read from the other.
    pub async fn get(&self, hash: &ContentHash) -> Result<Bytes, StorageError> {
        let Some(replica) = &self.replica else {
            return self.get_here(hash).await;
        };
        replica
            .read("get", self, |site| async move {
                let bytes = site.get_here(hash).await?;
                let actual = ContentHash::of(&bytes);
                if actual != *hash {
                    return Err(replica::corrupt(site, hash, actual));
                }
                Ok(bytes)
            })
            .await
    }

    async fn get_here(&self, hash: &ContentHash) -> Result<Bytes, StorageError> {
        let key = keys::blob_key(hash);
        Ok(observed("get", async { self.store.get(&key).await?.bytes().await }).await?)
    }

    /// Reads one byte range of a blob (clamped to its end): a few bytes
    /// from anywhere, without reading the rest.
    pub async fn get_range(
        &self,
        hash: &ContentHash,
        range: ByteRange,
    ) -> Result<Bytes, StorageError> {
        match &self.replica {
            None => self.get_range_here(hash, range).await,
            Some(replica) => {
                replica
                    .read("get_range", self, |site| {
                        site.get_range_here(hash, range.clone())
                    })
                    .await
            }
        }
    }

    async fn get_range_here(
        &self,
        hash: &ContentHash,
        range: ByteRange,
    ) -> Result<Bytes, StorageError> {
        let key = keys::blob_key(hash);
        Ok(observed("get_range", self.store.get_range(&key, range)).await?)
    }

    /// Streams a blob, or one byte range of it.
    pub async fn stream(
        &self,
        hash: &ContentHash,
        range: Option<ByteRange>,
    ) -> Result<BoxStream<'static, Result<Bytes, StorageError>>, StorageError> {
        match &self.replica {
            None => self.stream_here(hash, range).await,
            Some(replica) => {
                replica
                    .read("stream", self, |site| site.stream_here(hash, range.clone()))
                    .await
            }
        }
    }

    async fn stream_here(
        &self,
        hash: &ContentHash,
        range: Option<ByteRange>,
    ) -> Result<BoxStream<'static, Result<Bytes, StorageError>>, StorageError> {
        let opts = GetOptions {
            range: range.map(GetRange::Bounded),
            ..Default::default()
        };
        // Timed to the first byte: the rest flows at the client's pace.
        let key = keys::blob_key(hash);
        let result = observed("stream", self.store.get_opts(&key, opts)).await?;
        Ok(result.into_stream().map_err(StorageError::from).boxed())
    }

    /// Deletes a blob (used by garbage collection once nothing refers to
    /// it), from both sites: an error from either fails the deletion, and
    /// the collector tries again next time.
    pub async fn delete(&self, hash: &ContentHash) -> Result<(), StorageError> {
        self.delete_here(hash).await?;
        if let Some(replica) = self.replica_only() {
            replica.delete_here(hash).await?;
        }
        Ok(())
    }

    async fn delete_here(&self, hash: &ContentHash) -> Result<(), StorageError> {
        match observed("delete", self.store.delete(&keys::blob_key(hash))).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the (primary) store holds a blob (one HEAD request).
    pub async fn contains(&self, hash: &ContentHash) -> Result<bool, StorageError> {
        self.exists(&keys::blob_key(hash)).await
    }

    /// Checks that the store answers (for `/readyz`): with a second site,
    /// either will do, since each serves while the other is away.
    pub async fn ping(&self) -> Result<(), StorageError> {
        match (self.ping_here().await, self.replica_only()) {
            (Ok(()), _) => Ok(()),
            (Err(e), None) => Err(e),
            (Err(e), Some(replica)) => {
                tracing::warn!(error = %e, "the primary blob store does not answer");
                replica.ping_here().await
            }
        }
    }

    async fn ping_here(&self) -> Result<(), StorageError> {
        match observed("head", self.store.head(&Path::from("readyz-probe"))).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Lists the (primary) store's blobs with their last-modified time in ms (for GC).
    pub async fn list_hashes_with_age(&self) -> Result<Vec<(ContentHash, i64)>, StorageError> {
        let prefix = Path::from(keys::BLOB_PREFIX);
        let metas: Vec<_> = observed("list", self.store.list(Some(&prefix)).try_collect()).await?;
        Ok(metas
            .iter()
            .filter_map(|m| {
                let hash = m.location.filename()?.parse().ok()?;
                Some((hash, m.last_modified.timestamp_millis()))
            })
            .collect())
    }

    /// Streams the hashes of all stored blobs as the store lists them.
    pub fn list_stream(&self) -> BoxStream<'_, Result<ContentHash, StorageError>> {
        let prefix = Path::from(keys::BLOB_PREFIX);
        self.store
            .list(Some(&prefix))
            .map_err(StorageError::from)
            .try_filter_map(|meta| async move {
                Ok(meta.location.filename().and_then(|name| name.parse().ok()))
            })
            .boxed()
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
