//! Captures: the files one exposure left. A camera set to RAW+JPEG writes
//! both, and a photographer wants one photo of them — one tile, one rating,
//! one set of keywords and albums — with both files kept.
//!
//! The asset row keeps the file that arrived first; the other file is an
//! `asset_files` row that holds its blob and its bytes of usage as the
//! asset's own original does. Two files pair when they share a capture key
//! (file stem, capture time to the second, camera), one is a RAW and the
//! other a JPEG, and the photo has no file of the newcomer's kind yet. The
//! JPEG is what the camera made of the exposure, so an unedited photo is
//! rendered from it; an edit develops the RAW.

use sqlx::Row;

use super::Dialect;
use super::assets::{
    ASSET_COLUMNS, AssetInsert, AssetRecord, NewAsset, asset_from_row, get_in, settle_held,
};
use super::changes::{ChangeKind, ChangeSubject, record_change};
use super::jobs::{Job, NewJob, insert_job};
use super::ledger::{Tx, charge_usage, hold_blob};
use super::listing::{Bind, QueryText};
use super::{Catalog, parse_id};
use crate::{AssetId, ContentHash, StorageError, UserId, now_ms};

/// Which of a capture's files a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaptureRole {
    /// The sensor's data, as the camera's RAW format holds it.
    Raw,
    /// The camera's own rendering of the exposure.
    Jpeg,
    /// A Live Photo's video: the seconds around the still.
    Live,
}

impl CaptureRole {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureRole::Raw => "raw",
            CaptureRole::Jpeg => "jpeg",
            CaptureRole::Live => "live",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "raw" => Some(CaptureRole::Raw),
            "jpeg" => Some(CaptureRole::Jpeg),
            "live" => Some(CaptureRole::Live),
            _ => None,
        }
    }

    /// The role of a file of this format, if it can be one of a pair.
    pub fn of(format: &str, is_raw: bool) -> Option<Self> {
        match (is_raw, format) {
            (true, _) => Some(CaptureRole::Raw),
            (false, "jpeg") => Some(CaptureRole::Jpeg),
            _ => None,
        }
    }

    /// The role of an asset's own file.
    pub fn of_asset(asset: &AssetRecord) -> Option<Self> {
        Self::of(&asset.format, asset.facts.is_raw)
    }
}

/// One file of an asset's capture: its own original or a second file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureFile {
    pub asset_id: AssetId,
    pub role: CaptureRole,
    pub hash: ContentHash,
    pub original_name: String,
    pub media_type: String,
    pub format: String,
    pub size: u64,
}

impl CaptureFile {
    /// The asset's own original, as a file of its capture (`None` for a
    /// format that is never one of a pair).
    pub fn own(asset: &AssetRecord) -> Option<Self> {
        Some(CaptureFile {
            asset_id: asset.id,
            role: CaptureRole::of_asset(asset)?,
            hash: asset.hash,
            original_name: asset.original_name.clone(),
            media_type: asset.media_type.clone(),
            format: asset.format.clone(),
            size: asset.size,
        })
    }
}

/// A Live Photo's video, as the upload path describes it.
#[derive(Clone, Debug)]
pub struct NewLiveVideo {
    pub owner: UserId,
    pub hash: ContentHash,
    pub size: u64,
    pub original_name: String,
    pub media_type: String,
    /// The content identifier its QuickTime metadata names.
    pub live_photo_id: String,
    pub device_asset_id: Option<String>,
}

/// What the files of one exposure share, or `None` when this file cannot be
/// paired: the file stem (case aside), the capture time to the second and
/// the camera. Without a capture time or a camera model two files are not
/// known to be one exposure, so they stay two photos.
pub fn capture_key(new: &NewAsset) -> Option<String> {
    CaptureRole::of(&new.format, new.facts.is_raw)?;
    let second = new.taken_at_ms?.div_euclid(1000);
    let model = new.facts.camera_model.as_deref()?.trim().to_lowercase();
    if model.is_empty() {
        return None;
    }
    let make = new
        .facts
        .camera_make
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let stem = file_stem(&new.original_name).to_lowercase();
    if stem.is_empty() {
        return None;
    }
    Some(format!("{stem}\u{1f}{second}\u{1f}{make}\u{1f}{model}"))
}

