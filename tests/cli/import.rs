//! `darkroom import` against a server started as the README says: only what
//! is missing goes up, sidecars come along, a second run reads no file, a
//! dry run changes nothing, and failures are named.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::helpers::{BIN, Storage, darkroom_ok, get_json, jpeg, serve, token_for, upload};

/// Runs `darkroom import DIR --server URL --token T --json EXTRA…`; returns
/// whether it succeeded and its summary.
fn import(dir: &Path, url: &str, token: &str, extra: &[&str]) -> (bool, Value) {
    let output = Command::new(BIN)
        .arg("import")
        .arg(dir)
        .args(["--server", url, "--token", token, "--json"])
        .args(extra)
        .output()
        .expect("run darkroom import");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "no JSON summary ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.success(), summary)
}

const SIDECAR: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmp:Rating="4">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour at dusk</rdf:li></rdf:Alt></dc:title>
<dc:subject><rdf:Bag><rdf:li>harbour</rdf:li><rdf:li>dusk</rdf:li></rdf:Bag></dc:subject>
</rdf:Description></rdf:RDF></x:xmpmeta>"#;

#[tokio::test]
async fn an_import_sends_only_what_is_missing_and_a_second_run_reads_nothing() {
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &["--workers", "0"], &[]);
    let token = token_for(&storage, "studio");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("2023/harbour")).unwrap();
    for i in 0..10u32 {
        let folder = if i < 6 { "2023/harbour" } else { "" };
        std::fs::write(
            root.join(folder).join(format!("IMG_{i:04}.JPG")),
            jpeg(100 + i),
        )
        .unwrap();
    }
    std::fs::write(root.join("2023/harbour/IMG_0001.xmp"), SIDECAR).unwrap();
    // One larger than a request's chunk (8 MiB): it goes up in parts over
    // tus. (A JPEG may carry trailing bytes.)
    let mut large = jpeg(99);
    large.resize(9 << 20, 0);
    std::fs::write(root.join("2023/PANORAMA.jpg"), &large).unwrap();
    std::fs::write(root.join("notes.txt"), "shot list").unwrap();
    std::fs::write(
        root.join("broken.jpg"),
        "this is not a JPEG at all, whatever its name says",
    )
    .unwrap();
    // One of them is already in the library (sent from a phone, say).
    let from_phone = upload(&url, &token, jpeg(107)).await;

    let (ok, first) = import(root, &url, &token, &["--album", "Harbour"]);
    assert!(!ok, "one file failed, so the import says so: {first}");
    assert_eq!(first["found"], 12, "{first}");
    assert_eq!(first["uploaded"], 10, "{first}");
    assert!(
        first["uploaded_bytes"].as_u64().unwrap() > 9 << 20,
        "{first}"
    );
    assert_eq!(first["already_there"], 1, "{first}");
    assert_eq!(first["not_photos"], 1, "{first}");
    assert_eq!(first["sidecars_applied"], 1, "{first}");
    assert_eq!(first["failed"], 1, "{first}");
    assert_eq!(first["failures"][0]["file"], "broken.jpg");
    assert!(
        first["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("415"),
        "{first}"
    );

    // Everything is in the album, the phone's photo too.
    let albums = get_json(&format!("{url}/api/v1/albums"), &token).await;
    let album = &albums["albums"][0];
    assert_eq!(album["name"], "Harbour");
    assert_eq!(album["asset_count"], 11);
    let members = get_json(
        &format!(
            "{url}/api/v1/albums/{}/assets?limit=100",
            album["id"].as_str().unwrap()
        ),
        &token,
    )
    .await;
    assert!(
        members["assets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == from_phone.as_str())
    );
    // The sidecar's fields are on its photo.
    let listed = get_json(
        &format!("{url}/api/v1/assets?filename=IMG_0001&limit=10"),
        &token,
    )
    .await;
    let photo = &listed["assets"][0];
    assert_eq!(photo["rating"], 4);
    assert_eq!(photo["title"], "Harbour at dusk");
    assert_eq!(photo["keywords"], serde_json::json!(["harbour", "dusk"]));

    // The large one arrived whole, through its parts.
    let listed = get_json(
        &format!("{url}/api/v1/assets?filename=PANORAMA&limit=10"),
        &token,
    )
    .await;
    assert_eq!(
        listed["assets"][0]["blake3"],
        blake3::hash(&large).to_hex().as_str()
    );

    // Again, without the broken file: nothing to do, and no file is read.
    std::fs::remove_file(root.join("broken.jpg")).unwrap();
    let (ok, second) = import(root, &url, &token, &["--album", "Harbour"]);
    assert!(ok, "{second}");
    assert_eq!(second["uploaded"], 0, "{second}");
    assert_eq!(second["already_there"], 11, "{second}");
    assert_eq!(
        second["hashed"], 1,
        "only the phone's photo, known by its bytes alone: {second}"
    );

    // A new photo in a dry run: counted, not sent.
    std::fs::write(root.join("IMG_0100.JPG"), jpeg(200)).unwrap();
    let (ok, dry) = import(root, &url, &token, &["--dry-run"]);
    assert!(ok, "{dry}");
    assert_eq!(dry["would_upload"], 1, "{dry}");
    assert_eq!(dry["uploaded"], 0, "{dry}");
    let all = get_json(&format!("{url}/api/v1/assets?limit=100"), &token).await;
    assert_eq!(
        all["assets"].as_array().unwrap().len(),
        11,
        "the dry run sent nothing"
    );

    // A wrong token stops the import at once, with a reason.
    let output = Command::new(BIN)
        .arg("import")
        .arg(root)
        .args(["--server", &url, "--token", "not-a-token"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("signing in"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A token that may only read is turned away before a file is read.
    let reader = darkroom_ok(
        &["admin", "create-token", "studio", "--scope", "read"],
        &storage,
    );
    let output = Command::new(BIN)
        .arg("import")
        .arg(root)
        .args(["--server", &url, "--token", &reader])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("lacks the upload scope"), "{stderr}");
}
