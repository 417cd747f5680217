//! Removing where a photo was taken from an original, for share links.
//!
//! What goes: the EXIF GPS IFD (its entries and the values they point at are
//! zeroed in place, leaving a valid empty IFD, so no other offset moves), and
//! the XMP and IPTC blocks, which may carry GPS coordinates, city, country or
//! a place name. Pixels and every other tag are kept byte for byte. Formats
//! whose metadata sits in an ISO box tree (HEIC, AVIF, CR3) or a vendor
//! container (RAF) are refused rather than half-stripped.

use crate::PipelineError;
use crate::format::{SourceFormat, sniff};
use crate::metadata::tiff::TiffBytes;

/// EXIF tag of the GPS IFD pointer.
const GPS_IFD_TAG: u16 = 0x8825;
/// TIFF tags of the XMP packet and the IPTC block.
const XMP_TAG: u16 = 700;
const IPTC_TAG: u16 = 33723;

/// `original` with its location removed, or an error naming why it cannot
/// be (a format this does not rewrite).
pub fn strip_location(original: &[u8]) -> Result<Vec<u8>, PipelineError> {
    let format =
        sniff(original).ok_or_else(|| PipelineError::UnsupportedType("not a photo file".into()))?;
    let corrupt = |reason: &str| PipelineError::Corrupt {
        format,
        reason: reason.to_string(),
    };
    match format {
        SourceFormat::Jpeg => strip_jpeg(original).ok_or_else(|| corrupt("broken JPEG segments")),
        SourceFormat::Png => strip_png(original).ok_or_else(|| corrupt("broken PNG chunks")),
        SourceFormat::Webp => strip_webp(original).ok_or_else(|| corrupt("broken WebP chunks")),
        SourceFormat::Tiff
        | SourceFormat::Dng
        | SourceFormat::Cr2
        | SourceFormat::Nef
        | SourceFormat::Arw
        | SourceFormat::Rw2
        | SourceFormat::Orf
        | SourceFormat::Pef => {
            let mut out = original.to_vec();
            scrub_tiff(&mut out, true);
            Ok(out)
        }
        SourceFormat::Heic | SourceFormat::Avif | SourceFormat::Cr3 | SourceFormat::Raf => {
            Err(PipelineError::UnsupportedType(format!(
                "removing location from {} originals is not supported",
                format.name()
            )))
        }
    }
}

/// Zeroes, in a TIFF structure, every GPS IFD (entries and values) and, with
/// `blocks`, the XMP and IPTC values. Offsets outside `tiff` are skipped.
fn scrub_tiff(tiff: &mut [u8], blocks: bool) {
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    {
        let t = TiffBytes::new(tiff);
        for ifd in t.all_ifds() {
            let entries = t.entries(ifd);
            if let Some(gps) =
                crate::metadata::tiff::find(&entries, GPS_IFD_TAG).and_then(|e| t.scalar(e))
            {
                let gps = gps as usize;
                let gps_entries = t.entries(gps);
                // The values, the entries, then the count (an empty IFD).
                ranges.extend(gps_entries.iter().filter_map(|e| t.value_range(e)));
                ranges.push(gps + 2..gps + 2 + gps_entries.len() * 12);
                ranges.push(gps..gps + 2);
            }
            if blocks {
                for tag in [XMP_TAG, IPTC_TAG] {
                    if let Some(range) =
                        crate::metadata::tiff::find(&entries, tag).and_then(|e| t.value_range(e))
                    {
                        ranges.push(range);
                    }
                }
            }
        }
    }
    for range in ranges {
        let end = range.end.min(tiff.len());
        if range.start < end {
            tiff[range.start..end].fill(0);
        }
    }
}

