//! Many photos in one ZIP: albums, selections, share links.

use std::io::Read;

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, noisy_jpeg};
use crate::sharing::{album_link_with_downloads, jpeg_with_gps};
use darkroom_storage::catalog::Scope;

backend_tests!(
    an_album_downloads_as_one_zip_of_originals_or_edits,
    a_selection_downloads_only_your_photos,
    a_share_link_downloads_without_location_and_only_when_allowed,
);

/// The archive's files, by name, in order.
pub(crate) fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().unwrap().to_string(), data)
        })
        .collect()
}

async fn zip_of(response: reqwest::Response) -> Vec<(String, Vec<u8>)> {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.unwrap();
    unzip(&bytes)
}

async fn album_of(app: &TestApp, name: &str, ids: &[&str]) -> String {
    let album = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/albums",
            Some(json!({"name": name, "asset_ids": ids})),
            201,
        )
        .await;
    album["id"].as_str().unwrap().to_string()
}

async fn an_album_downloads_as_one_zip_of_originals_or_edits(app: TestApp) {
    let first = noisy_jpeg(48, 32, 1);
    let second = noisy_jpeg(40, 30, 2);
    let third = noisy_jpeg(32, 32, 3);
    let a = app.upload_id(&app.token, "IMG_1.JPG", first.clone()).await;
    // Another camera's file of the same name.
    let b = app.upload_id(&app.token, "img_1.jpg", second.clone()).await;
    let c = app.upload_id(&app.token, "trashed.jpg", third).await;
    let album = album_of(&app, "Summer / 2026", &[&a, &b, &c]).await;
    app.trash_as(&app.token, &c).await;

    let response = app.get(&format!("/api/v1/albums/{album}/download")).await;
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("Summer%20_%202026.zip"),
        "{disposition}"
    );
    let files = zip_of(response).await;
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2, "the trashed photo is not in: {names:?}");
    assert!(
        names.contains(&"IMG_1.JPG") && names.contains(&"img_1 (2).jpg"),
        "{names:?}"
    );
    for (name, bytes) in &files {
        let want = if name == "IMG_1.JPG" { &first } else { &second };
        assert_eq!(bytes, want, "{name}: the original, byte for byte");
    }

    // The current edits: the edited photo as a full-size JPEG, the other as
    // uploaded.
    app.call_expect(
        Method::PUT,
        &app.token,
        &format!("/api/v1/assets/{a}/edit"),
        Some(json!({"crop": {"x": 0, "y": 0, "width": 0.5, "height": 1}})),
        200,
    )
    .await;
    let files = zip_of(
        app.get(&format!("/api/v1/albums/{album}/download?version=edited"))
            .await,
    )
    .await;
    let edited = files
        .iter()
        .find(|(n, _)| n == "IMG_1-v1.jpg")
        .unwrap_or_else(|| panic!("{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>()));
    let picture = image::load_from_memory(&edited.1).expect("a JPEG");
    assert_eq!((picture.width(), picture.height()), (24, 32), "cropped");
    assert!(files.iter().any(|(_, bytes)| *bytes == second));
    // A bad version is named; someone else's album is not found.
    app.call_error(
        Method::GET,
        Some(&app.token),
        &format!("/api/v1/albums/{album}/download?version=raw"),
        None,
        422,
        "invalid_field",
    )
    .await;
    let stranger = app.user_token("stranger", &[Scope::Read]).await;
    assert_eq!(
        app.get_as(&stranger, &format!("/api/v1/albums/{album}/download"))
            .await
            .status(),
        404
    );
}

async fn a_selection_downloads_only_your_photos(app: TestApp) {
    let a_bytes = noisy_jpeg(24, 24, 10);
    let a = app.upload_id(&app.token, "a.jpg", a_bytes.clone()).await;
    let b = app
        .upload_id(&app.token, "b.jpg", noisy_jpeg(24, 24, 11))
        .await;
    let download = |body: Value| {
        app.client
            .post(app.url("/api/v1/assets/download"))
            .bearer_auth(&app.token)
            .json(&body)
            .send()
    };
    let files = zip_of(download(json!({"asset_ids": [b, a, a]})).await.unwrap()).await;
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["b.jpg", "a.jpg"], "in the order asked, once each");
    assert_eq!(files[1].1, a_bytes);
    // Someone else's photo is not in anybody's selection.
    let other = app.user_token("other", &[Scope::Read, Scope::Upload]).await;
    let theirs = app
        .upload_id(&other, "theirs.jpg", noisy_jpeg(24, 24, 12))
        .await;
    let refused = download(json!({"asset_ids": [a, theirs]})).await.unwrap();
    let body = crate::helpers::assert_error(refused, 422, "invalid_field").await;
    assert!(body.to_string().contains("1 of them"), "{body}");
    let empty = download(json!({"asset_ids": []})).await.unwrap();
    crate::helpers::assert_error(empty, 422, "invalid_field").await;
}

async fn a_share_link_downloads_without_location_and_only_when_allowed(app: TestApp) {
    let located = app
        .upload_id(&app.token, "paris.jpg", jpeg_with_gps(21))
        .await;
    let plain = app
        .upload_id(&app.token, "plain.jpg", noisy_jpeg(24, 24, 22))
        .await;
    let token = album_link_with_downloads(&app, "Paris", &[&located, &plain]).await;
    let anon = reqwest::Client::new();
    let files = zip_of(
        anon.get(app.url(&format!("/api/v1/shared/{token}/download")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(files.len(), 2);
    for (name, bytes) in &files {
        let id = if name == "paris.jpg" {
            &located
        } else {
            &plain
        };
        // Exactly what the link sends for the single original.
        let single = anon
            .get(app.url(&format!("/api/v1/shared/{token}/assets/{id}/original")))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.as_slice(), &single[..], "{name}");
        let info = darkroom_pipeline::info(bytes).expect("still a photo");
        assert!(info.metadata.gps.is_none(), "{name}: no position");
    }
    // A link without downloads gives no archive.
    let view_only = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/shares",
            Some(json!({"asset_id": plain})),
            201,
        )
        .await;
    let view_only = view_only["token"].as_str().unwrap();
    let refused = anon
        .get(app.url(&format!("/api/v1/shared/{view_only}/download")))
        .send()
        .await
        .unwrap();
    crate::helpers::assert_error(refused, 403, "download_not_allowed").await;
}
