use std::process::Command;

use crate::helpers::{BIN, jpeg};

fn dimensions(path: &std::path::Path) -> (u32, u32) {
    let img = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (img.width(), img.height())
}

#[test]
fn renders_every_file_and_reports_the_ones_that_fail() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::write(dir.path().join("a.jpg"), jpeg(1)).unwrap();
    std::fs::write(dir.path().join("b.jpeg"), jpeg(2)).unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"not a photo").unwrap();
    let output = Command::new(BIN)
        .arg("render")
        .arg("--out")
        .arg(&out)
        .args(["--rendition", "small:64:jpeg:70", "--rendition", "mid:160"])
        .arg(dir.path().join("a.jpg"))
        .arg(dir.path().join("notes.txt"))
        .arg(dir.path().join("b.jpeg"))
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "a failed file makes the exit status non-zero"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("notes.txt: unsupported file type"),
        "{stderr}"
    );
    assert!(stderr.contains("1 of 3 files failed"), "{stderr}");
    // The others still rendered, named <stem>.<rendition>.<ext>.
    assert_eq!(dimensions(&out.join("a.small.jpg")), (64, 40));
    assert_eq!(dimensions(&out.join("a.mid.jpg")), (160, 100));
    assert_eq!(dimensions(&out.join("b.small.jpg")), (64, 40));
    assert!(!out.join("notes.small.jpg").exists());
}

#[test]
fn defaults_are_thumb_and_preview() {
    let dir = tempfile::tempdir().unwrap();
    let big = image::RgbImage::from_fn(3000, 2000, |x, y| {
        image::Rgb([(x / 12) as u8, (y / 8) as u8, 60])
    });
    big.save(dir.path().join("big.jpg")).unwrap();
    let out = dir.path().join("out");
    let status = Command::new(BIN)
        .arg("render")
        .arg("--out")
        .arg(&out)
        .arg(dir.path().join("big.jpg"))
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(dimensions(&out.join("big.thumb.jpg")), (256, 171));
    assert_eq!(dimensions(&out.join("big.preview.jpg")), (1440, 960));
}

#[test]
fn a_bad_spec_is_one_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.jpg"), jpeg(3)).unwrap();
    let output = Command::new(BIN)
        .args(["render", "--out"])
        .arg(dir.path())
        .args(["--rendition", "huge:99999"])
        .arg(dir.path().join("a.jpg"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("invalid rendition spec"), "{stderr}");
}
