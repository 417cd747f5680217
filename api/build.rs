//! Builds the web gallery (`frontend/`) and embeds it in the server, so that
//! `cargo run -- serve` is all a newcomer runs: `npm ci` when the lock file
//! changed since the last install, then `node build.mjs` into `OUT_DIR`.
//!
//! Without node (or when the build fails) the server still builds and serves
//! the API, with a page that says why the gallery is missing; the warning is
//! printed by cargo. `DARKROOM_FRONTEND_DIST` names an already built folder
//! to embed instead (for packagers who build the frontend separately).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let frontend = manifest.join("../frontend");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    for watched in ["package.json", "package-lock.json", "build.mjs", "src"] {
        println!(
            "cargo:rerun-if-changed={}",
            frontend.join(watched).display()
        );
    }
    println!("cargo:rerun-if-env-changed=DARKROOM_FRONTEND_DIST");

    let dist = match env::var_os("DARKROOM_FRONTEND_DIST") {
        Some(prebuilt) => PathBuf::from(prebuilt),
        None => {
            let dist = out.join("frontend");
            if let Err(why) = build_frontend(&frontend, &dist) {
                println!("cargo:warning=the web gallery was not built: {why}");
                write_placeholder(&dist, &why);
            }
            dist
        }
    };
    embed(&dist, &out.join("frontend_files.rs"));
}

/// `npm ci` when needed, then the bundle.
fn build_frontend(frontend: &Path, dist: &Path) -> Result<(), String> {
    let lock = frontend.join("package-lock.json");
    // npm writes this file last when an install succeeds.
    let installed = frontend.join("node_modules/.package-lock.json");
    if modified(&installed) < modified(&lock) {
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(frontend),
            "npm ci",
        )?;
    }
    run(
        Command::new("node")
            .arg("build.mjs")
            .arg(dist)
            .current_dir(frontend),
        "node build.mjs",
    )
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("{what} could not start ({e}); install Node.js 18 or later"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last_lines: Vec<&str> = stderr.lines().rev().take(5).collect();
    Err(format!(
        "{what} failed ({}): {}",
        output.status,
        last_lines.into_iter().rev().collect::<Vec<_>>().join(" / ")
    ))
}

/// A page in place of the gallery, saying why it is missing.
fn write_placeholder(dist: &Path, why: &str) {
    let why = why
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>darkroom</title></head>\
         <body><h1>darkroom</h1><p>The service is running, but the web gallery was not built \
         into this binary: {why}</p><p>The REST API is at <code>/api/v1</code>, described at \
         <a href=\"/api/docs/\">/api/docs/</a>.</p></body></html>"
    );
    let _ = fs::remove_dir_all(dist);
    fs::create_dir_all(dist).expect("OUT_DIR is writable");
    fs::write(dist.join("index.html"), page).expect("OUT_DIR is writable");
}

/// `FRONTEND_FILES`: every file of `dist` as (name, bytes).
fn embed(dist: &Path, generated: &Path) {
    let mut names: Vec<String> = fs::read_dir(dist)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", dist.display()))
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut code = String::from("/// The built web gallery: (file name, bytes).\n");
    code.push_str("pub(crate) static FRONTEND_FILES: &[(&str, &[u8])] = &[\n");
    for name in &names {
        let path = dist.join(name);
        let _ = writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            path.display()
        );
    }
    code.push_str("];\n");
    fs::write(generated, code).expect("OUT_DIR is writable");
}
