//! What people wrote about their photos, in and out: XMP and IPTC read at
//! upload, the XMP sidecar and embedded exports written back, and search.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, jpeg, noisy_jpeg};
use crate::sharing::album_link_with_downloads;
use darkroom_pipeline::testing::described_jpeg;
use darkroom_storage::catalog::Scope;

backend_tests!(
    uploads_take_their_description_from_xmp_and_iptc,
    the_sidecar_and_exports_write_the_library_back,
    search_ranks_words_and_combines_with_filters,
);

/// XMP as Lightroom Classic writes it into a JPEG (trimmed).
const LIGHTROOM_XMP: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
   xmp:Rating="4" xmp:Label="Red" photoshop:City="Skógar" photoshop:Country="Iceland"
   photoshop:DateCreated="2021-05-06T07:08:09+02:00">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Skógafoss at dawn</rdf:li></rdf:Alt></dc:title>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Spray &amp; light</rdf:li></rdf:Alt></dc:description>
   <dc:creator><rdf:Seq><rdf:li>Ada Lovelace</rdf:li></rdf:Seq></dc:creator>
   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">© 2021 Ada Lovelace</rdf:li></rdf:Alt></dc:rights>
   <dc:subject><rdf:Bag><rdf:li>Iceland</rdf:li><rdf:li>waterfall</rdf:li></rdf:Bag></dc:subject>
   <lr:hierarchicalSubject><rdf:Bag><rdf:li>Places|Iceland|Skógafoss</rdf:li></rdf:Bag></lr:hierarchicalSubject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>"#;

fn lightroom_jpeg(seed: u32) -> Vec<u8> {
    described_jpeg(&jpeg(32, 24, seed, None, None), Some(LIGHTROOM_XMP), &[])
}

