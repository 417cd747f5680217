//! The library: fields photographers edit, filters, the timeline, albums.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, assert_error, jpeg, noisy_jpeg};
use darkroom_storage::catalog::Scope;

backend_tests!(
    library_fields_are_editable_and_validated,
    filters_narrow_listings_and_pages_do_not_repeat,
    timeline_buckets_count_the_library,
    facets_offer_the_library_s_cameras_and_keywords,
    albums_hold_order_and_cover_and_never_own_photos,
);

fn ids(page: &Value) -> Vec<String> {
    page["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

async fn library_fields_are_editable_and_validated(app: TestApp) {
    let id = app
        .upload_id(&app.token, "a.jpg", jpeg(16, 16, 1, None, None))
        .await;
    let path = format!("/api/v1/assets/{id}");
    let edited = app
        .call_expect(
            Method::PATCH,
            &app.token,
            &path,
            Some(json!({"title": " Harbour ", "caption": "dawn", "keywords": ["Sea", "sea", " boats "],
                        "favorite": true, "rating": 4})),
            200,
        )
        .await;
    assert_eq!(edited["title"], "Harbour");
    assert_eq!(edited["keywords"], json!(["sea", "boats"]));
    assert_eq!(
        (edited["favorite"].clone(), edited["rating"].clone()),
        (json!(true), json!(4))
    );
    // Absent fields stay; null clears.
    let cleared = app
        .call_expect(
            Method::PATCH,
            &app.token,
            &path,
            Some(json!({"title": null})),
            200,
        )
        .await;
    assert_eq!(cleared["title"], Value::Null);
    assert_eq!(cleared["caption"], "dawn");
    // A rating of 6 names the field; unknown fields are refused.
    let bad = app
        .call(
            Method::PATCH,
            Some(&app.token),
            &path,
            Some(json!({"rating": 6})),
        )
        .await;
    let body = assert_error(bad, 422, "invalid_field").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rating")
    );
    app.call_error(
        Method::PATCH,
        Some(&app.token),
        &path,
        Some(json!({"stars": 3})),
        400,
        "invalid_json",
    )
    .await;
    // Editing needs the edit scope.
    let reader = app.user_token("reader", &[Scope::Read]).await;
    app.call_error(
        Method::PATCH,
        Some(&reader),
        &path,
        Some(json!({"rating": 1})),
        403,
        "forbidden",
    )
    .await;
}

async fn filters_narrow_listings_and_pages_do_not_repeat(app: TestApp) {
    let a = app
        .upload_id(
            &app.token,
            "IMG_0001.jpg",
            jpeg(16, 16, 1, None, Some("2023:06:01 10:00:00")),
        )
        .await;
    let b = app
        .upload_id(
            &app.token,
            "IMG_0002.jpg",
            jpeg(16, 16, 2, None, Some("2023:06:15 10:00:00")),
        )
        .await;
    let c = app
        .upload_id(
            &app.token,
            "holiday_100%.jpg",
            jpeg(16, 16, 3, None, Some("2024:02:29 12:00:00")),
        )
        .await;
    for (id, body) in [
        (
            &a,
            json!({"favorite": true, "rating": 5, "keywords": ["Beach"]}),
        ),
        (&b, json!({"rating": 2})),
    ] {
        app.call_expect(
            Method::PATCH,
            &app.token,
            &format!("/api/v1/assets/{id}"),
            Some(body),
            200,
        )
        .await;
    }
    let app = &app;
    let list = |q: &'static str| async move {
        app.call_expect(
            Method::GET,
            &app.token,
            &format!("/api/v1/assets?{q}"),
            None,
            200,
        )
        .await
    };
    assert_eq!(
        ids(&list("").await),
        [c.clone(), b.clone(), a.clone()],
        "newest taken first"
    );
    assert_eq!(
        ids(&list("order=asc").await),
        [a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(ids(&list("favorite=true").await), vec![a.clone()]);
    assert_eq!(ids(&list("min_rating=2").await), [b.clone(), a.clone()]);
    assert_eq!(ids(&list("keyword=BEACH").await), vec![a.clone()]);
    assert_eq!(ids(&list("month=2023-06").await), [b.clone(), a.clone()]);
    assert_eq!(ids(&list("day=2023-06-15").await), vec![b.clone()]);
    assert_eq!(
        ids(&list("from=2023-06-10&to=2024-03-01").await),
        [c.clone(), b.clone()]
    );
    // LIKE's wildcards match literally.
    assert_eq!(ids(&list("filename=100%25").await), vec![c.clone()]);
    assert_eq!(ids(&list("filename=img_000").await), [b.clone(), a.clone()]);
    assert_eq!(ids(&list("raw=true").await), Vec::<String>::new());
    assert_eq!(ids(&list("has_location=false").await).len(), 3);
    // Upload order.
    assert_eq!(
        ids(&list("sort=uploaded").await),
        [c.clone(), b.clone(), a.clone()]
    );
    // Pages of one never repeat or skip, under a filter too.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/v1/assets?limit=1&min_rating=0&cursor={c}"),
            None => "/api/v1/assets?limit=1&min_rating=0".to_string(),
        };
        let page = app
            .call_expect(Method::GET, &app.token, &q, None, 200)
            .await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, [c.clone(), b.clone(), a.clone()]);
    // Bad filters are 400s that name the parameter.
    for (q, code) in [
        ("month=2023-13", "invalid_date"),
        ("min_rating=9", "invalid_rating"),
        ("favorite=maybe", "invalid_query"),
        ("sort=size", "invalid_sort"),
        ("album=nope", "invalid_album"),
    ] {
        let r = app
            .call(
                Method::GET,
                Some(&app.token),
                &format!("/api/v1/assets?{q}"),
                None,
            )
            .await;
        assert_error(r, 400, code).await;
    }
}

