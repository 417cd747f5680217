//! The catalog's side of backups: a consistent copy taken while servers
//! write, the blobs that copy refers to, and bringing a copy back.
//!
//! SQLite: `VACUUM INTO` writes a consistent copy from one read
//! transaction. PostgreSQL: one REPEATABLE READ transaction exports its
//! snapshot, `pg_dump --snapshot` dumps exactly that state, and the blob
//! list is read in the same transaction, so it names every blob the dump
//! refers to and no other.

use std::path::{Path, PathBuf};

use sqlx::Row;

use super::{Catalog, Dialect, parse_id};
use crate::{ContentHash, StorageError};

/// Every blob an asset or rendition uses, with its size.
const BLOBS_IN_USE_SQL: &str = "SELECT b.hash, b.size FROM blobs b
     WHERE b.hash IN (SELECT blob_hash FROM assets UNION SELECT blob_hash FROM asset_files
        UNION SELECT blob_hash FROM renditions)
     ORDER BY b.hash";

/// A catalog copied to a file, and the blobs it refers to.
#[derive(Clone, Debug)]
pub struct CatalogSnapshot {
    pub dialect: Dialect,
    pub blobs: Vec<(ContentHash, u64)>,
}

impl Catalog {
    /// Writes a consistent copy of the catalog to `file` (SQLite database,
    /// or `pg_dump`'s custom format; `database_url` is handed to `pg_dump`).
    pub async fn snapshot_to(
        &self,
        file: &Path,
        database_url: &str,
    ) -> Result<CatalogSnapshot, StorageError> {
        let blobs = match self.dialect {
            Dialect::Sqlite => {
                sqlx::query("VACUUM INTO $1")
                    .bind(file.display().to_string())
                    .execute(&self.pool)
                    .await?;
                let copy = Catalog::connect(&format!("sqlite:{}", file.display())).await?;
                let rows = sqlx::query(BLOBS_IN_USE_SQL).fetch_all(&copy.pool).await;
                copy.close().await;
                rows?
            }
            Dialect::Postgres => {
                let mut tx = self
                    .pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?;
                let snapshot: String = sqlx::query("SELECT pg_export_snapshot()")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                let dump = tokio::process::Command::new("pg_dump")
                    .args(["--format=custom", "--no-owner", "--no-privileges"])
                    .arg(format!("--snapshot={snapshot}"))
                    .arg("--file")
                    .arg(file)
                    .arg(database_url)
                    .output()
                    .await
                    .map_err(|e| StorageError::Config(format!("running pg_dump: {e}")))?;
                if !dump.status.success() {
                    return Err(StorageError::Config(format!(
                        "pg_dump failed: {}",
                        String::from_utf8_lossy(&dump.stderr).trim()
                    )));
                }
                let rows = sqlx::query(BLOBS_IN_USE_SQL).fetch_all(&mut *tx).await?;
                tx.commit().await?;
                rows
            }
        };
        let blobs = blobs
            .iter()
            .map(|r| {
                Ok((
                    parse_id("blobs.hash", &r.try_get::<String, _>("hash")?)?,
                    r.try_get::<i64, _>("size")?.max(0) as u64,
                ))
            })
            .collect::<Result<_, StorageError>>()?;
        Ok(CatalogSnapshot {
            dialect: self.dialect,
            blobs,
        })
    }

    /// Brings the copy in `file` (written by [`Catalog::snapshot_to`] from a
    /// `dialect` catalog) back as the catalog at `database_url`, which must
    /// be empty; then applies this version's migrations. Unfinished
    /// resumable uploads are dropped: their parts are not in backups, and
    /// clients start those again.
    pub async fn restore_from(
        file: &Path,
        dialect: Dialect,
        database_url: &str,
    ) -> Result<Catalog, StorageError> {
        let target = Catalog::ready_for_restore(dialect, database_url).await?;
        match dialect {
            Dialect::Sqlite => {
                target.close().await;
                let path = sqlite_path(database_url)?;
                // The empty file `connect` created, and its journal, go.
                for suffix in ["", "-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{suffix}", path.display()));
                    match tokio::fs::remove_file(&side).await {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                tokio::fs::copy(file, &path).await?;
                // On disk before anyone is told the restore is done.
                tokio::fs::File::open(&path).await?.sync_all().await?;
            }
            Dialect::Postgres => {
                let restore = tokio::process::Command::new("pg_restore")
                    .args([
                        "--no-owner",
                        "--no-privileges",
                        "--exit-on-error",
                        "--dbname",
                    ])
                    .arg(database_url)
                    .arg(file)
                    .output()
                    .await
                    .map_err(|e| StorageError::Config(format!("running pg_restore: {e}")))?;
                target.close().await;
                if !restore.status.success() {
                    return Err(StorageError::Config(format!(
                        "pg_restore failed: {}",
                        String::from_utf8_lossy(&restore.stderr).trim()
                    )));
                }
            }
        }
        let catalog = Catalog::connect(database_url).await?;
        catalog.migrate().await?;
        sqlx::query("DELETE FROM uploads WHERE asset_id IS NULL")
            .execute(&catalog.pool)
            .await?;
        Ok(catalog)
    }

    /// The catalog at `database_url`, if a `dialect` backup can be restored
    /// into it: same engine, and empty.
    pub async fn ready_for_restore(
        dialect: Dialect,
        database_url: &str,
    ) -> Result<Catalog, StorageError> {
        let target = Catalog::connect(database_url).await?;
        if target.dialect != dialect {
            target.close().await;
            return Err(StorageError::Config(format!(
                "this backup holds a {dialect:?} catalog and the one to restore into is \
                 {:?}: moving between engines is not supported",
                target.dialect
            )));
        }
        if !target.is_empty().await? {
            target.close().await;
            return Err(StorageError::Conflict(
                "the catalog to restore into is not empty; restore into a new database or data \
                 folder"
                    .into(),
            ));
        }
        Ok(target)
    }

    /// True when the database has no tables of ours (not even migrated).
    async fn is_empty(&self) -> Result<bool, StorageError> {
        let sql = match self.dialect {
            Dialect::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'users'"
            }
            Dialect::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'users'
                 AND table_schema = current_schema()"
            }
        };
        let tables: i64 = sqlx::query(sql).fetch_one(&self.pool).await?.try_get(0)?;
        Ok(tables == 0)
    }
}

/// The file a `sqlite:` URL names.
fn sqlite_path(url: &str) -> Result<PathBuf, StorageError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| StorageError::Config(format!("not a SQLite URL: {url}")))?;
    let path = rest.split('?').next().unwrap_or_default();
    Ok(PathBuf::from(path))
}
