//! Assets: one row per photo in a user's library, pointing at a shared blob.

use sqlx::Row;

use super::captures::{
    attach_second_file, capture_key, lock_capture, partner_of, photo_with_second_file,
};
use super::changes::{ChangeKind, ChangeSubject, record_change};
use super::jobs::{NewJob, insert_job};
use super::ledger::{Tx, charge_usage, count_on_timeline, hold_blob, taken_day};
use super::library::{insert_keywords, normalise_keywords};
use super::listing::{Bind, QueryText};
use super::trash::restore_in;
use super::{Catalog, parse_id};
use crate::{AssetId, ContentHash, StorageError, UserId, now_ms};

/// A new asset, as the upload path describes it.
#[derive(Clone, Debug)]
pub struct NewAsset {
    /// Chosen by the caller, so jobs enqueued with the asset can name it.
    pub id: AssetId,
    pub owner: UserId,
    pub hash: ContentHash,
    pub size: u64,
    pub original_name: String,
    pub media_type: String,
    pub format: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    /// ISO 8601 as the camera recorded it (with offset when known).
    pub taken_at: Option<String>,
    /// Taken time in ms when known; the upload time is used otherwise.
    pub taken_at_ms: Option<i64>,
    /// Metadata as JSON text.
    pub exif: Option<String>,
    /// Searchable facts from the metadata.
    pub facts: AssetFacts,
    /// The library's start: what the file says (title, caption, keywords,
    /// creator, copyright, colour label and the rating the camera or an
    /// editor recorded); never a favourite.
    pub library: LibraryFields,
    /// Place names the file records and the place the position names, for
    /// search (as private as GPS).
    pub place_names: Option<String>,
    /// The GPS position, for the map.
    pub position: Option<GeoPoint>,
    /// The uploading app's own id for this photo: one asset per id and owner.
    pub device_asset_id: Option<String>,
    /// The SHA-1 of the bytes (lowercase hex), for clients that name files
    /// by it (Immich's); recorded with the blob when it is pinned.
    pub sha1: Option<String>,
    /// An iPhone Live Photo's content identifier: its video names it too.
    pub live_photo_id: Option<String>,
}

/// What the filters search, copied out of the metadata at upload.
#[derive(Clone, Debug, Default)]
pub struct AssetFacts {
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    pub is_raw: bool,
    pub has_location: bool,
    /// Where it was taken, in words (private, as the position is).
    pub place: Option<AssetPlace>,
}

/// A GPS position, in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

/// Where a photo was taken, in words: the nearest city of the bundled
/// gazetteer, its first-level region and its country.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetPlace {
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    pub country: String,
    pub region: Option<String>,
    pub city: String,
}

impl AssetPlace {
    /// Its names for search, most specific first.
    pub fn names(&self) -> Vec<&str> {
        let mut names = vec![self.city.as_str()];
        names.extend(self.region.as_deref());
        names.push(&self.country);
        names
    }
}

/// What the photographer says about an asset.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LibraryFields {
    pub title: Option<String>,
    pub caption: Option<String>,
    /// Lower-case, trimmed, distinct.
    pub keywords: Vec<String>,
    pub is_favorite: bool,
    /// 0 (unrated) to 5.
    pub rating: u8,
    /// The photographer (several joined with "; ").
    pub creator: Option<String>,
    pub copyright: Option<String>,
    /// The colour label, as editors name it (`Red`, `Green`, …).
    pub color_label: Option<String>,
}

/// An asset as stored.
#[derive(Clone, Debug)]
pub struct AssetRecord {
    pub id: AssetId,
    pub owner: UserId,
    pub hash: ContentHash,
    pub original_name: String,
    pub media_type: String,
    pub format: String,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    pub taken_at: Option<String>,
    pub sort_at: i64,
    pub exif: Option<String>,
    pub created_at: i64,
    pub facts: AssetFacts,
    pub library: LibraryFields,
    /// The timeline day (YYYYMMDD).
    pub taken_day: u32,
    /// When it was moved to the trash; `None` while in the library.
    pub trashed_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub edit: EditState,
    /// The uploading app's id for it, when it gave one.
    pub device_asset_id: Option<String>,
}

/// Where an asset's edit stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditState {
    /// The current edit version; 0 when never edited.
    pub version: u32,
    /// The current recipe's fingerprint; '' when unedited (or edited back
    /// to a recipe that changes nothing). Renditions are current when
    /// rendered with this.
    pub recipe_hash: String,
}

