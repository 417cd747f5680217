//! Share links: what a holder sees without an account, and never where.

use darkroom_storage::catalog::Scope;
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, assert_error, jpeg};

backend_tests!(
    links_change_in_place_and_say_what_they_share,
    album_links_serve_the_album_without_location,
    passwords_expiry_and_revocation_are_enforced,
    no_image_in_a_shared_original_says_where,
);

/// A JPEG whose EXIF has a GPS position (and a Make to prove the rest stays).
pub(crate) fn jpeg_with_gps(seed: u32) -> Vec<u8> {
    darkroom_pipeline::testing::with_gps_exif(&jpeg(64, 48, seed, None, None))
}

/// An album of `assets` named `name`, shared by a link that allows
/// downloading originals: the link's token.
pub(crate) async fn album_link_with_downloads(
    app: &TestApp,
    name: &str,
    assets: &[&str],
) -> String {
    let album = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/albums",
            Some(json!({"name": name, "asset_ids": assets})),
            201,
        )
        .await;
    let link = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/shares",
            Some(json!({"album_id": album["id"], "allow_download": true})),
            201,
        )
        .await;
    link["token"].as_str().unwrap().to_string()
}

/// Whether JSON says anything of where a photo was taken.
pub(crate) fn mentions_location(value: &Value) -> bool {
    let text = value.to_string().to_lowercase();
    text.contains("gps")
        || text.contains("latitude")
        || text.contains("has_location")
        || text.contains("\"place\"")
}

