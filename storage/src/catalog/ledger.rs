//! Counters kept in the same transaction as the change they count: blob
//! references, a user's storage usage (and its daily record), the timeline's
//! per-day counts. Every asset life-cycle step (insert, trash, restore, purge)
//! goes through these, so none of them can drift from the rows they count.

use crate::{ContentHash, StorageError, UserId, now_ms};

pub(super) type Tx = super::write_tx::WriteTx;

/// Takes one more reference on a blob; a referenced blob is not an orphan,
/// whatever grace period it was in. Only [`Catalog::pin_blob`] creates blob
/// rows, before the bytes are written: so a row that is missing or claimed
/// by the collector here means the writer outlived the grace period and its
/// bytes may be gone. Then `Busy`: the transaction rolls back, the caller
/// writes again.
///
/// With `replicating`, the first reference to a blob not yet on the second
/// site queues its copy in the same transaction: a crash cannot leave a
/// referenced blob that nothing will replicate.
///
/// [`Catalog::pin_blob`]: super::Catalog::pin_blob
pub(super) async fn hold_blob(
    tx: &mut Tx,
    hash: &ContentHash,
    replicating: bool,
) -> Result<(), StorageError> {
    let held: Option<(i64, Option<i64>)> = sqlx::query_as(
        "UPDATE blobs SET ref_count = ref_count + 1, orphaned_at = NULL
         WHERE hash = $1 AND deleting_at IS NULL
         RETURNING ref_count, replicated_at",
    )
    .bind(hash.to_hex())
    .fetch_optional(&mut **tx)
    .await?;
    match held {
        None => Err(StorageError::Busy(
            "these bytes were being garbage-collected; upload them again".into(),
        )),
        Some((1, None)) if replicating => super::jobs::queue_replication(tx, hash).await,
        Some(_) => Ok(()),
    }
}

/// Drops one reference; the last one starts the blob's grace period.
pub(super) async fn release_blob(tx: &mut Tx, hash: &ContentHash) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE blobs SET ref_count = ref_count - 1,
                orphaned_at = CASE WHEN ref_count <= 1 THEN $2 ELSE NULL END
         WHERE hash = $1 AND ref_count > 0",
    )
    .bind(hash.to_hex())
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds `bytes` to the user's usage unless that crosses their quota.
///
/// One conditional UPDATE: on PostgreSQL a concurrent transaction waits for
/// the row and re-checks the condition against the committed value; SQLite
/// writers are serialised. So parallel uploads cannot together cross it.
pub(super) async fn charge_usage(
    tx: &mut Tx,
    user: &UserId,
    bytes: u64,
) -> Result<(), StorageError> {
    let charged = sqlx::query(
        "UPDATE users SET usage_bytes = usage_bytes + $1
         WHERE id = $2 AND (quota_bytes IS NULL OR usage_bytes + $1 <= quota_bytes)",
    )
    .bind(bytes as i64)
    .bind(user.to_string())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if charged == 0 {
        let row: (Option<i64>, i64) =
            sqlx::query_as("SELECT quota_bytes, usage_bytes FROM users WHERE id = $1")
                .bind(user.to_string())
                .fetch_optional(&mut **tx)
                .await?
                .ok_or(StorageError::NotFound { what: "user" })?;
        let quota = row.0.unwrap_or(i64::MAX).max(0) as u64;
        return Err(StorageError::QuotaExceeded {
            quota,
            available: quota.saturating_sub(row.1.max(0) as u64),
            needed: bytes,
        });
    }
    record_stored(tx, user).await
}

/// Gives `bytes` back (never below zero).
pub(super) async fn refund_usage(
    tx: &mut Tx,
    user: &UserId,
    bytes: u64,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE users SET usage_bytes = CASE WHEN usage_bytes > $1 THEN usage_bytes - $1 ELSE 0 END
         WHERE id = $2",
    )
    .bind(bytes as i64)
    .bind(user.to_string())
    .execute(&mut **tx)
    .await?;
    record_stored(tx, user).await
}

/// Today's (UTC) metering row takes the user's current stored bytes.
pub(super) async fn record_stored(tx: &mut Tx, user: &UserId) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO usage_daily (user_id, day, bytes_stored)
         SELECT id, $2, usage_bytes FROM users WHERE id = $1
         ON CONFLICT (user_id, day) DO UPDATE SET bytes_stored = excluded.bytes_stored",
    )
    .bind(user.to_string())
    .bind(i64::from(utc_day(now_ms())))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves the timeline count of (`owner`, `day`) by `delta`.
pub(super) async fn count_on_timeline(
    tx: &mut Tx,
    owner: &UserId,
    day: u32,
    delta: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO timeline_days (owner_id, day, count) VALUES ($1, $2, $3)
         ON CONFLICT (owner_id, day) DO UPDATE SET count = timeline_days.count + excluded.count",
    )
    .bind(owner.to_string())
    .bind(i64::from(day))
    .bind(delta)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The UTC calendar day of a time in ms, as YYYYMMDD.
pub fn utc_day(ms: i64) -> u32 {
    let date = chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .date_naive();
    day_number(date)
}

/// A date as YYYYMMDD.
pub fn day_number(date: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    date.year().clamp(0, 9999) as u32 * 10_000 + date.month() * 100 + date.day()
}

/// The day a photo belongs to on the timeline: the calendar date the camera
/// recorded (its local date, whatever the offset), else the UTC date of
/// `fallback_ms` (the upload).
pub(super) fn taken_day(taken_at: Option<&str>, fallback_ms: i64) -> u32 {
    taken_at
        .and_then(|t| t.get(..10))
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(day_number)
        .unwrap_or_else(|| utc_day(fallback_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_come_from_the_cameras_local_date() {
        // 23:30 at UTC-5 is already the next day in UTC; the photo belongs to the 28th.
        assert_eq!(taken_day(Some("2024-02-28T23:30:00-05:00"), 0), 20240228);
        assert_eq!(taken_day(Some("2024-02-29T12:00:00"), 0), 20240229);
        assert_eq!(taken_day(Some("garbage"), 1_709_210_096_789), 20240229);
        assert_eq!(taken_day(None, 0), 19700101);
    }
}
