//! Interactive editing: previews while sliders move, and full-size exports,
//! rendered on the CPU pool (camera RAWs decoded in the RAW helper).
//!
//! Opening a photo for editing decodes it once into a working copy (linear
//! f32, about 2048 px on the long side; a RAW's not yet white-balanced); each
//! preview after that renders the candidate recipe from the copy, so moving a
//! slider costs the recipe, not a 24 MP decode. Copies are kept in a
//! least-recently-used cache bounded in bytes.

use std::sync::Arc;

use bytes::Bytes;
use darkroom_pipeline::edit::{EditRecipe, ExportFormat, ExportHead, WorkingCopy};
use darkroom_pipeline::plan::Decoder;
use darkroom_pipeline::{Limits, PipelineError, RenditionSpec, ShrinkOnLoad, sniff};
use darkroom_storage::AssetId;
use moka::future::Cache;
use moka::ops::compute::{CompResult, Op};
use moka::policy::EvictionPolicy;

use crate::{CpuPool, HelperJob, RawHelper, WorkerConfig, WorkerError, working_copy_in_helper};

/// The long edge working copies are decoded to (more when a crop needs it).
pub const WORKING_COPY_EDGE: u32 = 2048;

/// Previews are at most this large.
pub const MAX_PREVIEW_EDGE: u32 = 2560;

/// Renders previews and exports of edits; holds the working copies.
#[derive(Clone)]
pub struct EditRenderer {
    pool: CpuPool,
    limits: Limits,
    shrink: ShrinkOnLoad,
    helper: Option<RawHelper>,
    /// Working copies by asset (an asset's original never changes, so its
    /// id names the copy), least recently used dropped first when over the
    /// byte budget. A photo's copy is looked up and, when missing, decoded
    /// under a lock for that photo: a slider moved while the photo is still
    /// opening waits for that decode instead of starting a second one.
    copies: Cache<AssetId, Arc<WorkingCopy>>,
    /// One full-size export at a time: a 24 MP picture is about 300 MB in
    /// f32, a 100 MP one over a gigabyte; two at once wait for each other
    /// rather than for the machine's memory.
    exports: Arc<tokio::sync::Semaphore>,
    /// How long an export waits for its client to take the next chunk
    /// before it gives up (and frees the slot and the CPU thread).
    export_stall: std::time::Duration,
}

/// An export under way.
pub struct ExportStream {
    /// The picture's size and the file's length.
    pub head: ExportHead,
    /// The file, a chunk at a time; closed at the end.
    pub chunks: tokio::sync::mpsc::Receiver<Bytes>,
}

/// A rendered preview.
#[derive(Clone, Debug)]
pub struct Preview {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// True when the working copy had to be decoded for this preview (the
    /// photo was just opened, or fell out of the cache).
    pub decoded: bool,
}

impl EditRenderer {
    /// A renderer on `pool`, decoding as `config` says, keeping up to
    /// `config.edit_cache_bytes` of working copies.
    pub fn new(pool: CpuPool, config: &WorkerConfig) -> Self {
        EditRenderer {
            pool,
            limits: config.limits,
            shrink: config.shrink_on_load,
            helper: config.raw_helper.clone(),
            copies: working_copies(config.edit_cache_bytes),
            exports: Arc::new(tokio::sync::Semaphore::new(1)),
            export_stall: config.export_stall_timeout,
        }
    }

