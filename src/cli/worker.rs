use clap::Args;
use darkroom_workers::{CpuPool, Runner};

use super::process::{Signals, start_metrics_server};
use super::{JobArgs, ProcessArgs, StorageArgs};
use crate::settings::Settings;
/// `darkroom worker`: lease and run jobs until SIGINT/SIGTERM, no HTTP.
pub async fn run(settings: Settings, _args: &WorkerArgs) -> anyhow::Result<()> {
    darkroom_api::Telemetry::global();
    let mut signals = Signals::listen();
    let (catalog, blobs) = super::serve::open_storage(&settings).await?;
    anyhow::ensure!(
        settings.workers.concurrency > 0,
        "--workers must be at least 1 for `darkroom worker`"
    );
    let metrics_server = start_metrics_server(&settings, &catalog)?;
    let process = settings.process;
    let runner = Runner::new(catalog.clone(), blobs, CpuPool::new(None), settings.workers);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(runner.run(stopped));
    signals.first().await;
    tracing::info!(
        grace_secs = process.stop_timeout.as_secs(),
        "stopping: finishing jobs in progress (unfinished ones go back to the queue)"
    );
    let _ = stop.send(true);
    let _ = workers.await;
    if let Some(server) = metrics_server {
        server.stop().await;
    }
    catalog.close().await;
    tracing::info!("stopped");
    Ok(())
}

#[derive(Args, Debug)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
    #[command(flatten)]
    pub process: ProcessArgs,
}
