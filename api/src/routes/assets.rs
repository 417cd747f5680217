//! The library: reading assets (one, or filtered pages), editing what the
//! photographer says about them, and moving them to and from the trash.

use crate::ErrorCode;
use actix_web::{HttpResponse, web};
use darkroom_pipeline::SourceFormat;
use darkroom_storage::catalog::{
    AssetFilter, AssetOrder, AssetRecord, CaptureFile, CaptureRole, LibraryPatch, Scope,
    SearchTerms, SortCursor,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::invalid_field;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::{AssetDto, AssetPageDto, Audience, CaptureFileDto, pending_state};
use crate::state::AppState;

/// Builds the client view of an asset, with its renditions' states.
pub(crate) async fn describe(state: &AppState, asset: &AssetRecord) -> Result<AssetDto, ApiError> {
    Ok(
        describe_many(state, std::slice::from_ref(asset), &Audience::Owner)
            .await?
            .remove(0),
    )
}

/// Client views of many assets, with one query for all their renditions.
pub(crate) async fn describe_many(
    state: &AppState,
    assets: &[AssetRecord],
    audience: &Audience<'_>,
) -> Result<Vec<AssetDto>, ApiError> {
    let ids: Vec<_> = assets.iter().map(|a| a.id).collect();
    let rendered = state.catalog.list_renditions_of(&ids).await?;
    let names: Vec<String> = state
        .config
        .renditions
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    // Only assets still waiting for a rendition need their job's state.
    let waiting: Vec<_> = assets
        .iter()
        .filter(|a| {
            can_render(a)
                && names
                    .iter()
                    .any(|n| !rendered.iter().any(|r| r.asset_id == a.id && &r.name == n))
        })
        .map(|a| a.id)
        .collect();
    let jobs = state.catalog.latest_render_jobs(&waiting).await?;
    // A pair's files are its owner's to see and fetch.
    let second_files = match audience {
        Audience::Owner => state.catalog.second_files_of(&ids).await?,
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(assets.len());
    for asset in assets {
        let mine: Vec<_> = rendered
            .iter()
            .filter(|r| r.asset_id == asset.id)
            .cloned()
            .collect();
        let job = jobs.iter().find(|(a, _)| *a == asset.id).map(|(_, j)| j);
        let pending = pending_state(asset, job);
        let mut dto = AssetDto::new(asset, &names, &mine, &pending, audience);
        dto.files = pair_files(asset, &second_files);
        // A Live Photo's video (its own file), else a motion photo's (the
        // end of the original).
        let live = second_files
            .iter()
            .any(|f| f.asset_id == asset.id && f.role == CaptureRole::Live);
        if live {
            dto.motion_video_url = Some(format!("/api/v1/assets/{}/files/live", asset.id));
        } else if matches!(audience, Audience::Owner)
            // The metadata the view holds, parsed once for the page.
            && dto
                .metadata
                .as_ref()
                .and_then(|m| super::motion::declared_in(m, asset.size))
                .is_some()
        {
            dto.motion_video_url = Some(format!("/api/v1/assets/{}/motion", asset.id));
        }
        out.push(dto);
    }
    Ok(out)
}

/// Every file of the asset's capture (a RAW+JPEG pair's two, a Live
/// Photo's still and video), the RAW first; none for a photo of one file.
fn pair_files(asset: &AssetRecord, second_files: &[CaptureFile]) -> Vec<CaptureFileDto> {
    let seconds: Vec<_> = second_files
        .iter()
        .filter(|f| f.asset_id == asset.id)
        .collect();
    if seconds.is_empty() {
        return Vec::new();
    }
    let mut files: Vec<CaptureFile> = CaptureFile::own(asset).into_iter().collect();
    files.extend(seconds.into_iter().cloned());
    files.sort_by_key(|f| f.role != CaptureRole::Raw);
    files.iter().map(CaptureFileDto::new).collect()
}

/// Whether this version knows the asset's format (and so renders it).
pub(crate) fn can_render(asset: &AssetRecord) -> bool {
    SourceFormat::from_name(&asset.format).is_some()
}

/// One of your photos: metadata, library fields, renditions.
#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "library",
    params(("id" = String, Path, description = "The asset's id")),
    responses((status = 200, description = "The asset", body = AssetDto)))]
