//! Serves the web gallery built into the binary by `build.rs`: its page at
//! `/` (and at `/s/{token}`, a share link's public page), its bundles under
//! `/app/`. Bundle names carry their content hash, so they are cached for
//! good; the page is revalidated so a new build is picked up at once. The
//! build also gzips the bundles, and browsers that accept gzip get those.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::ApiError;

include!(concat!(env!("OUT_DIR"), "/frontend_files.rs"));

/// What the page may load: only our own scripts and styles; images also as
/// `blob:` (the editor's live preview), `data:` (the viewer's icons) and
/// OpenStreetMap's tiles (the map page; the browser fetches them itself).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     img-src 'self' blob: data: https://tile.openstreetmap.org; \
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

/// One of the page's bundles, gzipped when the browser accepts it.
pub(crate) async fn bundle(
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if name.as_str() == "index.html" || name.ends_with(".gz") {
        return Err(ApiError::NotFound("file"));
    }
    let plain = file(&name).ok_or(ApiError::NotFound("file"))?;
    let gzipped = file(&format!("{name}.gz")).filter(|_| accepts_gzip(&req));
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type(&name))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    Ok(match gzipped {
        Some(bytes) => response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(bytes),
        None => response.body(plain),
    })
}

/// Whether `Accept-Encoding` lists gzip (with a weight other than `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let gzip = parts.next().is_some_and(|c| c.eq_ignore_ascii_case("gzip"));
            let refused = parts
                .filter_map(|p| p.strip_prefix("q="))
                .any(|q| q.trim().parse::<f32>() == Ok(0.0));
            gzip && !refused
        })
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("map") => "application/json",
        _ => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::App;
    use actix_web::test as actix_test;

    #[actix_web::test]
    async fn bundles_come_gzipped_to_browsers_that_accept_it() {
        let app =
            actix_test::init_service(App::new().route("/app/{file}", web::get().to(bundle))).await;
        let Some((js, _)) = FRONTEND_FILES.iter().find(|(f, _)| f.ends_with(".js")) else {
            // The placeholder page (no Node.js at build time) has no bundles.
            return;
        };
        let get = |encoding: &'static str| {
            actix_test::TestRequest::get()
                .uri(&format!("/app/{js}"))
                .insert_header((header::ACCEPT_ENCODING, encoding))
                .to_request()
        };
        let zipped = actix_test::call_service(&app, get("br, gzip;q=0.8")).await;
        assert_eq!(zipped.status(), 200);
        assert_eq!(
            zipped.headers().get(header::CONTENT_ENCODING).unwrap(),
            "gzip"
        );
        let zipped = actix_test::read_body(zipped).await;
        let plain = actix_test::call_service(&app, get("identity")).await;
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        let plain = actix_test::read_body(plain).await;
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&zipped[..]),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped, plain, "the same bytes either way");
        assert!(
            zipped.len() * 2 < plain.len(),
            "gzip pays: {} → {}",
            plain.len(),
            zipped.len()
        );

        for refusing in ["gzip;q=0", "gzip; q=0.0"] {
            let refused = actix_test::call_service(&app, get(refusing)).await;
            assert!(
                refused.headers().get(header::CONTENT_ENCODING).is_none(),
                "{refusing}"
            );
        }
        let hidden = actix_test::call_service(
            &app,
            actix_test::TestRequest::get()
                .uri(&format!("/app/{js}.gz"))
                .to_request(),
        )
        .await;
        assert_eq!(hidden.status(), 404);
    }

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
