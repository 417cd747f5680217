//! Download metering without a database write per request: bytes served are
//! added up in memory and written to the catalog every few seconds (and when
//! the server stops, and before an admin reads the usage). A crash loses at
//! most the last interval's download counts, never stored data.

use std::collections::HashMap;
use std::sync::Mutex;

use darkroom_storage::catalog::{UsageKind, utc_day};
use darkroom_storage::{Catalog, StorageError, UserId, now_ms};

/// Pending metered amounts, by user, UTC day and kind.
#[derive(Default)]
pub(crate) struct Meter {
    pending: Mutex<HashMap<(UserId, u32, UsageKind), i64>>,
}

impl Meter {
    /// Counts `amount` of `kind` for `user` today.
    pub fn add(&self, user: &UserId, kind: UsageKind, amount: u64) {
        if amount == 0 {
            return;
        }
        let key = (*user, utc_day(now_ms()), kind);
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry(key).or_default() += amount.min(i64::MAX as u64) as i64;
        }
    }

    /// Writes what is pending; amounts that fail to write are kept for the
    /// next flush.
    pub async fn flush(&self, catalog: &Catalog) -> Result<(), StorageError> {
        let pending = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Ok(()),
        };
        let mut result = Ok(());
        for ((user, day, kind), amount) in pending {
            if let Err(e) = catalog.meter_on(&user, day, kind, amount).await {
                if let Ok(mut back) = self.pending.lock() {
                    *back.entry((user, day, kind)).or_default() += amount;
                }
                result = Err(e);
            }
        }
        result
    }
}
