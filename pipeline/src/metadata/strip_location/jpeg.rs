//! JPEG: the first image rebuilt from an allow-list of segments.
//!
//! Kept: the segments a decoder needs (tables, frame, scans), JFIF, the ICC
//! profile, Adobe's colour-transform marker, and EXIF with its location and
//! maker notes zeroed (see [`super::tiff`]). Everything else goes: XMP, IPTC,
//! MPF and every other APPn, comments, and whatever follows the first image's
//! end (MPF secondary images, appended previews, motion-photo videos).
//!
//! The same splitter serves JPEGs embedded in other files (EXIF thumbnails,
//! RAW previews), which are neutralised in place: a dropped segment becomes a
//! zeroed comment of the same length, and the bytes after its end are zeroed.

use std::ops::Range;

use super::edits::Edit;
use super::read_at::ReadAt;
use crate::{PipelineError, SourceFormat};

/// The largest JPEG segment: a 16-bit length plus its marker.
const MAX_SEGMENT: usize = 2 + 65_535;

/// What the splitter found at the front of its buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    /// A marker without a length (SOI, RSTn, TEM).
    Marker,
    /// A marker segment, whole: FF, marker, length, body.
    Segment,
    /// Entropy-coded scan data (with any restart markers in it).
    Entropy,
    /// Fill bytes or junk between segments.
    Junk,
    /// The end of the image (EOI).
    End,
}

fn broken(reason: &str) -> PipelineError {
    PipelineError::Corrupt {
        format: SourceFormat::Jpeg,
        reason: reason.to_string(),
    }
}

/// Cuts a JPEG byte stream into [`Piece`]s, holding at most one segment.
#[derive(Default)]
struct Splitter {
    buf: Vec<u8>,
    started: bool,
    in_scan: bool,
    /// A scan began: there is an image to send.
    scanned: bool,
    ended: bool,
}

impl Splitter {
    /// Feeds `input`; calls `each` with every whole piece and its bytes.
    fn push(
        &mut self,
        input: &[u8],
        mut each: impl FnMut(Piece, &[u8]) -> Result<(), PipelineError>,
    ) -> Result<(), PipelineError> {
        if self.ended {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.extend_from_slice(input);
        let mut at = 0;
        while let Some((piece, len)) = self.next_piece(&buf[at..])? {
            each(piece, &buf[at..at + len])?;
            at += len;
            if piece == Piece::End {
                self.ended = true;
                return Ok(());
            }
        }
        buf.drain(..at);
        self.buf = buf;
        Ok(())
    }

    /// The piece at the front of `b` and its length, or `None` when more
    /// bytes are needed to tell.
    fn next_piece(&mut self, b: &[u8]) -> Result<Option<(Piece, usize)>, PipelineError> {
        if !self.started {
            if b.len() < 2 {
                return Ok(None);
            }
            if b[..2] != [0xFF, 0xD8] {
                return Err(broken("no start-of-image marker"));
            }
            self.started = true;
            return Ok(Some((Piece::Marker, 2)));
        }
        if self.in_scan {
            // In scan data 0xFF is followed by a stuffed 0x00 or a restart
            // marker; anything else is the next marker.
            let mut from = 0;
            while let Some(i) = b[from..].iter().position(|&x| x == 0xFF).map(|i| from + i) {
                let Some(&next) = b.get(i + 1) else {
                    return Ok((i > 0).then_some((Piece::Entropy, i)));
                };
                if next == 0x00 || (0xD0..=0xD7).contains(&next) {
                    from = i + 2;
                    continue;
                }
                if i > 0 {
                    return Ok(Some((Piece::Entropy, i)));
                }
                self.in_scan = false;
                break;
            }
            if self.in_scan {
                return Ok((!b.is_empty()).then_some((Piece::Entropy, b.len())));
            }
        }
        if b.len() < 2 {
            return Ok(None);
        }
        if b[0] != 0xFF {
            let junk = b.iter().position(|&x| x == 0xFF).unwrap_or(b.len());
            return Ok(Some((Piece::Junk, junk)));
        }
        match b[1] {
            0xFF => Ok(Some((Piece::Junk, 1))),
            0xD9 => Ok(Some((Piece::End, 2))),
            0xD8 => Err(broken("a second start-of-image marker")),
            0x01 | 0xD0..=0xD7 => Ok(Some((Piece::Marker, 2))),
            marker => {
                if b.len() < 4 {
                    return Ok(None);
                }
                let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
                if len < 2 {
                    return Err(broken("a segment shorter than its length field"));
                }
                if b.len() < 2 + len {
                    return Ok(None);
                }
                if marker == 0xDA {
                    self.in_scan = true;
                    self.scanned = true;
                }
                Ok(Some((Piece::Segment, 2 + len)))
            }
        }
    }
}

/// What happens to one marker segment.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Keep,
    /// EXIF: kept with its location, maker notes and thumbnail's metadata
    /// zeroed.
    ScrubExif,
    Drop,
}

