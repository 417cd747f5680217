//! `darkroom render`: the pipeline on local files, one file per core at a time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context;
use darkroom_pipeline::RenditionSpec;
use darkroom_workers::{WorkerConfig, render_original};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::RenderArgs;
use crate::settings::Settings;

pub fn run(settings: Settings, args: &RenderArgs) -> anyhow::Result<()> {
    let specs = if args.renditions.is_empty() {
        RenditionSpec::defaults()
    } else {
        args.renditions
            .iter()
            .map(|s| s.parse::<RenditionSpec>())
            .collect::<Result<Vec<_>, _>>()?
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .context("starting the render threads")?;

    let progress =
        ProgressBar::with_draw_target(Some(args.files.len() as u64), ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec}, eta {eta}")
            .expect("invariant: the template is valid"),
    );
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress.set_draw_target(ProgressDrawTarget::hidden());
    }
    let megapixels = AtomicU64::new(0);
    let started = Instant::now();
    let failures: Vec<(PathBuf, String)> = pool.install(|| {
        args.files
            .par_iter()
            .filter_map(|file| {
                let result = render_file(file, &specs, &settings.workers, &args.out);
                progress.inc(1);
                match result {
                    Ok((pixels, warning)) => {
                        megapixels.fetch_add(pixels, Ordering::Relaxed);
                        if let Some(w) = warning {
                            progress.suspend(|| eprintln!("{}: warning: {w}", file.display()));
                        }
                        None
                    }
                    Err(e) => {
                        progress.suspend(|| eprintln!("{}: {e:#}", file.display()));
                        Some((file.clone(), format!("{e:#}")))
                    }
                }
            })
            .collect()
    });
    progress.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let done = args.files.len() - failures.len();
    eprintln!(
        "rendered {done} of {} files in {secs:.2} s ({:.1} images/s, {:.0} MP/s)",
        args.files.len(),
        done as f64 / secs,
        megapixels.load(Ordering::Relaxed) as f64 / 1e6 / secs
    );
    anyhow::ensure!(
        failures.is_empty(),
        "{} of {} files failed",
        failures.len(),
        args.files.len()
    );
    Ok(())
}

/// Renders one file; returns its pixel count (for the throughput summary) and
/// the decoder's warning, if it had to fill in damaged data.
fn render_file(
    file: &Path,
    specs: &[RenditionSpec],
    config: &WorkerConfig,
    out: &Path,
) -> anyhow::Result<(u64, Option<String>)> {
    let bytes = std::fs::read(file).context("reading")?;
    let rendered = render_original(
        &bytes,
        specs,
        &config.limits,
        config.shrink_on_load,
        config.raw_helper.as_ref(),
    )?;
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    for r in &rendered {
        let name = format!("{stem}.{}.{}", r.spec.name(), r.spec.format().extension());
        std::fs::write(out.join(&name), &r.bytes).with_context(|| format!("writing {name}"))?;
    }
    Ok(rendered.first().map_or((0, None), |r| {
        (
            u64::from(r.source_width) * u64::from(r.source_height),
            r.decode_warning.clone(),
        )
    }))
}
