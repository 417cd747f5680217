//! Rendering arbitrary bytes in-process (JPEG through libjpeg-turbo, PNG,
//! WebP, TIFF): an error or renditions, never a panic, a hang or memory past
//! the limits. Camera RAW is left out: it is decoded in the helper process,
//! whose limits contain rawler's failures.
//!
//! The seeds are ~96 px images, so outputs of 12 and 40 px with both
//! shrink-on-load rules reach every DCT scale (1/8, 1/4, 1/2, full).
#![no_main]

use darkroom_pipeline::{Limits, RenditionSpec, ShrinkOnLoad, render, sniff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if sniff(data).is_none_or(|f| f.decodes_in_helper()) {
        return;
    }
    let limits = Limits {
        max_pixels: 4_000_000,
        max_edge: 8_000,
        ..Limits::default()
    };
    for edge in [12u32, 40] {
        let spec: RenditionSpec = format!("r:{edge}").parse().unwrap();
        for shrink in [ShrinkOnLoad::Fast, ShrinkOnLoad::Exact] {
            if let Ok(out) = render(data, std::slice::from_ref(&spec), &limits, shrink) {
                for r in out {
                    assert!(r.width.max(r.height) <= edge);
                    assert!(!r.bytes.is_empty());
                }
            }
        }
    }
});
