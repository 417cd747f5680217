//! The JPEG previews camera RAW files embed: a full-size or screen-size JPEG
//! the camera rendered when it took the picture. When one is at least as
//! large as every rendition, thumbnails and previews come from it in
//! milliseconds instead of a develop taking seconds in the RAW helper; the
//! full develop stays for what needs it (larger renditions, later exports
//! and edits).
//!
//! Where cameras put them (all found by one walk over the TIFF structure,
//! bounds-checked, plus Fujifilm's own header):
//! - DNG: an IFD (IFD0 or a SubIFD) marked NewSubfileType 1 with JPEG
//!   compression (7) and one strip;
//! - CR2: IFD0, old-style JPEG compression (6) with one strip;
//! - NEF, PEF, ARW: `JPEGInterchangeFormat`/`Length` in IFD0, IFD1 or a SubIFD;
//! - RW2: the `JpgFromRaw` tag (0x002E) in IFD0;
//! - RAF: the offset and length in the `FUJIFILMCCD-RAW` header.
//!
//! CR3 (ISO-BMFF) and ORF (previews in maker notes) are not searched: they
//! are always developed.

use crate::decode::libjpeg::JpegDecoder;
use crate::metadata::read_orientation;
use crate::metadata::tiff::{TiffBytes, find};
use crate::orient::Orientation;

/// A JPEG inside a RAW file, with its size from its own header.
pub(crate) struct EmbeddedPreview<'a> {
    pub jpeg: &'a [u8],
    pub width: u32,
    pub height: u32,
    /// The RAW's orientation (the preview's pixels are stored like the
    /// sensor's, and turned by the same tag).
    pub orientation: Orientation,
}

/// The largest JPEG preview `raw` embeds that libjpeg can decode (lossless
/// JPEG raw data, which some files also keep in JPEG-compressed strips, is
/// not one: libjpeg refuses its header).
pub(crate) fn largest_preview(raw: &[u8]) -> Option<EmbeddedPreview<'_>> {
    let (candidates, tiff_orientation) = if raw.starts_with(b"FUJIFILMCCD-RAW") {
        (raf_preview(raw).into_iter().collect(), None)
    } else {
        tiff_previews(raw)
    };
    let (jpeg, width, height) = candidates
        .into_iter()
        .filter(|jpeg| jpeg.starts_with(&[0xFF, 0xD8]))
        .filter_map(|jpeg| {
            let header = JpegDecoder::new(jpeg).ok()?.header();
            Some((jpeg, header.width, header.height))
        })
        .max_by_key(|&(_, w, h)| u64::from(w) * u64::from(h))?;
    // RAF files keep their EXIF (orientation too) inside the JPEG.
    let orientation = tiff_orientation
        .or_else(|| read_orientation(jpeg))
        .map_or(Orientation::Normal, Orientation::from_exif);
    Some(EmbeddedPreview {
        jpeg,
        width,
        height,
        orientation,
    })
}

// TIFF tags looked at.
const COMPRESSION: u16 = 0x0103;
const PHOTOMETRIC: u16 = 0x0106;
const STRIP_OFFSETS: u16 = 0x0111;
const ORIENTATION: u16 = 0x0112;
const STRIP_BYTE_COUNTS: u16 = 0x0117;
const JPEG_INTERCHANGE_FORMAT: u16 = 0x0201;
const JPEG_INTERCHANGE_FORMAT_LENGTH: u16 = 0x0202;
const RW2_JPG_FROM_RAW: u16 = 0x002E;

// Photometric interpretations of sensor data, never a preview.
const CFA: u32 = 32803;
const LINEAR_RAW: u32 = 34892;

