//! A second site for blobs (`--replica-blobs`): another bucket, another
//! gateway, another data centre.
//!
//! Every blob is copied there by a `replicate_blob` job, queued in the
//! transaction that first refers to it (`Catalog::replicating_blobs`). While
//! both answer, reads go to the primary and fall back to the second site
//! for a blob the primary lacks, holds corrupt (checked where the whole blob
//! is read) or cannot read. Once a primary call fails (not a mere "no such
//! blob"), the primary counts as down for [`PRIMARY_RETRY_AFTER`]: reads go
//! to the second site first and new writes go there only, so that a dead
//! gateway costs one request its retries, not every request. The job of a
//! blob written there copies it back to the primary when it returns.
//!
//! What never falls back: resumable (tus) upload parts, listings and
//! `contains` are the primary's alone; with the primary down a resumable
//! upload is refused with a retryable 503 and resumes once it is back.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use super::BlobStore;
use super::copy::{copy_one, copy_verified};
use crate::{ContentHash, StorageError, now_ms};

/// How long the primary is passed over after a failure before it is tried
/// again.
pub const PRIMARY_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Which site a staged object was written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Site {
    Primary,
    Replica,
}

/// The second site and what the primary's recent failures say.
#[derive(Debug)]
pub(super) struct Replica {
    store: BlobStore,
    /// Until when (ms) the primary is passed over; 0 when it answers.
    primary_down_until: AtomicI64,
    /// Whether the outage has been logged (once per outage, not per call).
    outage_logged: AtomicBool,
}

/// The error for a copy whose bytes do not hash to its name.
pub(crate) fn corrupt(site: &BlobStore, hash: &ContentHash, actual: ContentHash) -> StorageError {
    StorageError::CorruptBlob {
        hash: *hash,
        actual,
        site: site.describe().to_string(),
    }
}

impl Replica {
    pub(super) fn new(store: BlobStore) -> Self {
        metrics::gauge!("darkroom_blob_primary_down").set(0.0);
        Replica {
            store,
            primary_down_until: AtomicI64::new(0),
            outage_logged: AtomicBool::new(false),
        }
    }

    /// The second site.
    pub(super) fn store(&self) -> &BlobStore {
        &self.store
    }

    /// Whether the primary is worth asking first.
    pub(super) fn primary_usable(&self) -> bool {
        now_ms() >= self.primary_down_until.load(Ordering::Relaxed)
    }

    /// A primary call failed: pass the primary over for a while.
    pub(super) fn primary_failed(&self, op: &'static str, error: &StorageError) {
        self.primary_down_until.store(
            now_ms() + PRIMARY_RETRY_AFTER.as_millis() as i64,
            Ordering::Relaxed,
        );
        metrics::gauge!("darkroom_blob_primary_down").set(1.0);
        if !self.outage_logged.swap(true, Ordering::Relaxed) {
            tracing::error!(
                op,
                %error,
                replica = self.store.describe(),
                "the primary blob store fails; serving and storing through the second site"
            );
        }
    }

    /// A primary call succeeded.
    fn primary_answered(&self) {
        if self.outage_logged.swap(false, Ordering::Relaxed) {
            self.primary_down_until.store(0, Ordering::Relaxed);
            metrics::gauge!("darkroom_blob_primary_down").set(0.0);
            tracing::info!("the primary blob store answers again");
        }
    }

    /// Runs the write `call` on the primary unless it is passed over, and
    /// on the second site when it fails (counted as a diverted write); the
    /// job of the blob copies it back later.
    pub(super) async fn write<'a, T, Call, Fut>(
        &'a self,
        op: &'static str,
        primary: &'a BlobStore,
        call: Call,
    ) -> Result<T, StorageError>
    where
        Call: Fn(&'a BlobStore, Site) -> Fut,
        Fut: Future<Output = Result<T, StorageError>>,
    {
        if self.primary_usable() {
            match call(primary, Site::Primary).await {
                Ok(value) => return Ok(value),
                Err(e) => self.primary_failed(op, &e),
            }
        }
        metrics::counter!("darkroom_blob_replica_writes_total", "op" => op).increment(1);
        call(&self.store, Site::Replica).await
    }

    /// Runs the read `call` on the primary and, if that fails, on the
    /// second site (the other way round while the primary is down).
    pub(super) async fn read<'a, T, Call, Fut>(
        &'a self,
        op: &'static str,
        primary: &'a BlobStore,
        call: Call,
    ) -> Result<T, StorageError>
    where
        Call: Fn(&'a BlobStore) -> Fut,
        Fut: Future<Output = Result<T, StorageError>>,
    {
        let fell_back = |reason: &'static str| {
            metrics::counter!("darkroom_blob_replica_reads_total", "op" => op, "reason" => reason)
                .increment(1);
        };
        if !self.primary_usable() {
            let second = match call(&self.store).await {
                Ok(value) => {
                    fell_back("primary_down");
                    return Ok(value);
                }
                Err(e) => e,
            };
            // Not (yet) on the second site: the primary may be back.
            return match call(primary).await {
                Ok(value) => {
                    self.primary_answered();
                    Ok(value)
                }
                Err(first) => Err(worse(first, second)),
            };
        }
        let first = match call(primary).await {
            Ok(value) => {
                self.primary_answered();
                return Ok(value);
            }
            Err(e) => e,
        };
        let reason = match &first {
            e if e.is_not_found() => "missing",
            StorageError::CorruptBlob { .. } => {
                tracing::error!(error = %first, "reading the second site's copy instead");
                "corrupt"
            }
            e => {
                self.primary_failed(op, e);
                "failed"
            }
        };
        match call(&self.store).await {
            Ok(value) => {
                fell_back(reason);
                Ok(value)
            }
            Err(second) => Err(worse(first, second)),
        }
    }
}

