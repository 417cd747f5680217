//! `darkroom raw-helper` (hidden): the RAW helper process. See
//! `workers/src/helper.rs` for why it exists and how it is spoken to.

use std::process::ExitCode;

use darkroom_pipeline::Limits;
use darkroom_workers::{HelperRequest, serve_helper};

use super::RawHelperArgs;

pub fn run(args: &RawHelperArgs) -> ExitCode {
    // Fault injection for the isolation tests: a helper that dies the way a
    // decoder's abort or the kernel's limit would, or one that never answers.
    match std::env::var("DARKROOM_FAULT_RAW_HELPER").as_deref() {
        Ok("abort") => std::process::abort(),
        Ok("hang") => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        _ => {}
    }
    let request = HelperRequest {
        specs: args.renditions.clone(),
        limits: Limits {
            max_pixels: args.max_pixels,
            max_edge: args.max_edge,
            ..Limits::default()
        },
        shrink: args.shrink_on_load,
        memory_bytes: args.memory_bytes,
        cpu_secs: args.cpu_secs,
        recipe: args.recipe.clone(),
        working_copy: args.working_copy,
    };
    match serve_helper(&request) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("darkroom raw-helper: {e}");
            ExitCode::FAILURE
        }
    }
}
