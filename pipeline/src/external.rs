//! Decoders that darkroom's main binary does not contain: camera RAW
//! (rawler, LGPL-2.1) and HEIC and AVIF (libheif, LGPL-3.0, loaded from the
//! system at run time). Both can panic, loop or balloon on hostile files, and
//! their licences ask that they stay out of the MIT/Apache binary; so they
//! are linked only into the `darkroom-helper` executable (`helper/`), which
//! [`install`]s them at its start and runs under memory and CPU limits. In
//! any other process a RAW or HEIF file has no decoder here
//! ([`PipelineError::NoDecoder`]): the workers send it to the helper (see
//! [`SourceFormat::decodes_in_helper`]).
//!
//! The rest of this module is what such a decoder builds its answer from.

use std::sync::OnceLock;

pub use crate::decode::raw::{CameraMatrices, camera_to_linear_srgb};
pub use crate::decode::{Decoded, NeededLongEdge, into_render_layout};
use crate::edit::{WhiteBalance, WorkingCopy};
pub use crate::edit::{WorkingColour, camera_multipliers, to_linear};
pub use crate::resize::{resize_linear, shrunk_to_long_edge};
use crate::{Limits, PipelineError, SourceFormat};

/// Decoders for the formats that [`SourceFormat::decodes_in_helper`].
pub trait ExternalDecoders: Send + Sync {
    /// Decodes `bytes` to pixels no larger than `needed_long_edge` asks
    /// (in their orientation as stored, with the orientation to apply),
    /// checking the stored size against `limits` before reading pixels.
    fn decode(
        &self,
        format: SourceFormat,
        bytes: &[u8],
        limits: &Limits,
        needed_long_edge: NeededLongEdge<'_>,
    ) -> Result<Decoded, PipelineError>;

    /// Decodes a camera RAW for editing: as linear camera data when a white
    /// balance can still be applied to it later, else developed with
    /// `white_balance` (see [`WorkingCopy`]).
    fn decode_raw_for_edit(
        &self,
        format: SourceFormat,
        bytes: &[u8],
        limits: &Limits,
        needed_long_edge: NeededLongEdge<'_>,
        white_balance: Option<&WhiteBalance>,
    ) -> Result<WorkingCopy, PipelineError>;
}

static INSTALLED: OnceLock<Box<dyn ExternalDecoders>> = OnceLock::new();

/// Makes `decoders` this process's decoders for RAW (and HEIF) files. The
/// first installation stays; a later one is ignored.
pub fn install(decoders: Box<dyn ExternalDecoders>) {
    let _ = INSTALLED.set(decoders);
}

/// The installed decoders, if this process has them.
pub(crate) fn installed(
    format: SourceFormat,
) -> Result<&'static dyn ExternalDecoders, PipelineError> {
    INSTALLED
        .get()
        .map(Box::as_ref)
        .ok_or(PipelineError::NoDecoder(format))
}
