//! What photographers write about their photos: title, caption, keywords,
//! favorite flag, rating, creator, copyright and colour label.

use super::assets::{AssetRecord, get_in};
use super::changes::{ChangeKind, ChangeSubject, record_change};
use super::ledger::Tx;
use super::{Catalog, set_column};
use crate::{AssetId, StorageError, UserId, now_ms};

/// A change to some library fields; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct LibraryPatch {
    /// `Some(None)` clears the title.
    pub title: Option<Option<String>>,
    pub caption: Option<Option<String>>,
    /// Replaces all keywords.
    pub keywords: Option<Vec<String>>,
    pub is_favorite: Option<bool>,
    pub rating: Option<u8>,
    pub creator: Option<Option<String>>,
    pub copyright: Option<Option<String>>,
    pub color_label: Option<Option<String>>,
}

/// Keywords as stored: trimmed, lower case, distinct, none empty, in order.
pub(super) fn normalise_keywords(keywords: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in keywords {
        let k = k.trim().to_lowercase();
        if !k.is_empty() && !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// The keyword filter's rows for an asset (keywords already normalised).
pub(super) async fn insert_keywords(
    tx: &mut Tx,
    id: &AssetId,
    owner: &UserId,
    keywords: &[String],
) -> Result<(), StorageError> {
    for k in keywords {
        sqlx::query("INSERT INTO asset_keywords (asset_id, owner_id, keyword) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(owner.to_string())
            .bind(k)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Catalog {
    /// Applies `patch` to the owner's asset (in the library, not the trash).
    pub async fn update_library_fields(
        &self,
        owner: &UserId,
        id: &AssetId,
        patch: &LibraryPatch,
    ) -> Result<AssetRecord, StorageError> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query(
            "SELECT id FROM assets WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL",
        )
        .bind(id.to_string())
        .bind(owner.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if found.is_none() {
            return Err(StorageError::NotFound { what: "asset" });
        }
        // Fixed column names; each value bound with its own type.
        let key = || id.to_string();
        if let Some(title) = &patch.title {
            set_column(&mut *tx, "assets", "title", key(), title.clone()).await?;
        }
        for (column, value) in [
            ("caption", &patch.caption),
            ("creator", &patch.creator),
            ("copyright", &patch.copyright),
            ("color_label", &patch.color_label),
        ] {
            if let Some(value) = value {
                set_column(&mut *tx, "assets", column, key(), value.clone()).await?;
            }
        }
        if let Some(v) = patch.is_favorite {
            set_column(&mut *tx, "assets", "is_favorite", key(), i64::from(v)).await?;
        }
        if let Some(v) = patch.rating {
            set_column(&mut *tx, "assets", "rating", key(), i64::from(v.min(5))).await?;
        }
        if let Some(keywords) = &patch.keywords {
            let keywords = normalise_keywords(keywords);
            let json = serde_json::to_string(&keywords).unwrap_or_else(|_| "[]".into());
            set_column(&mut *tx, "assets", "keywords", key(), json).await?;
            sqlx::query("DELETE FROM asset_keywords WHERE asset_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            insert_keywords(&mut tx, id, owner, &keywords).await?;
        }
        set_column(&mut *tx, "assets", "updated_at", key(), now_ms()).await?;
        record_change(
            &mut tx,
            owner,
            ChangeKind::AssetUpdated,
            ChangeSubject::Asset(*id),
        )
        .await?;
        let record = get_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keywords_are_normalised() {
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            super::normalise_keywords(&k(&[" Leica ", "leica", "", "Street"])),
            k(&["leica", "street"])
        );
    }
}
