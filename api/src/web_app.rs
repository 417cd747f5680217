//! Serves the web gallery built into the binary by `build.rs`: its page at
//! `/` (and at `/s/{token}`, a share link's public page), its bundles under
//! `/app/`. Bundle names carry their content hash, so they are cached for
//! good; the page is revalidated so a new build is picked up at once.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::ApiError;

include!(concat!(env!("OUT_DIR"), "/frontend_files.rs"));

/// What the page may load: only our own scripts and styles; images also as
/// `blob:` (the editor's live preview) and `data:` (the viewer's icons).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' blob: data:; \
     style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

fn file(name: &str) -> Option<&'static [u8]> {
    FRONTEND_FILES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, bytes)| *bytes)
}

/// The gallery's page.
pub(crate) async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .body(file("index.html").unwrap_or_default())
}

/// One of the page's bundles.
pub(crate) async fn bundle(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let bytes = file(&name)
        .filter(|_| name.as_str() != "index.html")
        .ok_or(ApiError::NotFound("file"))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type(&name))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("map") => "application/json",
        _ => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_bundles_that_are_embedded() {
        let page = std::str::from_utf8(file("index.html").expect("index.html is embedded"))
            .expect("the page is UTF-8");
        for bundle in page
            .split('"')
            .filter_map(|part| part.strip_prefix("/app/"))
        {
            assert!(file(bundle).is_some(), "{bundle} is named but not embedded");
        }
    }
}
