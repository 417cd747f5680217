//! The parts of resumable uploads: each request's bytes are one object under
//! `uploads/<upload id>/`, written (and BLAKE3-hashed) as they stream in.
//! Which parts count is the catalog's business ([`crate::Catalog::advance_upload`]).

use bytes::Bytes;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;

use super::{BlobStore, StagingWriter, keys};
use crate::{StorageError, UploadId};

impl BlobStore {
    /// Starts a new part of `upload`: its name (to list in the catalog once
    /// it counts) and a writer. A part that will not count is removed with
    /// [`BlobStore::discard`].
    pub async fn upload_part(
        &self,
        upload: &UploadId,
    ) -> Result<(String, StagingWriter), StorageError> {
        let part = uuid::Uuid::new_v4().to_string();
        let key = keys::upload_part_key(upload, &part);
        Ok((
            part,
            StagingWriter::start_at(self.store.clone(), key).await?,
        ))
    }

    /// The bytes of `parts`, in order, as one stream.
    pub fn stream_upload(
        &self,
        upload: &UploadId,
        parts: &[String],
    ) -> BoxStream<'static, Result<Bytes, StorageError>> {
        let store = self.store.clone();
        let keys: Vec<_> = parts
            .iter()
            .map(|part| keys::upload_part_key(upload, part))
            .collect();
        stream::iter(keys)
            .then(move |key| {
                let store = store.clone();
                async move {
                    let got = store.get(&key).await?;
                    Ok::<_, StorageError>(got.into_stream().map_err(StorageError::from))
                }
            })
            .try_flatten()
            .boxed()
    }

    /// Removes every part of `upload`, counted or not; returns how many went.
    pub async fn delete_upload(&self, upload: &UploadId) -> Result<usize, StorageError> {
        let prefix = keys::upload_prefix(upload);
        let parts: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        for meta in &parts {
            match self.store.delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(root) = &self.local_root {
            // A part still being written (or left by a killed process) is a
            // `name#N` file the listing does not show; the folder goes whole.
            let dir = root.join(prefix.as_ref());
            match tokio::fs::remove_dir_all(&dir).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(parts.len())
    }
}
