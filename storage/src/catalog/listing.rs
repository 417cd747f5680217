//! Listing a library: filters, sort orders, keyset pages, and the timeline.
//!
//! Every filter is a plain condition on indexed columns of `assets` (or an
//! `IN` over an indexed side table), so a filtered page is an index range scan
//! whatever the size of the library. The timeline's bucket list reads the
//! per-day counts kept in `timeline_days` when nothing is filtered.
//!
//! Search is the one condition written per dialect: SQLite matches an FTS5
//! table kept by triggers, PostgreSQL a generated `tsvector` column under a
//! GIN index (see migration 0016); a search matching at most
//! [`RANKED_AT_MOST`] photos is ranked unless another order is asked for.

use sqlx::Row;

use super::assets::{ASSET_COLUMNS, AssetRecord, asset_from_row};
use super::{Catalog, Dialect, parse_id};
use crate::{AlbumId, AssetId, StorageError, UserId};

/// Which assets a listing or a timeline shows. Empty: the whole library.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssetFilter {
    /// First and last timeline day (YYYYMMDD), inclusive.
    pub day_from: Option<u32>,
    pub day_to: Option<u32>,
    /// Exact camera make, model or lens as the camera wrote it.
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub lens: Option<String>,
    pub is_raw: Option<bool>,
    pub has_location: Option<bool>,
    pub favorite: Option<bool>,
    /// At least this many stars.
    pub min_rating: Option<u8>,
    /// A keyword (compared in lower case).
    pub keyword: Option<String>,
    pub album: Option<AlbumId>,
    /// A substring of the file name (case-insensitive).
    pub name_contains: Option<String>,
    /// Taken in this country (ISO 3166-1 alpha-2, upper case) or city (its
    /// name as the Places page gives it).
    pub country: Option<String>,
    pub city: Option<String>,
    /// Words in the file name, title, caption, keywords, camera, lens,
    /// creator or place names.
    pub search: Option<SearchTerms>,
}

/// What a search looks for: words (letters and digits, lower case), each
/// matching the words that start with it, all of them required.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchTerms(Vec<String>);

/// A search matching more photos than this is listed newest first rather
/// than ranked: ranking costs a score for every match (a fifth of a library
/// for a camera maker's name), and among that many, relevance says little.
/// On SQLite the matches are counted across owners (the index is one for
/// all), so a word common in other libraries may list yours newest first too.
pub const RANKED_AT_MOST: i64 = 1_000;

/// A search of more words than this keeps the first ones.
const MAX_SEARCH_TERMS: usize = 16;
/// Longer words are cut (no real word is this long; it bounds the query).
const MAX_TERM_CHARS: usize = 64;

impl SearchTerms {
    /// The words of a query as typed; `None` when it has none.
    pub fn parse(text: &str) -> Option<SearchTerms> {
        let mut terms: Vec<String> = Vec::new();
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            let word: String = word
                .chars()
                .take(MAX_TERM_CHARS)
                .collect::<String>()
                .to_lowercase();
            if !word.is_empty() && !terms.contains(&word) {
                terms.push(word);
            }
        }
        terms.truncate(MAX_SEARCH_TERMS);
        (!terms.is_empty()).then_some(SearchTerms(terms))
    }

    /// The words, as parsed.
    pub fn words(&self) -> &[String] {
        &self.0
    }

    /// As an FTS5 query: each word a quoted prefix (`"ice"* "fall"*`); words
    /// are letters and digits only, so nothing in them is query syntax.
    fn fts5(&self) -> String {
        self.0
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// As a PostgreSQL tsquery (`'ice':* & 'fall':*`), likewise.
    fn tsquery(&self) -> String {
        self.0
            .iter()
            .map(|w| format!("'{w}':*"))
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// The one word PostgreSQL looks up in its GIN index, as a tsquery: the
    /// longest (a longer prefix starts fewer words). A prefix is a partial
    /// match, for which GIN builds a bitmap of every row holding a word that
    /// starts with it, and several are ANDed only once all are built: "trip
    /// Skógafoss" cost a bitmap of every trip photo in the library (24 ms at
    /// a million, where the place alone takes 1 ms). The rows found are then
    /// tested for every word (see [`postgres_condition`](Self::postgres_condition)).
    fn tsquery_indexed(&self) -> String {
        let longest = self
            .0
            .iter()
            .max_by_key(|w| w.chars().count())
            .map_or("", String::as_str);
        format!("'{longest}':*")
    }

    /// The condition of a search on PostgreSQL, with `?` for its binds (see
    /// [`postgres_binds`](Self::postgres_binds)): one word through the GIN
    /// index and, when there are more, every word on the rows it finds (the
    /// `||` makes that test an expression the index does not serve, so that
    /// the planner cannot AND it into the index scan). A single word is
    /// tested once: a second test of the same word changes the planner's
    /// estimates, and at a million photos a maker's search then sorted every
    /// match instead of walking the timeline (0.2 → 1.5 s).
    fn postgres_condition(&self) -> &'static str {
        if self.0.len() > 1 {
            "a.search @@ to_tsquery('simple', ?)
             AND (a.search || ''::tsvector) @@ to_tsquery('simple', ?)"
        } else {
            "a.search @@ to_tsquery('simple', ?)"
        }
    }

    /// The binds of [`postgres_condition`](Self::postgres_condition).
    fn postgres_binds(&self) -> Vec<Bind> {
        if self.0.len() > 1 {
            vec![
                Bind::Text(self.tsquery_indexed()),
                Bind::Text(self.tsquery()),
            ]
        } else {
            vec![Bind::Text(self.tsquery())]
        }
    }

    /// [`postgres_condition`](Self::postgres_condition) with its binds
    /// numbered in `q`.
    fn push_postgres_condition(&self, q: &mut QueryText) -> String {
        let mut sql = self.postgres_condition().to_string();
        for bind in self.postgres_binds() {
            sql = sql.replacen('?', &q.bind(bind), 1);
        }
        sql
    }
}