/// JPEG: XMP (APP1) and IPTC (APP13) segments dropped, EXIF's GPS zeroed.
fn strip_jpeg(jpeg: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(jpeg.len());
    out.extend_from_slice(jpeg.get(..2)?);
    let mut at = 2;
    loop {
        let marker = *jpeg.get(at + 1)?;
        if *jpeg.get(at)? != 0xFF {
            return None;
        }
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            // Start of scan (or end): the rest is entropy-coded data.
            out.extend_from_slice(&jpeg[at..]);
            return Some(out);
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            out.extend_from_slice(&jpeg[at..at + 2]);
            at += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(at + 2)?, *jpeg.get(at + 3)?]));
        let segment = jpeg.get(at..at.checked_add(2 + len)?)?;
        let body = &segment[4..];
        let is_xmp = marker == 0xE1
            && (body.starts_with(b"http://ns.adobe.com/xap/1.0/\0")
                || body.starts_with(b"http://ns.adobe.com/xmp/extension/\0"));
        let is_iptc = marker == 0xED;
        if marker == 0xE1 && body.starts_with(b"Exif\0\0") {
            let start = out.len();
            out.extend_from_slice(segment);
            scrub_tiff(&mut out[start + 10..], false);
        } else if !is_xmp && !is_iptc {
            out.extend_from_slice(segment);
        }
        at += 2 + len;
    }
}

