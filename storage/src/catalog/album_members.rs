//! Albums shared between accounts: the owner adds other users as viewers
//! or contributors, and every caller reaches an album through `album_for`,
//! which says what their role lets them do. A stranger's album is "not
//! found", as before sharing existed, so ids reveal nothing.
//!
//! Each album change is written to the feed of everyone who sees the album
//! (owner and members), so members' apps and webhooks learn of it. Users'
//! rows are locked in id order, the same in every writer, so two albums'
//! changes never wait on each other in a circle. A change to one photo is
//! its owner's to record; the others who see it through shared albums hear
//! `album.assets_changed` from a job queued with it, in a transaction of its
//! own (locking their rows after the owner's, in the photo's transaction,
//! could wait in a circle with another owner's change).

use sqlx::Row;

use super::albums::{AlbumRecord, access_from_row, album_select_for_user, touch_album};
use super::changes::{ChangeKind, ChangeSubject, record_change};
use super::jobs::{Job, NewJob, insert_job};
use super::ledger::Tx;
use super::{Catalog, parse_id};
use crate::{AlbumId, AssetId, StorageError, UserId, now_ms};

/// What a user is to an album. Ordered by what each may do: a contributor
/// may do what a viewer may, and more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlbumRole {
    /// Sees the album and its photos.
    Viewer,
    /// Also adds their own photos and removes those they added.
    Contributor,
    /// Everything: members, name, order, cover, share links, deleting.
    Owner,
}

impl AlbumRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AlbumRole::Viewer => "viewer",
            AlbumRole::Contributor => "contributor",
            AlbumRole::Owner => "owner",
        }
    }

    /// A member's role as stored (owners are not stored as members).
    pub(super) fn parse(text: &str) -> Result<Self, StorageError> {
        match text {
            "viewer" => Ok(AlbumRole::Viewer),
            "contributor" => Ok(AlbumRole::Contributor),
            other => Err(StorageError::Corrupt(format!(
                "album_members.role {other:?}"
            ))),
        }
    }
}

/// An album as one user reaches it.
#[derive(Clone, Debug)]
pub struct AlbumAccess {
    pub album: AlbumRecord,
    pub role: AlbumRole,
}

impl AlbumAccess {
    /// Refuses (`NotPermitted`) unless the user's role is at least `needed`;
    /// `doing` completes "your role does not let you …".
    pub fn require(&self, needed: AlbumRole, doing: &str) -> Result<(), StorageError> {
        if self.role >= needed {
            return Ok(());
        }
        Err(StorageError::NotPermitted(format!(
            "as a {} of this album you may not {doing}; {}",
            self.role.as_str(),
            match needed {
                AlbumRole::Owner => "only its owner may",
                _ => "contributors and its owner may",
            }
        )))
    }
}

/// One member of an album.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlbumMember {
    pub user: UserId,
    pub name: String,
    /// `Viewer` or `Contributor`.
    pub role: AlbumRole,
    pub added_at: i64,
}

fn member_from_row(row: &sqlx::any::AnyRow) -> Result<AlbumMember, StorageError> {
    Ok(AlbumMember {
        user: parse_id(
            "album_members.user_id",
            &row.try_get::<String, _>("user_id")?,
        )?,
        name: row.try_get("name")?,
        role: AlbumRole::parse(&row.try_get::<String, _>("role")?)?,
        added_at: row.try_get("added_at")?,
    })
}

