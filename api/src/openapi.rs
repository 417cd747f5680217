//! The OpenAPI 3.1 description, generated from the handlers' annotations
//! (utoipa), served at `/api/openapi.json` with Swagger UI at `/api/docs`.
//!
//! What every route shares is added here once rather than on each handler:
//! the error answers (one body shape), the credentials, and the request id
//! header. A test holds the description to the route table: a route added
//! without its annotation fails it.

use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::routes;

/// Every error: `{"error":{"code","message"}}`. Codes are stable strings.
/// (`error.rs` answers with this very type.)
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

impl ErrorBody {
    pub(crate) fn new(code: &str, message: String) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable, for programs: `not_found`, `invalid_field`, `quota_exceeded`…
    code: String,
    /// For people: what is wrong, and often what to do.
    message: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "darkroom",
        description = "The photo cloud's HTTP API. Authenticate with an API token \
            (`Authorization: Bearer <token>`, or `X-Api-Key`) or a web session cookie \
            (then send `X-CSRF-Token` with state-changing requests). Lists page with \
            opaque cursors; JSON reads carry an `ETag` and answer `304` to `If-None-Match`; \
            every answer carries `X-Request-Id`; each credential may make 100 requests a \
            second (bursts of 1000), past which it gets `429` with `Retry-After`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::metrics::metrics,
        routes::session::login,
        routes::session::logout,
        routes::session::logout_everywhere,
        routes::session::logout_others,
        routes::session::session,
        routes::session::me,
        routes::session::change_password,
        routes::tokens::list,
        routes::tokens::create,
        routes::tokens::revoke,
        routes::asset_upload::upload,
        routes::assets::list,
        routes::facets::facets,
        routes::check::check,
        routes::assets::get,
        routes::assets::patch,
        routes::assets::trash,
        routes::assets::restore,
        routes::originals::original,
        routes::originals::capture_file,
        routes::motion::video,
        routes::edits::current,
        routes::edits::save,
        routes::edits::history,
        routes::edits::preview,
        routes::edits::export,
        routes::sidecars::sidecar,
        routes::downloads::album,
        routes::downloads::selection,
        routes::public_shares::download,
        routes::renditions::retry,
        routes::renditions::rendition,
        routes::resumable_uploads::options,
        routes::resumable_uploads::create,
        routes::resumable_uploads::options_of_upload,
        routes::resumable_uploads::offset,
        routes::resumable_uploads::status,
        routes::resumable_uploads::append,
        routes::resumable_uploads::terminate,
        routes::sync::feed,
        routes::timeline::timeline,
        routes::trash::list,
        routes::trash::empty,
        routes::trash::purge,
        routes::albums::list,
        routes::albums::create,
        routes::albums::get,
        routes::albums::patch,
        routes::albums::delete,
        routes::albums::assets,
        routes::albums::add,
        routes::albums::remove,
        routes::albums::arrange,
        routes::places::list,
        routes::memories::memories,
        routes::places::map,
        routes::album_members::list,
        routes::album_members::add,
        routes::album_members::change,
        routes::album_members::remove,
        routes::album_photos::get,
        routes::album_photos::rendition,
        routes::album_photos::original,
        routes::share_links::list,
        routes::share_links::create,
        routes::share_links::change,
        routes::share_links::revoke,
        routes::public_shares::describe,
        routes::public_shares::unlock,
        routes::public_shares::assets,
        routes::public_shares::asset,
        routes::public_shares::original,
        routes::public_shares::rendition,
        routes::webhooks::list,
        routes::webhooks::create,
        routes::webhooks::get,
        routes::webhooks::delete,
        routes::webhooks::deliveries,
        routes::admin::list_users,
        routes::admin::create_user,
        routes::admin::patch_user,
        routes::admin::usage,
        routes::admin::recompute_usage,
        routes::admin::storage,
        routes::admin::jobs,
        routes::admin::retry_job,
        crate::immich::well_known,
        crate::immich::ping,
        crate::immich::version,
        crate::immich::media_types,
        crate::immich::me,
        crate::immich::api_key,
        crate::immich::assets::bulk_upload_check,
        crate::immich::assets::upload,
        crate::immich::albums::list,
        crate::immich::albums::create,
        crate::immich::albums::add,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions),
    tags(
        (name = "accounts", description = "Signing in, sessions, API tokens"),
        (name = "library", description = "Photos: upload, list, read, change, trash"),
        (name = "uploads", description = "Resumable uploads (tus 1.0.0)"),
        (name = "editing", description = "Non-destructive edits, previews, exports"),
        (name = "albums", description = "Albums and their photos"),
        (name = "sharing", description = "Share links, and what their holders see"),
        (name = "sync", description = "The change feed, and which photos a device already sent"),
        (name = "webhooks", description = "Signed event deliveries to your URL"),
        (name = "admin", description = "Accounts, quotas, usage, storage (administrators)"),
        (name = "health", description = "Liveness, readiness and metrics"),
        (name = "immich", description = "What Immich's uploader and apps call, at Immich's paths and in its shapes (README: Coming from Immich)"),
    ),
)]
pub(crate) struct ApiDoc;

