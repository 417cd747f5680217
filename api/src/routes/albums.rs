//! Albums: create, rename, describe, order, cover, delete (photos stay), add
//! and remove photos in bulk, and page through them. Members of a shared
//! album (`album_members.rs`) reach it through the same routes; what their
//! role allows is checked by the catalog (`AlbumAccess::require`).

use actix_web::{HttpResponse, web};
use darkroom_storage::catalog::{
    AlbumAccess, AlbumOrder, AlbumPatch, AlbumRecord, AlbumRole, AssetRecord, Scope,
};
use darkroom_storage::{AlbumId, AssetId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::assets::{describe_many, format_cursor, parse_cursor, parse_limit};
use super::invalid_field;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::{AssetPageDto, Audience, rfc3339};
use crate::state::AppState;

/// An album as clients see it.
#[derive(Serialize, ToSchema)]
pub(crate) struct AlbumDto {
    id: String,
    name: String,
    description: String,
    /// `taken` (oldest first) or `manual`.
    order: &'static str,
    asset_count: i64,
    cover_asset_id: Option<String>,
    /// The cover's thumbnail, when the album has photos.
    cover_url: Option<String>,
    assets_url: String,
    /// Your role in it: `owner`, `contributor` or `viewer` (absent through
    /// a share link).
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    /// True when someone else shared it with you.
    #[serde(skip_serializing_if = "Option::is_none")]
    shared_with_me: Option<bool>,
    /// Whose album it is (a user name), for its owner and members.
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    /// How many accounts it is shared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    member_count: Option<i64>,
    /// Whether members see where its photos were taken (the owner's
    /// choice, off by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    members_see_location: Option<bool>,
    /// Its members (for its owner and members).
    #[serde(skip_serializing_if = "Option::is_none")]
    members_url: Option<String>,
    created_at: String,
    updated_at: String,
}

impl AlbumDto {
    /// The album as a signed-in user reaches it (owner or member).
    pub(crate) fn for_user(access: &AlbumAccess, state: &AppState) -> Self {
        let album = &access.album;
        let base = format!("/api/v1/albums/{}", album.id);
        let mut dto = AlbumDto::with_urls(album, state, &format!("{base}/assets"));
        dto.role = Some(access.role.as_str());
        dto.shared_with_me = Some(access.role != AlbumRole::Owner);
        dto.owner = Some(album.owner_name.clone());
        dto.member_count = Some(album.member_count);
        dto.members_see_location = Some(album.members_see_location);
        dto.members_url = Some(format!("{base}/members"));
        dto
    }

    /// The album as a share link's holder sees it: the link's URLs, and
    /// nothing of who owns it or shares it.
    pub(crate) fn for_link(album: &AlbumRecord, state: &AppState, token: &str) -> Self {
        AlbumDto::with_urls(album, state, &format!("/api/v1/shared/{token}/assets"))
    }

    fn with_urls(album: &AlbumRecord, state: &AppState, assets_url: &str) -> Self {
        let thumb = state.thumb_name();
        AlbumDto {
            id: album.id.to_string(),
            name: album.name.clone(),
            description: album.description.clone(),
            order: album.order.as_str(),
            asset_count: album.asset_count,
            cover_asset_id: album.cover.map(|c| c.to_string()),
            cover_url: album
                .cover
                .map(|c| format!("{assets_url}/{c}/renditions/{thumb}")),
            assets_url: assets_url.to_string(),
            role: None,
            shared_with_me: None,
            owner: None,
            member_count: None,
            members_see_location: None,
            members_url: None,
            created_at: rfc3339(album.created_at),
            updated_at: rfc3339(album.updated_at),
        }
    }
}

/// How `viewer` is shown a photo of the album they reach through `access`:
/// their own photos as on their library's routes, anyone else's through the
/// album's, with location only when the album's owner chose so.
pub(crate) fn audience_for<'a>(
    access: &AlbumAccess,
    viewer: &darkroom_storage::UserId,
    asset: &AssetRecord,
) -> Audience<'a> {
    if asset.owner == *viewer {
        Audience::Owner
    } else {
        Audience::AlbumMember {
            album: access.album.id,
            sees_location: access.album.members_see_location,
        }
    }
}

const MAX_NAME_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 5000;
/// Ids per bulk request.
const MAX_BULK: usize = 10_000;