pub(crate) async fn get(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let asset = super::owned_asset(&state, &auth, Scope::Read, &path).await?;
    Ok(HttpResponse::Ok().json(describe(&state, &asset).await?))
}

/// Paging and order of a listing (its filters are a [`FilterQuery`] read
/// from the same query string).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// The last page's `next_cursor`.
    cursor: Option<String>,
    /// 1 to 1000 (default 100).
    limit: Option<u32>,
    /// `taken` (default), `uploaded`, or `relevance` (the default with `q`).
    sort: Option<String>,
    /// `desc` (default, newest first) or `asc`.
    order: Option<String>,
}

/// Filters, as query parameters (shared by listings and the timeline).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FilterQuery {
    /// First day, YYYY-MM-DD (inclusive).
    from: Option<String>,
    /// Last day, YYYY-MM-DD (inclusive).
    to: Option<String>,
    /// One month, YYYY-MM (a timeline bucket).
    month: Option<String>,
    /// One day, YYYY-MM-DD.
    day: Option<String>,
    make: Option<String>,
    model: Option<String>,
    lens: Option<String>,
    raw: Option<bool>,
    has_location: Option<bool>,
    favorite: Option<bool>,
    min_rating: Option<u8>,
    keyword: Option<String>,
    album: Option<String>,
    /// A substring of the file name.
    filename: Option<String>,
    /// Taken in this country: its ISO 3166-1 code (`FR`, any case).
    country: Option<String>,
    /// Taken in or near this city, by the name `GET /api/v1/places` gives.
    city: Option<String>,
    /// Words to search for in the file name, title, caption, keywords,
    /// camera, lens, creator and place names (each word matches words that
    /// start with it; all must match). Results are ranked unless `sort`
    /// says otherwise.
    q: Option<String>,
}

/// A search longer than this is refused (it is words, not a document).
const MAX_QUERY_CHARS: usize = 500;

impl FilterQuery {
    /// `q`'s words; a `q` without any is an error (better than every photo).
    fn search(&self) -> Result<Option<SearchTerms>, ApiError> {
        let Some(q) = &self.q else {
            return Ok(None);
        };
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid_field(
                "q",
                format!("at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        match SearchTerms::parse(q) {
            Some(terms) => Ok(Some(terms)),
            None if q.trim().is_empty() => Ok(None),
            None => Err(invalid_field(
                "q",
                "has no words to search for (letters or digits)".into(),
            )),
        }
    }

    /// `country` as stored: two letters, upper case.
    fn country_code(&self) -> Result<Option<String>, ApiError> {
        match self.country.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(code) if code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()) => {
                Ok(Some(code.to_ascii_uppercase()))
            }
            Some(other) => Err(invalid_field(
                "country",
                format!("is a two-letter ISO 3166 code (FR, US…), not {other:?}"),
            )),
        }
    }

    pub(crate) fn to_filter(&self) -> Result<AssetFilter, ApiError> {
        let mut filter = AssetFilter {
            day_from: self
                .from
                .as_deref()
                .map(|d| parse_day("from", d))
                .transpose()?,
            day_to: self.to.as_deref().map(|d| parse_day("to", d)).transpose()?,
            camera_make: self.make.clone(),
            camera_model: self.model.clone(),
            lens: self.lens.clone(),
            is_raw: self.raw,
            has_location: self.has_location,
            favorite: self.favorite,
            min_rating: self.min_rating,
            keyword: self.keyword.clone(),
            album: self
                .album
                .as_deref()
                .map(|a| {
                    a.parse().map_err(|_| {
                        ApiError::bad_request(ErrorCode::InvalidAlbum, "album must be an album id")
                    })
                })
                .transpose()?,
            name_contains: self.filename.clone().filter(|f| !f.is_empty()),
            country: self.country_code()?,
            city: self.city.clone().filter(|c| !c.trim().is_empty()),
            search: self.search()?,
        };
        if let Some(rating) = self.min_rating
            && rating > 5
        {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidRating,
                "min_rating is 0 to 5",
            ));
        }
        if let Some(month) = &self.month {
            let first = parse_day("month", &format!("{month}-01")).map_err(|_| {
                ApiError::bad_request(ErrorCode::InvalidDate, "month must be a month like 2024-02")
            })?;
            filter.day_from = Some(first);
            filter.day_to = Some(first + 31);
        }
        if let Some(day) = &self.day {
            let d = parse_day("day", day)?;
            filter.day_from = Some(d);
            filter.day_to = Some(d);
        }
        Ok(filter)
    }
}

