use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use crate::helpers::{BIN, jpeg};

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: no shared corpus at {}", dir.display());
        None
    }
}

fn info(files: &[PathBuf]) -> (bool, Value, String) {
    let out = Command::new(BIN).arg("info").args(files).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.success(),
        json,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Values checked against `exiftool -n -json` by hand, committed so the test
/// fails without exiftool too.
#[test]
fn metadata_matches_known_values_from_the_corpus() {
    let Some(corpus) = corpus() else { return };
    let cases = [
        (
            "metadata/rating/mongolels.jpg",
            json!({"format": "jpeg", "width": 950, "height": 634, "orientation": 1, "make": "Canon",
                   "model": "Canon EOS 500D", "focal_length_mm": 40.0, "f_number": 11.0,
                   "exposure_time_s": 0.004, "iso": 200, "taken_at": "2009-08-29T13:18:08.170",
                   "rating": 3, "gps": null, "icc_profile": null}),
        ),
        (
            "metadata/gps-position/thompson-springs.jpg",
            json!({"width": 150, "height": 103,
                   "gps": {"latitude": 39.115, "longitude": -108.40096833333334, "altitude_m": 1483.9},
                   "icc_profile": "sRGB v4 ICC preference perceptual intent beta",
                   // No EXIF capture time: the GPS clock's UTC time.
                   "taken_at": "2022-01-10T21:15:33.519Z"}),
        ),
        (
            "metadata/gps-position/empty_gps.jpg",
            json!({"make": "motorola", "model": "moto g(9) plus", "iso": 234, "gps": null,
                   "taken_at": "2025-06-01T16:59:26.023"}),
        ),
        (
            "metadata/faces/portrait-orientation-6.jpg",
            json!({"orientation": 6, "width": 700, "height": 840}),
        ),
        (
            "formats/webp/denali.webp",
            json!({"format": "webp", "lens_model": "EF28-80mm f/3.5-5.6 USM", "icc_profile": "sRGB",
                   "taken_at": "2010-08-13T21:00:01.850"}),
        ),
        (
            "camera/craft-beer.jpg",
            json!({"width": 6000, "height": 4000, "icc_profile": "sRGB IEC61966-2.1"}),
        ),
        (
            "nature/prairie_falcon.jpg",
            json!({"model": "Canon EOS R5", "focal_length_mm": 500.0, "rating": 0}),
        ),
    ];
    let files: Vec<PathBuf> = cases.iter().map(|(f, _)| corpus.join(f)).collect();
    let (ok, all, stderr) = info(&files);
    assert!(ok, "{stderr}");
    for ((file, want), got) in cases.iter().zip(all.as_array().unwrap()) {
        for (key, value) in want.as_object().unwrap() {
            assert_eq!(&got[key], value, "{file}: {key}");
        }
    }
}

#[test]
fn one_file_is_an_object_and_unreadable_files_fail() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("a.jpg");
    std::fs::write(&photo, jpeg(1)).unwrap();
    let (ok, one, _) = info(std::slice::from_ref(&photo));
    assert!(ok);
    assert_eq!(one["format"], "jpeg");
    assert_eq!(
        (one["width"].as_u64(), one["height"].as_u64()),
        (Some(320), Some(200))
    );
    assert_eq!(one["orientation"], 1);

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let (ok, both, stderr) = info(&[photo, text]);
    assert!(!ok);
    assert_eq!(
        both.as_array().map(Vec::len),
        Some(1),
        "the readable file is still described"
    );
    assert!(
        stderr.contains("notes.txt: unsupported file type"),
        "{stderr}"
    );
}
