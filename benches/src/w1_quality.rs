//! W1 preview quality: PSNR of each tool's 1440 px preview against a reference
//! made from the full-resolution original (decoded in full, turned upright,
//! reduced with Lanczos3 to the preview's exact size). This is the measure
//! issue 3 sets against libvips ("within 0.5 dB").
//!
//!   w1-quality FILES_LIST TOOL=DIR [TOOL=DIR ...]
//!
//! FILES_LIST holds one original per line; DIR holds `<stem>.preview.jpg`.
//! Prints each tool's mean and minimum PSNR, and each file's values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use darkroom_pipeline::quality::psnr;
use darkroom_pipeline::{Limits, PROBE_PREFIX_BYTES, probe};
use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, RgbImage};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(list) = args.next() else {
        bail!("usage: w1-quality FILES_LIST TOOL=DIR [TOOL=DIR ...]");
    };
    let tools: Vec<(String, PathBuf)> = args
        .map(|a| {
            let (name, dir) = a.split_once('=').context("TOOL=DIR expected")?;
            Ok((name.to_string(), PathBuf::from(dir)))
        })
        .collect::<anyhow::Result<_>>()?;
    let files: Vec<PathBuf> = std::fs::read_to_string(&list)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect();
    let mut scores: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for file in &files {
        let upright = upright_original(file)?;
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        let mut line = format!("{stem}:");
        for (tool, dir) in &tools {
            let preview_path = dir.join(format!("{stem}.preview.jpg"));
            let preview = image::open(&preview_path)
                .with_context(|| format!("{}", preview_path.display()))?
                .to_rgb8();
            let reference = lanczos3(&upright, preview.width(), preview.height())?;
            let db = psnr(&preview, &reference);
            line += &format!(" {tool} {db:.2}");
            scores.entry(tool.clone()).or_default().push(db);
        }
        eprintln!("{line}");
    }
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let vips_mean = scores.get("vips").map(|s| mean(s));
    println!(
        "\n{:<10} {:>10} {:>10} {:>14}",
        "tool", "mean dB", "min dB", "mean vs vips"
    );
    for (tool, s) in &scores {
        let min = s.iter().copied().fold(f64::INFINITY, f64::min);
        let versus = vips_mean.map_or("-".to_string(), |v| format!("{:+.2} dB", mean(s) - v));
        println!("{tool:<10} {:>10.2} {min:>10.2} {versus:>14}", mean(s));
    }
    Ok(())
}

/// The original decoded in full and turned as its EXIF orientation says.
fn upright_original(file: &Path) -> anyhow::Result<RgbImage> {
    let bytes = std::fs::read(file)?;
    let head = &bytes[..bytes.len().min(PROBE_PREFIX_BYTES)];
    let orientation = probe(head, &Limits::default())?
        .metadata
        .orientation
        .unwrap_or(1);
    let img = image::load_from_memory(&bytes)?;
    let img = match orientation {
        2 => img.fliph(),
        3 => img.rotate180(),
        4 => img.flipv(),
        5 => img.rotate90().fliph(),
        6 => img.rotate90(),
        7 => img.rotate270().fliph(),
        8 => img.rotate270(),
        _ => img,
    };
    Ok(match img {
        DynamicImage::ImageRgb8(i) => i,
        other => other.to_rgb8(),
    })
}

fn lanczos3(src: &RgbImage, width: u32, height: u32) -> anyhow::Result<RgbImage> {
    let src = Image::from_vec_u8(
        src.width(),
        src.height(),
        src.as_raw().clone(),
        PixelType::U8x3,
    )?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    Resizer::new().resize(
        &src,
        &mut dst,
        &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)),
    )?;
    RgbImage::from_raw(width, height, dst.into_vec()).context("resize output")
}
