//! `GET /api/v1/sync`: the change feed companion apps and partners keep a
//! copy of a library in step with.
//!
//! Without a cursor, the feed starts with a snapshot: every photo in the
//! library, then every album, as `asset.created` and `album.created` entries
//! (without `seq`), paged. Its first page notes the owner's last change, and
//! the snapshot's last page hands over to the changes after it: a change made
//! while the snapshot was paged is seen again as a change, and entries carry
//! the current state, so applying them in order converges on the library.
//! After that, each page holds the changes after the cursor, in commit order;
//! `next_cursor` is where to ask next (also when the page was empty).

use crate::ErrorCode;
use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use darkroom_storage::catalog::{ChangeRecord, ChangeSubject, Scope};
use darkroom_storage::{AlbumId, AssetId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::albums::AlbumDto;
use super::assets::describe_many;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::{AssetDto, Audience, rfc3339};
use crate::state::AppState;

const DEFAULT_PAGE: u32 = 200;
const MAX_PAGE: u32 = 1000;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SyncQuery {
    /// The last page's `next_cursor`; none for a first sync (a snapshot).
    cursor: Option<String>,
    /// Entries per page, 1 to 1000 (default 200).
    limit: Option<u32>,
}

/// Where a client is in its feed. Sent as an opaque string.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SyncCursor {
    /// Paging the snapshot's photos (by id) that was taken at change `start`.
    SnapshotAssets { start: u64, after: Option<AssetId> },
    /// Then its albums.
    SnapshotAlbums { start: u64, after: Option<AlbumId> },
    /// Changes after `after`.
    Changes { after: u64 },
}

impl SyncCursor {
    fn parse(text: &str) -> Option<Self> {
        if let Some(after) = text.strip_prefix('c') {
            return Some(SyncCursor::Changes {
                after: after.parse().ok()?,
            });
        }
        let rest = text.strip_prefix('s')?;
        let mut parts = rest.splitn(3, ':');
        let start = parts.next()?.parse().ok()?;
        let phase = parts.next()?;
        let after = parts.next()?;
        match phase {
            "a" if after.is_empty() => Some(SyncCursor::SnapshotAssets { start, after: None }),
            "a" => Some(SyncCursor::SnapshotAssets {
                start,
                after: Some(after.parse().ok()?),
            }),
            "b" if after.is_empty() => Some(SyncCursor::SnapshotAlbums { start, after: None }),
            "b" => Some(SyncCursor::SnapshotAlbums {
                start,
                after: Some(after.parse().ok()?),
            }),
            _ => None,
        }
    }

    fn format(&self) -> String {
        let id = |id: Option<String>| id.unwrap_or_default();
        match self {
            SyncCursor::SnapshotAssets { start, after } => {
                format!("s{start}:a:{}", id(after.map(|a| a.to_string())))
            }
            SyncCursor::SnapshotAlbums { start, after } => {
                format!("s{start}:b:{}", id(after.map(|a| a.to_string())))
            }
            SyncCursor::Changes { after } => format!("c{after}"),
        }
    }
}

/// One entry of the feed.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChangeDto {
    /// Position in your feed (none for snapshot entries).
    seq: Option<u64>,
    /// `asset.created`, `asset.updated`, `asset.edited`, `asset.trashed`,
    /// `asset.restored`, `asset.purged`, `rendition.ready`, `album.created`,
    /// `album.changed`, `album.deleted`, `album.assets_changed`,
    /// `album.shared` (you became a member), `album.unshared` (no longer).
    #[serde(rename = "type")]
    kind: &'static str,
    /// When it happened (RFC 3339); for snapshot entries, when the photo
    /// was uploaded or the album changed last.
    at: String,
    asset_id: Option<String>,
    /// The photo as it is now; `null` once it is in the trash or gone.
    asset: Option<AssetDto>,
    album_id: Option<String>,
    /// The album as it is now; `null` once deleted. Its photos are at
    /// `assets_url`.
    album: Option<AlbumDto>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SyncPageDto {
    changes: Vec<ChangeDto>,
    /// Ask here next.
    next_cursor: String,
    /// True when more is waiting now (ask again at once); false: you are up
    /// to date, poll `next_cursor` later.
    has_more: bool,
}

/// The change feed: a first sync's snapshot, then every change in commit
/// order (see the module notes and the README).
#[utoipa::path(get, path = "/api/v1/sync", tag = "sync", params(SyncQuery),
    responses((status = 200, description = "A page of the feed", body = SyncPageDto)))]
pub(crate) async fn feed(
    query: web::Query<SyncQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(super::invalid_field("limit", format!("1 to {MAX_PAGE}")));
    }
    let cursor = match query.cursor.as_deref() {
        None | Some("") => SyncCursor::SnapshotAssets {
            start: state.catalog.last_change(auth.user()).await?,
            after: None,
        },
        Some(text) => SyncCursor::parse(text).ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidCursor,
                "the cursor is not one this feed gave out; start again without one",
            )
        })?,
    };
    let page = match cursor {
        SyncCursor::SnapshotAssets { start, after } => {
            snapshot_assets(&state, &auth, start, after, limit).await?
        }
        SyncCursor::SnapshotAlbums { start, after } => {
            snapshot_albums(&state, &auth, start, after, limit).await?
        }
        SyncCursor::Changes { after } => changes(&state, &auth, after, limit).await?,
    };
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(page))
}