pub(crate) fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid_field(
            "name",
            format!("1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_string())
}

pub(crate) fn check_description(text: &str) -> Result<String, ApiError> {
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(invalid_field(
            "description",
            format!("at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(text.trim().to_string())
}

fn parse_order(text: &str) -> Result<AlbumOrder, ApiError> {
    AlbumOrder::parse(text).ok_or_else(|| invalid_field("order", "taken or manual".into()))
}

pub(crate) fn album_id(raw: &str) -> Result<AlbumId, ApiError> {
    super::path_id(raw, "album")
}

/// Asset ids from a bulk body; a malformed one is a 422 naming it.
fn asset_ids(raw: &[String]) -> Result<Vec<AssetId>, ApiError> {
    if raw.len() > MAX_BULK {
        return Err(invalid_field(
            "asset_ids",
            format!("at most {MAX_BULK} ids"),
        ));
    }
    raw.iter()
        .map(|id| {
            id.parse()
                .map_err(|_| invalid_field("asset_ids", format!("{id:?} is not an asset id")))
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AlbumListDto {
    /// Newest first.
    albums: Vec<AlbumDto>,
}

/// Your albums and those shared with you (`shared_with_me`), newest first.
#[utoipa::path(get, path = "/api/v1/albums", tag = "albums",
    responses((status = 200, description = "The albums", body = AlbumListDto)))]
pub(crate) async fn list(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let albums = state.catalog.list_albums(auth.user()).await?;
    let albums = albums
        .iter()
        .map(|a| AlbumDto::for_user(a, &state))
        .collect();
    Ok(HttpResponse::Ok().json(AlbumListDto { albums }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateBody {
    /// 1 to 200 characters.
    name: String,
    #[serde(default)]
    description: String,
    /// `taken` (default: oldest first) or `manual`.
    order: Option<String>,
    /// Photos to put in it at once.
    #[serde(default)]
    asset_ids: Vec<String>,
}

/// Creates an album (with photos in it, if given).
#[utoipa::path(post, path = "/api/v1/albums", tag = "albums", request_body = CreateBody,
    responses((status = 201, description = "The new album", body = AlbumDto)))]

pub(crate) async fn create(
    body: web::Json<CreateBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let name = check_name(&body.name)?;
    let description = check_description(&body.description)?;
    let order = body
        .order
        .as_deref()
        .map(parse_order)
        .transpose()?
        .unwrap_or_default();
    let ids = asset_ids(&body.asset_ids)?;
    let album = state
        .catalog
        .create_album(auth.user(), &name, &description, order)
        .await?;
    if !ids.is_empty() {
        state
            .catalog
            .add_to_album(auth.user(), &album.id, &ids)
            .await?;
    }
    let access = state.catalog.album_for(auth.user(), &album.id).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/albums/{}", album.id)))
        .json(AlbumDto::for_user(&access, &state)))
}

/// One of your albums, or one shared with you.
#[utoipa::path(get, path = "/api/v1/albums/{id}", tag = "albums", params(("id" = String, Path, description = "The album's id")),
    responses((status = 200, description = "The album", body = AlbumDto)))]
pub(crate) async fn get(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let access = state
        .catalog
        .album_for(auth.user(), &album_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(AlbumDto::for_user(&access, &state)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatchBody {
    name: Option<String>,
    description: Option<String>,
    /// `taken` or `manual`.
    order: Option<String>,
    /// One of the album's photos, or null to go back to the first photo.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    cover_asset_id: Option<Option<String>>,
    /// Whether members see where its photos were taken.
    members_see_location: Option<bool>,
}

/// Renames, describes, reorders or sets the cover of an album, or lets its
/// members see where its photos were taken (the owner only).
#[utoipa::path(patch, path = "/api/v1/albums/{id}", tag = "albums", params(("id" = String, Path, description = "The album's id")),
    request_body = PatchBody,
    responses((status = 200, description = "The album now", body = AlbumDto)))]

pub(crate) async fn patch(
    path: web::Path<String>,
    body: web::Json<PatchBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let id = album_id(&path)?;
    let cover = match &body.cover_asset_id {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => Some(Some(raw.parse().map_err(|_| {
            invalid_field("cover_asset_id", format!("{raw:?} is not an asset id"))
        })?)),
    };
    let patch = AlbumPatch {
        name: body.name.as_deref().map(check_name).transpose()?,
        description: body
            .description
            .as_deref()
            .map(check_description)
            .transpose()?,
        cover,
        order: body.order.as_deref().map(parse_order).transpose()?,
        members_see_location: body.members_see_location,
    };
    state.catalog.update_album(auth.user(), &id, &patch).await?;
    let access = state.catalog.album_for(auth.user(), &id).await?;
    Ok(HttpResponse::Ok().json(AlbumDto::for_user(&access, &state)))
}

/// Deletes an album (the owner only); its photos stay in their owners'
/// libraries.
#[utoipa::path(delete, path = "/api/v1/albums/{id}", tag = "albums", params(("id" = String, Path, description = "The album's id")),
    responses((status = 204, description = "Deleted")))]
pub(crate) async fn delete(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    state
        .catalog
        .delete_album(auth.user(), &album_id(&path)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// The last page's `next_cursor`.
    cursor: Option<String>,
    /// 1 to 1000 (default 100).
    limit: Option<u32>,
}

/// The album's photos in its order, a page at a time.
#[utoipa::path(get, path = "/api/v1/albums/{id}/assets", tag = "albums", params(("id" = String, Path, description = "The album's id"), PageQuery),
    responses((status = 200, description = "A page", body = AssetPageDto)))]
pub(crate) async fn assets(
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let access = state
        .catalog
        .album_for(auth.user(), &album_id(&path)?)
        .await?;
    album_page(&state, &access.album, &query, |asset| {
        audience_for(&access, auth.user(), asset)
    })
    .await
}

/// One page of an album, each photo shown to whom `audience_of` says.
pub(crate) async fn album_page<'a>(
    state: &AppState,
    album: &AlbumRecord,
    query: &PageQuery,
    audience_of: impl Fn(&AssetRecord) -> Audience<'a>,
) -> Result<HttpResponse, ApiError> {
    let cursor = query.cursor.as_deref().map(parse_cursor).transpose()?;
    let limit = parse_limit(query.limit)?;
    let page = state
        .catalog
        .album_page(album, cursor.as_ref(), limit)
        .await?;
    Ok(HttpResponse::Ok().json(AssetPageDto {
        assets: describe_each(state, &page.assets, audience_of).await?,
        next_cursor: page.next.as_ref().map(format_cursor),
    }))
}

