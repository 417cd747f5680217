//! Non-destructive editing: recipes and their history, renditions that
//! follow the current edit, previews, exports.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, decode, jpeg};
use darkroom_storage::catalog::{JobLane, NewRendition, Scope};
use darkroom_storage::maintenance::{GcPolicy, collect_garbage};

backend_tests!(
    saved_edits_are_versions_and_the_renditions_follow_them,
    invalid_recipes_are_refused_naming_the_field,
    previews_render_candidates_without_saving_them,
    a_photo_opened_with_sliders_already_moving_is_decoded_once,
    exports_are_the_current_version_at_full_size,
    a_stalled_export_gives_up_its_slot,
    previews_take_the_edit_scope,
    a_render_of_a_replaced_edit_records_nothing,
);

/// The asset's rendition entry called `name`.
fn rendition<'a>(asset: &'a Value, name: &str) -> &'a Value {
    asset["renditions"]
        .as_array()
        .expect("renditions")
        .iter()
        .find(|r| r["name"] == name)
        .expect("that rendition")
}

/// Fetches a rendition by the URL the asset gives for it.
async fn fetch(app: &TestApp, asset: &Value, name: &str) -> image::RgbImage {
    let url = rendition(asset, name)["url"].as_str().unwrap().to_string();
    let response = app.get(&url).await;
    assert_eq!(response.status(), 200, "{url}");
    decode(response).await
}

fn is_red(p: &image::Rgb<u8>) -> bool {
    p[0] > 150 && p[2] < 90
}

fn is_blue(p: &image::Rgb<u8>) -> bool {
    p[2] > 150 && p[0] < 90
}

async fn saved_edits_are_versions_and_the_renditions_follow_them(app: TestApp) {
    // Left half red, right half blue.
    let original = jpeg(400, 200, 1, None, None);
    let id = app
        .upload_id(&app.token, "harbour.jpg", original.clone())
        .await;
    app.run_jobs().await;
    let path = format!("/api/v1/assets/{id}");
    let before = app.get_json(&path).await;
    assert_eq!(before["edit_version"], 0);
    let unedited = app.get_json(&format!("{path}/edit")).await;
    assert_eq!(
        (unedited["version"].clone(), unedited["recipe_hash"].clone()),
        (json!(0), json!(""))
    );

    // Keep the left half: a red square.
    let saved = app
        .call_expect(
            Method::PUT,
            &app.token,
            &format!("{path}/edit"),
            Some(json!({"crop": {"x": 0, "y": 0, "width": 0.5, "height": 1}})),
            200,
        )
        .await;
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["recipe_hash"].as_str().unwrap().len(), 32);
    assert_eq!(saved["recipe"]["crop"]["width"], 0.5);
    // Until the workers run, the renditions show the earlier edit, and say so.
    let waiting = app.get_json(&path).await;
    assert_eq!(waiting["edit_version"], 1);
    assert_eq!(rendition(&waiting, "thumb")["outdated"], true);
    app.run_jobs().await;
    let edited = app.get_json(&path).await;
    let thumb = rendition(&edited, "thumb");
    assert_eq!(thumb["outdated"], Value::Null, "current now");
    assert_ne!(
        thumb["url"],
        rendition(&before, "thumb")["url"],
        "new bytes, new URL"
    );
    let pixels = fetch(&app, &edited, "thumb").await;
    assert_eq!(pixels.dimensions(), (200, 200));
    assert!(pixels.pixels().filter(|p| is_red(p)).count() > 39_000);
    assert!(!pixels.pixels().any(is_blue));
    // The bare URL is revalidated rather than cached for good.
    let bare = app.get(&format!("{path}/renditions/thumb")).await;
    assert_eq!(bare.headers()["cache-control"], "private, no-cache");

    // Reverting is saving the old recipe: here, none.
    let reverted = app
        .call_expect(
            Method::PUT,
            &app.token,
            &format!("{path}/edit"),
            Some(json!({})),
            200,
        )
        .await;
    assert_eq!(
        (reverted["version"].clone(), reverted["recipe_hash"].clone()),
        (json!(2), json!(""))
    );
    app.run_jobs().await;
    let back = app.get_json(&path).await;
    let pixels = fetch(&app, &back, "thumb").await;
    assert_eq!(pixels.dimensions(), (256, 128));
    assert!(pixels.pixels().any(is_red) && pixels.pixels().any(is_blue));
    assert_eq!(
        rendition(&back, "thumb")["url"],
        rendition(&before, "thumb")["url"]
    );

    let history = app.get_json(&format!("{path}/edit/history")).await;
    assert_eq!(history["current_version"], 2);
    let versions: Vec<i64> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    assert_eq!(history["versions"][1]["recipe"]["crop"]["x"], 0.0);

    // The original never changed.
    let stored = app
        .get(&format!("{path}/original"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(stored.as_ref(), original.as_slice());
    assert_eq!(back["blake3"], before["blake3"]);

    // The cropped renditions are garbage once nothing refers to them: what
    // is left is the original and the two current renditions.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let policy = GcPolicy {
        trash_retention: Duration::from_secs(86_400),
        blob_grace: Duration::from_millis(10),
        scan_store: true,
    };
    let collected = collect_garbage(&app.catalog, &app.blobs, policy)
        .await
        .unwrap();
    assert_eq!(collected.deleted_blobs, 2, "the cropped thumb and preview");
    assert_eq!(app.stored_blob_count().await, 3);
    assert_eq!(fetch(&app, &back, "preview").await.dimensions(), (400, 200));
}

