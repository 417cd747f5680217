use darkroom_workers::{CpuPool, Runner};

use super::WorkerArgs;
use crate::settings::Settings;

/// `darkroom worker`: lease and run jobs until SIGINT/SIGTERM, no HTTP.
pub async fn run(settings: Settings, _args: &WorkerArgs) -> anyhow::Result<()> {
    let (catalog, blobs) = super::serve::open_storage(&settings).await?;
    anyhow::ensure!(
        settings.workers.concurrency > 0,
        "--workers must be at least 1 for `darkroom worker`"
    );
    let runner = Runner::new(catalog.clone(), blobs, CpuPool::new(None), settings.workers);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(runner.run(stopped));
    super::serve::shutdown_signal().await;
    tracing::info!("stopping: finishing jobs in progress");
    let _ = stop.send(true);
    let _ = workers.await;
    catalog.close().await;
    Ok(())
}
