//! darkroom-pipeline: bytes in, pixels and bytes out.
//!
//! * [`sniff`] names a file's format from its first bytes (never its name).
//! * [`probe`] reads a file's header — format, dimensions, EXIF metadata —
//!   without decoding pixels, so limits are enforced before memory is spent.
//! * [`plan`] decides how an original becomes renditions (a RAW's embedded
//!   preview, the helper process, or a decode here), and [`RenderPlan::run`]
//!   carries it out: decode once (with [`Limits`]), edit, then for every
//!   [`RenditionSpec`] resize → sRGB → crop → 8 bits → orient → encode.
//! * [`render`] is that run for an unedited file decoded in process.
//!
//! Pure functions only: no I/O, no async, no database. A decoder that panics on
//! a hostile file is caught here and reported as [`PipelineError::Corrupt`].
#![deny(missing_docs)]

mod buffers;
mod decode;
pub mod edit;
mod encode;
mod error;
pub mod external;
#[cfg(test)]
mod fixtures;
mod format;
pub mod helper_protocol;
mod limits;
mod metadata;
pub mod nclx;
mod orient;
pub mod plan;
mod probe;
pub mod quality;
mod render;
mod resize;
mod spec;
pub mod stages;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod timings;

pub use decode::{InvalidShrinkOnLoad, ShrinkOnLoad};
pub use error::PipelineError;
pub use format::{SourceFormat, sniff};
pub use limits::Limits;
pub use metadata::info::{FileInfo, info};
pub use metadata::live_photo;
pub use metadata::motion;
pub use metadata::places::{self, Place, place_at};
pub use metadata::strip_location::{
    LocationStripper, Paged, ReadAt, location_stripper, strip_location,
};
pub use metadata::xmp;
pub use metadata::{Description, Gps, LocationNames, PhotoMetadata};
pub use orient::Orientation;
pub use plan::{RenderPlan, plan};
pub use probe::{PROBE_PREFIX_BYTES, Probe, probe};
pub use render::{Rendered, render};
pub use spec::{InvalidSpec, KeepMetadata, OutputFormat, RenditionSpec};

/// Runs `f`, turning a panic inside a decoder into an error instead of
/// unwinding into the caller's thread pool or request handler.
fn guard<T>(
    format: SourceFormat,
    f: impl FnOnce() -> Result<T, PipelineError>,
) -> Result<T, PipelineError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "decoder panicked".to_string());
        Err(PipelineError::Corrupt {
            format,
            reason: format!("decoder panicked: {message}"),
        })
    })
}
