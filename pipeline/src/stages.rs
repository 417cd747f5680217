//! The steps of [`render`](crate::render), one function each, so that the
//! benchmarks (`benches/benches/stages.rs`) can time every stage on its own
//! and regressions show where they happen. To make renditions, call
//! `render`: it runs these in the right order with the right sizes.

use image::DynamicImage;

use crate::decode::libjpeg::JpegDecoder;
use crate::{Orientation, PipelineError, SourceFormat};

/// Decodes a JPEG at `eighths`/8 of its size (1, 2, 4 or 8; CMYK becomes
/// RGB), as `render` does after choosing the scale.
pub fn decode_jpeg(bytes: &[u8], eighths: u8) -> Result<DynamicImage, PipelineError> {
    let corrupt = |reason| PipelineError::Corrupt {
        format: SourceFormat::Jpeg,
        reason,
    };
    let decoded = JpegDecoder::new(bytes)
        .and_then(|d| d.decode(eighths))
        .map_err(corrupt)?;
    decoded
        .into_image()
        .0
        .ok_or_else(|| corrupt("decoder returned fewer pixels than its header promised".into()))
}

/// Lanczos3 resize to exactly `width × height`.
pub fn resize(
    image: &DynamicImage,
    width: u32,
    height: u32,
) -> Result<DynamicImage, PipelineError> {
    crate::resize::resize(image, width, height)
}

/// Stored pixels turned upright (8-bit RGB or greyscale).
pub fn orient(image: &DynamicImage, orientation: Orientation) -> DynamicImage {
    orientation.upright(image)
}

/// Encodes 8-bit RGB (tagged sRGB) or greyscale pixels as a JPEG of `quality`.
pub fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, PipelineError> {
    crate::encode::encode_jpeg(image, quality, None)
}