/// The outcome of recording an upload.
#[derive(Clone, Debug)]
pub enum AssetInsert {
    /// A new asset (and its jobs) were recorded.
    Created(AssetRecord),
    /// The owner already had these bytes: here is that asset.
    Duplicate(AssetRecord),
    /// The owner had these bytes in the trash: they are back in the library.
    Restored(AssetRecord),
    /// The file is the other half of a photo the owner holds (a RAW beside
    /// its JPEG, or the reverse): stored as that photo's second file.
    Paired(AssetRecord),
}

pub(super) const ASSET_COLUMNS: &str = "id, owner_id, blob_hash, original_name, media_type, format,
     size, width, height, orientation, taken_at, sort_at, exif, created_at, title, caption,
     keywords, is_favorite, rating, camera_make, camera_model, lens, is_raw, has_location,
     taken_day, deleted_at, updated_at, edit_version, recipe_hash, device_asset_id, creator,
     copyright, color_label, place_country_code, place_country, place_region, place_city";

fn opt_u32(v: Option<i64>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

fn place_from_row(row: &sqlx::any::AnyRow) -> Result<Option<AssetPlace>, StorageError> {
    let code: Option<String> = row.try_get("place_country_code")?;
    let Some(country_code) = code else {
        return Ok(None);
    };
    Ok(Some(AssetPlace {
        country_code,
        country: row
            .try_get::<Option<String>, _>("place_country")?
            .unwrap_or_default(),
        region: row.try_get("place_region")?,
        city: row
            .try_get::<Option<String>, _>("place_city")?
            .unwrap_or_default(),
    }))
}

pub(super) fn asset_from_row(row: &sqlx::any::AnyRow) -> Result<AssetRecord, StorageError> {
    Ok(AssetRecord {
        id: parse_id("assets.id", &row.try_get::<String, _>("id")?)?,
        owner: parse_id("assets.owner_id", &row.try_get::<String, _>("owner_id")?)?,
        hash: parse_id("assets.blob_hash", &row.try_get::<String, _>("blob_hash")?)?,
        original_name: row.try_get("original_name")?,
        media_type: row.try_get("media_type")?,
        format: row.try_get("format")?,
        size: row.try_get::<i64, _>("size")?.max(0) as u64,
        width: opt_u32(row.try_get("width")?),
        height: opt_u32(row.try_get("height")?),
        orientation: row
            .try_get::<Option<i64>, _>("orientation")?
            .and_then(|v| u16::try_from(v).ok()),
        taken_at: row.try_get("taken_at")?,
        sort_at: row.try_get("sort_at")?,
        exif: row.try_get("exif")?,
        created_at: row.try_get("created_at")?,
        facts: AssetFacts {
            camera_make: row.try_get("camera_make")?,
            camera_model: row.try_get("camera_model")?,
            lens: row.try_get("lens")?,
            is_raw: row.try_get::<i64, _>("is_raw")? != 0,
            has_location: row.try_get::<i64, _>("has_location")? != 0,
            place: place_from_row(row)?,
        },
        library: LibraryFields {
            title: row.try_get("title")?,
            caption: row.try_get("caption")?,
            keywords: serde_json::from_str(&row.try_get::<String, _>("keywords")?)
                .map_err(|e| StorageError::Corrupt(format!("assets.keywords: {e}")))?,
            is_favorite: row.try_get::<i64, _>("is_favorite")? != 0,
            rating: row.try_get::<i64, _>("rating")?.clamp(0, 5) as u8,
            creator: row.try_get("creator")?,
            copyright: row.try_get("copyright")?,
            color_label: row.try_get("color_label")?,
        },
        taken_day: row
            .try_get::<i64, _>("taken_day")?
            .clamp(0, u32::MAX as i64) as u32,
        trashed_at: row.try_get("deleted_at")?,
        updated_at: row.try_get("updated_at")?,
        device_asset_id: row.try_get("device_asset_id")?,
        edit: EditState {
            version: row
                .try_get::<i64, _>("edit_version")?
                .clamp(0, u32::MAX as i64) as u32,
            recipe_hash: row.try_get("recipe_hash")?,
        },
    })
}

impl Catalog {
    /// The owner's asset holding exactly these bytes, if any (as its own
    /// file or as the second file of its capture).
    pub async fn find_asset_by_hash(
        &self,
        owner: &UserId,
        hash: &ContentHash,
    ) -> Result<Option<AssetRecord>, StorageError> {
        self.find_held(owner, "blob_hash", &hash.to_hex()).await
    }

    /// The owner's photo (in the library) whose own file, or a second file
    /// of whose capture, has `value` in `column` (a fixed name): one query,
    /// on the path of every upload.
    async fn find_held(
        &self,
        owner: &UserId,
        column: &'static str,
        value: &str,
    ) -> Result<Option<AssetRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets
             WHERE owner_id = $1 AND {column} = $2 AND deleted_at IS NULL
             UNION ALL
             SELECT {ASSET_COLUMNS} FROM assets
             WHERE deleted_at IS NULL AND id IN (
                SELECT asset_id FROM asset_files WHERE owner_id = $1 AND {column} = $2)
             LIMIT 1"
        ));
        let row = sqlx::query(sql)
            .bind(owner.to_string())
            .bind(value)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(asset_from_row).transpose()
    }

    /// The owner's asset with this id. Other users' assets are "not found".
    pub async fn get_asset(
        &self,
        owner: &UserId,
        id: &AssetId,
    ) -> Result<AssetRecord, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets
             WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL"
        ));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .bind(owner.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => asset_from_row(&row),
            None => Err(StorageError::NotFound { what: "asset" }),
        }
    }

    /// The owner's asset (in the library) uploaded under `device_asset_id`
    /// (its own file's, or a second file's of its capture).
    pub async fn find_asset_by_device(
        &self,
        owner: &UserId,
        device_asset_id: &str,
    ) -> Result<Option<AssetRecord>, StorageError> {
        self.find_held(owner, "device_asset_id", device_asset_id)
            .await
    }

    /// Names the owner's asset by a device's id for it, when it has none yet
    /// and no other asset of theirs has that id: a device that uploads bytes
    /// the library already holds (sent from elsewhere) can then ask `check`
    /// by its id alone next time. Returns the asset as it is now.
    pub async fn adopt_device_asset_id(
        &self,
        asset: &AssetRecord,
        device_asset_id: &str,
    ) -> Result<AssetRecord, StorageError> {
        if asset.device_asset_id.is_some() {
            return Ok(asset.clone());
        }
        sqlx::query(
            "UPDATE assets SET device_asset_id = $1
             WHERE id = $2 AND device_asset_id IS NULL
               AND NOT EXISTS (SELECT 1 FROM assets WHERE owner_id = $3 AND device_asset_id = $1)",
        )
        .bind(device_asset_id)
        .bind(asset.id.to_string())
        .bind(asset.owner.to_string())
        .execute(&self.pool)
        .await?;
        self.get_asset_any_owner(&asset.id).await
    }

    /// Which of `hashes` and `device_asset_ids` the owner holds in the
    /// library: (hash, asset) and (device id, asset) pairs.
    pub async fn owned_matches(
        &self,
        owner: &UserId,
        hashes: &[ContentHash],
        device_asset_ids: &[String],
    ) -> Result<(Vec<(ContentHash, AssetId)>, Vec<(String, AssetId)>), StorageError> {
        let hex: Vec<String> = hashes.iter().map(ContentHash::to_hex).collect();
        let by_hash = self
            .owned_by(owner, "blob_hash", &hex)
            .await?
            .into_iter()
            .map(|(hash, id)| Ok((parse_id("assets.blob_hash", &hash)?, id)))
            .collect::<Result<_, StorageError>>()?;
        let by_device = self
            .owned_by(owner, "device_asset_id", device_asset_ids)
            .await?;
        Ok((by_hash, by_device))
    }

    /// The owner's library assets whose `column` (a fixed name) is one of
    /// `values`: (value, asset) pairs.
    async fn owned_by(
        &self,
        owner: &UserId,
        column: &'static str,
        values: &[String],
    ) -> Result<Vec<(String, AssetId)>, StorageError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryText::default();
        let owner_p = q.bind(Bind::Text(owner.to_string()));
        let list = q.bind_list(values.iter().map(|v| Bind::Text(v.clone())));
        // A photo's second file (the RAW beside its JPEG) counts as held too.
        q.text = format!(
            "SELECT {column} AS value, id FROM assets
             WHERE owner_id = {owner_p} AND deleted_at IS NULL AND {column} IN ({list})
             UNION ALL
             SELECT f.{column} AS value, f.asset_id AS id FROM asset_files f
             JOIN assets a ON a.id = f.asset_id
             WHERE f.owner_id = {owner_p} AND a.deleted_at IS NULL AND f.{column} IN ({list})"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String, _>("value")?,
                    parse_id("assets.id", &row.try_get::<String, _>("id")?)?,
                ))
            })
            .collect()
    }

    /// Any asset by id, whoever owns it (for workers).
    pub async fn get_asset_any_owner(&self, id: &AssetId) -> Result<AssetRecord, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {ASSET_COLUMNS} FROM assets WHERE id = $1"));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => asset_from_row(&row),
            None => Err(StorageError::NotFound { what: "asset" }),
        }
    }

    /// Records an upload whose bytes are already published in the blob store
    /// (and pinned, see [`Catalog::pin_blob`]): the asset row (unique per owner
    /// and hash), its blob reference, the owner's usage (refused past the
    /// quota), the timeline count and its jobs, in one transaction.
    ///
    /// Bytes the owner already holds give that asset back; bytes they hold in
    /// the trash are restored from it.
    #[tracing::instrument(skip_all, fields(owner = %new.owner, hash = %new.hash))]
    pub async fn insert_asset(
        &self,
        new: &NewAsset,
        jobs: &[NewJob],
    ) -> Result<AssetInsert, StorageError> {
        let now = now_ms();
        let id = new.id;
        let sort_at = new.taken_at_ms.unwrap_or(now);
        // An undated photo (or one whose time cannot be read) sorts and
        // buckets by its upload, so its day and sort key always agree.
        let day = match new.taken_at_ms {
            Some(_) => taken_day(new.taken_at.as_deref(), now),
            None => taken_day(None, now),
        };
        let mut tx = self.begin_write().await?;
        let capture = capture_key(new);
        if let Some(key) = &capture {
            lock_capture(&mut tx, self.dialect, &new.owner, key).await?;
        }
        // Bytes (or a device id) the owner holds as a photo's second file:
        // that photo, as for any other file they hold.
        if let Some(photo) = photo_with_second_file(
            &mut tx,
            &new.owner,
            &new.hash,
            new.device_asset_id.as_deref(),
            self.for_update(),
        )
        .await?
        {
            return settle_held(tx, photo).await;
        }
        if let Some(key) = &capture
            && find_by_hash(&mut tx, &new.owner, &new.hash, "")
                .await?
                .is_none()
            && let Some(photo) = partner_of(&mut tx, new, key, self.for_update()).await?
        {
            let paired =
                attach_second_file(&mut tx, &photo, new, jobs, self.replicating, now).await?;
            tx.commit().await?;
            return Ok(AssetInsert::Paired(paired));
        }
        let mut attempts = 0;
        while insert_row(&mut tx, new, capture.as_deref(), sort_at, day, now).await? == 0 {
            // The owner already holds these bytes (perhaps a racing upload),
            // in the library or in the trash. Locked, so a concurrent purge
            // either finishes first (then the row is gone: insert again) or
            // waits for this restore (and then leaves the asset alone).
            // The same bytes, or else the same device asset (new bytes of a
            // photo the app already sent: it stays one asset).
            let mut existing =
                find_by_hash(&mut tx, &new.owner, &new.hash, self.for_update()).await?;
            if existing.is_none()
                && let Some(device) = &new.device_asset_id
            {
                existing = find_by_device(&mut tx, &new.owner, device, self.for_update()).await?;
            }
            match existing {
                Some(existing) => return settle_held(tx, existing).await,
                None if attempts < 3 => attempts += 1,
                None => {
                    return Err(StorageError::Busy(
                        "the same photo is being deleted at this moment; try again".into(),
                    ));
                }
            }
        }
        // Refused past the quota: the transaction rolls back on drop, and the
        // published blob stays an orphan for garbage collection.
        // Rows are locked in the catalog's one order — asset, album,
        // timeline, blob, user (see `changes`) — so writers never deadlock.
        count_on_timeline(&mut tx, &new.owner, day, 1).await?;
        hold_blob(&mut tx, &new.hash, self.replicating).await?;
        charge_usage(&mut tx, &new.owner, new.size).await?;
        for job in jobs {
            insert_job(&mut tx, job, &new.owner, now).await?;
        }
        record_change(
            &mut tx,
            &new.owner,
            ChangeKind::AssetCreated,
            ChangeSubject::Asset(id),
        )
        .await?;
        let created = get_in(&mut tx, &id).await?;
        tx.commit().await?;
        Ok(AssetInsert::Created(created))
    }

    /// Number of blob rows and the sum of their reference counts.
    pub async fn blob_stats(&self) -> Result<(i64, i64), StorageError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(ref_count), 0) AS BIGINT) AS refs FROM blobs",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("refs")?))
    }
}