/// YYYY-MM-DD as YYYYMMDD.
fn parse_day(field: &str, text: &str) -> Result<u32, ApiError> {
    super::parse_date(field, text).map(darkroom_storage::catalog::day_number)
}

fn parse_order(query: &ListQuery, searching: bool) -> Result<AssetOrder, ApiError> {
    let newest = match query.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidOrder,
                "order is desc or asc",
            ));
        }
    };
    Ok(match (query.sort.as_deref(), newest) {
        (None, true) if searching => AssetOrder::Relevance,
        (Some("relevance"), true) => AssetOrder::Relevance,
        (None | Some("taken"), true) => AssetOrder::TakenNewest,
        (None | Some("taken"), false) => AssetOrder::TakenOldest,
        (Some("uploaded"), true) => AssetOrder::UploadedNewest,
        (Some("uploaded"), false) => AssetOrder::UploadedOldest,
        _ => {
            return Err(ApiError::bad_request(
                ErrorCode::InvalidSort,
                "sort is taken, uploaded or relevance (relevance only with order=desc)",
            ));
        }
    })
}

pub(crate) fn parse_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidLimit,
            "limit must be from 1 to 1000",
        ));
    }
    Ok(limit)
}

/// Your library, a page at a time, newest first (or as `sort`/`order` say),
/// filtered.
#[utoipa::path(get, path = "/api/v1/assets", tag = "library",
    params(ListQuery, FilterQuery),
    responses((status = 200, description = "A page", body = AssetPageDto)))]
pub(crate) async fn list(
    query: web::Query<ListQuery>,
    filter: web::Query<FilterQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let cursor = query.cursor.as_deref().map(parse_cursor).transpose()?;
    let limit = parse_limit(query.limit)?;
    let filter = filter.to_filter()?;
    let order = parse_order(&query, filter.search.is_some())?;
    if let Some(album) = &filter.album {
        // Someone else's album is not found, not an empty page; one shared
        // with the caller lists the caller's own photos in it.
        state.catalog.album_for(auth.user(), album).await?;
    }
    let page = state
        .catalog
        .list_assets(auth.user(), &filter, order, cursor.as_ref(), limit)
        .await?;
    Ok(HttpResponse::Ok().json(AssetPageDto {
        assets: describe_many(&state, &page.assets, &Audience::Owner).await?,
        next_cursor: page.next.as_ref().map(format_cursor),
    }))
}

/// `PATCH /api/v1/assets/{id}`: title, caption, keywords, favorite, rating.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LibraryPatchBody {
    /// At most 2000 characters; `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    title: Option<Option<String>>,
    /// At most 2000 characters; `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    caption: Option<Option<String>>,
    /// At most 100, of at most 100 characters each.
    keywords: Option<Vec<String>>,
    favorite: Option<bool>,
    /// 0 (unrated) to 5.
    #[schema(maximum = 5)]
    rating: Option<u8>,
    /// The photographer; at most 2000 characters, `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    creator: Option<Option<String>>,
    /// The copyright notice; at most 2000 characters, `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    copyright: Option<Option<String>>,
    /// A colour label as Lightroom and darktable name them (`Red`,
    /// `Yellow`, `Green`, `Blue`, `Purple`, or any name of at most 40
    /// characters); `null` clears it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    color_label: Option<Option<String>>,
}

/// What a photo's library fields may hold, whether set by PATCH or read from
/// the file at upload.
pub(crate) const MAX_TEXT_CHARS: usize = 2000;
pub(crate) const MAX_KEYWORDS: usize = 100;
pub(crate) const MAX_KEYWORD_CHARS: usize = 100;
pub(crate) const MAX_LABEL_CHARS: usize = 40;

/// Sets title, caption, keywords, favourite, rating, creator, copyright or
/// colour label (any subset).
#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "library",
    params(("id" = String, Path, description = "The asset's id")),
    request_body = LibraryPatchBody,
    responses((status = 200, description = "The asset now", body = AssetDto)))]
