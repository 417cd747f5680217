//! Many photos in one ZIP: an album, a selection, or what a share link
//! shows. The archive is built as it is sent (see `zip_stream`): one file's
//! bytes at a time from the store, a few chunks queued, so the server's
//! memory does not follow the album's size, and a client that goes away
//! stops the work.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use bytes::Bytes;
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use darkroom_pipeline::edit::ExportFormat;
use darkroom_storage::catalog::{
    AlbumRecord, AssetRecord, CaptureFile, Scope, SortCursor, UsageKind,
};
use darkroom_storage::{AssetId, UserId};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

use super::albums::album_id;
use super::originals::attachment;
use super::{asset_id, invalid_field};
use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;
use crate::zip_stream::{UniqueNames, ZipWriter};

/// Which bytes of each photo go in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    /// The uploaded files, exactly.
    Original,
    /// The current edit as a full-size JPEG (the original when unedited).
    Edited,
    /// The originals rewritten without location, as share links send them.
    SharedOriginal,
}

/// Which photos go in.
pub(crate) enum Selection {
    /// An album, in its order. `viewer`: the signed-in user asking, whose
    /// own photos come as asked; anyone else's come without location when
    /// the album's owner keeps it from members. `None`: a share link's
    /// holder (who asks for originals without location).
    Album {
        album: AlbumRecord,
        viewer: Option<UserId>,
    },
    /// The owner's photos, in this order.
    Assets { owner: UserId, ids: Vec<AssetId> },
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VersionQuery {
    /// `original` (default): the uploaded files; `edited`: each photo's
    /// current edit as a full-size JPEG (unedited photos as uploaded).
    version: Option<String>,
}

fn parse_version(text: Option<&str>) -> Result<Version, ApiError> {
    match text.unwrap_or("original") {
        "original" => Ok(Version::Original),
        "edited" => Ok(Version::Edited),
        other => Err(invalid_field(
            "version",
            format!("is original or edited, not {other:?}"),
        )),
    }
}

/// The album as one ZIP, in its order; names made unique. For its owner
/// and members alike; others' photos come as originals without location
/// when the owner keeps where they were taken from members.
#[utoipa::path(get, path = "/api/v1/albums/{id}/download", tag = "albums",
    params(("id" = String, Path, description = "The album's id"), VersionQuery),
    responses((status = 200, description = "A ZIP, streamed as it is built (Zip64 past 4 GiB)", content_type = "application/zip", body = Vec<u8>)))]
pub(crate) async fn album(
    path: web::Path<String>,
    query: web::Query<VersionQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let version = parse_version(query.version.as_deref())?;
    let album = state
        .catalog
        .album_for(auth.user(), &album_id(&path)?)
        .await?
        .album;
    let name = format!("{}.zip", album.name);
    let selection = Selection::Album {
        album,
        viewer: Some(*auth.user()),
    };
    Ok(zip_response(state, &name, selection, version))
}

/// A selection of photos to download.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SelectionBody {
    /// Your photos, in the order wanted (at most 10 000).
    asset_ids: Vec<String>,
    /// `original` (default) or `edited`.
    version: Option<String>,
}

/// The most photos one selection download names.
const MAX_SELECTION: usize = 10_000;

