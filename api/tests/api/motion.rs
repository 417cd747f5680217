//! Motion photos: the video a phone keeps after the still, served from the
//! original's last bytes to its owner (ranges for seeking), checked against
//! the bytes, and never through a share link. Live Photos: an iPhone's
//! `.MOV` kept with the still whose content identifier it names.

use darkroom_pipeline::testing::{live_photo_jpeg, live_photo_mov, motion_photo, tiny_mp4};
use darkroom_storage::catalog::Scope;
use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{TestApp, jpeg};

backend_tests!(
    a_motion_photos_video_plays_from_its_original,
    a_live_photos_video_is_kept_with_its_still,
);

async fn a_motion_photos_video_plays_from_its_original(app: TestApp) {
    let token = app.user_token("moa", &Scope::ALL[..3]).await;
    let video = tiny_mp4(7);
    let photo = motion_photo(&jpeg(64, 48, 40, None, None), &video);
    let id = app.upload_id(&token, "PXL_0001.MP.jpg", photo).await;
    let asset = app
        .call_expect(
            Method::GET,
            &token,
            &format!("/api/v1/assets/{id}"),
            None,
            200,
        )
        .await;
    let url = asset["motion_video_url"]
        .as_str()
        .unwrap_or_else(|| panic!("{asset}"));
    assert_eq!(url, format!("/api/v1/assets/{id}/motion"));
    let whole = app.get_as(&token, url).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "video/mp4");
    assert_eq!(&whole.bytes().await.unwrap()[..], &video[..]);
    // A browser seeks with ranges, within the video.
    let part = app
        .client
        .get(app.url(url))
        .bearer_auth(&token)
        .header("Range", "bytes=4-7")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 4-7/{}", video.len()).as_str()
    );
    assert_eq!(&part.bytes().await.unwrap()[..], b"ftyp");
    let outside = app
        .client
        .get(app.url(url))
        .bearer_auth(&token)
        .header("Range", format!("bytes={}-", video.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), 416);

    // A still has none; nor has a file whose XMP declares a video its bytes
    // do not hold (edited after the phone wrote it).
    let still = app
        .upload_id(&token, "still.jpg", jpeg(64, 48, 140, None, None))
        .await;
    let asset = app
        .call_expect(
            Method::GET,
            &token,
            &format!("/api/v1/assets/{still}"),
            None,
            200,
        )
        .await;
    assert!(asset.get("motion_video_url").is_none());
    let mut liar = motion_photo(&jpeg(64, 48, 90, None, None), &video);
    let tail = liar.len() - video.len();
    liar[tail..].fill(0x5A);
    let liar = app.upload_id(&token, "edited.jpg", liar).await;
    for id in [&still, &liar] {
        app.call_error(
            Method::GET,
            Some(&token),
            &format!("/api/v1/assets/{id}/motion"),
            None,
            404,
            "not_found",
        )
        .await;
    }

    // Someone else's photo has no video for you.
    let stranger = app.user_token("nils", &Scope::ALL[..1]).await;
    app.call_error(Method::GET, Some(&stranger), url, None, 404, "not_found")
        .await;
    // Through a share link the photo is a still: no video link. (A shared
    // original comes without the video too: location stripping drops what
    // follows the image.)
    let link = app
        .call_expect(
            Method::POST,
            &token,
            "/api/v1/shares",
            Some(json!({"asset_id": id, "allow_download": true})),
            201,
        )
        .await;
    let link_token = link["token"].as_str().unwrap();
    let shared = app.get(&format!("/api/v1/shared/{link_token}")).await;
    assert_eq!(shared.status(), 200);
    let shared = shared.text().await.unwrap();
    assert!(
        !shared.contains("motion_video_url") && !shared.contains("/motion"),
        "{shared}"
    );
}

async fn a_live_photos_video_is_kept_with_its_still(app: TestApp) {
    let token = app.user_token("lia", &Scope::ALL[..3]).await;
    let id_in_files = "0B5E2F7A-3C4D-4E5F-8A9B-0C1D2E3F4A5B";
    let still = live_photo_jpeg(&jpeg(64, 48, 40, None, None), id_in_files);
    let video = live_photo_mov(id_in_files, 20_000);
    // The video alone has nothing to be kept with.
    let refused = app.upload_as(&token, "IMG_0007.MOV", video.clone()).await;
    let body = crate::helpers::assert_error(refused, 422, "live_photo_without_still").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(id_in_files),
        "{body}"
    );
    // The still, then its video: one photo.
    let photo = app.upload_id(&token, "IMG_0007.JPG", still.clone()).await;
    let response = app.upload_as(&token, "IMG_0007.MOV", video.clone()).await;
    assert_eq!(response.status(), 200);
    let paired: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (paired["status"].as_str(), paired["id"].as_str()),
        (Some("paired"), Some(photo.as_str()))
    );
    let listed = app
        .call_expect(Method::GET, &token, "/api/v1/assets", None, 200)
        .await;
    let assets = listed["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 1, "{listed}");
    let url = format!("/api/v1/assets/{photo}/files/live");
    assert_eq!(assets[0]["motion_video_url"], url.as_str());
    let roles: Vec<_> = assets[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["jpeg", "live"]);
    let served = app.get_as(&token, &url).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "video/quicktime");
    assert_eq!(&served.bytes().await.unwrap()[..], &video[..]);
    // Sent again, it is the same photo.
    let again = app.upload_as(&token, "IMG_0007.MOV", video.clone()).await;
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(
        (again["status"].as_str(), again["id"].as_str()),
        (Some("duplicate"), Some(photo.as_str()))
    );
    // A video that names no Live Photo is not kept at all.
    let plain = app
        .upload_as(&token, "holiday.mov", live_photo_mov("", 5_000))
        .await;
    crate::helpers::assert_error(plain, 415, "unsupported_media_type").await;

    // Both files count, and both go with the photo.
    let me = app
        .call_expect(Method::GET, &token, "/api/v1/me", None, 200)
        .await;
    assert_eq!(
        me["usage_bytes"].as_u64(),
        Some((still.len() + video.len()) as u64)
    );
    app.trash_as(&token, &photo).await;
    app.call_expect(Method::POST, &token, "/api/v1/trash/empty", None, 200)
        .await;
    let me = app
        .call_expect(Method::GET, &token, "/api/v1/me", None, 200)
        .await;
    assert_eq!(me["usage_bytes"].as_u64(), Some(0));
    assert_eq!(app.catalog.blob_ref_mismatches().await.unwrap(), []);
}
