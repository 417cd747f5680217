//! The route table. Handlers live one resource per file.

pub(crate) mod admin;
pub(crate) mod album_members;
pub(crate) mod album_photos;
pub(crate) mod albums;
pub(crate) mod asset_upload;
pub(crate) mod assets;
pub(crate) mod check;
pub(crate) mod downloads;
pub(crate) mod edits;
pub(crate) mod facets;
pub(crate) mod health;
pub(crate) mod memories;
pub(crate) mod metrics;
pub(crate) mod motion;
pub(crate) mod originals;
pub(crate) mod places;
pub(crate) mod public_shares;
pub(crate) mod renditions;
pub(crate) mod resumable_uploads;
pub(crate) mod session;
pub(crate) mod share_links;
pub(crate) mod sidecars;
pub(crate) mod sync;
pub(crate) mod timeline;
pub(crate) mod tokens;
pub(crate) mod trash;
pub(crate) mod webhooks;

use crate::ErrorCode;
use actix_web::web;
use darkroom_storage::catalog::{AssetRecord, Scope};
use serde::Deserialize;

use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;

/// Declares the `/api/v1` routes once: registers them, and lists them for
/// the test that holds the OpenAPI description to them.
macro_rules! api_v1_routes {
    ($($method:ident $path:literal => $handler:path,)*) => {
        fn api_v1(scope: actix_web::Scope) -> actix_web::Scope {
            scope $(.route($path, method::$method().to($handler)))*
        }

        /// Every `/api/v1` route: (method, path).
        pub(crate) const API_V1_ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];
    };
}

/// Route constructors by method name, for [`api_v1_routes`].
mod method {
    pub(super) use actix_web::web::{delete, get, head, patch, post, put};

    pub(super) fn options() -> actix_web::Route {
        actix_web::web::method(actix_web::http::Method::OPTIONS)
    }
}

// Literal paths before `{id}` ones that would take them (`/assets/check`).
api_v1_routes! {
    // Accounts and sessions
    post "/auth/login" => session::login,
    post "/auth/logout" => session::logout,
    post "/auth/logout-all" => session::logout_everywhere,
    post "/auth/logout-others" => session::logout_others,
    get "/auth/session" => session::session,
    get "/me" => session::me,
    put "/me/password" => session::change_password,
    get "/tokens" => tokens::list,
    post "/tokens" => tokens::create,
    delete "/tokens/{id}" => tokens::revoke,
    // The library
    post "/assets" => asset_upload::upload,
    get "/assets" => assets::list,
    post "/assets/check" => check::check,
    post "/assets/download" => downloads::selection,
    get "/assets/facets" => facets::facets,
    get "/places" => places::list,
    get "/memories" => memories::memories,
    get "/map" => places::map,
    get "/assets/{id}" => assets::get,
    patch "/assets/{id}" => assets::patch,
    delete "/assets/{id}" => assets::trash,
    post "/assets/{id}/restore" => assets::restore,
    get "/assets/{id}/original" => originals::original,
    get "/assets/{id}/files/{role}" => originals::capture_file,
    get "/assets/{id}/motion" => motion::video,
    get "/assets/{id}/xmp" => sidecars::sidecar,
    // Editing
    get "/assets/{id}/edit" => edits::current,
    put "/assets/{id}/edit" => edits::save,
    get "/assets/{id}/edit/history" => edits::history,
    post "/assets/{id}/edit/preview" => edits::preview,
    get "/assets/{id}/export" => edits::export,
    post "/assets/{id}/renditions/retry" => renditions::retry,
    get "/assets/{id}/renditions/{name}" => renditions::rendition,
    // Resumable uploads (tus 1.0.0)
    options "/uploads" => resumable_uploads::options,
    post "/uploads" => resumable_uploads::create,
    options "/uploads/{id}" => resumable_uploads::options_of_upload,
    head "/uploads/{id}" => resumable_uploads::offset,
    get "/uploads/{id}" => resumable_uploads::status,
    patch "/uploads/{id}" => resumable_uploads::append,
    delete "/uploads/{id}" => resumable_uploads::terminate,
    // Sync
    get "/sync" => sync::feed,
    get "/timeline" => timeline::timeline,
    get "/trash" => trash::list,
    post "/trash/empty" => trash::empty,
    delete "/trash/{id}" => trash::purge,
    // Albums
    get "/albums" => albums::list,
    post "/albums" => albums::create,
    get "/albums/{id}" => albums::get,
    patch "/albums/{id}" => albums::patch,
    delete "/albums/{id}" => albums::delete,
    get "/albums/{id}/assets" => albums::assets,
    get "/albums/{id}/download" => downloads::album,
    post "/albums/{id}/assets" => albums::add,
    delete "/albums/{id}/assets" => albums::remove,
    put "/albums/{id}/order" => albums::arrange,
    get "/albums/{id}/assets/{asset_id}" => album_photos::get,
    get "/albums/{id}/assets/{asset_id}/renditions/{name}" => album_photos::rendition,
    get "/albums/{id}/assets/{asset_id}/original" => album_photos::original,
    get "/albums/{id}/members" => album_members::list,
    post "/albums/{id}/members" => album_members::add,
    patch "/albums/{id}/members/{user_id}" => album_members::change,
    delete "/albums/{id}/members/{user_id}" => album_members::remove,
    // Share links: the owner's side, and the holder's
    get "/shares" => share_links::list,
    post "/shares" => share_links::create,
    patch "/shares/{id}" => share_links::change,
    delete "/shares/{id}" => share_links::revoke,
    get "/shared/{token}" => public_shares::describe,
    post "/shared/{token}/unlock" => public_shares::unlock,
    get "/shared/{token}/assets" => public_shares::assets,
    get "/shared/{token}/assets/{id}" => public_shares::asset,
    get "/shared/{token}/assets/{id}/original" => public_shares::original,
    get "/shared/{token}/download" => public_shares::download,
    get "/shared/{token}/assets/{id}/renditions/{name}" => public_shares::rendition,
    // Webhooks
    get "/webhooks" => webhooks::list,
    post "/webhooks" => webhooks::create,
    get "/webhooks/{id}" => webhooks::get,
    delete "/webhooks/{id}" => webhooks::delete,
    get "/webhooks/{id}/deliveries" => webhooks::deliveries,
    // Administration
    get "/admin/users" => admin::list_users,
    post "/admin/users" => admin::create_user,
    patch "/admin/users/{id}" => admin::patch_user,
    get "/admin/usage" => admin::usage,
    post "/admin/usage/recompute" => admin::recompute_usage,
    get "/admin/storage" => admin::storage,
    get "/admin/jobs" => admin::jobs,
    post "/admin/jobs/{id}/retry" => admin::retry_job,
}

