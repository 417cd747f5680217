use darkroom_storage::{BlobStore, Catalog};
use darkroom_workers::{EditRenderer, Waker};

use crate::ApiConfig;
use crate::auth::password::RecentlyVerified;
use crate::auth::rate_limit::{LoginLimiter, RequestLimiter};
use crate::metering::Meter;

/// What every handler can reach (shared through `web::Data`).
pub(crate) struct AppState {
    pub catalog: Catalog,
    pub blobs: BlobStore,
    pub waker: Waker,
    pub editing: EditRenderer,
    pub config: ApiConfig,
    pub login_limiter: LoginLimiter,
    /// `None` when requests are not limited.
    pub request_limiter: Option<RequestLimiter>,
    pub meter: Meter,
    pub share_passwords: RecentlyVerified,
}
