use std::time::Duration;

use crate::helpers::{Storage, client, darkroom, jpeg, serve, token_for, wait_for_rendition};

fn one_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes).to_string();
    assert_eq!(
        text.trim_end().lines().count(),
        1,
        "expected one line, got {text:?}"
    );
    text.trim().to_string()
}

#[tokio::test]
async fn tokens_minted_while_the_server_runs_work_at_once() {
    let storage = Storage::embedded();
    let (_server, url) = serve(&storage, &[], &[]);

    let token = token_for(&storage, "alice");
    assert!(
        token.starts_with("drk_") && !token.contains(char::is_whitespace),
        "{token:?}"
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(jpeg(1)).file_name("a.jpg"),
    );
    let response = client()
        .post(format!("{url}/api/v1/assets"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // `serve` runs workers in-process: the thumbnail appears without help.
    let id = response.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_for_rendition(
        &format!("{url}/api/v1/assets/{id}/renditions/thumb"),
        &token,
    )
    .await;

    let scoped = darkroom(
        &["admin", "create-token", "alice", "--scope", "read"],
        &storage,
    );
    assert!(scoped.status.success());
    let reader = one_line(&scoped.stdout);
    let response = client()
        .post(format!("{url}/api/v1/assets"))
        .bearer_auth(&reader)
        .body(jpeg(2))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

/// The first start writes the administrator's password and token to a file
/// only its owner can read, and prints neither: a terminal's output ends up
/// in scrollback, CI logs and journald.
#[tokio::test]
async fn the_first_start_leaves_the_admin_credentials_in_a_private_file() {
    use std::os::unix::fs::PermissionsExt;
    let storage = Storage::embedded();
    let (server, url) = serve(&storage, &[], &[]);
    let file = storage.path().join("admin-credentials.txt");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let text = std::fs::read_to_string(&file).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name:?} in {text}"))
            .to_string()
    };
    let (password, token) = (field("password: "), field("api token: "));

    let mut printed = Vec::new();
    while let Ok(line) = server.stdout_lines.recv_timeout(Duration::from_secs(2)) {
        printed.push(line);
    }
    let printed = printed.join("\n");
    assert!(printed.contains("admin-credentials.txt"), "{printed}");
    assert!(
        !printed.contains(&password) && !printed.contains(&token),
        "{printed}"
    );

    // A failed sign-in is logged without the name typed (often a password,
    // typed into the wrong field).
    let typed = "Tr0ub4dor&3-in-the-name-field";
    let failed = client()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": typed, "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    let logged = server.wait_for_log("failed login", Duration::from_secs(10));
    assert!(!logged.contains(typed), "{logged}");

    // They work: the token on the API, the password at sign-in.
    let assets = client()
        .get(format!("{url}/api/v1/assets"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(assets.status(), 200);
    let login = client()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
}

#[test]
fn failures_exit_non_zero_with_one_line() {
    let storage = Storage::embedded();
    assert!(darkroom(&["migrate"], &storage).status.success());
    let created = darkroom(&["admin", "create-user", "bob", "--admin"], &storage);
    assert!(created.status.success());
    one_line(&created.stdout);

    for (args, needle) in [
        (vec!["admin", "create-user", "bob"], "already exists"),
        (vec!["admin", "create-token", "nobody"], "no user named"),
        (
            vec!["admin", "create-token", "bob", "--scope", "everything"],
            "unknown scope",
        ),
    ] {
        let out = darkroom(&args, &storage);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "nothing on stdout for {args:?}");
        let err = one_line(&out.stderr);
        assert!(
            err.starts_with("darkroom: ") && err.contains(needle),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn settings_come_from_a_toml_file_and_unknown_keys_are_refused() {
    let storage = Storage::embedded();
    let good = storage.path().join("good.toml");
    std::fs::write(
        &good,
        format!(
            "data_dir = {:?}\nworkers = 1\n",
            storage.path().join("from-file").display().to_string()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(crate::helpers::BIN)
        .args(["--config", good.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        storage.path().join("from-file/catalog.db").exists(),
        "data_dir from the file is used"
    );

    let bad = storage.path().join("bad.toml");
    std::fs::write(&bad, "colour = \"red\"\n").unwrap();
    let out = std::process::Command::new(crate::helpers::BIN)
        .args(["--config", bad.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = one_line(&out.stderr);
    assert!(err.contains("colour"), "{err}");
}

#[tokio::test]
async fn json_logs_carry_the_request_id_of_every_request() {
    let storage = Storage::embedded();
    let (server, url) = serve(&storage, &[], &[("DARKROOM_LOG_FORMAT", "json")]);
    let response = client().get(format!("{url}/healthz")).send().await.unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let line = server.wait_for_log(&id, Duration::from_secs(10));
    let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON log line");
    assert_eq!(event["message"], "request", "{line}");
    assert_eq!(event["status"], 200, "{line}");
    assert_eq!(event["path"], "/healthz", "{line}");
    assert_eq!(event["span"]["request_id"], id.as_str(), "{line}");

    // A share link's token never reaches the log: neither the access line
    // nor the request's span.
    let owner = token_for(&storage, "lena");
    let asset = crate::helpers::upload(&url, &owner, jpeg(5)).await;
    let share: serde_json::Value = client()
        .post(format!("{url}/api/v1/shares"))
        .bearer_auth(&owner)
        .json(&serde_json::json!({"asset_id": asset}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = share["token"].as_str().unwrap().to_string();
    for path in [format!("/s/{token}"), format!("/api/v1/shared/{token}")] {
        let response = client().get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string();
        let line = server.wait_for_log(&id, Duration::from_secs(10));
        assert!(!line.contains(&token), "{line}");
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(
            event["path"].as_str().unwrap().contains("[token]"),
            "{line}"
        );
    }
}
