//! Building and running the HTTP server (bind first, so tests can use port 0).

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpMessage, HttpServer, web};
use darkroom_storage::{BlobStore, Catalog};
use darkroom_workers::{EditRenderer, Waker};
use tracing_actix_web::{RequestId, TracingLogger};

use crate::ApiConfig;
use crate::auth::rate_limit::{LoginLimiter, RequestLimiter};
use crate::metering::Meter;
use crate::state::{AppState, DrainSwitch};

/// How often metered download counts are written to the catalog.
const METER_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// What the API needs from the rest of the system.
pub struct Services {
    pub catalog: Catalog,
    pub blobs: BlobStore,
    /// Wakes in-process workers after an enqueue (a no-op without them).
    pub waker: Waker,
    /// Renders edit previews and exports (on the CPU pool).
    pub editing: EditRenderer,
}

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Binds `config.listen` and prepares the server.
    pub fn build(config: ApiConfig, services: Services) -> std::io::Result<Self> {
        // Read first: a bad certificate file is a clear error at start.
        let tls = config
            .tls
            .as_ref()
            .map(crate::tls::server_config)
            .transpose()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let listener = TcpListener::bind(config.listen)?;
        let port = listener.local_addr()?.port();
        let http_workers = config.http_workers;
        let stop_timeout_secs = config.stop_timeout.as_secs();
        let body_stall = config.body_stall;
        let (header_timeout, keep_alive, max_connections) = (
            config.header_timeout,
            config.keep_alive,
            config.max_connections_per_worker,
        );
        let state = web::Data::new(AppState {
            store: darkroom_storage::Store::new(services.catalog.clone(), services.blobs.clone()),
            catalog: services.catalog,
            blobs: services.blobs,
            waker: services.waker,
            editing: services.editing,
            login_limiter: LoginLimiter::new(config.login_limits),
            request_limiter: config.request_limits.map(RequestLimiter::new),
            share_limiter: config
                .share_limits
                .map(|limits| RequestLimiter::labelled(limits, "shares")),
            meter: Meter::default(),
            share_passwords: Default::default(),
            shared_original_slots: crate::shared_originals::SharedOriginalSlots::new(
                config.shared_originals_at_once,
            ),
            draining: DrainSwitch::default(),
            config,
        });
        // Installed before the first request is counted.
        crate::Telemetry::global();
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .configure(crate::routes::configure)
                .wrap(actix_web::middleware::from_fn(
                    crate::auth::before_body::authenticate_before_body,
                ))
                .wrap(actix_web::middleware::from_fn(crate::etag::json_etags))
                .wrap(actix_web::middleware::from_fn(crate::openapi::swagger_csp))
                .wrap_fn(move |mut req, srv| {
                    crate::slow_clients::guard_body(&mut req, body_stall);
                    srv.call(req)
                })
                .wrap_fn(|req, srv| {
                    // Runs inside TracingLogger's span, which carries the
                    // request id: log one access line per request, and echo
                    // the id so clients can quote it.
                    let id = req.extensions().get::<RequestId>().copied();
                    let method = req.method().clone();
                    // Without share tokens (see request_log.rs).
                    let path = crate::request_log::redacted(req.path()).into_owned();
                    // The route's pattern, not the path: one series per
                    // route, not per photo.
                    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
                    let started = std::time::Instant::now();
                    let call = srv.call(req);
                    async move {
                        let mut response = call.await?;
                        let status = response.status().as_u16();
                        let elapsed = started.elapsed();
                        crate::prometheus::record_request(method.as_str(), &route, status, elapsed);
                        tracing::info!(
                            %method,
                            %path,
                            status,
                            elapsed_ms = elapsed.as_millis() as u64,
                            "request"
                        );
                        if let Some(id) = id
                            && let Ok(value) = HeaderValue::from_str(&id.to_string())
                        {
                            response
                                .headers_mut()
                                .insert(HeaderName::from_static("x-request-id"), value);
                        }
                        Ok(response)
                    }
                })
                .wrap(TracingLogger::<crate::request_log::RedactingRootSpan>::new())
        })
        // The binary handles SIGINT/SIGTERM: it drains first (see
        // `DrainSwitch`), then stops the server through its handle, which
        // gives requests in flight this long.
        .disable_signals()
        .shutdown_timeout(stop_timeout_secs)
        // Slow clients hold nothing long: headers in time, idle connections
        // closed, a bounded number served per worker (see docs/security.md).
        .client_request_timeout(header_timeout)
        .client_disconnect_timeout(std::time::Duration::from_secs(5))
        .keep_alive(keep_alive)
        .max_connections(max_connections);
        if let Some(n) = http_workers {
            server = server.workers(n);
        }
        let server = match tls {
            // Keeps each connection's client certificate for its requests.
            Some(tls) => server
                .on_connect(crate::tls::on_connect)
                .listen_rustls_0_23(listener, tls)?,
            None => server.listen(listener)?,
        }
        .run();
        Ok(Application {
            port,
            server,
            state,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Stops the server from elsewhere (a signal handler).
    pub fn stopper(&self) -> ServerStopper {
        ServerStopper(self.server.handle())
    }

    /// The switch that makes `/readyz` answer 503 before the server stops.
    pub fn drain_switch(&self) -> DrainSwitch {
        self.state.draining.clone()
    }

    /// Serves until stopped (by signal or handle), writing metered
    /// download counts every few seconds and once more at the end.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(METER_FLUSH_INTERVAL);
            loop {
                tick.tick().await;
                if let Err(e) = state.meter.flush(&state.catalog).await {
                    tracing::warn!(error = %e, "could not write usage counts; will retry");
                }
            }
        });
        let served = self.server.await;
        flusher.abort();
        if let Err(e) = self.state.meter.flush(&self.state.catalog).await {
            tracing::error!(error = %e, "could not write the last usage counts");
        }
        served
    }
}

/// Stops a running server.
#[derive(Clone)]
pub struct ServerStopper(ServerHandle);

impl ServerStopper {
    /// Closes the listener, then waits for requests in flight to finish (at
    /// most the configured stop timeout).
    pub async fn stop(&self) {
        self.0.stop(true).await;
    }
}

/// A second server for Prometheus alone, running from now on: `GET /metrics`
/// without credentials (bind it to a private address), for processes with
/// or without the API.
///
/// Returns the address it listens on (`listen` may have port 0).
pub fn serve_metrics(
    listen: std::net::SocketAddr,
    catalog: Catalog,
) -> std::io::Result<(ServerStopper, std::net::SocketAddr)> {
    let catalog = web::Data::new(catalog);
    let server = HttpServer::new(move || {
        App::new().app_data(catalog.clone()).route(
            "/metrics",
            web::get().to(crate::routes::metrics::open_metrics),
        )
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(listen)?;
    let bound = server.addrs().first().copied().unwrap_or(listen);
    let server = server.run();
    let stopper = ServerStopper(server.handle());
    tokio::spawn(server);
    Ok((stopper, bound))
}
