use darkroom_storage::{BlobStore, Catalog, Store};
use darkroom_workers::{EditRenderer, Waker};

use crate::ApiConfig;
use crate::auth::password::RecentlyVerified;
use crate::auth::rate_limit::{LoginLimiter, RequestLimiter};
use crate::metering::Meter;

/// What every handler can reach (shared through `web::Data`).
pub(crate) struct AppState {
    pub catalog: Catalog,
    pub blobs: BlobStore,
    /// The two together, for what writes to both (uploads).
    pub store: Store,
    pub waker: Waker,
    pub editing: EditRenderer,
    pub config: ApiConfig,
    pub login_limiter: LoginLimiter,
    /// `None` when requests are not limited.
    pub request_limiter: Option<RequestLimiter>,
    /// Per client address on share-link routes; `None`: not limited.
    pub share_limiter: Option<RequestLimiter>,
    pub meter: Meter,
    pub share_passwords: RecentlyVerified,
    /// Shared originals being sent now, at most `config.shared_originals_at_once`.
    pub shared_original_slots: crate::shared_originals::SharedOriginalSlots,
    /// Set when the process is about to stop: `/readyz` answers 503.
    pub draining: DrainSwitch,
}

/// Turned on once, when the process is told to stop: from then on `/readyz`
/// answers 503 so that a load balancer sends new requests elsewhere, while
/// requests already here (and any that still arrive) are served as usual.
#[derive(Clone, Debug, Default)]
pub struct DrainSwitch(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl AppState {
    /// The name of the first (smallest) rendition: covers and map markers
    /// show it.
    pub fn thumb_name(&self) -> String {
        self.config
            .renditions
            .first()
            .map(|s| s.name().to_string())
            .unwrap_or_default()
    }
}

impl DrainSwitch {
    /// Starts draining (idempotent).
    pub fn start(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        metrics::gauge!("darkroom_draining").set(1.0);
    }

    /// True once draining started.
    pub fn is_draining(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