async fn facets_offer_the_library_s_cameras_and_keywords(app: TestApp) {
    use darkroom_pipeline::testing::with_gps_exif;
    // Two photos from the `Abc` camera (its EXIF names no model), one with none.
    let mut ids = Vec::new();
    for (seed, bytes) in [
        (1, with_gps_exif(&noisy_jpeg(32, 32, 1))),
        (2, with_gps_exif(&noisy_jpeg(32, 32, 2))),
        (3, noisy_jpeg(32, 32, 3)),
    ] {
        ids.push(
            app.upload_id(&app.token, &format!("{seed}.jpg"), bytes)
                .await,
        );
    }
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2],
        "three different photos"
    );
    for (id, keywords) in [(&ids[0], json!(["Dune", "sea"])), (&ids[2], json!(["sea"]))] {
        app.call_expect(
            Method::PATCH,
            &app.token,
            &format!("/api/v1/assets/{id}"),
            Some(json!({ "keywords": keywords })),
            200,
        )
        .await;
    }
    let facets = app
        .call_expect(Method::GET, &app.token, "/api/v1/assets/facets", None, 200)
        .await;
    assert_eq!(
        facets["cameras"],
        json!([{"make": "Abc", "model": null, "count": 2}])
    );
    assert_eq!(
        facets["keywords"],
        json!([{"keyword": "sea", "count": 2}, {"keyword": "dune", "count": 1}]),
        "lower case, most used first"
    );
    assert_eq!(facets["lenses"], json!([]));

    // The trash does not count, and nobody else's library does either.
    app.trash_as(&app.token, &ids[0]).await;
    let facets = app
        .call_expect(Method::GET, &app.token, "/api/v1/assets/facets", None, 200)
        .await;
    assert_eq!(facets["cameras"][0]["count"], 1);
    assert_eq!(facets["keywords"], json!([{"keyword": "sea", "count": 1}]));
    let other = app.user_token("facets-other", &[Scope::Read]).await;
    let theirs = app
        .call_expect(Method::GET, &other, "/api/v1/assets/facets", None, 200)
        .await;
    assert_eq!(theirs, json!({"cameras": [], "lenses": [], "keywords": []}));
}

