//! Share links: a capability (an unguessable token) to one album or one
//! asset, read-only, optionally with a password, an expiry and permission to
//! download originals. Revoking takes effect on the next request.

use sqlx::Row;

use super::{Catalog, parse_id, qualified};
use crate::{AlbumId, AssetId, ShareLinkId, StorageError, UserId, now_ms};

/// Random bytes in a link's token (160 bits), 40 hex characters.
const TOKEN_BYTES: usize = 20;

/// What a link shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareTarget {
    Album(AlbumId),
    Asset(AssetId),
}

/// A link to create.
#[derive(Clone, Debug)]
pub struct NewShareLink {
    pub owner: UserId,
    pub target: ShareTarget,
    /// argon2id PHC string of the password, when the link has one.
    pub password_hash: Option<String>,
    pub expires_at: Option<i64>,
    pub allow_download: bool,
}

/// A stored link.
#[derive(Clone, Debug)]
pub struct ShareLinkRecord {
    pub id: ShareLinkId,
    pub owner: UserId,
    /// BLAKE3 (hex) of the capability in the URL (160 bits from the OS
    /// CSPRNG), which is shown once, when the link is made, and not kept.
    pub token_hash: String,
    pub target: ShareTarget,
    pub password_hash: Option<String>,
    pub expires_at: Option<i64>,
    pub allow_download: bool,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A change to a link; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ShareLinkChange {
    /// `Some(None)`: it no longer expires.
    pub expires_at: Option<Option<i64>>,
    /// `Some(None)`: no password any more.
    pub password_hash: Option<Option<String>>,
    pub allow_download: Option<bool>,
}

/// Whether a link still opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareLinkState {
    Active,
    Revoked,
    Expired,
}

impl ShareLinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            ShareLinkState::Active => "active",
            ShareLinkState::Revoked => "revoked",
            ShareLinkState::Expired => "expired",
        }
    }
}

impl ShareLinkRecord {
    /// The link's state now: revocation wins over expiry.
    pub fn state(&self) -> ShareLinkState {
        if self.revoked_at.is_some() {
            ShareLinkState::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now_ms()) {
            ShareLinkState::Expired
        } else {
            ShareLinkState::Active
        }
    }
}

const LINK_COLUMNS: &str =
    "id, owner_id, token_hash, album_id, asset_id, password_hash, expires_at,
    allow_download, created_at, revoked_at";

