//! HTTP-level tests of the API against a real server on a free port.
//!
//! Each test is written once and runs against every backend: SQLite + a local
//! folder always, PostgreSQL + S3 when DARKROOM_TEST_DATABASE_URL and
//! DARKROOM_TEST_S3_ENDPOINT are set (CI sets them; elsewhere it says it skipped).

mod helpers;

mod accounts; // passwords, sessions, CSRF, rate limits, tokens
mod admin; // usage metering, storage totals, admin-only routes
mod album_members; // albums shared between accounts: roles, location, feeds
mod auth; // who may see and do what
mod descriptions; // XMP and IPTC in, the XMP sidecar and exports out, search
mod downloads; // albums, selections and share links as one streamed ZIP
mod edits; // recipes, versions, previews, exports
mod errors; // bad input gets a 4xx with a JSON body, and stores nothing
mod immich; // Immich's routes and shapes: discovery, SHA-1 bulk check, uploads, albums
mod jobs; // retries, backoff, visible failure, lease take-over
mod library; // fields, filters, timeline, albums
mod lifecycle; // trash, quotas, usage, garbage collection
mod memories; // on this day: earlier years' photos of a calendar day
mod motion; // motion photos: the video after the still, to its owner only
mod pairs; // RAW+JPEG: one photo of two files, either order, one look, both downloads
mod places; // places named from positions, filters, search, the map, privacy
mod reading; // listing, originals (ranges, ETags), health
mod resumable; // tus uploads: interruption, resume, races, checksums, expiry
mod sharing; // share links: passwords, expiry, revocation, no location
mod sync; // companion apps: device asset ids, check
mod tls; // HTTPS, mutual TLS and tokens bound to client certificates
mod upload; // ingest, dedup, races, renditions
mod webhooks; // signed deliveries to a local receiver, retries, history

/// Instantiates each named `async fn(TestApp)` test once per backend.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite_local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::SqliteLocal).await
                        .expect("the embedded backend always works");
                    super::$name(app).await;
                }
            )*
        }
        mod postgres_s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::PostgresS3).await else {
                        return;
                    };
                    super::$name(app).await;
                }
            )*
        }
    };
}
