//! `info`: what a file is and what its camera recorded, in one JSON object.

use std::io::Cursor;

use image::ImageDecoder;
use serde::Serialize;

use crate::metadata::{PhotoMetadata, read_metadata};
use crate::{PipelineError, SourceFormat, guard, sniff};

/// A file's format, stored size and camera metadata (orientation is always
/// present: 1 when the file records none).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileInfo {
    /// The sniffed format (`jpeg`, `dng`…).
    pub format: &'static str,
    /// Width as stored (before orientation), when the header gives it.
    pub width: Option<u32>,
    /// Height as stored, when the header gives it.
    pub height: Option<u32>,
    /// What the camera recorded.
    #[serde(flatten)]
    pub metadata: PhotoMetadata,
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
        let mut metadata = read_metadata(bytes);
        metadata.orientation = Some(metadata.orientation.unwrap_or(1));
        let (dimensions, icc) = header(format, bytes);
        Ok(FileInfo {
            format: format.name(),
            width: dimensions.map(|d| d.0),
            height: dimensions.map(|d| d.1),
            metadata,
            icc_profile: icc.as_deref().and_then(crate::metadata::icc::description),
        })
    })
}

/// Dimensions (read as `probe` reads them) and the ICC profile, from the
/// headers only (no pixels).
fn header(format: SourceFormat, bytes: &[u8]) -> (Option<(u32, u32)>, Option<Vec<u8>>) {
    let dimensions = crate::probe::dimensions(format, bytes);
    let icc = if format.is_heif() {
        crate::decode::heif::header(bytes).icc
    } else {
        format.image_format().and_then(|image_format| {
            let mut reader = image::ImageReader::with_format(Cursor::new(bytes), image_format);
            reader.no_limits();
            reader.into_decoder().ok()?.icc_profile().ok().flatten()
        })
    };
    (dimensions, icc)
}
