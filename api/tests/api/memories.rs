//! "On this day": photos taken on a calendar day in earlier years.

use darkroom_storage::catalog::Scope;
use reqwest::Method;

use crate::backend_tests;
use crate::helpers::{TestApp, jpeg};

backend_tests!(earlier_years_of_the_day_are_remembered_newest_first);

async fn earlier_years_of_the_day_are_remembered_newest_first(app: TestApp) {
    let owner = app.user_token("mona", &Scope::ALL[..3]).await;
    let taken = |seed, when: &str| jpeg(32, 32, seed, None, Some(when));
    let y2021 = app
        .upload_id(&owner, "a.jpg", taken(10, "2021:12:03 09:00:00"))
        .await;
    let y2021_later = app
        .upload_id(&owner, "b.jpg", taken(60, "2021:12:03 18:30:00"))
        .await;
    let y2019 = app
        .upload_id(&owner, "c.jpg", taken(110, "2019:12:03 12:00:00"))
        .await;
    // Not memories: another day, this very day, no capture time, the trash.
    app.upload_id(&owner, "d.jpg", taken(160, "2021:12:04 09:00:00"))
        .await;
    app.upload_id(&owner, "e.jpg", taken(210, "2026:12:03 09:00:00"))
        .await;
    app.upload_id(&owner, "f.jpg", jpeg(32, 32, 230, None, None))
        .await;
    let trashed = app
        .upload_id(&owner, "g.jpg", taken(250, "2020:12:03 09:00:00"))
        .await;
    app.trash_as(&owner, &trashed).await;

    let memories = app
        .call_expect(
            Method::GET,
            &owner,
            "/api/v1/memories?date=2026-12-03",
            None,
            200,
        )
        .await;
    assert_eq!(memories["date"], "2026-12-03");
    let years = memories["years"].as_array().unwrap();
    let shape: Vec<(u64, u64, Vec<&str>)> = years
        .iter()
        .map(|y| {
            (
                y["year"].as_u64().unwrap(),
                y["years_ago"].as_u64().unwrap(),
                y["assets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["id"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (2021, 5, vec![y2021.as_str(), y2021_later.as_str()]),
            (2019, 7, vec![y2019.as_str()]),
        ]
    );
    // Another user remembers nothing of it; a date that is not one is a 400.
    let other = app.user_token("nils", &Scope::ALL[..3]).await;
    let theirs = app
        .call_expect(
            Method::GET,
            &other,
            "/api/v1/memories?date=2026-12-03",
            None,
            200,
        )
        .await;
    assert_eq!(theirs["years"], serde_json::json!([]));
    // The first year there is has no earlier one.
    let first = app
        .call_expect(
            Method::GET,
            &owner,
            "/api/v1/memories?date=0000-12-03",
            None,
            200,
        )
        .await;
    assert_eq!(first["years"], serde_json::json!([]));
    app.call_error(
        Method::GET,
        Some(&owner),
        "/api/v1/memories?date=2026-13-40",
        None,
        400,
        "invalid_date",
    )
    .await;
}
