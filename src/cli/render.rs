//! `darkroom render`: the pipeline on local files, one file per core at a time.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use darkroom_pipeline::RenditionSpec;
use darkroom_pipeline::edit::EditRecipe;
use darkroom_pipeline::plan::HelperRenderer;
use darkroom_workers::WorkerConfig;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::RenderingArgs;
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
    let recipe = match &args.recipe {
        Some(path) => {
            let json =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            EditRecipe::from_json(&json)
                .with_context(|| format!("the recipe in {}", path.display()))?
        }
        None => EditRecipe::default(),
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
    // Largest files first, each thread taking the next file as it finishes
    // one: the run then ends on small files, so no thread waits long for
    // another finishing a big one (rayon's halving split of the list left up
    // to one large file's time on one core at the end).
    let files = largest_first(&args.files);
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::<(PathBuf, String)>::new());
    pool.scope(|scope| {
        for _ in 0..pool.current_num_threads() {
            scope.spawn(|_| {
                while let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let result = render_file(file, &specs, &recipe, &settings.workers, &args.out);
                    progress.inc(1);
                    match result {
                        Ok((pixels, warning)) => {
                            megapixels.fetch_add(pixels, Ordering::Relaxed);
                            if let Some(w) = warning {
                                progress.suspend(|| eprintln!("{}: warning: {w}", file.display()));
                            }
                        }
                        Err(e) => {
                            progress.suspend(|| eprintln!("{}: {e:#}", file.display()));
                            let mut failed = failures.lock().unwrap_or_else(|p| p.into_inner());
                            failed.push((file.to_path_buf(), format!("{e:#}")));
                        }
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
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

/// `files` ordered by size, largest first (unreadable ones last: they fail
/// quickly, with their reason, when rendered).
fn largest_first(files: &[PathBuf]) -> Vec<&Path> {
    let mut sized: Vec<(u64, &Path)> = files
        .iter()
        .map(|f| (std::fs::metadata(f).map_or(0, |m| m.len()), f.as_path()))
        .collect();
    sized.sort_by_key(|&(size, _)| std::cmp::Reverse(size));
    sized.into_iter().map(|(_, f)| f).collect()
}

/// Renders one file; returns its pixel count (for the throughput summary) and
/// the decoder's warning, if it had to fill in damaged data.
fn render_file(
    file: &Path,
    specs: &[RenditionSpec],
    recipe: &EditRecipe,
    config: &WorkerConfig,
    out: &Path,
) -> anyhow::Result<(u64, Option<String>)> {
    let bytes = std::fs::read(file).context("reading")?;
    let plan = darkroom_pipeline::plan(&bytes, recipe, specs)?;
    let helper = config.raw_helper.as_ref().map(|h| h as &dyn HelperRenderer);
    let rendered = plan.run(&bytes, specs, &config.limits, config.shrink_on_load, helper)?;
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

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// Folder the renditions are written to (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// A rendition NAME:SIZE[:FORMAT[:QUALITY]], SIZE a long edge, WxH (fit
    /// inside) or WxH-cover (fill and crop), repeatable
    /// [default: thumb:256:jpeg:80 and preview:1440:jpeg:85].
    #[arg(long = "rendition")]
    pub renditions: Vec<String>,
    /// An edit recipe (a JSON file, see docs/edit-recipe.md) to render every
    /// file with.
    #[arg(long)]
    pub recipe: Option<PathBuf>,
    /// Threads to render on [default: one per core].
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub rendering: RenderingArgs,
    /// The files to render.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_taken_largest_first_and_missing_ones_last() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (name, size) in [("small", 10), ("big", 3000), ("mid", 200)] {
            let path = dir.path().join(name);
            std::fs::write(&path, vec![0u8; size]).unwrap();
            files.push(path);
        }
        files.insert(1, dir.path().join("missing"));
        let names: Vec<_> = largest_first(&files)
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["big", "mid", "small", "missing"]);
    }
}
