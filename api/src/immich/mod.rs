//! Immich's clients against darkroom: the subset of Immich's API that its
//! command-line uploader (`@immich/cli`: `login`, `upload` with albums,
//! re-runs) and its apps' backup call, translated onto darkroom's own
//! ingest, catalog and album code. Nothing here stores anything by a path
//! of its own: an upload is the same upload as `POST /api/v1/assets`.
//!
//! Served beside `/api/v1`, at Immich's paths under `/api`, with the
//! credentials darkroom has (Immich clients send the token as `x-api-key`).

pub(crate) mod albums;
pub(crate) mod assets;
pub(crate) mod dto;

use actix_web::{HttpResponse, web};
use darkroom_pipeline::SourceFormat;
use darkroom_storage::catalog::Scope;

use crate::ApiError;
use crate::auth::Authenticated;
use crate::state::AppState;
use dto::{ApiKey, MediaTypes, Ping, ServerVersion, User, WellKnown, WellKnownApi};

/// Declares Immich's routes under `/api` once: registers them, and lists
/// them for the test that holds the OpenAPI description to them.
macro_rules! immich_routes {
    ($($method:ident $path:literal => $handler:path,)*) => {
        /// Registers every route: `/.well-known/immich`, and the rest in one
        /// `/api` scope (its JSON bodies may be large: a bulk check names
        /// thousands of files).
        pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
            cfg.route(WELL_KNOWN, web::get().to(well_known)).service(
                web::scope("/api")
                    .app_data(crate::routes::json_config(16 << 20))
                    $(.route($path, web::$method().to($handler)))*
                    .default_service(web::to(crate::routes::unrouted)),
            );
        }

        /// Every Immich route: (method, path).
        pub(crate) const IMMICH_ROUTES: &[(&str, &str)] =
            &[("get", WELL_KNOWN), $((stringify!($method), concat!("/api", $path))),*];
    };
}

const WELL_KNOWN: &str = "/.well-known/immich";

immich_routes! {
    get "/server/ping" => ping,
    get "/server/version" => version,
    get "/server/media-types" => media_types,
    get "/users/me" => me,
    get "/api-keys/me" => api_key,
    post "/assets/bulk-upload-check" => assets::bulk_upload_check,
    post "/assets" => assets::upload,
    get "/albums" => albums::list,
    post "/albums" => albums::create,
    put "/albums/{id}/assets" => albums::add,
}

/// Whether `path` is one of Immich's routes (for the OpenAPI operation ids).
pub(crate) fn is_immich_path(path: &str) -> bool {
    IMMICH_ROUTES.iter().any(|(_, p)| *p == path)
}

/// Where Immich's API is (clients ask before anything else).
#[utoipa::path(get, path = "/.well-known/immich", tag = "immich", security(()),
    responses((status = 200, description = "Where the API is", body = WellKnown)))]
pub(crate) async fn well_known() -> HttpResponse {
    HttpResponse::Ok().json(WellKnown {
        api: WellKnownApi { endpoint: "/api" },
    })
}

/// Answers `pong`.
#[utoipa::path(get, path = "/api/server/ping", tag = "immich", security(()),
    responses((status = 200, description = "pong", body = Ping)))]
pub(crate) async fn ping() -> HttpResponse {
    HttpResponse::Ok().json(Ping { res: "pong" })
}

/// The version of Immich's API these routes follow (3.2.2).
#[utoipa::path(get, path = "/api/server/version", tag = "immich", security(()),
    responses((status = 200, description = "The version", body = ServerVersion)))]
pub(crate) async fn version() -> HttpResponse {
    HttpResponse::Ok().json(ServerVersion {
        major: 3,
        minor: 2,
        patch: 2,
        prerelease: None,
    })
}

/// The file extensions the server takes: the photo formats darkroom
/// recognises (no video), and XMP sidecars.
#[utoipa::path(get, path = "/api/server/media-types", tag = "immich", security(()),
    responses((status = 200, description = "Extensions, with their dot", body = MediaTypes)))]
pub(crate) async fn media_types() -> HttpResponse {
    HttpResponse::Ok().json(MediaTypes {
        image: SourceFormat::EXTENSIONS
            .iter()
            .map(|e| format!(".{e}"))
            .collect(),
        video: Vec::new(),
        sidecar: vec![".xmp".into()],
    })
}

/// The caller's account.
#[utoipa::path(get, path = "/api/users/me", tag = "immich",
    responses((status = 200, description = "The account", body = User)))]
pub(crate) async fn me(auth: Authenticated) -> Result<HttpResponse, ApiError> {
    auth.require(Scope::Read)?;
    Ok(HttpResponse::Ok().json(User::new(&auth.principal.user)))
}

/// The API token the request came with, its scopes as Immich's permissions.
#[utoipa::path(get, path = "/api/api-keys/me", tag = "immich",
    responses(
        (status = 200, description = "The token", body = ApiKey),
        (status = 404, description = "The request came with a web session, not a token", body = crate::openapi::ErrorBody),
    ))]
pub(crate) async fn api_key(
    auth: Authenticated,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(token_id) = auth.principal.token_id else {
        return Err(ApiError::NotFound("API key"));
    };
    let token = state
        .catalog
        .list_tokens(auth.user())
        .await?
        .into_iter()
        .find(|t| t.id == token_id)
        .ok_or(ApiError::NotFound("API key"))?;
    let created = darkroom_storage::rfc3339(token.created_at);
    Ok(HttpResponse::Ok().json(ApiKey {
        id: token.id.to_string(),
        name: token.name,
        updated_at: created.clone(),
        created_at: created,
        permissions: dto::permissions(&auth.principal.scopes),
    }))
}