async fn timeline_buckets_count_the_library(app: TestApp) {
    let mut june = Vec::new();
    // Seeds far apart: nearby ones can encode to the same JPEG bytes.
    for (seed, day) in [(1, "01"), (120, "01"), (240, "20")] {
        june.push(
            app.upload_id(
                &app.token,
                "j.jpg",
                jpeg(16, 16, seed, None, Some(&format!("2023:06:{day} 09:00:00"))),
            )
            .await,
        );
    }
    let feb = app
        .upload_id(
            &app.token,
            "f.jpg",
            jpeg(16, 16, 9, None, Some("2024:02:29 09:00:00")),
        )
        .await;
    let timeline = app
        .call_expect(Method::GET, &app.token, "/api/v1/timeline", None, 200)
        .await;
    assert_eq!(timeline["total"], 4);
    assert_eq!(timeline["months"][0]["month"], "2024-02");
    assert_eq!(timeline["months"][1]["month"], "2023-06");
    assert_eq!(timeline["months"][1]["count"], 3);
    assert_eq!(
        timeline["months"][1]["days"],
        json!([{"day": "2023-06-20", "count": 1}, {"day": "2023-06-01", "count": 2}])
    );
    // The bucket's assets are where its URL says.
    let url = timeline["months"][1]["assets_url"]
        .as_str()
        .unwrap()
        .to_string();
    let bucket = app
        .call_expect(Method::GET, &app.token, &url, None, 200)
        .await;
    assert_eq!(ids(&bucket).len(), 3);
    // Trash and restore move the counts; a filtered timeline counts matches.
    app.call_expect(
        Method::DELETE,
        &app.token,
        &format!("/api/v1/assets/{}", june[0]),
        None,
        204,
    )
    .await;
    app.call_expect(
        Method::PATCH,
        &app.token,
        &format!("/api/v1/assets/{feb}"),
        Some(json!({"favorite": true})),
        200,
    )
    .await;
    let after = app
        .call_expect(Method::GET, &app.token, "/api/v1/timeline", None, 200)
        .await;
    assert_eq!(after["total"], 3);
    let favorites = app
        .call_expect(
            Method::GET,
            &app.token,
            "/api/v1/timeline?favorite=true",
            None,
            200,
        )
        .await;
    assert_eq!(favorites["total"], 1);
    assert_eq!(favorites["months"][0]["month"], "2024-02");
    app.call_expect(
        Method::POST,
        &app.token,
        &format!("/api/v1/assets/{}/restore", june[0]),
        None,
        200,
    )
    .await;
    let admin = app
        .catalog
        .find_user_by_name("admin")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.catalog.verify_timeline(&admin.id).await.unwrap(),
        vec![]
    );
    let restored = app
        .call_expect(Method::GET, &app.token, "/api/v1/timeline", None, 200)
        .await;
    assert_eq!(restored["total"], 4);
}