async fn invalid_recipes_are_refused_naming_the_field(app: TestApp) {
    let id = app
        .upload_id(&app.token, "a.jpg", jpeg(64, 32, 2, None, None))
        .await;
    let edit = format!("/api/v1/assets/{id}/edit");
    for (body, field) in [
        (json!({"exposure": 9}), "exposure"),
        (json!({"rotate": 45}), "rotate"),
        (json!({"version": 7}), "version"),
        (json!({"expsure": 1}), "expsure"),
        (
            json!({"crop": {"x": 0.8, "y": 0, "width": 0.5, "height": 1}}),
            "crop.width",
        ),
        (
            json!({"white_balance": {"temperature": 100}}),
            "white_balance.temperature",
        ),
        (json!({"exposure": "lots"}), "recipe"),
    ] {
        let error = app
            .call_error(
                Method::PUT,
                Some(&app.token),
                &edit,
                Some(body.clone()),
                422,
                "invalid_field",
            )
            .await;
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{field}:")),
            "{body}: {message}"
        );
    }
    // Nothing was saved.
    let history = app.get_json(&format!("{edit}/history")).await;
    assert_eq!(history["versions"], json!([]));
    // Not someone else's photo, and not with a read-only token.
    let other = app.user_token("bea", &[Scope::Read, Scope::Edit]).await;
    app.call_error(
        Method::PUT,
        Some(&other),
        &edit,
        Some(json!({})),
        404,
        "not_found",
    )
    .await;
    let reader = app.user_token("cai", &[Scope::Read]).await;
    app.call_error(
        Method::PUT,
        Some(&reader),
        &edit,
        Some(json!({})),
        403,
        "forbidden",
    )
    .await;
}