    /// Renders `recipe` on the asset at `long_edge` pixels (JPEG). `original`
    /// is fetched only when no working copy of it is cached. (An asset's
    /// original never changes, so its id names the copy.)
    pub async fn preview<F>(
        &self,
        asset: AssetId,
        original: F,
        recipe: EditRecipe,
        long_edge: u32,
    ) -> Result<Preview, WorkerError>
    where
        F: std::future::Future<Output = Result<Bytes, WorkerError>>,
    {
        let spec: RenditionSpec =
            format!("preview:{}:jpeg:85", long_edge.clamp(64, MAX_PREVIEW_EDGE))
                .parse()
                .map_err(|e| WorkerError::BadJob(format!("preview spec: {e}")))?;
        let looked_up = self
            .copies
            .entry(asset)
            .and_try_compute_with(|cached| async {
                if let Some(copy) = cached
                    && copy.value().covers(&recipe, std::slice::from_ref(&spec))
                {
                    return Ok(Op::Nop);
                }
                // Missing, or too small for a tight crop, or developed with
                // another white balance: decoded (again).
                let copy = self.decode(original.await?, &recipe, &spec).await?;
                Ok::<_, WorkerError>(Op::Put(Arc::new(copy)))
            })
            .await?;
        let (copy, decoded) = match looked_up {
            CompResult::Unchanged(entry) => (entry.into_value(), false),
            CompResult::Inserted(entry) | CompResult::ReplacedWith(entry) => {
                (entry.into_value(), true)
            }
            CompResult::StillNone(_) | CompResult::Removed(_) => {
                unreachable!("the lookup either keeps a copy or puts one")
            }
        };
        let rendered = self
            .pool
            .run(move || copy.render(&recipe, std::slice::from_ref(&spec), None))
            .await??;
        let first = rendered
            .into_iter()
            .next()
            .ok_or_else(|| WorkerError::BadJob("the preview rendered nothing".into()))?;
        Ok(Preview {
            jpeg: first.bytes,
            width: first.width,
            height: first.height,
            decoded,
        })
    }

    /// A working copy for previews at `spec`'s size after `recipe`'s crop,
    /// and at least [`WORKING_COPY_EDGE`] for the whole frame.
    async fn decode(
        &self,
        original: Bytes,
        recipe: &EditRecipe,
        spec: &RenditionSpec,
    ) -> Result<WorkingCopy, WorkerError> {
        let whole: RenditionSpec = format!("working:{WORKING_COPY_EDGE}")
            .parse()
            .map_err(|e| WorkerError::BadJob(format!("working copy spec: {e}")))?;
        let specs = vec![whole, spec.clone()];
        let (limits, shrink, helper, recipe) = (
            self.limits,
            self.shrink,
            self.helper.clone(),
            recipe.clone(),
        );
        let copy = self
            .pool
            .run(move || {
                decode_copy(
                    &original,
                    &recipe,
                    Some(&specs),
                    &limits,
                    shrink,
                    helper.as_ref(),
                )
            })
            .await??;
        Ok(copy)
    }

    /// Starts exporting the asset's original with `recipe` at full
    /// resolution: answers once the picture is finished (with every error
    /// there is), then the file's bytes follow on [`ExportStream::chunks`]
    /// as they are encoded. Dropping the receiver stops the export, and so
    /// does a client that takes no chunk for the stall timeout.
    ///
    /// `original` is fetched once this export's turn has come: a request
    /// waiting for the slot holds no original in memory. `xmp`, when given,
    /// is embedded in the file (the photo's description).
    pub async fn export<F>(
        &self,
        original: F,
        recipe: EditRecipe,
        format: ExportFormat,
        xmp: Option<String>,
    ) -> Result<ExportStream, WorkerError>
    where
        F: std::future::Future<Output = Result<Bytes, WorkerError>>,
    {
        let turn = self
            .exports
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| WorkerError::PoolStopped)?;
        let original = original.await?;
        let (head_tx, head_rx) = tokio::sync::oneshot::channel();
        let (chunk_tx, chunks) = tokio::sync::mpsc::channel::<Bytes>(4);
        let (limits, helper, pool) = (self.limits, self.helper.clone(), self.pool.clone());
        let (runtime, stall) = (tokio::runtime::Handle::current(), self.export_stall);
        // From a pool thread, outside the runtime: waiting here is how the
        // export keeps pace with its client, but not for ever.
        let hand_over = move |chunk: Vec<u8>| {
            // The timer is made inside the runtime, which it needs.
            let sent = runtime.block_on(async {
                tokio::time::timeout(stall, chunk_tx.send(Bytes::from(chunk))).await
            });
            match sent {
                Ok(Ok(())) => true,
                Ok(Err(_)) => false, // the client went away
                Err(_) => {
                    metrics::counter!("darkroom_exports_abandoned_total").increment(1);
                    tracing::warn!(
                        stall_secs = stall.as_secs(),
                        "export abandoned: its client took no data"
                    );
                    false
                }
            }
        };
        let work = move || {
            // Held until the last byte is handed over.
            let _turn = turn;
            let mut head_tx = Some(head_tx);
            let result = decode_copy(
                &original,
                &recipe,
                None,
                &limits,
                ShrinkOnLoad::Exact,
                helper.as_ref(),
            )
            .and_then(|copy| {
                copy.export_to(
                    &recipe,
                    format,
                    Some(&original),
                    xmp.as_deref(),
                    &mut |head| head_tx.take().is_some_and(|tx| tx.send(Ok(head)).is_ok()),
                    &mut |chunk| hand_over(chunk),
                )
            });
            if let (Err(e), Some(tx)) = (result, head_tx.take()) {
                let _ = tx.send(Err(WorkerError::from(e)));
            }
        };
        tokio::spawn(async move {
            let _ = pool.run(work).await;
        });
        let head = head_rx.await.map_err(|_| {
            WorkerError::BadJob("the export stopped before its first byte".into())
        })??;
        Ok(ExportStream { head, chunks })
    }
}

