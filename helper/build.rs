//! With the `heif` feature: compiles the small C shim over the system's
//! libheif and links it (into this executable only).

use std::path::Path;

fn main() {
    if std::env::var_os("CARGO_FEATURE_HEIF").is_none() {
        return;
    }
    println!("cargo:rerun-if-changed=native/heif_shim.c");
    let found = [
        "/usr/include",
        "/usr/include/x86_64-linux-gnu",
        "/usr/include/aarch64-linux-gnu",
    ]
    .iter()
    .any(|dir| Path::new(dir).join("libheif/heif.h").exists());
    if !found {
        println!(
            "cargo:warning=libheif/heif.h not found: the `heif` feature needs libheif's \
             headers (Debian/Ubuntu: apt-get install libheif-dev)"
        );
    }
    cc::Build::new()
        .file("native/heif_shim.c")
        .opt_level(2)
        .warnings(true)
        .compile("darkroom_heif_shim");
    println!("cargo:rustc-link-lib=heif");
}
