//! Fills a local blob folder with COUNT blobs of SIZE random bytes, named
//! by their BLAKE3 hash as darkroom's local store lays them out
//! (`DIR/blobs/ab/cd/<hex>`), for `benches/blob-migrate.sh`. Written
//! without fsync: this is a fixture, not a store anyone keeps.
//!   Usage: make-blobs DIR COUNT SIZE

use std::path::PathBuf;

use rand::RngCore;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(args.len() == 4, "usage: make-blobs DIR COUNT SIZE");
    let dir = PathBuf::from(&args[1]);
    let count: u64 = args[2].parse()?;
    let size: usize = args[3].parse()?;
    let mut rng = rand::rng();
    let mut bytes = vec![0u8; size];
    for _ in 0..count {
        rng.fill_bytes(&mut bytes);
        let hex = blake3::hash(&bytes).to_hex();
        let folder = dir.join("blobs").join(&hex[0..2]).join(&hex[2..4]);
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join(hex.as_str()), &bytes)?;
    }
    Ok(())
}
