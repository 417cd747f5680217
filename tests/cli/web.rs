//! The web gallery end to end: `frontend/e2e/gallery.e2e.mjs` drives
//! Debian's Chromium (through playwright-core) against `darkroom serve` on
//! loopback: sign in, upload, thumbnails, viewer, albums, editing, sharing,
//! admin, and the phone width. Screenshots land in
//! `$CARGO_TARGET_DIR/e2e-screenshots/` (or `DARKROOM_E2E_ARTIFACTS`).
//!
//! Without Chromium or Node.js it prints why and skips, unless
//! `DARKROOM_REQUIRE_BROWSER=1` (CI) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use darkroom_pipeline::testing::with_gps_exif;

use crate::helpers::{Storage, darkroom_ok, jpeg_sized, serve};

const FRONTEND: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/frontend");

#[test]
fn the_gallery_works_in_chromium() {
    let Some(chromium) = browser() else { return };
    let storage = Storage::embedded();
    // libheif "not installed": an iPhone photo is stored, and its tile says
    // why it has no preview (the gallery test checks it) instead of spinning.
    let (_server, url) = serve(
        &storage,
        &["--workers", "2"],
        &[("DARKROOM_LIBHEIF", "/nonexistent/libheif.so.1")],
    );
    darkroom_ok(&["admin", "create-user", "ansel", "--admin"], &storage);
    let password = "zone-system-1941";
    set_password(&storage, "ansel", password);
    // A second account, to share an album with.
    darkroom_ok(&["admin", "create-user", "minor"], &storage);
    let member_password = "group-f64-1932";
    set_password(&storage, "minor", member_password);

    let photos = storage.path().join("e2e-photos");
    write_photos(&photos);
    // A camera's RAW and its JPEG of one exposure, sent on their own.
    let pair_dir = storage.path().join("e2e-pair");
    std::fs::create_dir_all(&pair_dir).unwrap();
    let pair = darkroom_pipeline::testing::capture_pair("2025:03:14 15:09:26");
    std::fs::write(pair_dir.join("DSCF0007.DNG"), pair.raw).unwrap();
    std::fs::write(pair_dir.join("DSCF0007.JPG"), pair.jpeg).unwrap();
    // And a phone's motion photo: a still with its video after the image
    // (the video's length in the name, for the test to check).
    let video = darkroom_pipeline::testing::tiny_mp4(3);
    std::fs::write(
        pair_dir.join(format!("PXL_20250314_v{}.MP.jpg", video.len())),
        darkroom_pipeline::testing::motion_photo(&jpeg_sized(480, 360, 77), &video),
    )
    .unwrap();
    let artifacts = std::env::var_os("DARKROOM_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("e2e-screenshots"));

    let output = Command::new("node")
        .arg("e2e/gallery.e2e.mjs")
        .current_dir(FRONTEND)
        .env("DARKROOM_E2E_BASE", &url)
        .env("DARKROOM_E2E_USER", "ansel")
        .env("DARKROOM_E2E_PASSWORD", password)
        .env("DARKROOM_E2E_MEMBER", "minor")
        .env("DARKROOM_E2E_MEMBER_PASSWORD", member_password)
        .env("DARKROOM_E2E_PHOTOS", &photos)
        .env("DARKROOM_E2E_PAIR", &pair_dir)
        .env("DARKROOM_E2E_ARTIFACTS", &artifacts)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "the browser test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("e2e: all passed"));
    assert!(artifacts.join("phone-library.png").is_file());
}

/// Chromium, Node.js and playwright-core, or why the test cannot run.
fn browser() -> Option<PathBuf> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| on_path("chromium"))
        .or_else(|| on_path("chromium-browser"));
    let missing = if chromium.is_none() {
        Some("Chromium is not installed (apt-get install chromium)")
    } else if on_path("node").is_none() {
        Some("Node.js is not installed")
    } else if !Path::new(FRONTEND)
        .join("node_modules/playwright-core")
        .is_dir()
    {
        Some("frontend/node_modules has no playwright-core (cd frontend && npm ci)")
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(
            std::env::var_os("DARKROOM_REQUIRE_BROWSER").is_none(),
            "DARKROOM_REQUIRE_BROWSER is set, but {why}"
        );
        eprintln!("SKIPPED the browser test: {why}");
        return None;
    }
    chromium
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn set_password(storage: &Storage, user: &str, password: &str) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_darkroom"))
        .args(["admin", "set-password", user])
        .args(&storage.args)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    assert!(child.wait().unwrap().success());
}

/// Real photos from `../shared/corpus` when it is there (with an iPhone HEIC
/// the server cannot decode), else made here; one of them records where it
/// was taken; one "photo" is text, one is broken.
fn write_photos(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let real = [
        ("camera/craft-beer.jpg", "craft-beer.jpg"),
        ("camera/japanese-shop.jpg", "japanese-shop.jpg"),
        ("nature/prairie_falcon.jpg", "prairie-falcon.jpg"),
        ("orientation/Landscape_6.jpg", "turned-by-exif.jpg"),
        (
            "metadata/gps-position/thompson-springs.jpg",
            "located-thompson-springs.jpg",
        ),
    ];
    if real.iter().all(|(from, _)| corpus.join(from).is_file()) {
        for (from, to) in real {
            std::fs::copy(corpus.join(from), dir.join(to)).unwrap();
        }
        let heic = corpus.join("formats/heic/IMG_2682.heic");
        if heic.is_file() {
            std::fs::copy(heic, dir.join("no-decoder.heic")).unwrap();
        }
    } else {
        eprintln!("no shared corpus: the browser test uses generated photos");
        for (i, (w, h)) in [(900, 600), (600, 900), (1200, 500), (700, 700)]
            .into_iter()
            .enumerate()
        {
            std::fs::write(
                dir.join(format!("made-{i}.jpg")),
                jpeg_sized(w, h, i as u32 * 40),
            )
            .unwrap();
        }
        std::fs::write(
            dir.join("located-made.jpg"),
            with_gps_exif(&jpeg_sized(800, 533, 200)),
        )
        .unwrap();
    }
    // Taken on this day five years ago (by its XMP): the library's "on this
    // day" shows it.
    let five_years_ago = {
        use chrono::Datelike;
        let today = chrono::Utc::now().date_naive();
        today
            .with_year(today.year() - 5)
            .unwrap_or(today - chrono::Days::new(5 * 365))
    };
    std::fs::write(
        dir.join("memory-five-years.jpg"),
        darkroom_pipeline::testing::described_jpeg(
            &jpeg_sized(640, 480, 300),
            Some(&format!(
                "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\
                 <rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' \
                 exif:DateTimeOriginal='{five_years_ago}T10:00:00'/></rdf:RDF></x:xmpmeta>"
            )),
            &[],
        ),
    )
    .unwrap();
    std::fs::write(dir.join("not-a-photo.jpg"), "shopping list: film, fixer\n").unwrap();
    // A JPEG's first bytes, then garbage: accepted, but it cannot be rendered.
    let mut broken = jpeg_sized(64, 64, 7);
    broken.truncate(200);
    broken.extend(std::iter::repeat_n(0x5Au8, 4000));
    std::fs::write(dir.join("broken.jpg"), broken).unwrap();
}
