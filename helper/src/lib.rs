//! darkroom-helper: the code of the `darkroom-helper` executable, which the
//! workers start for every camera RAW, HEIC and AVIF they render or edit.
//!
//! Two reasons put these decoders in a process of their own:
//! * **Crashes**: RAW and HEIF decoders can panic, loop or allocate without
//!   bound on hostile files. The helper caps its own address space and CPU
//!   time before it reads the original, the workers kill it after a
//!   wall-clock timeout, and whatever happens to it is the file's failure,
//!   not the server's.
//! * **Licences**: rawler is LGPL-2.1 and libheif LGPL-3.0. Linked only into
//!   this executable, they stay out of the MIT/Apache `darkroom` binary.
//!
//! The conversation is `darkroom_pipeline::helper_protocol`; the workers'
//! side of it is `workers/src/helper_process.rs`.
#![deny(missing_docs)]

pub mod heif;
mod original;
pub mod raw;
mod serve;

use std::process::ExitCode;

use darkroom_pipeline::edit::{WhiteBalance, WorkingCopy};
use darkroom_pipeline::external::{Decoded, ExternalDecoders, NeededLongEdge};
use darkroom_pipeline::helper_protocol::HelperRequest;
use darkroom_pipeline::{Limits, PipelineError, SourceFormat};

pub use serve::serve;

/// The decoders this executable brings: rawler for camera RAW, libheif
/// (loaded from the system when first needed) for HEIC and AVIF.
struct HelperDecoders;

impl ExternalDecoders for HelperDecoders {
    fn decode(
        &self,
        format: SourceFormat,
        bytes: &[u8],
        limits: &Limits,
        needed_long_edge: NeededLongEdge<'_>,
    ) -> Result<Decoded, PipelineError> {
        if format.is_camera_raw() {
            return raw::decode_raw(format, bytes, limits, needed_long_edge);
        }
        if format.is_heif() {
            return heif::decode_heif(format, bytes, limits);
        }
        Err(PipelineError::NoDecoder(format))
    }

    fn decode_raw_for_edit(
        &self,
        format: SourceFormat,
        bytes: &[u8],
        limits: &Limits,
        needed_long_edge: NeededLongEdge<'_>,
        white_balance: Option<&WhiteBalance>,
    ) -> Result<WorkingCopy, PipelineError> {
        raw::decode_raw_for_edit(format, bytes, limits, needed_long_edge, white_balance)
    }
}

/// Makes this process's pipeline decode RAW (and HEIF) files in process:
/// done by the helper at its start, and by benchmarks and tests that
/// measure the decoders themselves.
pub fn install_decoders() {
    darkroom_pipeline::external::install(Box::new(HelperDecoders));
}

/// The executable's `main`: reads its request from the command line, the
/// original from standard input, and answers on standard output.
pub fn main() -> ExitCode {
    // Fault injection for the isolation tests: a helper that dies the way a
    // decoder's abort or the kernel's limit would, or one that never answers.
    match std::env::var("DARKROOM_FAULT_RAW_HELPER").as_deref() {
        Ok("abort") => std::process::abort(),
        Ok("hang") => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        _ => {}
    }
    let request = match HelperRequest::from_args(std::env::args().skip(1)) {
        Ok(request) => request,
        Err(e) => {
            eprintln!("darkroom-helper: {e} (it is started by darkroom's workers, not by hand)");
            return ExitCode::from(64);
        }
    };
    install_decoders();
    match serve(&request) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("darkroom-helper: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Develops a camera RAW file in this process for an output of
/// `long_edge` pixels (the half-size develop when that is at most half the
/// sensor, else the full one): for the benchmarks, which time the develop
/// alone.
pub fn develop_raw(bytes: &[u8], long_edge: u32) -> Result<image::DynamicImage, PipelineError> {
    let format = darkroom_pipeline::sniff(bytes)
        .filter(|f| f.is_camera_raw())
        .ok_or_else(|| PipelineError::UnsupportedType("not a camera RAW file".into()))?;
    let decoded = raw::decode_raw(format, bytes, &Limits::default(), &|_, _, _| long_edge)?;
    Ok(decoded.image)
}