/// Of two sites' errors, the one to report: "not found" only if neither
/// site had anything worse to say.
fn worse(first: StorageError, second: StorageError) -> StorageError {
    if second.is_not_found() { first } else { second }
}

/// What a replication did for one blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replicated {
    /// Both sites had it.
    AlreadyBoth,
    /// Copied from the primary to the second site (bytes).
    ToReplica(u64),
    /// Copied from the second site back to the primary (it was written
    /// there while the primary was down).
    ToPrimary(u64),
}

/// How one blob's two copies compare (for `scrub`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaCheck {
    /// The second site's copy is whole.
    Intact,
    /// The second site lacks it.
    Missing,
    /// The second site's copy hashes to this instead.
    Corrupt(ContentHash),
}

impl BlobStore {
    fn second_site(&self) -> Result<&BlobStore, StorageError> {
        self.replica_only().ok_or_else(|| {
            StorageError::Config("no second site is configured (--replica-blobs)".into())
        })
    }

    /// Makes both sites hold `hash`: copied from whichever has it to the
    /// other, its bytes checked against the name on the way. Fails (to be
    /// retried) when a site does not answer, and when neither has it.
    pub async fn replicate(&self, hash: &ContentHash) -> Result<Replicated, StorageError> {
        let second = self.second_site()?;
        let primary = self.primary_only();
        if primary.contains(hash).await? {
            return Ok(match copy_one(&primary, second, hash).await? {
                Some(bytes) => Replicated::ToReplica(bytes),
                None => Replicated::AlreadyBoth,
            });
        }
        match copy_one(second, &primary, hash).await {
            Ok(Some(bytes)) => Ok(Replicated::ToPrimary(bytes)),
            // Written to the primary since the check above.
            Ok(None) => Ok(Replicated::AlreadyBoth),
            Err(e) if e.is_not_found() => Err(StorageError::Conflict(format!(
                "blob {hash} is on neither site ({} nor {})",
                primary.describe(),
                second.describe()
            ))),
            Err(e) => Err(e),
        }
    }

    /// Reads and hashes the second site's copy of `hash`.
    pub async fn check_replica(&self, hash: &ContentHash) -> Result<ReplicaCheck, StorageError> {
        let second = self.second_site()?;
        Ok(match crate::maintenance::rehash(second, hash).await? {
            None => ReplicaCheck::Missing,
            Some((actual, _)) if actual == *hash => ReplicaCheck::Intact,
            Some((actual, _)) => ReplicaCheck::Corrupt(actual),
        })
    }

    /// Overwrites the primary's copy of `hash` (missing or corrupt) with the
    /// second site's, checked against its name first; the bytes written.
    pub async fn restore_from_replica(&self, hash: &ContentHash) -> Result<u64, StorageError> {
        let second = self.second_site()?;
        copy_verified(second, &self.primary_only(), hash).await
    }

