//! PNG: chunks from an allow-list, up to IEND, rewritten as they stream.
//!
//! Kept: every critical chunk (IHDR, PLTE, IDAT, IEND, and any other a
//! decoder would need), colour and layout chunks, and APNG's animation
//! chunks. Dropped: text (tEXt, zTXt, iTXt, which hold XMP and raw EXIF
//! profiles), eXIf, tIME and every chunk this list does not know.

use crate::{PipelineError, SourceFormat};

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Ancillary chunks that say how to show the pixels and nothing else.
const KEPT_ANCILLARY: [&[u8; 4]; 14] = [
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD", b"cICP", b"mDCV",
    b"cLLI", b"acTL", b"fcTL", b"fdAT",
];

fn kept(kind: &[u8; 4]) -> bool {
    kind[0].is_ascii_uppercase() || KEPT_ANCILLARY.contains(&kind)
}

#[derive(Default)]
pub(crate) struct PngFilter {
    /// Bytes of a signature or chunk header not yet complete.
    head: Vec<u8>,
    signed: bool,
    /// Bytes left of the current chunk (data and CRC), and whether they go out.
    left: u64,
    keeping: bool,
    /// The chunk in hand is IEND: nothing after it is sent.
    last: bool,
    ended: bool,
}

impl PngFilter {
    pub(crate) fn push(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), PipelineError> {
        while !input.is_empty() && !self.ended {
            if self.left > 0 {
                let n = (self.left.min(input.len() as u64)) as usize;
                if self.keeping {
                    out.extend_from_slice(&input[..n]);
                }
                self.left -= n as u64;
                input = &input[n..];
                if self.left == 0 && self.last {
                    self.ended = true;
                }
                continue;
            }
            let want = 8 - self.head.len();
            let n = want.min(input.len());
            self.head.extend_from_slice(&input[..n]);
            input = &input[n..];
            if self.head.len() < 8 {
                break;
            }
            let head = std::mem::take(&mut self.head);
            if !self.signed {
                if head != SIGNATURE {
                    return Err(PipelineError::Corrupt {
                        format: SourceFormat::Png,
                        reason: "no PNG signature".into(),
                    });
                }
                self.signed = true;
                out.extend_from_slice(&head);
                continue;
            }
            let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            let kind: [u8; 4] = [head[4], head[5], head[6], head[7]];
            self.keeping = kept(&kind);
            self.last = &kind == b"IEND";
            self.left = u64::from(len) + 4;
            if self.keeping {
                out.extend_from_slice(&head);
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self, _out: &mut Vec<u8>) -> Result<(), PipelineError> {
        if self.signed {
            Ok(())
        } else {
            Err(PipelineError::Corrupt {
                format: SourceFormat::Png,
                reason: "too short".into(),
            })
        }
    }
}