async fn previews_render_candidates_without_saving_them(app: TestApp) {
    let id = app
        .upload_id(&app.token, "a.jpg", jpeg(800, 400, 4, None, None))
        .await;
    let preview = format!("/api/v1/assets/{id}/edit/preview?size=300");
    let first = app
        .call(
            Method::POST,
            Some(&app.token),
            &preview,
            Some(json!({"exposure": 1})),
        )
        .await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "image/jpeg");
    assert_eq!(first.headers()["x-working-copy"], "decoded");
    let brighter = decode(first).await;
    assert_eq!(brighter.dimensions(), (300, 150));
    // The next slider move renders from the kept working copy.
    let second = app
        .call(
            Method::POST,
            Some(&app.token),
            &preview,
            Some(json!({"monochrome": {}})),
        )
        .await;
    assert_eq!(second.headers()["x-working-copy"], "cached");
    let grey = decode(second).await;
    assert!(
        grey.pixels()
            .all(|p| p[0].abs_diff(p[1]) <= 2 && p[1].abs_diff(p[2]) <= 2)
    );
    let plain = decode(
        app.call(Method::POST, Some(&app.token), &preview, Some(json!({})))
            .await,
    )
    .await;
    let red_of = |image: &image::RgbImage| image.get_pixel(60, 75)[0];
    assert!(
        red_of(&brighter) > red_of(&plain) + 15,
        "{} vs {}",
        red_of(&brighter),
        red_of(&plain)
    );
    // Nothing was saved.
    let current = app.get_json(&format!("/api/v1/assets/{id}/edit")).await;
    assert_eq!(current["version"], 0);
    // Bad input names the problem.
    app.call_error(
        Method::POST,
        Some(&app.token),
        &format!("/api/v1/assets/{id}/edit/preview?size=9000"),
        Some(json!({})),
        422,
        "invalid_field",
    )
    .await;
    app.call_error(
        Method::POST,
        Some(&app.token),
        &preview,
        Some(json!({"vibrance": 101})),
        422,
        "invalid_field",
    )
    .await;
}

async fn a_photo_opened_with_sliders_already_moving_is_decoded_once(app: TestApp) {
    let id = app
        .upload_id(&app.token, "a.jpg", jpeg(800, 400, 14, None, None))
        .await;
    let preview = format!("/api/v1/assets/{id}/edit/preview?size=300");
    let moves = (0..4).map(|i| {
        app.call(
            Method::POST,
            Some(&app.token),
            &preview,
            Some(json!({"exposure": f64::from(i) / 4.0})),
        )
    });
    let answers = futures::future::join_all(moves).await;
    assert!(answers.iter().all(|r| r.status() == 200));
    let decodes = answers
        .iter()
        .filter(|r| r.headers()["x-working-copy"] == "decoded")
        .count();
    assert_eq!(decodes, 1, "one decode, the other moves wait for it");
}

async fn exports_are_the_current_version_at_full_size(app: TestApp) {
    let id = app
        .upload_id(&app.token, "pier.jpg", jpeg(400, 200, 5, None, None))
        .await;
    let path = format!("/api/v1/assets/{id}");
    app.call_expect(
        Method::PUT,
        &app.token,
        &format!("{path}/edit"),
        Some(json!({"crop": {"x": 0.5, "y": 0, "width": 0.5, "height": 1}, "rotate": 90})),
        200,
    )
    .await;
    let jpeg_export = app
        .get(&format!("{path}/export?format=jpeg&quality=90"))
        .await;
    assert_eq!(jpeg_export.status(), 200);
    assert_eq!(
        jpeg_export.headers()["content-disposition"],
        "attachment; filename=\"pier-v1.jpg\""
    );
    let pixels = decode(jpeg_export).await;
    // Turned, then the right half of the turned frame (200 × 400) kept.
    assert_eq!(pixels.dimensions(), (100, 400));
    let tiff = app.get(&format!("{path}/export?format=tiff16")).await;
    assert_eq!(tiff.status(), 200);
    assert_eq!(tiff.headers()["content-type"], "image/tiff");
    // Sent strip by strip as it is written, its length known up front.
    let length: usize = tiff.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = tiff.bytes().await.unwrap();
    assert_eq!(bytes.len(), length);
    let decoded = image::load_from_memory(&bytes).unwrap();
    assert!(matches!(decoded, image::DynamicImage::ImageRgb16(_)));
    assert_eq!((decoded.width(), decoded.height()), (100, 400));
    for (query, field) in [
        ("format=gif", "format"),
        ("format=tiff16&quality=80", "quality"),
        ("quality=0", "quality"),
    ] {
        let error = app
            .call_error(
                Method::GET,
                Some(&app.token),
                &format!("{path}/export?{query}"),
                None,
                422,
                "invalid_field",
            )
            .await;
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field)
        );
    }
}

