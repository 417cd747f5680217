//! The render job: original → renditions, stored content-addressed.

use darkroom_storage::AssetId;
use darkroom_storage::Catalog;
use darkroom_storage::catalog::{LeasedJob, NewRendition, UsageKind};

use darkroom_pipeline::edit::EditRecipe;
use darkroom_pipeline::plan::HelperRenderer;
use darkroom_pipeline::timings;

use crate::{Runner, WorkerError};

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
        // A RAW+JPEG pair renders its JPEG until edited, its RAW after.
        let (source, format) = self
            .catalog
            .render_source(&asset, !recipe_hash.is_empty())
            .await?;
        let original = self.blobs.get(&source).await?;
        let specs = self.config.renditions.clone();
        let limits = self.config.limits;
        let shrink = self.config.shrink_on_load;
        let helper = self.config.raw_helper.clone();
        let (rendered, busy) = self
            .pool
            .run(move || {
                // One asset renders on one core (or in the one-threaded helper):
                // the time spent here is the CPU time metered for the owner.
                let started = std::time::Instant::now();
                let (rendered, stages) = timings::collect(|| {
                    let plan = darkroom_pipeline::plan(&original, &recipe, &specs)?;
                    tracing::debug!(%plan, "rendering");
                    let helper = helper.as_ref().map(|h| h as &dyn HelperRenderer);
                    plan.run(&original, &specs, &limits, shrink, helper)
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
            .finish_render_job(&job.id, self.id(), &asset_id, &recipe_hash, &source, &rows)
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
