//! `edit-bench`: how fast editing feels. For a 24 MP JPEG and a 24 MP DNG:
//! the time to the first preview after opening a photo for editing (decode
//! to a 2048 px working copy, render a 1440 px preview), the time per slider
//! change after that (median and p95), and a full-size export — beside
//! libvips doing the same operations (`benches/edit-vips.py`, pyvips), as
//! ratios. Not a test: quote medians, and run it on a quiet machine.
//!
//!     cargo run --release -p darkroom-benches --bin edit-bench -- \
//!         [--jpeg PHOTO.jpg] [--dng PHOTO.dng] [--changes 30]
//!
//! The JPEG defaults to the corpus' 24 MP craft-beer.jpg (a generated
//! 6000 × 4000 photo without the corpus); the DNG defaults to a Bayer mosaic
//! made from that JPEG's pixels. darkroom renders on one core, as each
//! worker does; libvips is timed with its default threads and with one.
//! libvips cannot develop a RAW: beside the DNG it edits the same picture as
//! a JPEG.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use darkroom_pipeline::edit::{EditRecipe, ExportFormat, WorkingCopy, export};
use darkroom_pipeline::{Limits, RenditionSpec, ShrinkOnLoad};

struct Args {
    jpeg: Option<PathBuf>,
    dng: Option<PathBuf>,
    changes: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        jpeg: None,
        dng: None,
        changes: 30,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--jpeg" => args.jpeg = Some(value()?.into()),
            "--dng" => args.dng = Some(value()?.into()),
            "--changes" => args.changes = value()?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(args)
}

/// The slider recipe, as `edit-vips.py` applies it, at `exposure`.
fn recipe(exposure: f32) -> EditRecipe {
    let json = format!(
        r#"{{"straighten": 2, "crop": {{"x": 0.05, "y": 0.05, "width": 0.9, "height": 0.9}},
            "exposure": {exposure}, "contrast": 20, "highlights": -30, "shadows": 25,
            "saturation": 10, "vignette": {{"amount": -25}},
            "sharpening": {{"amount": 60, "radius": 1.0}}}}"#
    );
    EditRecipe::from_json(json.as_bytes()).expect("the bench recipe is valid")
}

fn median(sorted: &[f64]) -> f64 {
    sorted[sorted.len() / 2]
}

fn p95(sorted: &[f64]) -> f64 {
    sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)]
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// darkroom's figures for one photo.
struct Figures {
    first_preview: f64,
    change_median: f64,
    change_p95: f64,
    export_jpeg: f64,
}

fn darkroom(photo: &[u8], changes: usize) -> anyhow::Result<Figures> {
    let specs: Vec<RenditionSpec> = vec!["working:2048".parse()?, "preview:1440:jpeg:85".parse()?];
    let preview = &specs[1..];
    let limits = Limits::default();
    let mut firsts = Vec::new();
    let mut copy = None;
    for _ in 0..5 {
        let started = Instant::now();
        let opened = WorkingCopy::decode(
            photo,
            &EditRecipe::default(),
            Some(&specs),
            &limits,
            ShrinkOnLoad::Fast,
        )?;
        opened.render(&recipe(0.0), preview, None)?;
        firsts.push(ms(started));
        copy = Some(opened);
    }
    let copy = copy.expect("five runs");
    let mut times = Vec::new();
    for i in 0..changes {
        let exposure = -1.0 + 2.0 * i as f32 / (changes.max(2) - 1) as f32;
        let started = Instant::now();
        copy.render(&recipe(exposure), preview, None)?;
        times.push(ms(started));
    }
    let mut exports = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        export(
            photo,
            &recipe(0.3),
            ExportFormat::Jpeg { quality: 92 },
            &limits,
        )?;
        exports.push(ms(started));
    }
    for list in [&mut firsts, &mut times, &mut exports] {
        list.sort_by(f64::total_cmp);
    }
    Ok(Figures {
        first_preview: median(&firsts),
        change_median: median(&times),
        change_p95: p95(&times),
        export_jpeg: median(&exports),
    })
}