fn link_from_row(row: &sqlx::any::AnyRow) -> Result<ShareLinkRecord, StorageError> {
    let album: Option<String> = row.try_get("album_id")?;
    let asset: Option<String> = row.try_get("asset_id")?;
    let target = match (album, asset) {
        (Some(a), None) => ShareTarget::Album(parse_id("share_links.album_id", &a)?),
        (None, Some(a)) => ShareTarget::Asset(parse_id("share_links.asset_id", &a)?),
        _ => {
            return Err(StorageError::Corrupt(
                "share link without one target".into(),
            ));
        }
    };
    Ok(ShareLinkRecord {
        id: parse_id("share_links.id", &row.try_get::<String, _>("id")?)?,
        owner: parse_id(
            "share_links.owner_id",
            &row.try_get::<String, _>("owner_id")?,
        )?,
        token_hash: row.try_get("token_hash")?,
        target,
        password_hash: row.try_get("password_hash")?,
        expires_at: row.try_get("expires_at")?,
        allow_download: row.try_get::<i64, _>("allow_download")? != 0,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl Catalog {
    /// Creates a link to one of the owner's albums or assets; the token in
    /// its URL is returned this once.
    pub async fn create_share_link(
        &self,
        new: &NewShareLink,
    ) -> Result<(ShareLinkRecord, String), StorageError> {
        let (album, asset) = match new.target {
            ShareTarget::Album(id) => {
                // A member may not pass the album on to the world.
                self.album_for(&new.owner, &id)
                    .await?
                    .require(super::AlbumRole::Owner, "share it by link")?;
                (Some(id.to_string()), None)
            }
            ShareTarget::Asset(id) => {
                self.get_asset(&new.owner, &id).await?;
                (None, Some(id.to_string()))
            }
        };
        let id = ShareLinkId::new();
        let token = super::users::random_hex(TOKEN_BYTES);
        sqlx::query(
            "INSERT INTO share_links (id, owner_id, token_hash, album_id, asset_id, password_hash,
                expires_at, allow_download, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(new.owner.to_string())
        .bind(super::users::secret_hash(&token))
        .bind(album)
        .bind(asset)
        .bind(new.password_hash.as_deref())
        .bind(new.expires_at)
        .bind(i64::from(new.allow_download))
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok((self.get_share_link(&new.owner, &id).await?, token))
    }

    /// The owner's links (revoked ones included), newest first.
    pub async fn list_share_links(
        &self,
        owner: &UserId,
    ) -> Result<Vec<ShareLinkRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {LINK_COLUMNS} FROM share_links WHERE owner_id = $1
             ORDER BY created_at DESC, id DESC"
        ));
        let rows = sqlx::query(sql)
            .bind(owner.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(link_from_row).collect()
    }

    /// One of the owner's links.
    pub async fn get_share_link(
        &self,
        owner: &UserId,
        id: &ShareLinkId,
    ) -> Result<ShareLinkRecord, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {LINK_COLUMNS} FROM share_links WHERE id = $1 AND owner_id = $2"
        ));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .bind(owner.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => link_from_row(&row),
            None => Err(StorageError::NotFound { what: "share link" }),
        }
    }

    /// Changes a live link of the owner's in place (its URL stays): expiry
    /// (`Some(None)`: never), password hash (`Some(None)`: none) and
    /// downloads; `None` leaves a field as it is. A revoked link stays so.
    pub async fn update_share_link(
        &self,
        owner: &UserId,
        id: &ShareLinkId,
        change: &ShareLinkChange,
    ) -> Result<ShareLinkRecord, StorageError> {
        let link = self.get_share_link(owner, id).await?;
        if link.revoked_at.is_some() {
            return Err(StorageError::Conflict(
                "this link was revoked: make a new one".into(),
            ));
        }
        sqlx::query(
            "UPDATE share_links SET expires_at = $1, password_hash = $2, allow_download = $3
             WHERE id = $4 AND owner_id = $5",
        )
        .bind(change.expires_at.unwrap_or(link.expires_at))
        .bind(
            change
                .password_hash
                .clone()
                .unwrap_or(link.password_hash.clone()),
        )
        .bind(i64::from(
            change.allow_download.unwrap_or(link.allow_download),
        ))
        .bind(id.to_string())
        .bind(owner.to_string())
        .execute(&self.pool)
        .await?;
        self.get_share_link(owner, id).await
    }

    /// Revokes one of the owner's links.
    pub async fn revoke_share_link(
        &self,
        owner: &UserId,
        id: &ShareLinkId,
    ) -> Result<(), StorageError> {
        let revoked = sqlx::query(
            "UPDATE share_links SET revoked_at = $1
             WHERE id = $2 AND owner_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id.to_string())
        .bind(owner.to_string())
        .execute(&self.pool)
        .await?
        .rows_affected();
        if revoked == 0 {
            return Err(StorageError::NotFound { what: "share link" });
        }
        Ok(())
    }

    /// The link a token names, whatever its state (the caller tells revoked,
    /// expired and live apart), if it exists and its owner is not disabled.
    pub async fn find_share_link(
        &self,
        token: &str,
    ) -> Result<Option<ShareLinkRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM share_links l JOIN users u ON u.id = l.owner_id
             WHERE l.token_hash = $1 AND u.disabled_at IS NULL",
            qualified(LINK_COLUMNS, "l")
        ));
        let row = sqlx::query(sql)
            .bind(super::users::secret_hash(token))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(link_from_row).transpose()
    }

    /// Hashes the tokens of links made before they were kept hashed (see
    /// migration 0010); returns how many. Safe to run again, and from two
    /// processes at once: a hash is never hashed again.
    pub(super) async fn hash_plain_share_tokens(&self) -> Result<u64, StorageError> {
        let plain: Vec<(String, String)> =
            sqlx::query_as("SELECT id, token_hash FROM share_links WHERE length(token_hash) = $1")
                .bind(i64::try_from(TOKEN_BYTES * 2).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await?;
        let mut hashed = 0;
        for (id, token) in plain {
            hashed += sqlx::query(
                "UPDATE share_links SET token_hash = $1 WHERE id = $2 AND token_hash = $3",
            )
            .bind(super::users::secret_hash(&token))
            .bind(&id)
            .bind(&token)
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(hashed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link made before tokens were kept hashed still opens after the
    /// upgrade, and its token is no longer in the catalog.
    #[tokio::test]
    async fn plain_tokens_of_earlier_versions_are_hashed_and_still_open() {
        let (dir, catalog) = crate::catalog::test_catalog().await;
        let path = dir.path().join("catalog.db");
        let owner = catalog.create_user("ann", false).await.unwrap().id;
        let album = catalog
            .create_album(&owner, "Trip", "", super::super::AlbumOrder::default())
            .await
            .unwrap()
            .id;
        let (made_now, token_now) = catalog
            .create_share_link(&NewShareLink {
                owner,
                target: ShareTarget::Album(album),
                password_hash: None,
                expires_at: None,
                allow_download: false,
            })
            .await
            .unwrap();
        assert_eq!(
            made_now.token_hash,
            super::super::users::secret_hash(&token_now)
        );
        // As an earlier version stored it: the token itself.
        let old_token = super::super::users::random_hex(TOKEN_BYTES);
        sqlx::query("UPDATE share_links SET token_hash = $1 WHERE id = $2")
            .bind(&old_token)
            .bind(made_now.id.to_string())
            .execute(&catalog.pool)
            .await
            .unwrap();
        catalog.migrate().await.unwrap();
        let found = catalog
            .find_share_link(&old_token)
            .await
            .unwrap()
            .expect("still opens");
        assert_eq!(found.id, made_now.id);
        assert_ne!(found.token_hash, old_token);
        assert!(
            catalog
                .find_share_link(&found.token_hash)
                .await
                .unwrap()
                .is_none(),
            "the hash is no token"
        );
        // Not hashed twice.
        assert_eq!(catalog.hash_plain_share_tokens().await.unwrap(), 0);
        catalog.close().await;
        let bytes = [
            std::fs::read(&path).unwrap(),
            std::fs::read(dir.path().join("catalog.db-wal")).unwrap_or_default(),
        ]
        .concat();
        for token in [&old_token, &token_now] {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "a token is in the file"
            );
        }
    }
}