fn ids(page: &Value) -> Vec<String> {
    page["assets"]
        .as_array()
        .expect("assets")
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

async fn uploads_take_their_description_from_xmp_and_iptc(app: TestApp) {
    let from_xmp = app
        .upload_id(&app.token, "DSC_0001.jpg", lightroom_jpeg(1))
        .await;
    let asset = app.get_json(&format!("/api/v1/assets/{from_xmp}")).await;
    assert_eq!(asset["title"], "Skógafoss at dawn");
    assert_eq!(asset["caption"], "Spray & light");
    assert_eq!(asset["creator"], "Ada Lovelace");
    assert_eq!(asset["copyright"], "© 2021 Ada Lovelace");
    assert_eq!(asset["color_label"], "Red");
    assert_eq!(asset["rating"], 4);
    assert_eq!(
        asset["keywords"],
        json!(["iceland", "waterfall", "places", "skógafoss"]),
        "flat keywords and every level of the hierarchy"
    );
    assert_eq!(asset["taken_at"], "2021-05-06T07:08:09+02:00");
    assert_eq!(asset["metadata"]["location"]["city"], "Skógar");
    assert_eq!(
        asset["metadata"]["keyword_paths"],
        json!(["Places|Iceland|Skógafoss"])
    );
    // The keyword filter knows the hierarchy's levels.
    let page = app.get_json("/api/v1/assets?keyword=places").await;
    assert_eq!(ids(&page), [from_xmp.as_str()]);

    // A photo desk's IPTC-IIM, with no XMP at all.
    let iim: &[((u8, u8), &[u8])] = &[
        ((2, 5), "Harbour at noon".as_bytes()),
        ((2, 120), b"Boats coming in"),
        ((2, 25), b"harbour"),
        ((2, 25), b"boats"),
        ((2, 80), b"Ben Photographer"),
        ((2, 116), b"(c) Agency"),
        ((2, 55), b"20190203"),
        ((2, 60), b"101112+0100"),
        ((2, 90), b"Hamburg"),
        ((2, 101), b"Germany"),
    ];
    let from_iim = app
        .upload_id(
            &app.token,
            "wire.jpg",
            described_jpeg(&jpeg(32, 24, 2, None, None), None, iim),
        )
        .await;
    let asset = app.get_json(&format!("/api/v1/assets/{from_iim}")).await;
    assert_eq!(asset["title"], "Harbour at noon");
    assert_eq!(asset["caption"], "Boats coming in");
    assert_eq!(asset["keywords"], json!(["harbour", "boats"]));
    assert_eq!(asset["creator"], "Ben Photographer");
    assert_eq!(asset["copyright"], "(c) Agency");
    assert_eq!(asset["taken_at"], "2019-02-03T10:11:12+01:00");
    assert_eq!(asset["rating"], 0);
    assert_eq!(asset["color_label"], Value::Null);
    assert_eq!(asset["metadata"]["location"]["country"], "Germany");

    // Place names and the owner's marks never reach a link holder.
    let token = album_link_with_downloads(&app, "Trip", &[&from_xmp, &from_iim]).await;
    let shared: Value = reqwest::get(app.url(&format!("/api/v1/shared/{token}/assets")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = shared.to_string();
    for private in [
        "Skógar",
        "Hamburg",
        "Germany",
        "location",
        "\"Red\"",
        "color_label",
    ] {
        assert!(!text.contains(private), "{private} leaked: {text}");
    }
    assert!(
        text.contains("Skógafoss at dawn"),
        "titles are shared: {text}"
    );
}

async fn the_sidecar_and_exports_write_the_library_back(app: TestApp) {
    let id = app
        .upload_id(&app.token, "IMG_0042.JPG", lightroom_jpeg(3))
        .await;
    // The photographer changes things here: one keyword of the hierarchy
    // goes, so its path must not come back out.
    app.call_expect(
        Method::PATCH,
        &app.token,
        &format!("/api/v1/assets/{id}"),
        Some(
            json!({"rating": 5, "color_label": "Green", "caption": "Edited <here> & now",
                    "keywords": ["iceland", "waterfall", "places"], "creator": null}),
        ),
        200,
    )
    .await;
    let response = app.get(&format!("/api/v1/assets/{id}/xmp")).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rdf+xml")
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains("IMG_0042.xmp"), "{disposition}");
    let xml = response.text().await.unwrap();
    let back = darkroom_pipeline::xmp::parse(&xml).expect("well-formed XMP");
    assert_eq!(back.rating, Some(5));
    assert_eq!(back.label.as_deref(), Some("Green"));
    assert_eq!(back.title.as_deref(), Some("Skógafoss at dawn"));
    assert_eq!(back.caption.as_deref(), Some("Edited <here> & now"));
    assert_eq!(back.creator, None, "cleared");
    assert_eq!(back.copyright.as_deref(), Some("© 2021 Ada Lovelace"));
    assert_eq!(back.keywords, ["iceland", "waterfall", "places"]);
    assert!(back.keyword_paths.is_empty(), "skógafoss was removed");

    // A full-size export embeds the same packet when asked, and not unless.
    app.run_jobs().await;
    for (format, marker) in [("jpeg", &b"\xff\xd8"[..]), ("tiff16", b"II*\0")] {
        let plain = app
            .get(&format!("/api/v1/assets/{id}/export?format={format}"))
            .await;
        assert_eq!(plain.status(), 200);
        let plain = plain.bytes().await.unwrap();
        assert!(!contains(&plain, b"<x:xmpmeta"), "{format}: no XMP unasked");
        let with = app
            .get(&format!(
                "/api/v1/assets/{id}/export?format={format}&xmp=true"
            ))
            .await;
        assert_eq!(with.status(), 200);
        let declared: usize = with.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let bytes = with.bytes().await.unwrap();
        assert_eq!(bytes.len(), declared, "{format}: the length said");
        assert!(bytes.starts_with(marker));
        let at = find(&bytes, b"<x:xmpmeta").expect("a packet");
        let end = find(&bytes, b"</x:xmpmeta>").unwrap() + "</x:xmpmeta>".len();
        let packet = std::str::from_utf8(&bytes[at..end]).unwrap();
        let embedded = darkroom_pipeline::xmp::parse(packet).unwrap();
        assert_eq!(embedded.rating, Some(5), "{format}");
        assert_eq!(embedded.keywords, back.keywords, "{format}");
        image::load_from_memory(&bytes).expect("still an image");
    }
    // Someone else's photo has no sidecar for them.
    let stranger = app.user_token("stranger", &[Scope::Read]).await;
    assert_eq!(
        app.get_as(&stranger, &format!("/api/v1/assets/{id}/xmp"))
            .await
            .status(),
        404
    );
}

async fn search(app: &TestApp, query: &str) -> Value {
    app.get_json(&format!("/api/v1/assets?{query}")).await
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

async fn search_ranks_words_and_combines_with_filters(app: TestApp) {
    let patch = |id: String, body: Value| {
        let app = &app;
        async move {
            app.call_expect(
                Method::PATCH,
                &app.token,
                &format!("/api/v1/assets/{id}"),
                Some(body),
                200,
            )
            .await;
            id
        }
    };
    let upload = |name: &'static str, seed: u32| {
        let app = &app;
        async move {
            // Noise: every seed gives other bytes (not a duplicate).
            app.upload_id(&app.token, name, noisy_jpeg(16, 16, seed))
                .await
        }
    };
    // Titled about the waterfall: the best match.
    let titled = patch(
        upload("a.jpg", 10).await,
        json!({"title": "Skógafoss waterfall"}),
    )
    .await;
    // Mentions it in the caption only.
    let captioned = patch(
        upload("b.jpg", 11).await,
        json!({"caption": "walked past a waterfall on the way", "favorite": true}),
    )
    .await;
    // Found by its file name's parts, and by its creator.
    let named = patch(
        upload("IMG_7781.HEIC.jpg", 12).await,
        json!({"creator": "Ada Lovelace"}),
    )
    .await;
    let _unrelated = patch(upload("c.jpg", 13).await, json!({"title": "Harbour"})).await;

    let found = search(&app, "q=waterfall").await;
    assert_eq!(ids(&found), [titled.as_str(), captioned.as_str()], "ranked");
    assert_eq!(
        ids(&search(&app, "q=WATERF").await).len(),
        2,
        "prefixes, any case"
    );
    assert_eq!(
        ids(&search(&app, "q=sk%C3%B3gafoss").await),
        [titled.as_str()]
    );
    assert_eq!(ids(&search(&app, "q=img%207781").await), [named.as_str()]);
    assert_eq!(ids(&search(&app, "q=IMG_7781").await), [named.as_str()]);
    assert_eq!(ids(&search(&app, "q=lovelace").await), [named.as_str()]);
    assert_eq!(
        ids(&search(&app, "q=waterfall%20way").await),
        [captioned.as_str()],
        "every word must match"
    );
    assert!(ids(&search(&app, "q=nothing-like-it").await).is_empty());
    // Combined with a filter, and in another order.
    assert_eq!(
        ids(&search(&app, "q=waterfall&favorite=true").await),
        [captioned.as_str()]
    );
    let by_upload = search(&app, "q=waterfall&sort=uploaded&order=asc").await;
    assert_eq!(ids(&by_upload), [titled.as_str(), captioned.as_str()]);
    // Ranked pages follow on without repeats.
    let first = search(&app, "q=waterfall&limit=1").await;
    assert_eq!(ids(&first), [titled.as_str()]);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = search(&app, &format!("q=waterfall&limit=1&cursor={cursor}")).await;
    assert_eq!(ids(&second), [captioned.as_str()]);
    assert!(second["next_cursor"].is_null());
    // The timeline counts what a search finds.
    let timeline = app.get_json("/api/v1/timeline?q=waterfall").await;
    let total = timeline["total"].as_i64().unwrap();
    assert_eq!(total, 2);
    // An edit is found at once; the trash and other people's photos never.
    patch(named.clone(), json!({"keywords": ["cascade"]})).await;
    assert_eq!(ids(&search(&app, "q=cascade").await), [named.as_str()]);
    app.trash_as(&app.token, &titled).await;
    assert_eq!(
        ids(&search(&app, "q=waterfall").await),
        [captioned.as_str()]
    );
    let stranger = app.user_token("stranger", &[Scope::Read]).await;
    let theirs: Value = app
        .get_as(&stranger, "/api/v1/assets?q=waterfall")
        .await
        .json()
        .await
        .unwrap();
    assert!(ids(&theirs).is_empty());
    // A query of no words is named as the problem.
    let refused = app
        .call_error(
            Method::GET,
            Some(&app.token),
            "/api/v1/assets?q=%2A%2A%2A",
            None,
            422,
            "invalid_field",
        )
        .await;
    assert!(
        refused["error"]["message"].as_str().unwrap().contains("q"),
        "{refused}"
    );
}
