//! Rendering renditions: the pipeline's steps, in order, in one place.

use std::io::Cursor;

use image::DynamicImage;

use crate::decode::{Decoded, decode};
use crate::orient::Orientation;
use crate::resize::{fit, resize};
use crate::spec::{OutputFormat, RenditionSpec};
use crate::{Limits, PipelineError, guard, sniff};

/// One encoded rendition.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The spec it was rendered with.
    pub spec: RenditionSpec,
    /// The encoded bytes.
    pub bytes: Vec<u8>,
    /// Width as displayed (after orientation).
    pub width: u32,
    /// Height as displayed (after orientation).
    pub height: u32,
    /// Width of the original as stored.
    pub source_width: u32,
    /// Height of the original as stored.
    pub source_height: u32,
}

/// Decodes `original` once and renders every spec from it:
///
/// 1. sniff the format; refuse what this build cannot decode;
/// 2. decode with `limits` enforced by the decoder (a lying header cannot
///    allocate past them), reading the EXIF orientation; a JPEG much larger
///    than the largest output is decoded at 1/2, 1/4 or 1/8 scale;
/// 3. for each spec, largest first: downscale (from the previous, larger
///    rendition when there is one — cheaper, and as sharp), turn upright,
///    encode.
pub fn render(
    original: &[u8],
    specs: &[RenditionSpec],
    limits: &Limits,
) -> Result<Vec<Rendered>, PipelineError> {
    let format = sniff(original)
        .ok_or_else(|| PipelineError::UnsupportedType("unrecognised file".to_string()))?;
    if !format.can_render() {
        return Err(PipelineError::NoDecoder(format));
    }
    guard(format, || {
        let mut order: Vec<&RenditionSpec> = specs.iter().collect();
        order.sort_by_key(|s| std::cmp::Reverse(s.long_edge()));
        let largest = order.first().map_or(0, |s| s.long_edge());
        let Decoded {
            image,
            orientation,
            source_width,
            source_height,
        } = decode(format, original, limits, largest)?;
        // `source` holds the previous (larger) rendition's pixels, in stored
        // orientation: each smaller rendition is made from it.
        let mut source = image;
        let mut out = Vec::with_capacity(specs.len());
        for spec in order {
            // Sized from the original, not the (possibly DCT-scaled) decode,
            // so shrink-on-load never changes an output's dimensions.
            let (w, h) = fit(source_width, source_height, spec.long_edge());
            let (w, h) = (w.min(source.width()), h.min(source.height()));
            if (w, h) != (source.width(), source.height()) {
                source = resize(&source, w, h)?;
            }
            // Most photos need no turning: encode the pixels as they are, and
            // copy only to turn a small, final image.
            let bytes = if orientation == Orientation::Normal {
                encode(&source, spec)?
            } else {
                let mut upright = source.clone();
                orientation.apply(&mut upright);
                encode(&upright, spec)?
            };
            let (width, height) = if orientation.swaps_dimensions() {
                (h, w)
            } else {
                (w, h)
            };
            out.push(Rendered {
                spec: spec.clone(),
                bytes,
                width,
                height,
                source_width,
                source_height,
            });
        }
        Ok(out)
    })
}

fn encode(image: &DynamicImage, spec: &RenditionSpec) -> Result<Vec<u8>, PipelineError> {
    let mut out = Vec::new();
    match spec.format() {
        OutputFormat::Jpeg => {
            let (color, data) = match image {
                DynamicImage::ImageLuma8(i) => (jpeg_encoder::ColorType::Luma, i.as_raw()),
                DynamicImage::ImageRgb8(i) => (jpeg_encoder::ColorType::Rgb, i.as_raw()),
                _ => return Err(PipelineError::Encode("unexpected pixel layout".into())),
            };
            let (w, h) = (
                u16::try_from(image.width())
                    .map_err(|_| PipelineError::Encode("too wide for JPEG".into()))?,
                u16::try_from(image.height())
                    .map_err(|_| PipelineError::Encode("too tall for JPEG".into()))?,
            );
            let mut encoder = jpeg_encoder::Encoder::new(&mut out, spec.quality());
            // Average each 2×2 block when subsampling chroma, as libjpeg does;
            // the crate's default takes the top-left pixel, which measured
            // 0.5 dB worse at the same file size on camera photos.
            encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
            encoder
                .encode(data, w, h, color)
                .map_err(|e| PipelineError::Encode(e.to_string()))?;
        }
        OutputFormat::Png => image
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .map_err(|e| PipelineError::Encode(e.to_string()))?,
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFormat;
    use crate::fixtures::jpeg;

    #[test]
    fn renders_every_spec_at_its_size() {
        let out = render(
            &jpeg(2000, 1000),
            &RenditionSpec::defaults(),
            &Limits::default(),
        )
        .unwrap();
        let sizes: Vec<_> = out
            .iter()
            .map(|r| (r.spec.name().to_string(), r.width, r.height))
            .collect();
        assert!(sizes.contains(&("thumb".into(), 256, 128)), "{sizes:?}");
        assert!(sizes.contains(&("preview".into(), 1440, 720)), "{sizes:?}");
        for r in &out {
            let decoded = image::load_from_memory(&r.bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (r.width, r.height));
        }
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        let mut bytes = jpeg(64, 64);
        let len = bytes.len();
        bytes.truncate(len / 3);
        bytes.extend_from_slice(&[0xFF; 64]);
        // Truncated JPEGs may decode partially; what matters is no panic.
        let _ = render(&bytes, &RenditionSpec::defaults(), &Limits::default());
        assert!(
            render(
                b"\xFF\xD8\xFF\x00garbage",
                &RenditionSpec::defaults(),
                &Limits::default()
            )
            .is_err()
        );
    }

    #[test]
    fn formats_without_decoder_are_reported() {
        let err = render(
            b"\0\0\0\x18ftypheic\0\0\0\0",
            &RenditionSpec::defaults(),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(err, PipelineError::NoDecoder(SourceFormat::Heic)));
    }
}