/// The name without its folders and its last extension.
fn file_stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rfind('.') {
        Some(dot) if dot > 0 => &base[..dot],
        _ => base,
    }
}

const FILE_COLUMNS: &str = "asset_id, role, blob_hash, original_name, media_type, format, size";

fn file_from_row(row: &sqlx::any::AnyRow) -> Result<CaptureFile, StorageError> {
    let role: String = row.try_get("role")?;
    Ok(CaptureFile {
        asset_id: parse_id(
            "asset_files.asset_id",
            &row.try_get::<String, _>("asset_id")?,
        )?,
        role: CaptureRole::parse(&role)
            .ok_or_else(|| StorageError::Corrupt(format!("asset_files.role: {role}")))?,
        hash: parse_id(
            "asset_files.blob_hash",
            &row.try_get::<String, _>("blob_hash")?,
        )?,
        original_name: row.try_get("original_name")?,
        media_type: row.try_get("media_type")?,
        format: row.try_get("format")?,
        size: row.try_get::<i64, _>("size")?.max(0) as u64,
    })
}

impl Catalog {
    /// The second files of these assets' captures (none for most photos).
    pub async fn second_files_of(
        &self,
        assets: &[AssetId],
    ) -> Result<Vec<CaptureFile>, StorageError> {
        if assets.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryText::default();
        let list = q.bind_list(assets.iter().map(|id| Bind::Text(id.to_string())));
        q.text = format!(
            "SELECT {FILE_COLUMNS} FROM asset_files WHERE asset_id IN ({list})
             ORDER BY asset_id, role"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter().map(file_from_row).collect()
    }

    /// Every file of the asset's capture, its own first.
    pub async fn capture_files(
        &self,
        asset: &AssetRecord,
    ) -> Result<Vec<CaptureFile>, StorageError> {
        let mut files: Vec<CaptureFile> = CaptureFile::own(asset).into_iter().collect();
        files.extend(self.second_files_of(&[asset.id]).await?);
        Ok(files)
    }

    /// The file a rendering of the asset starts from: for an unedited pair
    /// the camera's JPEG (its look is the photo's default), for an edited one
    /// the RAW (an edit develops the sensor's data); else its own original.
    pub async fn render_source(
        &self,
        asset: &AssetRecord,
        edited: bool,
    ) -> Result<(ContentHash, String), StorageError> {
        Ok(second_file_rendered(&self.pool, &asset.id, edited)
            .await?
            .unwrap_or_else(|| (asset.hash, asset.format.clone())))
    }
}

/// The second file a rendering starts from when the asset has one of the
/// role it wants (an unedited photo its camera JPEG, an edited one its RAW;
/// a pair's second file is never of its own file's role), with its format:
/// [`Catalog::render_source`]'s rule, and what a finished render is checked
/// against.
pub(super) async fn second_file_rendered<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    asset: &AssetId,
    edited: bool,
) -> Result<Option<(ContentHash, String)>, StorageError> {
    let role = if edited {
        CaptureRole::Raw
    } else {
        CaptureRole::Jpeg
    };
    let row =
        sqlx::query("SELECT blob_hash, format FROM asset_files WHERE asset_id = $1 AND role = $2")
            .bind(asset.to_string())
            .bind(role.as_str())
            .fetch_optional(executor)
            .await?;
    row.map(|row| {
        Ok((
            parse_id(
                "asset_files.blob_hash",
                &row.try_get::<String, _>("blob_hash")?,
            )?,
            row.try_get("format")?,
        ))
    })
    .transpose()
}

