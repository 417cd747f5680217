//! `darkroom`: the one binary. Each subcommand composes the crates and nothing more.

mod cli;
mod settings;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("darkroom: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let settings = settings::Settings::load(&cli)?;
        telemetry::init(settings.log_format, cli.command.is_quiet());
        if let (Some(path), Some(_)) = (&settings.missing_helper, cli.command.rendering()) {
            tracing::warn!(
                helper = %path.display(),
                "no darkroom-helper beside this executable: camera RAW files get renditions \
                 from their embedded previews only, and HEIC/AVIF none \
                 (`cargo build --release` builds both executables)"
            );
        }
        cli::run(&cli.command, settings).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: scripts read the exit status, people read this.
            eprintln!("darkroom: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
