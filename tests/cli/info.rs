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
                   // No EXIF capture time: XMP's photoshop:DateCreated (the
                   // camera's clock) before the GPS clock's UTC, with the
                   // offset of where it was taken (Utah in January: MST).
                   "taken_at": "2022-01-10T15:15:44.310-07:00"}),
        ),
        (
            "metadata/dates/datetimeoriginal-gps.jpg",
            // No OffsetTimeOriginal; 39°N 108°W is America/Denver, MST in December.
            json!({"taken_at": "2025-12-01T11:30:00-07:00"}),
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

/// Every file of ../shared/corpus against `exiftool -n -json` (when it is
/// installed; CI installs it): sizes, camera and exposure fields, GPS,
/// rating, ICC description, orientation, and the EXIF capture time.
///
/// Known, documented differences: an absent or invalid (0) orientation is
/// reported as 1, as the API does, so only 1–8 are compared; exiftool's
/// composite DateTimeOriginal (from IPTC when EXIF has none) is compared to
/// the second, not its offset (darkroom reads XMP's, which has none there).
#[test]
fn every_corpus_file_agrees_with_exiftool() {
    let Some(corpus) = corpus() else { return };
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs = vec![corpus.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("md") | None) {
                files.push(path);
            }
        }
    }
    files.sort();
    let exiftool = match Command::new("exiftool")
        .arg("-n")
        .arg("-json")
        .args(&files)
        .output()
    {
        Ok(out) if !out.stdout.is_empty() => out,
        _ => {
            eprintln!(
                "SKIPPED the exiftool cross-check: exiftool is not installed (apt-get install libimage-exiftool-perl)"
            );
            return;
        }
    };
    let theirs: Vec<Value> = serde_json::from_slice(&exiftool.stdout).unwrap();
    let (ok, ours, stderr) = info(&files);
    assert!(ok, "{stderr}");
    let ours = ours.as_array().unwrap();
    assert_eq!(ours.len(), files.len());
    let mut differences = Vec::new();
    let mut compared = 0;
    for ((file, mine), exif) in files.iter().zip(ours).zip(&theirs) {
        let name = file.strip_prefix(&corpus).unwrap().display().to_string();
        let mut differ = |field: &str, mine: &Value, theirs: &Value| {
            differences.push(format!(
                "{name}: {field}: darkroom {mine}, exiftool {theirs}"
            ))
        };
        let fields = [
            ("width", "ImageWidth"),
            ("height", "ImageHeight"),
            ("make", "Make"),
            ("model", "Model"),
            ("lens_model", "LensModel"),
            ("focal_length_mm", "FocalLength"),
            ("f_number", "FNumber"),
            ("exposure_time_s", "ExposureTime"),
            ("iso", "ISO"),
            ("rating", "Rating"),
            ("icc_profile", "ProfileDescription"),
        ];
        for (ours_key, their_key) in fields {
            let (m, t) = (&mine[ours_key], &exif[their_key]);
            let same = match (m.as_f64(), t.as_f64()) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                _ => match (m.as_str(), t) {
                    (Some(a), Value::String(b)) => a.trim() == b.trim(),
                    (None, Value::Null) => m.is_null(),
                    _ => false,
                },
            };
            compared += 1;
            if !same {
                differ(ours_key, m, t);
            }
        }
        if let Some(o) = exif["Orientation"].as_u64().filter(|o| (1..=8).contains(o)) {
            compared += 1;
            if mine["orientation"].as_u64() != Some(o) {
                differ("orientation", &mine["orientation"], &exif["Orientation"]);
            }
        }
        let (lat, lon) = (exif["GPSLatitude"].as_f64(), exif["GPSLongitude"].as_f64());
        let gps = &mine["gps"];
        compared += 1;
        match (lat, lon) {
            (Some(lat), Some(lon)) if lat != 0.0 || lon != 0.0 => {
                let close = |k: &str, v: f64| gps[k].as_f64().is_some_and(|g| (g - v).abs() < 1e-6);
                if !close("latitude", lat) || !close("longitude", lon) {
                    differ("gps", gps, &json!([lat, lon]));
                }
            }
            _ if !gps.is_null() => differ(
                "gps",
                gps,
                &json!([exif["GPSLatitude"], exif["GPSLongitude"]]),
            ),
            _ => {}
        }
        if let Some(original) = exif["DateTimeOriginal"]
            .as_str()
            .filter(|d| d.len() >= 19 && d.is_char_boundary(19))
        {
            // "2009:08:29 13:18:08[±hh:mm]" → "2009-08-29T13:18:08"
            let iso = format!(
                "{}-{}-{}T{}",
                &original[0..4],
                &original[5..7],
                &original[8..10],
                &original[11..19]
            );
            compared += 1;
            if !mine["taken_at"]
                .as_str()
                .is_some_and(|t| t.starts_with(&iso))
            {
                differ("taken_at", &mine["taken_at"], &exif["DateTimeOriginal"]);
            }
        }
        compared += compare_descriptions(mine, exif, &mut differ);
    }
    eprintln!(
        "exiftool cross-check: {} files, {compared} fields compared",
        files.len()
    );
    assert!(differences.is_empty(), "{differences:#?}");
}

/// What people wrote about the photo, as exiftool reads it: XMP's field
/// first, IPTC-IIM's where XMP has none (exiftool names each tag by its own
/// name, so both are in its JSON). Returns how many fields were compared.
fn compare_descriptions(
    mine: &Value,
    exif: &Value,
    differ: &mut impl FnMut(&str, &Value, &Value),
) -> usize {
    // One value or a list of them, as text (exiftool writes "2023" as 2023).
    let texts = |v: &Value| -> Vec<String> {
        let one = |v: &Value| match v {
            Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        };
        match v {
            Value::Null => Vec::new(),
            Value::Array(items) => items.iter().map(one).collect(),
            other => vec![one(other)],
        }
    };
    let theirs = |xmp: &str, iim: &str| {
        let found = texts(&exif[xmp]);
        if found.is_empty() {
            texts(&exif[iim])
        } else {
            found
        }
    };
    let fields: [(&str, Value, Vec<String>); 8] = [
        (
            "title",
            mine["title"].clone(),
            theirs("Title", "ObjectName"),
        ),
        (
            "caption",
            mine["caption"].clone(),
            theirs("Description", "Caption-Abstract"),
        ),
        (
            "keywords",
            mine["keywords"].clone(),
            theirs("Subject", "Keywords"),
        ),
        (
            "creator",
            mine["creator"].clone(),
            theirs("Creator", "By-line"),
        ),
        (
            "copyright",
            mine["copyright"].clone(),
            theirs("Rights", "CopyrightNotice"),
        ),
        (
            "city",
            mine["location"]["city"].clone(),
            theirs("City", "City"),
        ),
        (
            "region",
            mine["location"]["region"].clone(),
            theirs("State", "Province-State"),
        ),
        (
            "country",
            mine["location"]["country"].clone(),
            theirs("Country", "Country-PrimaryLocationName"),
        ),
    ];
    for (field, ours, expected) in &fields {
        let ours_texts = match (field, ours) {
            // Several creators are one text, joined.
            (&"creator", Value::String(joined)) => joined.split("; ").map(str::to_string).collect(),
            _ => texts(ours),
        };
        if &ours_texts != expected {
            differ(field, ours, &json!(expected));
        }
    }
    fields.len()
}
