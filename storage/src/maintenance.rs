//! Keeping storage tidy and honest: purging expired trash, collecting blobs
//! nothing refers to, and scrubbing (re-hashing what is stored).

use std::time::Duration;

use futures::StreamExt;

use crate::blobs::DEFAULT_STAGING_GRACE;
use crate::progress::Progress;
use crate::{BlobStore, Catalog, ContentHash, ReplicaCheck, StorageError, now_ms};

/// How often a server runs [`collect_garbage`] on its own.
pub const COLLECTION_INTERVAL: Duration = Duration::from_secs(600);

/// What one garbage collection did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Trashed assets purged because their retention period ended.
    pub purged_assets: u64,
    /// Blobs deleted from the store (and forgotten by the catalog).
    pub deleted_blobs: u64,
    /// Objects in the store the catalog has no row for, deleted.
    pub deleted_untracked: u64,
    /// Abandoned staging uploads removed.
    pub swept_staging: usize,
    /// Resumable uploads that expired, removed with their parts.
    pub expired_uploads: u64,
}

/// How long things wait before they are collected.
#[derive(Clone, Copy, Debug)]
pub struct GcPolicy {
    /// How long a trashed asset can still be restored.
    pub trash_retention: Duration,
    /// How long an unreferenced blob is kept before it is deleted, so an
    /// upload of the same bytes in flight can still take it.
    pub blob_grace: Duration,
    /// Also list the whole blob store for objects the catalog never recorded
    /// (left by versions before pins, or by hand). A full LIST of the store:
    /// for `darkroom gc`, not for the collection a server runs every few minutes.
    pub scan_store: bool,
}

impl Default for GcPolicy {
    fn default() -> Self {
        GcPolicy {
            trash_retention: Duration::from_secs(30 * 24 * 3600),
            blob_grace: Duration::from_secs(3600),
            scan_store: false,
        }
    }
}

/// Purges expired trash, then deletes blobs unreferenced for longer than the
/// grace period, then objects the catalog has never heard of (older than the
/// grace period: a crash between writing bytes and recording them).
pub async fn collect_garbage(
    catalog: &Catalog,
    blobs: &BlobStore,
    policy: GcPolicy,
) -> Result<GcReport, StorageError> {
    let mut report = GcReport {
        purged_assets: catalog
            .purge_expired_trash(now_ms() - policy.trash_retention.as_millis() as i64)
            .await?,
        ..GcReport::default()
    };
    // Deletions a stopped collector left half-done are finished first.
    for hash in catalog.blobs_being_deleted().await? {
        blobs.delete(&hash).await?;
        catalog.forget_blob(&hash).await?;
        report.deleted_blobs += 1;
    }
    let cutoff = now_ms() - policy.blob_grace.as_millis() as i64;
    loop {
        let batch = catalog.collectable_blobs(cutoff, 500).await?;
        if batch.is_empty() {
            break;
        }
        for hash in batch {
            if delete_orphan(catalog, blobs, &hash, cutoff).await? {
                report.deleted_blobs += 1;
            }
        }
    }
    if policy.scan_store {
        // A writer pins (creates the row) before writing bytes, so an object
        // without a row that is older than the grace is no upload in flight.
        let old: Vec<ContentHash> = blobs
            .list_hashes_with_age()
            .await?
            .into_iter()
            .filter(|(_, modified_ms)| *modified_ms < cutoff)
            .map(|(hash, _)| hash)
            .collect();
        for batch in old.chunks(500) {
            let known = catalog.known_blobs(batch).await?;
            for hash in batch.iter().filter(|h| !known.contains(h)) {
                blobs.delete(hash).await?;
                report.deleted_untracked += 1;
            }
        }
    }
    // Staging objects are uploads in flight: they get their own, longer grace.
    report.swept_staging = blobs.sweep_staging(DEFAULT_STAGING_GRACE).await?;
    report.expired_uploads = remove_expired_uploads(catalog, blobs, DEFAULT_STAGING_GRACE).await?;
    if report != GcReport::default() {
        tracing::info!(?report, "garbage collected");
    }
    Ok(report)
}

