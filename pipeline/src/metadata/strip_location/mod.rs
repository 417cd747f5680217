//! Removing where a photo was taken from an original, for share links.
//!
//! An original leaves through a link rebuilt from what is known to be safe,
//! not with known dangers cut out of it:
//! * JPEG ([`jpeg`]): the first image's decoding segments, JFIF, ICC and
//!   Adobe markers, and EXIF with location and maker notes zeroed; nothing
//!   after the first image (MPF images, appended previews, motion videos).
//! * PNG ([`png`]) and WebP ([`webp`]): chunks from an allow-list.
//! * TIFF and DNG ([`tiff`]): rewritten in place, location, maker notes and
//!   XMP/IPTC zeroed in every IFD and every embedded JPEG preview.
//!
//!
//! Whatever the kind, a last pass ([`xmp_packets`]) zeroes any XMP packet
//! left in the bytes, for readers that find one by scanning.
//!
//! Other camera RAWs keep data their decoders need in the maker notes,
//! where cameras also record places, and ISO-box formats (HEIC, AVIF, CR3)
//! and RAF are not rewritten here: those are refused, and links serve
//! their renditions instead.
//!
//! Every kind is rewritten as its bytes stream past ([`LocationStripper`]),
//! with memory bounded whatever the file's size: what needs looking ahead
//! (TIFF offsets, WebP's size) is planned first from reads through
//! [`ReadAt`].

mod edits;
mod jpeg;
mod png;
mod read_at;
mod tiff;
mod webp;
mod xmp_packets;

pub use read_at::{Paged, ReadAt};

use crate::PipelineError;
use crate::format::{SourceFormat, sniff};
use edits::EditStream;
use xmp_packets::XmpPacketScrubber;

/// How much of the front of a file tells its format (DNG by IFD0's tags).
const SNIFFED_BYTES: usize = 64 * 1024;

/// Rewrites one original, chunk by chunk, into a copy without location.
pub struct LocationStripper {
    kind: Kind,
    packets: XmpPacketScrubber,
    /// The kind's output, before the last pass (reused between chunks).
    rewritten: Vec<u8>,
}

enum Kind {
    Jpeg(jpeg::JpegFilter),
    Png(png::PngFilter),
    Planned(EditStream),
}

impl LocationStripper {
    /// Rewrites the next `input` bytes of the original into `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), PipelineError> {
        self.rewritten.clear();
        match &mut self.kind {
            Kind::Jpeg(filter) => filter.push(input, &mut self.rewritten)?,
            Kind::Png(filter) => filter.push(input, &mut self.rewritten)?,
            Kind::Planned(stream) => stream.push(input, &mut self.rewritten),
        }
        self.packets.push(&self.rewritten, out);
        Ok(())
    }

    /// Ends the rewrite, after the original's last byte.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), PipelineError> {
        self.rewritten.clear();
        match self.kind {
            Kind::Jpeg(filter) => filter.finish(&mut self.rewritten)?,
            Kind::Png(filter) => filter.finish(&mut self.rewritten)?,
            Kind::Planned(_) => {}
        }
        self.packets.push(&self.rewritten, out);
        self.packets.finish(out);
        Ok(())
    }
}

/// A rewriter for the original `source`, or an error naming why it cannot
/// be shared (not a photo, or a format this does not rewrite). Reads the
/// front of `source`, and for TIFF and WebP the structure they point at.
pub fn location_stripper(source: &dyn ReadAt) -> Result<LocationStripper, PipelineError> {
    let head = source.read_at(0, SNIFFED_BYTES)?;
    let format =
        sniff(&head).ok_or_else(|| PipelineError::UnsupportedType("not a photo file".into()))?;
    let kind = match format {
        SourceFormat::Jpeg => Kind::Jpeg(jpeg::JpegFilter::default()),
        SourceFormat::Png => Kind::Png(png::PngFilter::default()),
        SourceFormat::Webp => {
            let (edits, end) = webp::plan(&Paged::new(source))?;
            Kind::Planned(EditStream::new(edits, Some(end)))
        }
        SourceFormat::Tiff | SourceFormat::Dng => {
            let edits = tiff::plan(&Paged::new(source), 0)?;
            Kind::Planned(EditStream::new(edits, None))
        }
        SourceFormat::Cr2
        | SourceFormat::Nef
        | SourceFormat::Arw
        | SourceFormat::Rw2
        | SourceFormat::Orf
        | SourceFormat::Pef => {
            return Err(PipelineError::UnsupportedType(format!(
                "{} originals keep data their decoders need in maker notes, where cameras also \
                 record places, so they are not sent through links",
                format.name()
            )));
        }
        SourceFormat::Heic | SourceFormat::Avif | SourceFormat::Cr3 | SourceFormat::Raf => {
            return Err(PipelineError::UnsupportedType(format!(
                "removing location from {} originals is not supported",
                format.name()
            )));
        }
    };
    Ok(LocationStripper {
        kind,
        packets: XmpPacketScrubber::default(),
        rewritten: Vec::new(),
    })
}

