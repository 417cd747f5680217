//! `darkroom fsck` on a library damaged on purpose, on both backends: each
//! kind of damage is named on its own line, `--repair` fixes what is safe
//! (a worker renders again what was lost), and what needs a backup stays.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::*;

fn fsck(storage: &Storage, args: &[&str]) -> (bool, String) {
    let mut all = vec!["fsck"];
    all.extend_from_slice(args);
    let output = darkroom(&all, storage);
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// Uploads a photo; its id and the BLAKE3 of its bytes.
async fn upload_photo(url: &str, token: &str, seed: u32) -> (String, String) {
    let bytes = jpeg(seed);
    let hash = blake3::hash(&bytes).to_hex().to_string();
    (upload(url, token, bytes).await, hash)
}

async fn a_damaged_library_is_found_repaired_and_what_needs_a_backup_stays(storage: Storage) {
    let (_server, url) = serve(&storage, &[], &[]);
    let token = token_for(&storage, "alice");
    let mut photos = Vec::new();
    for seed in [11, 97, 203, 251] {
        photos.push(upload_photo(&url, &token, seed).await);
    }
    for (id, _) in &photos {
        wait_for_rendition(
            &format!("{url}/api/v1/assets/{id}/renditions/thumb"),
            &token,
        )
        .await;
    }
    let (clean, out) = fsck(&storage, &[]);
    assert!(clean, "{out}");
    assert!(out.contains(": 0 problem(s)"), "{out}");

    // The damage, one kind per photo.
    let [
        (lost_thumb, _),
        (lost_original, _),
        (unrendered, _),
        (corrupt, corrupt_hash),
    ] = <[_; 4]>::try_from(photos).unwrap();
    let missing_a = "a".repeat(64);
    let missing_b = "b".repeat(64);
    catalog_sql(
        &storage,
        &format!(
            "INSERT INTO blobs (hash, size, ref_count, created_at) VALUES
                 ('{missing_a}', 10, 1, 0), ('{missing_b}', 10, 1, 0);
             UPDATE renditions SET blob_hash = '{missing_a}'
                 WHERE asset_id = '{lost_thumb}' AND name = 'thumb';
             UPDATE assets SET blob_hash = '{missing_b}' WHERE id = '{lost_original}';
             DELETE FROM renditions WHERE asset_id = '{unrendered}';
             DELETE FROM jobs WHERE asset_id = '{unrendered}';
             UPDATE users SET usage_bytes = usage_bytes + 1000 WHERE name = 'alice';
             UPDATE timeline_days SET count = count + 5
                 WHERE owner_id = (SELECT id FROM users WHERE name = 'alice');
             DELETE FROM changes WHERE seq = 2
                 AND owner_id = (SELECT id FROM users WHERE name = 'alice');"
        ),
    );
    let (clean, out) = fsck(&storage, &[]);
    assert!(!clean, "{out}");
    for expected in [
        format!("rendition missing: thumb of asset {lost_thumb}, blob {missing_a}"),
        format!("original missing: asset {lost_original} of \"alice\", blob {missing_b}"),
        format!("never rendered: asset {unrendered} of \"alice\""),
        "usage wrong: \"alice\"".to_string(),
        "timeline wrong: \"alice\"".to_string(),
        "change feed broken: \"alice\"".to_string(),
        "reference count wrong: blob".to_string(),
    ] {
        assert!(out.contains(&expected), "{expected:?} not in:\n{out}");
    }

    // A flipped byte is found when the bytes are read (the local folder
    // only: the test cannot reach into an S3 bucket's objects).
    let local = !storage.env.iter().any(|(k, _)| k == "DATABASE_URL");
    let mut untracked_file = None;
    if local {
        let path = storage.path().join(format!(
            "blobs/blobs/{}/{}/{corrupt_hash}",
            &corrupt_hash[0..2],
            &corrupt_hash[2..4]
        ));
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x55;
        std::fs::write(&path, bytes).unwrap();
        // Bytes the catalog has never heard of, older than the grace
        // period: named, and never deleted by a repair (they may be the
        // only copy of a photo whose row a restore lost).
        let untracked = "c".repeat(64);
        let dir = storage.path().join("blobs/blobs/cc/cc");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&untracked), b"someone's photo").unwrap();
        let touched = Command::new("touch")
            .args(["-d", "3 hours ago"])
            .arg(dir.join(&untracked))
            .status()
            .unwrap();
        assert!(touched.success());
        // The SQLite search index loses a photo (a catalog edited by hand).
        catalog_sql(
            &storage,
            &format!(
                "DELETE FROM asset_search WHERE rowid =
                    (SELECT key FROM asset_search_keys WHERE asset_id = '{corrupt}')"
            ),
        );
        let (_, out) = fsck(&storage, &["--verify-bytes"]);
        assert!(
            out.contains(&format!("untracked object: blob {untracked}")),
            "{out}"
        );
        assert!(
            out.contains("search index out of step: 1 photo(s) not searchable, 0 stray"),
            "{out}"
        );
        untracked_file = Some(dir.join(&untracked));
        assert!(
            out.contains(&format!("blob corrupt: {corrupt_hash}"))
                && out.contains(&format!("original of asset {corrupt}")),
            "{out}"
        );
    }

    // Repaired: what is safe; the server's worker renders what was lost.
    let (clean, out) = fsck(&storage, &["--repair"]);
    assert!(!clean, "a lost original and a broken feed stay: {out}");
    assert!(out.contains("repaired: forgot thumb of asset"), "{out}");
    assert!(
        out.contains(&format!("repaired: queued a render of asset {unrendered}")),
        "{out}"
    );
    assert!(out.contains("repaired: set \"alice\"'s usage"), "{out}");
    assert!(
        out.contains("repaired: rebuilt \"alice\"'s timeline"),
        "{out}"
    );
    if let Some(file) = untracked_file {
        assert!(
            out.contains("repaired: rebuilt the search index (4 photos)"),
            "{out}"
        );
        let (_, after) = fsck(&storage, &[]);
        assert!(!after.contains("search index"), "{after}");
        assert!(out.contains("untracked object:"), "{out}");
        assert!(
            file.exists(),
            "a repair deleted bytes the catalog did not know"
        );
        std::fs::remove_file(file).unwrap();
    }
    for id in [&lost_thumb, &unrendered] {
        wait_for_rendition(
            &format!("{url}/api/v1/assets/{id}/renditions/thumb"),
            &token,
        )
        .await;
    }
    // Renders finish a moment after their renditions are served.
    let deadline = Instant::now() + Duration::from_secs(30);
    let out = loop {
        let (_, out) = fsck(&storage, &[]);
        if !out.contains("never rendered") && !out.contains("reference count") {
            break out;
        }
        assert!(Instant::now() < deadline, "{out}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let problems = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| !l.starts_with("checked "))
            .map(str::to_string)
            .collect()
    };
    let left = problems(&out);
    assert_eq!(left.len(), 2, "{out}");
    assert!(
        left.iter().any(|l| l.starts_with("original missing:")),
        "{out}"
    );
    assert!(
        left.iter().any(|l| l.starts_with("change feed broken:")),
        "{out}"
    );
    if local {
        let (_, out) = fsck(&storage, &["--verify-bytes"]);
        let left = problems(&out);
        assert_eq!(left.len(), 3, "{out}");
        assert!(left.iter().any(|l| l.starts_with("blob corrupt:")), "{out}");
    }

    // The metering report agrees with what fsck recounted.
    let held: i64 = catalog_sql(
        &storage,
        "SELECT SUM(size) FROM assets WHERE owner_id = (SELECT id FROM users WHERE name = 'alice')",
    )
    .parse()
    .unwrap();
    let usage = darkroom_ok(&["admin", "usage"], &storage);
    let last = usage
        .lines()
        .rfind(|l| l.contains(",alice,"))
        .expect(&usage);
    let stored: i64 = last.split(',').nth(3).unwrap().parse().unwrap();
    assert_eq!(stored, held, "{usage}");
}

#[tokio::test]
async fn fsck_on_sqlite_and_a_folder() {
    if Command::new("sqlite3").arg("--version").output().is_err() {
        eprintln!("SKIPPED fsck_on_sqlite_and_a_folder: the sqlite3 client is not installed");
        return;
    }
    a_damaged_library_is_found_repaired_and_what_needs_a_backup_stays(Storage::embedded()).await;
}

#[tokio::test]
async fn fsck_on_postgres_and_s3() {
    let Some(storage) = Storage::postgres_s3("fsck_on_postgres_and_s3") else {
        return;
    };
    a_damaged_library_is_found_repaired_and_what_needs_a_backup_stays(storage).await;
}
