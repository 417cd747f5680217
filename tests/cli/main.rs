//! Tests of the `darkroom` binary as people and scripts use it: real
//! processes, real signals, real ports.

mod helpers;

mod admin; // the command-line contract: exit codes, what goes to stdout
mod backup; // the restore drill: backed up during uploads, restored elsewhere, clean
mod blobs; // `blobs migrate`: a library moved into another store beside its server
mod crash_rounds; // SIGKILLs at random moments over rounds of real work: fsck clean, nothing lost
mod crashes; // killed workers, abandoned staging files
mod fsck; // a library damaged on purpose: found, repaired, and what needs a backup stays
mod heif; // HEIC and AVIF in the default build: thumbnails through libheif, a plain reason without it
mod immich; // Immich's own CLI from npm: login, a recursive upload with albums, a second run sends nothing
mod import; // `darkroom import`: only what is missing, sidecars, second runs, dry runs
mod info; // `darkroom info`: metadata as JSON, against known values
mod licences; // no LGPL code in the main binary: the decoders live in darkroom-helper
mod maintenance; // admin accounts and quotas, gc, scrub
mod memory; // a large upload streams through bounded memory
mod openapi; // the OpenAPI description, Swagger UI, and Schemathesis against them
mod pairs; // RAW+JPEG: a camera folder imported as one photo per exposure, an edit develops the RAW
mod partner; // docs/examples/partner.py: a partner's script in Python against a real server
mod places; // `admin fill-places`: photos stored before places get theirs
mod raw; // camera RAW: DNGs developed in the helper process, against LibRaw
mod render; // `darkroom render`: names, defaults, failures reported, exit status
mod replica; // a second site: serving and storing while the primary is down, copies back, scrub --repair
mod service; // /metrics after real work, graceful stop, self-healing that shows
mod web; // the web gallery in headless Chromium (frontend/e2e)
