//! Web sessions. The cookie carries a random secret; the catalog keeps only
//! its hash, the CSRF token that state-changing requests must echo, and the
//! expiry (sliding: each use within the lifetime extends it).

use sqlx::Row;

use super::Catalog;
use super::users::{USER_COLUMNS, UserRecord, random_hex, secret_hash, user_from_row};
use crate::{StorageError, UserId, now_ms};

/// A session to open.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub user: UserId,
    /// How long it lasts without being used, in ms.
    pub idle_lifetime_ms: i64,
    pub user_agent: Option<String>,
}

/// A live session and its user.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    pub user: UserRecord,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// The cookie secret and CSRF token of a session just opened.
#[derive(Clone, Debug)]
pub struct OpenedSession {
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// How often a session's expiry is pushed forward (not on every request).
const SLIDE_GRANULARITY_MS: i64 = 60_000;

impl Catalog {
    /// Opens a session; the secret goes into the cookie and is not stored.
    pub async fn open_session(&self, new: &NewSession) -> Result<OpenedSession, StorageError> {
        let now = now_ms();
        let opened = OpenedSession {
            secret: random_hex(32),
            csrf_token: random_hex(32),
            expires_at: now + new.idle_lifetime_ms,
        };
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at,
                expires_at, user_agent)
             VALUES ($1, $2, $3, $4, $4, $5, $6)",
        )
        .bind(secret_hash(&opened.secret))
        .bind(new.user.to_string())
        .bind(&opened.csrf_token)
        .bind(now)
        .bind(opened.expires_at)
        .bind(new.user_agent.as_deref())
        .execute(&self.pool)
        .await?;
        Ok(opened)
    }

    /// The live session a cookie secret names, extending it by
    /// `idle_lifetime_ms`. Expired sessions and disabled users give `None`.
    pub async fn resume_session(
        &self,
        secret: &str,
        idle_lifetime_ms: i64,
    ) -> Result<Option<SessionRecord>, StorageError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT s.csrf_token, s.expires_at, s.last_seen_at, {USER_COLUMNS}
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
        ));
        let now = now_ms();
        let Some(row) = sqlx::query(sql)
            .bind(secret_hash(secret))
            .bind(now)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut expires_at: i64 = row.try_get("expires_at")?;
        let last_seen: i64 = row.try_get("last_seen_at")?;
        if now - last_seen > SLIDE_GRANULARITY_MS {
            expires_at = now + idle_lifetime_ms;
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3",
            )
            .bind(now)
            .bind(expires_at)
            .bind(secret_hash(secret))
            .execute(&self.pool)
            .await?;
        }
        Ok(Some(SessionRecord {
            user: user_from_row(&row)?,
            csrf_token: row.try_get("csrf_token")?,
            expires_at,
        }))
    }

    /// Ends one session (logout).
    pub async fn close_session(&self, secret: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(secret_hash(secret))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every session of the user ("log out everywhere"); returns how many.
    pub async fn close_all_sessions(&self, user: &UserId) -> Result<u64, StorageError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Ends every session of the user but the one `keep` names.
    pub async fn close_other_sessions(
        &self,
        user: &UserId,
        keep: &str,
    ) -> Result<u64, StorageError> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user.to_string())
                .bind(secret_hash(keep))
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Removes expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64, StorageError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}
