use std::time::{Duration, SystemTime};

use crate::helpers::{
    Storage, client, data_file, jpeg, serve, spawn, token_for, upload, wait_for_rendition,
};

#[tokio::test]
async fn killed_worker_mid_job_loses_nothing_embedded() {
    killed_worker_mid_job_loses_nothing(Storage::embedded()).await;
}

#[tokio::test]
async fn killed_worker_mid_job_loses_nothing_postgres_s3() {
    if let Some(storage) = Storage::postgres_s3("killed_worker_mid_job_loses_nothing") {
        killed_worker_mid_job_loses_nothing(storage).await;
    }
}

/// A worker is SIGKILLed while it holds a job; its lease runs out and a
/// second worker process renders the rendition.
async fn killed_worker_mid_job_loses_nothing(storage: Storage) {
    let (_server, url) = serve(&storage, &["--workers", "0"], &[]);
    let token = token_for(&storage, "carol");
    let id = upload(&url, &token, jpeg(7)).await;
    let thumb = format!("{url}/api/v1/assets/{id}/renditions/thumb");

    let doomed = spawn(
        &[
            "worker",
            "--workers",
            "1",
            "--job-lease-secs",
            "2",
            "--fault-hold-job-ms",
            "600000",
        ],
        &storage,
        &[],
    );
    doomed.wait_for_log("fault injection: holding job", Duration::from_secs(60));
    doomed.kill_hard();
    let pending = client()
        .get(&thumb)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        pending.status(),
        202,
        "the job is not done: its worker died"
    );
    assert_eq!(
        pending.json::<serde_json::Value>().await.unwrap()["attempts"],
        1
    );

    let _rescuer = spawn(
        &["worker", "--workers", "1", "--job-lease-secs", "2"],
        &storage,
        &[],
    );
    let bytes = wait_for_rendition(&thumb, &token).await;
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (256, 160));
}

#[test]
fn staging_files_a_crashed_process_left_are_swept_at_start() {
    let storage = Storage::embedded();
    let staging = data_file(&storage, "blobs/staging");
    std::fs::create_dir_all(&staging).unwrap();
    let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
    let mut old = Vec::new();
    for name in [
        "0c5b3bd8-7a0c-4f4e-8d0e-5b1f8b9b8e01#1",
        "0c5b3bd8-7a0c-4f4e-8d0e-5b1f8b9b8e02",
    ] {
        let path = staging.join(name);
        std::fs::write(&path, b"half an upload").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        old.push(path);
    }
    let fresh = staging.join("0c5b3bd8-7a0c-4f4e-8d0e-5b1f8b9b8e03#1");
    std::fs::write(&fresh, b"an upload in flight in another process").unwrap();

    let (server, _url) = serve(&storage, &[], &[]);
    drop(server);
    for path in old {
        assert!(
            !path.exists(),
            "{} should have been removed",
            path.display()
        );
    }
    assert!(
        fresh.exists(),
        "a recent staging file may belong to a live upload"
    );
}
