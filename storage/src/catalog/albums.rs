//! Albums: named, ordered selections of assets. Deleting an album never
//! deletes its photos; trashed photos drop out of albums' listings and
//! counts until restored. An album's owner may share it with other
//! accounts (`album_members.rs`): each caller reaches an album through
//! `album_for`, which says what their role lets them do.

use sqlx::Row;

use super::album_members::{
    AlbumAccess, AlbumRole, album_audience, record_album_change, record_for,
};
use super::assets::{ASSET_COLUMNS, AssetRecord, asset_from_row};
use super::changes::ChangeKind;
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
    /// The owner's user name (members see whose album it is).
    pub owner_name: String,
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
    /// Accounts the owner shared it with.
    pub member_count: i64,
    /// Whether members see where its photos were taken (the owner's
    /// choice; off by default, as for share links).
    pub members_see_location: bool,
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
    pub members_see_location: Option<bool>,
}

const ALBUM_SELECT: &str = "SELECT al.id, al.owner_id, ow.name AS owner_name, al.name,
        al.description, al.cover_asset_id, al.sort_order, al.members_see_location,
        al.created_at, al.updated_at,
        (SELECT COUNT(*) FROM album_members mm WHERE mm.album_id = al.id) AS member_count,
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
     FROM albums al JOIN users ow ON ow.id = al.owner_id";

/// [`ALBUM_SELECT`] with the role (`role`, NULL for none) of the user bound
/// as `$1`, for `WHERE` clauses that follow.
pub(super) fn album_select_for_user() -> String {
    let (columns, from) = ALBUM_SELECT
        .split_once(" FROM albums al")
        .expect("the album query has its FROM");
    format!(
        "{columns}, me.role AS role FROM albums al{from}
         LEFT JOIN album_members me ON me.album_id = al.id AND me.user_id = $1"
    )
}

/// An album as `user` reaches it, from a row of [`album_select_for_user`].
pub(super) fn access_from_row(
    row: &sqlx::any::AnyRow,
    user: &UserId,
) -> Result<AlbumAccess, StorageError> {
    let album = album_from_row(row)?;
    let role = if album.owner == *user {
        AlbumRole::Owner
    } else {
        AlbumRole::parse(&row.try_get::<String, _>("role")?)?
    };
    Ok(AlbumAccess { album, role })
}

