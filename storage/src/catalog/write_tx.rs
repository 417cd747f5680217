//! A write transaction that reports how long it held its connection.
//!
//! A write transaction holds SQLite's one write lock, or PostgreSQL row
//! locks, from its `BEGIN` to its end: its length is what makes other writers
//! wait, so `darkroom_catalog_transaction_seconds` measures exactly that, from
//! the moment the catalog asked for a connection to commit or rollback.

use std::ops::{Deref, DerefMut};
use std::time::Instant;

use sqlx::{Any, AnyConnection, Transaction};

use crate::StorageError;

/// A transaction begun by `Catalog::begin_write`. Use `&mut *tx` as an
/// executor, as with sqlx's own; dropped without [`WriteTx::commit`], it
/// rolls back (and is counted as such).
pub struct WriteTx {
    tx: Option<Transaction<'static, Any>>,
    started: Instant,
}

impl WriteTx {
    pub(super) fn new(tx: Transaction<'static, Any>, started: Instant) -> Self {
        WriteTx {
            tx: Some(tx),
            started,
        }
    }

    /// Commits, and records the transaction's length.
    pub async fn commit(mut self) -> Result<(), StorageError> {
        let tx = self
            .tx
            .take()
            .expect("invariant: a WriteTx holds its transaction until it ends");
        let result = tx.commit().await;
        let outcome = if result.is_ok() { "commit" } else { "error" };
        record(self.started, outcome);
        Ok(result?)
    }

    /// Rolls back (as dropping does, but waiting for the database's answer).
    pub async fn rollback(mut self) -> Result<(), StorageError> {
        let tx = self
            .tx
            .take()
            .expect("invariant: a WriteTx holds its transaction until it ends");
        record(self.started, "rollback");
        Ok(tx.rollback().await?)
    }
}

fn record(started: Instant, outcome: &'static str) {
    metrics::histogram!("darkroom_catalog_transaction_seconds", "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        // Still holding it: an early return or `?` ends it in a rollback.
        if self.tx.is_some() {
            record(self.started, "rollback");
        }
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.tx
            .as_deref()
            .expect("invariant: a WriteTx holds its transaction until it ends")
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.tx
            .as_deref_mut()
            .expect("invariant: a WriteTx holds its transaction until it ends")
    }
}
