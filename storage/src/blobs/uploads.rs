//! The parts of resumable uploads: each request's bytes are one object under
//! `uploads/<upload id>/`, written (and BLAKE3-hashed) as they stream in.
//! Which parts count is the catalog's business ([`crate::Catalog::advance_upload`]).

use bytes::Bytes;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;

use super::replica::Site;
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
            StagingWriter::start_at(self.store.clone(), key, Site::Primary).await?,
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

    /// The uploads that have parts in the store, each with its newest
    /// part's time (ms): for finding parts whose upload the catalog forgot.
    pub async fn uploads_with_parts(&self) -> Result<Vec<(UploadId, i64)>, StorageError> {
        let mut newest: std::collections::HashMap<UploadId, i64> = Default::default();
        let prefix = object_store::path::Path::from(keys::UPLOAD_PREFIX);
        let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await?;
        for meta in metas {
            let id = meta
                .location
                .parts()
                .nth(1)
                .and_then(|p| p.as_ref().parse::<UploadId>().ok());
            if let Some(id) = id {
                let at = meta.last_modified.timestamp_millis();
                let entry = newest.entry(id).or_insert(at);
                *entry = (*entry).max(at);
            }
        }
        if let Some(root) = &self.local_root {
            // Folders holding only parts still being written (`name#N`,
            // hidden from the listing), left by a killed process.
            let dir = root.join(keys::UPLOAD_PREFIX);
            if let Ok(mut entries) = tokio::fs::read_dir(&dir).await {
                while let Some(entry) = entries.next_entry().await? {
                    let Some(id) = entry
                        .file_name()
                        .to_str()
                        .and_then(|n| n.parse::<UploadId>().ok())
                    else {
                        continue;
                    };
                    let modified = entry
                        .metadata()
                        .await?
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_millis() as i64);
                    let entry = newest.entry(id).or_insert(modified);
                    *entry = (*entry).max(modified);
                }
            }
        }
        Ok(newest.into_iter().collect())
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
