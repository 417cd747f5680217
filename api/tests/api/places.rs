//! Places and the map: a photo's GPS position named (country, region,
//! city) from the bundled data at upload, filterable, searchable, counted
//! on the Places listing, on the map, and withheld wherever location is.

use darkroom_storage::catalog::Scope;
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, jpeg};
use crate::sharing::jpeg_with_gps;

backend_tests!(
    located_photos_are_named_listed_filtered_searched_and_mapped,
    places_stay_private_like_positions,
    place_requests_are_checked,
);

async fn located_photos_are_named_listed_filtered_searched_and_mapped(app: TestApp) {
    let owner = app.user_token("tove", &Scope::ALL[..3]).await;
    // The fixture's position is in Paris (48.858 N, 2.294 E).
    let paris = app.upload_id(&owner, "eiffel.jpg", jpeg_with_gps(40)).await;
    let paris2 = app.upload_id(&owner, "seine.jpg", jpeg_with_gps(140)).await;
    let nowhere = app
        .upload_id(&owner, "desk.jpg", jpeg(32, 32, 3, None, None))
        .await;
    let asset = app
        .call_expect(
            Method::GET,
            &owner,
            &format!("/api/v1/assets/{paris}"),
            None,
            200,
        )
        .await;
    assert_eq!(
        asset["place"],
        json!({"country_code": "FR", "country": "France", "region": "Île-de-France", "city": "Paris"}),
        "{asset}"
    );
    let unplaced = app
        .call_expect(
            Method::GET,
            &owner,
            &format!("/api/v1/assets/{nowhere}"),
            None,
            200,
        )
        .await;
    assert!(unplaced.get("place").is_none());

    let places = app
        .call_expect(Method::GET, &owner, "/api/v1/places", None, 200)
        .await;
    let countries = places["countries"].as_array().unwrap();
    assert_eq!(countries.len(), 1, "{places}");
    let france = &countries[0];
    assert_eq!(
        (france["country_code"].as_str(), france["count"].as_i64()),
        (Some("FR"), Some(2))
    );
    let city = &france["cities"][0];
    assert_eq!(
        (city["city"].as_str(), city["count"].as_i64()),
        (Some("Paris"), Some(2))
    );
    assert_eq!(city["region"], "Île-de-France");
    // Its cover is one of its photos, and its link lists them.
    let cover = city["cover_url"].as_str().unwrap();
    assert!(cover.contains(&paris) || cover.contains(&paris2), "{cover}");
    let listed = app
        .call_expect(
            Method::GET,
            &owner,
            city["assets_url"].as_str().unwrap(),
            None,
            200,
        )
        .await;
    assert_eq!(ids(&listed), sorted(&[&paris, &paris2]));
    // Filters, any case for the country; search finds names the file never wrote.
    for (query, expected) in [
        ("country=fr", vec![&paris, &paris2]),
        ("country=US", vec![]),
        ("city=Paris&country=FR", vec![&paris, &paris2]),
        ("city=Lyon", vec![]),
        ("q=france", vec![&paris, &paris2]),
        ("q=paris+france", vec![&paris, &paris2]),
    ] {
        let page = app
            .call_expect(
                Method::GET,
                &owner,
                &format!("/api/v1/assets?{query}"),
                None,
                200,
            )
            .await;
        assert_eq!(ids(&page), sorted(&expected), "{query}");
    }
    // The map: each located photo once, where it was taken.
    let map = app
        .call_expect(Method::GET, &owner, "/api/v1/map", None, 200)
        .await;
    let points = map["points"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{map}");
    for point in points {
        assert!(
            (point[1].as_f64().unwrap() - 48.858).abs() < 0.01,
            "{point}"
        );
        assert!((point[2].as_f64().unwrap() - 2.294).abs() < 0.01, "{point}");
    }
    assert_eq!(map["truncated"], false);
    let one = app
        .call_expect(Method::GET, &owner, "/api/v1/map?limit=1", None, 200)
        .await;
    assert_eq!(one["points"].as_array().unwrap().len(), 1);
    assert_eq!(one["truncated"], true);
    // In the trash: not counted, not mapped.
    app.trash_as(&owner, &paris2).await;
    let places = app
        .call_expect(Method::GET, &owner, "/api/v1/places", None, 200)
        .await;
    assert_eq!(places["countries"][0]["count"], 1);
    let map = app
        .call_expect(Method::GET, &owner, "/api/v1/map", None, 200)
        .await;
    assert_eq!(map["points"].as_array().unwrap().len(), 1);
    // Another user sees none of it.
    let other = app.user_token("ulla", &Scope::ALL[..3]).await;
    let theirs = app
        .call_expect(Method::GET, &other, "/api/v1/places", None, 200)
        .await;
    assert_eq!(theirs["countries"], json!([]));
    let theirs = app
        .call_expect(Method::GET, &other, "/api/v1/map", None, 200)
        .await;
    assert_eq!(theirs["points"], json!([]));
}

fn ids(page: &Value) -> Vec<String> {
    let mut ids: Vec<String> = page["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

/// A place says where a photo was taken: never through a share link, and
/// to album members only when the album's owner lets them see locations.
async fn places_stay_private_like_positions(app: TestApp) {
    let owner = app.user_token("vera", &Scope::ALL[..3]).await;
    let member = app.user_token("walt", &Scope::ALL[..3]).await;
    let photo = app.upload_id(&owner, "paris.jpg", jpeg_with_gps(5)).await;
    let album = app
        .call_expect(
            Method::POST,
            &owner,
            "/api/v1/albums",
            Some(json!({"name": "Paris", "asset_ids": [photo]})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let link = app
        .call_expect(
            Method::POST,
            &owner,
            "/api/v1/shares",
            Some(json!({"album_id": album})),
            201,
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let shared = app
        .client
        .get(app.url(&format!("/api/v1/shared/{link}/assets")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !shared.contains("Paris\"") && !shared.contains("\"place\""),
        "{shared}"
    );
    app.call_expect(
        Method::POST,
        &owner,
        &format!("/api/v1/albums/{album}/members"),
        Some(json!({"user": "walt", "role": "viewer"})),
        201,
    )
    .await;
    let path = format!("/api/v1/albums/{album}/assets/{photo}");
    let seen = app
        .call_expect(Method::GET, &member, &path, None, 200)
        .await;
    assert!(seen.get("place").is_none(), "{seen}");
    app.call_expect(
        Method::PATCH,
        &owner,
        &format!("/api/v1/albums/{album}"),
        Some(json!({"members_see_location": true})),
        200,
    )
    .await;
    let seen = app
        .call_expect(Method::GET, &member, &path, None, 200)
        .await;
    assert_eq!(seen["place"]["city"], "Paris");
    // Members' own Places and map hold only their own photos.
    let theirs = app
        .call_expect(Method::GET, &member, "/api/v1/places", None, 200)
        .await;
    assert_eq!(theirs["countries"], json!([]));
}

async fn place_requests_are_checked(app: TestApp) {
    for (query, field) in [
        ("/api/v1/assets?country=France", "country"),
        ("/api/v1/assets?country=F1", "country"),
        ("/api/v1/map?limit=0", "limit"),
        ("/api/v1/map?limit=100001", "limit"),
    ] {
        let body = app
            .call_error(
                Method::GET,
                Some(&app.token),
                query,
                None,
                422,
                "invalid_field",
            )
            .await;
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
}