/// The selected photos as one ZIP.
#[utoipa::path(post, path = "/api/v1/assets/download", tag = "library",
    request_body = SelectionBody,
    responses(
        (status = 200, description = "A ZIP, streamed as it is built (Zip64 past 4 GiB)", content_type = "application/zip", body = Vec<u8>),
        (status = 422, description = "No ids, too many, or ids that are not photos in your library", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn selection(
    body: web::Json<SelectionBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let body = body.into_inner();
    let version = parse_version(body.version.as_deref())?;
    if body.asset_ids.is_empty() || body.asset_ids.len() > MAX_SELECTION {
        return Err(invalid_field(
            "asset_ids",
            format!("1 to {MAX_SELECTION} photos"),
        ));
    }
    let mut ids: Vec<AssetId> = Vec::with_capacity(body.asset_ids.len());
    let mut seen = std::collections::HashSet::with_capacity(body.asset_ids.len());
    for raw in &body.asset_ids {
        let id = asset_id(raw)?;
        if seen.insert(id) {
            ids.push(id);
        }
    }
    let owned = state.catalog.owned_asset_ids(auth.user(), &ids).await?;
    if owned.len() != ids.len() {
        return Err(invalid_field(
            "asset_ids",
            format!(
                "{} of them are not photos in your library",
                ids.len() - owned.len()
            ),
        ));
    }
    let selection = Selection::Assets {
        owner: *auth.user(),
        ids,
    };
    Ok(zip_response(state, "photos.zip", selection, version))
}

/// The streamed response; the archive is built by a task that stops when
/// the client does.
pub(crate) fn zip_response(
    state: web::Data<AppState>,
    file_name: &str,
    selection: Selection,
    version: Version,
) -> HttpResponse {
    // A few chunks in flight: the bound on what one download holds.
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        let mut sink = Sink {
            tx,
            zip: ZipWriter::new(),
        };
        let outcome = build(&state, selection, version, &mut sink).await;
        let bytes = sink.zip.offset();
        let label = match &outcome {
            Ok(Built::Sent(files)) => {
                tracing::info!(
                    files,
                    bytes,
                    secs = started.elapsed().as_secs_f64(),
                    "archive sent"
                );
                "completed"
            }
            Ok(Built::ClientGone) => "abandoned",
            Err(e) => {
                // The headers are gone: the client sees a cut archive.
                tracing::warn!(error = %e, bytes, "archive failed while being sent");
                let _ = sink
                    .tx
                    .send(Err(std::io::Error::other(e.to_string())))
                    .await;
                "failed"
            }
        };
        metrics::counter!("darkroom_archives_total", "outcome" => label).increment(1);
        metrics::counter!("darkroom_archive_bytes_total").increment(bytes);
    });
    let body = crate::streams::from_receiver(rx);
    HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((
            header::CONTENT_DISPOSITION,
            attachment(&clean_zip_name(file_name)),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body)
}

/// A name for the archive a file system takes.
fn clean_zip_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if matches!(c, '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// Where the archive's bytes go, and its bookkeeping.
struct Sink {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    zip: ZipWriter,
}

impl Sink {
    /// False when the client has gone.
    async fn send(&mut self, bytes: Vec<u8>) -> bool {
        self.tx.send(Ok(Bytes::from(bytes))).await.is_ok()
    }
}

enum Built {
    /// Every file went out; how many.
    Sent(usize),
    ClientGone,
}

/// One photo's file in the archive: its name, an upper bound of its size,
/// and its bytes.
struct Entry {
    name: String,
    at_most: u64,
    bytes: BoxStream<'static, Result<Bytes, ApiError>>,
}

async fn build(
    state: &web::Data<AppState>,
    selection: Selection,
    version: Version,
    sink: &mut Sink,
) -> Result<Built, ApiError> {
    let mut names = UniqueNames::default();
    let mut left_out: Vec<(String, String)> = Vec::new();
    let mut files = 0;
    // Originals as asked: a pair's second files come along (read a page at
    // a time with the photos).
    let mut photos = Photos::new(selection, version == Version::Original);
    while let Some(asset) = photos.next(state).await? {
        let version = photos.selection.version_of(&asset, version);
        let entry = match entry_for(state, &asset, version).await {
            Ok(entry) => entry,
            Err(ApiError::Unprocessable { message, .. }) => {
                left_out.push((asset.original_name.clone(), message));
                continue;
            }
            Err(e) => return Err(e),
        };
        if !write_entry(sink, &mut names, entry, modified_time(&asset)).await? {
            return Ok(Built::ClientGone);
        }
        files += 1;
        // The owner's originals of a RAW+JPEG pair (or a Live Photo): every
        // file, each opened only when its turn comes.
        let seconds = photos.second_files_of(&asset.id);
        if version == Version::Original && photos.selection.is_owners(&asset) {
            for file in seconds {
                let entry = stored_entry(state, &asset, file).await?;
                if !write_entry(sink, &mut names, entry, modified_time(&asset)).await? {
                    return Ok(Built::ClientGone);
                }
                files += 1;
            }
        }
    }
    if !left_out.is_empty() {
        // Said inside the archive, where whoever unpacks it will look.
        let text: String = left_out
            .iter()
            .map(|(name, why)| format!("{name}: {why}\n"))
            .collect();
        let name = names.claim("NOT INCLUDED.txt");
        let header = sink.zip.begin(&name, text.len() as u64, None);
        let crc = crc32fast::hash(text.as_bytes());
        sink.zip.wrote(text.len());
        let descriptor = sink.zip.end(crc, text.len() as u64);
        for part in [header, text.into_bytes(), descriptor] {
            if !sink.send(part).await {
                return Ok(Built::ClientGone);
            }
        }
    }
    let directory = sink.zip.finish();
    if !sink.send(directory).await {
        return Ok(Built::ClientGone);
    }
    Ok(Built::Sent(files))
}

/// Streams one file into the archive; false when the client went away.
async fn write_entry(
    sink: &mut Sink,
    names: &mut UniqueNames,
    entry: Entry,
    modified: Option<DateTime<FixedOffset>>,
) -> Result<bool, ApiError> {
    let name = names.claim(&entry.name);
    let header = sink.zip.begin(&name, entry.at_most, modified);
    if !sink.send(header).await {
        return Ok(false);
    }
    let mut crc = crc32fast::Hasher::new();
    let mut size = 0u64;
    let mut bytes = entry.bytes;
    while let Some(chunk) = bytes.next().await {
        let chunk = chunk?;
        crc.update(&chunk);
        size += chunk.len() as u64;
        sink.zip.wrote(chunk.len());
        if sink.tx.send(Ok(chunk)).await.is_err() {
            return Ok(false);
        }
    }
    let descriptor = sink.zip.end(crc.finalize(), size);
    Ok(sink.send(descriptor).await)
}

/// A second file of the photo's capture (a RAW beside its JPEG), exactly.
async fn stored_entry(
    state: &web::Data<AppState>,
    asset: &AssetRecord,
    file: CaptureFile,
) -> Result<Entry, ApiError> {
    let stream = state.blobs.stream(&file.hash, None).await?;
    state
        .meter
        .add(&asset.owner, UsageKind::OriginalBytesDownloaded, file.size);
    Ok(Entry {
        name: file.original_name,
        at_most: file.size,
        bytes: stream.map_err(ApiError::from).boxed(),
    })
}

impl Selection {
    /// Whether the one asking owns `asset` (a share link's holder owns
    /// nothing).
    fn is_owners(&self, asset: &AssetRecord) -> bool {
        match self {
            Selection::Album { viewer, .. } => viewer.as_ref() == Some(&asset.owner),
            Selection::Assets { owner, .. } => *owner == asset.owner,
        }
    }

    /// The version of `asset` that goes in when `asked` was asked for.
    fn version_of(&self, asset: &AssetRecord, asked: Version) -> Version {
        match self {
            Selection::Album {
                album,
                viewer: Some(viewer),
            } if asset.owner != *viewer && !album.members_see_location => Version::SharedOriginal,
            _ => asked,
        }
    }
}

/// The photos of a selection, read a page at a time.
struct Photos {
    selection: Selection,
    cursor: Option<SortCursor>,
    page: std::vec::IntoIter<AssetRecord>,
    /// The page's second files, when asked for.
    second_files: Option<Vec<CaptureFile>>,
    next_id: usize,
    done: bool,
}

/// Photos read from the catalog at once.
const PAGE: u32 = 200;

impl Photos {
    fn new(selection: Selection, with_second_files: bool) -> Self {
        Photos {
            selection,
            cursor: None,
            page: Vec::new().into_iter(),
            second_files: with_second_files.then(Vec::new),
            next_id: 0,
            done: false,
        }
    }

    /// The second files of a photo of the current page (none unless asked
    /// for).
    fn second_files_of(&mut self, asset: &AssetId) -> Vec<CaptureFile> {
        let Some(files) = &mut self.second_files else {
            return Vec::new();
        };
        let (mine, others) = std::mem::take(files)
            .into_iter()
            .partition(|f| f.asset_id == *asset);
        *files = others;
        mine
    }

    async fn next(&mut self, state: &AppState) -> Result<Option<AssetRecord>, ApiError> {
        loop {
            if let Some(asset) = self.page.next() {
                return Ok(Some(asset));
            }
            if self.done {
                return Ok(None);
            }
            match &self.selection {
                Selection::Album { album, .. } => {
                    let page = state
                        .catalog
                        .album_page(album, self.cursor.as_ref(), PAGE)
                        .await?;
                    self.done = page.next.is_none();
                    self.cursor = page.next;
                    self.page = page.assets.into_iter();
                }
                Selection::Assets { owner, ids } => {
                    let batch = &ids[self.next_id..(self.next_id + PAGE as usize).min(ids.len())];
                    self.next_id += batch.len();
                    self.done = self.next_id >= ids.len();
                    // In the order asked; one trashed since is left out.
                    self.page = state.catalog.owned_assets(owner, batch).await?.into_iter();
                }
            }
            if let Some(files) = &mut self.second_files {
                let ids: Vec<AssetId> = self.page.as_slice().iter().map(|a| a.id).collect();
                *files = state.catalog.second_files_of(&ids).await?;
            }
        }
    }
}

/// The photo's file for this version. An `Unprocessable` error leaves the
/// photo out (and says why in the archive); any other stops the archive.
async fn entry_for(
    state: &web::Data<AppState>,
    asset: &AssetRecord,
    version: Version,
) -> Result<Entry, ApiError> {
    match version {
        Version::Edited if asset.edit.version > 0 && super::assets::can_render(asset) => {
            edited(state, asset).await
        }
        Version::Original | Version::Edited => {
            let stream = state.blobs.stream(&asset.hash, None).await?;
            state
                .meter
                .add(&asset.owner, UsageKind::OriginalBytesDownloaded, asset.size);
            Ok(Entry {
                name: asset.original_name.clone(),
                at_most: asset.size,
                bytes: stream.map_err(ApiError::from).boxed(),
            })
        }
        Version::SharedOriginal => {
            // The shared originals' slots are few: wait for one rather than
            // fail the archive.
            let wait = std::time::Duration::from_secs(120);
            let stream =
                crate::shared_originals::without_location(state.clone(), asset, wait).await?;
            Ok(Entry {
                name: asset.original_name.clone(),
                at_most: asset.size,
                bytes: stream.boxed(),
            })
        }
    }
}

/// The current edit at full size, as the export route makes it.
async fn edited(state: &web::Data<AppState>, asset: &AssetRecord) -> Result<Entry, ApiError> {
    let format = ExportFormat::Jpeg { quality: 92 };
    let export = super::edits::start_export(state, asset, format, None).await?;
    Ok(Entry {
        name: super::edits::export_file_name(asset, format),
        at_most: export.head.length,
        bytes: crate::streams::from_receiver(export.chunks).map(Ok).boxed(),
    })
}

/// The file time an unpacked photo gets: when it was taken, on the camera's
/// clock (the upload time when unknown).
fn modified_time(asset: &AssetRecord) -> Option<DateTime<FixedOffset>> {
    let utc = FixedOffset::east_opt(0)?;
    if let Some(taken) = &asset.taken_at {
        if let Ok(t) = DateTime::parse_from_rfc3339(taken) {
            return Some(t);
        }
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(taken, format) {
                return naive.and_local_timezone(utc).single();
            }
        }
    }
    DateTime::from_timestamp_millis(asset.created_at).map(|t| t.with_timezone(&utc))
}
