//! Refreshes nobody waits for: the background refresher, which refreshes the tokens of used
//! credentials ahead of their expiry, and the one-off refresh a resolve starts when it served a
//! token inside its refresh-ahead window.

use uuid::Uuid;

use super::{ensure_fresh, system, Outcome, Trigger};
use crate::principal::{Actor, Origin};
use crate::{ServiceError, Services};
use credvault_store::oauth as ostore;

/// The background refresher: tokens of credentials used in the last 30 days are refreshed
/// ahead of expiry, so a workflow rarely waits for one. Returns how many it found fresh afterwards
/// (refreshed here, or meanwhile by another instance).
pub async fn refresh_due(services: &Services) -> Result<usize, ServiceError> {
    let due = {
        let client = services.pool.get().await?;
        ostore::expire_states(&client).await?;
        credvault_store::sso::expire(&client).await?;
        ostore::due_for_refresh(&client, 50).await?
    };
    let mut refreshed = 0;
    for (ws, id) in due {
        let outcome = ensure_fresh(
            services,
            ws,
            id,
            Trigger::Background,
            &system(),
            &Origin::default(),
            super::freshness::refresh_ahead_due,
        )
        .await?;
        if matches!(outcome, Outcome::Fresh { .. }) {
            refreshed += 1;
        }
    }
    Ok(refreshed)
}

/// Actor for refreshes nobody asked for.
pub fn system_actor() -> Actor {
    system()
}

/// Refreshes a credential's token in a background task (one per credential per instance;
/// the lease makes it one across instances), for a resolve that served a token inside its
/// refresh-ahead window.
pub fn refresh_in_background(services: &std::sync::Arc<Services>, ws: Uuid, id: Uuid) {
    if !services.claim_background_refresh(id) {
        return;
    }
    let services = services.clone();
    tokio::spawn(async move {
        let needed = super::freshness::refresh_ahead_due;
        let actor = system_actor();
        let origin = Origin::default();
        if let Err(e) = ensure_fresh(
            &services,
            ws,
            id,
            Trigger::Background,
            &actor,
            &origin,
            needed,
        )
        .await
        {
            tracing::warn!(credential_id = %id, error = %e, "background token refresh failed");
        }
        services.release_background_refresh(id);
    });
}
