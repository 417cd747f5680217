//! A 16-bit RGB TIFF written as it is sent: the header and directory first
//! (every size is known once the picture is finished), then the pixels a
//! strip of rows at a time, quantised as they go — so a full-size export
//! never holds the whole encoded file (144 MB for 24 MP) as well as the
//! picture.
//!
//! Baseline TIFF 6.0, little-endian, uncompressed, chunky RGB, 16 bits per
//! sample, with the sRGB ICC profile (tag 34675) and, when given, an XMP
//! packet (tag 700).

use image::Rgb32FImage;

use super::light::sample_16;
use crate::PipelineError;
use crate::encode::colour::srgb_profile;

/// Rows per strip: about 1.5 MB for a 6000 px wide picture.
const ROWS_PER_STRIP: u32 = 64;

/// The file's size for a `width × height` picture.
pub(crate) fn tiff16_length(width: u32, height: u32, xmp: Option<&[u8]>) -> u64 {
    let (header, _) = header(width, height, xmp);
    header.len() as u64 + u64::from(width) * u64::from(height) * 6
}

/// Writes the TIFF of `image` (sRGB-encoded f32, 0..1) to `sink`, a chunk at
/// a time; stops early (without error) when `sink` returns false.
pub(crate) fn write_tiff16(
    image: &Rgb32FImage,
    xmp: Option<&[u8]>,
    sink: &mut dyn FnMut(Vec<u8>) -> bool,
) -> Result<(), PipelineError> {
    let (width, height) = image.dimensions();
    if tiff16_length(width, height, xmp) > u64::from(u32::MAX) {
        return Err(PipelineError::Encode(
            "a 16-bit TIFF of this size would pass 4 GB".into(),
        ));
    }
    let (header, _) = header(width, height, xmp);
    if !sink(header) {
        return Ok(());
    }
    let row = width as usize * 3;
    for strip in image.as_raw().chunks(row * ROWS_PER_STRIP as usize) {
        let mut bytes = Vec::with_capacity(strip.len() * 2);
        for v in strip {
            bytes.extend_from_slice(&sample_16(*v).to_le_bytes());
        }
        if !sink(bytes) {
            return Ok(());
        }
    }
    Ok(())
}

