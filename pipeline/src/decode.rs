//! Decoding originals to pixels, within limits, as small as the output allows.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, RgbImage};

use crate::metadata::read_orientation;
use crate::orient::Orientation;
use crate::probe::PROBE_PREFIX_BYTES;
use crate::resize::fit;
use crate::{Limits, PipelineError, SourceFormat};

/// Decoded pixels, possibly already reduced by shrink-on-load.
pub(crate) struct Decoded {
    /// 8-bit RGB or greyscale pixels, in stored orientation.
    pub image: DynamicImage,
    /// How to turn them upright.
    pub orientation: Orientation,
    /// The original's stored size (before any shrink-on-load).
    pub source_width: u32,
    pub source_height: u32,
}

/// Decodes `bytes`. `largest_long_edge` is the biggest output wanted: a JPEG
/// at least four times that size is decoded in the DCT domain at 1/2, 1/4 or
/// 1/8 scale (the smallest that is still twice the output), which skips most
/// of the inverse DCT and never allocates the full-size frame.
pub(crate) fn decode(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
    largest_long_edge: u32,
) -> Result<Decoded, PipelineError> {
    // EXIF orientation, read from the header only (well under a millisecond).
    let orientation = read_orientation(&bytes[..bytes.len().min(PROBE_PREFIX_BYTES)])
        .map_or(Orientation::Normal, Orientation::from_exif);
    if format == SourceFormat::Jpeg
        && let Some(decoded) = decode_jpeg_scaled(bytes, limits, largest_long_edge, orientation)?
    {
        return Ok(decoded);
    }
    let image = decode_full(format, bytes, limits)?;
    Ok(Decoded {
        source_width: image.width(),
        source_height: image.height(),
        image,
        orientation,
    })
}

/// The DCT-scaled path; `None` when it does not apply (small reduction, or a
/// pixel layout it does not produce directly, such as CMYK).
fn decode_jpeg_scaled(
    bytes: &[u8],
    limits: &Limits,
    largest_long_edge: u32,
    orientation: Orientation,
) -> Result<Option<Decoded>, PipelineError> {
    let corrupt = |e: jpeg_decoder::Error| PipelineError::Corrupt {
        format: SourceFormat::Jpeg,
        reason: e.to_string(),
    };
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(corrupt)?;
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    limits.check_dimensions(width, height)?;
    // libvips' rule: leave at least 2× for the exact resize. jpeg-decoder's
    // reduced IDCTs are coarse, and a Lanczos reduction of 2× or more smooths
    // their error away; closer to the target, a 1/2-scale decode measured
    // up to 3 dB worse than a full decode on a real photo.
    if width.max(height) < largest_long_edge.saturating_mul(4) {
        return Ok(None);
    }
    if !matches!(
        info.pixel_format,
        jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::L8
    ) {
        return Ok(None);
    }
    let (want_w, want_h) = fit(width, height, largest_long_edge.saturating_mul(2));
    let to_u16 = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    let (w, h) = decoder
        .scale(to_u16(want_w), to_u16(want_h))
        .map_err(corrupt)?;
    decoder.set_max_decoding_buffer_size(
        usize::try_from(limits.max_pixels.saturating_mul(4)).unwrap_or(usize::MAX),
    );
    let pixels = decoder.decode().map_err(corrupt)?;
    let (w, h) = (u32::from(w), u32::from(h));
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => {
            RgbImage::from_raw(w, h, pixels).map(DynamicImage::ImageRgb8)
        }
        _ => GrayImage::from_raw(w, h, pixels).map(DynamicImage::ImageLuma8),
    }
    .ok_or_else(|| PipelineError::Corrupt {
        format: SourceFormat::Jpeg,
        reason: "decoder returned fewer pixels than its header promised".into(),
    })?;
    Ok(Some(Decoded {
        image,
        orientation,
        source_width: width,
        source_height: height,
    }))
}

/// Full-resolution decode through the `image` crate (zune-jpeg for JPEG),
/// with the limits enforced by the decoder itself.
fn decode_full(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
) -> Result<DynamicImage, PipelineError> {
    let corrupt = |e: image::ImageError| match e {
        image::ImageError::Limits(_) => PipelineError::LimitExceeded {
            what: "decoded size",
            limit: limits.max_pixels,
            actual: 0,
        },
        e => PipelineError::Corrupt {
            format,
            reason: e.to_string(),
        },
    };
    let image_format = format
        .image_format()
        .ok_or(PipelineError::NoDecoder(format))?;
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), image_format);
    reader.limits(limits.to_image_limits());
    let decoder = reader.into_decoder().map_err(corrupt)?;
    let (w, h) = image::ImageDecoder::dimensions(&decoder);
    limits.check_dimensions(w, h)?;
    let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    Ok(match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageLuma8(_) => image,
        DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLuma8(image.into_luma8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::jpeg;

    #[test]
    fn large_reductions_decode_at_a_dct_scale_that_leaves_2x_for_the_resize() {
        let bytes = jpeg(4000, 3000);
        let d = decode(SourceFormat::Jpeg, &bytes, &Limits::default(), 256).unwrap();
        // 1/4 of 4000×3000 is 1000×750: the smallest scale ≥ 2 × 256×192
        // (1/8, 500×375, would leave less than 2× for the exact resize).
        assert_eq!((d.image.width(), d.image.height()), (1000, 750));
        assert_eq!((d.source_width, d.source_height), (4000, 3000));
        let d = decode(SourceFormat::Jpeg, &bytes, &Limits::default(), 700).unwrap();
        assert_eq!((d.image.width(), d.image.height()), (2000, 1500));
    }

    #[test]
    fn small_reductions_decode_in_full() {
        let bytes = jpeg(4000, 2000);
        let d = decode(SourceFormat::Jpeg, &bytes, &Limits::default(), 1440).unwrap();
        assert_eq!((d.image.width(), d.image.height()), (4000, 2000));
    }

    #[test]
    fn scaled_decode_matches_full_decode_closely() {
        // Same picture either way: compare a 1/4-scale decode (asked for a
        // 200 px output) with a full decode box-averaged to the same size.
        let bytes = jpeg(1600, 1200);
        let scaled = decode(SourceFormat::Jpeg, &bytes, &Limits::default(), 200)
            .unwrap()
            .image
            .to_rgb8();
        let full = decode_full(SourceFormat::Jpeg, &bytes, &Limits::default())
            .unwrap()
            .to_rgb8();
        assert_eq!(scaled.dimensions(), (400, 300));
        let mut worst = 0i32;
        for (x, y) in [(10, 10), (200, 150), (390, 290), (100, 250)] {
            let mut sum = [0u32; 3];
            for dy in 0..4 {
                for dx in 0..4 {
                    let p = full.get_pixel(x * 4 + dx, y * 4 + dy);
                    for c in 0..3 {
                        sum[c] += u32::from(p[c]);
                    }
                }
            }
            let s = scaled.get_pixel(x, y);
            for c in 0..3 {
                worst = worst.max((i32::from(s[c]) - (sum[c] / 16) as i32).abs());
            }
        }
        assert!(worst <= 6, "scaled and full decodes differ by {worst}");
    }

    #[test]
    fn scaled_path_refuses_oversized_headers() {
        let limits = Limits {
            max_pixels: 1_000_000,
            ..Limits::default()
        };
        let err = decode(SourceFormat::Jpeg, &jpeg(2000, 1000), &limits, 256)
            .err()
            .unwrap();
        assert!(matches!(err, PipelineError::LimitExceeded { .. }), "{err}");
    }
}
