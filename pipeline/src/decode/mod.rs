//! Decoding originals to pixels, within limits, as small as the output allows.

pub(crate) mod heif;
#[allow(unsafe_code)] // FFI to libjpeg-turbo; every block says why it is sound.
pub(crate) mod libjpeg;
pub(crate) mod raw;
pub(crate) mod raw_preview;

use std::io::Cursor;

use image::DynamicImage;

use crate::decode::libjpeg::{JpegColor, JpegDecoder};
use crate::metadata::read_orientation;
use crate::orient::Orientation;
use crate::probe::PROBE_PREFIX_BYTES;
use crate::{Limits, PipelineError, SourceFormat};

/// Decoded pixels, possibly already reduced by shrink-on-load.
pub struct Decoded {
    /// RGB or greyscale pixels, 8 or 16 bits (as the source had them), in
    /// stored orientation.
    pub image: DynamicImage,
    /// How to turn them upright.
    pub orientation: Orientation,
    /// The original's stored width (before any shrink-on-load).
    pub source_width: u32,
    /// The original's stored height.
    pub source_height: u32,
    /// The decoder's complaint about data it went past (a truncated scan).
    pub warning: Option<String>,
    /// The source's ICC profile, for converting the output to sRGB.
    pub icc: Option<Vec<u8>>,
}

impl Decoded {
    /// Pixels decoded at their stored size (no shrink-on-load), cleanly.
    pub fn as_decoded(image: DynamicImage, orientation: Orientation, icc: Option<Vec<u8>>) -> Self {
        Decoded {
            source_width: image.width(),
            source_height: image.height(),
            image,
            orientation,
            warning: None,
            icc,
        }
    }
}

/// How long the largest output's long edge is, given the stored size and the
/// orientation: what the decoder may shrink to, asked once it knows the size.
pub type NeededLongEdge<'a> = &'a dyn Fn(u32, u32, Orientation) -> u32;

/// Decodes `bytes`. `needed_long_edge` says how big the output must be: a JPEG
/// is decoded by libjpeg-turbo in the DCT domain at 1/8, 1/4 or 1/2 scale
/// when `shrink` allows, so neither the full-size frame nor most of the
/// inverse DCT is spent on a preview.
pub(crate) fn decode(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
    needed_long_edge: NeededLongEdge<'_>,
    shrink: ShrinkOnLoad,
) -> Result<Decoded, PipelineError> {
    // RAW and HEIF decoders live in the helper executable (see external.rs);
    // they read their own orientation (maker notes, HEIF's rotations).
    if format.is_camera_raw() || format.is_heif() {
        return crate::external::installed(format)?.decode(format, bytes, limits, needed_long_edge);
    }
    // EXIF orientation, read from the header only (well under a millisecond).
    let orientation = read_orientation(&bytes[..bytes.len().min(PROBE_PREFIX_BYTES)])
        .map_or(Orientation::Normal, Orientation::from_exif);
    if format == SourceFormat::Jpeg {
        return decode_jpeg(bytes, limits, needed_long_edge, shrink, orientation);
    }
    let (image, icc) = decode_full(format, bytes, limits)?;
    Ok(Decoded::as_decoded(image, orientation, icc))
}

/// How far a JPEG is shrunk in the DCT domain while it is decoded, before
/// the exact Lanczos3 resize. Measured on this project's machine (see
/// `benches/compare.sh` and the README's rendering section).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShrinkOnLoad {
    /// sharp's default ("fast shrink-on-load"): the smallest scale whose
    /// output still covers the largest rendition. About 1.5× faster than
    /// `Exact`. Previews of finely detailed photos (signage, handwriting)
    /// come out a touch crisper, with a little aliasing on fine patterns:
    /// 1–3.5 dB further from a full-resolution Lanczos3 reduction than
    /// libvips' on such photos, 0.25 dB on average over the W1 bench set;
    /// side by side at 2× zoom the difference is hard to see.
    #[default]
    Fast,
    /// libvips' rule: shrink on load only while at least 2× is left for the
    /// exact resize. Previews match libvips' within 0.1 dB.
    Exact,
}