async fn albums_hold_order_and_cover_and_never_own_photos(app: TestApp) {
    let mut photos = Vec::new();
    for (seed, day) in [(1, "03"), (120, "01"), (240, "02")] {
        photos.push(
            app.upload_id(
                &app.token,
                "p.jpg",
                jpeg(16, 16, seed, None, Some(&format!("2023:07:{day} 09:00:00"))),
            )
            .await,
        );
    }
    let album = app
        .call_expect(
            Method::POST,
            &app.token,
            "/api/v1/albums",
            Some(json!({"name": "Summer", "description": "by the sea", "asset_ids": [photos[0], photos[1]]})),
            201,
        )
        .await;
    let album_id = album["id"].as_str().unwrap().to_string();
    assert_eq!(album["asset_count"], 2);
    assert_eq!(album["order"], "taken");
    let base = format!("/api/v1/albums/{album_id}");
    // Bulk add skips duplicates and other users' photos.
    let other = app
        .user_token("other", &[Scope::Read, Scope::Upload, Scope::Edit])
        .await;
    let foreign = app
        .upload_id(&other, "x.jpg", jpeg(16, 16, 99, None, None))
        .await;
    let added = app
        .call_expect(
            Method::POST,
            &app.token,
            &format!("{base}/assets"),
            Some(json!({"asset_ids": [photos[1], photos[2], foreign]})),
            200,
        )
        .await;
    assert_eq!(added["added"], 1);
    // Taken order: oldest first.
    let page = app
        .call_expect(
            Method::GET,
            &app.token,
            &format!("{base}/assets"),
            None,
            200,
        )
        .await;
    assert_eq!(
        ids(&page),
        [photos[1].clone(), photos[2].clone(), photos[0].clone()]
    );
    // Manual order, paged.
    app.call_expect(
        Method::PUT,
        &app.token,
        &format!("{base}/order"),
        Some(json!({"asset_ids": [photos[2], photos[0]]})),
        200,
    )
    .await;
    let first = app
        .call_expect(
            Method::GET,
            &app.token,
            &format!("{base}/assets?limit=2"),
            None,
            200,
        )
        .await;
    assert_eq!(ids(&first), [photos[2].clone(), photos[0].clone()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .call_expect(
            Method::GET,
            &app.token,
            &format!("{base}/assets?limit=2&cursor={cursor}"),
            None,
            200,
        )
        .await;
    assert_eq!(ids(&second), [photos[1].clone()]);
    // Cover: the first photo until one is chosen; a chosen one must be a member.
    let listed = app
        .call_expect(Method::GET, &app.token, "/api/v1/albums", None, 200)
        .await;
    assert_eq!(listed["albums"][0]["cover_asset_id"], json!(photos[2]));
    assert!(
        listed["albums"][0]["cover_url"]
            .as_str()
            .unwrap()
            .ends_with("/renditions/thumb")
    );
    let covered = app
        .call_expect(
            Method::PATCH,
            &app.token,
            &base,
            Some(json!({"cover_asset_id": photos[1], "name": "Summer '23"})),
            200,
        )
        .await;
    assert_eq!(
        (covered["cover_asset_id"].clone(), covered["name"].clone()),
        (json!(photos[1]), json!("Summer '23"))
    );
    app.call_error(
        Method::PATCH,
        Some(&app.token),
        &base,
        Some(json!({"cover_asset_id": foreign})),
        409,
        "conflict",
    )
    .await;
    // A trashed photo drops out of the album's count until restored.
    app.call_expect(
        Method::DELETE,
        &app.token,
        &format!("/api/v1/assets/{}", photos[1]),
        None,
        204,
    )
    .await;
    let album_now = app
        .call_expect(Method::GET, &app.token, &base, None, 200)
        .await;
    assert_eq!(album_now["asset_count"], 2);
    assert_ne!(album_now["cover_asset_id"], json!(photos[1]));
    // The album filter on the library agrees.
    let filtered = app
        .call_expect(
            Method::GET,
            &app.token,
            &format!("/api/v1/assets?album={album_id}"),
            None,
            200,
        )
        .await;
    assert_eq!(ids(&filtered).len(), 2);
    // Removing and deleting never touch the photos.
    app.call_expect(
        Method::DELETE,
        &app.token,
        &format!("{base}/assets"),
        Some(json!({"asset_ids": [photos[0]]})),
        200,
    )
    .await;
    app.call_expect(Method::DELETE, &app.token, &base, None, 204)
        .await;
    app.call_expect(
        Method::GET,
        &app.token,
        &format!("/api/v1/assets/{}", photos[0]),
        None,
        200,
    )
    .await;
    app.call_expect(Method::GET, &app.token, &base, None, 404)
        .await;
    // Someone else's album is not found, whatever the route.
    let theirs = app
        .call_expect(
            Method::POST,
            &other,
            "/api/v1/albums",
            Some(json!({"name": "mine"})),
            201,
        )
        .await;
    let theirs = theirs["id"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, format!("/api/v1/albums/{theirs}")),
        (Method::GET, format!("/api/v1/albums/{theirs}/assets")),
        (Method::GET, format!("/api/v1/assets?album={theirs}")),
        (Method::DELETE, format!("/api/v1/albums/{theirs}")),
    ] {
        app.call_error(method, Some(&app.token), &path, None, 404, "not_found")
            .await;
    }
    // Names are validated.
    app.call_error(
        Method::POST,
        Some(&app.token),
        "/api/v1/albums",
        Some(json!({"name": " "})),
        422,
        "invalid_field",
    )
    .await;
}
