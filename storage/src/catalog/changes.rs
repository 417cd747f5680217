//! The change feed: an ordered log of what changed in each user's library,
//! written in the same transaction as the change itself.
//!
//! Sequence numbers count per owner, without gaps, in commit order: the
//! writer bumps `users.change_seq`, which locks the owner's row until it
//! commits (SQLite: the whole database is locked anyway). So a reader who has
//! seen every change up to N and asks for more never misses one that commits
//! later with a smaller number — the mistake a shared auto-increment makes
//! under concurrent writers.
//!
//! Because the owner's row is now locked by every write, all writers take
//! row locks in one order so that none waits on another in a circle: asset,
//! album, timeline day, blob, and the owner's row last (usage, then this
//! change). Record the change last in the transaction.

use std::fmt;
use std::str::FromStr;

use sqlx::Row;

use super::assets::{ASSET_COLUMNS, AssetRecord, asset_from_row};
use super::ledger::Tx;
use super::listing::{Bind, QueryText};
use super::{Catalog, parse_id};
use crate::{AlbumId, AssetId, StorageError, UserId, now_ms};

/// What happened. The names are the feed's (and webhooks') event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    AssetCreated,
    /// Title, caption, keywords, favourite or rating.
    AssetUpdated,
    /// A new edit version was saved.
    AssetEdited,
    AssetTrashed,
    AssetRestored,
    /// Gone for good (from the trash).
    AssetPurged,
    /// The renditions of the asset's current version are ready.
    RenditionReady,
    AlbumCreated,
    /// Name, description, order or cover.
    AlbumChanged,
    AlbumDeleted,
    /// Photos added, removed or reordered.
    AlbumAssetsChanged,
    /// An album was shared with this user (they became a member).
    AlbumShared,
    /// This user is no longer a member of the album (removed, or left).
    AlbumUnshared,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 13] = [
        ChangeKind::AssetCreated,
        ChangeKind::AssetUpdated,
        ChangeKind::AssetEdited,
        ChangeKind::AssetTrashed,
        ChangeKind::AssetRestored,
        ChangeKind::AssetPurged,
        ChangeKind::RenditionReady,
        ChangeKind::AlbumCreated,
        ChangeKind::AlbumChanged,
        ChangeKind::AlbumDeleted,
        ChangeKind::AlbumAssetsChanged,
        ChangeKind::AlbumShared,
        ChangeKind::AlbumUnshared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::AssetCreated => "asset.created",
            ChangeKind::AssetUpdated => "asset.updated",
            ChangeKind::AssetEdited => "asset.edited",
            ChangeKind::AssetTrashed => "asset.trashed",
            ChangeKind::AssetRestored => "asset.restored",
            ChangeKind::AssetPurged => "asset.purged",
            ChangeKind::RenditionReady => "rendition.ready",
            ChangeKind::AlbumCreated => "album.created",
            ChangeKind::AlbumChanged => "album.changed",
            ChangeKind::AlbumDeleted => "album.deleted",
            ChangeKind::AlbumAssetsChanged => "album.assets_changed",
            ChangeKind::AlbumShared => "album.shared",
            ChangeKind::AlbumUnshared => "album.unshared",
        }
    }
}

impl ChangeKind {
    /// Whether a change of a photo changes how an album holding it looks
    /// (a new photo is in no album yet; a purged one has left them).
    fn shows_in_albums(self) -> bool {
        matches!(
            self,
            ChangeKind::AssetUpdated
                | ChangeKind::AssetEdited
                | ChangeKind::AssetTrashed
                | ChangeKind::AssetRestored
                | ChangeKind::RenditionReady
        )
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChangeKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ChangeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// What a change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSubject {
    Asset(AssetId),
    Album(AlbumId),
}

/// One entry of the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRecord {
    /// Position in the owner's feed, from 1, without gaps.
    pub seq: u64,
    pub kind: ChangeKind,
    pub subject: ChangeSubject,
    /// When it committed, ms since the epoch.
    pub at: i64,
}