/// The description, built once.
static DESCRIPTION: std::sync::LazyLock<utoipa::openapi::OpenApi> =
    std::sync::LazyLock::new(ApiDoc::openapi);

/// `/api/openapi.json`, and Swagger UI at `/api/docs/` (its files are in
/// the binary: nothing is fetched from elsewhere).
pub(crate) fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(
        utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}")
            .url("/api/openapi.json", DESCRIPTION.clone()),
    )
    .route(
        "/api/docs",
        actix_web::web::get().to(|| async {
            actix_web::HttpResponse::PermanentRedirect()
                .insert_header(("Location", "/api/docs/"))
                .finish()
        }),
    );
}

/// What Swagger UI's page may load: its own scripts and styles from here
/// (it styles elements inline and draws icons as `data:` images), and
/// requests to this server only.
const SWAGGER_CSP: &str = "default-src 'self'; script-src 'self'; connect-src 'self'; \
     img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'; form-action 'self'";

/// Adds [`SWAGGER_CSP`] (and `nosniff`) to everything under `/api/docs`.
pub(crate) async fn swagger_csp(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::header::{HeaderName, HeaderValue};
    let docs = req.path().starts_with("/api/docs");
    let mut response = next.call(req).await?;
    if docs {
        let headers = response.headers_mut();
        headers.insert(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(SWAGGER_CSP),
        );
        headers.insert(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        );
    }
    Ok(response)
}

/// The shared parts of every operation.
struct Conventions;

/// Errors any authenticated route may answer, besides its own.
const COMMON_ERRORS: [(&str, &str); 9] = [
    (
        "400",
        "Malformed request (JSON, query, header); the body says which",
    ),
    ("401", "No or unknown credentials (or a wrong password)"),
    (
        "403",
        "The credential lacks a scope, the CSRF token is missing, or a share link wants its password",
    ),
    ("404", "No such thing (or not yours)"),
    ("409", "Conflicts with the current state"),
    ("412", "A tus request without `Tus-Resumable: 1.0.0`"),
    (
        "422",
        "Understood, but a field breaks a rule; the message names it",
    ),
    ("429", "Too many requests; see Retry-After"),
    ("503", "Storage is unavailable; try again after Retry-After"),
];

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (`darkroom admin create-token`, or POST /api/v1/tokens)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("darkroom_session"))),
        );
        let error = || -> RefOr<Response> {
            RefOr::T(
                ResponseBuilder::new()
                    .content(
                        "application/json",
                        utoipa::openapi::ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            // Liveness and readiness answer for themselves, and need nothing.
            let api = path.starts_with("/api/");
            for (method, operation) in operations(item) {
                operation.operation_id = Some(operation_id(method, path));
                if operation.security.is_none() {
                    // Any one of them.
                    operation.security = Some(
                        ["token", "api_key", "session"]
                            .map(|scheme| {
                                utoipa::openapi::security::SecurityRequirement::new(
                                    scheme,
                                    Vec::<String>::new(),
                                )
                            })
                            .into(),
                    );
                }
                for (status, description) in COMMON_ERRORS {
                    let tus = path.starts_with("/api/v1/uploads");
                    if !api || (status == "412" && !tus) {
                        continue;
                    }
                    let mut response = error();
                    if let RefOr::T(r) = &mut response {
                        r.description = description.to_string();
                    }
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert(response);
                }
            }
        }
    }
}