impl Catalog {
    /// Keeps a Live Photo's video with its still: the owner's photo whose
    /// content identifier the video names (in the library, with no video
    /// yet) gets it as its `live` file — blob held, bytes charged, the
    /// change in the feed. Bytes or a device id the owner holds already give
    /// that photo back. A video whose still is not in the library is
    /// refused ([`StorageError::StillMissing`]): send the still first.
    pub async fn attach_live_video(
        &self,
        video: &NewLiveVideo,
    ) -> Result<AssetInsert, StorageError> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        lock_capture(&mut tx, self.dialect, &video.owner, &video.live_photo_id).await?;
        if let Some(photo) = photo_with_second_file(
            &mut tx,
            &video.owner,
            &video.hash,
            video.device_asset_id.as_deref(),
            self.for_update(),
        )
        .await?
        {
            return settle_held(tx, photo).await;
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets a
             WHERE a.owner_id = $1 AND a.live_photo_id = $2 AND a.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM asset_files f
                               WHERE f.asset_id = a.id AND f.role = 'live')
             ORDER BY a.created_at, a.id LIMIT 1 {}",
            self.for_update()
        ));
        let photo = sqlx::query(sql)
            .bind(video.owner.to_string())
            .bind(&video.live_photo_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(photo) = photo.as_ref().map(asset_from_row).transpose()? else {
            return Err(StorageError::StillMissing(format!(
                "{} is a Live Photo's video, kept with its still: no photo in your library \
                 has its content identifier {} (send the still first, then the video)",
                video.original_name, video.live_photo_id
            )));
        };
        attach_file(
            &mut tx,
            &photo,
            SecondFile {
                owner: &video.owner,
                role: CaptureRole::Live,
                hash: &video.hash,
                original_name: &video.original_name,
                media_type: &video.media_type,
                format: "mov",
                size: video.size,
                device_asset_id: video.device_asset_id.as_deref(),
            },
            self.replicating,
            now,
        )
        .await?;
        let paired = get_in(&mut tx, &photo.id).await?;
        tx.commit().await?;
        Ok(AssetInsert::Paired(paired))
    }
}

/// A photo's second file, as recorded.
struct SecondFile<'a> {
    owner: &'a UserId,
    role: CaptureRole,
    hash: &'a ContentHash,
    original_name: &'a str,
    media_type: &'a str,
    format: &'a str,
    size: u64,
    device_asset_id: Option<&'a str>,
}

/// Records `file` as the second file of `photo` (locked by the caller): its
/// row, its blob held, its bytes charged to the owner, and the change in the
/// owner's feed, so their apps learn the photo's new file. Locks in the
/// catalog's order after the asset: blob, user.
async fn attach_file(
    tx: &mut Tx,
    photo: &AssetRecord,
    file: SecondFile<'_>,
    replicating: bool,
    now: i64,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO asset_files (asset_id, owner_id, role, blob_hash, original_name,
            media_type, format, size, device_asset_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(photo.id.to_string())
    .bind(file.owner.to_string())
    .bind(file.role.as_str())
    .bind(file.hash.to_hex())
    .bind(file.original_name)
    .bind(file.media_type)
    .bind(file.format)
    .bind(file.size as i64)
    .bind(file.device_asset_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE assets SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(photo.id.to_string())
        .execute(&mut **tx)
        .await?;
    hold_blob(tx, file.hash, replicating).await?;
    charge_usage(tx, file.owner, file.size).await?;
    record_change(
        tx,
        file.owner,
        ChangeKind::AssetUpdated,
        ChangeSubject::Asset(photo.id),
    )
    .await?;
    Ok(())
}

/// The owner's photo (trashed or not) that holds these bytes or this device
/// id as the second file of its capture, locked with `lock`.
pub(super) async fn photo_with_second_file(
    tx: &mut Tx,
    owner: &UserId,
    hash: &ContentHash,
    device_asset_id: Option<&str>,
    lock: &str,
) -> Result<Option<AssetRecord>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ASSET_COLUMNS} FROM assets WHERE id IN (
            SELECT asset_id FROM asset_files
            WHERE owner_id = $1 AND (blob_hash = $2 OR device_asset_id = $3)
         ) LIMIT 1 {lock}"
    ));
    let row = sqlx::query(sql)
        .bind(owner.to_string())
        .bind(hash.to_hex())
        .bind(device_asset_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(asset_from_row).transpose()
}

