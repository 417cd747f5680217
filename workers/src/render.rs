//! The render job: original → renditions, stored content-addressed.

use darkroom_storage::AssetId;
use darkroom_storage::Catalog;
use darkroom_storage::catalog::{LeasedJob, NewRendition, UsageKind};

use darkroom_pipeline::edit::{EditRecipe, render_edited};
use darkroom_pipeline::timings::{self, Stage, timed};
use darkroom_pipeline::{
    Limits, PipelineError, Rendered, RenditionSpec, ShrinkOnLoad, render_from_embedded_preview,
    sniff,
};

use crate::{HelperJob, RawHelper, Runner, WorkerError, render_in_helper};

/// Renders `original` as `recipe` edits it, in this process; a camera RAW
/// from its embedded JPEG preview when unedited and that is large enough,
/// else developed in the RAW helper.
pub fn render_original(
    original: &[u8],
    specs: &[RenditionSpec],
    recipe: &EditRecipe,
    limits: &Limits,
    shrink: ShrinkOnLoad,
    helper: Option<&RawHelper>,
) -> Result<Vec<Rendered>, PipelineError> {
    match sniff(original) {
        Some(format) if format.decodes_in_helper() => {
            let job = HelperJob {
                limits,
                shrink,
                recipe: Some(recipe).filter(|r| !r.is_identity()),
            };
            // An edit (a white balance especially) is made from the raw
            // data, never from the camera's JPEG.
            let develop = |helper: &RawHelper| {
                timed(Stage::Develop, || {
                    render_in_helper(helper, format, original, specs, job)
                })
            };
            if job.recipe.is_some() {
                return match helper {
                    Some(helper) => develop(helper),
                    None => Err(PipelineError::NoDecoder(format)),
                };
            }
            // The camera's own JPEG, when large enough, in milliseconds and in
            // process (libjpeg and a bounds-checked TIFF walk: nothing that
            // needs the helper's fences); a clean one, else the develop.
            if let Ok(Some(rendered)) =
                render_from_embedded_preview(original, specs, limits, shrink)
                && rendered.iter().all(|r| r.decode_warning.is_none())
            {
                return Ok(rendered);
            }
            match helper {
                Some(helper) => develop(helper),
                None => Err(PipelineError::NoDecoder(format)),
            }
        }
        _ => render_edited(original, specs, recipe, limits, shrink),
    }
}

/// The asset's current edit recipe and its fingerprint: the identity and
/// '' when it was never edited.
pub async fn current_recipe(
    catalog: &Catalog,
    asset: &AssetId,
) -> Result<(EditRecipe, String), WorkerError> {
    Ok(match catalog.current_edit(asset).await? {
        Some(edit) => (
            EditRecipe::from_json(edit.recipe.as_bytes())
                .map_err(|e| WorkerError::BadJob(format!("stored recipe: {e}")))?,
            edit.recipe_hash,
        ),
        None => (EditRecipe::default(), String::new()),
    })
}

impl Runner {
    pub(crate) async fn render_renditions(
        &self,
        job: &LeasedJob,
        asset_id: AssetId,
    ) -> Result<bool, WorkerError> {
        let asset = match self.catalog.get_asset_any_owner(&asset_id).await {
            Ok(asset) => asset,
            // Deleted meanwhile: nothing left to render.
            Err(e) if e.is_not_found() => {
                return Ok(self.catalog.complete_job(&job.id, self.id()).await?);
            }
            Err(e) => return Err(e.into()),
        };
        // The edit to render: read with its fingerprint, which the result is
        // recorded against (a newer save makes this render moot).
        let (recipe, recipe_hash) = current_recipe(&self.catalog, &asset_id).await?;
        let original = self.blobs.get(&asset.hash).await?;
        let specs = self.config.renditions.clone();
        let limits = self.config.limits;
        let shrink = self.config.shrink_on_load;
        let helper = self.config.raw_helper.clone();
        let format = asset.format.clone();
        let (rendered, busy) = self
            .pool
            .run(move || {
                // One asset renders on one core (or in the one-threaded helper):
                // the time spent here is the CPU time metered for the owner.
                let started = std::time::Instant::now();
                let (rendered, stages) = timings::collect(|| {
                    render_original(&original, &specs, &recipe, &limits, shrink, helper.as_ref())
                });
                crate::record_stages(&format, stages);
                rendered.map(|r| (r, started.elapsed()))
            })
            .await??;
        if let Some(warning) = rendered.first().and_then(|r| r.decode_warning.as_deref()) {
            // Rendered anyway (a damaged scan is filled in grey); the original
            // is kept bit-exact, so this is for whoever reads the log.
            tracing::warn!(asset_id = %asset_id, warning, "original decoded with damage");
        }
        let mut rows = Vec::with_capacity(rendered.len());
        for r in rendered {
            let (name, spec) = (r.spec.name().to_string(), r.spec.key());
            let media_type = r.spec.format().media_type().to_string();
            let (width, height) = (r.width, r.height);
            // Pinned and written now, recorded with the job's completion.
            let (hash, size) = self.store.store_rendition(r.bytes).await?;
            rows.push(NewRendition {
                name,
                spec,
                hash,
                media_type,
                width,
                height,
                size,
            });
        }
        if let Some(hold) = self.config.hold_each_job {
            tracing::warn!(
                hold_ms = hold.as_millis() as u64,
                "fault injection: holding job"
            );
            tokio::time::sleep(hold).await;
        }
        let recorded = self
            .catalog
            .finish_render_job(&job.id, self.id(), &asset_id, &recipe_hash, &rows)
            .await?;
        if recorded {
            let cpu_ms = busy.as_millis().max(1) as i64;
            self.catalog
                .meter(&asset.owner, UsageKind::RenderCpuMs, cpu_ms)
                .await?;
        }
        Ok(recorded)
    }
}
