//! Start-up: `Application::build` connects, migrates and binds (port 0 in tests), over HTTPS
//! when a certificate is configured; `run_until_stopped` serves until SIGINT/SIGTERM, then drains
//! and closes the pool, reloading the certificate on SIGHUP meanwhile.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use credvault_crypto::Envelope;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as DocsConfig, SwaggerUi};

use crate::config::Settings;
use crate::error::{json_error, path_error, query_error};
use crate::metrics::Metrics;
use crate::middleware::{not_found, request_context};
use crate::state::AppState;

/// Bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let pool = credvault_store::connect(&settings.database_url, settings.db_pool_size)
            .context("DATABASE_URL")?;
        // The first connection says whether the database is there and, over TLS, whether its
        // certificate verifies: either way one line naming DATABASE_URL and the reason.
        drop(pool.get().await.map_err(|e| {
            anyhow::anyhow!(
                "DATABASE_URL: cannot connect to the database: {}",
                chain(&e)
            )
        })?);
        let applied = credvault_store::migrate::run(&pool).await.context(
            "cannot apply database migrations (is DATABASE_URL right and the database up?)",
        )?;
        if !applied.is_empty() {
            tracing::info!(?applied, "database migrated");
        }
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {} (CREDVAULT_BIND)", settings.bind))?;
        let port = listener.local_addr()?.port();
        let envelope = Envelope::new(settings.keyring.clone());
        let metrics = web::Data::new(Metrics::new()?);
        let tls = credvault_store::pool::config(&settings.database_url)?.tls;
        let (usage, _writer) = crate::usage::UsageWriter::start(
            pool.clone(),
            tls,
            metrics.commits(),
            metrics.chain_waits(),
        );
        let outbound =
            crate::outbound::Outbound::new(&settings.outbound_allow, settings.outbound_timeout)
                .context("cannot set up the outbound HTTP client")?;
        let services = credvault_service::Services::new(
            pool,
            envelope,
            credvault_service::services::ServiceSettings {
                public_url: settings.public_url.clone(),
                signup: settings.signup,
                recovery_days: settings.recovery_days,
                sessions: settings.sessions,
            },
            &settings.jwt_secret,
            usage,
            outbound,
            settings.events.clone(),
        );
        let state = AppState::new(services, settings);
        tokio::spawn(crate::cache::listen(
            state.cache.clone(),
            state.hub.clone(),
            state.settings.database_url.clone(),
            state.pool.clone(),
        ));
        tokio::spawn(credvault_service::sequencer::run(
            state.chain.clone(),
            state.usage.lane.clone(),
            state.settings.database_url.clone(),
            state.pool.clone(),
            state.chain_keys.clone(),
        ));
        let spec = web::Data::new(crate::openapi::spec_json());

        let tls = state.settings.tls.clone();
        let (workers, per_worker) = connection_split(state.settings.max_connections);
        let client_timeout = state.settings.client_timeout;
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .configure(crate::routes::configure)
                .split_for_parts();
            app.app_data(web::Data::new(app_state.clone()))
                .app_data(metrics.clone())
                .app_data(spec.clone())
                .configure(extractor_config)
                .route("/openapi.json", web::get().to(openapi_json))
                .route("/docs", web::get().to(docs_index))
                .route("/docs/", web::get().to(docs_index))
                .service(SwaggerUi::new("/docs/{_:.*}").config(docs_config()))
                .default_service(web::to(not_found))
                .wrap(from_fn(request_context))
        })
        .workers(workers)
        .max_connections(per_worker)
        .client_request_timeout(client_timeout)
        .client_disconnect_timeout(Duration::from_secs(2))
        .disable_signals()
        .shutdown_timeout(10);
        let server = match tls {
            Some(store) => {
                let config = store
                    .server_config()
                    .context("cannot set up TLS (CREDVAULT_TLS_CERT, CREDVAULT_TLS_KEY)")?;
                server
                    .tls_handshake_timeout(client_timeout)
                    .listen_rustls_0_23(listener, config)?
            }
            None => server.listen(listener)?,
        }
        .run();
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server from outside (`stop(true)` drains first); the
    /// `run_until_stopped` future then closes the pool, which ends the cache listener too.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT or SIGTERM (or until the server stops), then stops accepting,
    /// finishes in-flight requests (up to 10 s) and closes the database pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let state = self.state.clone();
        let flusher_state = state.clone();
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                flusher_state.flush_token_uses().await;
            }
        });
        let purger_state = state.clone();
        let purger = tokio::spawn(async move {
            let mut tick = tokio::time::interval(purger_state.settings.purge_interval);
            loop {
                tick.tick().await;
                match crate::credentials::purge_due(&purger_state).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        purged = n,
                        "purged deleted credentials past their recovery window"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "purge of deleted credentials failed; will retry")
                    }
                }
            }
        });
        let refresher_state = state.clone();
        let refresher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(refresher_state.settings.refresh_interval);
            loop {
                tick.tick().await;
                match crate::oauth::refresh_due(&refresher_state).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(credentials = n, "OAuth2 tokens nearing expiry are fresh (refreshed here or by another instance)")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "background OAuth2 refresh failed; will retry")
                    }
                }
            }
        });
        let months = crate::workers::start_months(&state);
        let (dispatcher, events) = crate::workers::start_events(&state);
        let reloader = state
            .settings
            .tls
            .clone()
            .map(|store| tokio::spawn(reload_on_sighup(store)));
        let mut server = tokio::spawn(self.server);
        tokio::select! {
            res = &mut server => {
                flusher.abort();
                purger.abort();
                refresher.abort();
                months.abort();
                events.iter().for_each(|t| t.abort());
                dispatcher.release().await;
                if let Some(r) = &reloader {
                    r.abort();
                }
                state.flush_token_uses().await;
                state.pool.close();
                return res.map_err(std::io::Error::other)?;
            }
            _ = shutdown_signal() => {}
        }
        tracing::info!("shutting down: draining in-flight requests");
        state
            .draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // Give load balancers time to see /readyz fail before the listener closes.
        tokio::time::sleep(state.settings.drain_grace).await;
        tracing::info!("shutting down: listener closed, waiting for requests in flight");
        handle.stop(true).await;
        let res = server.await.map_err(std::io::Error::other)?;
        flusher.abort();
        purger.abort();
        refresher.abort();
        months.abort();
        events.iter().for_each(|t| t.abort());
        dispatcher.release().await;
        if let Some(r) = &reloader {
            r.abort();
        }
        state.flush_token_uses().await;
        state.pool.close();
        tracing::info!("stopped");
        res
    }
}