impl ShrinkOnLoad {
    /// The smallest libjpeg scale (in eighths: 1, 2, 4 or 8) allowed for a
    /// `width × height` JPEG whose largest output has a `long_edge`.
    pub(crate) fn jpeg_scale_eighths(self, width: u32, height: u32, long_edge: u32) -> u8 {
        let long = u64::from(width.max(height));
        let needed = match self {
            ShrinkOnLoad::Fast => u64::from(long_edge),
            ShrinkOnLoad::Exact => u64::from(long_edge) * 2,
        };
        [1u8, 2, 4]
            .into_iter()
            .find(|&n| (long * u64::from(n)).div_ceil(8) >= needed)
            .unwrap_or(8)
    }
}

impl std::fmt::Display for ShrinkOnLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShrinkOnLoad::Fast => "fast",
            ShrinkOnLoad::Exact => "exact",
        })
    }
}

/// A shrink-on-load setting that is neither `fast` nor `exact`.
#[derive(Debug, thiserror::Error)]
#[error("invalid shrink-on-load {0:?}: expected fast or exact")]
pub struct InvalidShrinkOnLoad(String);

impl std::str::FromStr for ShrinkOnLoad {
    type Err = InvalidShrinkOnLoad;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fast" => Ok(ShrinkOnLoad::Fast),
            "exact" => Ok(ShrinkOnLoad::Exact),
            other => Err(InvalidShrinkOnLoad(other.to_string())),
        }
    }
}

/// Decodes a JPEG with libjpeg-turbo, checking the header's dimensions
/// against `limits` before any pixel buffer exists.
pub(crate) fn decode_jpeg(
    bytes: &[u8],
    limits: &Limits,
    needed_long_edge: NeededLongEdge<'_>,
    shrink: ShrinkOnLoad,
    orientation: Orientation,
) -> Result<Decoded, PipelineError> {
    let corrupt = |reason: String| PipelineError::Corrupt {
        format: SourceFormat::Jpeg,
        reason,
    };
    let decoder = JpegDecoder::new(bytes).map_err(corrupt)?;
    let header = decoder.header();
    limits.check_dimensions(header.width, header.height)?;
    let largest = needed_long_edge(header.width, header.height, orientation);
    let eighths = shrink.jpeg_scale_eighths(header.width, header.height, largest);
    // A CMYK profile cannot apply to the RGB that the naive CMYK
    // conversion makes.
    let icc = decoder
        .icc_profile()
        .filter(|_| !matches!(header.color, JpegColor::Cmyk { .. }));
    let decoded = decoder.decode(eighths).map_err(corrupt)?;
    // A truncated or damaged scan still gives a picture (libjpeg fills the
    // rest in grey); photographers would rather see that than nothing, and
    // the original is kept bit-exact either way.
    let (image, warning) = decoded.into_image();
    Ok(Decoded {
        image: image.ok_or_else(|| {
            corrupt("decoder returned fewer pixels than its header promised".into())
        })?,
        orientation,
        source_width: header.width,
        source_height: header.height,
        warning,
        icc,
    })
}

/// Full-resolution decode through the `image` crate, with the limits
/// enforced by the decoder itself; also returns the ICC profile.
fn decode_full(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
) -> Result<(DynamicImage, Option<Vec<u8>>), PipelineError> {
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
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (w, h) = image::ImageDecoder::dimensions(&decoder);
    limits.check_dimensions(w, h)?;
    // A broken profile is no reason to refuse the pixels.
    let icc = image::ImageDecoder::icc_profile(&mut decoder)
        .ok()
        .flatten();
    let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    Ok((into_render_layout(image), icc))
}

