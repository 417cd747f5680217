//! TIFF structures (EXIF blocks, TIFF and DNG files): the edits that zero
//! every place a location can hide, in place, so that no offset moves.
//!
//! Kept, from an allow-list: the header, every IFD reachable from IFD0 (its
//! chain, SubIFDs, the EXIF and interoperability IFDs), the values its
//! entries point at, and the image data of its strips and tiles. Every other
//! byte is zeroed: a file can hold anything where no IFD points (the fuzzer
//! found an XMP packet with GPS there, which lenient readers still find).
//!
//! Zeroed among what the IFDs point at: the GPS IFD (entries and values),
//! XMP, IPTC and Photoshop blocks, maker notes and DNG private data (camera
//! makers record places there: Panasonic's city and landmark, Nikon's
//! location, Pentax's home town), Windows' XP text fields; and every
//! embedded JPEG (thumbnail, preview) is neutralised as [`super::jpeg`] does.

use std::ops::Range;

use super::edits::Edit;
use super::jpeg;
use super::read_at::ReadAt;
use crate::PipelineError;
use crate::metadata::tiff::type_size;

const SUB_IFDS: u16 = 0x014A;
const EXIF_IFD: u16 = 0x8769;
const INTEROP_IFD: u16 = 0xA005;
const GPS_IFD: u16 = 0x8825;
/// Tags whose values are zeroed: XMP, IPTC, Photoshop resources (which
/// hold IPTC), maker notes, DNG private data (a copy of the maker notes),
/// and the Windows XP title, comment, author, keywords and subject.
const ZEROED_TAGS: [u16; 10] = [
    700, 33723, 34377, 0x927C, 0xC634, 0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F,
];
const COMPRESSION: u16 = 0x0103;
const PHOTOMETRIC: u16 = 0x0106;
const STRIP_OFFSETS: u16 = 0x0111;
const STRIP_BYTE_COUNTS: u16 = 0x0117;
const TILE_OFFSETS: u16 = 0x0144;
const TILE_BYTE_COUNTS: u16 = 0x0145;
const JPEG_INTERCHANGE: u16 = 0x0201;
const JPEG_INTERCHANGE_LENGTH: u16 = 0x0202;

/// IFDs visited at most (a hostile file cannot make the walk long).
const MAX_IFDS: usize = 64;
/// Entries per IFD read at most.
const MAX_ENTRIES: u64 = 512;
/// Strips or tiles of one image checked for an embedded JPEG.
const MAX_PIECES: usize = 16;
/// Strips or tiles kept in the whole file. Image data past it is zeroed
/// (the picture is damaged, nothing leaks); no camera comes near it.
const MAX_KEPT_PIECES: usize = 1 << 18;

/// One IFD entry.
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    /// Where the entry's 4-byte value-or-offset field is.
    field_at: u64,
    field: [u8; 4],
}

/// A TIFF read through [`ReadAt`], every offset relative to its start.
struct Tiff<'a> {
    src: &'a dyn ReadAt,
    big_endian: bool,
}

