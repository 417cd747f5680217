//! RAW+JPEG pairs through the real server and its RAW helper: a camera's
//! folder imported as one photo per exposure, the camera's JPEG as the
//! look, an edit developed from the RAW, and fsck clean afterwards.

use std::process::Command;
use std::time::{Duration, Instant};

use darkroom_pipeline::testing::{PAIR_JPEG_COLOUR, PAIR_RAW_COLOUR, capture_pair};
use serde_json::Value;

use crate::helpers::{
    BIN, Storage, client, current_rendition, darkroom, get_json, serve, token_for,
};

fn near(colour: [u8; 3], expected: [u8; 3]) -> bool {
    colour
        .iter()
        .zip(expected)
        .all(|(&c, e)| c.abs_diff(e) <= 30)
}

/// Waits until the photo's current thumbnail (rendered with its current
/// edit) has `expected`'s colour at its middle; the colour it last had
/// when it never does.
async fn thumb_becomes(url: &str, token: &str, id: &str, expected: [u8; 3]) -> [u8; 3] {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let image = current_rendition(url, token, id, "thumb").await;
        let middle = image.get_pixel(image.width() / 2, image.height() / 2).0;
        if near(middle, expected) || Instant::now() >= deadline {
            return middle;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs `darkroom import DIR --json` against the server; its summary,
/// once the command succeeded.
fn import(dir: &std::path::Path, url: &str, token: &str) -> Value {
    let output = Command::new(BIN)
        .arg("import")
        .arg(dir)
        .args(["--server", url, "--token", token, "--json"])
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&output.stderr));
    });
    assert!(output.status.success(), "{summary}");
    summary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_folder_of_raw_and_jpeg_imports_one_photo_per_exposure() {
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &[], &[]);
    let token = token_for(&storage, "field");
    let card = tempfile::tempdir().unwrap();
    for i in 0..3 {
        let pair = capture_pair(&format!("2024:08:01 07:00:0{i}"));
        std::fs::write(card.path().join(format!("DSC0000{i}.DNG")), pair.raw).unwrap();
        std::fs::write(card.path().join(format!("DSC0000{i}.JPG")), pair.jpeg).unwrap();
    }
    let summary = import(card.path(), &url, &token);
    assert_eq!(
        (summary["uploaded"].as_u64(), summary["paired"].as_u64()),
        (Some(6), Some(3)),
        "{summary}"
    );
    let page = get_json(&format!("{url}/api/v1/assets"), &token).await;
    let photos = page["assets"].as_array().unwrap();
    assert_eq!(photos.len(), 3, "{page}");
    for photo in photos {
        let roles: Vec<_> = photo["files"]
            .as_array()
            .unwrap_or_else(|| panic!("{photo}"))
            .iter()
            .map(|f| f["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["raw", "jpeg"]);
    }

    // Unedited, each shows the camera's JPEG (whichever file came first).
    let id = photos[0]["id"].as_str().unwrap();
    let look = thumb_becomes(&url, &token, id, PAIR_JPEG_COLOUR).await;
    assert!(near(look, PAIR_JPEG_COLOUR), "{look:?}");
    // An edit develops the RAW, in the helper.
    let saved = client()
        .put(format!("{url}/api/v1/assets/{id}/edit"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"crop": {"x": 0, "y": 0, "width": 1, "height": 0.5}}))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    let developed = thumb_becomes(&url, &token, id, PAIR_RAW_COLOUR).await;
    assert!(near(developed, PAIR_RAW_COLOUR), "{developed:?}");

    // Every blob reference and every byte of usage accounted for.
    let fsck = darkroom(&["fsck"], &storage);
    assert!(
        fsck.status.success(),
        "{}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jpeg_sent_after_its_raw_becomes_the_look() {
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &[], &[]);
    let token = token_for(&storage, "late");
    let pair = capture_pair("2024:08:02 18:00:00");
    let send = |name: &'static str, bytes: Vec<u8>| {
        let (url, token) = (url.clone(), token.clone());
        async move {
            let response = client()
                .post(format!("{url}/api/v1/assets?filename={name}"))
                .bearer_auth(&token)
                .body(bytes)
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()
        }
    };
    let raw = send("L1.dng", pair.raw).await;
    let id = raw["id"].as_str().unwrap();
    // The RAW alone is developed (red) …
    let alone = thumb_becomes(&url, &token, id, PAIR_RAW_COLOUR).await;
    assert!(near(alone, PAIR_RAW_COLOUR), "{alone:?}");
    // … until its JPEG arrives: then the photo shows the camera's look.
    let jpeg = send("L1.jpg", pair.jpeg).await;
    assert_eq!(jpeg["status"], "paired", "{jpeg}");
    let look = thumb_becomes(&url, &token, id, PAIR_JPEG_COLOUR).await;
    assert!(near(look, PAIR_JPEG_COLOUR), "{look:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_iphone_folder_imports_live_photos_with_their_videos() {
    use darkroom_pipeline::testing::{live_photo_jpeg, live_photo_mov};
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &["--workers", "0"], &[]);
    let token = token_for(&storage, "phone");
    let dcim = tempfile::tempdir().unwrap();
    for i in 0..4 {
        let id = format!("5F0C1A2B-0000-4000-8000-00000000000{i}");
        let still = live_photo_jpeg(&crate::helpers::jpeg(200 + i), &id);
        std::fs::write(dcim.path().join(format!("IMG_000{i}.JPG")), still).unwrap();
        std::fs::write(
            dcim.path().join(format!("IMG_000{i}.MOV")),
            live_photo_mov(&id, 50_000),
        )
        .unwrap();
    }
    // A film of its own is no photo's: skipped.
    std::fs::write(dcim.path().join("birthday.mov"), live_photo_mov("", 9_000)).unwrap();
    let summary = import(dcim.path(), &url, &token);
    assert_eq!(
        (
            summary["uploaded"].as_u64(),
            summary["paired"].as_u64(),
            summary["not_photos"].as_u64()
        ),
        (Some(8), Some(4), Some(1)),
        "{summary}"
    );
    let page = get_json(&format!("{url}/api/v1/assets"), &token).await;
    let photos = page["assets"].as_array().unwrap();
    assert_eq!(photos.len(), 4, "{page}");
    for photo in photos {
        let video = photo["motion_video_url"]
            .as_str()
            .unwrap_or_else(|| panic!("{photo}"));
        let bytes = client()
            .get(format!("{url}{video}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(darkroom_pipeline::live_photo::is_quicktime(&bytes));
    }
}