async fn snapshot_assets(
    state: &AppState,
    auth: &Authenticated,
    start: u64,
    after: Option<AssetId>,
    limit: u32,
) -> Result<SyncPageDto, ApiError> {
    let assets = state
        .catalog
        .live_assets_by_id(auth.user(), after.as_ref(), limit)
        .await?;
    let next = match assets.last() {
        Some(last) if assets.len() == limit as usize => SyncCursor::SnapshotAssets {
            start,
            after: Some(last.id),
        },
        _ => SyncCursor::SnapshotAlbums { start, after: None },
    };
    let described = describe_many(state, &assets, &Audience::Owner).await?;
    let changes = assets
        .iter()
        .zip(described)
        .map(|(record, dto)| ChangeDto {
            seq: None,
            kind: "asset.created",
            at: rfc3339(record.created_at),
            asset_id: Some(record.id.to_string()),
            asset: Some(dto),
            album_id: None,
            album: None,
        })
        .collect();
    Ok(SyncPageDto {
        changes,
        next_cursor: next.format(),
        has_more: true,
    })
}

async fn snapshot_albums(
    state: &AppState,
    auth: &Authenticated,
    start: u64,
    after: Option<AlbumId>,
    limit: u32,
) -> Result<SyncPageDto, ApiError> {
    let mut albums = state.catalog.list_albums(auth.user()).await?;
    albums.sort_by_key(|a| a.album.id);
    albums.retain(|a| after.is_none_or(|after| a.album.id > after));
    albums.truncate(limit as usize);
    let next = match albums.last() {
        Some(last) if albums.len() == limit as usize => SyncCursor::SnapshotAlbums {
            start,
            after: Some(last.album.id),
        },
        // The snapshot is whole: on to what changed since it began.
        _ => SyncCursor::Changes { after: start },
    };
    let changes = albums
        .iter()
        .map(|access| ChangeDto {
            seq: None,
            kind: "album.created",
            at: rfc3339(access.album.updated_at),
            asset_id: None,
            asset: None,
            album_id: Some(access.album.id.to_string()),
            album: Some(AlbumDto::for_user(access, state)),
        })
        .collect();
    Ok(SyncPageDto {
        changes,
        next_cursor: next.format(),
        has_more: true,
    })
}

async fn changes(
    state: &AppState,
    auth: &Authenticated,
    after: u64,
    limit: u32,
) -> Result<SyncPageDto, ApiError> {
    let records = state
        .catalog
        .changes_since(auth.user(), after, limit)
        .await?;
    let assets = current_assets(state, auth, &records).await?;
    let albums = current_albums(state, auth, &records).await?;
    let next = records.last().map_or(after, |last| last.seq);
    let changes = records
        .iter()
        .map(|change| {
            let (asset_id, album_id) = match change.subject {
                ChangeSubject::Asset(id) => (Some(id), None),
                ChangeSubject::Album(id) => (None, Some(id)),
            };
            ChangeDto {
                seq: Some(change.seq),
                kind: change.kind.as_str(),
                at: rfc3339(change.at),
                asset_id: asset_id.map(|id| id.to_string()),
                asset: asset_id.and_then(|id| assets.get(&id).cloned()),
                album_id: album_id.map(|id| id.to_string()),
                album: album_id
                    .and_then(|id| albums.get(&id).map(|a| AlbumDto::for_user(a, state))),
            }
        })
        .collect();
    Ok(SyncPageDto {
        changes,
        next_cursor: SyncCursor::Changes { after: next }.format(),
        has_more: records.len() == limit as usize,
    })
}

/// The page's photos as they are now (those still in the library).
async fn current_assets(
    state: &AppState,
    auth: &Authenticated,
    records: &[ChangeRecord],
) -> Result<HashMap<AssetId, AssetDto>, ApiError> {
    let mut ids: Vec<AssetId> = records
        .iter()
        .filter_map(|c| match c.subject {
            ChangeSubject::Asset(id) => Some(id),
            ChangeSubject::Album(_) => None,
        })
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let live = state.catalog.live_assets_among(auth.user(), &ids).await?;
    let described = describe_many(state, &live, &Audience::Owner).await?;
    Ok(live.iter().map(|a| a.id).zip(described).collect())
}

/// The page's albums as they are now (those not deleted, and shared with
/// the caller still).
async fn current_albums(
    state: &AppState,
    auth: &Authenticated,
    records: &[ChangeRecord],
) -> Result<HashMap<AlbumId, darkroom_storage::catalog::AlbumAccess>, ApiError> {
    if !records
        .iter()
        .any(|c| matches!(c.subject, ChangeSubject::Album(_)))
    {
        return Ok(HashMap::new());
    }
    let albums = state.catalog.list_albums(auth.user()).await?;
    Ok(albums.into_iter().map(|a| (a.album.id, a)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let asset = AssetId::new();
        for cursor in [
            SyncCursor::Changes { after: 0 },
            SyncCursor::Changes { after: 981 },
            SyncCursor::SnapshotAssets {
                start: 4,
                after: None,
            },
            SyncCursor::SnapshotAssets {
                start: 4,
                after: Some(asset),
            },
            SyncCursor::SnapshotAlbums {
                start: 0,
                after: None,
            },
        ] {
            assert_eq!(SyncCursor::parse(&cursor.format()), Some(cursor));
        }
        for stranger in ["", "c", "c-1", "x12", "s1:z:", "s1:a:not-an-id", "s:a:"] {
            assert_eq!(SyncCursor::parse(stranger), None, "{stranger}");
        }
    }
}
