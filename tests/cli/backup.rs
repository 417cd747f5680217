//! The restore drill, on both backends: a backup taken while uploads go
//! on, restored elsewhere, is clean by `fsck` and holds every photo
//! acknowledged before the backup began, byte for byte; a second backup
//! into the same folder copies only what is new.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::helpers::*;

async fn restore_drill(source: Storage, target: Storage) {
    let (_server, url) = serve(&source, &[], &[]);
    let token = token_for(&source, "alice");
    let mut acknowledged = Vec::new();
    for seed in 0..6 {
        let bytes = jpeg(seed * 3);
        acknowledged.push((upload(&url, &token, bytes.clone()).await, bytes));
    }

    // Uploads keep going while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let uploader = tokio::spawn({
        let (stop, url, token) = (stop.clone(), url.clone(), token.clone());
        async move {
            let mut sent = 0;
            for seed in 20..250 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let status = client()
                    .post(format!("{url}/api/v1/assets"))
                    .bearer_auth(&token)
                    .body(jpeg(seed))
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert!(status.is_success(), "{status}");
                sent += 1;
            }
            sent
        }
    });
    let folder = tempfile::tempdir().unwrap();
    let out = folder.path().join("backup");
    let out_arg = out.display().to_string();
    let backed_up = darkroom(&["backup", "--out", &out_arg], &source);
    stop.store(true, Ordering::Relaxed);
    let during = uploader.await.unwrap();
    assert!(backed_up.status.success(), "{}", text(&backed_up.stderr));
    let summary = text(&backed_up.stdout);
    assert!(
        summary.starts_with("backed up the catalog as of"),
        "{summary}"
    );
    eprintln!("{summary}({during} upload(s) went on meanwhile)");

    let restored = darkroom(&["restore", &out_arg], &target);
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    assert!(
        text(&restored.stdout).starts_with("restored the catalog as of"),
        "{}",
        text(&restored.stdout)
    );
    let fsck = darkroom(&["fsck"], &target);
    assert!(fsck.status.success(), "{}", text(&fsck.stdout));

    // Every photo acknowledged before the backup began, byte for byte.
    let (_restored_server, restored_url) = serve(&target, &[], &[]);
    assert_originals(&restored_url, &token, &acknowledged).await;

    // A catalog that holds anything is not restored over.
    let again = darkroom(&["restore", &out_arg], &target);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("not empty"),
        "{}",
        text(&again.stderr)
    );

    // Again into the same folder: only what is new is copied.
    let second = darkroom_ok(&["backup", "--out", &out_arg], &source);
    let present: u64 = second
        .rsplit_once(" there from an earlier backup")
        .and_then(|(head, _)| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect(&second);
    assert!(present >= acknowledged.len() as u64, "{second}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_drill_on_sqlite_and_a_folder() {
    restore_drill(Storage::embedded(), Storage::embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_drill_on_postgres_and_s3() {
    let (Some(source), Some(target)) = (
        Storage::postgres_s3("restore_drill_on_postgres_and_s3"),
        Storage::postgres_s3("restore_drill_on_postgres_and_s3"),
    ) else {
        return;
    };
    restore_drill(source, target).await;
}
