//! WebP: chunks from an allow-list, planned from the chunk headers (the
//! RIFF size at the front must say how much is left).
//!
//! Kept: the image (VP8, VP8L, VP8X, ALPH), animation (ANIM, ANMF) and the
//! ICC profile. Dropped: EXIF, XMP and every chunk this list does not know,
//! and anything past the RIFF container's end.

use super::edits::Edit;
use super::read_at::ReadAt;
use crate::{PipelineError, SourceFormat};

const KEPT: [&[u8]; 7] = [
    b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP",
];
/// VP8X's flags: EXIF and XMP present.
const VP8X_METADATA_FLAGS: u8 = 0x08 | 0x04;
/// At most this many chunks are walked (a still has a handful, an
/// animation one per frame).
const MAX_CHUNKS: usize = 100_000;

/// The edits and the end of the output for the WebP in `src`.
pub(crate) fn plan(src: &dyn ReadAt) -> Result<(Vec<Edit>, u64), PipelineError> {
    let broken = |reason: &str| PipelineError::Corrupt {
        format: SourceFormat::Webp,
        reason: reason.to_string(),
    };
    let header = src.read_at(0, 12)?;
    if header.len() < 12 {
        return Err(broken("too short"));
    }
    let riff_size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let end = (u64::from(riff_size) + 8).min(src.size());
    let mut edits = Vec::new();
    let mut dropped = 0u64;
    let mut at = 12u64;
    let mut chunks = 0;
    while at + 8 <= end {
        chunks += 1;
        if chunks > MAX_CHUNKS {
            return Err(broken("too many chunks"));
        }
        let head = src.read_at(at, 9)?;
        let kind = &head[..4];
        let len = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
        let next = (at + 8 + len + (len & 1)).min(end);
        if kind == b"VP8X" {
            if let Some(&flags) = head.get(8) {
                edits.push(Edit::Write {
                    at: at + 8,
                    bytes: vec![flags & !VP8X_METADATA_FLAGS],
                });
            }
        } else if !KEPT.contains(&kind) {
            edits.push(Edit::Drop(at..next));
            dropped += next - at;
        }
        at = next;
    }
    let size = u32::try_from(at - 8 - dropped).map_err(|_| broken("too large"))?;
    edits.push(Edit::Write {
        at: 4,
        bytes: size.to_le_bytes().to_vec(),
    });
    Ok((edits, at))
}
