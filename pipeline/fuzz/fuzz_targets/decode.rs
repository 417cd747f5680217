//! Rendering arbitrary bytes in-process (JPEG through libjpeg-turbo, PNG,
//! WebP, TIFF, and the JPEG previews inside camera RAW files): an error or
//! renditions, never a panic, a hang or memory past the limits. The RAW
//! develop is left out: it runs in the helper process, whose limits contain
//! rawler's failures.
//!
//! The seeds are ~96 px images, so outputs of 12 and 40 px with both
//! shrink-on-load rules reach every DCT scale (1/8, 1/4, 1/2, full).
#![no_main]

use darkroom_pipeline::edit::EditRecipe;
use darkroom_pipeline::{Limits, RenditionSpec, ShrinkOnLoad, plan, sniff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if sniff(data).is_none() {
        return;
    }
    let unedited = EditRecipe::default();
    let limits = Limits {
        max_pixels: 4_000_000,
        max_edge: 8_000,
        ..Limits::default()
    };
    for edge in [12u32, 40] {
        let spec: RenditionSpec = format!("r:{edge}").parse().unwrap();
        for shrink in [ShrinkOnLoad::Fast, ShrinkOnLoad::Exact] {
            let specs = std::slice::from_ref(&spec);
            // No helper: a RAW renders from its embedded preview or fails.
            let rendered = plan(data, &unedited, specs)
                .and_then(|plan| plan.run(data, specs, &limits, shrink, None));
            if let Ok(out) = rendered {
                for r in out {
                    assert!(r.width.max(r.height) <= edge);
                    assert!(!r.bytes.is_empty());
                }
            }
        }
    }
});
