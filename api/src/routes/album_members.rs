//! Albums shared between accounts: `/api/v1/albums/{id}/members`. The
//! owner adds users by name as viewers or contributors, changes their
//! roles and removes them; members list who else is in the album and may
//! leave it. Each change reaches everyone's change feed and webhooks
//! (`album.shared` / `album.unshared` for the member concerned).

use actix_web::{HttpResponse, web};
use darkroom_storage::UserId;
use darkroom_storage::catalog::{AlbumMember, AlbumRole, Scope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::albums::album_id;
use super::invalid_field;
use crate::ApiError;
use crate::auth::Authenticated;
use crate::dto::rfc3339;
use crate::state::AppState;

/// One member of an album.
#[derive(Serialize, ToSchema)]
pub(crate) struct MemberDto {
    user_id: String,
    /// Their user name.
    user: String,
    /// `viewer` or `contributor`.
    role: &'static str,
    added_at: String,
    /// Where to change their role or remove them (or, for yourself, leave).
    url: String,
}

impl MemberDto {
    fn new(album: &str, member: &AlbumMember) -> Self {
        MemberDto {
            user_id: member.user.to_string(),
            user: member.name.clone(),
            role: member.role.as_str(),
            added_at: rfc3339(member.added_at),
            url: format!("/api/v1/albums/{album}/members/{}", member.user),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MemberListDto {
    /// In the order they were added.
    members: Vec<MemberDto>,
}

/// A member's role from a body: `viewer` or `contributor`.
fn parse_role(text: &str) -> Result<AlbumRole, ApiError> {
    match text {
        "viewer" => Ok(AlbumRole::Viewer),
        "contributor" => Ok(AlbumRole::Contributor),
        other => Err(invalid_field(
            "role",
            format!("is viewer or contributor, not {other:?}"),
        )),
    }
}

fn member_id(raw: &str) -> Result<UserId, ApiError> {
    super::path_id(raw, "album member")
}

/// Who the album is shared with (its owner and members may ask).
#[utoipa::path(get, path = "/api/v1/albums/{id}/members", tag = "albums",
    params(("id" = String, Path, description = "The album's id")),
    responses((status = 200, description = "Its members", body = MemberListDto)))]
pub(crate) async fn list(
    path: web::Path<String>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    let members = state
        .catalog
        .album_members_of(auth.user(), &album_id(&path)?)
        .await?;
    Ok(HttpResponse::Ok().json(MemberListDto {
        members: members.iter().map(|m| MemberDto::new(&path, m)).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddBody {
    /// The user name of the account to share with.
    user: String,
    /// `viewer` (sees the album) or `contributor` (also adds their own
    /// photos, and removes those they added).
    role: String,
}

/// Shares the album with another account (the owner only).
#[utoipa::path(post, path = "/api/v1/albums/{id}/members", tag = "albums",
    params(("id" = String, Path, description = "The album's id")), request_body = AddBody,
    responses(
        (status = 201, description = "The new member", body = MemberDto),
        (status = 403, description = "Only the album's owner adds members (`role_not_allowed`)", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such album, or no user by that name", body = crate::openapi::ErrorBody),
        (status = 409, description = "Already a member, or the owner", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn add(
    path: web::Path<String>,
    body: web::Json<AddBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let role = parse_role(&body.role)?;
    let member = state
        .catalog
        .add_album_member(auth.user(), &album_id(&path)?, body.user.trim(), role)
        .await?;
    let dto = MemberDto::new(&path, &member);
    Ok(HttpResponse::Created()
        .insert_header(("Location", dto.url.clone()))
        .json(dto))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleBody {
    /// `viewer` or `contributor`.
    role: String,
}

/// Changes a member's role (the owner only).
#[utoipa::path(patch, path = "/api/v1/albums/{id}/members/{user_id}", tag = "albums",
    params(("id" = String, Path, description = "The album's id"), ("user_id" = String, Path, description = "The member's user id")),
    request_body = RoleBody,
    responses((status = 200, description = "The member now", body = MemberDto)))]
pub(crate) async fn change(
    path: web::Path<(String, String)>,
    body: web::Json<RoleBody>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let (album, member) = path.into_inner();
    let role = parse_role(&body.role)?;
    let member = state
        .catalog
        .set_album_member_role(auth.user(), &album_id(&album)?, &member_id(&member)?, role)
        .await?;
    Ok(HttpResponse::Ok().json(MemberDto::new(&album, &member)))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RemovedMemberDto {
    /// How many photos they had added left the album with them (they stay
    /// in their library).
    photos_removed: u64,
}

/// Removes a member (the owner), or leaves the album (a member, with their
/// own user id). The photos they added leave with them.
#[utoipa::path(delete, path = "/api/v1/albums/{id}/members/{user_id}", tag = "albums",
    params(("id" = String, Path, description = "The album's id"), ("user_id" = String, Path, description = "The member's user id")),
    responses((status = 200, description = "Removed", body = RemovedMemberDto)))]
pub(crate) async fn remove(
    path: web::Path<(String, String)>,
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Edit)?;
    let (album, member) = path.into_inner();
    let photos_removed = state
        .catalog
        .remove_album_member(auth.user(), &album_id(&album)?, &member_id(&member)?)
        .await?;
    Ok(HttpResponse::Ok().json(RemovedMemberDto { photos_removed }))
}