/// How bodies, queries and paths are read: limits, and errors rendered from our table.
pub fn extractor_config(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY)
            .error_handler(json_error),
    )
    .app_data(web::PayloadConfig::new(MAX_BODY))
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PathConfig::default().error_handler(path_error));
}

/// An error and its causes on one line (a TLS failure's reason is a few causes deep).
fn chain(e: &dyn std::error::Error) -> String {
    // The pool's own wrapper says nothing the causes do not.
    let mut parts: Vec<String> = Some(e.to_string())
        .filter(|t| !t.starts_with("Error occurred while creating a new object"))
        .into_iter()
        .collect();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.join(": ")
}

/// Workers and connections per worker for a total cap: actix counts connections per worker, so
/// the cap is split between them, with no more workers than connections.
fn connection_split(max_connections: usize) -> (usize, usize) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.min(max_connections).max(1);
    (workers, (max_connections / workers).max(1))
}

/// On SIGHUP, reads the certificate and key again; a bad pair leaves the served one in place.
async fn reload_on_sighup(store: Arc<crate::tls::CertStore>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP: the certificate will not be reloaded");
                return;
            }
        };
        while hup.recv().await.is_some() {
            match store.reload() {
                Ok(()) => tracing::info!("SIGHUP: TLS certificate reloaded"),
                Err(e) => tracing::error!(
                    error = %e,
                    "SIGHUP: TLS certificate not reloaded; still serving the previous one"
                ),
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = store;
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn openapi_json(spec: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(spec.get_ref().clone())
}

/// Swagger UI reading the served spec; no call to the public validator (the page's CSP would
/// refuse its badge anyway, and the spec need not leave the deployment).
fn docs_config() -> DocsConfig<'static> {
    DocsConfig::new(["/openapi.json"]).validator_url("none")
}

/// The docs page, at `/docs` and `/docs/`, with absolute asset paths so it works at either.
async fn docs_index() -> HttpResponse {
    let config = Arc::new(docs_config());
    match utoipa_swagger_ui::serve("index.html", config) {
        Ok(Some(file)) => {
            let html = String::from_utf8_lossy(&file.bytes)
                .replace("href=\"./", "href=\"/docs/")
                .replace("src=\"./", "src=\"/docs/")
                .replace("href=\"index.css\"", "href=\"/docs/index.css\"");
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(html)
        }
        _ => HttpResponse::Found()
            .insert_header(("Location", "/docs/index.html"))
            .finish(),
    }
}
