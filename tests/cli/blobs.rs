//! `darkroom blobs migrate`: a library moved from its folder into another
//! store (a folder, and Ceph's S3 gateway when the test servers run) while
//! its server runs; resumed after losing part of the copy, a second run
//! sends nothing, a corrupt blob is refused by name, and the server started
//! on the new store serves every photo byte for byte.

use crate::helpers::*;

/// The number before `label` in a summary line.
fn count_before(summary: &str, label: &str) -> u64 {
    summary
        .split_once(label)
        .and_then(|(head, _)| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count before {label:?} in {summary}"))
}

async fn move_a_library_into(target: &str, target_folder: Option<&std::path::Path>) {
    let storage = Storage::embedded();
    let (server, url) = serve(&storage, &[], &[]);
    let token = token_for(&storage, "alice");
    let mut photos = Vec::new();
    for seed in [5, 50, 150] {
        let bytes = jpeg(seed);
        photos.push((upload(&url, &token, bytes.clone()).await, bytes));
    }
    for (id, _) in &photos {
        wait_for_rendition(
            &format!("{url}/api/v1/assets/{id}/renditions/thumb"),
            &token,
        )
        .await;
    }

    // Beside the running server.
    let first = darkroom_ok(&["blobs", "migrate", "--to", target], &storage);
    let copied = count_before(&first, " blob(s) (");
    assert!(
        copied >= 3 * 3,
        "three originals and their renditions: {first}"
    );
    assert_eq!(count_before(&first, " were there already"), 0, "{first}");
    let second = darkroom_ok(&["blobs", "migrate", "--to", target], &storage);
    assert_eq!(count_before(&second, " blob(s) ("), 0, "{second}");
    assert_eq!(
        count_before(&second, " were there already"),
        copied,
        "{second}"
    );

    if let Some(folder) = target_folder {
        // An interrupted copy: what is missing is sent again, nothing else.
        let (lost_id, lost_bytes) = &photos[0];
        let hash = blake3::hash(lost_bytes).to_hex().to_string();
        let path = folder.join(format!("blobs/{}/{}/{hash}", &hash[0..2], &hash[2..4]));
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let resumed = darkroom_ok(&["blobs", "migrate", "--to", target], &storage);
        assert_eq!(
            count_before(&resumed, " blob(s) ("),
            1,
            "{resumed} ({lost_id})"
        );

        // A blob whose bytes no longer match its name is refused, by name.
        let (_, bytes) = &photos[1];
        let hash = blake3::hash(bytes).to_hex().to_string();
        let source = storage.path().join(format!(
            "blobs/blobs/{}/{}/{hash}",
            &hash[0..2],
            &hash[2..4]
        ));
        let target_copy = folder.join(format!("blobs/{}/{}/{hash}", &hash[0..2], &hash[2..4]));
        std::fs::remove_file(&target_copy).unwrap();
        let original = std::fs::read(&source).unwrap();
        let mut flipped = original.clone();
        flipped[100] ^= 1;
        std::fs::write(&source, flipped).unwrap();
        let refused = darkroom(&["blobs", "migrate", "--to", target], &storage);
        assert!(!refused.status.success());
        assert!(
            text(&refused.stderr).contains(&format!("blob {hash}"))
                && text(&refused.stderr).contains("corrupt"),
            "{}",
            text(&refused.stderr)
        );
        assert!(!target_copy.exists(), "a corrupt blob was written");
        std::fs::write(&source, original).unwrap();
        darkroom_ok(&["blobs", "migrate", "--to", target], &storage);
    }

    // The switch-over: the server stops, starts again on the new store.
    server.kill_hard();
    let mut moved = storage;
    moved
        .args
        .extend(["--blobs".to_string(), target.to_string()]);
    let fsck = darkroom(&["fsck"], &moved);
    assert!(fsck.status.success(), "{}", text(&fsck.stdout));
    let (_server, url) = serve(&moved, &[], &[]);
    assert_originals(&url, &token, &photos).await;
    for (id, _) in &photos {
        wait_for_rendition(
            &format!("{url}/api/v1/assets/{id}/renditions/thumb"),
            &token,
        )
        .await;
    }
}

#[tokio::test]
async fn a_library_moves_from_its_folder_into_another() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().display().to_string();
    move_a_library_into(&target, Some(folder.path())).await;
}

#[tokio::test]
async fn a_library_moves_from_its_folder_into_s3() {
    let Ok(endpoint) = std::env::var("DARKROOM_TEST_S3_ENDPOINT") else {
        eprintln!(
            "SKIPPED a_library_moves_from_its_folder_into_s3: DARKROOM_TEST_S3_ENDPOINT not set"
        );
        return;
    };
    let bucket =
        std::env::var("DARKROOM_TEST_S3_BUCKET").unwrap_or_else(|_| "darkroom-test".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let target = format!("s3://{bucket}/migrated-{nanos:x}?endpoint={endpoint}");
    move_a_library_into(&target, None).await;
}
