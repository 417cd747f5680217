//! `info`: what a file is and what its camera recorded, in one JSON object.

use std::io::Cursor;

use image::ImageDecoder;
use serde::Serialize;

use crate::metadata::{Gps, read_metadata};
use crate::{PipelineError, SourceFormat, guard, sniff};

/// A file's format, stored size, orientation and camera metadata.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileInfo {
    /// The sniffed format (`jpeg`, `dng`…).
    pub format: &'static str,
    /// Width as stored (before orientation), when the header gives it.
    pub width: Option<u32>,
    /// Height as stored, when the header gives it.
    pub height: Option<u32>,
    /// EXIF orientation, 1–8 (1 when the file records none).
    pub orientation: u16,
    /// Camera maker.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
    /// Lens maker.
    pub lens_make: Option<String>,
    /// Lens model.
    pub lens_model: Option<String>,
    /// Focal length, mm.
    pub focal_length_mm: Option<f64>,
    /// Aperture as an f-number.
    pub f_number: Option<f64>,
    /// Exposure time, seconds.
    pub exposure_time_s: Option<f64>,
    /// ISO sensitivity.
    pub iso: Option<u32>,
    /// Capture time, ISO 8601, with the offset when the file records one.
    pub taken_at: Option<String>,
    /// Where it was taken; null when the file records no (or a zeroed) position.
    pub gps: Option<Gps>,
    /// Rating, 0–5.
    pub rating: Option<i32>,
    /// The embedded ICC profile's description.
    pub icc_profile: Option<String>,
}

/// Reads a whole file's description. Refuses only what is not a photo.
pub fn info(bytes: &[u8]) -> Result<FileInfo, PipelineError> {
    let format = sniff(bytes).ok_or_else(|| {
        PipelineError::UnsupportedType(
            "not a JPEG, PNG, WebP, TIFF, HEIC, AVIF or camera RAW file".into(),
        )
    })?;
    guard(format, || {
        let metadata = read_metadata(bytes);
        let (dimensions, icc) = header(format, bytes);
        Ok(FileInfo {
            format: format.name(),
            width: dimensions.map(|d| d.0),
            height: dimensions.map(|d| d.1),
            orientation: metadata.orientation.unwrap_or(1),
            make: metadata.make,
            model: metadata.model,
            lens_make: metadata.lens_make,
            lens_model: metadata.lens_model,
            focal_length_mm: metadata.focal_length_mm,
            f_number: metadata.f_number,
            exposure_time_s: metadata.exposure_time_s,
            iso: metadata.iso,
            taken_at: metadata.taken_at,
            gps: metadata.gps,
            rating: metadata.rating,
            icc_profile: icc.as_deref().and_then(crate::icc::description),
        })
    })
}

/// Dimensions and ICC profile from the decoder's header parse (no pixels).
fn header(format: SourceFormat, bytes: &[u8]) -> (Option<(u32, u32)>, Option<Vec<u8>>) {
    let Some(image_format) = format.image_format() else {
        return (None, None);
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), image_format);
    reader.no_limits();
    match reader.into_decoder() {
        Ok(mut decoder) => (
            Some(decoder.dimensions()),
            decoder.icc_profile().ok().flatten(),
        ),
        Err(_) => (None, None),
    }
}