/// PNG: the eXIf chunk and XMP / raw-profile text chunks dropped.
fn strip_png(png: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(png.len());
    out.extend_from_slice(png.get(..8)?);
    let mut at = 8;
    while at < png.len() {
        let len = u32::from_be_bytes(png.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind = png.get(at + 4..at + 8)?;
        let chunk = png.get(at..at.checked_add(12 + len)?)?;
        let data = &chunk[8..8 + len];
        let text_with_location = matches!(kind, b"iTXt" | b"tEXt" | b"zTXt")
            && (data.starts_with(b"XML:com.adobe.xmp\0")
                || data.starts_with(b"Raw profile type exif\0")
                || data.starts_with(b"Raw profile type xmp\0")
                || data.starts_with(b"Raw profile type iptc\0"));
        if kind != b"eXIf" && !text_with_location {
            out.extend_from_slice(chunk);
        }
        at += 12 + len;
        if kind == b"IEND" {
            break;
        }
    }
    Some(out)
}

/// WebP: the EXIF and XMP chunks dropped, and their VP8X flags cleared.
fn strip_webp(webp: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(webp.len());
    out.extend_from_slice(webp.get(..12)?);
    let mut at = 12;
    while at + 8 <= webp.len() {
        let kind = webp.get(at..at + 4)?;
        let len = u32::from_le_bytes(webp.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        let padded = len + (len & 1);
        let chunk = webp.get(at..(at + 8 + padded).min(webp.len()))?;
        if kind == b"VP8X" {
            let start = out.len();
            out.extend_from_slice(chunk);
            // Flags byte: bit 3 EXIF, bit 2 XMP.
            if let Some(flags) = out.get_mut(start + 8) {
                *flags &= !(0x08 | 0x04);
            }
        } else if kind != b"EXIF" && kind != b"XMP " {
            out.extend_from_slice(chunk);
        }
        at += 8 + padded;
    }
    let riff_size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF with Make in IFD0 and a GPS IFD holding
    /// latitude and longitude (3 rationals each, out of line).
    fn tiff_with_gps() -> Vec<u8> {
        let mut t = b"II*\0\x08\0\0\0".to_vec();
        // IFD0 at 8: 2 entries (Make, GPS pointer).
        t.extend_from_slice(&2u16.to_le_bytes());
        t.extend_from_slice(&0x010Fu16.to_le_bytes()); // Make
        t.extend_from_slice(&2u16.to_le_bytes());
        t.extend_from_slice(&4u32.to_le_bytes());
        t.extend_from_slice(b"Abc\0");
        t.extend_from_slice(&GPS_IFD_TAG.to_le_bytes());
        t.extend_from_slice(&4u16.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&38u32.to_le_bytes()); // GPS IFD at 38
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(t.len(), 38);
        t.extend_from_slice(&4u16.to_le_bytes());
        let mut entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&kind.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            t.extend_from_slice(&value);
        };
        entry(1, 2, 2, *b"N\0\0\0"); // GPSLatitudeRef
        entry(2, 5, 3, 92u32.to_le_bytes()); // GPSLatitude
        entry(3, 2, 2, *b"E\0\0\0"); // GPSLongitudeRef
        entry(4, 5, 3, 116u32.to_le_bytes()); // GPSLongitude
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(t.len(), 92);
        for v in [48u32, 1, 51, 1, 2959, 100, 2, 1, 17, 1, 4000, 100] {
            t.extend_from_slice(&v.to_le_bytes());
        }
        t
    }

    fn jpeg_with(app_segments: &[Vec<u8>]) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([90, 120, 200]));
        let mut encoded = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(
                &mut std::io::Cursor::new(&mut encoded),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        let mut out = encoded[..2].to_vec();
        for s in app_segments {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&encoded[2..]);
        out
    }

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(body);
        s
    }

    #[test]
    fn jpeg_loses_gps_xmp_and_iptc_and_keeps_the_rest() {
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&tiff_with_gps());
        let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        xmp.extend_from_slice(
            b"<x:xmpmeta><exif:GPSLatitude>48,51.3N</exif:GPSLatitude></x:xmpmeta>",
        );
        let original = jpeg_with(&[
            segment(0xE1, &exif),
            segment(0xE1, &xmp),
            segment(0xED, b"Photoshop 3.0\0city: Paris"),
        ]);
        let before = crate::metadata::read_metadata(&original);
        assert!(before.gps.is_some(), "the fixture has a location");
        let stripped = strip_location(&original).unwrap();
        let after = crate::metadata::read_metadata(&stripped);
        assert_eq!(after.gps, None);
        assert_eq!(after.make.as_deref(), Some("Abc"));
        assert!(!stripped.windows(9).any(|w| w == b"GPSLatitu"), "XMP gone");
        assert!(!stripped.windows(5).any(|w| w == b"Paris"), "IPTC gone");
        // The rationals 48/1 51/1 are gone from the bytes, not just unlinked.
        let lat = [48u8, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0];
        assert!(original.windows(12).any(|w| w == lat));
        assert!(!stripped.windows(12).any(|w| w == lat));
        // Same pixels.
        let a = image::load_from_memory(&original).unwrap().to_rgb8();
        let b = image::load_from_memory(&stripped).unwrap().to_rgb8();
        assert_eq!(a, b);
    }

    #[test]
    fn tiff_gps_is_zeroed_in_place() {
        let original = tiff_with_gps();
        let mut scrubbed = original.clone();
        scrub_tiff(&mut scrubbed, true);
        assert_eq!(scrubbed.len(), original.len());
        let t = TiffBytes::new(&scrubbed);
        assert_eq!(t.u16_at(38), Some(0), "empty GPS IFD");
        assert_eq!(&scrubbed[18..22], b"Abc\0");
        assert!(scrubbed[38..].iter().all(|b| *b == 0));
    }

    #[test]
    fn png_and_webp_lose_their_metadata_chunks() {
        let img = image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img.clone())
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        // Insert an eXIf chunk after IHDR (8 + 25 bytes).
        let tiff = tiff_with_gps();
        let mut chunk = (tiff.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(b"eXIf");
        chunk.extend_from_slice(&tiff);
        chunk.extend_from_slice(&[0, 0, 0, 0]);
        let mut with_exif = png[..33].to_vec();
        with_exif.extend_from_slice(&chunk);
        with_exif.extend_from_slice(&png[33..]);
        let stripped = strip_location(&with_exif).unwrap();
        assert_eq!(stripped, png);

        let mut webp = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(
                &mut std::io::Cursor::new(&mut webp),
                image::ImageFormat::WebP,
            )
            .unwrap();
        let mut exif_chunk = b"EXIF".to_vec();
        exif_chunk.extend_from_slice(&(tiff.len() as u32).to_le_bytes());
        exif_chunk.extend_from_slice(&tiff);
        let mut with_exif = webp.clone();
        with_exif.extend_from_slice(&exif_chunk);
        let size = (with_exif.len() - 8) as u32;
        with_exif[4..8].copy_from_slice(&size.to_le_bytes());
        let stripped = strip_location(&with_exif).unwrap();
        assert_eq!(stripped, webp);
    }

    #[test]
    fn broken_or_unrewritable_files_are_refused_not_passed_through() {
        let mut truncated = jpeg_with(&[]);
        truncated.truncate(5);
        assert!(strip_location(&truncated).is_err());
        assert!(strip_location(b"not an image at all").is_err());
    }
}
