//! What the long-running commands (`serve`, `worker`) share about their
//! life as a process: the stop signals, and the `--metrics-listen` server.

use anyhow::Context;
use darkroom_storage::Catalog;

use crate::settings::Settings;

/// `--metrics-listen`: a second server with `/metrics` alone, no credentials.
pub fn start_metrics_server(
    settings: &Settings,
    catalog: &Catalog,
) -> anyhow::Result<Option<darkroom_api::ServerStopper>> {
    let Some(address) = settings.process.metrics_listen else {
        return Ok(None);
    };
    let (server, bound) = darkroom_api::serve_metrics(address, catalog.clone())
        .with_context(|| format!("cannot listen on {address} for metrics"))?;
    tracing::info!(address = %bound, "metrics at http://{bound}/metrics");
    Ok(Some(server))
}

/// SIGINT and SIGTERM, counted: the first starts a graceful stop, the
/// second (from an impatient operator or a supervisor) ends the process at
/// once, whatever it was doing. Unacknowledged uploads are lost, never
/// stored ones; leased jobs go to another worker when their lease runs out.
#[derive(Clone)]
pub struct Signals(tokio::sync::watch::Receiver<u32>);

impl Signals {
    /// Starts listening (call early: signals before this end the process).
    pub fn listen() -> Self {
        let (count, counted) = tokio::sync::watch::channel(0u32);
        tokio::spawn(async move {
            loop {
                next_signal().await;
                count.send_modify(|n| *n += 1);
                if *count.borrow() >= 2 {
                    tracing::warn!("second stop signal: stopping at once");
                    std::process::exit(130);
                }
            }
        });
        Signals(counted)
    }

    /// Resolves once the first signal has arrived.
    pub async fn first(&mut self) {
        let _ = self.0.wait_for(|n| *n >= 1).await;
    }
}

/// Resolves on the next SIGINT or SIGTERM.
async fn next_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
