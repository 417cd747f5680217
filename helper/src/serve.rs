//! The helper's side of the conversation: limit itself, read the original,
//! render or decode for editing, answer.

use std::io::{Read, Write};

use darkroom_pipeline::edit::{WorkingCopy, render_edited};
use darkroom_pipeline::helper_protocol::{HelperError, HelperRequest, RenditionHeader, Reply};

/// Limits this process, reads the original from standard input, renders,
/// and writes the reply to standard output. Returns the exit status (0
/// rendered, 2 refused).
pub fn serve(request: &HelperRequest) -> std::io::Result<u8> {
    // Before reading a byte: a runaway decoder hits these, not the machine.
    rlimit::setrlimit(
        rlimit::Resource::AS,
        request.memory_bytes,
        request.memory_bytes,
    )?;
    rlimit::setrlimit(
        rlimit::Resource::CPU,
        request.cpu_secs,
        request.cpu_secs + 1,
    )?;
    let mut original = Vec::new();
    std::io::stdin()
        .take(request.limits.max_upload_bytes.saturating_add(1))
        .read_to_end(&mut original)?;
    let original = crate::original::keep(original);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let recipe = request.recipe.clone().unwrap_or_default();
    let (reply, bodies) = if request.working_copy {
        // No specs: full size, for an export.
        let specs = Some(request.specs.as_slice()).filter(|s| !s.is_empty());
        WorkingCopy::decode(&original, &recipe, specs, &request.limits, request.shrink).map(
            |copy| {
                let bytes = copy.to_bytes();
                (Reply::WorkingCopy(bytes.len()), vec![bytes])
            },
        )
    } else {
        render_edited(
            &original,
            &request.specs,
            &recipe,
            &request.limits,
            request.shrink,
        )
        .map(|rendered| {
            let headers = rendered
                .iter()
                .map(|r| RenditionHeader {
                    spec: r.spec.key(),
                    width: r.width,
                    height: r.height,
                    source_width: r.source_width,
                    source_height: r.source_height,
                    bytes: r.bytes.len(),
                    decode_warning: r.decode_warning.clone(),
                })
                .collect();
            let bodies = rendered.into_iter().map(|r| r.bytes).collect();
            (Reply::Renditions(headers), bodies)
        })
    }
    .unwrap_or_else(|e| (Reply::Error(HelperError::from(&e)), Vec::new()));
    let code = if matches!(reply, Reply::Error(_)) {
        2
    } else {
        0
    };
    serde_json::to_writer(&mut out, &reply)?;
    out.write_all(b"\n")?;
    for body in &bodies {
        out.write_all(body)?;
    }
    out.flush()?;
    Ok(code)
}
