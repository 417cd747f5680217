//! Copying blobs from one store to another (backups, restores, moving to
//! S3): streamed, several at a time, each verified by its BLAKE3 name on
//! arrival, and incremental: what the target holds already is not sent.

use futures::{StreamExt, TryStreamExt, stream};

use super::BlobStore;
use crate::progress::Progress;
use crate::{ContentHash, StorageError};

/// What a copy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Blobs written to the target.
    pub copied: u64,
    /// Bytes written to the target.
    pub bytes: u64,
    /// Blobs the target had already.
    pub present: u64,
}

/// Copies every blob in `hashes` that `to` lacks from `from`, `parallel`
/// at a time. A blob whose bytes do not hash to its name is not written
/// and fails the copy, naming it; so does one `from` does not have.
pub async fn copy_blobs(
    from: &BlobStore,
    to: &BlobStore,
    hashes: &[ContentHash],
    parallel: usize,
    progress: &dyn Progress,
) -> Result<CopyReport, StorageError> {
    progress.phase("copying blobs", Some(hashes.len() as u64));
    let hashes = stream::iter(hashes.iter().copied().map(Ok));
    copy_stream(from, to, hashes, parallel, progress).await
}

/// Copies every blob `from` holds that `to` lacks, as the listing streams
/// in: memory does not grow with the number of blobs. The progress counts
/// blobs done (the total is not known up front).
pub async fn copy_all_blobs(
    from: &BlobStore,
    to: &BlobStore,
    parallel: usize,
    progress: &dyn Progress,
) -> Result<CopyReport, StorageError> {
    progress.phase("copying blobs", None);
    copy_stream(from, to, from.list_stream(), parallel, progress).await
}

async fn copy_stream(
    from: &BlobStore,
    to: &BlobStore,
    hashes: impl futures::Stream<Item = Result<ContentHash, StorageError>>,
    parallel: usize,
    progress: &dyn Progress,
) -> Result<CopyReport, StorageError> {
    hashes
        .map_ok(|hash| async move {
            let outcome = copy_one(from, to, &hash).await;
            progress.advance(1);
            outcome
        })
        .try_buffer_unordered(parallel.max(1))
        .try_fold(CopyReport::default(), |mut report, copied| async move {
            match copied {
                Some(bytes) => {
                    report.copied += 1;
                    report.bytes += bytes;
                }
                None => report.present += 1,
            }
            Ok(report)
        })
        .await
}

/// Copies one blob unless `to` has it; the bytes written, if any.
async fn copy_one(
    from: &BlobStore,
    to: &BlobStore,
    hash: &ContentHash,
) -> Result<Option<u64>, StorageError> {
    if to.contains(hash).await? {
        return Ok(None);
    }
    let mut source = from.stream(hash, None).await.map_err(|e| {
        if e.is_not_found() {
            StorageError::Conflict(format!("blob {hash} is not in {}", from.describe()))
        } else {
            e
        }
    })?;
    let mut writer = to.stage().await?;
    while let Some(chunk) = source.next().await {
        match chunk {
            Ok(chunk) => writer.write(chunk).await?,
            Err(e) => {
                writer.abort().await;
                return Err(e);
            }
        }
    }
    let staged = writer.finish().await?;
    if staged.hash != *hash {
        to.discard(&staged).await;
        return Err(StorageError::Conflict(format!(
            "blob {hash} in {} is corrupt: its bytes hash to {}",
            from.describe(),
            staged.hash
        )));
    }
    to.publish(&staged).await?;
    Ok(Some(staged.len))
}
