//! Users and their API tokens.

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use sqlx::Row;

use super::{Catalog, parse_id};
use crate::{StorageError, TokenId, UserId, now_ms};

/// An account.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: UserId,
    pub name: String,
    pub is_admin: bool,
    pub created_at: i64,
}

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Upload,
    Edit,
    Admin,
}

impl Scope {
    /// Every scope, in canonical order.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Upload, Scope::Edit, Scope::Admin];

    fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Upload => "upload",
            Scope::Edit => "edit",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| format!("unknown scope {s:?} (known: read, upload, edit, admin)"))
    }
}

/// The user a request acts as, and what its token allows.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: UserRecord,
    pub token_id: TokenId,
    pub scopes: Vec<Scope>,
}

impl Principal {
    /// True when the token carries `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// A freshly minted token: the secret is shown once and never stored.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: TokenId,
    pub secret: String,
}

/// Prefix that makes darkroom tokens recognisable (e.g. by secret scanners).
const TOKEN_PREFIX: &str = "drk_";
/// How often `last_used_at` is refreshed, so reads do not all become writes.
const LAST_USED_GRANULARITY_MS: i64 = 60_000;

/// Tokens carry 256 random bits, so a fast hash (not a password hash) is the
/// right way to store them: there is nothing to brute-force.
fn token_hash(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

fn mint_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{TOKEN_PREFIX}{hex}")
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<UserRecord, StorageError> {
    Ok(UserRecord {
        id: parse_id("users.id", &row.try_get::<String, _>("id")?)?,
        name: row.try_get("name")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

impl Catalog {
    /// Creates a user; a taken name is `StorageError::Conflict`.
    pub async fn create_user(
        &self,
        name: &str,
        is_admin: bool,
    ) -> Result<UserRecord, StorageError> {
        let user = UserRecord {
            id: UserId::new(),
            name: name.to_string(),
            is_admin,
            created_at: now_ms(),
        };
        let result = sqlx::query(
            "INSERT INTO users (id, name, is_admin, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(user.id.to_string())
        .bind(&user.name)
        .bind(i64::from(is_admin))
        .bind(user.created_at)
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StorageError::Conflict(format!(
                "user {name:?} already exists"
            )));
        }
        Ok(user)
    }

    /// Looks a user up by name.
    pub async fn find_user_by_name(&self, name: &str) -> Result<Option<UserRecord>, StorageError> {
        let row = sqlx::query("SELECT id, name, is_admin, created_at FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Number of accounts (zero means this is the first start).
    pub async fn count_users(&self) -> Result<i64, StorageError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Mints a token for `user`; only its hash is stored.
    pub async fn issue_token(
        &self,
        user: &UserId,
        name: &str,
        scopes: &[Scope],
    ) -> Result<IssuedToken, StorageError> {
        let issued = IssuedToken {
            id: TokenId::new(),
            secret: mint_secret(),
        };
        let scopes: Vec<String> = scopes.iter().map(Scope::to_string).collect();
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(issued.id.to_string())
        .bind(user.to_string())
        .bind(name)
        .bind(token_hash(&issued.secret))
        .bind(scopes.join(","))
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(issued)
    }

    /// Resolves a presented secret to the user and scopes it grants, if any.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Principal>, StorageError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT t.id AS token_id, t.scopes, t.last_used_at,
                    u.id, u.name, u.is_admin, u.created_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash(secret))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token_id: TokenId = parse_id("api_tokens.id", &row.try_get::<String, _>("token_id")?)?;
        let scopes = row
            .try_get::<String, _>("scopes")?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(StorageError::Corrupt))
            .collect::<Result<Vec<Scope>, _>>()?;
        let last_used: Option<i64> = row.try_get("last_used_at")?;
        let now = now_ms();
        if last_used.is_none_or(|t| now - t > LAST_USED_GRANULARITY_MS) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(token_id.to_string())
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(Principal {
            user: user_from_row(&row)?,
            token_id,
            scopes,
        }))
    }

    /// On the very first start, creates the `admin` account and returns its
    /// token (to be printed once). Returns `None` when accounts already exist.
    pub async fn bootstrap_admin(&self) -> Result<Option<IssuedToken>, StorageError> {
        if self.count_users().await? > 0 {
            return Ok(None);
        }
        let admin = match self.create_user("admin", true).await {
            Ok(user) => user,
            // Another process bootstrapped at the same moment.
            Err(StorageError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(
            self.issue_token(&admin.id, "bootstrap", &Scope::ALL)
                .await?,
        ))
    }
}
