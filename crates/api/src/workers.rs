//! The background workers started beside the server (besides the OAuth refresher and the cache
//! listener): the webhook dispatcher, the time-based credential events, and the audit log's
//! monthly partitions. Each runs until aborted at shutdown.

use std::sync::Arc;
use std::time::Duration;

use crate::state::AppState;

/// The audit log's months: created ahead, and dropped past retention (at start, then hourly).
pub(crate) fn start_months(state: &Arc<AppState>) -> tokio::task::JoinHandle<()> {
    let months_state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let days = months_state.settings.audit_retention_days;
            let run = credvault_service::audit_retention::maintain(
                &months_state,
                days,
                chrono::Utc::now(),
            );
            if let Err(e) = run.await {
                tracing::warn!(error = %e, "audit partition upkeep failed; will retry");
            }
        }
    })
}

/// Starts the webhook dispatcher and the job that announces expiring and rotation-due
/// credentials; the dispatcher gives up its leases at shutdown.
pub(crate) fn start_events(
    state: &Arc<AppState>,
) -> (
    Arc<credvault_service::webhooks::dispatch::Dispatcher>,
    [tokio::task::JoinHandle<()>; 2],
) {
    use credvault_domain::credential_access::Access;
    let present: credvault_service::webhooks::payload::Presenter = Arc::new(|row| {
        let summary = crate::routes::credentials::presentation::summary(row, Access::Manage);
        serde_json::to_value(summary).unwrap_or_default()
    });
    let dispatcher =
        credvault_service::webhooks::dispatch::Dispatcher::new(state.services.clone(), present);
    let run = tokio::spawn(dispatcher.clone().run());
    let timed_state = state.clone();
    let timed = tokio::spawn(async move {
        let mut tick = tokio::time::interval(timed_state.events.timed_interval);
        loop {
            tick.tick().await;
            match credvault_service::webhooks::timed::announce_due(&timed_state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    events = n,
                    "announced expiring and rotation-due credentials"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "time-based credential events failed; will retry")
                }
            }
        }
    });
    (dispatcher, [run, timed])
}