/// Every JPEG-looking byte range the TIFF structure points at, and IFD0's
/// orientation.
fn tiff_previews(raw: &[u8]) -> (Vec<&[u8]>, Option<u16>) {
    let tiff = TiffBytes::new(raw);
    let mut found = Vec::new();
    let mut orientation = None;
    let slice = |offset: u32, length: u32| {
        let start = offset as usize;
        raw.get(start..start.checked_add(length as usize)?)
    };
    for (n, ifd) in tiff.all_ifds().into_iter().enumerate() {
        let entries = tiff.entries(ifd);
        let get = |tag: u16| find(&entries, tag);
        let scalar = |tag: u16| tiff.tag_value(&entries, tag);
        if n == 0 {
            orientation = scalar(ORIENTATION).and_then(|o| u16::try_from(o).ok());
            if let Some(blob) = get(RW2_JPG_FROM_RAW).and_then(|e| tiff.blob(e)) {
                found.push(blob);
            }
        }
        if let (Some(offset), Some(length)) = (
            scalar(JPEG_INTERCHANGE_FORMAT),
            scalar(JPEG_INTERCHANGE_FORMAT_LENGTH),
        ) && let Some(jpeg) = slice(offset, length)
        {
            found.push(jpeg);
        }
        let jpeg_compressed = matches!(scalar(COMPRESSION), Some(6 | 7));
        let sensor_data = matches!(scalar(PHOTOMETRIC), Some(CFA | LINEAR_RAW));
        let strips = (
            get(STRIP_OFFSETS).map(|e| tiff.values(e)),
            get(STRIP_BYTE_COUNTS).map(|e| tiff.values(e)),
        );
        if jpeg_compressed
            && !sensor_data
            && let (Some(offsets), Some(counts)) = strips
            && let ([offset], [length]) = (offsets.as_slice(), counts.as_slice())
            && let Some(jpeg) = slice(*offset, *length)
        {
            found.push(jpeg);
        }
    }
    (found, orientation)
}

