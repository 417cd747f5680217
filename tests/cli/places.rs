//! `darkroom admin fill-places`: photos stored before places existed get
//! their position and place, on either backend, and a second run has
//! nothing left to do.

use crate::helpers::{Storage, catalog_sql, client, darkroom_ok, get_json, serve, token_for};

#[tokio::test]
async fn fill_places_names_the_photos_stored_before_places() {
    for storage in [
        Some(Storage::embedded()),
        Storage::postgres_s3("fill_places"),
    ]
    .into_iter()
    .flatten()
    {
        let (_server, url) = serve(&storage, &["--workers", "0"], &[]);
        let token = token_for(&storage, "nina");
        let base = crate::helpers::jpeg(7);
        let mut ids = Vec::new();
        for (name, bytes) in [
            (
                "paris.jpg",
                darkroom_pipeline::testing::with_gps_exif(&base),
            ),
            ("plain.jpg", base.clone()),
        ] {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
            let body: serde_json::Value = client()
                .post(format!("{url}/api/v1/assets"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            ids.push(body["id"].as_str().unwrap().to_string());
        }
        // As a catalog from before places: the position and place unknown.
        catalog_sql(
            &storage,
            "UPDATE assets SET latitude = NULL, longitude = NULL, place_country_code = NULL,
                place_country = NULL, place_region = NULL, place_city = NULL, place_names = NULL",
        );
        let asset = get_json(&format!("{url}/api/v1/assets/{}", ids[0]), &token).await;
        assert!(asset.get("place").is_none(), "{asset}");

        let summary = darkroom_ok(&["admin", "fill-places"], &storage);
        assert!(
            summary.starts_with("placed 1 photo(s) in 1 country; 0 more than 50 km"),
            "{summary}"
        );
        let asset = get_json(&format!("{url}/api/v1/assets/{}", ids[0]), &token).await;
        assert_eq!(asset["place"]["city"], "Paris", "{asset}");
        let map = get_json(&format!("{url}/api/v1/map"), &token).await;
        assert_eq!(map["points"].as_array().unwrap().len(), 1, "{map}");
        let found = get_json(&format!("{url}/api/v1/assets?q=paris"), &token).await;
        assert_eq!(
            found["assets"].as_array().unwrap().len(),
            1,
            "searchable: {found}"
        );
        let again = darkroom_ok(&["admin", "fill-places"], &storage);
        assert!(
            again.starts_with("placed 0 photo(s) in 0 countries"),
            "{again}"
        );
    }
}