/// An upload of something the owner holds already: the photo as it is, or
/// back from the trash when it was there.
pub(super) async fn settle_held(
    mut tx: Tx,
    held: AssetRecord,
) -> Result<AssetInsert, StorageError> {
    if held.trashed_at.is_some() {
        let restored = restore_in(&mut tx, &held).await?;
        tx.commit().await?;
        return Ok(AssetInsert::Restored(restored));
    }
    tx.commit().await?;
    Ok(AssetInsert::Duplicate(held))
}

/// Inserts the asset row unless the owner holds these bytes; returns the
/// number of rows inserted.
async fn insert_row(
    tx: &mut Tx,
    new: &NewAsset,
    capture_key: Option<&str>,
    sort_at: i64,
    day: u32,
    now: i64,
) -> Result<u64, StorageError> {
    let library = &new.library;
    let place = new.facts.place.as_ref();
    let keywords = normalise_keywords(&library.keywords);
    let inserted = sqlx::query(
        "INSERT INTO assets (id, owner_id, blob_hash, original_name, media_type, format, size,
            width, height, orientation, taken_at, sort_at, exif, created_at,
            camera_make, camera_model, lens, is_raw, has_location, rating, taken_day,
            device_asset_id, title, caption, keywords, creator, copyright, color_label,
            place_names, latitude, longitude, place_country_code, place_country, place_region,
            place_city, capture_key, live_photo_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
            $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29,
            $30, $31, $32, $33, $34, $35, $36, $37)
         ON CONFLICT DO NOTHING",
    )
    .bind(new.id.to_string())
    .bind(new.owner.to_string())
    .bind(new.hash.to_hex())
    .bind(&new.original_name)
    .bind(&new.media_type)
    .bind(&new.format)
    .bind(new.size as i64)
    .bind(new.width.map(i64::from))
    .bind(new.height.map(i64::from))
    .bind(new.orientation.map(i64::from))
    .bind(new.taken_at.as_deref())
    .bind(sort_at)
    .bind(new.exif.as_deref())
    .bind(now)
    .bind(new.facts.camera_make.as_deref())
    .bind(new.facts.camera_model.as_deref())
    .bind(new.facts.lens.as_deref())
    .bind(i64::from(new.facts.is_raw))
    .bind(i64::from(new.facts.has_location))
    .bind(i64::from(library.rating.min(5)))
    .bind(i64::from(day))
    .bind(new.device_asset_id.as_deref())
    .bind(library.title.as_deref())
    .bind(library.caption.as_deref())
    .bind(serde_json::to_string(&keywords).unwrap_or_else(|_| "[]".into()))
    .bind(library.creator.as_deref())
    .bind(library.copyright.as_deref())
    .bind(library.color_label.as_deref())
    .bind(new.place_names.as_deref())
    .bind(new.position.map(|p| p.latitude))
    .bind(new.position.map(|p| p.longitude))
    .bind(place.map(|p| p.country_code.as_str()))
    .bind(place.map(|p| p.country.as_str()))
    .bind(place.and_then(|p| p.region.as_deref()))
    .bind(place.map(|p| p.city.as_str()))
    .bind(capture_key)
    .bind(new.live_photo_id.as_deref())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted > 0 {
        insert_keywords(tx, &new.id, &new.owner, &keywords).await?;
    }
    Ok(inserted)
}

