//! The original this process was given, shared with rawler without a copy.
//!
//! rawler reads a file from a `RawSource`, which owns its bytes: made from a
//! slice, it copies them (42 MB for a 24 MP uncompressed DNG, with the page
//! faults of fresh memory). The helper holds exactly one original, read
//! from standard input before anything is decoded, so it keeps it here and
//! the RAW decoder, handed a slice of it through the pipeline, shares it.

use std::sync::{Arc, OnceLock};

use rawler::rawsource::RawSource;

static ORIGINAL: OnceLock<Arc<Vec<u8>>> = OnceLock::new();

/// Keeps the original for [`raw_source`]; returns it for the pipeline.
pub(crate) fn keep(bytes: Vec<u8>) -> Arc<Vec<u8>> {
    let original = Arc::new(bytes);
    // Only the first is kept: a helper serves one request.
    let _ = ORIGINAL.set(original.clone());
    original
}

/// A `RawSource` over `bytes`: the kept original itself when `bytes` is all
/// of it, else a copy (benchmarks and tests decode in their own process).
pub(crate) fn raw_source(bytes: &[u8]) -> RawSource {
    match ORIGINAL.get() {
        Some(original) if std::ptr::eq(original.as_slice(), bytes) => {
            RawSource::new_from_shared_vec(original.clone())
        }
        _ => RawSource::new_from_slice(bytes),
    }
}
