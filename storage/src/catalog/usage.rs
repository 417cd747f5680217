//! Usage metering for billing: per user and UTC day, bytes stored (as of
//! the day's last change), uploaded, downloaded (originals and renditions
//! apart) and the CPU time spent rendering.

use sqlx::Row;

use super::ledger::utc_day;
use super::{Catalog, parse_id};
use crate::{StorageError, UserId, now_ms};

/// A metered quantity that accumulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UsageKind {
    BytesUploaded,
    OriginalBytesDownloaded,
    RenditionBytesDownloaded,
    RenderCpuMs,
}

impl UsageKind {
    fn column(self) -> &'static str {
        match self {
            UsageKind::BytesUploaded => "bytes_uploaded",
            UsageKind::OriginalBytesDownloaded => "bytes_downloaded_originals",
            UsageKind::RenditionBytesDownloaded => "bytes_downloaded_renditions",
            UsageKind::RenderCpuMs => "render_cpu_ms",
        }
    }
}

/// One user's usage on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRow {
    pub user: UserId,
    pub user_name: String,
    /// YYYYMMDD, UTC.
    pub day: u32,
    pub bytes_stored: i64,
    pub bytes_uploaded: i64,
    pub bytes_downloaded_originals: i64,
    pub bytes_downloaded_renditions: i64,
    pub render_cpu_ms: i64,
}

impl Catalog {
    /// Adds `amount` of `kind` to the user's row for today (UTC).
    pub async fn meter(
        &self,
        user: &UserId,
        kind: UsageKind,
        amount: i64,
    ) -> Result<(), StorageError> {
        self.meter_on(user, utc_day(now_ms()), kind, amount).await
    }

    /// Adds `amount` of `kind` to the user's row for `day`.
    pub async fn meter_on(
        &self,
        user: &UserId,
        day: u32,
        kind: UsageKind,
        amount: i64,
    ) -> Result<(), StorageError> {
        if amount == 0 {
            return Ok(());
        }
        let column = kind.column();
        // Bytes stored start from the user's current usage on a new day.
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO usage_daily (user_id, day, bytes_stored, {column})
             SELECT id, $2, usage_bytes, $3 FROM users WHERE id = $1
             ON CONFLICT (user_id, day) DO UPDATE SET {column} = usage_daily.{column} + excluded.{column}"
        ));
        sqlx::query(sql)
            .bind(user.to_string())
            .bind(i64::from(day))
            .bind(amount)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every user's usage for each day from `from` to `to` (YYYYMMDD,
    /// inclusive). Days without activity carry the bytes stored forward from
    /// the last day that changed them, and count zero for the rest.
    pub async fn usage_report(&self, from: u32, to: u32) -> Result<Vec<UsageRow>, StorageError> {
        let rows = sqlx::query(
            "SELECT d.user_id, u.name, d.day, d.bytes_stored, d.bytes_uploaded,
                d.bytes_downloaded_originals, d.bytes_downloaded_renditions, d.render_cpu_ms
             FROM usage_daily d JOIN users u ON u.id = d.user_id
             WHERE d.day <= $1 ORDER BY u.name, d.user_id, d.day",
        )
        .bind(i64::from(to))
        .fetch_all(&self.pool)
        .await?;
        let mut recorded = Vec::with_capacity(rows.len());
        for r in rows {
            recorded.push(UsageRow {
                user: parse_id("usage_daily.user_id", &r.try_get::<String, _>("user_id")?)?,
                user_name: r.try_get("name")?,
                day: r.try_get::<i64, _>("day")?.clamp(0, u32::MAX as i64) as u32,
                bytes_stored: r.try_get("bytes_stored")?,
                bytes_uploaded: r.try_get("bytes_uploaded")?,
                bytes_downloaded_originals: r.try_get("bytes_downloaded_originals")?,
                bytes_downloaded_renditions: r.try_get("bytes_downloaded_renditions")?,
                render_cpu_ms: r.try_get("render_cpu_ms")?,
            });
        }
        Ok(fill_days(&recorded, from, to))
    }
}

/// One row per user and day in `from..=to` from the user's first recorded
/// day on, from the recorded rows (sorted by user, then day), carrying bytes
/// stored forward.
fn fill_days(recorded: &[UsageRow], from: u32, to: u32) -> Vec<UsageRow> {
    let days = days_between(from, to);
    let mut out = Vec::new();
    for user_rows in recorded.chunk_by(|a, b| a.user == b.user) {
        let first = &user_rows[0];
        let mut stored = 0;
        let mut rows = user_rows.iter().peekable();
        // No rows for days before the account had any usage at all.
        for &day in days.iter().filter(|d| **d >= first.day) {
            let mut today = None;
            while let Some(r) = rows.next_if(|r| r.day <= day) {
                stored = r.bytes_stored;
                if r.day == day {
                    today = Some(r);
                }
            }
            out.push(match today {
                Some(r) => r.clone(),
                None => UsageRow {
                    user: first.user,
                    user_name: first.user_name.clone(),
                    day,
                    bytes_stored: stored,
                    bytes_uploaded: 0,
                    bytes_downloaded_originals: 0,
                    bytes_downloaded_renditions: 0,
                    render_cpu_ms: 0,
                },
            });
        }
    }
    out
}

/// The YYYYMMDD days from `from` to `to` inclusive (at most ~10 years).
fn days_between(from: u32, to: u32) -> Vec<u32> {
    let parse =
        |d: u32| chrono::NaiveDate::from_ymd_opt((d / 10_000) as i32, d / 100 % 100, d % 100);
    let (Some(mut day), Some(last)) = (parse(from), parse(to)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while day <= last && out.len() < 3700 {
        out.push(super::ledger::day_number(day));
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(user: UserId, day: u32, stored: i64, uploaded: i64) -> UsageRow {
        UsageRow {
            user,
            user_name: "u".into(),
            day,
            bytes_stored: stored,
            bytes_uploaded: uploaded,
            bytes_downloaded_originals: 0,
            bytes_downloaded_renditions: 0,
            render_cpu_ms: 0,
        }
    }

    #[test]
    fn stored_bytes_carry_forward_over_quiet_days() {
        let u = UserId::new();
        let recorded = [row(u, 20240227, 100, 100), row(u, 20240301, 50, 0)];
        let filled = fill_days(&recorded, 20240228, 20240302);
        let summary: Vec<(u32, i64, i64)> = filled
            .iter()
            .map(|r| (r.day, r.bytes_stored, r.bytes_uploaded))
            .collect();
        assert_eq!(
            summary,
            [
                (20240228, 100, 0),
                (20240229, 100, 0),
                (20240301, 50, 0),
                (20240302, 50, 0)
            ]
        );
    }

    #[test]
    fn no_rows_before_a_users_first_day() {
        let u = UserId::new();
        let filled = fill_days(&[row(u, 20240301, 50, 50)], 20240228, 20240302);
        let days: Vec<u32> = filled.iter().map(|r| r.day).collect();
        assert_eq!(days, [20240301, 20240302]);
    }

    #[test]
    fn day_ranges_cross_months_and_refuse_nonsense() {
        assert_eq!(days_between(20231231, 20240101), [20231231, 20240101]);
        assert_eq!(days_between(20240101, 20240101), [20240101]);
        assert!(days_between(20240102, 20240101).is_empty());
        assert!(days_between(20241340, 20241341).is_empty());
    }
}