/// Everyone who sees the album, owner and members, in id order (the order
/// their feed rows are locked in).
pub(super) async fn album_audience(
    tx: &mut Tx,
    album: &AlbumId,
) -> Result<Vec<UserId>, StorageError> {
    let rows = sqlx::query(
        "SELECT owner_id AS user_id FROM albums WHERE id = $1
         UNION SELECT user_id FROM album_members WHERE album_id = $1",
    )
    .bind(album.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let mut users = rows
        .iter()
        .map(|row| parse_id("album user", &row.try_get::<String, _>("user_id")?))
        .collect::<Result<Vec<UserId>, StorageError>>()?;
    users.sort();
    Ok(users)
}

/// Writes one change about the album to each of `users`' feeds (sorted by
/// id). Last in the transaction, as for any change.
pub(super) async fn record_for(
    tx: &mut Tx,
    users: &[UserId],
    kind: ChangeKind,
    album: &AlbumId,
) -> Result<(), StorageError> {
    for user in users {
        record_change(tx, user, kind, ChangeSubject::Album(*album)).await?;
    }
    Ok(())
}

/// Writes one change about the album to the feed of everyone who sees it.
pub(super) async fn record_album_change(
    tx: &mut Tx,
    album: &AlbumId,
    kind: ChangeKind,
) -> Result<(), StorageError> {
    let users = album_audience(tx, album).await?;
    record_for(tx, &users, kind, album).await
}

/// Queues the telling of the others who see `asset` through an album (its
/// album's owner, when not the photo's, and the album's members), when
/// there are any. In the change's transaction, after its feed entry.
pub(super) async fn tell_members_later(
    tx: &mut Tx,
    owner: &UserId,
    asset: &AssetId,
    at: i64,
) -> Result<(), StorageError> {
    let seen = sqlx::query(
        "SELECT 1 AS one FROM album_assets m JOIN albums al ON al.id = m.album_id
         WHERE m.asset_id = $1
           AND (al.owner_id <> $2
                OR EXISTS (SELECT 1 FROM album_members mm WHERE mm.album_id = al.id))
         LIMIT 1",
    )
    .bind(asset.to_string())
    .bind(owner.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    if seen.is_some() {
        let job = NewJob {
            job: Job::TellAlbumMembers { asset_id: *asset },
            max_attempts: TELL_ATTEMPTS,
        };
        insert_job(tx, &job, owner, at).await?;
    }
    Ok(())
}

/// Attempts a telling gets (it only writes to the catalog).
const TELL_ATTEMPTS: u32 = 5;

impl Catalog {
    /// Writes `album.assets_changed` to the feed of everyone but its owner
    /// who sees `asset` through an album, once per album; returns how many
    /// entries. Their rows are locked in id order, as every writer does.
    pub async fn tell_album_members(&self, asset: &AssetId) -> Result<u64, StorageError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT m.album_id, al.owner_id AS user_id, a.owner_id AS photo_owner
             FROM album_assets m JOIN albums al ON al.id = m.album_id
                  JOIN assets a ON a.id = m.asset_id
             WHERE m.asset_id = $1
             UNION
             SELECT m.album_id, mm.user_id, a.owner_id AS photo_owner
             FROM album_assets m JOIN album_members mm ON mm.album_id = m.album_id
                  JOIN assets a ON a.id = m.asset_id
             WHERE m.asset_id = $1",
        )
        .bind(asset.to_string())
        .fetch_all(&mut *tx)
        .await?;
        let mut told: Vec<(UserId, AlbumId)> = Vec::new();
        for row in &rows {
            let user: UserId = parse_id("album user", &row.try_get::<String, _>("user_id")?)?;
            let photo_owner: UserId =
                parse_id("assets.owner_id", &row.try_get::<String, _>("photo_owner")?)?;
            if user != photo_owner {
                let album = parse_id(
                    "album_assets.album_id",
                    &row.try_get::<String, _>("album_id")?,
                )?;
                told.push((user, album));
            }
        }
        told.sort();
        told.dedup();
        for (user, album) in &told {
            record_change(
                &mut tx,
                user,
                ChangeKind::AlbumAssetsChanged,
                ChangeSubject::Album(*album),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(told.len() as u64)
    }

    /// The album as `user` reaches it: as its owner or a member. Anyone
    /// else's album is "not found".
    pub async fn album_for(
        &self,
        user: &UserId,
        id: &AlbumId,
    ) -> Result<AlbumAccess, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{} WHERE al.id = $2 AND (al.owner_id = $1 OR me.user_id IS NOT NULL)",
            album_select_for_user()
        ));
        let row = sqlx::query(sql)
            .bind(user.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StorageError::NotFound { what: "album" })?;
        access_from_row(&row, user)
    }

    /// The album's members, in the order they were added. Its owner and
    /// members may ask.
    pub async fn album_members_of(
        &self,
        user: &UserId,
        id: &AlbumId,
    ) -> Result<Vec<AlbumMember>, StorageError> {
        self.album_for(user, id).await?;
        let rows = sqlx::query(
            "SELECT m.user_id, u.name, m.role, m.added_at
             FROM album_members m JOIN users u ON u.id = m.user_id
             WHERE m.album_id = $1 ORDER BY m.added_at, u.name",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(member_from_row).collect()
    }

    /// Shares the owner's album with the user called `name`. The new
    /// member's feed gets `album.shared`; the others', `album.changed`.
    pub async fn add_album_member(
        &self,
        owner: &UserId,
        id: &AlbumId,
        name: &str,
        role: AlbumRole,
    ) -> Result<AlbumMember, StorageError> {
        self.album_for(owner, id)
            .await?
            .require(AlbumRole::Owner, "add members")?;
        let user = self
            .find_user_by_name(name)
            .await?
            .ok_or(StorageError::NotFound { what: "user" })?;
        if user.id == *owner {
            return Err(StorageError::Conflict(
                "the album's owner cannot also be a member of it".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let others = album_audience(&mut tx, id).await?;
        let inserted = sqlx::query(
            "INSERT INTO album_members (album_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (album_id, user_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(user.id.to_string())
        .bind(member_role(role)?)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StorageError::Conflict(format!(
                "{name} is already a member of this album (change their role instead)"
            )));
        }
        touch_album(&mut tx, id).await?;
        let mut users = others;
        users.push(user.id);
        record_each(&mut tx, id, users, |u| {
            if *u == user.id {
                vec![ChangeKind::AlbumShared]
            } else {
                vec![ChangeKind::AlbumChanged]
            }
        })
        .await?;
        tx.commit().await?;
        self.album_member(id, &user.id).await
    }

    /// Changes a member's role (the owner only).
    pub async fn set_album_member_role(
        &self,
        owner: &UserId,
        id: &AlbumId,
        member: &UserId,
        role: AlbumRole,
    ) -> Result<AlbumMember, StorageError> {
        self.album_for(owner, id)
            .await?
            .require(AlbumRole::Owner, "change members' roles")?;
        let mut tx = self.begin_write().await?;
        let changed =
            sqlx::query("UPDATE album_members SET role = $1 WHERE album_id = $2 AND user_id = $3")
                .bind(member_role(role)?)
                .bind(id.to_string())
                .bind(member.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if changed == 0 {
            return Err(StorageError::NotFound {
                what: "album member",
            });
        }
        touch_album(&mut tx, id).await?;
        record_album_change(&mut tx, id, ChangeKind::AlbumChanged).await?;
        tx.commit().await?;
        self.album_member(id, member).await
    }

    /// Ends a membership: the owner removes anyone, a member leaves. The
    /// photos they added leave the album with them (they stay in their
    /// library). Their feed gets `album.unshared`; the others',
    /// `album.changed` (and `album.assets_changed` when photos left).
    /// Returns how many photos left the album.
    pub async fn remove_album_member(
        &self,
        actor: &UserId,
        id: &AlbumId,
        member: &UserId,
    ) -> Result<u64, StorageError> {
        let access = self.album_for(actor, id).await?;
        if actor != member {
            access.require(AlbumRole::Owner, "remove other members")?;
        }
        let mut tx = self.begin_write().await?;
        // The membership first: the owner is no member, and their photos
        // are not taken out by a mistaken id.
        let removed = sqlx::query("DELETE FROM album_members WHERE album_id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(member.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if removed == 0 {
            return Err(StorageError::NotFound {
                what: "album member",
            });
        }
        let photos = sqlx::query("DELETE FROM album_assets WHERE album_id = $1 AND added_by = $2")
            .bind(id.to_string())
            .bind(member.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        touch_album(&mut tx, id).await?;
        let mut users = album_audience(&mut tx, id).await?;
        users.push(*member);
        record_each(&mut tx, id, users, |u| match (u == member, photos > 0) {
            (true, _) => vec![ChangeKind::AlbumUnshared],
            (false, false) => vec![ChangeKind::AlbumChanged],
            (false, true) => vec![ChangeKind::AlbumChanged, ChangeKind::AlbumAssetsChanged],
        })
        .await?;
        tx.commit().await?;
        Ok(photos)
    }

    async fn album_member(
        &self,
        id: &AlbumId,
        member: &UserId,
    ) -> Result<AlbumMember, StorageError> {
        let row = sqlx::query(
            "SELECT m.user_id, u.name, m.role, m.added_at
             FROM album_members m JOIN users u ON u.id = m.user_id
             WHERE m.album_id = $1 AND m.user_id = $2",
        )
        .bind(id.to_string())
        .bind(member.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StorageError::NotFound {
            what: "album member",
        })?;
        member_from_row(&row)
    }
}

/// A role a member may hold (the owner is not a member).
fn member_role(role: AlbumRole) -> Result<&'static str, StorageError> {
    match role {
        AlbumRole::Owner => Err(StorageError::Conflict(
            "an album has one owner; members are viewers or contributors".into(),
        )),
        role => Ok(role.as_str()),
    }
}

/// Writes to each of `users`' feeds (locked in id order) the changes
/// `kinds_for` names for them: a membership tells the member one thing and
/// the others another.
async fn record_each(
    tx: &mut Tx,
    album: &AlbumId,
    mut users: Vec<UserId>,
    kinds_for: impl Fn(&UserId) -> Vec<ChangeKind>,
) -> Result<(), StorageError> {
    users.sort();
    users.dedup();
    for user in &users {
        for kind in kinds_for(user) {
            record_change(tx, user, kind, ChangeSubject::Album(*album)).await?;
        }
    }
    Ok(())
}
