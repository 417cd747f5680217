//! The metadata catalog: SQLite (embedded default) or PostgreSQL.
//!
//! Both run through one sqlx `Any` pool and, with two exceptions marked
//! `Dialect`, the very same SQL text: `$N` placeholders, `ON CONFLICT`,
//! `RETURNING`, BIGINT milliseconds and TEXT ids work in both.

mod album_members;
mod albums;
mod assets;
mod blob_refs;
mod captures;
mod changes;
mod checksums;
mod edits;
mod integrity;
mod jobs;
mod ledger;
mod library;
mod listing;
mod memories;
mod places;
mod renditions;
mod replication;
mod search_index;
mod search_timeline;
mod sessions;
mod shares;
mod snapshot;
mod statistics;
// Fixture libraries for the catalog benchmark only.
#[cfg(any(test, feature = "bench-fixtures"))]
mod synthetic;
#[cfg(any(test, feature = "bench-fixtures"))]
#[doc(hidden)]
pub use synthetic::{PHOTOS_PER_TRIP, synthetic_trip_word};
mod trash;
mod uploads;
mod usage;
mod users;
mod webhooks;
mod write_tx;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use album_members::{AlbumAccess, AlbumMember, AlbumRole};
pub use albums::{AlbumOrder, AlbumPatch, AlbumRecord};
pub use assets::{
    AssetFacts, AssetInsert, AssetPlace, AssetRecord, EditState, GeoPoint, LibraryFields, NewAsset,
};
pub use blob_refs::StorageTotals;
pub use captures::{CaptureFile, CaptureRole, NewLiveVideo, capture_key};
pub use changes::{ChangeKind, ChangeRecord, ChangeSubject};
pub use checksums::Sha1Match;
pub use edits::EditVersion;
pub use integrity::{BlobUser, FeedCheck, UsageCheck};
pub use jobs::{
    Job, JobCounts, JobGauge, JobLane, JobRecord, JobState, JobStatus, LeasedJob, NewJob,
    RENDER_JOB_KIND, REPLICATE_JOB_ATTEMPTS, REPLICATE_JOB_KIND, TELL_MEMBERS_JOB_KIND,
    WEBHOOK_JOB_KIND,
};
pub use ledger::{day_number, utc_day};
pub use library::LibraryPatch;
pub use listing::{
    AssetFilter, AssetOrder, AssetPage, CameraCount, LibraryFacets, SearchTerms, SortCursor,
    TimelineDay,
};
pub use memories::MEMORY_YEARS;
pub use places::{MapPoint, PlaceCount, Unplaced};
pub use renditions::{NewRendition, RenditionRecord};
pub use replication::ReplicaDuty;
pub use search_index::SearchIndexCheck;
pub use sessions::OpenedSession;
pub use sessions::{NewSession, SessionRecord};
pub use shares::{NewShareLink, ShareLinkChange, ShareLinkRecord, ShareLinkState, ShareTarget};
pub use snapshot::CatalogSnapshot;
pub use statistics::StatisticsRefresh;
pub use uploads::UploadRecord;
pub use usage::{UsageKind, UsageRow};
pub use users::{IssuedToken, Principal, Scope, TokenRecord, UsageDrift, UserRecord};
pub use webhooks::{AttemptRecord, DeliveryRecord, WEBHOOK_ATTEMPTS, WebhookRecord};

use crate::StorageError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// Which database sits behind the pool; only a couple of statements differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// How the connection pool is used at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// Handle to the catalog database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Catalog {
    pool: AnyPool,
    dialect: Dialect,
    /// Whether blobs are copied to a second site: then the transaction that
    /// first refers to a blob also queues the job that copies it.
    replicating: bool,
}

impl Catalog {
    /// This handle queues a `replicate_blob` job whenever a blob gains its
    /// first reference (with `--replica-blobs`; every process that writes
    /// must say so).
    pub fn replicating_blobs(mut self, on: bool) -> Self {
        self.replicating = on;
        self
    }

    /// Whether this handle queues replication jobs.
    pub fn is_replicating_blobs(&self) -> bool {
        self.replicating
    }

