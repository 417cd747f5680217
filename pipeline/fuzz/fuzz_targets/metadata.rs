//! `darkroom info` on arbitrary bytes: EXIF, XMP and ICC parsing never
//! panic, and what they report serialises.
#![no_main]

use darkroom_pipeline::info;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(found) = info(data) {
        let _ = serde_json::to_string(&found);
    }
});
