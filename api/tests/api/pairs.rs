//! RAW+JPEG pairs: the two files a camera writes of one exposure become one
//! photo with both files, whichever arrives first; the JPEG's look is the
//! default, an edit develops the RAW, both download, and the pair goes as
//! one (usage, blobs) when purged.

use darkroom_pipeline::testing::{CapturePair, PAIR_JPEG_COLOUR, capture_pair};
use std::time::Duration;

use darkroom_storage::ContentHash;
use darkroom_storage::catalog::{JobLane, NewRendition, Scope};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, decode};

backend_tests!(
    a_raw_and_its_jpeg_become_one_photo_in_either_order,
    only_files_of_one_capture_pair,
    a_pair_goes_as_one,
    a_render_of_the_raw_alone_never_hides_its_jpeg,
);

/// Uploads `bytes` as `name`; returns the answer's status code and body.
async fn send(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
    let response = app.upload_as(token, name, bytes.to_vec()).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The colour at the middle of the photo's preview.
async fn preview_colour(app: &TestApp, token: &str, id: &str) -> [u8; 3] {
    let response = app
        .get_as(token, &format!("/api/v1/assets/{id}/renditions/preview"))
        .await;
    assert_eq!(response.status(), 200);
    let image = decode(response).await;
    image.get_pixel(image.width() / 2, image.height() / 2).0
}

fn near(colour: [u8; 3], expected: [u8; 3]) -> bool {
    colour
        .iter()
        .zip(expected)
        .all(|(&c, e)| c.abs_diff(e) <= 30)
}

/// The sync feed's entries from `cursor` until it is up to date, and the
/// cursor to follow it with.
async fn drain_feed(
    app: &TestApp,
    token: &str,
    mut cursor: Option<String>,
) -> (Vec<Value>, String) {
    let mut entries = Vec::new();
    loop {
        let mut path = "/api/v1/sync?limit=100".to_string();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = app.call_expect(Method::GET, token, &path, None, 200).await;
        entries.extend(page["changes"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if page["has_more"] == false {
            return (entries, cursor.unwrap());
        }
    }
}

async fn library(app: &TestApp, token: &str) -> Vec<Value> {
    app.call_expect(Method::GET, token, "/api/v1/assets", None, 200)
        .await["assets"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_raw_and_its_jpeg_become_one_photo_in_either_order(app: TestApp) {
    for (user, raw_first) in [("ines", true), ("olav", false)] {
        let token = app.user_token(user, &Scope::ALL[..3]).await;
        let CapturePair { raw, jpeg } = capture_pair("2024:05:01 10:00:00");
        let files = [("IMG_0042.DNG", &raw), ("IMG_0042.JPG", &jpeg)];
        let (first, second) = if raw_first {
            (files[0], files[1])
        } else {
            (files[1], files[0])
        };
        let (status, created) = send(&app, &token, first.0, first.1).await;
        assert_eq!((status, created["status"].as_str()), (201, Some("created")));
        let id = created["id"].as_str().unwrap().to_string();
        assert!(created["asset"].get("files").is_none(), "{created}");
        let (status, paired) = send(&app, &token, second.0, second.1).await;
        assert_eq!(
            (status, paired["status"].as_str(), paired["id"].as_str()),
            (200, Some("paired"), Some(id.as_str())),
            "{paired}"
        );

        // One tile, listing both files, the RAW first.
        let items = library(&app, &token).await;
        assert_eq!(items.len(), 1, "{items:?}");
        let listed = &items[0]["files"];
        let roles: Vec<_> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["role"].as_str().unwrap(),
                    f["original_name"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(roles, [("raw", "IMG_0042.DNG"), ("jpeg", "IMG_0042.JPG")]);
        // Both download exactly; no third kind.
        for (role, bytes) in [("raw", &raw), ("jpeg", &jpeg)] {
            let url = format!("/api/v1/assets/{id}/files/{role}");
            let response = app.get_as(&token, &url).await;
            assert_eq!(response.status(), 200, "{url}");
            assert_eq!(&response.bytes().await.unwrap()[..], &bytes[..], "{url}");
        }
        app.call_error(
            Method::GET,
            Some(&token),
            &format!("/api/v1/assets/{id}/files/tiff"),
            None,
            404,
            "not_found",
        )
        .await;
        let me = app
            .call_expect(Method::GET, &token, "/api/v1/me", None, 200)
            .await;
        assert_eq!(
            me["usage_bytes"].as_u64(),
            Some((raw.len() + jpeg.len()) as u64),
            "both files count against the owner's quota"
        );

        // The camera's JPEG is the look until the photo is edited; an edit
        // develops the RAW. This test server has no RAW helper, so the
        // render after the edit fails naming the DNG: proof it read the RAW
        // (tests/cli/pairs.rs develops it for real).
        app.run_jobs().await;
        let unedited = preview_colour(&app, &token, &id).await;
        assert!(near(unedited, PAIR_JPEG_COLOUR), "{unedited:?}");
        app.call_expect(
            Method::PUT,
            &token,
            &format!("/api/v1/assets/{id}/edit"),
            Some(json!({"crop": {"x": 0, "y": 0, "width": 1, "height": 0.5}})),
            200,
        )
        .await;
        let outcomes = format!("{:?}", app.run_jobs().await);
        assert!(outcomes.contains("no decoder for dng"), "{outcomes}");

        // Either file again is the same photo; `check` knows both.
        for (name, bytes) in files {
            let (status, again) = send(&app, &token, name, bytes).await;
            assert_eq!(
                (status, again["status"].as_str(), again["id"].as_str()),
                (200, Some("duplicate"), Some(id.as_str()))
            );
        }
        let hashes: Vec<Value> = [&raw, &jpeg]
            .iter()
            .map(|b| json!({"blake3": blake3::hash(b).to_hex().to_string(), "size": b.len()}))
            .collect();
        let checked = app
            .call_expect(
                Method::POST,
                &token,
                "/api/v1/assets/check",
                Some(json!({ "assets": hashes })),
                200,
            )
            .await;
        for result in checked["results"].as_array().unwrap() {
            assert_eq!(
                (result["status"].as_str(), result["asset_id"].as_str()),
                (Some("present"), Some(id.as_str()))
            );
        }
    }
}

async fn only_files_of_one_capture_pair(app: TestApp) {
    let token = app.user_token("pia", &Scope::ALL[..3]).await;
    let noon = capture_pair("2024:06:01 12:00:00");
    let later = capture_pair("2024:06:01 12:00:01");
    // Another second of the same name: two photos.
    send(&app, &token, "DSC_1.NEF.dng", &noon.raw).await;
    let (_, other_time) = send(&app, &token, "DSC_1.NEF.jpg", &later.jpeg).await;
    assert_eq!(other_time["status"], "created");
    // The same second under another name: two photos.
    let (_, other_name) = send(&app, &token, "DSC_2.jpg", &noon.jpeg).await;
    assert_eq!(other_name["status"], "created");
    assert_eq!(library(&app, &token).await.len(), 3);

    // Sent at once, a RAW and its JPEG still find each other.
    let ten = capture_pair("2024:06:02 10:00:00");
    let (raw, jpeg) = tokio::join!(
        send(&app, &token, "P10.dng", &ten.raw),
        send(&app, &token, "P10.jpg", &ten.jpeg),
    );
    let mut statuses = [raw.1["status"].clone(), jpeg.1["status"].clone()];
    statuses.sort_by_key(|s| s.to_string());
    assert_eq!(statuses, [json!("created"), json!("paired")]);
    assert_eq!(raw.1["id"], jpeg.1["id"]);
    assert_eq!(library(&app, &token).await.len(), 4);

    // A pair takes no third file: a second JPEG of the capture (an edited
    // copy under the camera's name) is a photo of its own.
    let mut copy = ten.jpeg.clone();
    copy.extend_from_slice(b"edited");
    let (_, third) = send(&app, &token, "P10.jpg", &copy).await;
    assert_eq!(third["status"], "created");
    assert_ne!(third["id"], raw.1["id"]);
}

async fn a_pair_goes_as_one(app: TestApp) {
    let token = app.user_token("rut", &Scope::ALL[..3]).await;
    let pair = capture_pair("2024:07:01 09:30:00");
    let (_, first) = send(&app, &token, "R.jpg", &pair.jpeg).await;
    let id = first["id"].as_str().unwrap().to_string();
    // The owner's other devices learn the pair from the feed.
    let (_, cursor) = drain_feed(&app, &token, None).await;
    send(&app, &token, "R.dng", &pair.raw).await;
    let (changes, _) = drain_feed(&app, &token, Some(cursor)).await;
    let change = changes
        .iter()
        .find(|c| c["type"] == "asset.updated")
        .unwrap_or_else(|| panic!("{changes:?}"));
    assert_eq!(change["asset"]["id"], id.as_str(), "{change}");
    assert_eq!(change["asset"]["files"].as_array().map(Vec::len), Some(2));
    app.run_jobs().await;

    // The owner's ZIP of originals holds both files.
    let response = app
        .call(
            Method::POST,
            Some(&token),
            "/api/v1/assets/download",
            Some(json!({ "asset_ids": [id] })),
        )
        .await;
    assert_eq!(response.status(), 200);
    let files = crate::downloads::unzip(&response.bytes().await.unwrap());
    assert_eq!(
        files,
        [
            ("R.jpg".to_string(), pair.jpeg.clone()),
            ("R.dng".to_string(), pair.raw.clone())
        ]
    );

    // Trashed, the photo and both its files leave the library; purged,
    // both blobs are released and the owner's usage is back to nothing.
    app.trash_as(&token, &id).await;
    assert!(library(&app, &token).await.is_empty());
    app.call_expect(Method::POST, &token, "/api/v1/trash/empty", None, 200)
        .await;
    let me = app
        .call_expect(Method::GET, &token, "/api/v1/me", None, 200)
        .await;
    assert_eq!(me["usage_bytes"].as_u64(), Some(0));
    assert_eq!(app.catalog.blob_ref_mismatches().await.unwrap(), []);
    let usage = app.catalog.usage_checks().await.unwrap();
    assert!(usage.iter().all(|u| u.recorded == u.counted), "{usage:?}");
    // The RAW uploaded again is a new photo, not a file of a purged one.
    let (status, again) = send(&app, &token, "R.dng", &pair.raw).await;
    assert_eq!((status, again["status"].as_str()), (201, Some("created")));
}

async fn a_render_of_the_raw_alone_never_hides_its_jpeg(app: TestApp) {
    let token = app.user_token("sig", &Scope::ALL[..3]).await;
    let pair = capture_pair("2024:09:01 08:00:00");
    let (_, raw) = send(&app, &token, "S.dng", &pair.raw).await;
    let id = raw["id"].as_str().unwrap().to_string();
    // A worker starts on the RAW alone; meanwhile its JPEG arrives.
    let job = app
        .catalog
        .lease_job("slow-worker", Duration::from_secs(60), JobLane::Renders)
        .await
        .unwrap()
        .expect("the RAW's render is queued");
    let (_, paired) = send(&app, &token, "S.jpg", &pair.jpeg).await;
    assert_eq!(paired["status"], "paired");
    // What the slow worker made of the RAW is not recorded: the photo
    // renders from its JPEG now.
    let asset_id = id.parse().unwrap();
    let developed = NewRendition {
        name: "thumb".into(),
        spec: "thumb".into(),
        hash: ContentHash::of(&pair.raw),
        media_type: "image/jpeg".into(),
        width: 96,
        height: 64,
        size: pair.raw.len() as u64,
    };
    let raw_hash = ContentHash::of(&pair.raw);
    let done = app
        .catalog
        .finish_render_job(
            &job.id,
            "slow-worker",
            &asset_id,
            "",
            &raw_hash,
            &[developed],
        )
        .await
        .unwrap();
    assert!(done, "the job is over");
    assert!(
        app.catalog
            .get_rendition(&asset_id, "thumb")
            .await
            .unwrap()
            .is_none(),
        "nothing recorded from the RAW"
    );
    app.run_jobs().await;
    let look = preview_colour(&app, &token, &id).await;
    assert!(near(look, PAIR_JPEG_COLOUR), "{look:?}");
}
