//! `darkroom-helper`: decodes camera RAW (and HEIF) files for darkroom's
//! workers, in a process of its own. It is a separate executable so that
//! the LGPL decoders it links stay out of the `darkroom` binary; see
//! `helper/src/lib.rs`. The workers find it beside `darkroom`.

fn main() -> std::process::ExitCode {
    darkroom_helper::main()
}
