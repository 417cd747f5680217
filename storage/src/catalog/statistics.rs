//! The planner's statistics, kept fresh on SQLite.
//!
//! SQLite chooses a query plan from `sqlite_stat1`, which only `ANALYZE`
//! writes. Without it, some listings pick the wrong index at scale (at a
//! million photos, `min_rating` alone read every rated photo through the
//! rating index and sorted them). `PRAGMA optimize` analyzes just the tables
//! whose size changed a lot since their last analysis (or that never had
//! one), with a temporary `analysis_limit`, so it is cheap enough to run at
//! start and then periodically. PostgreSQL's autovacuum does this itself.

use std::time::Instant;

use super::{Catalog, Dialect};
use crate::StorageError;

/// `PRAGMA optimize`'s mask 0x10002: analyze the tables that might benefit
/// (0x02), checking every table's size, not only those this connection
/// queried (0x10000); the temporary analysis limit (0x10) is on by default.
const OPTIMIZE_ALL_TABLES: &str = "PRAGMA optimize(0x10002)";
/// The same with 0x01: only list the `ANALYZE` statements it would run.
const OPTIMIZE_DRY_RUN: &str = "PRAGMA optimize(0x10003)";

/// What one refresh did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatisticsRefresh {
    /// The tables analyzed (none when every table's statistics still hold).
    pub tables: Vec<String>,
    pub elapsed_ms: u64,
}

impl Catalog {
    /// Brings the query planner's statistics up to date where they are stale
    /// (SQLite); a no-op on PostgreSQL. Safe to run while serving: the
    /// analysis reads a bounded sample of each index.
    pub async fn refresh_statistics(&self) -> Result<StatisticsRefresh, StorageError> {
        if self.dialect != Dialect::Sqlite {
            return Ok(StatisticsRefresh::default());
        }
        let started = Instant::now();
        // One connection for both steps, so the list is what gets analyzed.
        let mut conn = self.pool.acquire().await?;
        let statements: Vec<(String,)> = sqlx::query_as(OPTIMIZE_DRY_RUN)
            .fetch_all(&mut *conn)
            .await?;
        if !statements.is_empty() {
            sqlx::query(OPTIMIZE_ALL_TABLES).execute(&mut *conn).await?;
        }
        Ok(StatisticsRefresh {
            tables: statements
                .into_iter()
                .map(|(statement,)| analyzed_table(&statement))
                .collect(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }
}

/// `ANALYZE "main"."assets"` → `assets`.
fn analyzed_table(statement: &str) -> String {
    statement
        .rsplit('.')
        .next()
        .unwrap_or(statement)
        .trim_start_matches("ANALYZE ")
        .trim_matches('"')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::analyzed_table;

    /// A library filled without statistics gets them on the first refresh,
    /// and a refresh with nothing changed analyzes nothing.
    #[tokio::test]
    async fn a_refresh_analyzes_what_has_no_statistics_then_nothing() {
        let (_dir, catalog) = crate::catalog::test_catalog().await;
        let owner = catalog.create_user("ann", false).await.unwrap().id;
        catalog
            .fill_synthetic_library(&owner, 3_000, 0)
            .await
            .unwrap();
        let stats_rows = |table: &'static str| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = $1")
                .bind(table)
                .fetch_one(&catalog.pool)
        };
        // sqlite_stat1 itself does not exist before the first analysis.
        let first = catalog.refresh_statistics().await.unwrap();
        assert!(first.tables.iter().any(|t| t == "assets"), "{first:?}");
        assert!(stats_rows("assets").await.unwrap() > 0);
        let second = catalog.refresh_statistics().await.unwrap();
        assert_eq!(second.tables, Vec::<String>::new());
    }

    #[test]
    fn names_the_table_an_analyze_statement_reads() {
        assert_eq!(analyzed_table(r#"ANALYZE "main"."assets""#), "assets");
        assert_eq!(analyzed_table("ANALYZE assets"), "assets");
    }
}