impl AssetFilter {
    /// True when nothing narrows the library.
    pub fn is_empty(&self) -> bool {
        *self == AssetFilter::default()
    }
}

/// The order of a listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AssetOrder {
    /// By taken time (upload time when unknown), newest first.
    #[default]
    TakenNewest,
    TakenOldest,
    /// By upload time, newest first.
    UploadedNewest,
    UploadedOldest,
    /// Best search match first (then newest taken); without a search, as
    /// `TakenNewest`. Its cursor's key counts the results already seen.
    Relevance,
}

impl AssetOrder {
    pub(super) fn key_column(self) -> &'static str {
        match self {
            AssetOrder::TakenNewest | AssetOrder::TakenOldest | AssetOrder::Relevance => "sort_at",
            AssetOrder::UploadedNewest | AssetOrder::UploadedOldest => "created_at",
        }
    }

    fn descending(self) -> bool {
        matches!(
            self,
            AssetOrder::TakenNewest | AssetOrder::UploadedNewest | AssetOrder::Relevance
        )
    }

    pub(super) fn key_of(self, asset: &AssetRecord) -> i64 {
        match self {
            AssetOrder::TakenNewest | AssetOrder::TakenOldest | AssetOrder::Relevance => {
                asset.sort_at
            }
            AssetOrder::UploadedNewest | AssetOrder::UploadedOldest => asset.created_at,
        }
    }
}

/// Position in a listing: the sort key and id of the last item seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortCursor {
    pub key: i64,
    pub id: AssetId,
}

/// One page of a listing.
#[derive(Clone, Debug)]
pub struct AssetPage {
    pub assets: Vec<AssetRecord>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<SortCursor>,
}

/// Assets on one timeline day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimelineDay {
    /// YYYYMMDD.
    pub day: u32,
    pub count: i64,
}

/// A value to bind to a placeholder.
#[derive(Clone, Debug)]
pub(super) enum Bind {
    Int(i64),
    Text(String),
}

/// SQL text with numbered placeholders and the values they stand for.
#[derive(Default)]
pub(super) struct QueryText {
    pub text: String,
    pub binds: Vec<Bind>,
}