async fn album_links_serve_the_album_without_location(app: TestApp) {
    let located = app
        .upload_id(&app.token, "paris.jpg", jpeg_with_gps(1))
        .await;
    let other = app
        .upload_id(&app.token, "b.jpg", jpeg(64, 48, 200, None, None))
        .await;
    let private = app
        .upload_id(&app.token, "c.jpg", jpeg(64, 48, 120, None, None))
        .await;
    app.run_jobs().await;
    let owner_view = app
        .call_expect(
            Method::GET,
            &app.token,
            &format!("/api/v1/assets/{located}"),
            None,
            200,
        )
        .await;
    assert!(
        owner_view["metadata"]["gps"].is_object(),
        "the owner sees the location"
    );
    assert_eq!(owner_view["has_location"], true);
    // The owner's own marks, which link holders do not see either.
    let marked = app
        .call_expect(
            Method::PATCH,
            &app.token,
            &format!("/api/v1/assets/{located}"),
            Some(json!({"favorite": true, "rating": 4})),
            200,
        )
        .await;
    assert_eq!(
        (&marked["favorite"], &marked["rating"]),
        (&json!(true), &json!(4))
    );
    let token = album_link_with_downloads(&app, "Paris", &[&located, &other]).await;
    assert!(token.len() >= 32, "at least 128 bits");
    let anon = reqwest::Client::new();
    let get = |path: String| anon.get(app.url(&path)).send();

    let shared: Value = get(format!("/api/v1/shared/{token}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shared["type"], "album");
    assert_eq!(shared["album"]["asset_count"], 2);
    let page: Value = get(format!("/api/v1/shared/{token}/assets"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["assets"].as_array().unwrap().len(), 2);
    assert!(
        !mentions_location(&page),
        "no location in shared JSON: {page}"
    );
    assert_eq!(
        page["assets"][0]["camera_make"], "Abc",
        "the rest of the metadata stays"
    );
    for asset in page["assets"].as_array().unwrap() {
        assert!(
            asset.get("favorite").is_none() && asset.get("rating").is_none(),
            "the owner's favourites and ratings stay the owner's: {asset}"
        );
        assert!(asset.get("blake3").is_none(), "no content hash: {asset}");
        assert!(
            asset["metadata"].get("rating").is_none(),
            "nor the camera's rating: {asset}"
        );
    }
    let url = page["assets"][0]["renditions"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        url.starts_with(&format!("/api/v1/shared/{token}/")),
        "{url}"
    );

    // Renditions and the original carry no GPS either.
    let thumb = get(format!(
        "/api/v1/shared/{token}/assets/{located}/renditions/thumb"
    ))
    .await
    .unwrap();
    assert_eq!(thumb.status(), 200);
    let thumb = thumb.bytes().await.unwrap();
    assert!(
        darkroom_pipeline::info(&thumb)
            .map(|i| i.metadata.gps.is_none())
            .unwrap_or(true)
    );
    let original = get(format!("/api/v1/shared/{token}/assets/{located}/original"))
        .await
        .unwrap();
    assert_eq!(original.status(), 200);
    let original = original.bytes().await.unwrap();
    let info = darkroom_pipeline::info(&original).expect("a photo");
    assert_eq!(info.metadata.gps, None);
    assert_eq!(info.metadata.make.as_deref(), Some("Abc"));
    assert_eq!(
        image::load_from_memory(&original)
            .unwrap()
            .to_rgb8()
            .dimensions(),
        (64, 48)
    );

    // Only what the link covers.
    let r = get(format!("/api/v1/shared/{token}/assets/{private}"))
        .await
        .unwrap();
    assert_error(r, 404, "not_found").await;
    let r = get(format!(
        "/api/v1/shared/{token}/assets/{private}/renditions/thumb"
    ))
    .await
    .unwrap();
    assert_error(r, 404, "not_found").await;
    // A trashed photo leaves the share with it.
    app.trash_as(&app.token, &other).await;
    let r = get(format!("/api/v1/shared/{token}/assets/{other}"))
        .await
        .unwrap();
    assert_error(r, 404, "not_found").await;
    // The link holder cannot use owner routes.
    let r = anon
        .get(app.url(&format!("/api/v1/assets/{located}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(r, 401, "unauthorized").await;
    // Without download permission, no original.
    let view_only = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/shares",
            Some(json!({"asset_id": located})),
            201,
        )
        .await;
    let view_only = view_only["token"].as_str().unwrap();
    let r = get(format!(
        "/api/v1/shared/{view_only}/assets/{located}/original"
    ))
    .await
    .unwrap();
    assert_error(r, 403, "download_not_allowed").await;
    let one: Value = get(format!("/api/v1/shared/{view_only}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["type"], "asset");
    assert!(!mentions_location(&one), "{one}");
}

async fn passwords_expiry_and_revocation_are_enforced(app: TestApp) {
    let id = app
        .upload_id(&app.token, "a.jpg", jpeg(32, 32, 1, None, None))
        .await;
    let link = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/shares",
            Some(json!({"asset_id": id, "password": "open sesame!"})),
            201,
        )
        .await;
    let token = link["token"].as_str().unwrap().to_string();
    assert_eq!(link["has_password"], true);
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let describe = format!("/api/v1/shared/{token}");
    let r = browser.get(app.url(&describe)).send().await.unwrap();
    assert_error(r, 403, "share_password_required").await;
    let wrong = browser
        .post(app.url(&format!("{describe}/unlock")))
        .json(&json!({"password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_error(wrong, 401, "invalid_credentials").await;
    let ok = browser
        .post(app.url(&format!("{describe}/unlock")))
        .json(&json!({"password": "open sesame!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(
        browser
            .get(app.url(&describe))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Partners can send the password on each request instead: every one of
    // them works (a known password is not another rate-limited attempt, of
    // which a link allows 5 a minute), and a wrong one still does not.
    let partner = reqwest::Client::new();
    for _ in 0..8 {
        let r = partner
            .get(app.url(&describe))
            .header("x-share-password", "open sesame!")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let wrong = partner
        .get(app.url(&describe))
        .header("x-share-password", "open sesame?")
        .send()
        .await
        .unwrap();
    assert_error(wrong, 403, "share_password_required").await;

    // Revoked: 410 at once, for everyone.
    let link_id = link["id"].as_str().unwrap();
    app.call_expect(
        Method::DELETE,
        &app.token,
        &format!("/api/v1/shares/{link_id}"),
        None,
        204,
    )
    .await;
    let r = browser.get(app.url(&describe)).send().await.unwrap();
    assert_error(r, 410, "share_revoked").await;
    let listed = app
        .call_expect(Method::GET, &app.token, "/api/v1/shares", None, 200)
        .await;
    assert_eq!(listed["links"][0]["state"], "revoked");
    // The token was shown once, when the link was made: darkroom keeps its
    // hash, so neither the list nor the catalog can give it again.
    assert!(link["token"].is_string() && link["url"].is_string());
    let listed_link = &listed["links"][0];
    assert!(
        listed_link.get("token").is_none() && listed_link.get("url").is_none(),
        "{listed_link}"
    );
    let stored = app
        .catalog
        .get_share_link(
            &app.catalog
                .find_user_by_name("admin")
                .await
                .unwrap()
                .unwrap()
                .id,
            &link_id.parse().unwrap(),
        )
        .await
        .unwrap();
    assert_ne!(stored.token_hash, link["token"].as_str().unwrap());

    // Expiry in the past is refused; a link that expires answers 410 after.
    app.call_error(
        Method::POST,
        Some(&app.token),
        "/api/v1/shares",
        Some(json!({"asset_id": id, "expires_at": "2001-01-01T00:00:00Z"})),
        422,
        "invalid_field",
    )
    .await;
    // Long enough that a loaded machine still asks before it passes.
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(2000)).to_rfc3339();
    let expiring = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/shares",
            Some(json!({"asset_id": id, "expires_at": soon})),
            201,
        )
        .await;
    let expiring = expiring["token"].as_str().unwrap();
    assert_eq!(
        reqwest::get(app.url(&format!("/api/v1/shared/{expiring}")))
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = reqwest::get(app.url(&format!("/api/v1/shared/{expiring}")))
        .await
        .unwrap();
    assert_error(r, 410, "share_expired").await;
    // Unknown tokens are simply not found; other users' assets cannot be shared.
    let r = reqwest::get(app.url("/api/v1/shared/0123456789abcdef0123456789abcdef01234567"))
        .await
        .unwrap();
    assert_error(r, 404, "not_found").await;
    let stranger = app
        .user_token(
            "ivan",
            &[
                darkroom_storage::catalog::Scope::Read,
                darkroom_storage::catalog::Scope::Edit,
            ],
        )
        .await;
    app.call_error(
        Method::POST,
        Some(&stranger),
        "/api/v1/shares",
        Some(json!({"asset_id": id})),
        404,
        "not_found",
    )
    .await;
}

/// Share-link routes answer anyone, so they are limited per client address
/// (a crawler of tokens or of a big album's originals), before the catalog
/// is asked: unknown tokens count too. In-memory state, so the embedded
/// backend tells all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_routes_are_rate_limited_per_address() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::SqliteLocal, |config| {
        config.share_limits = Some(darkroom_api::RequestLimits {
            per_minute: 60,
            burst: 5,
        });
    })
    .await
    .expect("the embedded backend always works");
    let asset = app
        .upload_id(&app.token, "shared.jpg", jpeg(64, 48, 41, None, None))
        .await;
    let link = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/shares",
            Some(json!({"asset_id": asset})),
            201,
        )
        .await;
    let token = link["token"].as_str().unwrap().to_string();
    let anon = reqwest::Client::new();
    let get = |path: String| anon.get(app.url(&path)).send();
    for _ in 0..3 {
        assert_eq!(
            get(format!("/api/v1/shared/{token}"))
                .await
                .unwrap()
                .status(),
            200
        );
    }
    for guess in ["not-a-token-1", "not-a-token-2"] {
        let r = get(format!("/api/v1/shared/{guess}")).await.unwrap();
        assert_eq!(r.status(), 404);
    }
    let limited = get(format!("/api/v1/shared/{token}")).await.unwrap();
    assert!(limited.headers().contains_key("retry-after"));
    assert_error(limited, 429, "too_many_requests").await;
    // The owner's own API is not behind this limit.
    assert_eq!(app.get("/api/v1/shares").await.status(), 200);
}

/// What `exiftool -ee` (every embedded document) reads in `bytes` and in
/// every JPEG that starts anywhere inside it: the tags that say where, and
/// how many files it read. `None` when exiftool is not installed.
fn exiftool_locations(bytes: &[u8]) -> Option<(Vec<String>, usize)> {
    if std::process::Command::new("exiftool")
        .arg("-ver")
        .output()
        .is_err()
    {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![dir.path().join("whole")];
    std::fs::write(&files[0], bytes).unwrap();
    for (n, at) in (0..bytes.len().saturating_sub(3))
        .filter(|&i| bytes[i..i + 3] == [0xFF, 0xD8, 0xFF])
        .enumerate()
    {
        let path = dir.path().join(format!("embedded-{n}.jpg"));
        std::fs::write(&path, &bytes[at..]).unwrap();
        files.push(path);
    }
    let out = std::process::Command::new("exiftool")
        .args(["-ee", "-a", "-G3:1", "-j", "-n"])
        .args(&files)
        .output()
        .expect("exiftool runs");
    let read: Vec<Value> = serde_json::from_slice(&out.stdout).expect("exiftool's JSON");
    let place = darkroom_pipeline::testing::PLACE_NAME;
    let mut found = Vec::new();
    for file in &read {
        for (tag, value) in file.as_object().unwrap() {
            let name = tag.rsplit(':').next().unwrap_or(tag);
            let says_where = (name.starts_with("GPS")
                && !value.to_string().trim_matches('"').is_empty())
                || [
                    "City",
                    "Country",
                    "Location",
                    "Sub-location",
                    "State",
                    "Province-State",
                ]
                .contains(&name)
                || value.to_string().contains(place);
            if says_where {
                found.push(format!("{tag}={value}"));
            }
        }
    }
    Some((found, read.len()))
}

async fn no_image_in_a_shared_original_says_where(app: TestApp) {
    let located_jpeg = darkroom_pipeline::testing::located_jpeg(&jpeg(64, 48, 7, None, None));
    let scene = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let neutral = [0.5, 1.0, 0.667];
    let located_dng = darkroom_pipeline::testing::located_dng(
        &darkroom_pipeline::testing::camera_from_srgb(&scene, neutral),
        neutral,
    );
    let jpeg_id = app
        .upload_id(&app.token, "home.jpg", located_jpeg.clone())
        .await;
    let dng_id = app
        .upload_id(&app.token, "home.dng", located_dng.clone())
        .await;
    let token = album_link_with_downloads(&app, "Home", &[&jpeg_id, &dng_id]).await;
    let anon = reqwest::Client::new();
    for (id, original) in [(&jpeg_id, &located_jpeg), (&dng_id, &located_dng)] {
        let response = anon
            .get(app.url(&format!("/api/v1/shared/{token}/assets/{id}/original")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let shared = response.bytes().await.unwrap().to_vec();
        let ours = darkroom_pipeline::info(&shared).expect("still a photo");
        assert_eq!(ours.metadata.gps, None);
        let make = if *id == jpeg_id { "Abc" } else { "darkroom" };
        assert_eq!(ours.metadata.make.as_deref(), Some(make), "the rest stays");
        assert!(
            !shared
                .windows(10)
                .any(|w| w == darkroom_pipeline::testing::PLACE_NAME.as_bytes()),
            "the place's name is nowhere in the bytes"
        );
        match (exiftool_locations(original), exiftool_locations(&shared)) {
            (Some((before, _)), Some((after, files))) => {
                assert!(
                    before.iter().any(|t| t.contains("GPSLatitude")) && before.len() >= 3,
                    "exiftool finds the fixture's locations: {before:?}"
                );
                assert!(
                    after.is_empty(),
                    "exiftool still finds {after:?} in {files} files"
                );
            }
            _ => eprintln!(
                "SKIPPED the exiftool check: exiftool is not installed (.ci/run installs it)"
            ),
        }
    }
    // The owner still gets the original as it was.
    let own = app
        .get_as(&app.token, &format!("/api/v1/assets/{jpeg_id}/original"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(own.to_vec(), located_jpeg);
}

/// Each shared original holds a slot from its first read until its client
/// has the last byte or has gone; past the cap, `503 busy`.
#[tokio::test]
async fn shared_originals_are_sent_a_few_at_a_time() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::SqliteLocal, |config| {
        config.shared_originals_at_once = 1;
        config.limits.max_upload_bytes = 64 << 20;
        config.limits.max_pixels = 20_000_000;
    })
    .await
    .expect("the embedded backend always works");
    // Larger than what the sockets between us buffer (about 13 MB), so that
    // a client that stops reading keeps its response open.
    let big = crate::helpers::noisy_jpeg(3600, 2800, 5);
    assert!(big.len() > 10_000_000, "{}", big.len());
    let asset = app.upload_id(&app.token, "big.jpg", big.clone()).await;
    let link = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/shares",
            Some(json!({"asset_id": asset, "allow_download": true})),
            201,
        )
        .await;
    let url = app.url(&format!(
        "/api/v1/shared/{}/assets/{asset}/original",
        link["token"].as_str().unwrap()
    ));
    let anon = reqwest::Client::new();
    let mut slow = anon.get(&url).send().await.unwrap();
    assert_eq!(slow.status(), 200);
    assert!(
        slow.chunk().await.unwrap().is_some(),
        "the first bytes came"
    );
    let refused = anon.get(&url).send().await.unwrap();
    assert_eq!(refused.headers()["retry-after"], "5");
    assert_error(refused, 503, "busy").await;
    // The slow client goes away: its slot comes back.
    drop(slow);
    let mut answered = None;
    for _ in 0..50 {
        let r = anon.get(&url).send().await.unwrap();
        if r.status() == 200 {
            answered = Some(r.bytes().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let whole = answered.expect("a slot came back once the slow client left");
    assert_eq!(
        whole.len(),
        big.len(),
        "no metadata to drop: the same length"
    );
    // And once a body has been sent, its slot is free at once.
    assert_eq!(anon.get(&url).send().await.unwrap().status(), 200);
}

/// A link's expiry, password and downloads change without a new URL; the
/// owner's list names what each link shares, with a thumbnail.
async fn links_change_in_place_and_say_what_they_share(app: TestApp) {
    let photo = app
        .upload_id(&app.token, "harbour.jpg", jpeg(64, 48, 77, None, None))
        .await;
    let album = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/albums",
            Some(json!({"name": "Harbour", "asset_ids": [photo]})),
            201,
        )
        .await;
    let link = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/shares",
            Some(json!({"album_id": album["id"], "password": "first-secret"})),
            201,
        )
        .await;
    let (id, token) = (
        link["id"].as_str().unwrap().to_string(),
        link["token"].as_str().unwrap().to_string(),
    );
    let listed = app
        .call_expect(Method::GET, &app.token, "/api/v1/shares", None, 200)
        .await;
    let entry = &listed["links"][0];
    assert_eq!(entry["target_name"], "Harbour");
    let thumb = entry["thumb_url"].as_str().unwrap();
    assert!(
        thumb.ends_with(&format!("/assets/{photo}/renditions/thumb")),
        "{thumb}"
    );
    app.run_jobs().await;
    assert_eq!(app.get(thumb).await.status(), 200, "the owner can show it");

    let anonymous = |path: String| {
        let client = reqwest::Client::new();
        let url = app.url(&path);
        async move { client.get(url).send().await.unwrap() }
    };
    let shared = format!("/api/v1/shared/{token}");
    assert_error(
        anonymous(shared.clone()).await,
        403,
        "share_password_required",
    )
    .await;
    // No password, downloads allowed: the same URL opens, and downloads.
    let changed = app
        .call_expect(
            Method::PATCH,
            &app.token,
            &format!("/api/v1/shares/{id}"),
            Some(json!({"password": null, "allow_download": true})),
            200,
        )
        .await;
    assert_eq!(
        (
            changed["has_password"].as_bool(),
            changed["allow_download"].as_bool()
        ),
        (Some(false), Some(true))
    );
    assert_eq!(anonymous(shared.clone()).await.status(), 200);
    assert_eq!(anonymous(format!("{shared}/download")).await.status(), 200);
    // A new password: needed at once; an expiry; then none again.
    let soon = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let changed = app
        .call_expect(
            Method::PATCH,
            &app.token,
            &format!("/api/v1/shares/{id}"),
            Some(json!({"password": "second-secret", "expires_at": soon})),
            200,
        )
        .await;
    assert!(changed["expires_at"].is_string());
    assert_error(
        anonymous(shared.clone()).await,
        403,
        "share_password_required",
    )
    .await;
    let with_password = reqwest::Client::new()
        .get(app.url(&shared))
        .header("x-share-password", "second-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(with_password.status(), 200);
    let changed = app
        .call_expect(
            Method::PATCH,
            &app.token,
            &format!("/api/v1/shares/{id}"),
            Some(json!({"expires_at": null})),
            200,
        )
        .await;
    assert!(changed["expires_at"].is_null());
    assert_eq!(changed["has_password"], true, "untouched fields stay");
    // Bad changes, someone else's link, a revoked link.
    app.call_error(
        Method::PATCH,
        Some(&app.token),
        &format!("/api/v1/shares/{id}"),
        Some(json!({"expires_at": "2001-01-01T00:00:00Z"})),
        422,
        "invalid_field",
    )
    .await;
    let other = app.user_token("mallory", &Scope::ALL[..3]).await;
    app.call_error(
        Method::PATCH,
        Some(&other),
        &format!("/api/v1/shares/{id}"),
        Some(json!({"allow_download": false})),
        404,
        "not_found",
    )
    .await;
    app.call_expect(
        Method::DELETE,
        &app.token,
        &format!("/api/v1/shares/{id}"),
        None,
        204,
    )
    .await;
    app.call_error(
        Method::PATCH,
        Some(&app.token),
        &format!("/api/v1/shares/{id}"),
        Some(json!({"allow_download": false})),
        409,
        "conflict",
    )
    .await;
}