    /// Overwrites the second site's copy of `hash` with the primary's,
    /// checked against its name first; the bytes written.
    pub async fn repair_replica(&self, hash: &ContentHash) -> Result<u64, StorageError> {
        let second = self.second_site()?;
        copy_verified(&self.primary_only(), second, hash).await
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::BlobConfig;

    struct Sites {
        primary_dir: tempfile::TempDir,
        replica_dir: tempfile::TempDir,
        blobs: BlobStore,
    }

    fn sites() -> Sites {
        let (primary_dir, replica_dir) =
            (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let blobs = BlobStore::open_with_replica(
            &BlobConfig::Local(primary_dir.path().join("blobs")),
            &BlobConfig::Local(replica_dir.path().join("blobs")),
        )
        .unwrap();
        Sites {
            primary_dir,
            replica_dir,
            blobs,
        }
    }

    fn file(dir: &tempfile::TempDir, hash: &ContentHash) -> std::path::PathBuf {
        dir.path()
            .join("blobs")
            .join(super::super::keys::blob_key(hash).as_ref())
    }

    /// Replaces the primary's folder by a file: every call fails.
    fn break_primary(sites: &Sites) {
        let root = sites.primary_dir.path().join("blobs");
        std::fs::rename(&root, root.with_extension("away")).unwrap();
        std::fs::write(&root, b"").unwrap();
    }

    fn mend_primary(sites: &Sites) {
        let root = sites.primary_dir.path().join("blobs");
        std::fs::remove_file(&root).unwrap();
        std::fs::rename(root.with_extension("away"), &root).unwrap();
    }

    async fn stored(blobs: &BlobStore, bytes: &'static [u8]) -> ContentHash {
        let hash = ContentHash::of(bytes);
        blobs
            .put_bytes(&hash, Bytes::from_static(bytes))
            .await
            .unwrap();
        hash
    }

    /// Replication copies each way, checked; reads then survive a missing,
    /// a corrupt or an unreadable primary copy.
    #[tokio::test]
    async fn reads_fall_back_to_the_second_site() {
        let sites = sites();
        let blobs = &sites.blobs;
        let hash = stored(blobs, b"a photo on the primary").await;
        assert!(
            !file(&sites.replica_dir, &hash).exists(),
            "written to one site only"
        );
        assert_eq!(
            blobs.replicate(&hash).await.unwrap(),
            Replicated::ToReplica(22)
        );
        assert_eq!(
            blobs.replicate(&hash).await.unwrap(),
            Replicated::AlreadyBoth
        );
        assert_eq!(
            blobs.check_replica(&hash).await.unwrap(),
            ReplicaCheck::Intact
        );

        // Corrupt on the primary: `get` checks the name and reads the other copy.
        std::fs::write(file(&sites.primary_dir, &hash), b"a photo on the primarY").unwrap();
        assert_eq!(
            &blobs.get(&hash).await.unwrap()[..],
            b"a photo on the primary"
        );
        assert_eq!(blobs.restore_from_replica(&hash).await.unwrap(), 22);
        assert_eq!(
            std::fs::read(file(&sites.primary_dir, &hash)).unwrap(),
            b"a photo on the primary"
        );

        // Missing on the primary: every kind of read finds the other copy.
        std::fs::remove_file(file(&sites.primary_dir, &hash)).unwrap();
        assert_eq!(&blobs.get_range(&hash, 2..7).await.unwrap()[..], b"photo");
        let streamed: Vec<Bytes> =
            futures::TryStreamExt::try_collect(blobs.stream(&hash, None).await.unwrap())
                .await
                .unwrap();
        assert_eq!(streamed.concat(), b"a photo on the primary");
        assert!(
            blobs
                .primary_only()
                .get(&hash)
                .await
                .unwrap_err()
                .is_not_found()
        );

        // Neither site: "not found", as without a second site.
        let nowhere = ContentHash::of(b"never stored");
        assert!(blobs.get(&nowhere).await.unwrap_err().is_not_found());
        assert!(blobs.replicate(&nowhere).await.is_err());
    }

    /// With the primary failing, writes go to the second site and a staged
    /// upload publishes there; replication copies them back once it returns.
    #[tokio::test]
    async fn writes_go_to_the_second_site_while_the_primary_fails() {
        let sites = sites();
        let blobs = &sites.blobs;
        let before = stored(blobs, b"stored before the outage").await;
        blobs.replicate(&before).await.unwrap();
        break_primary(&sites);

        assert_eq!(
            &blobs.get(&before).await.unwrap()[..],
            b"stored before the outage"
        );
        let rendition = stored(blobs, b"a thumbnail rendered meanwhile").await;
        let mut writer = blobs.stage().await.unwrap();
        writer
            .write(Bytes::from_static(b"an upload meanwhile"))
            .await
            .unwrap();
        let staged = writer.finish().await.unwrap();
        blobs.publish(&staged).await.unwrap();
        for hash in [rendition, staged.hash] {
            assert!(file(&sites.replica_dir, &hash).exists());
            assert!(
                blobs.replicate(&hash).await.is_err(),
                "the primary is still away"
            );
        }
        assert!(blobs.ping().await.is_ok(), "ready while one site answers");

        mend_primary(&sites);
        for (hash, len) in [(rendition, 30), (staged.hash, 19)] {
            assert_eq!(
                blobs.replicate(&hash).await.unwrap(),
                Replicated::ToPrimary(len)
            );
            assert!(file(&sites.primary_dir, &hash).exists());
        }
        // Collection deletes both copies.
        blobs.delete(&rendition).await.unwrap();
        assert!(!file(&sites.primary_dir, &rendition).exists());
        assert!(!file(&sites.replica_dir, &rendition).exists());
    }

    /// A corrupt copy is never replicated: the job fails, naming it.
    #[tokio::test]
    async fn a_corrupt_copy_is_not_replicated() {
        let sites = sites();
        let hash = stored(&sites.blobs, b"bytes that will rot").await;
        std::fs::write(file(&sites.primary_dir, &hash), b"bytes that did rot!").unwrap();
        let error = sites.blobs.replicate(&hash).await.unwrap_err();
        assert!(matches!(error, StorageError::CorruptBlob { .. }), "{error}");
        assert!(!file(&sites.replica_dir, &hash).exists());
    }
}