impl Tiff<'_> {
    fn u16(&self, b: [u8; 2]) -> u16 {
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    fn u32(&self, b: [u8; 4]) -> u32 {
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    fn u32_at(&self, at: u64) -> Result<Option<u32>, PipelineError> {
        let b = self.src.read_at(at, 4)?;
        Ok(b.get(..4).map(|b| self.u32([b[0], b[1], b[2], b[3]])))
    }

    /// The entries of the IFD at `ifd`, and where its next-IFD field is.
    fn ifd(&self, ifd: u64) -> Result<(Vec<Entry>, u64), PipelineError> {
        let head = self.src.read_at(ifd, 2)?;
        let Some(count) = head.get(..2).map(|b| self.u16([b[0], b[1]])) else {
            return Ok((Vec::new(), ifd));
        };
        let count = u64::from(count).min(MAX_ENTRIES);
        let bytes = self.src.read_at(ifd + 2, (count * 12) as usize)?;
        let entries = bytes
            .chunks_exact(12)
            .enumerate()
            .map(|(i, e)| Entry {
                tag: self.u16([e[0], e[1]]),
                kind: self.u16([e[2], e[3]]),
                count: self.u32([e[4], e[5], e[6], e[7]]),
                field_at: ifd + 2 + i as u64 * 12 + 8,
                field: [e[8], e[9], e[10], e[11]],
            })
            .collect();
        Ok((entries, ifd + 2 + count * 12))
    }

    /// Where an entry's value lies: in its field when it fits, else at the
    /// offset the field holds.
    fn value_range(&self, e: &Entry) -> Option<Range<u64>> {
        let len = (type_size(e.kind) as u64).checked_mul(u64::from(e.count))?;
        let at = if len <= 4 {
            e.field_at
        } else {
            u64::from(self.u32(e.field))
        };
        Some(at..at.checked_add(len)?)
    }

    /// An entry's integer values (SHORT, LONG, IFD), at most 64.
    fn values(&self, e: &Entry) -> Result<Vec<u64>, PipelineError> {
        self.values_up_to(e, 64)
    }

    /// An entry's integer values (SHORT, LONG, IFD), at most `limit`.
    fn values_up_to(&self, e: &Entry, limit: usize) -> Result<Vec<u64>, PipelineError> {
        let size = match e.kind {
            3 => 2,
            4 | 13 => 4,
            _ => return Ok(Vec::new()),
        };
        let count = (e.count as usize).min(limit);
        let bytes = if count * size <= 4 {
            e.field[..count * size].to_vec()
        } else {
            self.src
                .read_at(u64::from(self.u32(e.field)), count * size)?
                .into_owned()
        };
        Ok(bytes
            .chunks_exact(size)
            .map(|b| {
                if size == 2 {
                    u64::from(self.u16([b[0], b[1]]))
                } else {
                    u64::from(self.u32([b[0], b[1], b[2], b[3]]))
                }
            })
            .collect())
    }
}

/// The edits that remove every location from the TIFF structure `src`
/// (a file, or the block of an EXIF segment). `depth` counts how deeply
/// it is embedded.
pub(crate) fn plan(src: &dyn ReadAt, depth: u8) -> Result<Vec<Edit>, PipelineError> {
    let head = src.read_at(0, 8)?;
    let big_endian = match head.get(..2) {
        Some(b"II") => false,
        Some(b"MM") => true,
        _ => return Ok(vec![Edit::Zero(0..src.size())]),
    };
    let tiff = Tiff { src, big_endian };
    // Too short to point at an IFD: nothing in it can be trusted to be safe.
    let Some(&[a, b, c, d]) = head.get(4..8) else {
        return Ok(vec![Edit::Zero(0..src.size())]);
    };
    let first = u64::from(tiff.u32([a, b, c, d]));
    let mut edits = Vec::new();
    // What the structure reaches; everything else is zeroed at the end.
    let header: Range<u64> = 0..8;
    let mut kept = vec![header];
    let mut pieces_left = MAX_KEPT_PIECES;
    let mut queue = vec![first];
    let mut visited = Vec::new();
    while let Some(ifd) = queue.pop() {
        if ifd == 0 || visited.contains(&ifd) || visited.len() >= MAX_IFDS {
            continue;
        }
        visited.push(ifd);
        let (entries, next_at) = tiff.ifd(ifd)?;
        if entries.is_empty() {
            continue;
        }
        kept.push(ifd..next_at + 4);
        if let Some(next) = tiff.u32_at(next_at)? {
            queue.push(u64::from(next));
        }
        for e in &entries {
            match e.tag {
                SUB_IFDS | EXIF_IFD | INTEROP_IFD => queue.extend(tiff.values(e)?),
                GPS_IFD => {
                    for gps in tiff.values(e)? {
                        edits.extend(empty_gps_ifd(&tiff, gps)?);
                    }
                }
                tag if ZEROED_TAGS.contains(&tag) => {
                    edits.extend(tiff.value_range(e).map(Edit::Zero))
                }
                _ => kept.extend(tiff.value_range(e)),
            }
        }
        let data = image_data(&tiff, &entries, pieces_left)?;
        pieces_left -= data.len();
        kept.extend(data);
        for range in embedded_jpegs(&tiff, &entries)? {
            kept.push(range.clone());
            edits.extend(jpeg::embedded_edits(src, range, depth + 1)?);
        }
    }
    edits.extend(gaps(kept, src.size()).map(Edit::Zero));
    Ok(edits)
}

/// Where the strips or tiles of the image an IFD describes lie, at most
/// `limit` of them.
fn image_data(
    tiff: &Tiff,
    entries: &[Entry],
    limit: usize,
) -> Result<Vec<Range<u64>>, PipelineError> {
    let find = |tag: u16| entries.iter().find(|e| e.tag == tag);
    let mut ranges = Vec::new();
    for (offsets, counts) in [
        (STRIP_OFFSETS, STRIP_BYTE_COUNTS),
        (TILE_OFFSETS, TILE_BYTE_COUNTS),
    ] {
        if let (Some(o), Some(c)) = (find(offsets), find(counts)) {
            let left = limit - ranges.len();
            let offsets = tiff.values_up_to(o, left)?;
            let counts = tiff.values_up_to(c, left)?;
            ranges.extend(
                offsets
                    .into_iter()
                    .zip(counts)
                    .map(|(at, len)| at..at.saturating_add(len)),
            );
        }
    }
    Ok(ranges)
}

/// The parts of `0..size` that no range in `kept` covers.
fn gaps(mut kept: Vec<Range<u64>>, size: u64) -> impl Iterator<Item = Range<u64>> {
    kept.sort_by_key(|r| r.start);
    let mut covered_to = 0;
    let mut gaps = Vec::new();
    for range in kept {
        if range.start > covered_to {
            gaps.push(covered_to..range.start.min(size));
        }
        covered_to = covered_to.max(range.end);
    }
    gaps.push(covered_to..size);
    gaps.into_iter().filter(|g| g.start < g.end)
}

/// Zeroes a GPS IFD: its values, its entries and its count, which leaves a
/// valid empty IFD where it was.
fn empty_gps_ifd(tiff: &Tiff, gps: u64) -> Result<Vec<Edit>, PipelineError> {
    let (entries, next_at) = tiff.ifd(gps)?;
    let mut edits: Vec<Edit> = entries
        .iter()
        .filter_map(|e| tiff.value_range(e))
        .map(Edit::Zero)
        .collect();
    edits.push(Edit::Zero(gps..next_at + 4));
    Ok(edits)
}

/// Where the IFD whose `entries` these are keeps JPEG data: an EXIF-style
/// thumbnail, or JPEG-compressed strips or tiles of a preview (not the
/// lossless JPEG tiles of raw sensor data, which carry no metadata).
fn embedded_jpegs(tiff: &Tiff, entries: &[Entry]) -> Result<Vec<Range<u64>>, PipelineError> {
    let find = |tag: u16| entries.iter().find(|e| e.tag == tag);
    let first = |tag: u16| -> Result<Option<u64>, PipelineError> {
        Ok(match find(tag) {
            Some(e) => tiff.values(e)?.first().copied(),
            None => None,
        })
    };
    let mut ranges = Vec::new();
    if let (Some(at), Some(len)) = (first(JPEG_INTERCHANGE)?, first(JPEG_INTERCHANGE_LENGTH)?) {
        ranges.push(at..at.saturating_add(len));
    }
    let jpeg_compressed = matches!(first(COMPRESSION)?, Some(6 | 7 | 34892));
    let sensor_data = matches!(first(PHOTOMETRIC)?, Some(32803 | 34892));
    if jpeg_compressed && !sensor_data {
        for (offsets, counts) in [
            (STRIP_OFFSETS, STRIP_BYTE_COUNTS),
            (TILE_OFFSETS, TILE_BYTE_COUNTS),
        ] {
            if let (Some(o), Some(c)) = (find(offsets), find(counts)) {
                let pieces = tiff.values(o)?.into_iter().zip(tiff.values(c)?);
                ranges.extend(
                    pieces
                        .take(MAX_PIECES)
                        .map(|(at, len)| at..at.saturating_add(len)),
                );
            }
        }
    }
    Ok(ranges)
}
