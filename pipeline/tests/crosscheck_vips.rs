//! Edit geometry and resize cross-checked against libvips: a quarter turn, a
//! crop and a downscale of the same photo by darkroom and by the `vips` CLI
//! must agree within 32 dB PSNR (about 2.5 levels RMS out of 255): the
//! resampling differs in detail (darkroom resizes edits in linear light,
//! libvips in sRGB), the geometry must not. A picture off by one row or
//! column, turned the wrong way or cropped elsewhere scores under 20 dB.
//!
//! Uses the shared corpus' camera photos when present, a generated photo
//! otherwise; skips with a message where `vips` is not installed.

use std::path::Path;
use std::process::Command;

use darkroom_pipeline::edit::{EditRecipe, render_edited};
use darkroom_pipeline::quality::psnr;
use darkroom_pipeline::{Limits, RenditionSpec, ShrinkOnLoad};
use image::RgbImage;

/// PSNR darkroom's output must reach against libvips'.
const MIN_PSNR_DB: f64 = 32.0;

fn vips_available() -> bool {
    Command::new("vips")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The photos to check: the corpus' camera JPEGs, or one made here.
fn photos() -> Vec<(String, Vec<u8>)> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/camera");
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(&corpus)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .take(2)
        .filter_map(|p| Some((p.display().to_string(), std::fs::read(&p).ok()?)))
        .collect();
    if found.is_empty() {
        eprintln!(
            "crosscheck: no corpus at {}; using a generated photo",
            corpus.display()
        );
        found.push(("generated".into(), generated_photo(1800, 1200)));
    }
    found
}

/// Soft gradients with sharp edges and fine texture, as a JPEG.
fn generated_photo(width: u32, height: u32) -> Vec<u8> {
    let picture = RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let stripe = if (x / 40 + y / 60) % 2 == 0 {
            40.0
        } else {
            0.0
        };
        let texture = ((x * 7 + y * 13) % 17) as f32;
        image::Rgb([
            (30.0 + 180.0 * fx + stripe + texture).min(255.0) as u8,
            (40.0 + 150.0 * fy + texture).min(255.0) as u8,
            (200.0 - 150.0 * fx * fy + stripe).max(0.0) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&picture)
        .unwrap();
    out
}

fn run(command: &mut Command) {
    let output = command.output().expect("run vips");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn rotate_crop_and_resize_agree_with_libvips() {
    if !vips_available() {
        eprintln!("SKIPPED: `vips` is not installed (Debian: libvips-tools)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, photo) in photos() {
        let (width, height) = image::load_from_memory(&photo)
            .unwrap()
            .to_rgb8()
            .dimensions();
        // A quarter turn clockwise, then the middle-left of the turned frame.
        let recipe = EditRecipe::from_json(
            br#"{"rotate": 90, "crop": {"x": 0.1, "y": 0.25, "width": 0.6, "height": 0.5}}"#,
        )
        .unwrap();
        let spec: RenditionSpec = "check:800:png".parse().unwrap();
        let ours = render_edited(
            &photo,
            std::slice::from_ref(&spec),
            &recipe,
            &Limits::default(),
            ShrinkOnLoad::Exact,
        )
        .unwrap();
        let ours = image::load_from_memory(&ours[0].bytes).unwrap().to_rgb8();

        // The same in libvips: turned frame is height × width.
        let (tw, th) = (f64::from(height), f64::from(width));
        let (left, top) = ((0.1 * tw).round() as u32, (0.25 * th).round() as u32);
        let (cw, ch) = ((0.6 * tw).round() as u32, (0.5 * th).round() as u32);
        let scale = 800.0 / f64::from(cw.max(ch));
        let input = dir.path().join("in.jpg");
        std::fs::write(&input, &photo).unwrap();
        let (turned, cropped, theirs) = (
            dir.path().join("turned.v"),
            dir.path().join("cropped.v"),
            dir.path().join("theirs.png"),
        );
        run(Command::new("vips")
            .arg("rot")
            .arg(&input)
            .arg(&turned)
            .arg("d90"));
        run(Command::new("vips")
            .arg("crop")
            .arg(&turned)
            .arg(&cropped)
            .args([left, top, cw, ch].map(|v| v.to_string())));
        run(Command::new("vips")
            .arg("resize")
            .arg(&cropped)
            .arg(&theirs)
            .arg(scale.to_string())
            .args(["--kernel", "lanczos3"]));
        let theirs = image::open(&theirs).unwrap().to_rgb8();
        assert!(
            ours.width().abs_diff(theirs.width()) <= 1
                && ours.height().abs_diff(theirs.height()) <= 1,
            "{name}: {:?} vs libvips {:?}",
            ours.dimensions(),
            theirs.dimensions()
        );
        // Compare the common area (a rounding may leave one row more).
        let (w, h) = (
            ours.width().min(theirs.width()),
            ours.height().min(theirs.height()),
        );
        let crop = |i: &RgbImage| image::imageops::crop_imm(i, 0, 0, w, h).to_image();
        let score = psnr(&crop(&ours), &crop(&theirs));
        eprintln!("crosscheck {name}: {score:.1} dB against libvips");
        assert!(
            score >= MIN_PSNR_DB,
            "{name}: {score:.1} dB < {MIN_PSNR_DB} dB"
        );
    }
}
