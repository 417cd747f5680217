//! Originals sent through share links: rewritten without location as they
//! stream from the blob store (see `darkroom_pipeline::location_stripper`).
//!
//! Anyone holding a link can ask, so each response holds bounded memory
//! (one chunk, a JPEG segment, a TIFF plan's few pages) whatever the file's
//! size, and only so many run at once: a slot is taken before the first
//! read and released when the body has been sent or the client has gone.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use actix_web::web::{self, Bytes};
use darkroom_pipeline::{LocationStripper, Paged, PipelineError, ReadAt, location_stripper};
use darkroom_storage::catalog::{AssetRecord, UsageKind};
use darkroom_storage::{BlobStore, ContentHash, StorageError};
use futures::{Stream, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// How many shared originals are sent at once.
#[derive(Clone)]
pub(crate) struct SharedOriginalSlots(Arc<Semaphore>);

impl SharedOriginalSlots {
    pub(crate) fn new(slots: usize) -> Self {
        SharedOriginalSlots(Arc::new(Semaphore::new(slots.max(1))))
    }

    /// A slot at once (`wait` zero: a client retries later) or within
    /// `wait` (a ZIP's next file); `Busy` when none came.
    async fn take(&self, wait: std::time::Duration) -> Result<OwnedSemaphorePermit, ApiError> {
        let slot = self.0.clone();
        let taken = if wait.is_zero() {
            slot.try_acquire_owned().ok()
        } else {
            tokio::time::timeout(wait, slot.acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
        };
        taken.ok_or_else(|| {
            metrics::counter!("darkroom_shared_originals_refused_total").increment(1);
            ApiError::Busy("as many shared originals as the server sends at once are on their way")
        })
    }
}

/// The original of `asset`, without location, as a stream of chunks; the
/// bytes sent are metered to the owner as they go. `wait`: how long to wait
/// for a slot (zero: refuse at once when all are taken).
pub(crate) async fn without_location(
    state: web::Data<AppState>,
    asset: &AssetRecord,
    wait: std::time::Duration,
) -> Result<impl Stream<Item = Result<Bytes, ApiError>> + use<>, ApiError> {
    let permit = state.shared_original_slots.take(wait).await?;
    let stripper = plan(&state.blobs, asset).await?;
    let source = state.blobs.stream(&asset.hash, None).await?;
    let sending = Sending {
        source,
        stripper: Some(stripper),
        state,
        owner: asset.owner,
        _permit: permit,
    };
    Ok(futures::stream::unfold(sending, Sending::next))
}

/// Sniffs the original and plans its rewrite, reading what the plan needs
/// (on a blocking thread: the pipeline's reads are synchronous).
async fn plan(blobs: &BlobStore, asset: &AssetRecord) -> Result<LocationStripper, ApiError> {
    let reader = BlobReader {
        blobs: blobs.clone(),
        hash: asset.hash,
        size: asset.size,
        runtime: tokio::runtime::Handle::current(),
        failed: RefCell::new(None),
    };
    let planned = tokio::task::spawn_blocking(move || {
        let stripper = location_stripper(&Paged::new(&reader));
        (stripper, reader.failed.into_inner())
    })
    .await
    .map_err(ApiError::internal)?;
    match planned {
        (_, Some(storage)) => Err(storage.into()),
        (Ok(stripper), None) => Ok(stripper),
        (Err(e), None) => Err(not_shareable(e)),
    }
}

fn not_shareable(e: PipelineError) -> ApiError {
    ApiError::Unprocessable {
        code: ErrorCode::OriginalNotShareable,
        message: format!("{e}; the renditions can still be viewed"),
    }
}

/// One response's progress.
struct Sending<S> {
    source: S,
    /// `None` once finished (or failed).
    stripper: Option<LocationStripper>,
    state: web::Data<AppState>,
    owner: darkroom_storage::UserId,
    /// Held until the stream is dropped: sent, failed or abandoned.
    _permit: OwnedSemaphorePermit,
}

impl<S> Sending<S>
where
    S: Stream<Item = Result<Bytes, StorageError>> + Unpin,
{
    async fn next(mut self) -> Option<(Result<Bytes, ApiError>, Self)> {
        loop {
            let stripper = self.stripper.as_mut()?;
            let mut out = Vec::new();
            let step = match self.source.next().await {
                Some(Ok(chunk)) => stripper.push(&chunk, &mut out).map_err(not_shareable),
                Some(Err(e)) => Err(ApiError::from(e)),
                None => {
                    let last = self.stripper.take().expect("checked above");
                    last.finish(&mut out).map_err(not_shareable)
                }
            };
            if let Err(e) = step {
                // Headers are gone already: the client sees a cut body.
                tracing::warn!(error = %e, "a shared original failed while being sent");
                self.stripper = None;
                return Some((Err(e), self));
            }
            if !out.is_empty() {
                self.state.meter.add(
                    &self.owner,
                    UsageKind::OriginalBytesDownloaded,
                    out.len() as u64,
                );
                return Some((Ok(Bytes::from(out)), self));
            }
        }
    }
}

/// Reads of a blob for the planner, from the blocking thread it runs on.
/// A storage failure is kept aside, so that it is answered as one (503 when
/// worth retrying) rather than as a broken file.
struct BlobReader {
    blobs: BlobStore,
    hash: ContentHash,
    size: u64,
    runtime: tokio::runtime::Handle,
    failed: RefCell<Option<StorageError>>,
}

impl ReadAt for BlobReader {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, PipelineError> {
        let end = offset.saturating_add(len as u64).min(self.size);
        if offset >= end {
            return Ok(Cow::Borrowed(&[]));
        }
        let read = self
            .runtime
            .block_on(self.blobs.get_range(&self.hash, offset..end));
        match read {
            Ok(bytes) => Ok(Cow::Owned(bytes.to_vec())),
            Err(e) => {
                *self.failed.borrow_mut() = Some(e);
                Err(PipelineError::UnsupportedType(
                    "the original could not be read".into(),
                ))
            }
        }
    }
}