/// Keeps two uploads of one capture from both missing each other on
/// PostgreSQL (each would become a photo of its own): the second waits here
/// until the first commits, then finds it. Taken before any row lock, and
/// only by uploads, so it never joins a lock cycle. SQLite's writers are
/// serialised already.
pub(super) async fn lock_capture(
    tx: &mut Tx,
    dialect: Dialect,
    owner: &UserId,
    key: &str,
) -> Result<(), StorageError> {
    if dialect == Dialect::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("{owner}\u{1f}{key}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The photo in the owner's library that `new` is the other file of, locked
/// with `lock`: same capture key, the other role, no file of `new`'s role yet.
/// The oldest wins if a library somehow holds two.
pub(super) async fn partner_of(
    tx: &mut Tx,
    new: &NewAsset,
    key: &str,
    lock: &str,
) -> Result<Option<AssetRecord>, StorageError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {ASSET_COLUMNS} FROM assets a
         WHERE a.owner_id = $1 AND a.capture_key = $2 AND a.is_raw = $3
           AND a.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM asset_files f WHERE f.asset_id = a.id AND f.role = $4)
         ORDER BY a.created_at, a.id LIMIT 1 {lock}"
    ));
    let role = CaptureRole::of(&new.format, new.facts.is_raw).map_or("", CaptureRole::as_str);
    let row = sqlx::query(sql)
        .bind(new.owner.to_string())
        .bind(key)
        .bind(i64::from(!new.facts.is_raw))
        .bind(role)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(asset_from_row).transpose()
}

/// Records `new` as the second file of `photo`'s capture: its blob held, its
/// bytes charged to the owner, the photo rendered again when its look
/// changes (an unedited pair's look is the JPEG's, an edit develops the
/// RAW) and the change in the owner's feed, so their apps learn the pair.
pub(super) async fn attach_second_file(
    tx: &mut Tx,
    photo: &AssetRecord,
    new: &NewAsset,
    jobs: &[NewJob],
    replicating: bool,
    now: i64,
) -> Result<AssetRecord, StorageError> {
    let role = CaptureRole::of(&new.format, new.facts.is_raw).ok_or_else(|| {
        StorageError::Corrupt(format!("{} cannot be one file of a pair", new.format))
    })?;
    // What the photo is rendered from changes when the JPEG joins an
    // unedited RAW (its look is the JPEG's now) or the RAW joins an edited
    // JPEG (the edit develops the RAW now); otherwise its renditions stand.
    let edited = !photo.edit.recipe_hash.is_empty();
    let look_changes = (role == CaptureRole::Jpeg) != edited;
    if look_changes {
        // The renditions show the other file: gone, so that every client
        // sees the photo rendering (not an old look called current) until
        // the job below is done.
        super::renditions::drop_renditions(tx, &photo.id).await?;
    }
    attach_file(
        tx,
        photo,
        SecondFile {
            owner: &new.owner,
            role,
            hash: &new.hash,
            original_name: &new.original_name,
            media_type: &new.media_type,
            format: &new.format,
            size: new.size,
            device_asset_id: new.device_asset_id.as_deref(),
        },
        replicating,
        now,
    )
    .await?;
    // The jobs the caller made for the new file, aimed at the photo instead.
    for job in jobs {
        let job = match job.job {
            Job::RenderRenditions { .. } if look_changes => NewJob {
                job: Job::RenderRenditions { asset_id: photo.id },
                max_attempts: job.max_attempts,
            },
            Job::RenderRenditions { .. } => continue,
            _ => job.clone(),
        };
        insert_job(tx, &job, &new.owner, now).await?;
    }
    get_in(tx, &photo.id).await
}

/// Releases the second files' blobs of an asset being purged and returns
/// their bytes, for the owner's usage (the rows go with the asset's).
pub(super) async fn release_second_files(
    tx: &mut Tx,
    asset: &AssetId,
) -> Result<u64, StorageError> {
    let rows = sqlx::query("SELECT blob_hash, size FROM asset_files WHERE asset_id = $1")
        .bind(asset.to_string())
        .fetch_all(&mut **tx)
        .await?;
    let mut bytes = 0;
    for row in rows {
        let hash: ContentHash = parse_id(
            "asset_files.blob_hash",
            &row.try_get::<String, _>("blob_hash")?,
        )?;
        super::ledger::release_blob(tx, &hash).await?;
        bytes += row.try_get::<i64, _>("size")?.max(0) as u64;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn a_stem_drops_folders_and_the_last_extension() {
        assert_eq!(file_stem("DCIM/100CANON/IMG_0001.CR3"), "IMG_0001");
        assert_eq!(file_stem("C:\\card\\_DSC1234.jpg"), "_DSC1234");
        assert_eq!(file_stem("holiday.final.JPG"), "holiday.final");
        assert_eq!(file_stem(".hidden"), ".hidden");
        assert_eq!(file_stem("plain"), "plain");
    }
}
