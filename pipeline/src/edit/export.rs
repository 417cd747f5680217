//! Full-size exports of an edit: JPEG with the EXIF worth keeping, or
//! 16-bit TIFF streamed strip by strip.

use std::borrow::Cow;

use super::develop::finish;
use super::light::quantise_8;
use super::recipe::EditRecipe;
use super::sharpen::sharpen;
use super::tiff_stream::{tiff16_length, write_tiff16};
use super::working_copy::WorkingCopy;
use crate::encode::encode_jpeg;
use crate::metadata::kept_exif::kept_exif;
use crate::spec::KeepMetadata;
use crate::{Limits, PipelineError, ShrinkOnLoad};

impl WorkingCopy {
    /// The edited picture at this copy's full size (decode it with no specs
    /// for a full-resolution export), encoded as `format`. `original` is read
    /// for the EXIF a JPEG keeps.
    pub fn export(
        self,
        recipe: &EditRecipe,
        format: ExportFormat,
        original: Option<&[u8]>,
    ) -> Result<Exported, PipelineError> {
        let mut first = None;
        let mut bytes = Vec::new();
        self.export_to(
            recipe,
            format,
            original,
            None,
            &mut |head| {
                first = Some(head);
                true
            },
            &mut |chunk| {
                bytes.extend_from_slice(&chunk);
                true
            },
        )?;
        let head = first.ok_or_else(|| PipelineError::Encode("the export sent nothing".into()))?;
        Ok(Exported {
            bytes,
            width: head.width,
            height: head.height,
            decode_warning: head.decode_warning,
        })
    }

    /// [`WorkingCopy::export`] as it is sent: `head` hears the size and the
    /// file's length once the picture is finished (every error comes before
    /// it), then `sink` gets the file a chunk at a time — a TIFF strip by
    /// strip, quantised as it goes. Either returning false stops the export
    /// (the client went away). `xmp`, when given, is embedded (a JPEG's APP1,
    /// a TIFF's tag 700): the photo's description written out.
    pub fn export_to(
        self,
        recipe: &EditRecipe,
        format: ExportFormat,
        original: Option<&[u8]>,
        xmp: Option<&str>,
        head: &mut dyn FnMut(ExportHead) -> bool,
        sink: &mut dyn FnMut(Vec<u8>) -> bool,
    ) -> Result<(), PipelineError> {
        let WorkingCopy {
            pixels,
            orientation,
            colour,
            warning: decode_warning,
            ..
        } = self;
        let mut image = finish(Cow::Owned(pixels), orientation, &colour, recipe, None)?;
        if let Some(sharpening) = &recipe.sharpening {
            sharpen(&mut image, sharpening);
        }
        let (width, height) = image.dimensions();
        let head_of = |length: u64| ExportHead {
            width,
            height,
            length,
            decode_warning: decode_warning.clone(),
        };
        match format {
            ExportFormat::Jpeg { quality } => {
                let exif = original.and_then(|o| kept_exif(o, KeepMetadata::Exif));
                let eight_bit = quantise_8(&image);
                drop(image);
                let mut bytes = encode_jpeg(&eight_bit, quality.clamp(1, 100), exif.as_deref())?;
                if let Some(xmp) = xmp {
                    bytes = crate::metadata::xmp::into_jpeg(&bytes, xmp)?;
                }
                if head(head_of(bytes.len() as u64)) {
                    sink(bytes);
                }
            }
            ExportFormat::Tiff16 => {
                let xmp = xmp.map(str::as_bytes);
                if head(head_of(tiff16_length(width, height, xmp))) {
                    write_tiff16(&image, xmp, sink)?;
                }
            }
        }
        Ok(())
    }
}

/// Full-size export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// 8-bit JPEG of this quality (1–100).
    Jpeg {
        /// libjpeg quality.
        quality: u8,
    },
    /// 16-bit RGB TIFF (uncompressed, sRGB profile embedded), for further
    /// work in other software.
    Tiff16,
}

impl ExportFormat {
    /// The media type served.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Jpeg { .. } => "image/jpeg",
            ExportFormat::Tiff16 => "image/tiff",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Jpeg { .. } => "jpg",
            ExportFormat::Tiff16 => "tif",
        }
    }
}

/// An exported picture.
#[derive(Clone, Debug)]
pub struct Exported {
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// What the decoder went past, if anything.
    pub decode_warning: Option<String>,
}

/// Renders `original` with `recipe` at full resolution. The JPEG keeps the
/// camera, exposure and copyright EXIF (never location).
pub fn export(
    original: &[u8],
    recipe: &EditRecipe,
    format: ExportFormat,
    limits: &Limits,
) -> Result<Exported, PipelineError> {
    WorkingCopy::decode(original, recipe, None, limits, ShrinkOnLoad::Exact)?.export(
        recipe,
        format,
        Some(original),
    )
}

/// What an export tells before its bytes.
#[derive(Clone, Debug)]
pub struct ExportHead {
    /// The picture's width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// The file's length in bytes.
    pub length: u64,
    /// What the decoder went past, if anything.
    pub decode_warning: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::MAX_FULL_SIZE_EDIT_PIXELS;
    use crate::fixtures::jpeg;
    use image::DynamicImage;

    fn recipe(json: &str) -> EditRecipe {
        EditRecipe::from_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn exports_are_full_size_in_jpeg_and_sixteen_bit_tiff() {
        let original = jpeg(640, 480);
        let r = recipe(
            r#"{"crop": {"x": 0.25, "y": 0.25, "width": 0.5, "height": 0.5}, "exposure": 0.5}"#,
        );
        let jpeg = export(
            &original,
            &r,
            ExportFormat::Jpeg { quality: 90 },
            &Limits::default(),
        )
        .unwrap();
        assert_eq!((jpeg.width, jpeg.height), (320, 240));
        let decoded = image::load_from_memory(&jpeg.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 240));
        let tiff = export(&original, &r, ExportFormat::Tiff16, &Limits::default()).unwrap();
        let decoded = image::load_from_memory(&tiff.bytes).unwrap();
        assert!(matches!(decoded, DynamicImage::ImageRgb16(_)));
        assert_eq!((decoded.width(), decoded.height()), (320, 240));
        // The 16 bits are used: an 8-bit picture stretched to 16 bits would
        // hold multiples of 257 only.
        assert!(decoded.to_rgb16().pixels().any(|p| p[0] % 257 != 0));
    }

    #[test]
    fn a_full_size_export_larger_than_its_limit_is_refused_from_the_header() {
        // A JPEG whose header claims 12 000 × 11 000 (132 MP): within the
        // upload limits, over the full-size editing one.
        let mut bytes = jpeg(16, 16);
        let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        bytes[sof + 5..sof + 7].copy_from_slice(&11_000u16.to_be_bytes());
        bytes[sof + 7..sof + 9].copy_from_slice(&12_000u16.to_be_bytes());
        let err = export(
            &bytes,
            &EditRecipe::default(),
            ExportFormat::Tiff16,
            &Limits::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                PipelineError::LimitExceeded {
                    limit: MAX_FULL_SIZE_EDIT_PIXELS,
                    actual: 132_000_000,
                    ..
                }
            ),
            "{err}"
        );
    }
}
