use thiserror::Error;

/// What went wrong in durable storage, named for what the caller can do.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The thing to create exists already (a taken user name…).
    #[error("{0}")]
    Conflict(String),
    /// The caller reaches the thing, but their role does not allow this
    /// (a viewer adding photos to an album shared with them…).
    #[error("{0}")]
    NotPermitted(String),
    /// A Live Photo's video whose still is not in the owner's library.
    #[error("{0}")]
    StillMissing(String),
    /// Storing this would take the user over their storage quota.
    #[error(
        "this upload needs {needed} bytes but only {available} of the {quota}-byte quota are free"
    )]
    QuotaExceeded {
        quota: u64,
        available: u64,
        needed: u64,
    },
    /// The resource is busy for a moment (a blob being garbage-collected); retry.
    #[error("{0}")]
    Busy(String),
    /// A value read from the catalog is not what this code writes (a bug or tampering).
    #[error("corrupt catalog value: {0}")]
    Corrupt(String),
    /// A stored blob's bytes no longer hash to its name (bit rot, a
    /// truncated copy, tampering): never served as if it were the photo.
    #[error("blob {hash} in {site} is corrupt: its bytes hash to {actual}")]
    CorruptBlob {
        hash: crate::ContentHash,
        actual: crate::ContentHash,
        site: String,
    },
    /// Configuration that cannot work (bad URL, missing bucket…).
    #[error("invalid storage configuration: {0}")]
    Config(String),
    /// The catalog database failed; usually worth retrying.
    #[error("catalog: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The blob store failed; usually worth retrying.
    #[error("blob store: {0}")]
    Blob(#[from] object_store::Error),
    /// Local file system error (staging area, data directory).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl StorageError {
    /// True when the request named something that is not there.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            StorageError::NotFound { .. }
                | StorageError::Blob(object_store::Error::NotFound { .. })
        )
    }

    /// True for transient backend failures that a retry may fix.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StorageError::Database(_)
                | StorageError::Blob(_)
                | StorageError::Io(_)
                | StorageError::Busy(_)
        )
    }
}