/// The owner's asset uploaded under `device_asset_id`, trashed or not.
async fn find_by_device(
    tx: &mut Tx,
    owner: &UserId,
    device_asset_id: &str,
    lock: &str,
) -> Result<Option<AssetRecord>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ASSET_COLUMNS} FROM assets WHERE owner_id = $1 AND device_asset_id = $2 {lock}"
    ));
    let row = sqlx::query(sql)
        .bind(owner.to_string())
        .bind(device_asset_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(asset_from_row).transpose()
}

/// The owner's asset holding these bytes, trashed or not, inside `tx`;
/// `lock` is [`Catalog::for_update`] to lock the row.
async fn find_by_hash(
    tx: &mut Tx,
    owner: &UserId,
    hash: &ContentHash,
    lock: &str,
) -> Result<Option<AssetRecord>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ASSET_COLUMNS} FROM assets WHERE owner_id = $1 AND blob_hash = $2 {lock}"
    ));
    let row = sqlx::query(sql)
        .bind(owner.to_string())
        .bind(hash.to_hex())
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(asset_from_row).transpose()
}

/// An asset by id inside `tx`, whatever its state.
pub(super) async fn get_in(tx: &mut Tx, id: &AssetId) -> Result<AssetRecord, StorageError> {
    get_locked(tx, id, "").await
}

/// An asset by id inside `tx`, locked with `lock` ([`Catalog::for_update`])
/// so that trash, restore and purge of one asset never interleave.
pub(super) async fn get_locked(
    tx: &mut Tx,
    id: &AssetId,
    lock: &str,
) -> Result<AssetRecord, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ASSET_COLUMNS} FROM assets WHERE id = $1 {lock}"
    ));
    let row = sqlx::query(sql)
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(row) => asset_from_row(&row),
        None => Err(StorageError::NotFound { what: "asset" }),
    }
}
