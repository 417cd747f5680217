//! `darkroom admin` account and quota commands, `gc` and `scrub`, against the
//! storage a running server uses.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::{BIN, Storage, client, darkroom, jpeg, serve, text, token_for};

/// `darkroom admin set-password NAME`, the password on standard input.
fn set_password(storage: &Storage, name: &str, password: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(["admin", "set-password", name])
        .args(&storage.args)
        .envs(storage.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn accounts_quotas_gc_and_scrub_from_the_command_line() {
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &[], &[]);
    let token = token_for(&storage, "alice");

    // A password set from the CLI signs in on the web.
    let weak = set_password(&storage, "alice", "short");
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("at least 8"),
        "{}",
        text(&weak.stderr)
    );
    assert!(
        set_password(&storage, "alice", "a long passphrase")
            .status
            .success()
    );
    let login = client()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "alice", "password": "a long passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);

    let upload = |bytes: Vec<u8>| {
        let token = token.clone();
        let url = url.clone();
        async move {
            client()
                .post(format!("{url}/api/v1/assets"))
                .bearer_auth(token)
                .body(bytes)
                .send()
                .await
                .unwrap()
        }
    };
    let first = upload(jpeg(1)).await;
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    let size = first["asset"]["size"].as_u64().unwrap();

    // A quota below usage stops the next upload with 507.
    let set = darkroom(&["admin", "set-quota", "alice", "1K"], &storage);
    assert!(set.status.success(), "{}", text(&set.stderr));
    assert_eq!(upload(jpeg(2)).await.status(), 507);
    let bad = darkroom(&["admin", "set-quota", "alice", "lots"], &storage);
    assert!(!bad.status.success());
    let users = text(&darkroom(&["admin", "list-users"], &storage).stdout);
    let alice = users
        .lines()
        .find(|l| l.starts_with("alice\t"))
        .expect(&users);
    assert!(alice.contains(&format!("\t{size}\t1024\t")), "{alice}");
    assert!(
        darkroom(&["admin", "set-quota", "alice", "none"], &storage)
            .status
            .success()
    );
    assert_eq!(upload(jpeg(3)).await.status(), 201);

    // Usage as CSV, storage totals, and a recount that finds nothing wrong.
    let usage = text(&darkroom(&["admin", "usage"], &storage).stdout);
    assert!(
        usage.starts_with("day,user_id,user,bytes_stored"),
        "{usage}"
    );
    assert!(usage.lines().any(|l| l.contains(",alice,")), "{usage}");
    let totals = text(&darkroom(&["admin", "storage"], &storage).stdout);
    assert!(totals.contains("saved by dedup"), "{totals}");
    let recount = darkroom(&["admin", "recount"], &storage);
    assert!(recount.status.success(), "{}", text(&recount.stdout));

    // Disabled: the token stops working; enabled: it works again.
    assert!(
        darkroom(&["admin", "disable", "alice"], &storage)
            .status
            .success()
    );
    assert_eq!(upload(jpeg(4)).await.status(), 401);
    assert!(
        darkroom(&["admin", "enable", "alice"], &storage)
            .status
            .success()
    );

    // gc runs beside the server and keeps everything referenced.
    let gc = darkroom(&["gc", "--blob-grace-secs", "0"], &storage);
    assert!(gc.status.success(), "{}", text(&gc.stderr));
    assert!(
        text(&gc.stdout).starts_with("purged 0 trashed"),
        "{}",
        text(&gc.stdout)
    );
    let clean = darkroom(&["scrub"], &storage);
    assert!(clean.status.success(), "{}", text(&clean.stdout));
    assert!(text(&clean.stdout).contains("0 missing, 0 corrupt"));

    // A flipped byte in a stored original is found, and named.
    let hex = first["asset"]["blake3"].as_str().unwrap();
    let path = storage
        .path()
        .join(format!("blobs/blobs/{}/{}/{hex}", &hex[0..2], &hex[2..4]));
    let mut bytes = std::fs::read(&path).expect("the local blob file");
    let last = bytes.len() - 10;
    bytes[last] ^= 0xFF;
    std::fs::write(&path, bytes).unwrap();
    let dirty = darkroom(&["scrub"], &storage);
    assert!(!dirty.status.success());
    assert!(
        text(&dirty.stdout).contains(&format!("corrupt {hex}")),
        "{}",
        text(&dirty.stdout)
    );
}