/// Wires every route.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config(1024 * 1024))
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            ApiError::bad_request(ErrorCode::InvalidQuery, e.to_string()).into()
        }))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::metrics))
        .route("/", web::get().to(crate::web_app::page))
        .route("/s/{token}", web::get().to(crate::web_app::page))
        .route("/app/{file}", web::get().to(crate::web_app::bundle))
        .configure(crate::openapi::configure)
        .service(
            api_v1(web::scope("/api/v1"))
                // tus clients are often configured with the creation URL's
                // trailing slash: the same two routes there.
                .route(
                    "/uploads/",
                    method::options().to(resumable_uploads::options),
                )
                .route("/uploads/", web::post().to(resumable_uploads::create)),
        )
        .configure(crate::immich::configure)
        .default_service(web::to(unrouted));
}

/// JSON bodies up to `limit` bytes; a malformed one is a `400 invalid_json`.
pub(crate) fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|e, _| ApiError::bad_request(ErrorCode::InvalidJson, e.to_string()).into())
}

/// No route took the request: `405` with `Allow` when the path is one of
/// ours with other methods, else a JSON `404`.
pub(crate) async fn unrouted(
    req: actix_web::HttpRequest,
) -> Result<actix_web::HttpResponse, ApiError> {
    /// The route tables' patterns (ours under `/api/v1`, Immich's at their
    /// full paths), parsed once.
    static PATTERNS: std::sync::LazyLock<Vec<(&str, actix_web::dev::ResourceDef)>> =
        std::sync::LazyLock::new(|| {
            API_V1_ROUTES
                .iter()
                .map(|(method, path)| (*method, actix_web::dev::ResourceDef::new(*path)))
                .collect()
        });
    static IMMICH_PATTERNS: std::sync::LazyLock<Vec<(&str, actix_web::dev::ResourceDef)>> =
        std::sync::LazyLock::new(|| {
            crate::immich::IMMICH_ROUTES
                .iter()
                .map(|(method, path)| (*method, actix_web::dev::ResourceDef::new(*path)))
                .collect()
        });
    let matching = |patterns: &[(&str, actix_web::dev::ResourceDef)], path: &str| {
        patterns
            .iter()
            .filter(|(_, pattern)| pattern.is_match(path))
            .map(|(method, _)| method.to_ascii_uppercase())
            .collect::<Vec<_>>()
    };
    let mut allowed: Vec<String> = match req.path().strip_prefix("/api/v1") {
        Some(path) => matching(&PATTERNS, path),
        // Liveness, readiness and the web gallery.
        None if matches!(req.path(), "/healthz" | "/readyz" | "/metrics" | "/")
            || req.path().starts_with("/s/")
            || req.path().starts_with("/app/") =>
        {
            vec!["GET".into()]
        }
        None => matching(&IMMICH_PATTERNS, req.path()),
    };
    allowed.dedup();
    if allowed.is_empty() {
        return Err(ApiError::NotFound("route"));
    }
    Err(ApiError::MethodNotAllowed {
        allowed: allowed.join(", "),
    })
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
    path_id(raw, "asset")
}

/// An id of any kind from a path segment; a malformed one is "not found",
/// as an unknown one is.
pub(crate) fn path_id<T: std::str::FromStr>(raw: &str, what: &'static str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound(what))
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
/// A file name without its last extension (`IMG_1234.JPG` → `IMG_1234`): what
/// exports, sidecars and the files of a ZIP are named after.
pub(crate) fn file_stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

pub(crate) fn invalid_field(field: &str, rule: String) -> ApiError {
    ApiError::Unprocessable {
        code: ErrorCode::InvalidField,
        message: format!("{field}: {rule}"),
    }
}

/// A date parameter, YYYY-MM-DD.
fn parse_date(field: &str, text: &str) -> Result<chrono::NaiveDate, ApiError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::bad_request(
            ErrorCode::InvalidDate,
            format!("{field} must be a date like 2024-02-29"),
        )
    })
}

/// A strong ETag for content-addressed bytes.
fn etag(hash: &darkroom_storage::ContentHash) -> String {
    format!("\"{}\"", hash.to_hex())
}
