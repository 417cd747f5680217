//! A partner's script in another language (docs/examples/partner.py, Python
//! standard library only) against a server started as the README says:
//! OpenAPI, check, upload, sync feed, signed webhooks, conditional reads.

use std::process::Command;

use crate::helpers::{Storage, jpeg, serve, user_with_token};

#[test]
fn the_partner_example_keeps_every_promise() {
    let storage = Storage::embedded();
    // The script's webhook receiver listens on loopback.
    let (_server, url) = serve(&storage, &["--webhooks-allow-private"], &[]);
    let token = user_with_token(&storage, "partner", false, "read,upload,edit");
    let photo = storage.path().join("partner.jpg");
    std::fs::write(&photo, jpeg(77)).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/partner.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(&url)
        .arg(&token)
        .arg(&photo)
        .output()
        .expect("python3");
    let report = String::from_utf8_lossy(&output.stdout);
    eprintln!("{report}");
    assert!(
        output.status.success(),
        "the partner script found broken promises: {report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    assert!(summary["operations_described"].as_u64().unwrap() > 60);
}
