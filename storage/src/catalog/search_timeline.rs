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
//! owner's), a few thousand rows find too few and the set plan takes over.

use sqlx::Row;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::listing::{
    AssetFilter, AssetOrder, AssetPage, Bind, QueryText, SearchTerms, SortCursor, push_filter,
    push_page,
};
use super::{Catalog, Dialect, parse_id};
use crate::{AssetId, StorageError, UserId};

/// Timeline rows read before handing over to the set plan: past this many,
/// matches are too sparse here for the walk to pay.
const MAX_ROWS: usize = 2_000;
/// The fewest rows read at a time.
const MIN_BATCH: usize = 100;

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
        let wanted_rows = limit as usize + 1;
        let mut found: Vec<SortCursor> = Vec::new();
        let mut cursor = after.cloned();
        let mut read = 0;
        while read < MAX_ROWS {
            // As many rows as the matches seen so far say the page needs
            // (a quarter more), four times the page to begin with.
            let batch_rows = match found.len() {
                0 => wanted_rows * 4,
                hits => (wanted_rows - hits) * read * 5 / (hits * 4),
            }
            .clamp(MIN_BATCH, MAX_ROWS - read);
            let batch = self
                .timeline_with_text(owner, &unsearched, order, cursor.as_ref(), batch_rows)
                .await?;
            read += batch.len();
            let complete = batch.len() < batch_rows;
            for (at, text) in batch {
                cursor = Some(at.clone());
                if matches_all(&wanted, &text) {
                    found.push(at);
                    if found.len() > limit as usize {
                        return Ok(Some(self.page_of_found(owner, found, limit).await?));
                    }
                }
            }
            if complete {
                // The end of the timeline: every match is in `found`.
                return Ok(Some(self.page_of_found(owner, found, limit).await?));
            }
        }
        Ok(None)
    }

    /// The next `rows` photos of the timeline after `after` (the other
    /// filters applied), each with its place in it and what the search index
    /// holds for it, folded ([`fold`]): one query, no photo decoded. (Left
    /// joins: a photo missing from the index still counts as a row read, so
    /// a short batch always means the timeline's end.)
    async fn timeline_with_text(
        &self,
        owner: &UserId,
        filter: &AssetFilter,
        order: AssetOrder,
        after: Option<&SortCursor>,
        rows: usize,
    ) -> Result<Vec<(SortCursor, String)>, StorageError> {
        let mut q = QueryText::default();
        let owner_p = q.bind(Bind::Text(owner.to_string()));
        q.text = format!(
            "SELECT a.id AS id, a.{key} AS sort_key, st.name, st.title, st.caption, st.keywords,
                st.camera, st.creator, st.places
             FROM assets a
             LEFT JOIN asset_search_keys sk ON sk.asset_id = a.id
             LEFT JOIN asset_search st ON st.rowid = sk.key
             WHERE a.owner_id = {owner_p} AND a.deleted_at IS NULL",
            key = order.key_column()
        );
        push_filter(&mut q, filter, Dialect::Sqlite);
        push_page(&mut q, order, after, rows as i64);
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let at = SortCursor {
                    key: row.try_get("sort_key")?,
                    id: parse_id("assets.id", &row.try_get::<String, _>("id")?)?,
                };
                let mut text = String::new();
                for field in [
                    "name", "title", "caption", "keywords", "camera", "creator", "places",
                ] {
                    if let Some(value) = row.try_get::<Option<String>, _>(field)? {
                        text.push_str(&fold(&value));
                        text.push(' ');
                    }
                }
                Ok((at, text))
            })
            .collect()
    }

    /// The page of the matches found (one more than `limit` says there is
    /// a next page), their records read now, in the order found.
    async fn page_of_found(
        &self,
        owner: &UserId,
        mut found: Vec<SortCursor>,
        limit: u32,
    ) -> Result<AssetPage, StorageError> {
        let next = (found.len() > limit as usize).then(|| {
            found.truncate(limit as usize);
            found.last().cloned()
        });
        let ids: Vec<AssetId> = found.iter().map(|at| at.id).collect();
        Ok(AssetPage {
            assets: self.owned_assets(owner, &ids).await?,
            next: next.flatten(),
        })
    }
}

/// Lower case without accents (`Skógafoss` → `skogafoss`), as the index's
/// tokenizer (`unicode61 remove_diacritics 2`) folds what it stores.
fn fold(text: &str) -> String {
    // Most text is ASCII: nothing to decompose.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
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
