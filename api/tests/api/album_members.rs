//! Albums shared between accounts: who may do what (the matrix of every
//! album and asset route for owner, contributor, viewer and stranger),
//! where photos were taken only when the owner chooses, contributors'
//! photos on their own quota and leaving with them, and members' feeds.

use darkroom_storage::catalog::{ChangeKind, Scope};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, jpeg};
use crate::lifecycle::usage_of;
use crate::sharing::{jpeg_with_gps, mentions_location};

backend_tests!(
    every_album_and_asset_route_follows_the_members_matrix,
    members_see_where_photos_were_taken_only_when_the_owner_chooses,
    contributors_photos_stay_theirs_and_leave_with_them,
    members_feeds_and_webhooks_follow_the_album,
    everyone_who_sees_a_photo_hears_when_it_changes,
    membership_requests_are_checked,
);

/// A user with read, upload and edit scopes: (token, user id).
async fn member(app: &TestApp, name: &str) -> (String, String) {
    let token = app.user_token(name, &Scope::ALL[..3]).await;
    (token, user_id(app, name).await)
}

async fn new_album(app: &TestApp, owner: &str, name: &str, assets: &[&str]) -> String {
    app.call_expect(
        Method::POST,
        owner,
        "/api/v1/albums",
        Some(json!({"name": name, "asset_ids": assets})),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn add_member(app: &TestApp, owner: &str, album: &str, user: &str, role: &str) -> Value {
    app.call_expect(
        Method::POST,
        owner,
        &format!("/api/v1/albums/{album}/members"),
        Some(json!({"user": user, "role": role})),
        201,
    )
    .await
}

/// The `/api/v1` paths under `prefix`, with their methods, from the
/// OpenAPI description (so a route added later cannot miss the matrix).
async fn documented_routes(app: &TestApp, prefix: &str) -> Vec<(Method, String)> {
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with(prefix) {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            if let Ok(method) = method.to_uppercase().parse::<Method>() {
                routes.push((method, path.clone()));
            }
        }
    }
    routes
}

/// Owner olga, contributor cora, viewer vic and stranger sam against every
/// route of a shared album and of its photos. Members reach others' photos
/// only through the album; a stranger finds nothing (404, not 403, so ids
/// reveal nothing); what a role does not allow is a 403 naming the role.
async fn every_album_and_asset_route_follows_the_members_matrix(app: TestApp) {
    let (olga, _) = member(&app, "olga").await;
    let (cora, _) = member(&app, "cora").await;
    let (vic, vic_id) = member(&app, "vic").await;
    let (sam, _) = member(&app, "sam").await;
    member(&app, "newbie").await;
    let photo = app
        .upload_id(&olga, "o.jpg", jpeg(32, 32, 60, None, None))
        .await;
    let album = new_album(&app, &olga, "Family", &[&photo]).await;
    add_member(&app, &olga, &album, "cora", "contributor").await;
    add_member(&app, &olga, &album, "vic", "viewer").await;
    let coras = app
        .upload_id(&cora, "c.jpg", jpeg(32, 32, 61, None, None))
        .await;
    let coras_other = app
        .upload_id(&cora, "c2.jpg", jpeg(32, 32, 62, None, None))
        .await;
    let vics = app
        .upload_id(&vic, "v.jpg", jpeg(32, 32, 63, None, None))
        .await;
    let sams = app
        .upload_id(&sam, "s.jpg", jpeg(32, 32, 64, None, None))
        .await;
    app.call_expect(
        Method::POST,
        &cora,
        &format!("/api/v1/albums/{album}/assets"),
        Some(json!({"asset_ids": [coras]})),
        200,
    )
    .await;
    app.run_jobs().await;

    let a = format!("/api/v1/albums/{album}");
    let everyone = json!({"asset_ids": [photo, coras_other, vics, sams]});
    // (method, path, body, [owner, contributor, viewer, stranger]); each
    // route is called by the stranger, the viewer, the contributor, then
    // the owner, so an allowed change does not hide a later answer.
    let table: Vec<(Method, String, Option<Value>, [u16; 4])> = vec![
        (Method::GET, a.clone(), None, [200, 200, 200, 404]),
        (
            Method::GET,
            format!("{a}/assets"),
            None,
            [200, 200, 200, 404],
        ),
        (
            Method::GET,
            format!("{a}/download"),
            None,
            [200, 200, 200, 404],
        ),
        (
            Method::GET,
            format!("{a}/members"),
            None,
            [200, 200, 200, 404],
        ),
        (
            Method::GET,
            format!("{a}/assets/{photo}"),
            None,
            [200, 200, 200, 404],
        ),
        (
            Method::GET,
            format!("{a}/assets/{coras}"),
            None,
            [200, 200, 200, 404],
        ),
        (
            Method::GET,
            format!("{a}/assets/{photo}/renditions/thumb"),
            None,
            [200, 200, 200, 404],
        ),
        (
            Method::GET,
            format!("{a}/assets/{coras}/original"),
            None,
            [200, 200, 200, 404],
        ),
        (
            Method::GET,
            format!("{a}/assets/{photo}/original"),
            None,
            [200, 200, 200, 404],
        ),
        // A photo that is not in the album: not through the album.
        (
            Method::GET,
            format!("{a}/assets/{vics}"),
            None,
            [404, 404, 404, 404],
        ),
        (
            Method::PATCH,
            a.clone(),
            Some(json!({"description": "ours"})),
            [200, 403, 403, 404],
        ),
        (
            Method::PUT,
            format!("{a}/order"),
            Some(json!({"asset_ids": [photo]})),
            [200, 403, 403, 404],
        ),
        (
            Method::POST,
            format!("{a}/assets"),
            Some(everyone.clone()),
            [200, 200, 403, 404],
        ),
        (
            Method::DELETE,
            format!("{a}/assets"),
            Some(json!({"asset_ids": [coras_other]})),
            [200, 200, 403, 404],
        ),
        (
            Method::POST,
            format!("{a}/members"),
            Some(json!({"user": "newbie", "role": "viewer"})),
            [201, 403, 403, 404],
        ),
        (
            Method::PATCH,
            format!("{a}/members/{vic_id}"),
            Some(json!({"role": "viewer"})),
            [200, 403, 403, 404],
        ),
        (
            Method::POST,
            "/api/v1/shares".into(),
            Some(json!({"album_id": album})),
            [201, 403, 403, 404],
        ),
        (Method::DELETE, a.clone(), None, [204, 403, 403, 404]),
    ];
    // Every documented album route is in the table (share links are
    // checked above through their album).
    for (method, path) in documented_routes(&app, "/api/v1/albums/{id}").await {
        let known = table
            .iter()
            .any(|(m, p, _, _)| *m == method && route_shape(p, &album) == path)
            || (method == Method::DELETE && path == "/api/v1/albums/{id}/members/{user_id}");
        assert!(known, "{method} {path} is not in the members matrix");
    }
    // Removing a member is checked right after newbie is added (leaving,
    // in the test of contributors' photos).
    let newbies_membership = format!("{a}/members/{}", user_id(&app, "newbie").await);
    for (method, path, body, [owner, contributor, viewer, stranger]) in table {
        for (who, token, status) in [
            ("stranger", &sam, stranger),
            ("viewer", &vic, viewer),
            ("contributor", &cora, contributor),
            ("owner", &olga, owner),
        ] {
            let response = app
                .call(method.clone(), Some(token), &path, body.clone())
                .await;
            let got = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(got, status, "{who}: {method} {path}: {text}");
            if status == 403 {
                assert!(text.contains("role_not_allowed"), "{who}: {text}");
            }
        }
        if path == format!("{a}/members") && method == Method::POST {
            // Removing a member: others may not, the owner may.
            for (token, status) in [(&sam, 404), (&vic, 403), (&cora, 403)] {
                let r = app
                    .call(Method::DELETE, Some(token), &newbies_membership, None)
                    .await;
                assert_eq!(r.status(), status, "only the owner removes newbie");
            }
            app.call_expect(Method::DELETE, &olga, &newbies_membership, None, 200)
                .await;
        }
    }
    // The photos' own routes are their owner's alone: members reach the
    // album's photos only through the album.
    for (method, path) in documented_routes(&app, "/api/v1/assets/{id}").await {
        for (who, token, id) in [
            ("viewer", &vic, &photo),
            ("contributor", &cora, &photo),
            ("stranger", &sam, &photo),
            ("the album's owner", &olga, &coras),
        ] {
            let concrete = path.replace("{id}", id).replace("{name}", "thumb");
            let body = (method != Method::GET).then(|| json!({}));
            let response = app.call(method.clone(), Some(token), &concrete, body).await;
            assert_eq!(response.status(), 404, "{who}: {method} {concrete}");
        }
    }
    // Nothing others tried changed anyone's photos or usage.
    assert!(app.catalog.recompute_usage().await.unwrap().is_empty());
}

/// `/api/v1/albums/X/members/Y` as its documented shape.
fn route_shape(path: &str, album: &str) -> String {
    let path = path.replace(album, "{id}");
    let mut parts: Vec<String> = path.split('/').map(str::to_string).collect();
    if parts.len() > 5 && parts[4] == "{id}" {
        match parts[5].as_str() {
            "assets" if parts.len() > 6 => parts[6] = "{asset_id}".into(),
            "members" if parts.len() > 6 => parts[6] = "{user_id}".into(),
            _ => {}
        }
        if parts.len() > 8 && parts[7] == "renditions" {
            parts[8] = "{name}".into();
        }
    }
    parts.join("/")
}

async fn user_id(app: &TestApp, name: &str) -> String {
    app.catalog
        .find_user_by_name(name)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

/// Off by default: members (and the owner, for a contributor's photo) see
/// no position in JSON, originals or the album's ZIP; once the owner turns
/// it on, they do; a photo's own owner always does.
async fn members_see_where_photos_were_taken_only_when_the_owner_chooses(app: TestApp) {
    let (olga, _) = member(&app, "olga").await;
    let (cora, _) = member(&app, "cora").await;
    let (vic, _) = member(&app, "vic").await;
    let located = jpeg_with_gps(70);
    let photo = app.upload_id(&olga, "paris.jpg", located.clone()).await;
    let album = new_album(&app, &olga, "Trip", &[&photo]).await;
    add_member(&app, &olga, &album, "cora", "contributor").await;
    add_member(&app, &olga, &album, "vic", "viewer").await;
    let coras_located = jpeg_with_gps(71);
    let coras = app
        .upload_id(&cora, "rome.jpg", coras_located.clone())
        .await;
    app.call_expect(
        Method::POST,
        &cora,
        &format!("/api/v1/albums/{album}/assets"),
        Some(json!({"asset_ids": [coras]})),
        200,
    )
    .await;
    let a = format!("/api/v1/albums/{album}");

    let page = app
        .call_expect(Method::GET, &vic, &format!("{a}/assets"), None, 200)
        .await;
    let assets = page["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 2);
    for asset in assets {
        assert!(!mentions_location(asset), "a viewer sees no place: {asset}");
        assert!(asset["favorite"].is_null() && asset["rating"].is_null());
        assert!(
            asset["renditions"][0]["url"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{a}/assets/")),
            "through the album: {asset}"
        );
    }
    // The owner sees their own photo's place, not the contributor's.
    let page = app
        .call_expect(Method::GET, &olga, &format!("{a}/assets"), None, 200)
        .await;
    for asset in page["assets"].as_array().unwrap() {
        let own = asset["id"] == photo.as_str();
        assert_eq!(mentions_location(asset), own, "{asset}");
    }
    // Originals: rebuilt without position for those who may not see it.
    for (token, id, bytes) in [(&vic, &photo, &located), (&olga, &coras, &coras_located)] {
        let response = app
            .get_as(token, &format!("{a}/assets/{id}/original"))
            .await;
        assert_eq!(response.status(), 200);
        let body = response.bytes().await.unwrap().to_vec();
        assert_ne!(&body, bytes);
        let info = darkroom_pipeline::info(&body).expect("still a photo");
        assert_eq!(info.metadata.gps, None);
    }
    let own = app
        .get_as(&cora, &format!("{a}/assets/{coras}/original"))
        .await;
    assert_eq!(
        own.bytes().await.unwrap().to_vec(),
        coras_located,
        "her own, as uploaded"
    );
    let zip = zip_entries(&app, &vic, &format!("{a}/download")).await;
    assert_eq!(zip.len(), 2);
    for (name, bytes) in &zip {
        let info = darkroom_pipeline::info(bytes).expect("a photo");
        assert_eq!(info.metadata.gps, None, "{name} in a viewer's ZIP");
    }

    // Members may not change it; the owner may.
    app.call_expect(
        Method::PATCH,
        &cora,
        &a,
        Some(json!({"members_see_location": true})),
        403,
    )
    .await;
    let changed = app
        .call_expect(
            Method::PATCH,
            &olga,
            &a,
            Some(json!({"members_see_location": true})),
            200,
        )
        .await;
    assert_eq!(changed["members_see_location"], true);
    let page = app
        .call_expect(Method::GET, &vic, &format!("{a}/assets"), None, 200)
        .await;
    for asset in page["assets"].as_array().unwrap() {
        assert!(asset["metadata"]["gps"].is_object(), "now shown: {asset}");
        assert!(asset["rating"].is_null(), "the owner's marks stay theirs");
    }
    let original = app
        .get_as(&vic, &format!("{a}/assets/{photo}/original"))
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert_eq!(original, located, "exactly as uploaded");
    let zip = zip_entries(&app, &vic, &format!("{a}/download")).await;
    assert!(zip.iter().all(|(_, bytes)| {
        darkroom_pipeline::info(bytes)
            .unwrap()
            .metadata
            .gps
            .is_some()
    }));
}

/// The files of a ZIP the API streams, by name.
async fn zip_entries(app: &TestApp, token: &str, path: &str) -> Vec<(String, Vec<u8>)> {
    let response = app.get_as(token, path).await;
    assert_eq!(response.status(), 200, "{path}");
    let bytes = response.bytes().await.unwrap().to_vec();
    crate::downloads::unzip(&bytes)
}

/// A contributor's photos are on their quota, not the owner's; they
/// remove only what they added; when they leave (or are removed), their
/// photos leave the album and stay in their library.
async fn contributors_photos_stay_theirs_and_leave_with_them(app: TestApp) {
    let (olga, _) = member(&app, "olga").await;
    let (cora, cora_id) = member(&app, "cora").await;
    let photo = app
        .upload_id(&olga, "o.jpg", jpeg(48, 32, 80, None, None))
        .await;
    let album = new_album(&app, &olga, "Studio", &[&photo]).await;
    let a = format!("/api/v1/albums/{album}");
    let invited = add_member(&app, &olga, &album, "cora", "viewer").await;
    assert_eq!(invited["role"], "viewer");
    assert_eq!(invited["user"], "cora");
    let mine = app
        .upload_id(&cora, "c.jpg", jpeg(48, 32, 81, None, None))
        .await;
    // A viewer adds nothing; promoted, she may.
    app.call_expect(
        Method::POST,
        &cora,
        &format!("{a}/assets"),
        Some(json!({"asset_ids": [mine]})),
        403,
    )
    .await;
    let promoted = app
        .call_expect(
            Method::PATCH,
            &olga,
            &format!("{a}/members/{cora_id}"),
            Some(json!({"role": "contributor"})),
            200,
        )
        .await;
    assert_eq!(promoted["role"], "contributor");
    let olga_before = usage_of(&app, "olga").await;
    let added = app
        .call_expect(
            Method::POST,
            &cora,
            &format!("{a}/assets"),
            // The owner's photo is not hers to add: skipped.
            Some(json!({"asset_ids": [mine, photo]})),
            200,
        )
        .await;
    assert_eq!(added["added"], 1);
    assert_eq!(
        usage_of(&app, "olga").await,
        olga_before,
        "not on the owner's quota"
    );
    assert!(usage_of(&app, "cora").await > 0);
    let album_now = app.call_expect(Method::GET, &cora, &a, None, 200).await;
    assert_eq!(album_now["asset_count"], 2);
    assert_eq!(album_now["role"], "contributor");
    assert_eq!(album_now["shared_with_me"], true);
    assert_eq!(album_now["owner"], "olga");
    // She removes only what she added.
    let removed = app
        .call_expect(
            Method::DELETE,
            &cora,
            &format!("{a}/assets"),
            Some(json!({"asset_ids": [photo]})),
            200,
        )
        .await;
    assert_eq!(removed["removed"], 0);
    // The owner's listing of the album shows her photo through the album.
    let page = app
        .call_expect(Method::GET, &olga, &format!("{a}/assets"), None, 200)
        .await;
    let urls: Vec<&str> = page["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["renditions"][0]["url"].as_str().unwrap())
        .collect();
    assert!(
        urls.iter()
            .any(|u| u.starts_with(&format!("{a}/assets/{mine}/")))
    );
    assert!(
        urls.iter()
            .any(|u| u.starts_with(&format!("/api/v1/assets/{photo}/")))
    );
    // In a shared album she lists her own photos with ?album=.
    let own = app
        .call_expect(
            Method::GET,
            &cora,
            &format!("/api/v1/assets?album={album}"),
            None,
            200,
        )
        .await;
    assert_eq!(own["assets"].as_array().unwrap().len(), 1);
    // Leaving takes her photo out of the album, not out of her library.
    let left = app
        .call_expect(
            Method::DELETE,
            &cora,
            &format!("{a}/members/{cora_id}"),
            None,
            200,
        )
        .await;
    assert_eq!(left["photos_removed"], 1);
    app.call_expect(Method::GET, &cora, &a, None, 404).await;
    let album_now = app.call_expect(Method::GET, &olga, &a, None, 200).await;
    assert_eq!(album_now["asset_count"], 1);
    assert_eq!(album_now["member_count"], 0);
    app.call_expect(
        Method::GET,
        &cora,
        &format!("/api/v1/assets/{mine}"),
        None,
        200,
    )
    .await;
    let albums = app
        .call_expect(Method::GET, &cora, "/api/v1/albums", None, 200)
        .await;
    assert!(albums["albums"].as_array().unwrap().is_empty());
}

/// A member's change feed and webhooks hear of the album: shared with
/// them, changed, its photos changed, unshared; a member of a deleted
/// album hears it is gone.
async fn members_feeds_and_webhooks_follow_the_album(app: TestApp) {
    let (olga, _) = member(&app, "olga").await;
    let (vic, vic_id) = member(&app, "vic").await;
    let (cora, _) = member(&app, "cora").await;
    let vic_user: darkroom_storage::UserId = vic_id.parse().unwrap();
    let hook = app
        .catalog
        .create_webhook(
            &vic_user,
            "https://example.org/hook",
            &[ChangeKind::AlbumShared, ChangeKind::AlbumUnshared],
            "vic's app",
        )
        .await
        .unwrap();
    let photo = app
        .upload_id(&olga, "o.jpg", jpeg(32, 32, 90, None, None))
        .await;
    let album = new_album(&app, &olga, "Feed", &[]).await;
    let a = format!("/api/v1/albums/{album}");
    // A first sync (snapshot) then the changes after it.
    let snapshot = sync_all(&app, &vic, None).await;
    assert!(snapshot.0.is_empty());
    add_member(&app, &olga, &album, "vic", "viewer").await;
    add_member(&app, &olga, &album, "cora", "contributor").await;
    // While shared, entries carry the album as the member sees it now.
    let (shared, _) = sync_all(&app, &vic, Some(snapshot.1.clone())).await;
    assert_eq!(shared[0]["type"], "album.shared");
    assert_eq!(shared[0]["album"]["role"], "viewer");
    assert_eq!(shared[0]["album"]["owner"], "olga");
    app.call_expect(
        Method::POST,
        &olga,
        &format!("{a}/assets"),
        Some(json!({"asset_ids": [photo]})),
        200,
    )
    .await;
    app.call_expect(
        Method::PATCH,
        &olga,
        &a,
        Some(json!({"name": "Feed 2"})),
        200,
    )
    .await;
    app.call_expect(
        Method::DELETE,
        &olga,
        &format!("{a}/members/{vic_id}"),
        None,
        200,
    )
    .await;
    let (entries, cursor) = sync_all(&app, &vic, Some(snapshot.1)).await;
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "album.shared",
            "album.changed", // cora joined
            "album.assets_changed",
            "album.changed", // renamed
            "album.unshared",
        ],
        "{entries:?}"
    );
    assert!(entries.iter().all(|e| e["album_id"] == album.as_str()));
    // Once unshared, the album is no longer there to describe.
    assert!(entries.iter().all(|e| e["album"].is_null()));
    // A first sync of a member lists the shared album.
    let cora_snapshot = sync_all(&app, &cora, None).await.0;
    assert!(
        cora_snapshot
            .iter()
            .any(|e| { e["type"] == "album.created" && e["album"]["role"] == "contributor" })
    );
    // Deleting the album tells the remaining member.
    let cora_cursor = sync_all(&app, &cora, None).await.1;
    app.call_expect(Method::DELETE, &olga, &a, None, 204).await;
    let after = sync_all(&app, &cora, Some(cora_cursor)).await.0;
    assert_eq!(after.last().unwrap()["type"], "album.deleted");
    assert!(
        sync_all(&app, &vic, Some(cursor)).await.0.is_empty(),
        "vic had left"
    );
    // Vic's webhook was queued a delivery for being added and for being
    // removed, and for nothing else.
    let deliveries = app
        .call_expect(
            Method::GET,
            &vic,
            &format!("/api/v1/webhooks/{}/deliveries", hook.id),
            None,
            200,
        )
        .await;
    let mut events: Vec<&str> = deliveries["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    events.sort_unstable();
    assert_eq!(events, ["album.shared", "album.unshared"]);
}

/// A change to one photo (its title, an edit, the trash, a new rendition)
/// reaches the feeds of the others who see it through shared albums, once
/// the job queued with it has run; a photo in no shared album tells no one.
async fn everyone_who_sees_a_photo_hears_when_it_changes(app: TestApp) {
    let (olga, _) = member(&app, "olga").await;
    let (vic, _) = member(&app, "vic").await;
    let (cora, _) = member(&app, "cora").await;
    let photo = app
        .upload_id(&olga, "o.jpg", jpeg(32, 32, 70, None, None))
        .await;
    let private = app
        .upload_id(&olga, "p.jpg", jpeg(32, 32, 170, None, None))
        .await;
    let album = new_album(&app, &olga, "Seen", &[&photo]).await;
    add_member(&app, &olga, &album, "vic", "viewer").await;
    add_member(&app, &olga, &album, "cora", "contributor").await;
    let coras = app
        .upload_id(&cora, "c.jpg", jpeg(32, 32, 220, None, None))
        .await;
    app.call_expect(
        Method::POST,
        &cora,
        &format!("/api/v1/albums/{album}/assets"),
        Some(json!({"asset_ids": [coras]})),
        200,
    )
    .await;
    app.run_jobs().await;
    let vic_at = sync_all(&app, &vic, None).await.1;
    let olga_at = sync_all(&app, &olga, None).await.1;
    // The owner retitles her photo, trashes it; cora retitles hers; the
    // owner's private photo changes too.
    for (token, id, body) in [
        (&olga, &photo, json!({"title": "Harbour"})),
        (&cora, &coras, json!({"title": "Quay"})),
        (&olga, &private, json!({"title": "Nobody's business"})),
    ] {
        app.call_expect(
            Method::PATCH,
            token,
            &format!("/api/v1/assets/{id}"),
            Some(body),
            200,
        )
        .await;
    }
    app.trash_as(&olga, &photo).await;
    app.run_jobs().await;
    let heard = |entries: &[Value]| -> Vec<String> {
        entries
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["type"].as_str().unwrap(),
                    e["album_id"].as_str().unwrap_or("-")
                )
            })
            .collect()
    };
    let vic_heard = heard(&sync_all(&app, &vic, Some(vic_at)).await.0);
    let expected = format!("album.assets_changed {album}");
    assert_eq!(
        vic_heard,
        vec![expected.clone(); 3],
        "olga's title and trash, cora's title"
    );
    // The owner hears of cora's photo through the album; of her own, as
    // asset changes in her own feed.
    let olga_heard = heard(&sync_all(&app, &olga, Some(olga_at)).await.0);
    assert_eq!(
        olga_heard.iter().filter(|h| **h == expected).count(),
        1,
        "{olga_heard:?}"
    );
    assert_eq!(
        olga_heard
            .iter()
            .filter(|h| h.starts_with("asset."))
            .count(),
        3
    );
}

/// Every entry of `token`'s feed from `cursor` (a snapshot when `None`)
/// to its end, and the cursor to ask next.
async fn sync_all(app: &TestApp, token: &str, cursor: Option<String>) -> (Vec<Value>, String) {
    let mut cursor = cursor;
    let mut entries = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/sync?cursor={c}"),
            None => "/api/v1/sync".to_string(),
        };
        let page = app.call_expect(Method::GET, token, &path, None, 200).await;
        entries.extend(page["changes"].as_array().unwrap().iter().cloned());
        let next = page["next_cursor"].as_str().unwrap().to_string();
        let done = !page["has_more"].as_bool().unwrap() || Some(&next) == cursor.as_ref();
        cursor = Some(next);
        if done {
            return (entries, cursor.unwrap());
        }
    }
}

