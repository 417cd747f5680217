//! `darkroom info FILE…`: one JSON object per file (an array for several).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use darkroom_pipeline::{FileInfo, info};

pub fn run(args: &InfoArgs) -> anyhow::Result<()> {
    let mut described: Vec<FileInfo> = Vec::with_capacity(args.files.len());
    let mut failed = 0;
    for file in &args.files {
        match std::fs::read(file)
            .context("reading")
            .and_then(|bytes| Ok(info(&bytes)?))
        {
            Ok(i) => described.push(i),
            Err(e) => {
                failed += 1;
                eprintln!("{}: {e:#}", file.display());
            }
        }
    }
    let json = match described.as_slice() {
        [one] if args.files.len() == 1 => serde_json::to_string_pretty(one)?,
        all => serde_json::to_string_pretty(all)?,
    };
    println!("{json}");
    anyhow::ensure!(
        failed == 0,
        "{failed} of {} files could not be read",
        args.files.len()
    );
    Ok(())
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// The files to describe.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}