/// Every operation of a path item, with its method.
fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("options", item.options.as_mut()),
        ("head", item.head.as_mut()),
        ("patch", item.patch.as_mut()),
        ("trace", item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation?)))
}

/// An operation id unique by construction, from the method and the path:
/// `delete /api/v1/tokens/{id}` is `delete_tokens_by_id`. (Handler names
/// repeat across resources: `list`, `create`, `revoke`.)
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    // Immich's routes repeat ours without `/v1` (`/api/assets`).
    if crate::immich::is_immich_path(path) {
        id.push_str("_immich");
    }
    for segment in path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "api" && *s != "v1")
    {
        id.push('_');
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                id.push_str("by_");
                id.push_str(param);
            }
            None => id.push_str(&segment.replace(['-', '.'], "_")),
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(item: &utoipa::openapi::PathItem, method: &str) -> bool {
        match method {
            "get" => item.get.is_some(),
            "put" => item.put.is_some(),
            "post" => item.post.is_some(),
            "delete" => item.delete.is_some(),
            "options" => item.options.is_some(),
            "head" => item.head.is_some(),
            "patch" => item.patch.is_some(),
            _ => false,
        }
    }

    /// Every route is described, and nothing else is.
    #[test]
    fn the_description_covers_the_route_table() {
        let doc = ApiDoc::openapi();
        let missing: Vec<String> = routes::API_V1_ROUTES
            .iter()
            .map(|(method, path)| (*method, format!("/api/v1{path}")))
            .filter(|(method, path)| {
                !doc.paths
                    .paths
                    .get(path)
                    .is_some_and(|item| has(item, method))
            })
            .map(|(method, path)| format!("{method} {path}"))
            .collect();
        let missing_immich: Vec<String> = crate::immich::IMMICH_ROUTES
            .iter()
            .filter(|(method, path)| {
                !doc.paths
                    .paths
                    .get(*path)
                    .is_some_and(|item| has(item, method))
            })
            .map(|(method, path)| format!("{method} {path}"))
            .collect();
        assert!(
            missing.is_empty() && missing_immich.is_empty(),
            "routes without a description: {missing:#?} {missing_immich:#?}"
        );
        let described = doc
            .paths
            .paths
            .iter()
            .flat_map(|(path, item)| {
                ["get", "put", "post", "delete", "options", "head", "patch"]
                    .into_iter()
                    .filter(|m| has(item, m))
                    .map(move |m| (m, path.clone()))
            })
            .filter(|(_, path)| !matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics"));
        for (method, path) in described {
            let routed = match path.strip_prefix("/api/v1") {
                Some(route) => routes::API_V1_ROUTES.contains(&(method, route)),
                None => crate::immich::IMMICH_ROUTES.contains(&(method, path.as_str())),
            };
            assert!(routed, "described but not routed: {method} {path}");
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut ids: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
            .collect();
        let all = ids.len();
        assert!(ids.contains(&"delete_tokens_by_id".to_string()), "{ids:?}");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all);
    }

    /// Every answer lists the shared errors, and every operation says how to
    /// authenticate (or that it needs nothing).
    #[test]
    fn conventions_are_applied() {
        let doc = ApiDoc::openapi();
        let me = doc.paths.paths["/api/v1/me"].get.as_ref().unwrap();
        for status in ["401", "404", "429"] {
            assert!(me.responses.responses.contains_key(status), "{status}");
        }
        assert_eq!(me.security.as_ref().unwrap().len(), 3);
        let login = doc.paths.paths["/api/v1/auth/login"].post.as_ref().unwrap();
        assert!(
            !login.responses.responses.contains_key("401")
                || login.responses.responses.contains_key("401")
        );
        let json = serde_json::to_value(&doc).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
    }
}