/// Decodes a working copy, a camera RAW in the helper process.
fn decode_copy(
    original: &[u8],
    recipe: &EditRecipe,
    specs: Option<&[RenditionSpec]>,
    limits: &Limits,
    shrink: ShrinkOnLoad,
    helper: Option<&RawHelper>,
) -> Result<WorkingCopy, PipelineError> {
    match sniff(original) {
        Some(format) if Decoder::for_format(format) == Decoder::Helper => {
            let helper = helper.ok_or(PipelineError::NoDecoder(format))?;
            let job = HelperJob {
                limits,
                shrink,
                recipe: Some(recipe),
            };
            working_copy_in_helper(helper, format, original, specs.unwrap_or(&[]), job)
        }
        _ => WorkingCopy::decode(original, recipe, specs, limits, shrink),
    }
}

/// A cache of working copies holding up to `budget` bytes of pixels. A copy
/// larger than the whole budget is not kept (nor does it push others out).
fn working_copies(budget: usize) -> Cache<AssetId, Arc<WorkingCopy>> {
    Cache::builder()
        .max_capacity(budget as u64)
        .weigher(|_, copy: &Arc<WorkingCopy>| {
            u32::try_from(copy.memory_bytes()).unwrap_or(u32::MAX)
        })
        // A photo is edited in a burst, then left: recency is what counts.
        .eviction_policy(EvictionPolicy::lru())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use darkroom_pipeline::Limits;

    fn copy(size: u32) -> Arc<WorkingCopy> {
        let mut jpeg = Vec::new();
        let pixels = vec![128u8; (size * size * 3) as usize];
        image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
            .encode(&pixels, size, size, image::ExtendedColorType::Rgb8)
            .unwrap();
        Arc::new(
            WorkingCopy::decode(
                &jpeg,
                &EditRecipe::default(),
                None,
                &Limits::default(),
                ShrinkOnLoad::Fast,
            )
            .unwrap(),
        )
    }

    #[tokio::test]
    async fn the_least_recently_used_copy_goes_first_and_the_budget_holds() {
        let one = copy(32); // 32 × 32 × 12 bytes = 12 KiB
        let per = one.memory_bytes() as u64;
        let cache = working_copies(2 * per as usize);
        let (a, b, c) = (AssetId::new(), AssetId::new(), AssetId::new());
        cache.insert(a, one.clone()).await;
        cache.insert(b, one.clone()).await;
        cache.run_pending_tasks().await;
        assert!(cache.get(&a).await.is_some()); // a is now newer than b
        cache.insert(c, one.clone()).await;
        cache.run_pending_tasks().await;
        assert!(cache.get(&b).await.is_none(), "b was least recently used");
        assert!(cache.get(&a).await.is_some() && cache.get(&c).await.is_some());
        assert_eq!(cache.weighted_size(), per * 2);
        // Too big for the whole budget: not kept, nothing else lost.
        let big = AssetId::new();
        cache.insert(big, copy(64)).await;
        cache.run_pending_tasks().await;
        assert!(cache.get(&big).await.is_none());
        assert_eq!(cache.entry_count(), 2);
        assert_eq!(cache.weighted_size(), per * 2);
    }
}
