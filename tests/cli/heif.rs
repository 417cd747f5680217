//! HEIC and AVIF in the default build, end to end: an iPhone-style HEIC
//! uploaded to `darkroom serve` gets its thumbnail from the helper, which
//! loads the system's libheif; on a machine without libheif the photo is
//! kept, and says plainly why it has no preview (`unsupported`, with the
//! reason), never "pending" for ever.

use std::process::Command;

use crate::helpers::*;

/// A 600 × 400 gradient saved as `extension` by libvips (its HEIF saver is
/// libheif), or `None` without `vips`.
fn made_by_vips(extension: &str) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("in.png");
    image::RgbImage::from_fn(600, 400, |x, y| {
        image::Rgb([(x * 255 / 600) as u8, (y * 255 / 400) as u8, 90])
    })
    .save(&png)
    .unwrap();
    let out = dir.path().join(format!("out.{extension}"));
    let made = Command::new("vips")
        .arg("copy")
        .arg(&png)
        .arg(format!("{}[Q=85]", out.display()))
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("SKIPPED the {extension} upload: vips (libvips-tools) is not installed");
        return None;
    }
    Some(std::fs::read(out).unwrap())
}

/// The thumbnail's answer once it is no longer pending: (status, body).
async fn settled_thumb(url: &str, token: &str, id: &str) -> (u16, bytes::Bytes) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let response = client()
            .get(format!("{url}/api/v1/assets/{id}/renditions/thumb"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if status != 202 || std::time::Instant::now() > deadline {
            return (status, response.bytes().await.unwrap());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn heic_and_avif_get_thumbnails_in_the_default_build() {
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &[], &[]);
    let token = token_for(&storage, "iphone");
    for extension in ["heic", "avif"] {
        let Some(bytes) = made_by_vips(extension) else {
            return;
        };
        let id = upload(&url, &token, bytes).await;
        let (status, body) = settled_thumb(&url, &token, &id).await;
        assert_eq!(status, 200, "{extension}: {}", text(&body));
        let thumb = image::load_from_memory(&body).unwrap().to_rgb8();
        assert_eq!((thumb.width(), thumb.height()), (256, 171), "{extension}");
        // The gradient's left edge is dark, its right edge bright red.
        let (left, right) = (thumb.get_pixel(4, 85), thumb.get_pixel(251, 85));
        assert!(right[0] > left[0] + 150, "{extension}: {left:?} {right:?}");
    }
}

#[tokio::test]
async fn without_libheif_a_heic_is_kept_and_says_why_it_has_no_preview() {
    let Some(bytes) = made_by_vips("heic") else {
        return;
    };
    let storage = Storage::embedded();
    let (_server, url) = serve(
        &storage,
        &[],
        &[("DARKROOM_LIBHEIF", "/nonexistent/libheif.so.1")],
    );
    let token = token_for(&storage, "iphone");
    let id = upload(&url, &token, bytes.clone()).await;
    let (status, body) = settled_thumb(&url, &token, &id).await;
    assert_eq!(status, 422, "{}", text(&body));
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error["error"]["code"], "rendition_unsupported", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("HEIC photos need libheif"),
        "{error}"
    );
    let asset = get_json(&format!("{url}/api/v1/assets/{id}"), &token).await;
    assert_eq!(asset["renditions"][0]["status"], "unsupported", "{asset}");
    // The photo itself is kept, byte for byte.
    assert_originals(&url, &token, &[(id, bytes)]).await;
}
