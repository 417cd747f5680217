use std::net::SocketAddr;

use darkroom_pipeline::{Limits, RenditionSpec};

/// How the HTTP API behaves.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// Upload and decode limits.
    pub limits: Limits,
    /// Renditions clients may ask for by name (the workers render these).
    pub renditions: Vec<RenditionSpec>,
    /// Attempts a render job gets before it is marked failed.
    pub job_attempts: u32,
    /// HTTP worker threads (default: one per core).
    pub http_workers: Option<usize>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            limits: Limits::default(),
            renditions: RenditionSpec::defaults(),
            job_attempts: 5,
            http_workers: None,
        }
    }
}
