//! A search that matches much of a library, listed newest first on SQLite,
//! found by walking the owner's timeline.
//!
//! FTS5 gives a word's matches as a set: a camera maker's name matches a
//! fifth of a library, and reading 200 000 matches to show the newest 100
//! grows with the library. So when many photos match, the timeline is read
//! in pages (an index range, as any listing) and each photo's indexed text
//! is tested here with the index's own rule — every word starts a word of
//! some field, case and accents aside — until a page is full. Where matches
//! are sparse in this library (the count that chose this way is of every
//! owner's), a few pages find too few and the set plan takes over.

use std::collections::HashMap;

use sqlx::Row;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::listing::{
    AssetFilter, AssetOrder, AssetPage, Bind, QueryText, SearchTerms, SortCursor,
};
use super::{Catalog, parse_id};
use crate::catalog::AssetRecord;
use crate::{AssetId, StorageError, UserId};

/// Timeline rows read at a time.
const BATCH: u32 = 500;
/// Pages read before handing over to the set plan: past this many rows,
/// matches are too sparse here for the walk to pay.
const MAX_BATCHES: usize = 4;

impl Catalog {
    /// A page of the owner's photos matching `terms` (and the rest of
    /// `filter`) in `order`, walking the timeline; `None` when the matches
    /// are too sparse for that (use the set plan).
    pub(super) async fn search_along_timeline(
        &self,
        owner: &UserId,
        filter: &AssetFilter,
        terms: &SearchTerms,
        order: AssetOrder,
        after: Option<&SortCursor>,
        limit: u32,
    ) -> Result<Option<AssetPage>, StorageError> {
        let unsearched = AssetFilter {
            search: None,
            ..filter.clone()
        };
        let wanted: Vec<String> = terms.words().iter().map(|w| fold(w)).collect();
        let mut found: Vec<AssetRecord> = Vec::new();
        let mut cursor = after.cloned();
        for _ in 0..MAX_BATCHES {
            let batch = self
                .list_filtered(owner, &unsearched, order, cursor.as_ref(), BATCH)
                .await?;
            let ids: Vec<AssetId> = batch.assets.iter().map(|a| a.id).collect();
            let texts = self.indexed_texts(&ids).await?;
            for asset in batch.assets {
                let text = texts.get(&asset.id).map_or("", String::as_str);
                if matches_all(&wanted, text) {
                    found.push(asset);
                    if found.len() > limit as usize {
                        return Ok(Some(page_from(found, limit, order)));
                    }
                }
            }
            match batch.next {
                Some(next) => cursor = Some(next),
                // The end of the timeline: every match is in `found`.
                None => return Ok(Some(page_from(found, limit, order))),
            }
        }
        Ok(None)
    }

    /// What the search index holds for each of `ids`, its fields folded
    /// ([`fold`]) and joined.
    async fn indexed_texts(
        &self,
        ids: &[AssetId],
    ) -> Result<HashMap<AssetId, String>, StorageError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut q = QueryText::default();
        let list = q.bind_list(ids.iter().map(|id| Bind::Text(id.to_string())));
        q.text = format!(
            "SELECT k.asset_id AS asset_id, s.name, s.title, s.caption, s.keywords, s.camera,
                s.creator, s.places
             FROM asset_search_keys k JOIN asset_search s ON s.rowid = k.key
             WHERE k.asset_id IN ({list})"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        let mut texts = HashMap::with_capacity(rows.len());
        for row in rows {
            let id: AssetId = parse_id(
                "asset_search_keys.asset_id",
                &row.try_get::<String, _>("asset_id")?,
            )?;
            let mut text = String::new();
            for field in [
                "name", "title", "caption", "keywords", "camera", "creator", "places",
            ] {
                if let Some(value) = row.try_get::<Option<String>, _>(field)? {
                    text.push_str(&fold(&value));
                    text.push(' ');
                }
            }
            texts.insert(id, text);
        }
        Ok(texts)
    }
}

/// Lower case without accents (`Skógafoss` → `skogafoss`), as the index's
/// tokenizer (`unicode61 remove_diacritics 2`) folds what it stores.
fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// Whether every folded word of the search starts a word of `text`
/// (words: runs of letters and digits).
fn matches_all(wanted: &[String], text: &str) -> bool {
    wanted.iter().all(|term| {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|word| word.starts_with(term.as_str()))
    })
}

/// A page from matches found in order (one more than `limit` says there is
/// a next page).
fn page_from(mut assets: Vec<AssetRecord>, limit: u32, order: AssetOrder) -> AssetPage {
    let next = if assets.len() > limit as usize {
        assets.truncate(limit as usize);
        assets.last().map(|a| SortCursor {
            key: order.key_of(a),
            id: a.id,
        })
    } else {
        None
    };
    AssetPage { assets, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_the_start_of_words_case_and_accents_aside() {
        let text = fold("IMG_0042.JPG Skógafoss Canon EOS R5 Reykjavík");
        let wanted = |q: &str| -> Vec<String> { q.split(' ').map(fold).collect() };
        assert!(matches_all(&wanted("skoga"), &text));
        assert!(matches_all(&wanted("canon reykjav"), &text));
        assert!(matches_all(&wanted("img 0042"), &text));
        assert!(matches_all(&wanted("Skóga"), &text));
        assert!(!matches_all(&wanted("anon"), &text), "not inside a word");
        assert!(!matches_all(&wanted("canon nikon"), &text), "every word");
    }
}
