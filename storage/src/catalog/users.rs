//! Users and their API tokens.

use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use sqlx::Row;

use super::{Catalog, parse_id, set_column};
use crate::{StorageError, TokenId, UserId, now_ms};

/// An account.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: UserId,
    pub name: String,
    pub is_admin: bool,
    pub created_at: i64,
    /// Set when an admin disabled the account: it can no longer sign in.
    pub disabled_at: Option<i64>,
    /// Storage quota in bytes; `None` for none.
    pub quota_bytes: Option<u64>,
    /// Bytes of the distinct originals the user holds (trash included).
    pub usage_bytes: u64,
    /// True once a password is set (web sign-in possible).
    pub has_password: bool,
}

/// An API token as its owner sees it (never the secret).
#[derive(Clone, Debug)]
pub struct TokenRecord {
    pub id: TokenId,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// The client certificate (SHA-256, hex) it works with alone, if bound.
    pub certificate_sha256: Option<String>,
}

/// A user whose stored usage differed from the bytes they hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageDrift {
    pub user: UserId,
    pub name: String,
    pub stored: i64,
    pub counted: i64,
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

/// The user a request acts as, and what its credentials allow.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: UserRecord,
    /// The API token used; `None` for a web session.
    pub token_id: Option<TokenId>,
    pub scopes: Vec<Scope>,
    /// The client certificate (SHA-256, hex) the token is bound to: the
    /// request must come over a connection presenting it.
    pub certificate_sha256: Option<String>,
}

impl Principal {
    /// A web session acts with everything its user may do.
    pub fn for_session(user: UserRecord) -> Self {
        let scopes = Scope::ALL
            .into_iter()
            .filter(|s| *s != Scope::Admin || user.is_admin)
            .collect();
        Principal {
            user,
            token_id: None,
            scopes,
            certificate_sha256: None,
        }
    }
}