/// Bad membership requests get a clear 4xx: unknown users, the owner as a
/// member, twice the same member, a role that is not one.
async fn membership_requests_are_checked(app: TestApp) {
    let (olga, olga_id) = member(&app, "olga").await;
    member(&app, "vic").await;
    let album = new_album(&app, &olga, "Checks", &[]).await;
    let members = format!("/api/v1/albums/{album}/members");
    let cases = [
        (
            json!({"user": "nobody", "role": "viewer"}),
            404,
            "not_found",
        ),
        (json!({"user": "olga", "role": "viewer"}), 409, "conflict"),
        (
            json!({"user": "vic", "role": "owner"}),
            422,
            "invalid_field",
        ),
        (json!({"user": "vic"}), 400, "invalid_json"),
    ];
    for (body, status, code) in cases {
        app.call_error(
            Method::POST,
            Some(&olga),
            &members,
            Some(body),
            status,
            code,
        )
        .await;
    }
    add_member(&app, &olga, &album, "vic", "viewer").await;
    app.call_error(
        Method::POST,
        Some(&olga),
        &members,
        Some(json!({"user": "vic", "role": "contributor"})),
        409,
        "conflict",
    )
    .await;
    // The owner is not a member to remove; an unknown member is not found.
    app.call_error(
        Method::DELETE,
        Some(&olga),
        &format!("{members}/{olga_id}"),
        None,
        404,
        "not_found",
    )
    .await;
    let listed = app
        .call_expect(Method::GET, &olga, &members, None, 200)
        .await;
    let listed = listed["members"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["user"], "vic");
    assert_eq!(listed[0]["role"], "viewer");
}
