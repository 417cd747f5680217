//! Synthetic libraries for the catalog benchmark (`benches/src/catalog.rs`):
//! many assets written with multi-row inserts, then the per-day counts and
//! usage rebuilt from them, as the real write path would have left them.
//! Not for production data: the blobs these rows name do not exist.

use super::Catalog;
use crate::{AlbumId, AssetId, ContentHash, StorageError, UserId, now_ms};

/// Camera models the synthetic library spreads over, with their makers.
const CAMERAS: [(&str, &str); 5] = [
    ("Leica Camera AG", "LEICA M11"),
    ("Leica Camera AG", "LEICA Q3"),
    ("FUJIFILM", "X-T5"),
    ("SONY", "ILCE-7RM5"),
    ("Apple", "iPhone 15 Pro"),
];
/// Rows per INSERT (each binds 21 values: well under both databases' limits).
const BATCH: usize = 500;

/// Each synthetic title names a trip, and this many photos share one: a
/// search for a trip finds as many photos in a small library as in a large.
pub const PHOTOS_PER_TRIP: usize = 100;

/// The made-up word naming trip `n`: "q" and four letters, all of one
/// length, so no trip's word is the start of another's (search matches
/// prefixes).
pub fn synthetic_trip_word(n: usize) -> String {
    let mut word = String::from("q");
    let mut rest = n;
    for _ in 0..4 {
        word.push(char::from(b'a' + (rest % 26) as u8));
        rest /= 26;
    }
    word
}

/// A small deterministic generator (SplitMix64), so runs are comparable.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Catalog {
    /// Adds `count` synthetic assets to `owner`'s library, spread over ten
    /// years before `now`, and puts the first `album_size` of them in a new
    /// album, whose id is returned.
    #[doc(hidden)]
    pub async fn fill_synthetic_library(
        &self,
        owner: &UserId,
        count: usize,
        album_size: usize,
    ) -> Result<AlbumId, StorageError> {
        let mut mix = Mix(count as u64);
        let now = now_ms();
        let span_ms: i64 = 10 * 365 * 86_400_000;
        let mut album_members = Vec::with_capacity(album_size);
        let mut done = 0;
        while done < count {
            let n = BATCH.min(count - done);
            let mut tx = self.begin_write().await?;
            let mut blob_sql =
                String::from("INSERT INTO blobs (hash, size, ref_count, created_at) VALUES ");
            let mut asset_sql = String::from(
                "INSERT INTO assets (id, owner_id, blob_hash, original_name, media_type, format,
                    size, width, height, taken_at, sort_at, created_at, camera_make, camera_model,
                    lens, is_raw, has_location, rating, is_favorite, taken_day, title) VALUES ",
            );
            struct Row {
                id: AssetId,
                hash: ContentHash,
                name: String,
                raw: bool,
                size: i64,
                taken: String,
                sort_at: i64,
                camera: (&'static str, &'static str),
                location: bool,
                rating: i64,
                favorite: bool,
                day: i64,
                title: String,
            }
            let mut rows = Vec::with_capacity(n);
            for i in 0..n {
                let r = mix.next();
                let sort_at = now - (r % span_ms as u64) as i64;
                let taken = chrono::DateTime::from_timestamp_millis(sort_at).unwrap_or_default();
                let raw = r.is_multiple_of(33);
                rows.push(Row {
                    id: AssetId::new(),
                    // Per owner, so two owners' libraries can be filled.
                    hash: ContentHash::of(format!("{owner}/{}", done + i).as_bytes()),
                    name: format!("IMG_{:07}.{}", done + i, if raw { "DNG" } else { "JPG" }),
                    raw,
                    size: 4_000_000 + (r >> 40) as i64 % 20_000_000,
                    taken: taken.format("%Y-%m-%dT%H:%M:%S").to_string(),
                    sort_at,
                    camera: CAMERAS[(r >> 8) as usize % CAMERAS.len()],
                    location: (r >> 16) % 5 < 2,
                    rating: [0, 0, 0, 1, 2, 3, 3, 4, 5][(r >> 20) as usize % 9],
                    favorite: (r >> 24).is_multiple_of(20),
                    day: super::ledger::utc_day(sort_at) as i64,
                    title: format!("Trip {}", synthetic_trip_word((done + i) / PHOTOS_PER_TRIP)),
                });
            }
            for (i, _) in rows.iter().enumerate() {
                let b = i * 3;
                blob_sql.push_str(&format!(
                    "{}(${}, ${}, 1, ${})",
                    if i == 0 { "" } else { ", " },
                    b + 1,
                    b + 2,
                    b + 3
                ));
                let a = i * 21;
                let params: Vec<String> = (1..=21).map(|k| format!("${}", a + k)).collect();
                asset_sql.push_str(&format!(
                    "{}({})",
                    if i == 0 { "" } else { ", " },
                    params.join(", ")
                ));
            }
            let mut blobs = sqlx::query(sqlx::AssertSqlSafe(blob_sql));
            for row in &rows {
                blobs = blobs.bind(row.hash.to_hex()).bind(row.size).bind(now);
            }
            blobs.execute(&mut *tx).await?;
            let mut assets = sqlx::query(sqlx::AssertSqlSafe(asset_sql));
            for row in &rows {
                assets = assets
                    .bind(row.id.to_string())
                    .bind(owner.to_string())
                    .bind(row.hash.to_hex())
                    .bind(row.name.clone())
                    .bind(if row.raw {
                        "image/x-adobe-dng"
                    } else {
                        "image/jpeg"
                    })
                    .bind(if row.raw { "dng" } else { "jpeg" })
                    .bind(row.size)
                    .bind(6000_i64)
                    .bind(4000_i64)
                    .bind(row.taken.clone())
                    .bind(row.sort_at)
                    .bind(now - (done as i64))
                    .bind(row.camera.0)
                    .bind(row.camera.1)
                    .bind(if row.camera.0 == "Apple" {
                        "iPhone 15 Pro back camera"
                    } else {
                        "50 mm"
                    })
                    .bind(i64::from(row.raw))
                    .bind(i64::from(row.location))
                    .bind(row.rating)
                    .bind(i64::from(row.favorite))
                    .bind(row.day)
                    .bind(row.title.clone());
            }
            assets.execute(&mut *tx).await?;
            tx.commit().await?;
            for row in &rows {
                if album_members.len() < album_size {
                    album_members.push(row.id);
                }
            }
            done += n;
        }
        // What the write path keeps in step, rebuilt in one go.
        self.rebuild_timeline(owner).await?;
        self.recompute_usage().await?;
        let album = self
            .create_album(owner, "Synthetic", "", super::AlbumOrder::Taken)
            .await?;
        for chunk in album_members.chunks(1000) {
            self.add_to_album(owner, &album.id, chunk).await?;
        }
        // PostgreSQL's autovacuum would have analyzed the new rows by now.
        // SQLite's statistics are left to `refresh_statistics`, which a
        // server runs as it starts and then periodically (the bench does
        // the same), so that the bench measures the plans production runs.
        if self.dialect == super::Dialect::Postgres {
            sqlx::query("ANALYZE").execute(&self.pool).await?;
        }
        Ok(album.id)
    }
}