impl QueryText {
    /// Adds a value and returns its placeholder (`$n`).
    pub fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// Adds values for an `IN (…)` list and returns its placeholders.
    pub fn bind_list(&mut self, values: impl IntoIterator<Item = Bind>) -> String {
        values
            .into_iter()
            .map(|v| self.bind(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(self.text.clone()));
        for bind in &self.binds {
            query = match bind {
                Bind::Int(v) => query.bind(*v),
                Bind::Text(v) => query.bind(v.clone()),
            };
        }
        query
    }
}

/// Appends `AND …` conditions for `filter` (columns of `assets` as `a`, the
/// owner's photos).
pub(super) fn push_filter(q: &mut QueryText, filter: &AssetFilter, dialect: Dialect) {
    let cond = |q: &mut QueryText, sql: &str, value: Bind| {
        let p = q.bind(value);
        q.text.push_str(&format!(" AND {}", sql.replace("?", &p)));
    };
    // A day range also bounds the sort key: a photo of local day D was taken
    // between D 00:00 at UTC+14 and D+1 00:00 at UTC-12 (and an undated one's
    // day is its upload's UTC day), so the sort index narrows to the range
    // instead of scanning from the newest photo down to it.
    if let Some(d) = filter.day_from {
        cond(q, "a.taken_day >= ?", Bind::Int(d.into()));
        if let Some(start) = day_start_ms(d) {
            cond(q, "a.sort_at >= ?", Bind::Int(start - 14 * HOUR_MS));
        }
    }
    if let Some(d) = filter.day_to {
        cond(q, "a.taken_day <= ?", Bind::Int(d.into()));
        if let Some(start) = day_start_ms(d) {
            cond(q, "a.sort_at < ?", Bind::Int(start + DAY_MS + 12 * HOUR_MS));
        }
    }
    if let Some(v) = &filter.camera_make {
        cond(q, "a.camera_make = ?", Bind::Text(v.clone()));
    }
    if let Some(v) = &filter.camera_model {
        cond(q, "a.camera_model = ?", Bind::Text(v.clone()));
    }
    if let Some(v) = &filter.lens {
        cond(q, "a.lens = ?", Bind::Text(v.clone()));
    }
    // Flags are written as literals, not parameters: only a literal lets the
    // planners use the partial index on favorites.
    for (column, value) in [
        ("is_raw", filter.is_raw),
        ("has_location", filter.has_location),
        ("is_favorite", filter.favorite),
    ] {
        if let Some(v) = value {
            q.text
                .push_str(&format!(" AND a.{column} = {}", i64::from(v)));
        }
    }
    if let Some(v) = filter.min_rating {
        // With favourites asked for too, the rating is checked on the
        // favourites' own index (`+` keeps a planner without statistics from
        // reading every rated photo by the rating index and sorting them).
        let rating = if filter.favorite == Some(true) {
            "+a.rating >= ?"
        } else {
            "a.rating >= ?"
        };
        cond(q, rating, Bind::Int(v.into()));
    }
    if let Some(v) = &filter.keyword {
        cond(
            q,
            "a.id IN (SELECT k.asset_id FROM asset_keywords k WHERE k.owner_id = a.owner_id AND k.keyword = ?)",
            Bind::Text(v.trim().to_lowercase()),
        );
    }
    if let Some(v) = &filter.album {
        cond(
            q,
            "a.id IN (SELECT m.asset_id FROM album_assets m WHERE m.album_id = ?)",
            Bind::Text(v.to_string()),
        );
    }
    if let Some(v) = &filter.country {
        cond(q, "a.place_country_code = ?", Bind::Text(v.clone()));
    }
    if let Some(v) = &filter.city {
        cond(q, "a.place_city = ?", Bind::Text(v.clone()));
    }
    if let Some(v) = &filter.name_contains {
        cond(
            q,
            r"LOWER(a.original_name) LIKE ? ESCAPE '\'",
            Bind::Text(format!("%{}%", escape_like(&v.to_lowercase()))),
        );
    }
    if let Some(terms) = &filter.search {
        match dialect {
            Dialect::Sqlite => cond(
                q,
                "a.id IN (SELECT k.asset_id FROM asset_search_keys k WHERE k.key IN
                    (SELECT rowid FROM asset_search WHERE asset_search MATCH ?))",
                Bind::Text(terms.fts5()),
            ),
            Dialect::Postgres => {
                let sql = terms.push_postgres_condition(q);
                q.text.push_str(&format!(" AND {sql}"));
            }
        }
    }
}

