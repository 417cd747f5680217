//! The route table. Handlers live one resource per file.

mod admin;
mod albums;
mod assets;
mod check;
mod edits;
mod health;
mod originals;
mod renditions;
mod session;
mod shared;
mod shares;
mod sync;
mod timeline;
mod tokens;
mod trash;
mod upload;
mod uploads;
mod webhooks;

use actix_web::web;
use darkroom_storage::catalog::{AssetRecord, Scope};
use serde::Deserialize;

use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;

/// Wires every route.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(1024 * 1024)
            .error_handler(|e, _| ApiError::bad_request("invalid_json", e.to_string()).into()),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| ApiError::bad_request("invalid_query", e.to_string()).into()),
    )
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/", web::get().to(health::index))
    .service(
        web::scope("/api/v1")
            // Accounts and sessions
            .route("/auth/login", web::post().to(session::login))
            .route("/auth/logout", web::post().to(session::logout))
            .route(
                "/auth/logout-all",
                web::post().to(session::logout_everywhere),
            )
            .route("/auth/session", web::get().to(session::session))
            .route("/me", web::get().to(session::me))
            .route("/me/password", web::put().to(session::change_password))
            .route("/tokens", web::get().to(tokens::list))
            .route("/tokens", web::post().to(tokens::create))
            .route("/tokens/{id}", web::delete().to(tokens::revoke))
            // The library
            .route("/assets", web::post().to(upload::upload))
            .route("/assets", web::get().to(assets::list))
            // Before /assets/{id}, which would take the path.
            .route("/assets/check", web::post().to(check::check))
            .route("/assets/{id}", web::get().to(assets::get))
            .route("/assets/{id}", web::patch().to(assets::patch))
            .route("/assets/{id}", web::delete().to(assets::trash))
            .route("/assets/{id}/restore", web::post().to(assets::restore))
            .route("/assets/{id}/original", web::get().to(originals::original))
            // Editing
            .route("/assets/{id}/edit", web::get().to(edits::current))
            .route("/assets/{id}/edit", web::put().to(edits::save))
            .route("/assets/{id}/edit/history", web::get().to(edits::history))
            .route("/assets/{id}/edit/preview", web::post().to(edits::preview))
            .route("/assets/{id}/export", web::get().to(edits::export))
            .route(
                "/assets/{id}/renditions/retry",
                web::post().to(renditions::retry),
            )
            .route(
                "/assets/{id}/renditions/{name}",
                web::get().to(renditions::rendition),
            )
            // Resumable uploads (tus 1.0.0); tus clients are often
            // configured with the creation URL's trailing slash.
            .route(
                "/uploads",
                web::method(actix_web::http::Method::OPTIONS).to(uploads::options),
            )
            .route("/uploads", web::post().to(uploads::create))
            .route(
                "/uploads/",
                web::method(actix_web::http::Method::OPTIONS).to(uploads::options),
            )
            .route("/uploads/", web::post().to(uploads::create))
            .route(
                "/uploads/{id}",
                web::method(actix_web::http::Method::OPTIONS).to(uploads::options),
            )
            .route("/uploads/{id}", web::head().to(uploads::offset))
            .route("/uploads/{id}", web::get().to(uploads::status))
            .route("/uploads/{id}", web::patch().to(uploads::append))
            .route("/uploads/{id}", web::delete().to(uploads::terminate))
            .route("/sync", web::get().to(sync::feed))
            .route("/timeline", web::get().to(timeline::timeline))
            .route("/trash", web::get().to(trash::list))
            .route("/trash/empty", web::post().to(trash::empty))
            .route("/trash/{id}", web::delete().to(trash::purge))
            // Albums
            .route("/albums", web::get().to(albums::list))
            .route("/albums", web::post().to(albums::create))
            .route("/albums/{id}", web::get().to(albums::get))
            .route("/albums/{id}", web::patch().to(albums::patch))
            .route("/albums/{id}", web::delete().to(albums::delete))
            .route("/albums/{id}/assets", web::get().to(albums::assets))
            .route("/albums/{id}/assets", web::post().to(albums::add))
            .route("/albums/{id}/assets", web::delete().to(albums::remove))
            .route("/albums/{id}/order", web::put().to(albums::arrange))
            // Share links: the owner's side, and the holder's
            .route("/shares", web::get().to(shares::list))
            .route("/shares", web::post().to(shares::create))
            .route("/shares/{id}", web::delete().to(shares::revoke))
            .route("/shared/{token}", web::get().to(shared::describe))
            .route("/shared/{token}/unlock", web::post().to(shared::unlock))
            .route("/shared/{token}/assets", web::get().to(shared::assets))
            .route("/shared/{token}/assets/{id}", web::get().to(shared::asset))
            .route(
                "/shared/{token}/assets/{id}/original",
                web::get().to(shared::original),
            )
            .route(
                "/shared/{token}/assets/{id}/renditions/{name}",
                web::get().to(shared::rendition),
            )
            // Webhooks
            .route("/webhooks", web::get().to(webhooks::list))
            .route("/webhooks", web::post().to(webhooks::create))
            .route("/webhooks/{id}", web::get().to(webhooks::get))
            .route("/webhooks/{id}", web::delete().to(webhooks::delete))
            .route(
                "/webhooks/{id}/deliveries",
                web::get().to(webhooks::deliveries),
            )
            // Administration
            .route("/admin/users", web::get().to(admin::list_users))
            .route("/admin/users", web::post().to(admin::create_user))
            .route("/admin/users/{id}", web::patch().to(admin::patch_user))
            .route("/admin/usage", web::get().to(admin::usage))
            .route(
                "/admin/usage/recompute",
                web::post().to(admin::recompute_usage),
            )
            .route("/admin/storage", web::get().to(admin::storage)),
    )
    .default_service(web::to(|| async {
        Err::<actix_web::HttpResponse, _>(ApiError::NotFound("route"))
    }));
}

/// The caller's asset named by a path segment, once the credentials' `scope`
/// is checked. A malformed id, another user's, or a trashed one is "not found".
async fn owned_asset(
    state: &AppState,
    auth: &Authenticated,
    scope: Scope,
    raw_id: &str,
) -> Result<AssetRecord, ApiError> {
    auth.require(scope)?;
    Ok(state
        .catalog
        .get_asset(auth.user(), &asset_id(raw_id)?)
        .await?)
}

/// An asset id from a path segment; a malformed one is "not found", as an
/// unknown one is.
fn asset_id(raw: &str) -> Result<darkroom_storage::AssetId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("asset"))
}

/// Tells an absent JSON field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A 422 naming the field and the rule it breaks.
pub(crate) fn invalid_field(field: &str, rule: String) -> ApiError {
    ApiError::Unprocessable {
        code: "invalid_field",
        message: format!("{field}: {rule}"),
    }
}

/// A date parameter, YYYY-MM-DD.
fn parse_date(field: &str, text: &str) -> Result<chrono::NaiveDate, ApiError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request(
            "invalid_date",
            format!("{field} must be a date like 2024-02-29"),
        )
    })
}

/// A strong ETag for content-addressed bytes.
fn etag(hash: &darkroom_storage::ContentHash) -> String {
    format!("\"{}\"", hash.to_hex())
}

/// True when the request's If-None-Match already names `etag`.
fn not_modified(req: &actix_web::HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}
