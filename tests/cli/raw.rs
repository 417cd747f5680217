//! Camera RAW through `darkroom render`: DNGs made here (a Bayer mosaic of a
//! known picture), developed in the RAW helper process, compared with the
//! picture they came from and, when it is installed, with LibRaw.

use std::path::Path;
use std::process::{Command, Output};

use darkroom_pipeline::quality::psnr;
use image::{Rgb, RgbImage};

use crate::helpers::{BIN, Storage, client, current_rendition, serve, token_for, upload};

/// The picture the DNG is made from: soft colour fields (reds, greens,
/// blues, skin, sky, greys) with smooth gradients, nothing clipped.
fn scene(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let r = 0.15 + 0.7 * (fx * std::f32::consts::PI).sin() * (1.0 - fy * 0.5);
        let g = 0.1 + 0.6 * fy;
        let b = 0.2 + 0.6 * (1.0 - fx) * (0.5 + 0.5 * (fy * 6.0).cos());
        Rgb([r, g, b].map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8))
    })
}

/// A DNG of `scene`: RGGB mosaic of its linear values, as a camera with
/// linear-sRGB primaries and as-shot neutral (0.5, 1, 0.667) would record
/// it. `orientation` is EXIF's.
fn dng(scene: &RgbImage, orientation: u16) -> Vec<u8> {
    const NEUTRAL: [f32; 3] = [0.5, 1.0, 0.6667];
    let camera = darkroom_pipeline::testing::camera_from_srgb(scene, NEUTRAL);
    darkroom_pipeline::testing::bayer_dng(&camera, NEUTRAL, orientation)
}

fn render(dir: &Path, files: &[&str], env: &[(&str, &str)]) -> Output {
    render_as(dir, &["preview:1440", "thumb:256"], files, env)
}

fn render_as(dir: &Path, specs: &[&str], files: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .arg("render")
        .arg("--out")
        .arg(dir.join("out"))
        .args(specs.iter().flat_map(|s| ["--rendition", s]))
        .args(files.iter().map(|f| dir.join(f)))
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Mean absolute difference of each channel, 0–255.
fn channel_differences(a: &RgbImage, b: &RgbImage) -> [f64; 3] {
    let mut sum = [0u64; 3];
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            sum[c] += u64::from(p[c].abs_diff(q[c]));
        }
    }
    sum.map(|s| s as f64 / f64::from(a.width() * a.height()))
}

