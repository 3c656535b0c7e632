//! Removing credentials for good: a purge destroys every version's wrapped key
//! (crypto-shredding) and says in its event what went with it.

use credvault_store::credentials as store;
use deadpool_postgres::GenericClient;
use serde_json::Value;
use uuid::Uuid;

use crate::audit::{self, Event};
use crate::shares::audited;
use crate::{ServiceError, Services};

/// Purges a credential the caller has locked: its versions' wrapped keys are destroyed
/// (crypto-shredding), its shares, usage and workflow declarations go with it. Returns its
/// `credential.purged` event (for the caller to give a reason and append), which says what went:
/// how many versions, the shares (principals and levels, as in `credential.shares_changed`) and
/// the workflows that declared it.
pub async fn purge(
    tx: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    name: &str,
) -> Result<Event, ServiceError> {
    let shares: Vec<Value> = store::shares_of(tx, ws, id)
        .await?
        .iter()
        .map(audited)
        .collect();
    let gone = store::purge(tx, ws, id).await?;
    Ok(Event::new("credential.purged")
        .target("credential", id, Some(name.to_string()))
        .detail("versions_shredded", gone.versions)
        .detail("shares", shares)
        .detail("workflow_ids", gone.workflow_ids))
}

/// Purges soft-deleted credentials whose recovery window has passed: their versions' wrapped
/// keys are destroyed with them (crypto-shredding), each with its `credential.purged` event.
pub async fn purge_due(services: &Services) -> Result<usize, ServiceError> {
    let mut client = services.pool.get().await?;
    store::expire_idempotency_keys(&client).await?;
    let tx = client.transaction().await?;
    let mut due = store::lock_due_for_purge(&tx, 100).await?;
    // Chain heads are taken in workspace order, as the group-commit writer takes them.
    due.sort();
    let system = crate::principal::Actor {
        kind: "system",
        id: None,
        display: Some("credvault".into()),
        user_id: None,
    };
    for (ws, id, name) in &due {
        let ev = purge(&tx, *ws, *id, name)
            .await?
            .detail("reason", "recovery window passed");
        audit::record(&tx, *ws, &system, &crate::principal::Origin::default(), ev).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}
