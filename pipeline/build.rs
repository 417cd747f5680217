//! Compiles the small C shim over the system's libjpeg-turbo and links it.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=native/jpeg_shim.c");
    // Debian's libjpeg62-turbo-dev puts jpeglib.h here; say what to install
    // rather than fail deep inside a C compiler error.
    let header = Path::new("/usr/include/jpeglib.h");
    if !header.exists() && std::env::var_os("DARKROOM_JPEG_INCLUDE").is_none() {
        println!(
            "cargo:warning=jpeglib.h not found: install libjpeg-turbo's headers \
             (Debian/Ubuntu: apt-get install libjpeg62-turbo-dev), or set \
             DARKROOM_JPEG_INCLUDE to the folder that holds jpeglib.h"
        );
    }
    println!("cargo:rerun-if-env-changed=DARKROOM_JPEG_INCLUDE");
    let mut build = cc::Build::new();
    build.file("native/jpeg_shim.c").opt_level(2).warnings(true);
    if let Some(include) = std::env::var_os("DARKROOM_JPEG_INCLUDE") {
        build.include(include);
    }
    build.compile("darkroom_jpeg_shim");
    println!("cargo:rustc-link-lib=jpeg");
}
