//! `darkroom serve`: the HTTP API with workers in the same process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use darkroom_api::{Application, Services};
use darkroom_storage::blobs::DEFAULT_STAGING_GRACE;
use darkroom_storage::maintenance::{COLLECTION_INTERVAL, GcPolicy, collect_garbage};
use darkroom_storage::{BlobStore, Catalog};
use darkroom_workers::{CpuPool, EditRenderer, Runner, Waker};

use super::process::{Signals, start_metrics_server};
use super::{JobArgs, ProcessArgs, StorageArgs};
use crate::settings::Settings;
/// Where the first `serve` leaves the administrator's credentials, in the data folder.
pub const FIRST_CREDENTIALS_FILE: &str = "admin-credentials.txt";

/// Writes the administrator's first password and token to
/// [`FIRST_CREDENTIALS_FILE`] in `data_dir`, created afresh with mode 0600.
fn write_first_credentials(
    data_dir: &std::path::Path,
    listen: &std::net::SocketAddr,
    password: &str,
    token: &str,
) -> anyhow::Result<std::path::PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let path = data_dir.join(FIRST_CREDENTIALS_FILE);
    // A stale file (from an earlier catalog) is replaced, not reused: a new
    // file gets the mode below whatever the old one had.
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("replacing {}", path.display()));
        }
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    writeln!(
        file,
        "# darkroom's administrator account, created by the first `darkroom serve`.\n\
         # Only hashes of these are stored: keep them somewhere safe, then delete this file.\n\
         user: admin\n\
         password: {password}\n\
         api token: {token}\n\
         # Web gallery: http://{listen}/   API: curl -H \"Authorization: Bearer <api token>\" \
         http://{listen}/api/v1/assets"
    )
    .and_then(|()| file.sync_all())
    .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

pub async fn run(settings: Settings, _args: &ServeArgs) -> anyhow::Result<()> {
    // Before any work, so that nothing goes uncounted.
    darkroom_api::Telemetry::global();
    let signals = Signals::listen();
    let (catalog, blobs) = open_storage(&settings).await?;
    if let Some(token) = catalog.bootstrap_admin().await? {
        // A password for the web gallery too, so that the first run needs
        // nothing else. Both are shown exactly once: only hashes are stored.
        let password = darkroom_api::generate_password();
        let hash = {
            let password = password.clone();
            tokio::task::spawn_blocking(move || darkroom_api::hash_password(&password))
                .await?
                .map_err(|e| anyhow::anyhow!("{e}"))?
        };
        let admin = catalog
            .find_user_by_name("admin")
            .await?
            .context("the administrator just created")?;
        catalog.set_password_hash(&admin.id, &hash).await?;
        let at = &settings.api.listen;
        // Into a file only its owner can read, not onto the terminal: a
        // terminal's output ends up in scrollback, CI logs and journald.
        let file = write_first_credentials(&settings.data_dir, at, &password, &token.secret)?;
        println!("Created the administrator account \"admin\".");
        println!(
            "Its web password and API token are in {} (readable only by you, shown nowhere \
             else: only their hashes are stored). Delete the file once you have them.",
            file.display()
        );
        println!("Change the password with: darkroom admin set-password admin");
    }
    tokio::spawn(maintain_periodically(
        catalog.clone(),
        blobs.clone(),
        settings.gc,
    ));

    let (stop, stopped) = tokio::sync::watch::channel(false);
    // One pool for the render jobs and the edit previews: the cores are
    // shared either way, and a slider waits behind at most one render.
    let pool = CpuPool::new(None);
    let editing = EditRenderer::new(pool.clone(), &settings.workers);
    let (waker, workers) = if settings.workers.concurrency > 0 {
        let runner = Runner::new(
            catalog.clone(),
            blobs.clone(),
            pool,
            settings.workers.clone(),
        );
        (runner.waker(), Some(tokio::spawn(runner.run(stopped))))
    } else {
        (Waker::default(), None)
    };
    let app = Application::build(
        settings.api.clone(),
        Services {
            catalog: catalog.clone(),
            blobs,
            waker,
            editing,
        },
    )
    .with_context(|| format!("cannot listen on {}", settings.api.listen))?;
    tokio::spawn(stop_gracefully(
        signals.clone(),
        app.drain_switch(),
        app.stopper(),
        settings.process.drain,
    ));
    let scheme = if settings.api.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(
        address = %settings.api.listen.ip(),
        port = app.port(),
        tls = settings.api.tls.is_some(),
        mutual_tls = settings.api.tls.as_ref().is_some_and(|t| t.client_ca.is_some()),
        "darkroom is listening on {scheme}://{}:{}",
        settings.api.listen.ip(),
        app.port()
    );
    let metrics_server = start_metrics_server(&settings, &catalog)?;
    app.run_until_stopped().await?;
    tracing::info!(
        grace_secs = settings.process.stop_timeout.as_secs(),
        "HTTP stopped; finishing jobs in progress (unfinished ones go back to the queue)"
    );
    let _ = stop.send(true);
    if let Some(workers) = workers {
        let _ = workers.await;
    }
    if let Some(server) = metrics_server {
        server.stop().await;
    }
    catalog.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The first SIGTERM/SIGINT: `/readyz` answers 503 for `drain` while
/// requests are still served, so that a load balancer takes this process out
/// of rotation; then the listener closes and requests in flight finish (as
/// long as the stop timeout allows).
async fn stop_gracefully(
    mut signals: Signals,
    drain_switch: darkroom_api::DrainSwitch,
    server: darkroom_api::ServerStopper,
    drain: Duration,
) {
    signals.first().await;
    tracing::info!(
        drain_secs = drain.as_secs(),
        "stopping: /readyz answers 503 while the load balancer takes this process out"
    );
    drain_switch.start();
    tokio::time::sleep(drain).await;
    tracing::info!("closing the listener; finishing requests in flight");
    server.stop().await;
}

/// Connects the catalog (creating the data folder for SQLite) and migrates it.
pub async fn open_catalog(settings: &Settings) -> anyhow::Result<Catalog> {
    if settings.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data folder {}", settings.data_dir.display()))?;
    }
    let catalog = Catalog::connect(&settings.database_url)
        .await
        .context("opening the catalog")?;
    catalog.migrate().await.context("migrating the catalog")?;
    Ok(catalog.replicating_blobs(settings.replica_blobs.is_some()))
}