async fn a_render_of_a_replaced_edit_records_nothing(app: TestApp) {
    let id = app
        .upload_id(&app.token, "a.jpg", jpeg(64, 32, 6, None, None))
        .await;
    app.run_jobs().await;
    let asset_id = id.parse().unwrap();
    let path = format!("/api/v1/assets/{id}/edit");
    app.call_expect(
        Method::PUT,
        &app.token,
        &path,
        Some(json!({"exposure": 1})),
        200,
    )
    .await;
    // A worker leases that render; meanwhile the photographer saves again.
    let job = app
        .catalog
        .lease_job("slow-worker", Duration::from_secs(60), JobLane::Renders)
        .await
        .unwrap()
        .expect("the re-render is queued");
    let first_hash = app
        .catalog
        .current_edit(&asset_id)
        .await
        .unwrap()
        .unwrap()
        .recipe_hash;
    app.call_expect(
        Method::PUT,
        &app.token,
        &path,
        Some(json!({"exposure": -1})),
        200,
    )
    .await;
    let before = app
        .catalog
        .get_rendition(&asset_id, "thumb")
        .await
        .unwrap()
        .unwrap();
    // What the slow worker would record: a thumb (any stored bytes will do).
    let preview = app
        .catalog
        .get_rendition(&asset_id, "preview")
        .await
        .unwrap()
        .unwrap();
    let stale = NewRendition {
        name: "thumb".into(),
        spec: before.spec.clone(),
        hash: preview.hash,
        media_type: preview.media_type.clone(),
        width: preview.width,
        height: preview.height,
        size: preview.size,
    };
    let source = app
        .catalog
        .get_asset_any_owner(&asset_id)
        .await
        .unwrap()
        .hash;
    let recorded = app
        .catalog
        .finish_render_job(
            &job.id,
            "slow-worker",
            &asset_id,
            &first_hash,
            &source,
            &[stale],
        )
        .await
        .unwrap();
    assert!(recorded, "the job is done");
    let after = app
        .catalog
        .get_rendition(&asset_id, "thumb")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.hash, before.hash,
        "but its renditions were not recorded"
    );
    // The render of the current edit is still queued and lands.
    app.run_jobs().await;
    let current = app
        .catalog
        .get_rendition(&asset_id, "thumb")
        .await
        .unwrap()
        .unwrap();
    let now = app.catalog.current_edit(&asset_id).await.unwrap().unwrap();
    assert_eq!(current.recipe_hash, now.recipe_hash);
    assert_ne!(now.recipe_hash, first_hash);
}

/// One export runs at a time; a client that stops reading must not hold
/// that slot (and a CPU thread) for ever: after the stall timeout (2 s in
/// tests) its export is given up and the next one runs.
async fn a_stalled_export_gives_up_its_slot(app: TestApp) {
    // Its 16-bit TIFF is 18 MB, more than the sockets' buffers hold.
    let id = app
        .upload_id(&app.token, "wide.jpg", jpeg(3000, 1000, 11, None, None))
        .await;
    let export = format!("/api/v1/assets/{id}/export");
    // Headers read, then nothing.
    let stalled = app.get(&format!("{export}?format=tiff16")).await;
    assert_eq!(stalled.status(), 200);
    let next = tokio::time::timeout(
        Duration::from_secs(60),
        app.get(&format!("{export}?format=jpeg")),
    )
    .await
    .expect("the stalled export gave up the slot");
    assert_eq!(next.status(), 200);
    let (width, height) = decode(next).await.dimensions();
    assert_eq!((width, height), (3000, 1000));
    // What the stalled client gets is cut short, not a whole file.
    let got = stalled.bytes().await.map(|b| b.len()).unwrap_or(0);
    assert!(got < 3000 * 1000 * 6, "{got} bytes");
}

/// Rendering candidate edits is an editor's work: a token without `edit`
/// may look at its photos, not spend the server's CPU on previews.
async fn previews_take_the_edit_scope(app: TestApp) {
    let reader = app
        .user_token("reader", &[Scope::Read, Scope::Upload])
        .await;
    let id = app
        .upload_id(&reader, "scope.jpg", jpeg(300, 200, 12, None, None))
        .await;
    let path = format!("/api/v1/assets/{id}/edit/preview");
    app.call_error(
        Method::POST,
        Some(&reader),
        &path,
        Some(json!({"exposure": 1})),
        403,
        "forbidden",
    )
    .await;
}
