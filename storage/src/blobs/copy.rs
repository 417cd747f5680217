//! Copying blobs from one store to another (backups, restores, moving to
//! S3): streamed, several at a time, each verified by its BLAKE3 name on
//! arrival, and incremental: what the target holds already is not sent.

use bytes::BytesMut;
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
            let outcome = copy_one(from, to, &hash).await.map_err(|e| {
                if e.is_not_found() {
                    StorageError::Conflict(format!("blob {hash} is not in {}", from.describe()))
                } else {
                    e
                }
            });
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

/// Blobs up to this size are copied with one PUT from memory; larger ones
/// stream through the target's staging area (a multipart upload, then a
/// copy into place). A thumbnail then costs two requests, not seven.
const IN_MEMORY: usize = 8 << 20;

/// Copies one blob unless `to` has it; the bytes written, if any.
pub(super) async fn copy_one(
    from: &BlobStore,
    to: &BlobStore,
    hash: &ContentHash,
) -> Result<Option<u64>, StorageError> {
    if to.contains(hash).await? {
        return Ok(None);
    }
    copy_verified(from, to, hash).await.map(Some)
}

/// Copies one blob from `from` to `to`, over whatever `to` holds under its
/// name, once its bytes are checked against that name; the bytes written.
pub(super) async fn copy_verified(
    from: &BlobStore,
    to: &BlobStore,
    hash: &ContentHash,
) -> Result<u64, StorageError> {
    let mut source = from.stream(hash, None).await?;
    let corrupt = |actual: ContentHash| super::replica::corrupt(from, hash, actual);
    // Read ahead up to IN_MEMORY: a small blob is whole by then.
    let mut head = BytesMut::new();
    while head.len() <= IN_MEMORY {
        match source.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => {
                let bytes = head.freeze();
                let actual = ContentHash::of(&bytes);
                if actual != *hash {
                    return Err(corrupt(actual));
                }
                let len = bytes.len() as u64;
                to.put_bytes(hash, bytes).await?;
                return Ok(len);
            }
        }
    }
    let mut writer = to.stage().await?;
    let mut next = Some(Ok(head.freeze()));
    while let Some(chunk) = next {
        match chunk {
            Ok(chunk) => writer.write(chunk).await?,
            Err(e) => {
                writer.abort().await;
                return Err(e);
            }
        }
        next = source.next().await;
    }
    let staged = writer.finish().await?;
    if staged.hash != *hash {
        to.discard(&staged).await;
        return Err(corrupt(staged.hash));
    }
    to.publish_as(&staged, true).await?;
    Ok(staged.len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BlobConfig;
    use bytes::Bytes;

    fn store(dir: &std::path::Path) -> BlobStore {
        BlobStore::open(&BlobConfig::Local(dir.to_path_buf())).unwrap()
    }

    async fn put(store: &BlobStore, bytes: Vec<u8>) -> ContentHash {
        let hash = ContentHash::of(&bytes);
        store.put_bytes(&hash, Bytes::from(bytes)).await.unwrap();
        hash
    }

    /// Small blobs go in one PUT, large ones through staging: both arrive
    /// whole, a second copy sends nothing, and a corrupt one of either
    /// kind is refused and not written.
    #[tokio::test]
    async fn small_and_large_blobs_arrive_whole_and_corrupt_ones_do_not() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (from, to) = (store(a.path()), store(b.path()));
        let small: Vec<u8> = (0..5_000u32).map(|i| (i * 7) as u8).collect();
        let large: Vec<u8> = (0..(IN_MEMORY as u32 + 123_457))
            .map(|i| (i % 251) as u8)
            .collect();
        let hashes = [
            put(&from, small.clone()).await,
            put(&from, large.clone()).await,
        ];

        let report = copy_blobs(&from, &to, &hashes, 2, &()).await.unwrap();
        assert_eq!((report.copied, report.present), (2, 0));
        assert_eq!(report.bytes, (small.len() + large.len()) as u64);
        assert_eq!(&to.get(&hashes[0]).await.unwrap()[..], &small[..]);
        assert_eq!(&to.get(&hashes[1]).await.unwrap()[..], &large[..]);
        let again = copy_blobs(&from, &to, &hashes, 2, &()).await.unwrap();
        assert_eq!((again.copied, again.present), (0, 2));

        for (hash, bytes) in hashes.iter().zip([small, large]) {
            let hex = hash.to_hex();
            let path = a
                .path()
                .join(format!("blobs/{}/{}/{hex}", &hex[0..2], &hex[2..4]));
            let mut flipped = bytes;
            flipped[1_000] ^= 1;
            std::fs::write(&path, flipped).unwrap();
            let fresh = tempfile::tempdir().unwrap();
            let error = copy_blobs(&from, &store(fresh.path()), &[*hash], 1, &())
                .await
                .unwrap_err()
                .to_string();
            assert!(
                error.contains(&format!("blob {hash}")) && error.contains("corrupt"),
                "{error}"
            );
            assert!(
                !store(fresh.path()).contains(hash).await.unwrap(),
                "a corrupt blob was written"
            );
        }
    }
}