/// How well an asset matches: for each word, the weight of the best field
/// holding a word that starts with it (title 8, keywords 6, file name 6,
/// caption 3, creator 3, camera and lens 1), doubled when the field's word
/// is the whole word searched. Place names are searched but not weighed
/// here (the asset's record does not carry them).
fn relevance(asset: &AssetRecord, terms: &SearchTerms) -> u32 {
    let keywords = asset.library.keywords.join(" ");
    let camera = [
        asset.facts.camera_make.as_deref(),
        asset.facts.camera_model.as_deref(),
        asset.facts.lens.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    // Each field in lower case once, however many words are searched.
    let fields: Vec<(u32, String)> = [
        (8, asset.library.title.as_deref()),
        (6, Some(keywords.as_str())),
        (6, Some(asset.original_name.as_str())),
        (3, asset.library.caption.as_deref()),
        (3, asset.library.creator.as_deref()),
        (1, Some(camera.as_str())),
    ]
    .into_iter()
    .filter_map(|(weight, text)| Some((weight, text?.to_lowercase())))
    .collect();
    terms
        .words()
        .iter()
        .map(|term| {
            fields
                .iter()
                .filter_map(|(weight, text)| {
                    let mut best = None;
                    for word in text.split(|c: char| !c.is_alphanumeric()) {
                        if word == term {
                            best = Some(weight * 2);
                            break;
                        }
                        if word.starts_with(term.as_str()) {
                            best = Some(*weight);
                        }
                    }
                    best
                })
                .max()
                .unwrap_or(0)
        })
        .sum()
}

/// Appends what comes after the filters of a listing of assets `a`: the
/// rows after `after` (keyset pagination, expanded so both databases use
/// the index), in `order`, at most `rows` of them.
pub(super) fn push_page(
    q: &mut QueryText,
    order: AssetOrder,
    after: Option<&SortCursor>,
    rows: i64,
) {
    let key = order.key_column();
    let (dir, cmp) = if order.descending() {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    if let Some(cursor) = after {
        let k = q.bind(Bind::Int(cursor.key));
        let id = q.bind(Bind::Text(cursor.id.to_string()));
        q.text.push_str(&format!(
            " AND (a.{key} {cmp} {k} OR (a.{key} = {k} AND a.id {cmp} {id}))"
        ));
    }
    let lim = q.bind(Bind::Int(rows));
    q.text
        .push_str(&format!(" ORDER BY a.{key} {dir}, a.id {dir} LIMIT {lim}"));
}

/// A page from `rows` fetched with one row more than `limit` (that row says
/// there is a next page); `key_of` gives the last asset's cursor key.
fn page_of(
    rows: &[sqlx::any::AnyRow],
    limit: u32,
    key_of: impl Fn(&AssetRecord) -> i64,
) -> Result<AssetPage, StorageError> {
    let mut assets = rows
        .iter()
        .map(asset_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if assets.len() > limit as usize {
        assets.truncate(limit as usize);
        assets.last().map(|a| SortCursor {
            key: key_of(a),
            id: a.id,
        })
    } else {
        None
    };
    Ok(AssetPage { assets, next })
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Midnight UTC of a YYYYMMDD day, in ms (a day past the month's end, as
/// `month=` asks for, rolls over).
fn day_start_ms(day: u32) -> Option<i64> {
    let first = chrono::NaiveDate::from_ymd_opt((day / 10_000) as i32, day / 100 % 100, 1)?;
    let date = first.checked_add_days(chrono::Days::new(u64::from(day % 100).saturating_sub(1)))?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

fn timeline_day(row: &sqlx::any::AnyRow) -> Result<TimelineDay, StorageError> {
    Ok(TimelineDay {
        day: row.try_get::<i64, _>("day")?.clamp(0, u32::MAX as i64) as u32,
        count: row.try_get("count")?,
    })
}

/// Escapes LIKE's wildcards so a file name substring matches literally.
fn escape_like(s: &str) -> String {
    s.replace('\\', r"\\")
        .replace('%', r"\%")
        .replace('_', r"\_")
}

impl Catalog {
    /// A page of the owner's library (not the trash), filtered and ordered.
    pub async fn list_assets(
        &self,
        owner: &UserId,
        filter: &AssetFilter,
        order: AssetOrder,
        after: Option<&SortCursor>,
        limit: u32,
    ) -> Result<AssetPage, StorageError> {
        let limit = limit.clamp(1, 1000);
        let mut order = order;
        let Some(terms) = &filter.search else {
            return self.list_filtered(owner, filter, order, after, limit).await;
        };
        // Whether more match than are ranked decides a ranked listing's
        // order, and on SQLite whether to walk the timeline; a PostgreSQL
        // listing in a date order has no use for it (its planner walks the
        // timeline itself when that pays).
        if order != AssetOrder::Relevance && self.dialect == Dialect::Postgres {
            return self.list_filtered(owner, filter, order, after, limit).await;
        }
        let many = self.search_matches_many(owner, terms).await?;
        if order == AssetOrder::Relevance {
            if !many {
                let seen = after.map_or(0, |cursor| cursor.key.max(0));
                return self.ranked(owner, filter, terms, seen, limit).await;
            }
            // Too many to rank: newest first (its cursor is a sort key).
            order = AssetOrder::TakenNewest;
        }
        if many
            && self.dialect == Dialect::Sqlite
            && let Some(page) = self
                .search_along_timeline(owner, filter, terms, order, after, limit)
                .await?
        {
            return Ok(page);
        }
        self.list_filtered(owner, filter, order, after, limit).await
    }

    /// A page of the owner's library as one query: filters (a search among
    /// them, as a set of matches), order, cursor.
    pub(super) async fn list_filtered(
        &self,
        owner: &UserId,
        filter: &AssetFilter,
        order: AssetOrder,
        after: Option<&SortCursor>,
        limit: u32,
    ) -> Result<AssetPage, StorageError> {
        let mut q = self.filtered(owner, filter);
        push_page(&mut q, order, after, i64::from(limit) + 1);
        let rows = q.query().fetch_all(&self.pool).await?;
        page_of(&rows, limit, |a| order.key_of(a))
    }

    /// The owner's library (not the trash) with `filter` applied, as the
    /// start of a query.
    fn filtered(&self, owner: &UserId, filter: &AssetFilter) -> QueryText {
        let mut q = QueryText::default();
        let owner_p = q.bind(Bind::Text(owner.to_string()));
        q.text = format!(
            "SELECT {ASSET_COLUMNS} FROM assets a WHERE a.owner_id = {owner_p} AND a.deleted_at IS NULL"
        );
        push_filter(&mut q, filter, self.dialect);
        q
    }

    /// Whether a search matches more photos than are ranked
    /// ([`RANKED_AT_MOST`]); reads no further than that many matches (on
    /// SQLite, of every owner: see there).
    async fn search_matches_many(
        &self,
        owner: &UserId,
        terms: &SearchTerms,
    ) -> Result<bool, StorageError> {
        let probe = match self.dialect {
            Dialect::Sqlite => {
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM
                   (SELECT rowid FROM asset_search WHERE asset_search MATCH $1 LIMIT $2)",
                )
                .bind(terms.fts5())
                .bind(RANKED_AT_MOST + 1)
                .fetch_one(&self.pool)
                .await?
            }
            Dialect::Postgres => {
                // A word in a tenth of the library or more: a walk of the
                // newest photos finds more matches than are ranked within
                // 10 000 rows (6 ms at a million for a maker's fifth) where
                // GIN would build a bitmap of every match first (50 ms). A
                // sample of the newest 2 000 tells whether it is worth it.
                // In a small catalog the bitmap is the cheaper (a maker's
                // search at 10 000 photos: 13 ms with it, 38 ms walking).
                if self.large_postgres_catalog().await?
                    && self.newest_matching(owner, terms, 2_000).await? >= 200
                    && self.newest_matching(owner, terms, 10_000).await? > RANKED_AT_MOST
                {
                    return Ok(true);
                }
                // The same condition as the listing's (see push_filter).
                let mut q = QueryText::default();
                let owner = q.bind(Bind::Text(owner.to_string()));
                let search = terms.push_postgres_condition(&mut q);
                let most = q.bind(Bind::Int(RANKED_AT_MOST + 1));
                q.text = format!(
                    "SELECT COUNT(*) AS n FROM
                       (SELECT 1 FROM assets a WHERE {search}
                          AND a.owner_id = {owner} AND a.deleted_at IS NULL LIMIT {most}) t"
                );
                q.query().fetch_one(&self.pool).await?
            }
        };
        let found: i64 = probe.try_get("n")?;
        Ok(found > RANKED_AT_MOST)
    }

    /// Whether PostgreSQL counts the catalog's photos (all owners) in
    /// hundreds of thousands, by its statistics (`reltuples`, kept by
    /// autovacuum; −1 before the first analysis): where GIN's bitmap of a
    /// common word costs more than walking the newest photos.
    async fn large_postgres_catalog(&self) -> Result<bool, StorageError> {
        let rows: i64 = sqlx::query_scalar(
            "SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE oid = 'assets'::regclass",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(rows >= 100_000)
    }

    /// How many of the owner's `newest` newest photos match (PostgreSQL),
    /// counting no further than one past [`RANKED_AT_MOST`].
    async fn newest_matching(
        &self,
        owner: &UserId,
        terms: &SearchTerms,
        newest: i64,
    ) -> Result<i64, StorageError> {
        let mut q = QueryText::default();
        let owner = q.bind(Bind::Text(owner.to_string()));
        let newest = q.bind(Bind::Int(newest));
        // Tested on the rows walked: the subquery's LIMIT keeps the planner
        // from going through the index instead.
        let all = q.bind(Bind::Text(terms.tsquery()));
        let most = q.bind(Bind::Int(RANKED_AT_MOST + 1));
        q.text = format!(
            "SELECT COUNT(*) AS n FROM
               (SELECT 1 FROM
                  (SELECT a.search FROM assets a
                    WHERE a.owner_id = {owner} AND a.deleted_at IS NULL
                    ORDER BY a.sort_at DESC, a.id DESC LIMIT {newest}) recent
                WHERE recent.search @@ to_tsquery('simple', {all})
                LIMIT {most}) t"
        );
        Ok(q.query().fetch_one(&self.pool).await?.try_get("n")?)
    }

    /// A page of search results, best match first, for a search matching
    /// at most [`RANKED_AT_MOST`] photos: the matches are read (with the
    /// other filters) and scored here, by where each word is found (see
    /// [`relevance`]), the same on both databases. Not bm25 or ts_rank:
    /// both read every match of every word (a word in every title costs a
    /// pass over the library) to weigh it.
    async fn ranked(
        &self,
        owner: &UserId,
        filter: &AssetFilter,
        terms: &SearchTerms,
        seen: i64,
        limit: u32,
    ) -> Result<AssetPage, StorageError> {
        let rows = self
            .filtered(owner, filter)
            .query()
            .fetch_all(&self.pool)
            .await?;
        let mut scored = rows
            .iter()
            .map(|row| {
                let asset = asset_from_row(row)?;
                Ok((relevance(&asset, terms), asset))
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        scored.sort_by(|(sa, a), (sb, b)| {
            sb.cmp(sa)
                .then(b.sort_at.cmp(&a.sort_at))
                .then(b.id.cmp(&a.id))
        });
        let seen = usize::try_from(seen).unwrap_or(usize::MAX);
        let more = scored.len() > seen.saturating_add(limit as usize);
        let assets: Vec<AssetRecord> = scored
            .into_iter()
            .skip(seen)
            .take(limit as usize)
            .map(|(_, asset)| asset)
            .collect();
        // A ranked page continues by position.
        let next = if more {
            assets.last().map(|a| SortCursor {
                key: (seen + limit as usize) as i64,
                id: a.id,
            })
        } else {
            None
        };
        Ok(AssetPage { assets, next })
    }

    /// Days with assets in the owner's library, newest first, with counts.
    ///
    /// Unfiltered, this reads the per-day counts (one row per day, however
    /// many photos); filtered, it counts the matching assets.
    pub async fn timeline(
        &self,
        owner: &UserId,
        filter: &AssetFilter,
    ) -> Result<Vec<TimelineDay>, StorageError> {
        if filter.is_empty() {
            self.stored_days(owner).await
        } else {
            self.counted_days(owner, filter).await
        }
    }

    /// The per-day counts kept with every change.
    async fn stored_days(&self, owner: &UserId) -> Result<Vec<TimelineDay>, StorageError> {
        let rows = sqlx::query(
            "SELECT day, count FROM timeline_days
             WHERE owner_id = $1 AND count > 0 ORDER BY day DESC",
        )
        .bind(owner.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(timeline_day).collect()
    }

    /// The matching assets, counted per day.
    async fn counted_days(
        &self,
        owner: &UserId,
        filter: &AssetFilter,
    ) -> Result<Vec<TimelineDay>, StorageError> {
        let mut q = QueryText::default();
        let owner_p = q.bind(Bind::Text(owner.to_string()));
        q.text = format!(
            "SELECT a.taken_day AS day, COUNT(*) AS count FROM assets a
             WHERE a.owner_id = {owner_p} AND a.deleted_at IS NULL"
        );
        push_filter(&mut q, filter, self.dialect);
        q.text
            .push_str(" GROUP BY a.taken_day ORDER BY a.taken_day DESC");
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter().map(timeline_day).collect()
    }

    /// Checks the per-day counts against the assets; returns the days that
    /// differ as (day, counted, stored).
    pub async fn verify_timeline(
        &self,
        owner: &UserId,
    ) -> Result<Vec<(u32, i64, i64)>, StorageError> {
        let stored = self.stored_days(owner).await?;
        let counted = self.counted_days(owner, &AssetFilter::default()).await?;
        let mut days: Vec<u32> = stored.iter().chain(&counted).map(|d| d.day).collect();
        days.sort_unstable();
        days.dedup();
        let count_of =
            |list: &[TimelineDay], day| list.iter().find(|d| d.day == day).map_or(0, |d| d.count);
        Ok(days
            .into_iter()
            .map(|day| (day, count_of(&counted, day), count_of(&stored, day)))
            .filter(|(_, a, b)| a != b)
            .collect())
    }

    /// Replaces the owner's per-day counts with a count of their assets.
    pub async fn rebuild_timeline(&self, owner: &UserId) -> Result<(), StorageError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM timeline_days WHERE owner_id = $1")
            .bind(owner.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO timeline_days (owner_id, day, count)
             SELECT owner_id, taken_day, COUNT(*) FROM assets
             WHERE owner_id = $1 AND deleted_at IS NULL GROUP BY owner_id, taken_day",
        )
        .bind(owner.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The owner's assets among `ids` (in the library, not the trash), in
    /// the order of `ids`, read in one query.
    pub async fn owned_assets(
        &self,
        owner: &UserId,
        ids: &[AssetId],
    ) -> Result<Vec<AssetRecord>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryText::default();
        let owner_p = q.bind(Bind::Text(owner.to_string()));
        let list = q.bind_list(ids.iter().map(|id| Bind::Text(id.to_string())));
        q.text = format!(
            "SELECT {ASSET_COLUMNS} FROM assets a WHERE a.owner_id = {owner_p}
             AND a.deleted_at IS NULL AND a.id IN ({list})"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        let mut found: std::collections::HashMap<AssetId, AssetRecord> = rows
            .iter()
            .map(|row| asset_from_row(row).map(|a| (a.id, a)))
            .collect::<Result<_, _>>()?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// The owner's assets among `ids` (in the library, not the trash).
    pub async fn owned_asset_ids(
        &self,
        owner: &UserId,
        ids: &[AssetId],
    ) -> Result<Vec<AssetId>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryText::default();
        let owner_p = q.bind(Bind::Text(owner.to_string()));
        let list = q.bind_list(ids.iter().map(|id| Bind::Text(id.to_string())));
        q.text = format!(
            "SELECT id FROM assets WHERE owner_id = {owner_p} AND deleted_at IS NULL
             AND id IN ({list})"
        );
        let rows = q.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| parse_id("assets.id", &row.try_get::<String, _>("id")?))
            .collect()
    }
}

/// A camera of the library and how many live photos it took.
#[derive(Clone, Debug, PartialEq)]
pub struct CameraCount {
    pub make: Option<String>,
    pub model: Option<String>,
    pub count: i64,
}

/// What a library's camera, lens and keyword filters can be set to, each
/// with its number of live photos, most used first: the choices a filter
/// menu offers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LibraryFacets {
    pub cameras: Vec<CameraCount>,
    pub lenses: Vec<(String, i64)>,
    pub keywords: Vec<(String, i64)>,
}

/// At most this many values of each facet (a menu, not a report).
const FACET_LIMIT: i64 = 200;

impl Catalog {
    /// The owner's cameras, lenses and keywords with their counts.
    pub async fn library_facets(&self, owner: &UserId) -> Result<LibraryFacets, StorageError> {
        let owner = owner.to_string();
        let cameras = sqlx::query(
            "SELECT camera_make, camera_model, COUNT(*) AS n FROM assets
             WHERE owner_id = $1 AND deleted_at IS NULL
               AND (camera_make IS NOT NULL OR camera_model IS NOT NULL)
             GROUP BY camera_make, camera_model ORDER BY n DESC, camera_model LIMIT $2",
        )
        .bind(&owner)
        .bind(FACET_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        let lenses = sqlx::query(
            "SELECT lens, COUNT(*) AS n FROM assets
             WHERE owner_id = $1 AND deleted_at IS NULL AND lens IS NOT NULL
             GROUP BY lens ORDER BY n DESC, lens LIMIT $2",
        )
        .bind(&owner)
        .bind(FACET_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        let keywords = sqlx::query(
            "SELECT k.keyword, COUNT(*) AS n FROM asset_keywords k
             JOIN assets a ON a.id = k.asset_id
             WHERE k.owner_id = $1 AND a.deleted_at IS NULL
             GROUP BY k.keyword ORDER BY n DESC, k.keyword LIMIT $2",
        )
        .bind(&owner)
        .bind(FACET_LIMIT)
        .fetch_all(&self.pool)
        .await?;
        let named = |rows: Vec<sqlx::any::AnyRow>| -> Result<Vec<(String, i64)>, StorageError> {
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get("n")?)))
                .collect()
        };
        Ok(LibraryFacets {
            cameras: cameras
                .iter()
                .map(|r| {
                    Ok(CameraCount {
                        make: r.try_get("camera_make")?,
                        model: r.try_get("camera_model")?,
                        count: r.try_get("n")?,
                    })
                })
                .collect::<Result<_, StorageError>>()?,
            lenses: named(lenses)?,
            keywords: named(keywords)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_letters_and_digits_in_lower_case() {
        let terms = SearchTerms::parse("Skógafoss, IMG_1234.HEIC \"x\" OR* 'drop");
        assert_eq!(
            terms.as_ref().unwrap().words(),
            ["skógafoss", "img", "1234", "heic", "x", "or", "drop"]
        );
        let terms = terms.unwrap();
        assert_eq!(
            terms.fts5(),
            r#""skógafoss"* "img"* "1234"* "heic"* "x"* "or"* "drop"*"#
        );
        assert!(terms.tsquery().starts_with("'skógafoss':* & 'img':*"));
        // PostgreSQL's index looks up the longest word alone.
        assert_eq!(terms.tsquery_indexed(), "'skógafoss':*");
        assert_eq!(SearchTerms::parse(" -- ** "), None);
        let many = (0..40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            SearchTerms::parse(&many).unwrap().words().len(),
            MAX_SEARCH_TERMS
        );
    }

    /// A trip's search is ranked and holds only its photos, not another
    /// owner's; a maker's (a fifth of the library) is listed newest first,
    /// page after page, exactly as the same photos found by the camera
    /// filter. Returns the two owners (ann's 12 000 photos, ben's none).
    async fn few_are_ranked_and_many_are_newest_first(catalog: &Catalog) -> (UserId, UserId) {
        use super::super::{PHOTOS_PER_TRIP, synthetic_trip_word};
        let owner = catalog.create_user("ann", false).await.unwrap().id;
        let other = catalog.create_user("ben", false).await.unwrap().id;
        catalog
            .fill_synthetic_library(&owner, 12_000, 0)
            .await
            .unwrap();
        let search = |text: &str| AssetFilter {
            search: SearchTerms::parse(text),
            ..AssetFilter::default()
        };
        // A trip: its photos, ranked, and only the owner's.
        let word = synthetic_trip_word(7);
        let trip = catalog
            .list_assets(
                &owner,
                &search(&format!("trip {word}")),
                AssetOrder::Relevance,
                None,
                1000,
            )
            .await
            .unwrap();
        assert_eq!(trip.assets.len(), PHOTOS_PER_TRIP);
        assert!(
            trip.assets
                .iter()
                .all(|a| a.library.title.as_deref() == Some(&format!("Trip {word}")))
        );
        let theirs = catalog
            .list_assets(&other, &search(&word), AssetOrder::Relevance, None, 10)
            .await
            .unwrap();
        assert!(theirs.assets.is_empty());
        // A maker: a fifth of the library, too many to rank.
        assert!(
            catalog
                .search_matches_many(&owner, &search("fujifilm").search.unwrap())
                .await
                .unwrap()
        );
        let by_make = AssetFilter {
            camera_make: Some("FUJIFILM".into()),
            ..AssetFilter::default()
        };
        let (mut searched, mut filtered) = (None, None);
        for _ in 0..3 {
            let a = catalog
                .list_assets(
                    &owner,
                    &search("fujifilm"),
                    AssetOrder::Relevance,
                    searched.as_ref(),
                    100,
                )
                .await
                .unwrap();
            let b = catalog
                .list_assets(
                    &owner,
                    &by_make,
                    AssetOrder::TakenNewest,
                    filtered.as_ref(),
                    100,
                )
                .await
                .unwrap();
            let ids = |p: &AssetPage| p.assets.iter().map(|a| a.id).collect::<Vec<_>>();
            assert_eq!(ids(&a), ids(&b));
            assert_eq!(a.assets.len(), 100);
            (searched, filtered) = (a.next, b.next);
        }
        (owner, other)
    }

    /// The same on PostgreSQL, through GIN. In a catalog of hundreds of
    /// thousands its probe first walks the newest photos for a dense word:
    /// that walk's count is checked here directly. Needs a server
    /// (`scripts/test-services.sh` starts one; CI always does).
    #[tokio::test]
    async fn searches_matching_few_are_ranked_and_many_are_newest_first_on_postgres() {
        let Ok(admin) = std::env::var("DARKROOM_TEST_DATABASE_URL") else {
            eprintln!(
                "SKIPPED the PostgreSQL search test: DARKROOM_TEST_DATABASE_URL is not set \
                 (scripts/test-services.sh starts a server)"
            );
            return;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("darkroom_search_{}_{nanos}", std::process::id());
        let url = super::super::create_postgres_database(&admin, &name)
            .await
            .unwrap();
        let catalog = Catalog::connect(&url).await.unwrap();
        catalog.migrate().await.unwrap();
        let (owner, _) = few_are_ranked_and_many_are_newest_first(&catalog).await;
        // Dense enough for the walk of the newest photos to decide.
        let maker = SearchTerms::parse("fujifilm").unwrap();
        assert!(
            catalog
                .newest_matching(&owner, &maker, 2_000)
                .await
                .unwrap()
                >= 200
        );
        assert!(
            catalog
                .newest_matching(&owner, &maker, 10_000)
                .await
                .unwrap()
                > RANKED_AT_MOST
        );
        catalog.close().await;
    }

    /// A search matching few is ranked; one matching more than are ranked
    /// is listed newest first, page after page, exactly as the same photos
    /// found without search.
    #[tokio::test]
    async fn searches_matching_few_are_ranked_and_many_are_newest_first() {
        let (_dir, catalog) = crate::catalog::test_catalog().await;
        let (owner, other) = few_are_ranked_and_many_are_newest_first(&catalog).await;
        let search = |text: &str| AssetFilter {
            search: SearchTerms::parse(text),
            ..AssetFilter::default()
        };
        // Many matches across the catalog (ben's library is large) but few
        // in ann's (her RAW files, one in 33): the timeline walk gives up
        // and the set plan lists them, the same pages either way.
        catalog
            .fill_synthetic_library(&other, 30_000, 0)
            .await
            .unwrap();
        let dng = search("dng").search.unwrap();
        assert!(catalog.search_matches_many(&owner, &dng).await.unwrap());
        let raw = AssetFilter {
            is_raw: Some(true),
            ..AssetFilter::default()
        };
        for order in [AssetOrder::Relevance, AssetOrder::TakenOldest] {
            let (mut searched, mut filtered) = (None, None);
            let mut seen = 0;
            loop {
                let a = catalog
                    .list_assets(&owner, &search("dng"), order, searched.as_ref(), 100)
                    .await
                    .unwrap();
                let expected_order = match order {
                    AssetOrder::Relevance => AssetOrder::TakenNewest,
                    other => other,
                };
                let b = catalog
                    .list_assets(&owner, &raw, expected_order, filtered.as_ref(), 100)
                    .await
                    .unwrap();
                let ids = |p: &AssetPage| p.assets.iter().map(|a| a.id).collect::<Vec<_>>();
                assert_eq!(ids(&a), ids(&b), "{order:?} after {seen}");
                seen += a.assets.len();
                (searched, filtered) = (a.next, b.next);
                if searched.is_none() {
                    assert!(filtered.is_none());
                    break;
                }
            }
            assert!(seen > 300, "{seen}");
        }
    }

    /// Favourites are a few percent of a library: their page reads the
    /// partial index of favourites, not the whole timeline's.
    #[tokio::test]
    async fn a_favourites_page_reads_the_favourites_index() {
        let (_dir, catalog) = crate::catalog::test_catalog().await;
        let mut q = QueryText::default();
        let owner = q.bind(Bind::Text("someone".into()));
        q.text = format!(
            "EXPLAIN QUERY PLAN SELECT a.id FROM assets a
             WHERE a.owner_id = {owner} AND a.deleted_at IS NULL"
        );
        let favourites = AssetFilter {
            favorite: Some(true),
            min_rating: Some(3),
            ..AssetFilter::default()
        };
        push_filter(&mut q, &favourites, Dialect::Sqlite);
        push_page(&mut q, AssetOrder::TakenNewest, None, 101);
        let plan: Vec<String> = q
            .query()
            .fetch_all(&catalog.pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String, _>("detail").unwrap())
            .collect();
        assert!(
            plan.iter()
                .any(|step| step.contains("assets_owner_favorites")),
            "{plan:?}"
        );
    }

    #[test]
    fn days_start_at_utc_midnight_and_roll_over() {
        assert_eq!(day_start_ms(19700102), Some(DAY_MS));
        assert_eq!(day_start_ms(20240232), day_start_ms(20240303));
        assert_eq!(day_start_ms(20241301), None);
    }

    #[test]
    fn like_wildcards_match_literally() {
        assert_eq!(escape_like("100%_a\\b"), r"100\%\_a\\b");
    }

    #[test]
    fn filters_become_numbered_conditions() {
        let mut q = QueryText::default();
        q.bind(Bind::Text("owner".into()));
        push_filter(
            &mut q,
            &AssetFilter {
                favorite: Some(true),
                min_rating: Some(3),
                ..AssetFilter::default()
            },
            Dialect::Sqlite,
        );
        assert_eq!(q.text, " AND a.is_favorite = 1 AND +a.rating >= $2");
        assert_eq!(q.binds.len(), 2);
    }
}