/// The allow-list: `segment` is whole (FF, marker, length, body).
fn verdict(segment: &[u8]) -> Verdict {
    let marker = segment[1];
    let body = &segment[4..];
    match marker {
        // Frames and Huffman/arithmetic tables (C0–CF); scans, quantisation
        // tables, DNL, restart intervals, hierarchical markers (DA–DF).
        0xC0..=0xCF | 0xDA..=0xDF => Verdict::Keep,
        0xE0 if body.starts_with(b"JFIF\0") => Verdict::Keep,
        0xE1 if body.starts_with(b"Exif\0\0") => Verdict::ScrubExif,
        0xE2 if body.starts_with(b"ICC_PROFILE\0") => Verdict::Keep,
        0xEE if body.starts_with(b"Adobe") => Verdict::Keep,
        _ => Verdict::Drop,
    }
}

/// Offset of the TIFF header inside an EXIF segment.
const EXIF_TIFF_AT: usize = 4 + 6;

/// The edits that make an EXIF segment free of location, relative to the
/// segment's start.
fn exif_edits(segment: &[u8], depth: u8) -> Result<Vec<Edit>, PipelineError> {
    let tiff = &segment[EXIF_TIFF_AT..];
    Ok(super::tiff::plan(&tiff, depth)?
        .into_iter()
        .map(|e| e.shifted(EXIF_TIFF_AT as u64))
        .collect())
}

/// A JPEG rewritten as it streams: allowed segments of the first image only.
#[derive(Default)]
pub(crate) struct JpegFilter {
    splitter: Splitter,
}

impl JpegFilter {
    pub(crate) fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), PipelineError> {
        self.splitter.push(input, |piece, bytes| {
            match piece {
                Piece::Marker | Piece::Entropy | Piece::End => out.extend_from_slice(bytes),
                Piece::Junk => {}
                Piece::Segment => match verdict(bytes) {
                    Verdict::Keep => out.extend_from_slice(bytes),
                    Verdict::Drop => {}
                    Verdict::ScrubExif => {
                        let edits = exif_edits(bytes, 0)?;
                        out.extend_from_slice(&super::edits::apply(bytes, edits));
                    }
                },
            }
            Ok(())
        })
    }

    /// Ends the output: a file cut short in its image data gets its
    /// end-of-image marker (a partial segment left in hand is not sent); one
    /// cut before it is an error.
    pub(crate) fn finish(self, out: &mut Vec<u8>) -> Result<(), PipelineError> {
        if !self.splitter.scanned {
            return Err(broken("it ends before its image data"));
        }
        if !self.splitter.ended {
            out.extend_from_slice(&[0xFF, 0xD9]);
        }
        Ok(())
    }
}

/// How deep embedded images are followed (a JPEG in a TIFF in a JPEG …).
pub(crate) const MAX_DEPTH: u8 = 3;

