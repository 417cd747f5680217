//! Where blobs live: a local folder or an S3-compatible bucket, from a URL.

use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::{BackoffConfig, ObjectStore, RetryConfig};
use url::Url;

use super::BlobStore;
use crate::StorageError;

/// The blob store's location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobConfig {
    /// A folder on local disk (created if missing); writes are fsynced.
    Local(PathBuf),
    /// An S3-compatible bucket, optionally under a key prefix. Credentials come
    /// from the usual `AWS_*` environment variables, or with `credentials`
    /// from `<NAME>_ACCESS_KEY_ID` and `<NAME>_SECRET_ACCESS_KEY` (a second
    /// site or a migration target in another account; never in the URL).
    S3 {
        bucket: String,
        prefix: String,
        endpoint: Option<String>,
        region: Option<String>,
        credentials: Option<String>,
    },
}

impl BlobConfig {
    /// Parses `file:///path`, a bare path, or
    /// `s3://bucket[/prefix][?endpoint=http://host:port][&region=r][&credentials=NAME]`.
    pub fn parse(spec: &str) -> Result<Self, StorageError> {
        if !spec.contains("://") {
            return Ok(BlobConfig::Local(PathBuf::from(spec)));
        }
        let url = Url::parse(spec).map_err(|e| StorageError::Config(format!("{spec}: {e}")))?;
        match url.scheme() {
            "file" => Ok(BlobConfig::Local(PathBuf::from(url.path()))),
            "s3" => {
                let bucket = url
                    .host_str()
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| StorageError::Config(format!("{spec}: no bucket name")))?;
                let mut endpoint = None;
                let mut region = None;
                let mut credentials = None;
                for (k, v) in url.query_pairs() {
                    match &*k {
                        "endpoint" => endpoint = Some(v.into_owned()),
                        "region" => region = Some(v.into_owned()),
                        "credentials" => credentials = Some(v.into_owned()),
                        other => {
                            return Err(StorageError::Config(format!(
                                "{spec}: unknown option {other:?} (known: endpoint, region, credentials)"
                            )));
                        }
                    }
                }
                Ok(BlobConfig::S3 {
                    bucket: bucket.to_string(),
                    prefix: url.path().trim_matches('/').to_string(),
                    endpoint,
                    region,
                    credentials,
                })
            }
            other => Err(StorageError::Config(format!(
                "{spec}: unsupported scheme {other:?} (use a path, file:// or s3://)"
            ))),
        }
    }

    pub(super) fn open(&self) -> Result<BlobStore, StorageError> {
        self.open_with(patient_retries())
    }

    /// Opens the store, retrying failed S3 calls as `retries` says.
    pub(super) fn open_with(&self, retries: RetryConfig) -> Result<BlobStore, StorageError> {
        match self {
            BlobConfig::Local(root) => {
                std::fs::create_dir_all(root)?;
                let root = root.canonicalize()?;
                // object_store's local backend does not fsync by default; an
                // acknowledged upload must survive a power cut.
                let store = LocalFileSystem::new_with_prefix(&root)?.with_fsync(true);
                Ok(BlobStore::new(
                    Arc::new(store),
                    Some(root.clone()),
                    format!("local folder {}", root.display()),
                ))
            }
            BlobConfig::S3 {
                bucket,
                prefix,
                endpoint,
                region,
                credentials,
            } => {
                // No conditional writes are configured: the store never
                // needs them (see the module comment of `blobs`).
                let mut builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(retries);
                if let Some(name) = credentials {
                    let var = |suffix: &str| {
                        let var = format!("{name}_{suffix}");
                        std::env::var(&var).map_err(|_| {
                            StorageError::Config(format!(
                                "credentials={name} names {var}, which is not set"
                            ))
                        })
                    };
                    builder = builder
                        .with_access_key_id(var("ACCESS_KEY_ID")?)
                        .with_secret_access_key(var("SECRET_ACCESS_KEY")?);
                    if let Ok(token) = var("SESSION_TOKEN") {
                        builder = builder.with_token(token);
                    }
                }
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_allow_http(endpoint.starts_with("http://"));
                }
                match region {
                    Some(region) => builder = builder.with_region(region),
                    None if std::env::var_os("AWS_REGION").is_none()
                        && std::env::var_os("AWS_DEFAULT_REGION").is_none() =>
                    {
                        builder = builder.with_region("us-east-1")
                    }
                    None => {}
                }
                let s3 = builder.build()?;
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix.as_str()))
                };
                let at = endpoint.as_deref().unwrap_or("AWS");
                Ok(BlobStore::new(
                    store,
                    None,
                    format!("s3://{bucket}/{prefix} at {at}"),
                ))
            }
        }
    }
}

/// How long calls to S3 keep retrying a store that does not answer (a
/// gateway restarting, a balancer failing over): about half a minute, with
/// backoffs from a quarter second to two. object_store's default (ten quick
/// retries) gave up within 1.5 s of a Ceph RGW restart that took 2 s; a
/// request waiting a few seconds is better than one refused.
fn patient_retries() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 30,
        retry_timeout: Duration::from_secs(30),
    }
}

/// How long a primary with a second site behind it is retried before the
/// second site takes the call: about two seconds. Waiting half a minute for
/// a dead gateway when another site has the bytes would only make every
/// photo late.
pub(super) fn quick_retries() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
        },
        max_retries: 2,
        retry_timeout: Duration::from_secs(3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_and_s3_urls() {
        assert_eq!(
            BlobConfig::parse("/tmp/x").unwrap(),
            BlobConfig::Local("/tmp/x".into())
        );
        assert_eq!(
            BlobConfig::parse("file:///tmp/x").unwrap(),
            BlobConfig::Local("/tmp/x".into())
        );
        assert_eq!(
            BlobConfig::parse(
                "s3://photos/park/a?endpoint=http://127.0.0.1:9000&region=eu&credentials=DR"
            )
            .unwrap(),
            BlobConfig::S3 {
                bucket: "photos".into(),
                prefix: "park/a".into(),
                endpoint: Some("http://127.0.0.1:9000".into()),
                region: Some("eu".into()),
                credentials: Some("DR".into()),
            }
        );
        let unset = BlobConfig::parse("s3://photos?credentials=DARKROOM_TEST_UNSET_CREDENTIALS")
            .unwrap()
            .open()
            .unwrap_err()
            .to_string();
        assert!(
            unset.contains("DARKROOM_TEST_UNSET_CREDENTIALS_ACCESS_KEY_ID, which is not set"),
            "{unset}"
        );
        assert!(BlobConfig::parse("s3://photos?colour=red").is_err());
        assert!(BlobConfig::parse("ftp://x/y").is_err());
    }
}
