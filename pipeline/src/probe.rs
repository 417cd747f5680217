//! Reading a file's header without decoding its pixels.

use std::io::Cursor;

use crate::metadata::{PhotoMetadata, read_metadata};
use crate::{Limits, PipelineError, SourceFormat, guard, sniff};

/// How many leading bytes of an upload [`probe`] looks at. EXIF lives in the
/// first 64 KiB of a JPEG and the frame header soon after; 1 MiB leaves room
/// for large maker notes and embedded previews before them.
pub const PROBE_PREFIX_BYTES: usize = 1 << 20;

/// What the header says about a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// The sniffed format.
    pub format: SourceFormat,
    /// Stored width, when the header is readable from the prefix.
    pub width: Option<u32>,
    /// Stored height, when the header is readable from the prefix.
    pub height: Option<u32>,
    /// EXIF metadata (empty when there is none).
    pub metadata: PhotoMetadata,
}

/// Probes a file from its first bytes (up to [`PROBE_PREFIX_BYTES`]; the whole
/// file when shorter). Refuses formats darkroom does not accept and images
/// whose declared size exceeds `limits`; never decodes pixels.
pub fn probe(head: &[u8], limits: &Limits) -> Result<Probe, PipelineError> {
    crate::timings::timed(crate::timings::Stage::Probe, || probe_untimed(head, limits))
}

fn probe_untimed(head: &[u8], limits: &Limits) -> Result<Probe, PipelineError> {
    let format = sniff(head).ok_or_else(|| {
        PipelineError::UnsupportedType(
            "not a JPEG, PNG, WebP, TIFF, HEIC, AVIF or camera RAW file".to_string(),
        )
    })?;
    guard(format, || {
        let (width, height) = match dimensions(format, head) {
            Some((w, h)) => {
                limits.check_dimensions(w, h)?;
                (Some(w), Some(h))
            }
            None => (None, None),
        };
        Ok(Probe {
            format,
            width,
            height,
            metadata: read_metadata(head),
        })
    })
}

/// Dimensions from the header; `None` when the prefix does not reach them
/// (e.g. a TIFF whose IFD sits at the end) or the format has no decoder here.
pub(crate) fn dimensions(format: SourceFormat, head: &[u8]) -> Option<(u32, u32)> {
    if format == SourceFormat::Png {
        // IHDR is always the first chunk: width and height at bytes 16..24. The
        // PNG decoder would read on to the first IDAT before answering.
        let be = |at: usize| Some(u32::from_be_bytes(head.get(at..at + 4)?.try_into().ok()?));
        return (head.get(12..16) == Some(b"IHDR")).then(|| Some((be(16)?, be(20)?)))?;
    }
    if format.is_heif() {
        return crate::decode::heif::header(head).dimensions;
    }
    if format == SourceFormat::Dng {
        return crate::metadata::dng_dimensions(head);
    }
    let image_format = format.image_format()?;
    let mut reader = image::ImageReader::with_format(Cursor::new(head), image_format);
    // Reading dimensions allocates nothing proportional to them. The decoder's
    // own allocation limit would refuse a bomb's header before telling us its
    // size; our `Limits` decide instead, with a precise error.
    reader.no_limits();
    reader.into_dimensions().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::DynamicImage::new_rgb8(width, height)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn probes_dimensions_without_decoding() {
        let p = probe(&png(30, 20), &Limits::default()).unwrap();
        assert_eq!(
            (p.format, p.width, p.height),
            (SourceFormat::Png, Some(30), Some(20))
        );
    }

    #[test]
    fn refuses_declared_bombs_from_the_header() {
        // A valid PNG header claiming 100 000 × 100 000 pixels, with no pixel data.
        let mut bomb = Vec::new();
        let mut encoder = png::Encoder::new(&mut bomb, 100_000, 100_000);
        encoder.set_color(png::ColorType::Rgb);
        drop(encoder.write_header().unwrap());
        let err = probe(&bomb, &Limits::default()).unwrap_err();
        assert!(matches!(err, PipelineError::LimitExceeded { .. }), "{err}");
    }

    #[test]
    fn refuses_unknown_types() {
        assert!(matches!(
            probe(b"PK\x03\x04", &Limits::default()),
            Err(PipelineError::UnsupportedType(_))
        ));
    }
}