pub(super) fn album_from_row(row: &sqlx::any::AnyRow) -> Result<AlbumRecord, StorageError> {
    let opt_id = |column: &str| -> Result<Option<AssetId>, StorageError> {
        row.try_get::<Option<String>, _>(column)?
            .map(|v| parse_id(column, &v))
            .transpose()
    };
    let order: String = row.try_get("sort_order")?;
    Ok(AlbumRecord {
        id: parse_id("albums.id", &row.try_get::<String, _>("id")?)?,
        owner: parse_id("albums.owner_id", &row.try_get::<String, _>("owner_id")?)?,
        owner_name: row.try_get("owner_name")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        chosen_cover: opt_id("cover_asset_id")?,
        cover: opt_id("cover")?,
        order: AlbumOrder::parse(&order)
            .ok_or_else(|| StorageError::Corrupt(format!("albums.sort_order {order:?}")))?,
        asset_count: row.try_get("asset_count")?,
        member_count: row.try_get("member_count")?,
        members_see_location: row.try_get::<i64, _>("members_see_location")? != 0,
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
        record_album_change(&mut tx, &id, ChangeKind::AlbumCreated).await?;
        tx.commit().await?;
        self.get_album(owner, &id).await
    }

    /// The user's albums and those shared with them, newest first, each
    /// with the user's role in it.
    pub async fn list_albums(&self, user: &UserId) -> Result<Vec<AlbumAccess>, StorageError> {
        // Two index lookups (owned, shared), not an OR over every album.
        let sql = sqlx::AssertSqlSafe(format!(
            "{} WHERE al.id IN (SELECT id FROM albums WHERE owner_id = $1
                                UNION SELECT album_id FROM album_members WHERE user_id = $1)
             ORDER BY al.created_at DESC, al.id DESC",
            album_select_for_user()
        ));
        let rows = sqlx::query(sql)
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| access_from_row(row, user)).collect()
    }

    /// The owner's album; another user's (shared with them or not) is "not
    /// found". For what only the owner may do; `album_for` lets members in.
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
        let access = self.album_for(owner, id).await?;
        access.require(AlbumRole::Owner, "change it")?;
        let album = access.album;
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
        let members_see_location = patch
            .members_see_location
            .unwrap_or(album.members_see_location);
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE albums SET name = $1, description = $2, cover_asset_id = $3, sort_order = $4,
                members_see_location = $5, updated_at = $6
             WHERE id = $7",
        )
        .bind(patch.name.as_deref().unwrap_or(&album.name))
        .bind(patch.description.as_deref().unwrap_or(&album.description))
        .bind(cover)
        .bind(patch.order.unwrap_or(album.order).as_str())
        .bind(i64::from(members_see_location))
        .bind(now_ms())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        record_album_change(&mut tx, id, ChangeKind::AlbumChanged).await?;
        tx.commit().await?;
        self.get_album(owner, id).await
    }

    /// Deletes the owner's album; its photos (the members' too) stay in
    /// their owners' libraries. Members' feeds say it is gone.
    pub async fn delete_album(&self, owner: &UserId, id: &AlbumId) -> Result<(), StorageError> {
        self.album_for(owner, id)
            .await?
            .require(AlbumRole::Owner, "delete it")?;
        let mut tx = self.begin_write().await?;
        // Who was in it, read before the rows go; told last (lock order).
        let audience = album_audience(&mut tx, id).await?;
        let deleted = sqlx::query("DELETE FROM albums WHERE id = $1 AND owner_id = $2")
            .bind(id.to_string())
            .bind(owner.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StorageError::NotFound { what: "album" });
        }
        record_for(&mut tx, &audience, ChangeKind::AlbumDeleted, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds the actor's own assets (in their library) to the album, after
    /// the ones already there: the owner's, or a contributor's (which stay
    /// theirs, on their quota). Ids already in it, or not the actor's, are
    /// skipped. Returns how many were added.
    pub async fn add_to_album(
        &self,
        actor: &UserId,
        id: &AlbumId,
        assets: &[AssetId],
    ) -> Result<u64, StorageError> {
        self.album_for(actor, id)
            .await?
            .require(AlbumRole::Contributor, "add photos to it")?;
        let owned = self.owned_asset_ids(actor, assets).await?;
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
                "INSERT INTO album_assets (album_id, asset_id, position, added_at, sort_at, added_by)
                 SELECT $1, id, $3, $4, sort_at, $5 FROM assets WHERE id = $2
                 ON CONFLICT (album_id, asset_id) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(asset.to_string())
            .bind(next + 1 + added as i64)
            .bind(now)
            .bind(actor.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        touch_album(&mut tx, id).await?;
        if added > 0 {
            record_album_change(&mut tx, id, ChangeKind::AlbumAssetsChanged).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Takes assets out of the album (they stay in their owners'
    /// libraries): any of them for the owner, those they added for a
    /// contributor (others' are skipped). Returns how many went.
    pub async fn remove_from_album(
        &self,
        actor: &UserId,
        id: &AlbumId,
        assets: &[AssetId],
    ) -> Result<u64, StorageError> {
        let access = self.album_for(actor, id).await?;
        access.require(AlbumRole::Contributor, "remove photos from it")?;
        // A photo added before members existed has no adder: the owner's.
        let only_own = match access.role {
            AlbumRole::Owner => "",
            _ => " AND added_by = $3",
        };
        let sql =
            format!("DELETE FROM album_assets WHERE album_id = $1 AND asset_id = $2{only_own}");
        let mut tx = self.begin_write().await?;
        let mut removed = 0;
        for asset in assets {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id.to_string())
                .bind(asset.to_string());
            if access.role != AlbumRole::Owner {
                query = query.bind(actor.to_string());
            }
            removed += query.execute(&mut *tx).await?.rows_affected();
        }
        touch_album(&mut tx, id).await?;
        if removed > 0 {
            record_album_change(&mut tx, id, ChangeKind::AlbumAssetsChanged).await?;
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
        self.album_for(owner, id)
            .await?
            .require(AlbumRole::Owner, "arrange it")?;
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
        record_album_change(&mut tx, id, ChangeKind::AlbumAssetsChanged).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of an album's photos (not trashed ones) in the album's order,
    /// whoever owns each. Who may see it is not checked here: callers have
    /// done so (`album_for`) or hold a share link to it.
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
    pub async fn assets_in_album(
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

    /// The photo `asset` of `album` (not trashed), whoever owns it: what the
    /// album's members and a share link to it may see.
    pub async fn album_asset(
        &self,
        album: &AlbumId,
        asset: &AssetId,
    ) -> Result<AssetRecord, StorageError> {
        let columns = qualified(ASSET_COLUMNS, "a");
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {columns} FROM album_assets m JOIN assets a ON a.id = m.asset_id
             WHERE m.album_id = $1 AND m.asset_id = $2 AND a.deleted_at IS NULL"
        ));
        let row = sqlx::query(sql)
            .bind(album.to_string())
            .bind(asset.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StorageError::NotFound { what: "asset" })?;
        asset_from_row(&row)
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

pub(super) async fn touch_album(
    tx: &mut super::ledger::Tx,
    id: &AlbumId,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE albums SET updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
