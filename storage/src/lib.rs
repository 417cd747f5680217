//! darkroom-storage: everything durable.
//!
//! * [`BlobStore`]: content-addressed bytes (originals and renditions) in any
//!   `object_store` backend — a local folder (fsynced) or an S3-compatible store.
//!   Keys are derived from the BLAKE3 hash only (`blobs/ab/cd/<hex>`), never from
//!   user input; racing writers of one key write the same bytes, and the
//!   catalog's pins keep garbage collection off blobs being written.
//! * [`Catalog`]: the metadata database (SQLite or PostgreSQL through one sqlx
//!   `Any` pool and one set of queries), including the durable job queue.
//!
//! This crate never decodes images and never speaks HTTP; it knows nothing of
//! the pipeline, the workers or the API.

pub mod backup;
pub mod blobs;
pub mod catalog;
mod error;
pub mod fsck;
pub mod hash;
pub mod ids;
pub mod maintenance;
pub mod progress;
mod store;
mod time;

pub use blobs::{BlobConfig, BlobStore, ReplicaCheck, Replicated, StagedBlob, StagingWriter};
pub use catalog::Catalog;
pub use error::StorageError;
pub use hash::{ContentHash, lower_hex};
pub use ids::{AlbumId, AssetId, JobId, ShareLinkId, TokenId, UploadId, UserId, WebhookId};
pub use store::{StagedOriginal, Store};
pub use time::{now_ms, rfc3339};
