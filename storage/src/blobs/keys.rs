//! Object keys. They derive from content hashes and random ids only, never
//! from anything a user typed, so no file name can escape the store.

use object_store::path::Path;

use crate::{ContentHash, UploadId};

pub(crate) const BLOB_PREFIX: &str = "blobs";
pub(crate) const STAGING_PREFIX: &str = "staging";
pub(crate) const UPLOAD_PREFIX: &str = "uploads";

/// `blobs/ab/cd/<64 hex>`: two fan-out levels keep directories small.
pub(crate) fn blob_key(hash: &ContentHash) -> Path {
    let hex = hash.to_hex();
    Path::from(format!("{BLOB_PREFIX}/{}/{}/{hex}", &hex[0..2], &hex[2..4]))
}

/// A fresh staging key for one upload in flight.
pub(crate) fn staging_key() -> Path {
    Path::from(format!("{STAGING_PREFIX}/{}", uuid::Uuid::new_v4()))
}

/// `uploads/<upload id>`: the folder of one resumable upload's parts.
pub(crate) fn upload_prefix(upload: &UploadId) -> Path {
    Path::from(format!("{UPLOAD_PREFIX}/{upload}"))
}

/// `uploads/<upload id>/<part>`; `part` is a name we made (a UUID).
pub(crate) fn upload_part_key(upload: &UploadId, part: &str) -> Path {
    debug_assert!(part.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    Path::from(format!("{UPLOAD_PREFIX}/{upload}/{part}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_keys_fan_out_by_hash_prefix() {
        let hash = ContentHash::of(b"abc");
        assert_eq!(
            blob_key(&hash).as_ref(),
            "blobs/64/37/6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
    }
}
