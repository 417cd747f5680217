//! `darkroom backup` and `darkroom restore`.
//!
//! A backup is a folder: the catalog's consistent copy (taken while servers
//! keep writing), a list of the blobs that copy refers to, a copy of those
//! blobs (a local blob store, content-addressed like any other), and last a
//! manifest. Blobs never change, so backing up into the same folder again
//! copies only the blobs it lacks. The manifest is written last and removed
//! first: a folder without one is a backup that did not finish.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::blobs::{CopyReport, copy_blobs};
use crate::catalog::Dialect;
use crate::progress::Progress;
use crate::{BlobConfig, BlobStore, Catalog, ContentHash, StorageError, rfc3339};

const MANIFEST: &str = "manifest.json";
const BLOB_LIST: &str = "blobs.txt";
const BLOBS: &str = "blobs";
/// Backups this version writes and reads.
const FORMAT: u32 = 1;

/// What a backup holds; `manifest.json` in its folder.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct BackupManifest {
    pub format: u32,
    /// `sqlite` or `postgres`.
    pub engine: String,
    /// The catalog's file in the folder.
    pub catalog: String,
    /// When the catalog's snapshot was taken (RFC 3339).
    pub taken_at: String,
    /// Blobs the catalog refers to, all in the folder's blob store.
    pub blobs: u64,
    pub bytes: u64,
}

/// What a backup or a restore did.
#[derive(Clone, Debug)]
pub struct BackupReport {
    pub manifest: BackupManifest,
    pub copy: CopyReport,
}

/// Backs up `catalog` (reached at `database_url`) and the blobs it refers
/// to into the folder `out`, `parallel` blobs at a time.
pub async fn backup(
    catalog: &Catalog,
    database_url: &str,
    blobs: &BlobStore,
    out: &Path,
    parallel: usize,
    progress: &dyn Progress,
) -> Result<BackupReport, StorageError> {
    tokio::fs::create_dir_all(out).await?;
    // Until the new manifest is written, this folder is no complete backup.
    remove_if_present(&out.join(MANIFEST)).await?;
    let (engine, file_name) = match catalog.dialect() {
        Dialect::Sqlite => ("sqlite", "catalog.sqlite"),
        Dialect::Postgres => ("postgres", "catalog.pgdump"),
    };
    progress.phase("taking a snapshot of the catalog", None);
    let taken_at = rfc3339(crate::now_ms());
    let partial = out.join(format!("{file_name}.partial"));
    remove_if_present(&partial).await?;
    let snapshot = catalog.snapshot_to(&partial, database_url).await?;
    tokio::fs::rename(&partial, out.join(file_name)).await?;
    let list: String = snapshot
        .blobs
        .iter()
        .map(|(hash, size)| format!("{hash} {size}\n"))
        .collect();
    tokio::fs::write(out.join(BLOB_LIST), list).await?;

    let target = BlobStore::open(&BlobConfig::Local(out.join(BLOBS)))?;
    let hashes: Vec<ContentHash> = snapshot.blobs.iter().map(|(h, _)| *h).collect();
    let copy = copy_blobs(blobs, &target, &hashes, parallel, progress).await?;
    let manifest = BackupManifest {
        format: FORMAT,
        engine: engine.into(),
        catalog: file_name.into(),
        taken_at,
        blobs: hashes.len() as u64,
        bytes: snapshot.blobs.iter().map(|(_, size)| size).sum(),
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("invariant: manifests serialise");
    let written = out.join(format!("{MANIFEST}.partial"));
    tokio::fs::write(&written, json).await?;
    tokio::fs::rename(&written, out.join(MANIFEST)).await?;
    Ok(BackupReport { manifest, copy })
}

/// Restores the backup in the folder `from` into the empty catalog at
/// `database_url` and into `blobs` (which may hold blobs already: they are
/// not copied again). Returns the restored catalog.
pub async fn restore(
    from: &Path,
    database_url: &str,
    blobs: &BlobStore,
    parallel: usize,
    progress: &dyn Progress,
) -> Result<(Catalog, BackupReport), StorageError> {
    let manifest = read_manifest(from).await?;
    let dialect = match manifest.engine.as_str() {
        "sqlite" => Dialect::Sqlite,
        "postgres" => Dialect::Postgres,
        other => {
            return Err(StorageError::Config(format!(
                "a backup of an unknown engine: {other}"
            )));
        }
    };
    // Refused before a single blob is copied.
    Catalog::ready_for_restore(dialect, database_url)
        .await?
        .close()
        .await;
    let hashes = read_blob_list(&from.join(BLOB_LIST)).await?;
    // Blobs first: a catalog that names blobs the store lacks would serve
    // errors, while blobs without a catalog are only unused bytes.
    let source = BlobStore::open(&BlobConfig::Local(from.join(BLOBS)))?;
    let copy = copy_blobs(&source, blobs, &hashes, parallel, progress).await?;
    progress.phase("restoring the catalog", None);
    let catalog =
        Catalog::restore_from(&from.join(&manifest.catalog), dialect, database_url).await?;
    Ok((catalog, BackupReport { manifest, copy }))
}

async fn read_manifest(from: &Path) -> Result<BackupManifest, StorageError> {
    let path = from.join(MANIFEST);
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StorageError::Config(format!(
                "{} has no {MANIFEST}: not a backup, or one that did not finish",
                from.display()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let manifest: BackupManifest = serde_json::from_slice(&bytes)
        .map_err(|e| StorageError::Config(format!("{}: {e}", path.display())))?;
    if manifest.format != FORMAT {
        return Err(StorageError::Config(format!(
            "backup format {} is not one this version reads ({FORMAT})",
            manifest.format
        )));
    }
    Ok(manifest)
}

async fn read_blob_list(path: &PathBuf) -> Result<Vec<ContentHash>, StorageError> {
    let text = tokio::fs::read_to_string(path).await?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let hash = line.split(' ').next().unwrap_or_default();
            hash.parse()
                .map_err(|_| StorageError::Config(format!("{}: bad line {line:?}", path.display())))
        })
        .collect()
}

async fn remove_if_present(path: &Path) -> Result<(), StorageError> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}