/// Decoded pixels in one of the layouts rendering takes: RGB or grey, 8 or
/// 16 bits. 16-bit sources stay 16-bit through resizing and colour
/// conversion (a linear or wide-gamut 16-bit TIFF would band in the shadows
/// if cut to 8 bits first); renditions drop to 8 bits just before encoding.
/// Transparency is shown over white, as a browser shows a PNG on a page,
/// rather than over whatever colour the transparent pixels hold (often black).
pub fn into_render_layout(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageRgb16(_)
        | DynamicImage::ImageLuma16(_) => image,
        DynamicImage::ImageLumaA8(la) => DynamicImage::ImageLuma8(flatten_on_white(la)),
        DynamicImage::ImageRgba8(rgba) => DynamicImage::ImageRgb8(flatten_on_white(rgba)),
        DynamicImage::ImageLumaA16(la) => DynamicImage::ImageLuma16(flatten_on_white(la)),
        DynamicImage::ImageRgba16(rgba) => DynamicImage::ImageRgb16(flatten_on_white(rgba)),
        DynamicImage::ImageRgba32F(_) => {
            DynamicImage::ImageRgb16(flatten_on_white(image.into_rgba16()))
        }
        other => DynamicImage::ImageRgb16(other.into_rgb16()),
    }
}

/// The pixels of an image with alpha (its last channel) composited over
/// white, the alpha channel dropped.
fn flatten_on_white<P, Q, T>(
    with_alpha: image::ImageBuffer<P, Vec<T>>,
) -> image::ImageBuffer<Q, Vec<T>>
where
    P: image::Pixel<Subpixel = T>,
    Q: image::Pixel<Subpixel = T>,
    T: image::Primitive,
{
    let (width, height) = with_alpha.dimensions();
    let channels = usize::from(P::CHANNEL_COUNT);
    let mut flat = Vec::with_capacity(with_alpha.len() / channels * (channels - 1));
    for pixel in with_alpha.as_raw().chunks_exact(channels) {
        let (colour, alpha) = pixel.split_at(channels - 1);
        flat.extend(colour.iter().map(|&c| over_white(c, alpha[0])));
    }
    image::ImageBuffer::from_raw(width, height, flat)
        .expect("invariant: one flattened pixel per source pixel")
}

