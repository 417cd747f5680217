//! Identifiers: UUIDv7 newtypes, so ids sort by creation time and index well.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

uuid_id!(
    /// One photo (or other file) in a user's library.
    AssetId
);
uuid_id!(
    /// An account.
    UserId
);
uuid_id!(
    /// A job in the durable queue.
    JobId
);
uuid_id!(
    /// An API token (its id, never its secret).
    TokenId
);
uuid_id!(
    /// An album.
    AlbumId
);
uuid_id!(
    /// A share link (its id, not its token).
    ShareLinkId
);
uuid_id!(
    /// A resumable (tus) upload in progress.
    UploadId
);
uuid_id!(
    /// A registered webhook.
    WebhookId
);