/// A Fujifilm RAF's preview: big-endian offset and length at bytes 84 and 88.
fn raf_preview(raw: &[u8]) -> Option<&[u8]> {
    let be32 = |at: usize| Some(u32::from_be_bytes(raw.get(at..at + 4)?.try_into().ok()?));
    let (offset, length) = (be32(84)? as usize, be32(88)? as usize);
    raw.get(offset..offset.checked_add(length)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const NEW_SUBFILE_TYPE: u16 = 0x00FE;

    /// A little-endian TIFF laid out like a DNG: IFD0 a tiny uncompressed
    /// thumbnail with `orientation`, whose SubIFDs are the CFA sensor data
    /// (`sensor`, 16-bit, made up) and a JPEG preview (`preview`).
    pub(crate) fn dng_with_preview(
        sensor: (u32, u32),
        preview: &[u8],
        orientation: u16,
    ) -> Vec<u8> {
        let mut out = b"II*\0".to_vec();
        out.extend_from_slice(&8u32.to_le_bytes());
        // Three IFDs of fixed shape, then the data they point at.
        let ifd = |entries: &[(u16, u16, u32, u32)], next: u32| {
            let mut b = (entries.len() as u16).to_le_bytes().to_vec();
            for &(tag, kind, count, value) in entries {
                b.extend_from_slice(&tag.to_le_bytes());
                b.extend_from_slice(&kind.to_le_bytes());
                b.extend_from_slice(&count.to_le_bytes());
                b.extend_from_slice(&value.to_le_bytes());
            }
            b.extend_from_slice(&next.to_le_bytes());
            b
        };
        let ifd_len = |n: usize| (2 + 12 * n + 4) as u32;
        let ifd0_at = 8;
        let sub_list_at = ifd0_at + ifd_len(9);
        let raw_ifd_at = sub_list_at + 8;
        let preview_ifd_at = raw_ifd_at + ifd_len(7);
        let thumb_at = preview_ifd_at + ifd_len(7);
        let raw_at = thumb_at + 3 * 4 * 4;
        let raw_len = sensor.0 * sensor.1 * 2;
        let preview_at = raw_at + raw_len;
        out.extend(ifd(
            &[
                (NEW_SUBFILE_TYPE, 4, 1, 1),
                (0x0100, 4, 1, 4),
                (0x0101, 4, 1, 4),
                (COMPRESSION, 3, 1, 1),
                (PHOTOMETRIC, 3, 1, 2),
                (STRIP_OFFSETS, 4, 1, thumb_at),
                (ORIENTATION, 3, 1, u32::from(orientation)),
                (0x014A, 4, 2, sub_list_at),
                (0xC612, 1, 4, u32::from_le_bytes([1, 4, 0, 0])), // DNGVersion
            ],
            0,
        ));
        out.extend_from_slice(&raw_ifd_at.to_le_bytes());
        out.extend_from_slice(&preview_ifd_at.to_le_bytes());
        out.extend(ifd(
            &[
                (NEW_SUBFILE_TYPE, 4, 1, 0),
                (0x0100, 4, 1, sensor.0),
                (0x0101, 4, 1, sensor.1),
                (COMPRESSION, 3, 1, 1),
                (PHOTOMETRIC, 3, 1, CFA),
                (STRIP_OFFSETS, 4, 1, raw_at),
                (STRIP_BYTE_COUNTS, 4, 1, raw_len),
            ],
            0,
        ));
        out.extend(ifd(
            &[
                (NEW_SUBFILE_TYPE, 4, 1, 1),
                (0x0100, 4, 1, 1),
                (0x0101, 4, 1, 1),
                (COMPRESSION, 3, 1, 7),
                (PHOTOMETRIC, 3, 1, 6),
                (STRIP_OFFSETS, 4, 1, preview_at),
                (STRIP_BYTE_COUNTS, 4, 1, preview.len() as u32),
            ],
            0,
        ));
        assert_eq!(out.len() as u32, thumb_at);
        out.resize((raw_at + raw_len) as usize, 0x40);
        out.extend_from_slice(preview);
        out
    }

    #[test]
    fn finds_the_largest_decodable_jpeg_and_the_raw_orientation() {
        let big = crate::fixtures::jpeg(600, 400);
        let raw = dng_with_preview((1200, 800), &big, 6);
        let preview = largest_preview(&raw).unwrap();
        assert_eq!((preview.width, preview.height), (600, 400));
        assert_eq!(preview.jpeg, &big[..]);
        assert_eq!(preview.orientation, Orientation::Rotate90);
        // A lossless-JPEG strip is sensor data, not a preview: libjpeg refuses it.
        let mut lossless = big.clone();
        let sof = lossless.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        lossless[sof + 1] = 0xC3;
        assert!(largest_preview(&dng_with_preview((1200, 800), &lossless, 1)).is_none());
    }

    #[test]
    fn finds_jpeg_interchange_previews_and_raf_headers() {
        let jpeg = crate::fixtures::jpeg(320, 200);
        // IFD0 with JPEGInterchangeFormat/Length (as ARW and PEF keep them).
        let mut tiff = b"MM\0*\0\0\0\x08".to_vec();
        tiff.extend_from_slice(&3u16.to_be_bytes());
        let jpeg_at = 8 + 2 + 3 * 12 + 4;
        for (tag, kind, value) in [
            (ORIENTATION, 3u16, 8u32 << 16), // SHORT, left-justified
            (JPEG_INTERCHANGE_FORMAT, 4, jpeg_at),
            (JPEG_INTERCHANGE_FORMAT_LENGTH, 4, jpeg.len() as u32),
        ] {
            tiff.extend_from_slice(&tag.to_be_bytes());
            tiff.extend_from_slice(&kind.to_be_bytes());
            tiff.extend_from_slice(&1u32.to_be_bytes());
            tiff.extend_from_slice(&value.to_be_bytes());
        }
        tiff.extend_from_slice(&0u32.to_be_bytes());
        tiff.extend_from_slice(&jpeg);
        let preview = largest_preview(&tiff).unwrap();
        assert_eq!((preview.width, preview.height), (320, 200));
        assert_eq!(preview.orientation, Orientation::Rotate270);

        let mut raf = b"FUJIFILMCCD-RAW 0201FF383501".to_vec();
        raf.resize(84, 0);
        raf.extend_from_slice(&100u32.to_be_bytes());
        raf.extend_from_slice(&(jpeg.len() as u32).to_be_bytes());
        raf.resize(100, 0);
        raf.extend_from_slice(&jpeg);
        let preview = largest_preview(&raf).unwrap();
        assert_eq!((preview.width, preview.height), (320, 200));
    }

    #[test]
    fn broken_files_have_no_preview_and_do_not_panic() {
        let jpeg = crate::fixtures::jpeg(64, 64);
        let raw = dng_with_preview((64, 64), &jpeg, 1);
        for cut in (0..raw.len()).step_by(7) {
            if let Some(p) = largest_preview(&raw[..cut]) {
                assert_eq!((p.width, p.height), (64, 64));
            }
        }
        assert!(largest_preview(b"FUJIFILMCCD-RAW \xff\xff").is_none());
        assert!(largest_preview(b"II*\0\xff\xff\xff\xff").is_none());
    }
}