#[test]
fn a_dng_is_developed_in_the_helper_to_the_picture_it_was_made_from() {
    let dir = tempfile::tempdir().unwrap();
    let picture = scene(900, 600);
    // Orientation 6: the developed picture must come out turned upright.
    std::fs::write(dir.path().join("cam.dng"), dng(&picture, 6)).unwrap();
    let output = render(dir.path(), &["cam.dng"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let preview = image::open(dir.path().join("out/cam.preview.jpg"))
        .unwrap()
        .to_rgb8();
    let upright = image::imageops::rotate90(&picture);
    assert_eq!(preview.dimensions(), upright.dimensions());
    // Black and white levels, white balance, demosaic, colour matrix and
    // sRGB curve all have to be right for the colours to come back.
    let db = psnr(&preview, &upright);
    let diff = channel_differences(&preview, &upright);
    eprintln!("developed DNG against its source: {db:.2} dB, mean channel differences {diff:.2?}");
    assert!(db > 40.0, "{db:.2} dB");
    assert!(diff.iter().all(|&d| d < 1.5), "{diff:?}");
    let thumb = image::open(dir.path().join("out/cam.thumb.jpg")).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (171, 256));

    // `darkroom info` reads the raw image's stored size from the header.
    let info = Command::new(BIN)
        .arg("info")
        .arg(dir.path().join("cam.dng"))
        .output()
        .unwrap();
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(
        (
            info["format"].as_str(),
            info["width"].as_u64(),
            info["height"].as_u64()
        ),
        (Some("dng"), Some(900), Some(600))
    );
    assert_eq!(info["orientation"], 6);

    // Outputs at most half the sensor's size take the half-size develop
    // (one pixel per Bayer quad): same colours, at a quarter of the work.
    let output = render_as(dir.path(), &["small:400:png"], &["cam.dng"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let small = image::open(dir.path().join("out/cam.small.png"))
        .unwrap()
        .to_rgb8();
    let expected = image::imageops::resize(
        &upright,
        small.width(),
        small.height(),
        image::imageops::FilterType::Lanczos3,
    );
    let db = psnr(&small, &expected);
    let diff = channel_differences(&small, &expected);
    eprintln!(
        "half-size develop against its source: {db:.2} dB, mean channel differences {diff:.2?}"
    );
    assert!(db > 40.0, "{db:.2} dB");
    assert!(diff.iter().all(|&d| d < 1.5), "{diff:?}");
}

/// LibRaw (`dcraw_emu`, Debian's libraw-bin) develops the same DNG with
/// camera white balance, no auto-brightening and the sRGB curve; ours must
/// agree within 40 dB PSNR and 1.5/255 mean difference per channel (on a
/// real photo's DNG the two agree at 37 dB: demosaics differ on detail).
#[test]
fn the_develop_agrees_with_libraw() {
    if Command::new("dcraw_emu").arg("-v").output().is_err() {
        eprintln!(
            "SKIPPED the LibRaw comparison: dcraw_emu is not installed (apt-get install libraw-bin)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let picture = scene(900, 600);
    std::fs::write(dir.path().join("cam.dng"), dng(&picture, 1)).unwrap();
    let output = render(dir.path(), &["cam.dng"], &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ours = image::open(dir.path().join("out/cam.preview.jpg"))
        .unwrap()
        .to_rgb8();
    let status = Command::new("dcraw_emu")
        .args(["-w", "-W", "-g", "2.4", "12.92", "-o", "1", "-q", "3", "-T"])
        .arg(dir.path().join("cam.dng"))
        .status()
        .unwrap();
    assert!(status.success());
    let libraw = image::open(dir.path().join("cam.dng.tiff"))
        .unwrap()
        .to_rgb8();
    assert_eq!(libraw.dimensions(), ours.dimensions());
    let db = psnr(&ours, &libraw);
    let diff = channel_differences(&ours, &libraw);
    eprintln!("ours against LibRaw: {db:.2} dB, mean channel differences {diff:.2?}");
    assert!(db > 40.0, "{db:.2} dB");
    assert!(diff.iter().all(|&d| d < 1.5), "{diff:?}");
}

#[test]
fn broken_raw_files_fail_alone_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let picture = scene(300, 200);
    let good = dng(&picture, 1);
    std::fs::write(dir.path().join("good.dng"), &good).unwrap();
    // Cut inside the pixel data, and a header whose pixels are elsewhere.
    std::fs::write(dir.path().join("cut.dng"), &good[..good.len() / 2]).unwrap();
    let mut lying = good.clone();
    lying.truncate(600);
    std::fs::write(dir.path().join("lying.dng"), &lying).unwrap();
    let output = render(dir.path(), &["cut.dng", "good.dng", "lying.dng"], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("cut.dng: "), "{stderr}");
    assert!(stderr.contains("lying.dng: "), "{stderr}");
    assert!(stderr.contains("2 of 3 files failed"), "{stderr}");
    assert!(dir.path().join("out/good.preview.jpg").exists());
}

/// `dng` with a JPEG preview of `preview` in IFD1, as DNG writers keep them
/// (NewSubfileType 1, JPEG compression, one strip).
fn with_jpeg_preview(mut dng: Vec<u8>, preview: &RgbImage) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(preview)
        .unwrap();
    let le16 = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]) as usize;
    let next_pointer_at = 8 + 2 + 12 * le16(&dng, 8);
    assert_eq!(&dng[next_pointer_at..next_pointer_at + 4], &[0; 4]);
    let jpeg_at = dng.len() as u32;
    dng.extend_from_slice(&jpeg);
    dng.resize(dng.len().next_multiple_of(2), 0);
    let ifd1_at = dng.len() as u32;
    dng[next_pointer_at..next_pointer_at + 4].copy_from_slice(&ifd1_at.to_le_bytes());
    let entries: [(u16, u16, u32); 7] = [
        (254, 4, 1),
        (256, 4, preview.width()),
        (257, 4, preview.height()),
        (259, 3, 7),
        (262, 3, 6),
        (273, 4, jpeg_at),
        (279, 4, jpeg.len() as u32),
    ];
    dng.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        dng.extend_from_slice(&tag.to_le_bytes());
        dng.extend_from_slice(&kind.to_le_bytes());
        dng.extend_from_slice(&1u32.to_le_bytes());
        dng.extend_from_slice(&value.to_le_bytes());
    }
    dng.extend_from_slice(&0u32.to_le_bytes());
    dng
}

/// A RAW whose embedded preview is large enough renders from it, turned by
/// the RAW's orientation, without starting the helper (here made to crash,
/// so a develop would fail); a spec larger than the preview still develops.
#[test]
fn large_enough_embedded_previews_are_used_instead_of_a_develop() {
    let dir = tempfile::tempdir().unwrap();
    // The sensor data shows the scene; the preview is flat blue, so each
    // rendition tells which one it came from.
    let blue = RgbImage::from_pixel(600, 400, image::Rgb([20, 40, 220]));
    let raw = with_jpeg_preview(dng(&scene(1200, 800), 6), &blue);
    std::fs::write(dir.path().join("p.dng"), raw).unwrap();

    let crash = [("DARKROOM_FAULT_RAW_HELPER", "abort")];
    let output = render_as(
        dir.path(),
        &["thumb:256", "sq:300x300-cover"],
        &["p.dng"],
        &crash,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let thumb = image::open(dir.path().join("out/p.thumb.jpg"))
        .unwrap()
        .to_rgb8();
    assert_eq!(
        thumb.dimensions(),
        (171, 256),
        "upright by the RAW's orientation 6"
    );
    let px = thumb.get_pixel(85, 128).0;
    assert!(px[2] > 180 && px[0] < 60, "from the blue preview: {px:?}");

    // 1440 px is more than the 600 px preview has: the helper is asked (and crashes).
    let output = render_as(dir.path(), &["preview:1440"], &["p.dng"], &crash);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("RAW helper crashed"),
        "{stderr}"
    );
    // Without the fault: developed from the sensor data, not blue.
    let output = render_as(dir.path(), &["preview:1440"], &["p.dng"], &[]);
    assert!(output.status.success());
    let developed = image::open(dir.path().join("out/p.preview.jpg"))
        .unwrap()
        .to_rgb8();
    assert_eq!(developed.dimensions(), (800, 1200));
    let px = developed.get_pixel(400, 600).0;
    assert!(
        !(px[2] > 180 && px[0] < 60),
        "developed, not the preview: {px:?}"
    );
}

/// A helper that dies (a decoder's abort, the memory limit's kill) or hangs
/// costs that one file, never the process that started it.
#[test]
fn a_crashing_or_hanging_helper_fails_only_its_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.dng"), dng(&scene(300, 200), 1)).unwrap();
    let output = render(
        dir.path(),
        &["a.dng"],
        &[("DARKROOM_FAULT_RAW_HELPER", "abort")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("a.dng: ") && stderr.contains("RAW helper crashed"),
        "{stderr}"
    );

    let started = std::time::Instant::now();
    let output = render(
        dir.path(),
        &["a.dng"],
        &[
            ("DARKROOM_FAULT_RAW_HELPER", "hang"),
            ("DARKROOM_RAW_TIMEOUT_SECS", "1"),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("took longer than 1 s"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// The DNGs `../shared/tools/make-dng.py` makes from real photos (24 MP:
/// 12- and 14-bit packed and 14-in-16-bit, tiled as pidng writes them),
/// developed lossless (PNG) at 1440 px, which takes the half-size develop:
/// each within 42 dB of LibRaw's full AHD develop and of the photo it was
/// made from (measured 44–49 dB). Needs the shared corpus and, to make the files,
/// `pip install pidng rawpy numpy pillow`; CI installs both tools.
#[test]
fn real_photo_dngs_decode_packed_and_tiled_and_agree_with_libraw() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let script = shared.join("tools/make-dng.py");
    if !script.exists() {
        eprintln!("SKIPPED the real-photo DNGs: no ../shared/tools/make-dng.py");
        return;
    }
    let python_ready = Command::new("python3")
        .args(["-c", "import pidng, rawpy, numpy, PIL"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !python_ready {
        eprintln!("SKIPPED the real-photo DNGs: pip install pidng rawpy numpy pillow");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let made = Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let output = Command::new(BIN)
        .arg("render")
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(["--rendition", "p:1440:png"])
        .args(
            ["bench-12bit.dng", "bench-14bit.dng", "bench-14in16.dng"].map(|f| dir.path().join(f)),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let libraw_present = Command::new("dcraw_emu").arg("-v").output().is_ok();
    for (name, source) in [
        ("bench-12bit", "craft-beer.jpg"),
        ("bench-14bit", "craft-beer.jpg"),
        ("bench-14in16", "japanese-shop.jpg"),
    ] {
        let ours = image::open(dir.path().join(format!("out/{name}.p.png")))
            .unwrap()
            .to_rgb8();
        let (w, h) = ours.dimensions();
        let photo = image::open(shared.join("corpus/camera").join(source))
            .unwrap()
            .to_rgb8();
        let photo = image::imageops::resize(&photo, w, h, image::imageops::FilterType::Lanczos3);
        let db = psnr(&ours, &photo);
        eprintln!("{name}: {db:.2} dB against {source}");
        assert!(db > 42.0, "{name}: {db:.2} dB against {source}");
        if !libraw_present {
            eprintln!(
                "SKIPPED the LibRaw comparison: dcraw_emu is not installed (apt-get install libraw-bin)"
            );
            continue;
        }
        let status = Command::new("dcraw_emu")
            .args(["-w", "-W", "-g", "2.4", "12.92", "-o", "1", "-q", "3", "-T"])
            .arg(dir.path().join(format!("{name}.dng")))
            .status()
            .unwrap();
        assert!(status.success());
        let libraw = image::open(dir.path().join(format!("{name}.dng.tiff")))
            .unwrap()
            .to_rgb8();
        let libraw = image::imageops::resize(&libraw, w, h, image::imageops::FilterType::Lanczos3);
        let db = psnr(&ours, &libraw);
        let diff = channel_differences(&ours, &libraw);
        eprintln!("{name}: {db:.2} dB against LibRaw, mean channel differences {diff:.2?}");
        assert!(
            db > 42.0 && diff.iter().all(|&d| d < 1.0),
            "{name}: {db:.2} dB, {diff:?}"
        );
    }
}

/// The service end to end: a DNG uploaded to `darkroom serve` gets its
/// thumbnail from the helper the server's worker starts.
#[tokio::test]
async fn the_server_renders_an_uploaded_dng_through_the_helper() {
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &[], &[]);
    let token = token_for(&storage, "raw");
    let id = upload(&url, &token, dng(&scene(600, 400), 8)).await;
    let thumb_url = format!("{url}/api/v1/assets/{id}/renditions/thumb");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let thumb = loop {
        let response = client()
            .get(&thumb_url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => break response.bytes().await.unwrap(),
            202 if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            status => panic!("thumb: {status} {}", response.text().await.unwrap()),
        }
    };
    let thumb = image::load_from_memory(&thumb).unwrap();
    // Orientation 8 turns the 600×400 picture portrait.
    assert_eq!((thumb.width(), thumb.height()), (171, 256));
}

fn is_neutral(p: [u8; 3], tolerance: u8) -> bool {
    p[0].abs_diff(p[1]) <= tolerance && p[1].abs_diff(p[2]) <= tolerance
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_white_balance_edit_is_applied_to_the_raw_data_in_the_helper() {
    // A grey card under a 3200 K lamp; the camera guessed daylight.
    let card = darkroom_pipeline::testing::grey_card_under(3200.0, 0.18);
    let camera = image::Rgb32FImage::from_pixel(96, 64, image::Rgb(card));
    let raw = darkroom_pipeline::testing::bayer_dng(&camera, [1.0, 1.0, 1.0], 1);
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &[], &[]);
    let token = token_for(&storage, "raw");
    let id = upload(&url, &token, raw).await;
    let as_shot = current_rendition(&url, &token, &id, "thumb").await;
    let p = as_shot.get_pixel(48, 32).0;
    assert!(p[0] > p[2] + 40, "as shot, the card is orange: {p:?}");

    let recipe = serde_json::json!({"white_balance": {"temperature": 3200}});
    let saved = client()
        .put(format!("{url}/api/v1/assets/{id}/edit"))
        .bearer_auth(&token)
        .json(&recipe)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    // The renditions, rendered in the helper with the recipe.
    let balanced = current_rendition(&url, &token, &id, "thumb").await;
    let p = balanced.get_pixel(48, 32).0;
    assert!(is_neutral(p, 2), "renditions: {p:?}");
    // The preview, from a working copy the helper decoded.
    let preview = client()
        .post(format!("{url}/api/v1/assets/{id}/edit/preview?size=96"))
        .bearer_auth(&token)
        .json(&recipe)
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), 200, "{:?}", preview.headers());
    let preview = image::load_from_memory(&preview.bytes().await.unwrap())
        .unwrap()
        .to_rgb8();
    assert!(is_neutral(preview.get_pixel(48, 32).0, 2), "preview");
    // Another white balance: no longer neutral. (This small RAW is developed
    // at full size, so its working copy carries its white balance and is
    // decoded again; a camera-sized one keeps the raw data and is not — see
    // the pipeline's working-copy tests.)
    let warmer = client()
        .post(format!("{url}/api/v1/assets/{id}/edit/preview?size=96"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"white_balance": {"temperature": 6500}}))
        .send()
        .await
        .unwrap();
    let warmer = image::load_from_memory(&warmer.bytes().await.unwrap())
        .unwrap()
        .to_rgb8();
    let p = warmer.get_pixel(48, 32).0;
    assert!(p[0] > p[2] + 40, "daylight balance leaves it orange: {p:?}");
    // The full-size export, developed in the helper.
    let export = client()
        .get(format!("{url}/api/v1/assets/{id}/export?format=tiff16"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    let export = image::load_from_memory(&export.bytes().await.unwrap()).unwrap();
    assert_eq!((export.width(), export.height()), (96, 64));
    let p = export.to_rgb8().get_pixel(48, 32).0;
    assert!(is_neutral(p, 3), "export: {p:?}");
}

/// A `darkroom` installed without its helper still runs: it says so when
/// it starts, and a RAW without an embedded preview fails with a reason.
#[test]
fn without_its_helper_darkroom_says_so_and_raws_fail_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("darkroom");
    std::fs::copy(BIN, &alone).unwrap();
    std::fs::write(dir.path().join("cam.dng"), dng(&scene(90, 60), 1)).unwrap();
    let output = Command::new(&alone)
        .arg("render")
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg(dir.path().join("cam.dng"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("no darkroom-helper beside this executable"),
        "{stderr}"
    );
    assert!(stderr.contains("cam.dng"), "the file is named: {stderr}");
    assert!(!dir.path().join("out/cam.preview.jpg").exists());
}
