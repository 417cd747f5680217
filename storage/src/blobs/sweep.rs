//! Removing staging objects that a killed process left behind.

use std::time::{Duration, SystemTime};

use futures::TryStreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;

use super::{BlobStore, keys};
use crate::StorageError;

impl BlobStore {
    /// Deletes staging objects older than `grace` and returns how many went.
    ///
    /// Anything younger may belong to an upload still streaming in another
    /// process sharing this store, so it is left alone.
    /// With a second site, its staging area too (uploads staged there
    /// while the primary was down).
    pub async fn sweep_staging(&self, grace: Duration) -> Result<usize, StorageError> {
        let mut removed = self.sweep_staging_here(grace).await?;
        if let Some(replica) = self.replica_only() {
            removed += replica.sweep_staging_here(grace).await?;
        }
        Ok(removed)
    }

    async fn sweep_staging_here(&self, grace: Duration) -> Result<usize, StorageError> {
        let cutoff = SystemTime::now() - grace;
        let mut removed = 0;
        let staged: Vec<_> = self
            .store
            .list(Some(&Path::from(keys::STAGING_PREFIX)))
            .try_collect()
            .await?;
        for meta in staged {
            if SystemTime::from(meta.last_modified) < cutoff {
                match self.store.delete(&meta.location).await {
                    Ok(()) => removed += 1,
                    // Finished (or swept by another process) meanwhile.
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if let Some(root) = &self.local_root {
            // object_store writes local uploads as `name#N` until they complete and
            // hides such files from listings; a crash leaves them on disk.
            let dir = root.join(keys::STAGING_PREFIX);
            removed += tokio::task::spawn_blocking(move || remove_old_files(&dir, cutoff))
                .await
                .map_err(|e| StorageError::Io(std::io::Error::other(e)))??;
        }
        if removed > 0 {
            tracing::info!(removed, "removed abandoned staging uploads");
        }
        Ok(removed)
    }
}

fn remove_old_files(dir: &std::path::Path, cutoff: SystemTime) -> Result<usize, StorageError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let mut removed = 0;
    for entry in entries {
        // An upload that finishes meanwhile renames its staging file away:
        // gone between the listing and the look is not an error.
        let meta = match entry.and_then(|e| e.metadata().map(|m| (e, m))) {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        let (entry, meta) = meta;
        if meta.is_file() && meta.modified()? < cutoff {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(removed)
}

/// The default grace period before a staging object counts as abandoned.
pub const DEFAULT_STAGING_GRACE: Duration = Duration::from_secs(3600);