pub(crate) async fn patch(
    path: web::Path<String>,
    body: web::Json<LibraryPatchBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let id = super::asset_id(&path)?;
    let body = body.into_inner();
    for (field, text, max) in [
        ("title", &body.title, MAX_TEXT_CHARS),
        ("caption", &body.caption, MAX_TEXT_CHARS),
        ("creator", &body.creator, MAX_TEXT_CHARS),
        ("copyright", &body.copyright, MAX_TEXT_CHARS),
        ("color_label", &body.color_label, MAX_LABEL_CHARS),
    ] {
        if let Some(Some(text)) = text
            && text.chars().count() > max
        {
            return Err(invalid_field(field, format!("at most {max} characters")));
        }
    }
    if let Some(keywords) = &body.keywords
        && (keywords.len() > MAX_KEYWORDS
            || keywords
                .iter()
                .any(|k| k.chars().count() > MAX_KEYWORD_CHARS))
    {
        return Err(invalid_field(
            "keywords",
            format!("at most {MAX_KEYWORDS} keywords of at most {MAX_KEYWORD_CHARS} characters"),
        ));
    }
    if body.rating.is_some_and(|r| r > 5) {
        return Err(invalid_field("rating", "0 (unrated) to 5".into()));
    }
    let blank_is_none = |v: Option<Option<String>>| {
        v.map(|t| t.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()))
    };
    let patch = LibraryPatch {
        title: blank_is_none(body.title),
        caption: blank_is_none(body.caption),
        keywords: body.keywords,
        is_favorite: body.favorite,
        rating: body.rating,
        creator: blank_is_none(body.creator),
        copyright: blank_is_none(body.copyright),
        color_label: blank_is_none(body.color_label),
    };
    let asset = state
        .catalog
        .update_library_fields(auth.user(), &id, &patch)
        .await?;
    Ok(HttpResponse::Ok().json(describe(&state, &asset).await?))
}

/// Moves the photo to the trash (restorable until purged).
#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "library",
    params(("id" = String, Path, description = "The asset's id")),
    responses((status = 204, description = "In the trash")))]
pub(crate) async fn trash(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let id = super::asset_id(&path)?;
    state.catalog.trash_asset(auth.user(), &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Brings the photo back from the trash.
#[utoipa::path(post, path = "/api/v1/assets/{id}/restore", tag = "library",
    params(("id" = String, Path, description = "The asset's id")),
    responses((status = 200, description = "The asset, back in the library", body = AssetDto)))]
pub(crate) async fn restore(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let id = super::asset_id(&path)?;
    let asset = state.catalog.restore_asset(auth.user(), &id).await?;
    Ok(HttpResponse::Ok().json(describe(&state, &asset).await?))
}

/// Cursors are opaque to clients: `<sort key>_<asset id>`.
pub(crate) fn format_cursor(cursor: &SortCursor) -> String {
    format!("{}_{}", cursor.key, cursor.id)
}

pub(crate) fn parse_cursor(raw: &str) -> Result<SortCursor, ApiError> {
    let invalid = || {
        ApiError::bad_request(
            ErrorCode::InvalidCursor,
            "cursor must be a next_cursor value from a listing",
        )
    };
    let (key, id) = raw.split_once('_').ok_or_else(invalid)?;
    Ok(SortCursor {
        key: key.parse().map_err(|_| invalid())?,
        id: id.parse().map_err(|_| invalid())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = SortCursor {
            key: 1_700_000_000_000,
            id: darkroom_storage::AssetId::new(),
        };
        assert_eq!(parse_cursor(&format_cursor(&c)).unwrap(), c);
        assert!(parse_cursor("nope").is_err());
        assert!(parse_cursor("1_notanid").is_err());
    }

    #[test]
    fn a_month_is_a_day_range() {
        let q = FilterQuery {
            month: Some("2024-02".into()),
            ..FilterQuery::default()
        };
        let f = q.to_filter().unwrap();
        assert_eq!((f.day_from, f.day_to), (Some(20240201), Some(20240232)));
        let bad = FilterQuery {
            month: Some("2024-13".into()),
            ..FilterQuery::default()
        };
        assert!(bad.to_filter().is_err());
    }
}
