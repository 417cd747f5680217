//! The search index's health. On PostgreSQL it is a generated column the
//! database keeps; on SQLite an FTS5 table that triggers keep in step with
//! the assets (migration 0016). A catalog restored from a copy made by hand,
//! or edited outside darkroom, may lose that step: `fsck` counts what is not
//! searchable, and a repair rebuilds the index from the assets.

use sqlx::Row;

use super::{Catalog, Dialect};
use crate::StorageError;

/// How far the SQLite index is from the assets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchIndexCheck {
    /// Assets with no row in the index: search never finds them.
    pub unindexed: i64,
    /// Index rows for assets that are gone.
    pub stray: i64,
}

impl SearchIndexCheck {
    /// True when the index holds exactly the assets.
    pub fn agrees(&self) -> bool {
        *self == SearchIndexCheck::default()
    }
}

/// The index's rows, made again from the assets (the migration's backfill).
const REBUILD: [&str; 4] = [
    "DELETE FROM asset_search",
    "DELETE FROM asset_search_keys",
    "INSERT INTO asset_search_keys (asset_id) SELECT id FROM assets",
    "INSERT INTO asset_search (rowid, name, title, caption, keywords, camera, creator, places)
     SELECT k.key, a.original_name, a.title, a.caption, a.keywords,
            COALESCE(a.camera_make, '') || ' ' || COALESCE(a.camera_model, '') || ' ' || COALESCE(a.lens, ''),
            a.creator, a.place_names
     FROM assets a JOIN asset_search_keys k ON k.asset_id = a.id",
];

impl Catalog {
    /// Counts what the SQLite index misses or holds in excess; `None` on
    /// PostgreSQL, whose index cannot fall out of step.
    pub async fn check_search_index(&self) -> Result<Option<SearchIndexCheck>, StorageError> {
        if self.dialect != Dialect::Sqlite {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT
               (SELECT COUNT(*) FROM assets a WHERE NOT EXISTS (
                  SELECT 1 FROM asset_search_keys k JOIN asset_search s ON s.rowid = k.key
                  WHERE k.asset_id = a.id)) AS unindexed,
               (SELECT COUNT(*) FROM asset_search_keys k WHERE NOT EXISTS (
                  SELECT 1 FROM assets a WHERE a.id = k.asset_id))
               + (SELECT COUNT(*) FROM asset_search s WHERE NOT EXISTS (
                  SELECT 1 FROM asset_search_keys k WHERE k.key = s.rowid)) AS stray",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Some(SearchIndexCheck {
            unindexed: row.try_get("unindexed")?,
            stray: row.try_get("stray")?,
        }))
    }

    /// Rebuilds the SQLite index from the assets, in one transaction;
    /// returns how many assets it holds. Nothing to do on PostgreSQL.
    pub async fn rebuild_search_index(&self) -> Result<i64, StorageError> {
        if self.dialect != Dialect::Sqlite {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        for statement in REBUILD {
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        let indexed: i64 = sqlx::query("SELECT COUNT(*) AS n FROM asset_search_keys")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        tx.commit().await?;
        Ok(indexed)
    }
}