fn vips(photo: &Path, changes: usize, threads: Option<usize>) -> anyhow::Result<Figures> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("edit-vips.py");
    let mut command = Command::new("python3");
    command
        .arg(&script)
        .arg(photo)
        .args(["--changes", &changes.to_string()]);
    if let Some(n) = threads {
        command.env("VIPS_CONCURRENCY", n.to_string());
    }
    let output = command.output().context("running python3 edit-vips.py")?;
    if !output.status.success() {
        bail!(
            "edit-vips.py failed (pip install pyvips?): {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let get = |k: &str| v[k].as_f64().with_context(|| format!("{k} in {v}"));
    Ok(Figures {
        first_preview: get("first_preview_ms")?,
        change_median: get("change_median_ms")?,
        change_p95: get("change_p95_ms")?,
        export_jpeg: get("export_jpeg_ms")?,
    })
}

/// A 6000 × 4000 photo-like JPEG, for machines without the corpus.
fn generated_jpeg() -> anyhow::Result<Vec<u8>> {
    let (w, h) = (6000u32, 4000u32);
    let picture = image::RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let texture = ((x * 7 + y * 13) % 23) as f32;
        image::Rgb([
            (30.0 + 180.0 * fx + texture).min(255.0) as u8,
            (40.0 + 150.0 * fy + texture).min(255.0) as u8,
            (200.0 - 150.0 * fx * fy).max(0.0) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&picture)?;
    Ok(out)
}

/// A DNG of the picture in `jpeg`, as a camera with sRGB primaries and a
/// daylight balance would record it.
fn dng_of(jpeg: &[u8]) -> anyhow::Result<Vec<u8>> {
    let picture = image::load_from_memory(jpeg)?.to_rgb8();
    let camera = darkroom_pipeline::testing::camera_from_srgb(&picture, [1.0; 3]);
    Ok(darkroom_pipeline::testing::bayer_dng(&camera, [1.0; 3], 1))
}

fn print_row(what: &str, ours: f64, theirs: &[(&str, f64)]) {
    let ratios: Vec<String> = theirs
        .iter()
        .map(|(who, t)| format!("{who} {t:8.1} ms ({:.2}×)", t / ours))
        .collect();
    println!(
        "  {what:<22} darkroom {ours:8.1} ms   {}",
        ratios.join("   ")
    );
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    // The DNG is developed in this process, as the helper would.
    darkroom_helper::install_decoders();
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/camera/craft-beer.jpg");
    let dir = tempfile::tempdir()?;
    let jpeg_path = match &args.jpeg {
        Some(p) => p.clone(),
        None if corpus.exists() => corpus,
        None => {
            let p = dir.path().join("generated.jpg");
            std::fs::write(&p, generated_jpeg()?)?;
            p
        }
    };
    let jpeg = std::fs::read(&jpeg_path)?;
    let dng = match &args.dng {
        Some(p) => std::fs::read(p)?,
        None => dng_of(&jpeg)?,
    };
    println!(
        "edit-bench: {} changes; ratios are libvips' time over darkroom's (above 1: darkroom is faster)",
        args.changes
    );
    for (name, photo) in [("JPEG", &jpeg), ("DNG", &dng)] {
        let ours = darkroom(photo, args.changes)?;
        // libvips edits the JPEG in both rows: it has no RAW develop.
        let many = vips(&jpeg_path, args.changes, None)?;
        let one = vips(&jpeg_path, args.changes, Some(1))?;
        println!("{name} ({} MB):", photo.len() >> 20);
        print_row(
            "first preview",
            ours.first_preview,
            &[("vips", many.first_preview), ("vips×1", one.first_preview)],
        );
        print_row(
            "slider change, median",
            ours.change_median,
            &[("vips", many.change_median), ("vips×1", one.change_median)],
        );
        print_row(
            "slider change, p95",
            ours.change_p95,
            &[("vips", many.change_p95), ("vips×1", one.change_p95)],
        );
        print_row(
            "full-size export",
            ours.export_jpeg,
            &[("vips", many.export_jpeg), ("vips×1", one.export_jpeg)],
        );
    }
    Ok(())
}
