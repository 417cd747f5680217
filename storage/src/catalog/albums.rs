//! Albums: named, ordered selections of a user's assets. Deleting an album
//! never deletes its photos; trashed photos drop out of albums' listings and
//! counts until restored.

use sqlx::Row;

use super::assets::{ASSET_COLUMNS, asset_from_row};
use super::changes::{ChangeKind, ChangeSubject::Album, record_change};
use super::listing::{AssetPage, Bind, QueryText, SortCursor};
use super::{Catalog, parse_id, qualified};
use crate::{AlbumId, AssetId, StorageError, UserId, now_ms};

/// How an album's photos are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AlbumOrder {
    /// By taken time, oldest first (a story in order).
    #[default]
    Taken,
    /// As the owner arranged them.
    Manual,
}

impl AlbumOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            AlbumOrder::Taken => "taken",
            AlbumOrder::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "taken" => Some(AlbumOrder::Taken),
            "manual" => Some(AlbumOrder::Manual),
            _ => None,
        }
    }
}

/// An album with its count and effective cover.
#[derive(Clone, Debug)]
pub struct AlbumRecord {
    pub id: AlbumId,
    pub owner: UserId,
    pub name: String,
    pub description: String,
    /// The cover the owner chose, if any.
    pub chosen_cover: Option<AssetId>,
    /// The cover to show: the chosen one while it is in the album and not in
    /// the trash, else the album's first photo.
    pub cover: Option<AssetId>,
    pub order: AlbumOrder,
    /// Photos in the album (not counting trashed ones).
    pub asset_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A change to an album; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct AlbumPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` clears the chosen cover.
    pub cover: Option<Option<AssetId>>,
    pub order: Option<AlbumOrder>,
}

const ALBUM_SELECT: &str = "SELECT al.id, al.owner_id, al.name, al.description, al.cover_asset_id,
        al.sort_order, al.created_at, al.updated_at,
        (SELECT COUNT(*) FROM album_assets m JOIN assets a ON a.id = m.asset_id
            WHERE m.album_id = al.id AND a.deleted_at IS NULL) AS asset_count,
        COALESCE(
            (SELECT m.asset_id FROM album_assets m JOIN assets a ON a.id = m.asset_id
                WHERE m.album_id = al.id AND m.asset_id = al.cover_asset_id AND a.deleted_at IS NULL),
            CASE WHEN al.sort_order = 'manual' THEN
                (SELECT m.asset_id FROM album_assets m JOIN assets a ON a.id = m.asset_id
                    WHERE m.album_id = al.id AND a.deleted_at IS NULL
                    ORDER BY m.position, m.asset_id LIMIT 1)
            ELSE
                (SELECT m.asset_id FROM album_assets m JOIN assets a ON a.id = m.asset_id
                    WHERE m.album_id = al.id AND a.deleted_at IS NULL
                    ORDER BY m.sort_at, m.asset_id LIMIT 1)
            END) AS cover
     FROM albums al";

fn album_from_row(row: &sqlx::any::AnyRow) -> Result<AlbumRecord, StorageError> {
    let opt_id = |column: &str| -> Result<Option<AssetId>, StorageError> {
        row.try_get::<Option<String>, _>(column)?
            .map(|v| parse_id(column, &v))
            .transpose()
    };
    let order: String = row.try_get("sort_order")?;
    Ok(AlbumRecord {
        id: parse_id("albums.id", &row.try_get::<String, _>("id")?)?,
        owner: parse_id("albums.owner_id", &row.try_get::<String, _>("owner_id")?)?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        chosen_cover: opt_id("cover_asset_id")?,
        cover: opt_id("cover")?,
        order: AlbumOrder::parse(&order)
            .ok_or_else(|| StorageError::Corrupt(format!("albums.sort_order {order:?}")))?,
        asset_count: row.try_get("asset_count")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Catalog {
    /// Creates an empty album.
    pub async fn create_album(
        &self,
        owner: &UserId,
        name: &str,
        description: &str,
        order: AlbumOrder,
    ) -> Result<AlbumRecord, StorageError> {
        let id = AlbumId::new();
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO albums (id, owner_id, name, description, sort_order, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id.to_string())
        .bind(owner.to_string())
        .bind(name)
        .bind(description)
        .bind(order.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        record_change(&mut tx, owner, ChangeKind::AlbumCreated, Album(id)).await?;
        tx.commit().await?;
        self.get_album(owner, &id).await
    }

    /// The owner's albums, newest first.
    pub async fn list_albums(&self, owner: &UserId) -> Result<Vec<AlbumRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{ALBUM_SELECT} WHERE al.owner_id = $1 ORDER BY al.created_at DESC, al.id DESC"
        ));
        let rows = sqlx::query(sql)
            .bind(owner.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(album_from_row).collect()
    }

    /// The owner's album; another user's is "not found".
    pub async fn get_album(
        &self,
        owner: &UserId,
        id: &AlbumId,
    ) -> Result<AlbumRecord, StorageError> {
        let album = self.get_album_any_owner(id).await?;
        if album.owner != *owner {
            return Err(StorageError::NotFound { what: "album" });
        }
        Ok(album)
    }

    /// An album by id, whoever owns it (for share links).
    pub async fn get_album_any_owner(&self, id: &AlbumId) -> Result<AlbumRecord, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!("{ALBUM_SELECT} WHERE al.id = $1"));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => album_from_row(&row),
            None => Err(StorageError::NotFound { what: "album" }),
        }
    }

    /// Renames, describes, reorders or sets the cover of the owner's album.
    /// A cover must be one of the album's photos.
    pub async fn update_album(
        &self,
        owner: &UserId,
        id: &AlbumId,
        patch: &AlbumPatch,
    ) -> Result<AlbumRecord, StorageError> {
        let album = self.get_album(owner, id).await?;
        if let Some(Some(cover)) = &patch.cover {
            let member = sqlx::query(
                "SELECT 1 AS one FROM album_assets WHERE album_id = $1 AND asset_id = $2",
            )
            .bind(id.to_string())
            .bind(cover.to_string())
            .fetch_optional(&self.pool)
            .await?;
            if member.is_none() {
                return Err(StorageError::Conflict(
                    "the cover must be one of the album's photos".into(),
                ));
            }
        }
        let cover = match &patch.cover {
            Some(c) => c.map(|c| c.to_string()),
            None => album.chosen_cover.map(|c| c.to_string()),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE albums SET name = $1, description = $2, cover_asset_id = $3, sort_order = $4,
                updated_at = $5
             WHERE id = $6",
        )
        .bind(patch.name.as_deref().unwrap_or(&album.name))
        .bind(patch.description.as_deref().unwrap_or(&album.description))
        .bind(cover)
        .bind(patch.order.unwrap_or(album.order).as_str())
        .bind(now_ms())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        record_change(&mut tx, owner, ChangeKind::AlbumChanged, Album(*id)).await?;
        tx.commit().await?;
        self.get_album(owner, id).await
    }

    /// Deletes the owner's album; its photos stay in the library.
    pub async fn delete_album(&self, owner: &UserId, id: &AlbumId) -> Result<(), StorageError> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM albums WHERE id = $1 AND owner_id = $2")
            .bind(id.to_string())
            .bind(owner.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StorageError::NotFound { what: "album" });
        }
        record_change(&mut tx, owner, ChangeKind::AlbumDeleted, Album(*id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds the owner's assets (in the library) to the album, after the ones
    /// already there; ids already in it, or not the owner's, are skipped.
    /// Returns how many were added.
    pub async fn add_to_album(
        &self,
        owner: &UserId,
        id: &AlbumId,
        assets: &[AssetId],
    ) -> Result<u64, StorageError> {
        self.get_album(owner, id).await?;
        let owned = self.owned_asset_ids(owner, assets).await?;
        let mut tx = self.begin_write().await?;
        let next: i64 = sqlx::query(
            "SELECT CAST(COALESCE(MAX(position), -1) AS BIGINT) AS p FROM album_assets WHERE album_id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get("p")?;
        let now = now_ms();
        let mut added = 0u64;
        // In the order given, each id once.
        let mut seen = std::collections::HashSet::new();
        for asset in assets
            .iter()
            .filter(|a| owned.contains(a) && seen.insert(**a))
        {
            added += sqlx::query(
                "INSERT INTO album_assets (album_id, asset_id, position, added_at, sort_at)
                 SELECT $1, id, $3, $4, sort_at FROM assets WHERE id = $2
                 ON CONFLICT (album_id, asset_id) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(asset.to_string())
            .bind(next + 1 + added as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        touch_album(&mut tx, id).await?;
        if added > 0 {
            record_change(&mut tx, owner, ChangeKind::AlbumAssetsChanged, Album(*id)).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Takes assets out of the album (they stay in the library).
    pub async fn remove_from_album(
        &self,
        owner: &UserId,
        id: &AlbumId,
        assets: &[AssetId],
    ) -> Result<u64, StorageError> {
        self.get_album(owner, id).await?;
        let mut tx = self.begin_write().await?;
        let mut removed = 0;
        for asset in assets {
            removed +=
                sqlx::query("DELETE FROM album_assets WHERE album_id = $1 AND asset_id = $2")
                    .bind(id.to_string())
                    .bind(asset.to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
        }
        touch_album(&mut tx, id).await?;
        if removed > 0 {
            record_change(&mut tx, owner, ChangeKind::AlbumAssetsChanged, Album(*id)).await?;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// Arranges the album by hand: `assets` first, in that order, then the
    /// rest as they were. Switches the album to manual order.
    pub async fn arrange_album(
        &self,
        owner: &UserId,
        id: &AlbumId,
        assets: &[AssetId],
    ) -> Result<(), StorageError> {
        self.get_album(owner, id).await?;
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT asset_id FROM album_assets WHERE album_id = $1 ORDER BY position, asset_id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let current: Vec<AssetId> = rows
            .iter()
            .map(|r| {
                parse_id(
                    "album_assets.asset_id",
                    &r.try_get::<String, _>("asset_id")?,
                )
            })
            .collect::<Result<_, StorageError>>()?;
        let mut order: Vec<AssetId> = Vec::with_capacity(current.len());
        for a in assets.iter().chain(&current) {
            if current.contains(a) && !order.contains(a) {
                order.push(*a);
            }
        }
        for (position, asset) in order.iter().enumerate() {
            sqlx::query(
                "UPDATE album_assets SET position = $1 WHERE album_id = $2 AND asset_id = $3",
            )
            .bind(position as i64)
            .bind(id.to_string())
            .bind(asset.to_string())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE albums SET sort_order = 'manual' WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        touch_album(&mut tx, id).await?;
        record_change(&mut tx, owner, ChangeKind::AlbumAssetsChanged, Album(*id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of an album's photos (not trashed ones) in the album's order.
    /// The album's owner is not checked here: callers have done so (owner
    /// routes) or hold a share link to it.
    ///
    /// Driven from the album's own rows, so a page costs what the album
    /// holds, not what the library holds.
    pub async fn album_page(
        &self,
        album: &AlbumRecord,
        after: Option<&SortCursor>,
        limit: u32,
    ) -> Result<AssetPage, StorageError> {
        let limit = limit.clamp(1, 1000);
        let key = match album.order {
            AlbumOrder::Manual => "m.position",
            // The members' own copy of the sort key: an index range.
            AlbumOrder::Taken => "m.sort_at",
        };
        let columns = qualified(ASSET_COLUMNS, "a");
        let mut q = QueryText::default();
        let album_p = q.bind(Bind::Text(album.id.to_string()));
        q.text = format!(
            "SELECT {columns}, {key} AS page_key
             FROM album_assets m JOIN assets a ON a.id = m.asset_id
             WHERE m.album_id = {album_p} AND a.deleted_at IS NULL"
        );
        if let Some(c) = after {
            let k = q.bind(Bind::Int(c.key));
            let id = q.bind(Bind::Text(c.id.to_string()));
            q.text.push_str(&format!(
                " AND ({key} > {k} OR ({key} = {k} AND m.asset_id > {id}))"
            ));
        }
        let lim = q.bind(Bind::Int(i64::from(limit) + 1));
        q.text
            .push_str(&format!(" ORDER BY {key}, m.asset_id LIMIT {lim}"));
        let rows = q.query().fetch_all(&self.pool).await?;
        let mut assets = Vec::with_capacity(rows.len());
        let mut keys = Vec::with_capacity(rows.len());
        for row in &rows {
            assets.push(asset_from_row(row)?);
            keys.push(row.try_get::<i64, _>("page_key")?);
        }
        let next = if assets.len() > limit as usize {
            assets.truncate(limit as usize);
            assets.last().map(|a| SortCursor {
                key: keys[limit as usize - 1],
                id: a.id,
            })
        } else {
            None
        };
        Ok(AssetPage { assets, next })
    }

    /// Those of `assets` that are in `album` (trashed ones included), in one
    /// query.
    pub async fn album_members(
        &self,
        album: &AlbumId,
        assets: &[AssetId],
    ) -> Result<std::collections::HashSet<AssetId>, StorageError> {
        if assets.is_empty() {
            return Ok(Default::default());
        }
        let mut q = QueryText::default();
        let album_p = q.bind(Bind::Text(album.to_string()));
        let list = q.bind_list(assets.iter().map(|id| Bind::Text(id.to_string())));
        q.text = format!(
            "SELECT asset_id FROM album_assets WHERE album_id = {album_p} AND asset_id IN ({list})"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                parse_id(
                    "album_assets.asset_id",
                    &row.try_get::<String, _>("asset_id")?,
                )
            })
            .collect()
    }

    /// True when `asset` is in `album` (and not trashed): what a share link
    /// to the album may serve.
    pub async fn album_contains(
        &self,
        album: &AlbumId,
        asset: &AssetId,
    ) -> Result<bool, StorageError> {
        Ok(sqlx::query(
            "SELECT 1 AS one FROM album_assets m JOIN assets a ON a.id = m.asset_id
             WHERE m.album_id = $1 AND m.asset_id = $2 AND a.deleted_at IS NULL",
        )
        .bind(album.to_string())
        .bind(asset.to_string())
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }
}

async fn touch_album(tx: &mut super::ledger::Tx, id: &AlbumId) -> Result<(), StorageError> {
    sqlx::query("UPDATE albums SET updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
