//! Camera RAW: decode with rawler and develop to sRGB pixels.
//!
//! rawler (dnglab's decoder, LGPL-2.1) rather than rawloader: both decode
//! the common cameras, but rawloader reads uncompressed DNGs only through
//! StripOffsets (not tiles, as pidng and many converters write them) and
//! cannot read 14-bit packed data, while rawler read every test DNG:
//! striped and tiled, 12-, 14- and 16-bit
//! (`../shared/research/perf-anchors.md`). rawler also brings a real develop:
//! black and white levels, camera white balance, PPG demosaic, the camera's
//! D65 colour matrix to sRGB, highlight clipping that keeps hue, and the sRGB
//! curve.
//!
//! Both decoders can panic or run away on hostile files, so darkroom calls
//! this only inside its RAW helper process (`darkroom raw-helper`, run by the
//! workers with memory and CPU limits): see [`SourceFormat::decodes_in_helper`].

use image::DynamicImage;
use rawler::decoders::RawDecodeParams;
use rawler::imgop::develop::RawDevelop;
use rawler::rawsource::RawSource;

use crate::decode::Decoded;
use crate::{Limits, Orientation, PipelineError, SourceFormat};

/// Decodes and develops a RAW file. The sensor's dimensions are checked
/// against `limits` from a metadata-only pass before its pixels are read.
pub(crate) fn decode_raw(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Decoded, PipelineError> {
    let corrupt = |reason: String| PipelineError::Corrupt { format, reason };
    let source = RawSource::new_from_slice(bytes);
    let decoder = rawler::get_decoder(&source).map_err(|e| corrupt(e.to_string()))?;
    let params = RawDecodeParams::default();
    let header = decoder
        .raw_image(&source, &params, true)
        .map_err(|e| corrupt(e.to_string()))?;
    let dimension = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    limits.check_dimensions(dimension(header.width), dimension(header.height))?;
    let raw = decoder
        .raw_image(&source, &params, false)
        .map_err(|e| corrupt(e.to_string()))?;
    let orientation = Orientation::from_exif(raw.orientation.to_u16());
    let developed = RawDevelop::default()
        .develop_intermediate(&raw)
        .map_err(|e| corrupt(e.to_string()))?
        .to_dynamic_image()
        .ok_or_else(|| corrupt("the develop produced no image".into()))?;
    // 16-bit from the develop; renditions are 8-bit from here on.
    let image = match developed {
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(developed.into_luma8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    };
    Ok(Decoded {
        // Sized from the developed (default-cropped) picture, not the sensor.
        source_width: image.width(),
        source_height: image.height(),
        image,
        orientation,
        warning: None,
        icc: None,
    })
}
