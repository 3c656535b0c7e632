//! Shares as audit events name them, and taking away every share to a principal that goes.

use credvault_store::credentials as store;
use uuid::Uuid;

use crate::audit::Event;
use crate::ServiceError;

/// A credential's shares as its `credential.shares_changed` events list them.
pub async fn listed_shares(
    c: &impl deadpool_postgres::GenericClient,
    ws: Uuid,
    credential: Uuid,
) -> Result<Vec<serde_json::Value>, ServiceError> {
    Ok(store::shares_of(c, ws, credential)
        .await?
        .iter()
        .map(audited)
        .collect())
}

/// A share as audit events name it: principal type, id and level (never a display name, which
/// erasure may take away).
pub fn audited(s: &store::ShareRow) -> serde_json::Value {
    serde_json::json!({"type": s.principal_type, "id": s.principal_id, "access": s.access})
}

/// Takes away every share to a principal that is going away (a deleted team, an erased user).
/// Each credential that had one gets a new ETag and a `credential.shares_changed` event (returned,
/// for the caller to append) with `reason`. The credentials are locked in key order: call this
/// before anything else that locks credentials in the same transaction, and before the chain head.
pub async fn take_away_shares_to(
    tx: &impl deadpool_postgres::GenericClient,
    ws: Uuid,
    kind: &str,
    principal: Uuid,
    reason: &'static str,
) -> Result<Vec<Event>, ServiceError> {
    let credentials = credvault_store::workflows::lock_shared_to(tx, ws, kind, principal).await?;
    let gone = serde_json::json!({"type": kind, "id": principal});
    let mut events = Vec::with_capacity(credentials.len());
    for (id, name) in credentials {
        let before = listed_shares(tx, ws, id).await?;
        // What stays: every share but those to the principal going away.
        let after: Vec<_> = before
            .iter()
            .filter(|s| !(s["type"] == gone["type"] && s["id"] == gone["id"]))
            .cloned()
            .collect();
        events.push(
            Event::new("credential.shares_changed")
                .target("credential", id, Some(name))
                .detail("before", before)
                .detail("after", after)
                .detail("reason", reason),
        );
    }
    credvault_store::workflows::delete_shares_to(tx, ws, kind, principal).await?;
    Ok(events)
}