/// Everything before the pixels, and where the pixels start.
fn header(width: u32, height: u32, xmp: Option<&[u8]>) -> (Vec<u8>, u32) {
    let strips = height.div_ceil(ROWS_PER_STRIP).max(1);
    let strip_bytes = |i: u32| {
        let rows = ROWS_PER_STRIP.min(height - i * ROWS_PER_STRIP);
        rows * width * 6
    };
    let icc = srgb_profile();
    // (tag, type, count, value or offset): 3 SHORT, 4 LONG, 7 UNDEFINED.
    let entry_count = 12 + u32::from(xmp.is_some());
    let ifd_len = 2 + entry_count * 12 + 4;
    let mut extra_at = 8 + ifd_len;
    let bits_at = extra_at;
    extra_at += 6;
    let offsets_at = extra_at;
    extra_at += 4 * strips;
    let counts_at = extra_at;
    extra_at += 4 * strips;
    let icc_at = extra_at;
    extra_at += icc.len() as u32;
    extra_at += extra_at % 2;
    let xmp_at = extra_at;
    extra_at += xmp.map_or(0, |x| x.len() as u32);
    extra_at += extra_at % 2; // word-aligned pixel data
    let pixels_at = extra_at;
    let short = |v: u16| u32::from(v);
    let mut entries: Vec<(u16, u16, u32, u32)> = vec![
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 3, bits_at),
        (259, 3, 1, short(1)), // no compression
        (262, 3, 1, short(2)), // RGB
        (
            273,
            4,
            strips,
            if strips == 1 { pixels_at } else { offsets_at },
        ),
        (277, 3, 1, short(3)),
        (278, 4, 1, ROWS_PER_STRIP.min(height.max(1))),
        (
            279,
            4,
            strips,
            if strips == 1 {
                strip_bytes(0)
            } else {
                counts_at
            },
        ),
        (284, 3, 1, short(1)), // chunky
        (296, 3, 1, short(1)), // no absolute unit
        (34675, 7, icc.len() as u32, icc_at),
    ];
    if let Some(xmp) = xmp {
        // BYTE, as the XMP specification has it; tags stay in order.
        entries.insert(entries.len() - 1, (700, 1, xmp.len() as u32, xmp_at));
    }
    let mut out = Vec::with_capacity(pixels_at as usize);
    out.extend_from_slice(b"II*\0");
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, count, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    for _ in 0..3 {
        out.extend_from_slice(&16u16.to_le_bytes());
    }
    for i in 0..strips {
        let offset = pixels_at + (0..i).map(strip_bytes).sum::<u32>();
        out.extend_from_slice(&offset.to_le_bytes());
    }
    for i in 0..strips {
        out.extend_from_slice(&strip_bytes(i).to_le_bytes());
    }
    out.extend_from_slice(icc);
    if let Some(xmp) = xmp {
        out.resize(xmp_at as usize, 0);
        out.extend_from_slice(xmp);
    }
    out.resize(pixels_at as usize, 0);
    (out, pixels_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn written(image: &Rgb32FImage) -> Vec<u8> {
        let mut out = Vec::new();
        write_tiff16(image, None, &mut |chunk| {
            out.extend_from_slice(&chunk);
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn other_readers_read_every_sample_and_the_profile() {
        // 150 rows: two full strips and a short one.
        let image = Rgb32FImage::from_fn(37, 150, |x, y| {
            Rgb([
                x as f32 / 36.0,
                y as f32 / 149.0,
                ((x * y) % 97) as f32 / 96.0,
            ])
        });
        let bytes = written(&image);
        assert_eq!(bytes.len() as u64, tiff16_length(37, 150, None));
        let mut decoder =
            image::codecs::tiff::TiffDecoder::new(std::io::Cursor::new(&bytes)).unwrap();
        use image::ImageDecoder;
        assert_eq!(
            decoder.icc_profile().unwrap().as_deref(),
            Some(srgb_profile())
        );
        let decoded = image::DynamicImage::from_decoder(decoder).unwrap();
        let DynamicImage16(pixels) = as16(decoded);
        for (x, y, p) in pixels.enumerate_pixels() {
            let expected = image.get_pixel(x, y).0.map(sample_16);
            assert_eq!(p.0, expected, "({x}, {y})");
        }
        // One strip only, and a client that goes away after the header.
        let small = Rgb32FImage::from_pixel(5, 3, Rgb([0.5; 3]));
        let decoded = image::load_from_memory(&written(&small)).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (5, 3));
        let mut chunks = 0;
        write_tiff16(&image, None, &mut |_| {
            chunks += 1;
            false
        })
        .unwrap();
        assert_eq!(chunks, 1);
    }

    #[test]
    fn an_xmp_packet_is_tag_700_and_the_pixels_still_read() {
        let image = Rgb32FImage::from_fn(9, 70, |x, y| Rgb([x as f32 / 8.0, y as f32 / 69.0, 0.5]));
        let packet = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>odd</x:xmpmeta>";
        let mut bytes = Vec::new();
        write_tiff16(&image, Some(packet), &mut |chunk| {
            bytes.extend_from_slice(&chunk);
            true
        })
        .unwrap();
        assert_eq!(bytes.len() as u64, tiff16_length(9, 70, Some(packet)));
        let exif = crate::metadata::read_exif(&bytes).expect("a TIFF directory");
        let field = exif
            .get_field(exif::Tag(exif::Context::Tiff, 700), exif::In::PRIMARY)
            .expect("tag 700");
        match &field.value {
            exif::Value::Byte(b) => assert_eq!(b.as_slice(), packet),
            other => panic!("{other:?}"),
        }
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (9, 70));
        let DynamicImage16(pixels) = as16(decoded);
        assert_eq!(
            pixels.get_pixel(8, 69).0,
            image.get_pixel(8, 69).0.map(sample_16)
        );
    }

    struct DynamicImage16(image::ImageBuffer<Rgb<u16>, Vec<u16>>);

    fn as16(image: image::DynamicImage) -> DynamicImage16 {
        match image {
            image::DynamicImage::ImageRgb16(i) => DynamicImage16(i),
            other => panic!("not 16-bit RGB: {:?}", other.color()),
        }
    }
}