/// `original` with its location removed, or an error naming why it cannot
/// be (a format this does not rewrite).
pub fn strip_location(original: &[u8]) -> Result<Vec<u8>, PipelineError> {
    let mut stripper = location_stripper(&original)?;
    let mut out = Vec::with_capacity(original.len());
    stripper.push(original, &mut out)?;
    stripper.finish(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::tiff::TiffBytes;
    use crate::testing::jpeg_segment;

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
        t.extend_from_slice(&0x8825u16.to_le_bytes());
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
        let encoded = crate::testing::small_jpeg();
        let mut out = encoded[..2].to_vec();
        for s in app_segments {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&encoded[2..]);
        out
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
            jpeg_segment(0xE1, &exif),
            jpeg_segment(0xE1, &xmp),
            jpeg_segment(0xED, b"Photoshop 3.0\0city: Paris"),
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
        let scrubbed = edits::apply(&original, tiff::plan(&original.as_slice(), 0).unwrap());
        assert_eq!(scrubbed.len(), original.len());
        let t = TiffBytes::new(&scrubbed);
        assert_eq!(t.u16_at(38), Some(0), "empty GPS IFD");
        assert_eq!(&scrubbed[18..22], b"Abc\0");
        assert!(scrubbed[38..].iter().all(|b| *b == 0));
    }

    #[test]
    fn bytes_no_ifd_points_at_are_zeroed() {
        // Make's value sits in its entry; between IFD0 (ends at 38) and the
        // GPS IFD nothing points. Hide a place there and after the end.
        let mut original = tiff_with_gps();
        original.splice(38..38, b"Paris...".iter().copied());
        let gps_at = 38 + 8;
        original[30..34].copy_from_slice(&(gps_at as u32).to_le_bytes());
        original[gps_at + 2 + 12 + 8..gps_at + 2 + 24].copy_from_slice(&(92u32 + 8).to_le_bytes());
        original[gps_at + 2 + 36 + 8..gps_at + 2 + 48].copy_from_slice(&(116u32 + 8).to_le_bytes());
        original.extend_from_slice(b"<x:xmpmeta>Rome</x:xmpmeta>");
        assert!(crate::metadata::read_metadata(&original).gps.is_some());

        let stripped = strip_location(&original).unwrap();
        assert_eq!(stripped.len(), original.len());
        assert_eq!(&stripped[..38], &original[..38], "header and IFD0 kept");
        assert!(stripped[38..].iter().all(|b| *b == 0), "{stripped:?}");
    }

    /// Found by the strip_location fuzz target: IFDs that make little sense
    /// and an XMP packet with GPS that none of them points at.
    #[test]
    fn xmp_outside_the_ifds_is_zeroed() {
        let original =
            include_bytes!("../../../fuzz/regressions/strip_location/xmp-outside-the-ifds.tif");
        let has = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(
            has(original, b"<x:xmpmeta"),
            "the regression file has its packet"
        );
        let stripped = strip_location(original).unwrap();
        assert!(!has(&stripped, b"<x:xmpmeta"));
        assert!(!has(&stripped, b"GPS"));
        assert_eq!(crate::metadata::read_metadata(&stripped).gps, None);
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

    /// Every JPEG start anywhere in `bytes` (first image, thumbnails,
    /// previews, appended images), read as if it were a file of its own.
    fn every_embedded_jpeg(bytes: &[u8]) -> Vec<&[u8]> {
        (0..bytes.len().saturating_sub(3))
            .filter(|&i| bytes[i..i + 3] == [0xFF, 0xD8, 0xFF])
            .map(|i| &bytes[i..])
            .collect()
    }

    fn says_where(bytes: &[u8]) -> bool {
        let place = crate::testing::PLACE_NAME.as_bytes();
        bytes.windows(place.len()).any(|w| w == place)
            || every_embedded_jpeg(bytes)
                .iter()
                .any(|jpeg| crate::metadata::read_metadata(jpeg).gps.is_some())
    }

    #[test]
    fn no_image_inside_a_jpeg_keeps_a_location() {
        let original = crate::testing::located_jpeg(&jpeg_with(&[]));
        assert!(says_where(&original), "the fixture says where");
        assert_eq!(
            every_embedded_jpeg(&original).len(),
            3,
            "image, thumbnail, second image"
        );
        let stripped = strip_location(&original).unwrap();
        assert!(!says_where(&stripped));
        // Nothing after the first image: the second image and the video are gone.
        assert!(stripped.ends_with(&[0xFF, 0xD9]));
        let meta = crate::metadata::read_metadata(&stripped);
        assert_eq!(meta.make.as_deref(), Some("Abc"));
        let a = image::load_from_memory(&original).unwrap().to_rgb8();
        let b = image::load_from_memory(&stripped).unwrap().to_rgb8();
        assert_eq!(a, b, "the same pixels");
    }

    #[test]
    fn no_image_inside_a_dng_keeps_a_location() {
        let scene = image::RgbImage::from_fn(32, 24, |x, y| {
            image::Rgb([(x * 8) as u8, (y * 10) as u8, 90])
        });
        let neutral = [0.5, 1.0, 0.667];
        let camera = crate::testing::camera_from_srgb(&scene, neutral);
        let original = crate::testing::located_dng(&camera, neutral);
        assert!(says_where(&original), "the fixture says where");
        assert!(crate::metadata::read_metadata(&original).gps.is_some());
        let stripped = strip_location(&original).unwrap();
        assert_eq!(stripped.len(), original.len(), "rewritten in place");
        assert!(!says_where(&stripped));
        assert_eq!(crate::metadata::read_metadata(&stripped).gps, None);
        // Streamed in small chunks from a paged reader: the same bytes.
        let mut stripper = location_stripper(&original.as_slice()).unwrap();
        let mut streamed = Vec::new();
        for chunk in original.chunks(1000) {
            stripper.push(chunk, &mut streamed).unwrap();
        }
        stripper.finish(&mut streamed).unwrap();
        assert_eq!(streamed, stripped);
        // The same RAW to a reader (developing it is the helper's test).
        let (a, b) = (
            crate::info(&original).unwrap(),
            crate::info(&stripped).unwrap(),
        );
        assert_eq!((b.format, b.width, b.height), (a.format, a.width, a.height));
        assert_eq!(b.metadata.make, a.metadata.make);
    }

    #[test]
    fn raws_whose_decoders_need_maker_notes_are_refused() {
        let mut cr2 = b"II*\0\x10\0\0\0CR\x02\0".to_vec();
        cr2.resize(64, 0);
        let error = strip_location(&cr2).unwrap_err().to_string();
        assert!(error.contains("maker notes"), "{error}");
    }

    /// Found by the `strip_location` fuzz target: a TIFF header cut inside
    /// its IFD offset panicked (an index past the 7 bytes read).
    #[test]
    fn a_tiff_cut_inside_its_header_is_no_panic() {
        let stripped = strip_location(b"II*\x00\x08\x00\x0c").unwrap();
        assert_eq!(stripped, [0; 7], "nothing kept that could not be read");
        let mut exif = b"Exif\0\0II*\0\x08".to_vec();
        let mut segment = vec![0xFF, 0xE1, 0, (exif.len() + 2) as u8];
        segment.append(&mut exif);
        let jpeg = jpeg_with(&[segment]);
        assert!(strip_location(&jpeg).is_ok(), "nor in an EXIF segment");
    }
}
