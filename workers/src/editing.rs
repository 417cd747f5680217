//! Interactive editing: previews while sliders move, and full-size exports,
//! rendered on the CPU pool (camera RAWs decoded in the RAW helper).
//!
//! Opening a photo for editing decodes it once into a working copy (linear
//! f32, about 2048 px on the long side; a RAW's not yet white-balanced); each
//! preview after that renders the candidate recipe from the copy, so moving a
//! slider costs the recipe, not a 24 MP decode. Copies are kept in a
//! least-recently-used cache bounded in bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use darkroom_pipeline::edit::{EditRecipe, ExportFormat, ExportHead, WorkingCopy};
use darkroom_pipeline::{Limits, PipelineError, RenditionSpec, ShrinkOnLoad, sniff};
use darkroom_storage::AssetId;

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
    copies: Arc<Mutex<WorkingCopies>>,
    /// Held while a photo's working copy is looked up and, when missing,
    /// decoded: a slider moved while the photo is still opening waits for
    /// that decode instead of starting a second one. Striped by asset.
    decoding: Arc<[tokio::sync::Mutex<()>]>,
    /// One full-size export at a time: a 24 MP picture is about 300 MB in
    /// f32, a 100 MP one over a gigabyte; two at once wait for each other
    /// rather than for the machine's memory.
    exports: Arc<tokio::sync::Semaphore>,
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
            copies: Arc::new(Mutex::new(WorkingCopies::new(config.edit_cache_bytes))),
            decoding: (0..DECODE_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            exports: Arc::new(tokio::sync::Semaphore::new(1)),
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
        let stripe = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            asset.hash(&mut hasher);
            hasher.finish() as usize % self.decoding.len()
        };
        let (copy, decoded) = {
            let _turn = self.decoding[stripe].lock().await;
            let cached = self
                .copies
                .lock()
                .expect("invariant: the cache lock is not poisoned")
                .get(&asset)
                .filter(|copy| copy.covers(&recipe, std::slice::from_ref(&spec)));
            match cached {
                Some(copy) => (copy, false),
                None => {
                    let original = original.await?;
                    let copy = Arc::new(self.decode(original, &recipe, &spec).await?);
                    self.copies
                        .lock()
                        .expect("invariant: the cache lock is not poisoned")
                        .insert(asset, copy.clone());
                    (copy, true)
                }
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
    /// as they are encoded. Dropping the receiver stops the export.
    pub async fn export(
        &self,
        original: Bytes,
        recipe: EditRecipe,
        format: ExportFormat,
    ) -> Result<ExportStream, WorkerError> {
        let turn = self
            .exports
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| WorkerError::PoolStopped)?;
        let (head_tx, head_rx) = tokio::sync::oneshot::channel();
        let (chunk_tx, chunks) = tokio::sync::mpsc::channel::<Bytes>(4);
        let (limits, helper, pool) = (self.limits, self.helper.clone(), self.pool.clone());
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
                    &mut |head| head_tx.take().is_some_and(|tx| tx.send(Ok(head)).is_ok()),
                    // From a pool thread, outside the runtime: blocking is
                    // how the export keeps pace with the client.
                    &mut |chunk| chunk_tx.blocking_send(Bytes::from(chunk)).is_ok(),
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
        Some(format) if format.decodes_in_helper() => {
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

/// Decodes that may run at once for different photos (one per stripe).
const DECODE_STRIPES: usize = 16;

type CopyKey = AssetId;

/// Working copies by asset, least recently used dropped first
/// when over budget. A handful of entries: a linear scan to evict is fine.
struct WorkingCopies {
    budget: usize,
    bytes: usize,
    clock: u64,
    entries: HashMap<CopyKey, (Arc<WorkingCopy>, u64)>,
}

impl WorkingCopies {
    fn new(budget: usize) -> Self {
        WorkingCopies {
            budget,
            bytes: 0,
            clock: 0,
            entries: HashMap::new(),
        }
    }

    fn get(&mut self, key: &CopyKey) -> Option<Arc<WorkingCopy>> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|(copy, used)| {
            *used = clock;
            copy.clone()
        })
    }

    fn insert(&mut self, key: CopyKey, copy: Arc<WorkingCopy>) {
        self.clock += 1;
        let size = copy.memory_bytes();
        // A single copy over the whole budget is not kept (nor does it push
        // the others out).
        if size > self.budget {
            return;
        }
        if let Some((old, _)) = self.entries.insert(key, (copy, self.clock)) {
            self.bytes -= old.memory_bytes();
        }
        self.bytes += size;
        while self.bytes > self.budget && self.entries.len() > 1 {
            let oldest = self
                .entries
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k);
            let Some(oldest) = oldest else { break };
            if let Some((copy, _)) = self.entries.remove(&oldest) {
                self.bytes -= copy.memory_bytes();
            }
        }
    }
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

    #[test]
    fn the_least_recently_used_copy_goes_first_and_the_budget_holds() {
        let one = copy(32); // 32 × 32 × 12 bytes = 12 KiB
        let per = one.memory_bytes();
        let mut cache = WorkingCopies::new(per * 2);
        let (a, b, c) = (AssetId::new(), AssetId::new(), AssetId::new());
        cache.insert(a, one.clone());
        cache.insert(b, one.clone());
        assert!(cache.get(&a).is_some()); // a is now newer than b
        cache.insert(c, one.clone());
        assert!(cache.get(&b).is_none(), "b was least recently used");
        assert!(cache.get(&a).is_some() && cache.get(&c).is_some());
        assert_eq!(cache.bytes, per * 2);
        // Too big for the whole budget: not kept, nothing else lost.
        cache.insert(AssetId::new(), copy(64));
        assert_eq!(cache.entries.len(), 2);
        assert_eq!(cache.bytes, per * 2);
    }
}