/// Opens both stores and clears staging uploads a crashed process left behind.
pub async fn open_storage(settings: &Settings) -> anyhow::Result<(Catalog, BlobStore)> {
    let catalog = open_catalog(settings).await?;
    let blobs = settings.open_blobs()?;
    tracing::info!(
        catalog = ?catalog.dialect(),
        blobs = blobs.describe(),
        replica = blobs.replica_only().map(BlobStore::describe),
        "storage ready"
    );
    blobs
        .sweep_staging(DEFAULT_STAGING_GRACE)
        .await
        .context("sweeping the staging area")?;
    Ok((catalog, blobs))
}

/// At start, the query planner's statistics; then every ten minutes: purge
/// expired trash, collect unreferenced blobs past their grace period, sweep
/// abandoned staging uploads, drop dead sessions, and refresh the statistics
/// where the catalog has grown or shrunk a lot. Several servers sharing
/// storage may all do this: each step is safe to race.
async fn maintain_periodically(catalog: Catalog, blobs: BlobStore, policy: GcPolicy) {
    refresh_statistics(&catalog).await;
    loop {
        tokio::time::sleep(COLLECTION_INTERVAL).await;
        if let Err(e) = collect_garbage(&catalog, &blobs, policy).await {
            tracing::warn!(error = %e, "garbage collection failed; will retry");
        }
        if let Err(e) = catalog.delete_expired_sessions().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
        refresh_statistics(&catalog).await;
    }
}

/// SQLite plans its queries from statistics only `ANALYZE` writes: without
/// them, some listings read the wrong index at a million photos.
async fn refresh_statistics(catalog: &Catalog) {
    match catalog.refresh_statistics().await {
        Ok(refresh) if !refresh.tables.is_empty() => tracing::info!(
            tables = %refresh.tables.join(","),
            elapsed_ms = refresh.elapsed_ms,
            "catalog statistics refreshed"
        ),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not refresh the catalog's statistics; will retry")
        }
    }
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "DARKROOM_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Largest upload accepted, in bytes [default: 1 GiB].
    #[arg(long, env = "DARKROOM_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Serve HTTPS with this PEM certificate chain (leaf first; with --tls-key).
    #[arg(long, env = "DARKROOM_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "DARKROOM_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Ask clients for certificates signed by this PEM CA (mutual TLS): API
    /// tokens bound to a certificate work only over a connection presenting it.
    #[arg(long, env = "DARKROOM_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,
    /// Clients reach the service over HTTPS through a proxy that terminates
    /// it: session cookies are marked Secure whatever the proxy says.
    #[arg(long, env = "DARKROOM_BEHIND_HTTPS")]
    pub behind_https: bool,
}