/// `colour` at opacity `alpha` over white, rounded (8 or 16 bits).
fn over_white<T: image::Primitive>(colour: T, alpha: T) -> T {
    let wide = |v: T| v.to_u64().unwrap_or(0);
    let (c, a, max) = (wide(colour), wide(alpha), wide(T::DEFAULT_MAX_VALUE));
    let blended = (c * a + max * (max - a) + max / 2) / max;
    T::from(blended).unwrap_or(T::DEFAULT_MAX_VALUE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparency_is_shown_over_white() {
        // Transparent black, half-transparent red, opaque blue.
        let rgba = image::RgbaImage::from_fn(3, 1, |x, _| {
            image::Rgba(match x {
                0 => [0, 0, 0, 0],
                1 => [255, 0, 0, 128],
                _ => [0, 0, 255, 255],
            })
        });
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(rgba)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let (image, _) = decode_full(SourceFormat::Png, &png, &Limits::default()).unwrap();
        let rgb = image.as_rgb8().expect("alpha flattened to RGB");
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [255, 127, 127]);
        assert_eq!(rgb.get_pixel(2, 0).0, [0, 0, 255]);
        // The same at 16 bits, and for grey with alpha.
        assert_eq!(over_white(0u16, 0), 65535);
        assert_eq!(over_white(65535u16, 65535), 65535);
        assert_eq!(over_white(0u16, 32768), 32767);
        let la = image::GrayAlphaImage::from_pixel(1, 1, image::LumaA([0, 64]));
        assert_eq!(
            flatten_on_white::<_, image::Luma<u8>, _>(la)
                .get_pixel(0, 0)
                .0,
            [191]
        );
    }
    use crate::fixtures::jpeg;

    /// An output of a fixed long edge, whatever the source.
    fn edge(long_edge: u32) -> impl Fn(u32, u32, Orientation) -> u32 {
        move |_, _, _| long_edge
    }

    #[test]
    fn fast_picks_the_smallest_dct_scale_that_covers_the_output() {
        let fast = |w, h, edge| ShrinkOnLoad::Fast.jpeg_scale_eighths(w, h, edge);
        assert_eq!(fast(6000, 4000, 1440), 2); // 1500 px
        assert_eq!(fast(8256, 5504, 1440), 2); // 2064 px
        assert_eq!(fast(4000, 3000, 1440), 4); // 2000 px
        assert_eq!(fast(6000, 4000, 256), 1); // 750 px
        assert_eq!(fast(2000, 1000, 1440), 8);
        assert_eq!(fast(1000, 1000, 1440), 8);
        assert_eq!(fast(11_520, 1000, 1440), 1); // exactly 1440
    }

    #[test]
    fn exact_leaves_at_least_2x_for_the_resize_as_libvips_does() {
        let exact = |w, h, edge| ShrinkOnLoad::Exact.jpeg_scale_eighths(w, h, edge);
        assert_eq!(exact(6000, 4000, 1440), 4); // 3000 px ≥ 2880
        assert_eq!(exact(8256, 5504, 1440), 4); // 4128 px
        assert_eq!(exact(4000, 3000, 1440), 8); // 2000 px would leave 1.4×
        assert_eq!(exact(6000, 4000, 256), 1); // 750 px ≥ 2 × 256
        assert_eq!(exact(23_040, 1000, 1440), 1); // exactly 2 × 1440
    }

    #[test]
    fn shrink_on_load_parses_and_prints() {
        for s in [ShrinkOnLoad::Fast, ShrinkOnLoad::Exact] {
            assert_eq!(s.to_string().parse::<ShrinkOnLoad>().unwrap(), s);
        }
        assert!("quick".parse::<ShrinkOnLoad>().is_err());
    }

    #[test]
    fn large_reductions_decode_at_a_dct_scale() {
        let bytes = jpeg(4000, 3000);
        let d = decode(
            SourceFormat::Jpeg,
            &bytes,
            &Limits::default(),
            &edge(256),
            ShrinkOnLoad::Fast,
        )
        .unwrap();
        assert_eq!((d.image.width(), d.image.height()), (500, 375));
        assert_eq!((d.source_width, d.source_height), (4000, 3000));
        let d = decode(
            SourceFormat::Jpeg,
            &bytes,
            &Limits::default(),
            &edge(700),
            ShrinkOnLoad::Fast,
        )
        .unwrap();
        assert_eq!((d.image.width(), d.image.height()), (1000, 750));
    }

    #[test]
    fn small_reductions_decode_in_full() {
        let bytes = jpeg(2000, 1000);
        let d = decode(
            SourceFormat::Jpeg,
            &bytes,
            &Limits::default(),
            &edge(1440),
            ShrinkOnLoad::Fast,
        )
        .unwrap();
        assert_eq!((d.image.width(), d.image.height()), (2000, 1000));
    }

    #[test]
    fn scaled_decode_matches_an_independent_full_decode() {
        // Same picture either way: a 1/8-scale libjpeg decode against the
        // image crate's full decode (zune-jpeg) box-averaged to the same size.
        let bytes = jpeg(1600, 1200);
        let scaled = decode(
            SourceFormat::Jpeg,
            &bytes,
            &Limits::default(),
            &edge(200),
            ShrinkOnLoad::Fast,
        )
        .unwrap()
        .image
        .to_rgb8();
        let full = decode_full(SourceFormat::Jpeg, &bytes, &Limits::default())
            .unwrap()
            .0
            .to_rgb8();
        assert_eq!(scaled.dimensions(), (200, 150));
        let mut worst = 0i32;
        for (x, y) in [(10, 10), (100, 75), (190, 140), (50, 120)] {
            let mut sum = [0u32; 3];
            for dy in 0..8 {
                for dx in 0..8 {
                    let p = full.get_pixel(x * 8 + dx, y * 8 + dy);
                    for c in 0..3 {
                        sum[c] += u32::from(p[c]);
                    }
                }
            }
            let s = scaled.get_pixel(x, y);
            for c in 0..3 {
                worst = worst.max((i32::from(s[c]) - (sum[c] / 64) as i32).abs());
            }
        }
        assert!(worst <= 4, "scaled and full decodes differ by {worst}");
    }

    #[test]
    fn scaled_path_refuses_oversized_headers() {
        let limits = Limits {
            max_pixels: 1_000_000,
            ..Limits::default()
        };
        let err = decode(
            SourceFormat::Jpeg,
            &jpeg(2000, 1000),
            &limits,
            &edge(256),
            ShrinkOnLoad::Fast,
        )
        .err()
        .unwrap();
        assert!(matches!(err, PipelineError::LimitExceeded { .. }), "{err}");
    }

    fn encode_with(
        color: jpeg_encoder::ColorType,
        pixels: &[u8],
        (w, h): (u16, u16),
        tweak: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
        tweak(&mut encoder);
        encoder.encode(pixels, w, h, color).unwrap();
        out
    }

    #[test]
    fn adobe_cmyk_decodes_to_the_right_colours_not_a_negative() {
        // Left half pure cyan ink, right half 50 % black; jpeg-encoder stores
        // CMYK inverted with an Adobe APP14 marker, as Photoshop does.
        let (w, h) = (64u16, 32u16);
        let cmyk: Vec<u8> = (0..u32::from(w) * u32::from(h))
            .flat_map(|i| {
                if i % u32::from(w) < 32 {
                    [255, 0, 0, 0]
                } else {
                    [0, 0, 0, 128]
                }
            })
            .collect();
        for color in [
            jpeg_encoder::ColorType::Cmyk,
            jpeg_encoder::ColorType::CmykAsYcck,
        ] {
            let bytes = encode_with(color, &cmyk, (w, h), |_| {});
            let rgb = decode(
                SourceFormat::Jpeg,
                &bytes,
                &Limits::default(),
                &edge(64),
                ShrinkOnLoad::Fast,
            )
            .unwrap()
            .image
            .to_rgb8();
            let close = |p: &image::Rgb<u8>, want: [u8; 3]| {
                p.0.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 8)
            };
            assert!(
                close(rgb.get_pixel(8, 16), [0, 255, 255]),
                "{color:?} cyan: {:?}",
                rgb.get_pixel(8, 16)
            );
            assert!(
                close(rgb.get_pixel(56, 16), [127, 127, 127]),
                "{color:?} grey: {:?}",
                rgb.get_pixel(56, 16)
            );
        }
    }

    #[test]
    fn greyscale_progressive_and_restart_interval_jpegs_decode() {
        let (w, h) = (320u16, 240u16);
        let grey: Vec<u8> = (0..u32::from(w) * u32::from(h))
            .map(|i| (i % 251) as u8)
            .collect();
        let rgb: Vec<u8> = grey.iter().flat_map(|&g| [g, 255 - g, 60]).collect();
        let cases = [
            encode_with(jpeg_encoder::ColorType::Luma, &grey, (w, h), |_| {}),
            encode_with(jpeg_encoder::ColorType::Rgb, &rgb, (w, h), |e| {
                e.set_progressive(true)
            }),
            encode_with(jpeg_encoder::ColorType::Rgb, &rgb, (w, h), |e| {
                e.set_restart_interval(4)
            }),
        ];
        for (i, bytes) in cases.iter().enumerate() {
            for long_edge in [40, 320] {
                let d = decode(
                    SourceFormat::Jpeg,
                    bytes,
                    &Limits::default(),
                    &edge(long_edge),
                    ShrinkOnLoad::Fast,
                )
                .unwrap_or_else(|e| panic!("case {i}: {e}"));
                assert_eq!(d.image.width(), long_edge, "case {i}");
            }
        }
    }
}
