//! The `darkroom` binary is MIT OR Apache-2.0 all through: the LGPL decoders
//! (rawler, libheif) are linked into the `darkroom-helper` executable only.
//! Read from the built files themselves, so that a stray `use` of the helper
//! crate (or a decoder creeping back into the pipeline) fails here.

use crate::helpers::BIN;

const HELPER: &str = env!("CARGO_BIN_EXE_darkroom-helper");

/// Marks a crate's code leaves in an executable: its mangled symbol names
/// (`6rawler` in both manglings) and the source paths its panics carry.
fn traces_of_rawler(executable: &[u8]) -> bool {
    let contains = |needle: &[u8]| executable.windows(needle.len()).any(|w| w == needle);
    contains(b"6rawler") || contains(b"/rawler-0.")
}

#[test]
fn the_main_binary_links_no_lgpl_decoder_and_the_helper_does() {
    let main = std::fs::read(BIN).unwrap();
    let helper = std::fs::read(HELPER).unwrap();
    // The probe finds rawler where it is: else it would prove nothing.
    assert!(
        traces_of_rawler(&helper),
        "{HELPER} should contain rawler's code"
    );
    assert!(
        !traces_of_rawler(&main),
        "{BIN} contains rawler's code (LGPL-2.1): only darkroom-helper may link it"
    );
    let names_libheif = main.windows(13).any(|w| w == b"heif_context_");
    assert!(!names_libheif, "{BIN} links libheif (LGPL-3.0)");
}
