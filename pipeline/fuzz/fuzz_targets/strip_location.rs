//! Removing location from arbitrary bytes, as a share link does: an error
//! or a rewrite, never a panic or a hang; fed in chunks of every size it
//! gives the same bytes as fed whole; and a reader finds no GPS and no XMP
//! packet in what comes out. (That no embedded image keeps one is checked with exiftool on
//! camera-like files in the API tests: bytes a hostile file hides where no
//! reader looks, say inside raw sensor data, are not the threat.)
#![no_main]

use darkroom_pipeline::{info, location_stripper, strip_location};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(whole) = strip_location(data) else {
        return;
    };
    // Streamed in small chunks from the same source: the same output.
    let chunk = 1 + data.first().copied().unwrap_or(0) as usize % 97;
    let mut stripper = location_stripper(&data).expect("it stripped whole");
    let mut streamed = Vec::new();
    for piece in data.chunks(chunk) {
        if stripper.push(piece, &mut streamed).is_err() {
            return;
        }
    }
    if stripper.finish(&mut streamed).is_err() {
        return;
    }
    assert_eq!(streamed, whole, "chunks of {chunk}");
    let packet = b"<x:xmpmeta";
    assert!(
        !whole.windows(packet.len()).any(|w| w == packet),
        "an XMP packet left in the output"
    );
    if let Ok(found) = info(&whole) {
        assert!(found.metadata.gps.is_none(), "GPS left in the output");
    }
});
