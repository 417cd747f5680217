//! Motion photos: the video a phone keeps after the still, served from the
//! original's last bytes to its owner (ranges for seeking), checked against
//! the bytes, and never through a share link.

use darkroom_pipeline::testing::{motion_photo, tiny_mp4};
use darkroom_storage::catalog::Scope;
use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{TestApp, jpeg};

backend_tests!(a_motion_photos_video_plays_from_its_original,);

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
