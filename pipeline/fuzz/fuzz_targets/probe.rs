//! Probe (sniff, header dimensions, EXIF) on arbitrary bytes: never a panic,
//! and what it accepts stays within the limits it was given.
#![no_main]

use darkroom_pipeline::{Limits, probe};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_pixels: 50_000_000,
        max_edge: 20_000,
        ..Limits::default()
    };
    if let Ok(p) = probe(data, &limits)
        && let (Some(w), Some(h)) = (p.width, p.height)
    {
        assert!(u64::from(w) * u64::from(h) <= limits.max_pixels);
    }
});