/// Deletes an orphan whose grace period ended before `cutoff_ms`: claimed
/// in the catalog first, so an upload that takes it meanwhile keeps it; a
/// crash after the claim leaves a row the next collection finishes. False
/// when it was referenced or pinned again.
pub async fn delete_orphan(
    catalog: &Catalog,
    blobs: &BlobStore,
    hash: &ContentHash,
    cutoff_ms: i64,
) -> Result<bool, StorageError> {
    if !catalog.mark_blob_deleting(hash, cutoff_ms).await? {
        return Ok(false);
    }
    blobs.delete(hash).await?;
    catalog.forget_blob(hash).await?;
    Ok(true)
}

/// Removes resumable uploads whose expiry passed: their parts first, so a
/// crash in between leaves a row the next collection finishes. Then parts
/// whose upload the catalog no longer has (a request still writing when its
/// upload was terminated or expired), once they are `orphan_grace` old.
pub async fn remove_expired_uploads(
    catalog: &Catalog,
    blobs: &BlobStore,
    orphan_grace: Duration,
) -> Result<u64, StorageError> {
    let mut removed = 0;
    loop {
        let batch = catalog.expired_uploads(now_ms(), 100).await?;
        if batch.is_empty() {
            break;
        }
        for upload in batch {
            blobs.delete_upload(&upload).await?;
            catalog.delete_upload(&upload).await?;
            removed += 1;
        }
    }
    let cutoff = now_ms() - orphan_grace.as_millis() as i64;
    for (upload, newest) in blobs.uploads_with_parts().await? {
        if newest < cutoff && !catalog.upload_exists(&upload).await? {
            blobs.delete_upload(&upload).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// What `scrub` found, and with `repair` what it fixed.
#[derive(Clone, Debug, Default)]
pub struct ScrubReport {
    /// Blobs read and re-hashed on the primary.
    pub checked: u64,
    pub bytes: u64,
    /// Blobs whose bytes no longer hash to their name: (name, actual hash).
    pub corrupt: Vec<(ContentHash, ContentHash)>,
    /// Blobs the catalog refers to that the store does not have.
    pub missing: Vec<ContentHash>,
    /// With a second site: its copies read and re-hashed.
    pub replica_checked: u64,
    /// Second-site copies that no longer hash to their name.
    pub replica_corrupt: Vec<(ContentHash, ContentHash)>,
    /// Blobs the catalog records as replicated that the second site lacks.
    pub replica_missing: Vec<ContentHash>,
    /// Primary copies rewritten from the second site's intact copy.
    pub restored: Vec<ContentHash>,
    /// Second-site copies rewritten from the primary's intact copy.
    pub re_replicated: Vec<ContentHash>,
}

impl ScrubReport {
    /// Problems that are still there (a repair fixed the others).
    pub fn standing(&self) -> usize {
        let primary = self.corrupt.len() + self.missing.len();
        let replica = self.replica_corrupt.len() + self.replica_missing.len();
        primary.saturating_sub(self.restored.len())
            + replica.saturating_sub(self.re_replicated.len())
    }

    /// True when everything referenced is present and intact (or was made so).
    pub fn is_clean(&self) -> bool {
        self.standing() == 0
    }
}

/// Re-hashes every referenced blob, streaming, and reports any whose bytes
/// are missing or no longer match their name; with a second site, its
/// copies too. With `repair`, a bad copy on one site is rewritten from an
/// intact one on the other (checked by its name before it is written).
pub async fn scrub(
    catalog: &Catalog,
    blobs: &BlobStore,
    repair: bool,
    progress: &dyn Progress,
) -> Result<ScrubReport, StorageError> {
    let mut report = ScrubReport::default();
    // The primary alone: reads through `blobs` would fall back to the
    // second site and hide a bad primary copy.
    let primary = blobs.primary_only();
    let second_site = blobs.replica_only().is_some();
    let replicated: std::collections::HashSet<ContentHash> = if second_site {
        catalog.replicated_blobs().await?.into_iter().collect()
    } else {
        Default::default()
    };
    let referenced = catalog.referenced_blobs().await?;
    progress.phase(
        "reading and hashing every blob in use",
        Some(referenced.len() as u64),
    );
    for (hash, _size) in referenced {
        let primary_intact = match rehash(&primary, &hash).await? {
            None => {
                report.missing.push(hash);
                false
            }
            Some((actual, bytes)) => {
                report.checked += 1;
                report.bytes += bytes;
                if actual != hash {
                    tracing::error!(%hash, %actual, "stored blob does not match its name");
                    report.corrupt.push((hash, actual));
                }
                actual == hash
            }
        };
        if second_site {
            let replica_intact = match blobs.check_replica(&hash).await? {
                ReplicaCheck::Intact => true,
                // Not yet copied is the replication jobs' business.
                ReplicaCheck::Missing if !replicated.contains(&hash) => true,
                ReplicaCheck::Missing => {
                    report.replica_missing.push(hash);
                    false
                }
                ReplicaCheck::Corrupt(actual) => {
                    tracing::error!(%hash, %actual, "the second site's copy does not match its name");
                    report.replica_corrupt.push((hash, actual));
                    false
                }
            };
            report.replica_checked += 1;
            if repair && !primary_intact && replica_intact && replicated.contains(&hash) {
                blobs.restore_from_replica(&hash).await?;
                tracing::info!(%hash, "restored the primary's copy from the second site");
                report.restored.push(hash);
            } else if repair && primary_intact && !replica_intact {
                blobs.repair_replica(&hash).await?;
                tracing::info!(%hash, "rewrote the second site's copy from the primary");
                report.re_replicated.push(hash);
            }
        }
        progress.advance(1);
    }
    Ok(report)
}

/// What a stored blob's bytes hash to, and how many there are, read as a
/// stream; `None` when the store does not have it.
pub async fn rehash(
    blobs: &BlobStore,
    hash: &ContentHash,
) -> Result<Option<(ContentHash, u64)>, StorageError> {
    let mut hasher = blake3::Hasher::new();
    let read = read_through(blobs, hash, |chunk| {
        hasher.update(chunk);
    })
    .await?;
    Ok(read.map(|bytes| (ContentHash::from_hasher(&hasher), bytes)))
}

/// Streams a stored blob through `each`, chunk by chunk; how many bytes
/// there were, or `None` when the store does not have it.
async fn read_through(
    blobs: &BlobStore,
    hash: &ContentHash,
    mut each: impl FnMut(&[u8]),
) -> Result<Option<u64>, StorageError> {
    let mut stream = match blobs.stream(hash, None).await {
        Ok(stream) => stream,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        bytes += chunk.len() as u64;
        each(&chunk);
    }
    Ok(Some(bytes))
}

/// What `admin backfill-sha1` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sha1Backfill {
    /// Originals read and given their SHA-1.
    pub hashed: u64,
    pub bytes: u64,
    /// Originals the store does not have (fsck names them).
    pub missing: u64,
}

/// Reads every original stored without a SHA-1 (before Immich's clients
/// were served) and records it: streamed, a batch of rows at a time, so it
/// can run beside servers and be stopped and run again.
pub async fn backfill_sha1(
    catalog: &Catalog,
    blobs: &BlobStore,
    progress: &dyn Progress,
) -> Result<Sha1Backfill, StorageError> {
    use sha1::Digest;
    let mut report = Sha1Backfill::default();
    let total = catalog.originals_without_sha1_count().await?;
    progress.phase("computing SHA-1s of originals", Some(total.max(0) as u64));
    let mut after = None;
    loop {
        let batch = catalog.originals_without_sha1(after.as_ref(), 500).await?;
        let Some(last) = batch.last() else { break };
        after = Some(*last);
        for hash in &batch {
            let mut sha1 = sha1::Sha1::new();
            match read_through(blobs, hash, |chunk| sha1.update(chunk)).await? {
                Some(bytes) => report.bytes += bytes,
                None => {
                    tracing::warn!(%hash, "an original is missing from the store");
                    report.missing += 1;
                    progress.advance(1);
                    continue;
                }
            }
            catalog
                .set_blob_sha1(hash, &crate::lower_hex(&sha1.finalize()))
                .await?;
            report.hashed += 1;
            progress.advance(1);
        }
    }
    Ok(report)
}
