//! The OpenAPI description and its docs UI, served by a real server, and
//! Schemathesis (PyPI) fuzzing every operation in it: no server error, and
//! every answer as documented (status, content type, headers, body).

use std::process::Command;

use crate::helpers::{Storage, client, jpeg, serve, upload, user_with_token};

#[tokio::test]
async fn the_description_is_served_and_holds_under_schemathesis() {
    let storage = Storage::embedded();
    // Unlimited requests: the fuzzer sends thousands (429s are documented
    // too, but would only slow it down).
    let (_server, url) = serve(
        &storage,
        &["--workers", "1"],
        &[("DARKROOM_REQUESTS_PER_MINUTE", "0")],
    );
    let token = user_with_token(&storage, "partner", true, "read,upload,edit,admin");
    for seed in 0..3 {
        upload(&url, &token, jpeg(300 + seed)).await;
    }

    let description: serde_json::Value = client()
        .get(format!("{url}/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(description["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = description["paths"].as_object().unwrap();
    assert!(paths.len() > 40, "{} paths", paths.len());
    assert!(paths.contains_key("/api/v1/uploads/{id}"));
    let docs = client()
        .get(format!("{url}/api/docs/"))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(
        docs.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("swagger")
    );
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{url}/api/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.headers()["location"], "/api/docs/");

    let has_schemathesis = Command::new("python3")
        .args(["-c", "import schemathesis"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_schemathesis {
        eprintln!(
            "SKIPPED (schemathesis): `python3 -m pip install schemathesis` to fuzz the API against its description"
        );
        return;
    }
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis");
    // It keeps a cache in its working folder: the test's, not the checkout.
    let scratch = storage.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        // Its command line (`st`), through the interpreter that has it, so
        // that where pip put the script does not matter.
        Command::new("python3")
            .current_dir(scratch)
            // `hooks = "hooks"` in the config is a module beside it.
            .env("PYTHONPATH", config)
            .args([
                "-c",
                "from schemathesis.cli import schemathesis; schemathesis()",
            ])
            .args([
                "--config-file",
                &format!("{config}/schemathesis.toml"),
                "run",
            ])
            .arg(format!("{url}/api/openapi.json"))
            .args(["--header", &format!("Authorization: Bearer {token}")])
            // It would revoke the very token it tests with.
            .args(["--exclude-operation-id", "delete_tokens_by_id"])
            .args(["--max-examples", "25", "--workers", "2"])
            .output()
            .expect("run schemathesis")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    let summary = report
        .rfind("SUMMARY")
        .map_or(&report[..], |at| &report[at..]);
    eprintln!("{summary}");
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