/// Edits that neutralise the JPEG embedded at `range` of `src`: dropped
/// segments become zeroed comments, EXIF is scrubbed, and everything after
/// its end (inside `range`) is zeroed. Data that is not a JPEG is zeroed.
pub(crate) fn embedded_edits(
    src: &dyn ReadAt,
    range: Range<u64>,
    depth: u8,
) -> Result<Vec<Edit>, PipelineError> {
    let range = range.start.min(src.size())..range.end.min(src.size());
    if depth > MAX_DEPTH {
        return Ok(vec![Edit::Zero(range)]);
    }
    let mut edits = Vec::new();
    let mut splitter = Splitter::default();
    // Absolute offset of the next piece.
    let mut piece_at = range.start;
    let mut read_at = range.start;
    while read_at < range.end && !splitter.ended {
        let want = (range.end - read_at).min(MAX_SEGMENT as u64) as usize;
        let chunk = src.read_at(read_at, want)?;
        if chunk.is_empty() {
            break;
        }
        read_at += chunk.len() as u64;
        let pushed = splitter.push(&chunk, |piece, bytes| {
            let at = piece_at;
            piece_at += bytes.len() as u64;
            match piece {
                Piece::End => edits.push(Edit::Zero(piece_at..range.end)),
                Piece::Segment => match verdict(bytes) {
                    Verdict::Keep => {}
                    Verdict::Drop => {
                        // Same length, now a comment with nothing in it.
                        edits.push(Edit::Write {
                            at: at + 1,
                            bytes: vec![0xFE],
                        });
                        edits.push(Edit::Zero(at + 4..piece_at));
                    }
                    Verdict::ScrubExif => edits.extend(
                        exif_edits(bytes, depth + 1)?
                            .into_iter()
                            .map(|e| e.shifted(at)),
                    ),
                },
                Piece::Marker | Piece::Entropy | Piece::Junk => {}
            }
            Ok(())
        });
        if pushed.is_err() {
            return Ok(vec![Edit::Zero(range)]);
        }
    }
    if !splitter.started {
        return Ok(vec![Edit::Zero(range)]);
    }
    Ok(edits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::jpeg_segment;

    /// SOI, segments, a scan whose data holds stuffed bytes and a restart
    /// marker, EOI, then a trailer.
    fn tiny_jpeg(segments: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        for s in segments {
            j.extend_from_slice(s);
        }
        j.extend_from_slice(&jpeg_segment(0xDB, &[0; 65]));
        j.extend_from_slice(&jpeg_segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        j.extend_from_slice(&[0xFF, 0xD9]);
        j.extend_from_slice(trailer);
        j
    }

    fn filtered(jpeg: &[u8], chunk: usize) -> Vec<u8> {
        let mut filter = JpegFilter::default();
        let mut out = Vec::new();
        for piece in jpeg.chunks(chunk) {
            filter.push(piece, &mut out).unwrap();
        }
        filter.finish(&mut out).unwrap();
        out
    }

    #[test]
    fn only_allowed_segments_of_the_first_image_leave() {
        let jfif = jpeg_segment(0xE0, b"JFIF\0\x01\x02");
        let icc = jpeg_segment(0xE2, b"ICC_PROFILE\0\x01\x01data");
        let xmp = jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<City>Paris</City>");
        let mpf = jpeg_segment(0xE2, b"MPF\0II*\0");
        let comment = jpeg_segment(0xFE, b"at home");
        let original = tiny_jpeg(
            &[jfif.clone(), xmp, mpf, icc.clone(), comment],
            b"\xFF\xD8\xFF\xE1 second image from Paris ftypmp42 video",
        );
        let expected = tiny_jpeg(&[jfif, icc], b"");
        for chunk in [1, 2, 5, 4096] {
            assert_eq!(filtered(&original, chunk), expected, "chunks of {chunk}");
        }
    }

    #[test]
    fn a_file_cut_short_is_closed_and_a_non_jpeg_refused() {
        let whole = tiny_jpeg(&[], b"");
        let cut = &whole[..whole.len() - 3];
        let out = filtered(cut, 7);
        assert!(out.ends_with(&[0xFF, 0xD9]));
        let mut filter = JpegFilter::default();
        assert!(filter.push(b"GIF89a", &mut Vec::new()).is_err());
    }

    #[test]
    fn an_embedded_jpeg_is_neutralised_in_place() {
        let xmp = jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<City>Paris</City>");
        let jpeg = tiny_jpeg(&[xmp], b"Paris trailer");
        let mut file = b"head".to_vec();
        file.extend_from_slice(&jpeg);
        file.extend_from_slice(b"tail");
        let range = 4..4 + jpeg.len() as u64;
        let edits = embedded_edits(&file.as_slice(), range, 0).unwrap();
        let out = super::super::edits::apply(&file, edits);
        assert_eq!(out.len(), file.len());
        assert!(!out.windows(5).any(|w| w == b"Paris"));
        assert!(out.starts_with(b"head") && out.ends_with(b"tail"));
        // The XMP segment is now an empty comment of the same length.
        assert_eq!(&out[4 + 2..4 + 4], &[0xFF, 0xFE]);
    }
}
