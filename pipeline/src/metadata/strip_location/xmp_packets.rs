//! The last pass over every shared original: any XMP packet still in the
//! bytes is zeroed, wherever it is.
//!
//! The rewrites before it keep only what a format's structure points at,
//! but a crafted file can point at a packet from a place no reader should
//! look (a private TIFF tag, an IFD of nonsense entries), and lenient
//! readers, darkroom's own among them, find a packet by scanning for it.
//! Camera files never match here: their XMP is already gone.

use memchr::memmem;

/// Where a packet begins (the wrapper, the older wrapper, the processing
/// instruction around it).
const OPENERS: [&[u8]; 3] = [b"<x:xmpmeta", b"<x:xapmeta", b"<?xpacket begin"];
/// Where it ends.
const CLOSERS: [&[u8]; 3] = [b"</x:xmpmeta>", b"</x:xapmeta>", b"<?xpacket end"];
/// Bytes held back between chunks: a marker may straddle two of them.
const HELD_BACK: usize = 14;

/// Zeroes XMP packets in bytes that stream past; the output has the same
/// length and, whatever the chunking, the same bytes.
#[derive(Default)]
pub(crate) struct XmpPacketScrubber {
    /// Bytes received but not yet passed on.
    held: Vec<u8>,
    /// Whether `held` starts inside a packet.
    inside: bool,
}

impl XmpPacketScrubber {
    /// Takes the next `input` bytes, passes on all but the last few.
    pub(crate) fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.held.extend_from_slice(input);
        let mut at = 0;
        loop {
            let markers = if self.inside { &CLOSERS } else { &OPENERS };
            match earliest(&self.held[at..], markers) {
                Some((found, len)) => {
                    let from = if self.inside { at } else { at + found };
                    let to = at + found + len;
                    self.held[from..to].fill(0);
                    at = to;
                    self.inside = !self.inside;
                }
                None => {
                    let safe = self.held.len().saturating_sub(HELD_BACK).max(at);
                    if self.inside {
                        self.held[at..safe].fill(0);
                    }
                    at = safe;
                    break;
                }
            }
        }
        out.extend(self.held.drain(..at));
    }

    /// Passes on what is held, after the last byte.
    pub(crate) fn finish(mut self, out: &mut Vec<u8>) {
        if self.inside {
            // A packet that never closes runs to the end of the file.
            self.held.fill(0);
        }
        out.append(&mut self.held);
    }
}

/// The earliest of `markers` in `bytes`: where it starts and its length.
fn earliest(bytes: &[u8], markers: &[&[u8]]) -> Option<(usize, usize)> {
    markers
        .iter()
        .filter_map(|m| memmem::find(bytes, m).map(|at| (at, m.len())))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(input: &[u8], chunk: usize) -> Vec<u8> {
        let mut scrubber = XmpPacketScrubber::default();
        let mut out = Vec::new();
        for piece in input.chunks(chunk) {
            scrubber.push(piece, &mut out);
        }
        scrubber.finish(&mut out);
        out
    }

    #[test]
    fn packets_are_zeroed_whatever_the_chunking() {
        let input = b"head <?xpacket begin='x'?><x:xmpmeta>Paris</x:xmpmeta> middle \
                      <x:xapmeta>Rome</x:xapmeta> tail";
        let whole = scrub(input, input.len());
        assert_eq!(whole.len(), input.len());
        assert!(whole.starts_with(b"head "));
        assert!(whole.ends_with(b" tail"));
        let text = String::from_utf8_lossy(&whole).replace('\0', "");
        assert_eq!(text, "head  middle  tail");
        for chunk in [1, 2, 5, 13, 14, 15, 40] {
            assert_eq!(scrub(input, chunk), whole, "chunks of {chunk}");
        }
    }

    #[test]
    fn a_packet_that_never_closes_is_zeroed_to_the_end() {
        let input = b"kept<x:xmpmeta>Paris and on and on";
        for chunk in [1, 7, 100] {
            let out = scrub(input, chunk);
            assert_eq!(&out[..4], b"kept");
            assert!(out[4..].iter().all(|b| *b == 0), "chunks of {chunk}");
        }
    }

    #[test]
    fn bytes_without_packets_pass_unchanged() {
        let input: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        assert_eq!(scrub(&input, 333), input);
    }
}