    /// Connects to `sqlite:PATH` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StorageError::Config(format!(
                "database URL must start with sqlite: or postgres:// (got {:?})",
                url.split(':').next().unwrap_or_default()
            )));
        };
        let url = match dialect {
            // rwc: create the file on first start.
            Dialect::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool_options = AnyPoolOptions::new()
            .max_connections(match dialect {
                Dialect::Sqlite => 8,
                Dialect::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30));
        let pool = match dialect {
            Dialect::Sqlite => {
                pool_options
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL: readers never block the writer; other processes
                            // (`darkroom admin …`) can write while a server runs.
                            // synchronous=FULL: a committed upload survives power loss.
                            conn.execute(sqlx::raw_sql(
                                "PRAGMA journal_mode = WAL;
                                 PRAGMA synchronous = FULL;
                                 PRAGMA foreign_keys = ON;
                                 PRAGMA busy_timeout = 15000;",
                            ))
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Dialect::Postgres => pool_options.connect_with(options).await?,
        };
        Ok(Catalog {
            pool,
            dialect,
            replicating: false,
        })
    }

    /// Applies pending migrations for this database.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        let hashed = self.hash_plain_share_tokens().await?;
        if hashed > 0 {
            tracing::info!(links = hashed, "share-link tokens now kept hashed");
        }
        Ok(())
    }

    /// The database behind this catalog.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StorageError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool (so a SQLite file is released before the process exits).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The clause that locks selected rows until the transaction ends:
    /// `FOR UPDATE` on PostgreSQL; nothing on SQLite, whose write
    /// transactions ([`begin_write`](Self::begin_write)) are serialised.
    fn for_update(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => "FOR UPDATE",
        }
    }

    /// Begins a transaction that will write.
    ///
    /// On SQLite this takes the write lock up front (`BEGIN IMMEDIATE`): a
    /// deferred transaction that reads first and then writes can fail with
    /// SQLITE_BUSY without waiting when another connection wrote in between.
    async fn begin_write(&self) -> Result<write_tx::WriteTx, StorageError> {
        let started = std::time::Instant::now();
        let tx = match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        };
        Ok(write_tx::WriteTx::new(tx, started))
    }

    /// Connections open in the pool, of them idle, and the most it opens:
    /// for the `darkroom_catalog_pool_connections` gauges.
    pub fn pool_usage(&self) -> PoolUsage {
        PoolUsage {
            open: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.pool.options().get_max_connections(),
        }
    }
}

/// `UPDATE {table} SET {column} = value WHERE id = id`, returning the rows
/// changed. `table` and `column` are names written in this crate, never input.
async fn set_column<'e, E, T>(
    executor: E,
    table: &'static str,
    column: &'static str,
    id: String,
    value: T,
) -> Result<u64, StorageError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
    T: 'e + Send + sqlx::Encode<'e, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    let sql = sqlx::AssertSqlSafe(format!("UPDATE {table} SET {column} = $1 WHERE id = $2"));
    Ok(sqlx::query(sql)
        .bind(value)
        .bind(id)
        .execute(executor)
        .await?
        .rows_affected())
}

/// Selected columns qualified with a table alias (`id, name` → `a.id, a.name`).
fn qualified(columns: &str, alias: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses an id column; a malformed id in the catalog is corruption.
fn parse_id<T: FromStr>(column: &str, value: &str) -> Result<T, StorageError> {
    value
        .parse()
        .map_err(|_| StorageError::Corrupt(format!("{column}: {value:?} is not an id")))
}

/// A fresh, migrated SQLite catalog in a folder of its own, for unit tests
/// (the folder goes when the returned guard is dropped).
#[cfg(test)]
pub(crate) async fn test_catalog() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("catalog.db").display());
    let catalog = Catalog::connect(&url).await.unwrap();
    catalog.migrate().await.unwrap();
    (dir, catalog)
}

/// Creates an empty PostgreSQL database named `name` on the server that
/// `admin_url` points at, and returns its URL. For test suites that want a
/// fresh catalog per test; `name` must be a plain identifier.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<String, StorageError> {
    use sqlx::Connection;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(StorageError::Config(format!(
            "{name:?} is not a plain database name"
        )));
    }
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let mut url = url::Url::parse(admin_url).map_err(|e| StorageError::Config(e.to_string()))?;
    url.set_path(name);
    Ok(url.to_string())
}