/// Appends a change to the owner's feed inside the writer's transaction,
/// and queues its webhook deliveries. Call it last in the transaction (see
/// the module notes on lock order).
pub(super) async fn record_change(
    tx: &mut Tx,
    owner: &UserId,
    kind: ChangeKind,
    subject: ChangeSubject,
) -> Result<u64, StorageError> {
    let seq: i64 = sqlx::query(
        "UPDATE users SET change_seq = change_seq + 1 WHERE id = $1 RETURNING change_seq",
    )
    .bind(owner.to_string())
    .fetch_one(&mut **tx)
    .await?
    .try_get("change_seq")?;
    let at = now_ms();
    let (asset, album) = match subject {
        ChangeSubject::Asset(id) => (Some(id.to_string()), None),
        ChangeSubject::Album(id) => (None, Some(id.to_string())),
    };
    sqlx::query(
        "INSERT INTO changes (owner_id, seq, kind, asset_id, album_id, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(owner.to_string())
    .bind(seq)
    .bind(kind.as_str())
    .bind(asset)
    .bind(album)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    let seq = seq as u64;
    super::webhooks::fan_out(tx, owner, seq, kind, subject, at).await?;
    if let ChangeSubject::Asset(asset) = subject
        && kind.shows_in_albums()
    {
        super::album_members::tell_members_later(tx, owner, &asset, at).await?;
    }
    Ok(seq)
}

fn change_from_row(row: &sqlx::any::AnyRow) -> Result<ChangeRecord, StorageError> {
    let kind: String = row.try_get("kind")?;
    let asset: Option<String> = row.try_get("asset_id")?;
    let album: Option<String> = row.try_get("album_id")?;
    let subject = match (asset, album) {
        (Some(a), None) => ChangeSubject::Asset(parse_id("changes.asset_id", &a)?),
        (None, Some(a)) => ChangeSubject::Album(parse_id("changes.album_id", &a)?),
        _ => return Err(StorageError::Corrupt("change without one subject".into())),
    };
    Ok(ChangeRecord {
        seq: row.try_get::<i64, _>("seq")? as u64,
        kind: kind
            .parse()
            .map_err(|()| StorageError::Corrupt(format!("unknown change kind {kind:?}")))?,
        subject,
        at: row.try_get("at")?,
    })
}

impl Catalog {
    /// Up to `limit` of the owner's changes after `after`, in order.
    pub async fn changes_since(
        &self,
        owner: &UserId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ChangeRecord>, StorageError> {
        let rows = sqlx::query(
            "SELECT seq, kind, asset_id, album_id, at FROM changes
             WHERE owner_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(owner.to_string())
        .bind(after as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(change_from_row).collect()
    }

    /// The owner's last committed change (0: none yet).
    pub async fn last_change(&self, owner: &UserId) -> Result<u64, StorageError> {
        let row = sqlx::query("SELECT change_seq FROM users WHERE id = $1")
            .bind(owner.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StorageError::NotFound { what: "user" })?;
        Ok(row.try_get::<i64, _>("change_seq")? as u64)
    }

    /// The owner's assets in the library (not the trash) by id, after
    /// `after`: the pages of a first sync's snapshot.
    pub async fn live_assets_by_id(
        &self,
        owner: &UserId,
        after: Option<&AssetId>,
        limit: u32,
    ) -> Result<Vec<AssetRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ASSET_COLUMNS} FROM assets
             WHERE owner_id = $1 AND deleted_at IS NULL AND id > $2
             ORDER BY id LIMIT $3"
        ));
        let rows = sqlx::query(sql)
            .bind(owner.to_string())
            .bind(after.map(|a| a.to_string()).unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(asset_from_row).collect()
    }

    /// Those of `ids` that are the owner's and in the library (not the trash).
    pub async fn live_assets_among(
        &self,
        owner: &UserId,
        ids: &[AssetId],
    ) -> Result<Vec<AssetRecord>, StorageError> {
        let mut found = Vec::with_capacity(ids.len());
        for batch in ids.chunks(500) {
            let mut q = QueryText::default();
            let owner = q.bind(Bind::Text(owner.to_string()));
            let list = q.bind_list(batch.iter().map(|id| Bind::Text(id.to_string())));
            q.text = format!(
                "SELECT {ASSET_COLUMNS} FROM assets
                 WHERE owner_id = {owner} AND deleted_at IS NULL AND id IN ({list})"
            );
            for row in q.query().fetch_all(&self.pool).await? {
                found.push(asset_from_row(&row)?);
            }
        }
        Ok(found)
    }
}