impl Principal {
    /// True when the token carries `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        // The admin scope grants nothing to a user who is no longer an admin.
        self.scopes.contains(&scope) && (scope != Scope::Admin || self.user.is_admin)
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

/// How token and session secrets are stored. They carry 256 random bits, so
/// a fast hash (not a password hash) is right: there is nothing to brute-force.
pub(super) fn secret_hash(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

/// `bytes` random bytes from the operating system's CSPRNG, as hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    crate::lower_hex(&buf)
}

fn mint_secret() -> String {
    format!("{TOKEN_PREFIX}{}", random_hex(32))
}

/// The user columns every query reads, from `users u`.
pub(super) const USER_COLUMNS: &str = "u.id, u.name, u.is_admin, u.created_at, u.disabled_at,
    u.quota_bytes, u.usage_bytes, CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS has_password";

pub(super) fn user_from_row(row: &sqlx::any::AnyRow) -> Result<UserRecord, StorageError> {
    Ok(UserRecord {
        id: parse_id("users.id", &row.try_get::<String, _>("id")?)?,
        name: row.try_get("name")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        created_at: row.try_get("created_at")?,
        disabled_at: row.try_get("disabled_at")?,
        quota_bytes: row
            .try_get::<Option<i64>, _>("quota_bytes")?
            .map(|q| q.max(0) as u64),
        usage_bytes: row.try_get::<i64, _>("usage_bytes")?.max(0) as u64,
        has_password: row.try_get::<i64, _>("has_password")? != 0,
    })
}

fn parse_scopes(text: &str) -> Result<Vec<Scope>, StorageError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(StorageError::Corrupt))
        .collect()
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
            disabled_at: None,
            quota_bytes: None,
            usage_bytes: 0,
            has_password: false,
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
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1"
        ));
        let row = sqlx::query(sql)
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
        self.issue_bound_token(user, name, scopes, None).await
    }

    /// Mints a token that, with `certificate_sha256` (the SHA-256 of a client
    /// certificate's DER bytes, lowercase hex), works only over a connection
    /// presenting that certificate.
    pub async fn issue_bound_token(
        &self,
        user: &UserId,
        name: &str,
        scopes: &[Scope],
        certificate_sha256: Option<&str>,
    ) -> Result<IssuedToken, StorageError> {
        let issued = IssuedToken {
            id: TokenId::new(),
            secret: mint_secret(),
        };
        let scopes: Vec<String> = scopes.iter().map(Scope::to_string).collect();
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at,
                                     certificate_sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(issued.id.to_string())
        .bind(user.to_string())
        .bind(name)
        .bind(secret_hash(&issued.secret))
        .bind(scopes.join(","))
        .bind(now_ms())
        .bind(certificate_sha256)
        .execute(&self.pool)
        .await?;
        Ok(issued)
    }

    /// Resolves a presented secret to the user and scopes it grants, if any.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Principal>, StorageError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT t.id AS token_id, t.scopes, t.last_used_at, t.certificate_sha256, {USER_COLUMNS}
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"
        ));
        let row = sqlx::query(sql)
            .bind(secret_hash(secret))
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let token_id: TokenId = parse_id("api_tokens.id", &row.try_get::<String, _>("token_id")?)?;
        let scopes = parse_scopes(&row.try_get::<String, _>("scopes")?)?;
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
            token_id: Some(token_id),
            scopes,
            certificate_sha256: row.try_get("certificate_sha256")?,
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

    /// A user by id.
    pub async fn get_user(&self, id: &UserId) -> Result<UserRecord, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"
        ));
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => user_from_row(&row),
            None => Err(StorageError::NotFound { what: "user" }),
        }
    }

    /// Every account, by name.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.name"
        ));
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// The user's password hash (a PHC string), if a password is set.
    pub async fn password_hash(&self, id: &UserId) -> Result<Option<String>, StorageError> {
        Ok(sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<Option<String>, _>("password_hash"))
            .transpose()?
            .flatten())
    }

    /// Stores a new password hash (computed by the caller).
    pub async fn set_password_hash(&self, id: &UserId, hash: &str) -> Result<(), StorageError> {
        self.update_user(id, "password_hash", Some(hash.to_string()))
            .await
    }

    /// Disables (no sign-in, no token works) or re-enables an account.
    /// Disabling also ends its sessions.
    pub async fn set_user_disabled(&self, id: &UserId, disabled: bool) -> Result<(), StorageError> {
        self.update_user(id, "disabled_at", disabled.then(now_ms))
            .await?;
        if disabled {
            self.close_all_sessions(id).await?;
        }
        Ok(())
    }

    /// Sets (or with `None`, removes) a user's storage quota. A quota below
    /// current usage is allowed: it only stops new uploads.
    pub async fn set_quota(&self, id: &UserId, quota: Option<u64>) -> Result<(), StorageError> {
        let quota = quota.map(|q| q.min(i64::MAX as u64) as i64);
        self.update_user(id, "quota_bytes", quota).await
    }

    /// Sets one column of a user; an unknown user is "not found".
    async fn update_user<T>(
        &self,
        id: &UserId,
        column: &'static str,
        value: T,
    ) -> Result<(), StorageError>
    where
        T: 'static + Send + sqlx::Encode<'static, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        match set_column(&self.pool, "users", column, id.to_string(), value).await? {
            0 => Err(StorageError::NotFound { what: "user" }),
            _ => Ok(()),
        }
    }

    /// The user's live (unrevoked) tokens, newest first.
    pub async fn list_tokens(&self, user: &UserId) -> Result<Vec<TokenRecord>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, name, scopes, created_at, last_used_at, certificate_sha256 FROM api_tokens
             WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRecord {
                    id: parse_id("api_tokens.id", &r.try_get::<String, _>("id")?)?,
                    name: r.try_get("name")?,
                    scopes: parse_scopes(&r.try_get::<String, _>("scopes")?)?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                    certificate_sha256: r.try_get("certificate_sha256")?,
                })
            })
            .collect()
    }

    /// Revokes one of the user's tokens; it stops working at once.
    pub async fn revoke_token(&self, user: &UserId, token: &TokenId) -> Result<(), StorageError> {
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(token.to_string())
        .bind(user.to_string())
        .execute(&self.pool)
        .await?
        .rows_affected();
        if revoked == 0 {
            return Err(StorageError::NotFound { what: "token" });
        }
        Ok(())
    }

    /// Recomputes every user's usage from the assets they hold and fixes the
    /// stored value; returns the users whose value was wrong.
    pub async fn recompute_usage(&self) -> Result<Vec<UsageDrift>, StorageError> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.usage_bytes,
                (SELECT CAST(COALESCE(SUM(a.size), 0) AS BIGINT) FROM assets a
                    WHERE a.owner_id = u.id) AS counted
             FROM users u ORDER BY u.name",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut drifts = Vec::new();
        for row in rows {
            let stored: i64 = row.try_get("usage_bytes")?;
            let counted: i64 = row.try_get("counted")?;
            if stored != counted {
                let user: UserId = parse_id("users.id", &row.try_get::<String, _>("id")?)?;
                sqlx::query("UPDATE users SET usage_bytes = $1 WHERE id = $2")
                    .bind(counted)
                    .bind(user.to_string())
                    .execute(&mut *tx)
                    .await?;
                drifts.push(UsageDrift {
                    user,
                    name: row.try_get("name")?,
                    stored,
                    counted,
                });
            }
        }
        tx.commit().await?;
        Ok(drifts)
    }
}