/// `describe_many` for photos shown to different audiences (an album's
/// own photos and its members'): one call per audience, in the page's order.
async fn describe_each<'a>(
    state: &AppState,
    assets: &[AssetRecord],
    audience_of: impl Fn(&AssetRecord) -> Audience<'a>,
) -> Result<Vec<crate::dto::AssetDto>, ApiError> {
    let audiences: Vec<Audience<'a>> = assets.iter().map(&audience_of).collect();
    let mut described: Vec<Option<crate::dto::AssetDto>> = assets.iter().map(|_| None).collect();
    for (i, audience) in audiences.iter().enumerate() {
        if described[i].is_some() {
            continue;
        }
        // Every photo of the page with this audience, at once.
        let same: Vec<usize> = (i..assets.len())
            .filter(|&j| described[j].is_none() && audiences[j] == *audience)
            .collect();
        let group: Vec<AssetRecord> = same.iter().map(|&j| assets[j].clone()).collect();
        for (j, dto) in same
            .into_iter()
            .zip(describe_many(state, &group, audience).await?)
        {
            described[j] = Some(dto);
        }
    }
    Ok(described.into_iter().flatten().collect())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdsBody {
    asset_ids: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AddedDto {
    added: u64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RemovedDto {
    removed: u64,
}

/// Adds your photos, after the ones there (ids already in it, or not yours,
/// are skipped): the owner's, or a contributor's (they stay yours, on your
/// quota).
#[utoipa::path(post, path = "/api/v1/albums/{id}/assets", tag = "albums", params(("id" = String, Path, description = "The album's id")),
    request_body = IdsBody,
    responses((status = 200, description = "How many were added", body = AddedDto)))]
pub(crate) async fn add(
    path: web::Path<String>,
    body: web::Json<IdsBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let ids = asset_ids(&body.asset_ids)?;
    let added = state
        .catalog
        .add_to_album(auth.user(), &album_id(&path)?, &ids)
        .await?;
    Ok(HttpResponse::Ok().json(AddedDto { added }))
}

/// Takes photos out of the album (they stay in their owners' libraries):
/// any for the owner, those you added for a contributor (others' are
/// skipped).
#[utoipa::path(delete, path = "/api/v1/albums/{id}/assets", tag = "albums", params(("id" = String, Path, description = "The album's id")),
    request_body = IdsBody,
    responses((status = 200, description = "How many were removed", body = RemovedDto)))]
pub(crate) async fn remove(
    path: web::Path<String>,
    body: web::Json<IdsBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let ids = asset_ids(&body.asset_ids)?;
    let removed = state
        .catalog
        .remove_from_album(auth.user(), &album_id(&path)?, &ids)
        .await?;
    Ok(HttpResponse::Ok().json(RemovedDto { removed }))
}

/// Arranges by hand: these photos first, in this order, then the rest; the
/// album's order becomes `manual`.
#[utoipa::path(put, path = "/api/v1/albums/{id}/order", tag = "albums", params(("id" = String, Path, description = "The album's id")),
    request_body = IdsBody,
    responses((status = 200, description = "The album now", body = AlbumDto)))]
pub(crate) async fn arrange(
    path: web::Path<String>,
    body: web::Json<IdsBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let id = album_id(&path)?;
    let ids = asset_ids(&body.asset_ids)?;
    state.catalog.arrange_album(auth.user(), &id, &ids).await?;
    let access = state.catalog.album_for(auth.user(), &id).await?;
    Ok(HttpResponse::Ok().json(AlbumDto::for_user(&access, &state)))
}
