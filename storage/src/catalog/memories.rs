//! "On this day": the photos a library holds that were taken on a calendar
//! day in earlier years. Read through the (owner, taken day) index, one
//! lookup per year, so its cost follows the photos of those days.

use super::Catalog;
use super::assets::{ASSET_COLUMNS, AssetRecord, asset_from_row};
use super::listing::{Bind, QueryText};
use crate::{StorageError, UserId};

/// How many years back "on this day" looks.
pub const MEMORY_YEARS: u32 = 100;

impl Catalog {
    /// The owner's live photos taken on `month`/`day` of the years before
    /// `year` (newest year first, then by time taken), at most `limit`.
    /// Only photos whose capture time is known: an upload's date is not a
    /// memory.
    pub async fn taken_on_this_day(
        &self,
        owner: &UserId,
        year: u32,
        month: u32,
        day: u32,
        limit: u32,
    ) -> Result<Vec<AssetRecord>, StorageError> {
        if year == 0 {
            // No earlier year to look in (and no empty `IN ()` to send).
            return Ok(Vec::new());
        }
        let mut q = QueryText::default();
        let owner_p = q.bind(Bind::Text(owner.to_string()));
        let days = q.bind_list(
            (1..=MEMORY_YEARS.min(year))
                .map(|back| Bind::Int(i64::from((year - back) * 10_000 + month * 100 + day))),
        );
        let limit_p = q.bind(Bind::Int(i64::from(limit)));
        q.text = format!(
            "SELECT {ASSET_COLUMNS} FROM assets
             WHERE owner_id = {owner_p} AND taken_day IN ({days})
               AND deleted_at IS NULL AND taken_at IS NOT NULL
             ORDER BY taken_day DESC, sort_at, id LIMIT {limit_p}"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter().map(asset_from_row).collect()
    }
}
