//! Time-based credential events: `credential.expiring` (expires_at within 14 days, once per
//! expiry), `credential.rotation_due` (rotation_due_at passed, once per due date) and
//! `credential.status_changed` to `expired` when expires_at passes. They are written to the audit
//! log as the system's events, so webhooks hear of them like of every other.

use std::collections::BTreeMap;

use credvault_domain::events::StatusChangeReason;
use credvault_store::webhooks as store;
use uuid::Uuid;

use crate::audit::{record_many, Actor, Event, Origin};
use crate::{ServiceError, Services};

/// Days before expiry that `credential.expiring` is sent.
pub const EXPIRING_DAYS: i32 = 14;
/// The advisory lock one instance holds while announcing ("cvtimed!").
const LOCK_KEY: i64 = 0x6376_7469_6d65_6421;

/// Announces what fell due; returns how many events were written.
pub async fn announce_due(services: &Services) -> Result<usize, ServiceError> {
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    if !store::try_xact_lock(&tx, LOCK_KEY).await? {
        return Ok(0);
    }
    let mut per_ws: BTreeMap<Uuid, Vec<(Actor, Origin, Event)>> = BTreeMap::new();
    for kind in ["expiring", "rotation_due", "expired"] {
        for (ws, id, name, at, status) in
            store::claim_due_marks(&tx, kind, EXPIRING_DAYS, 1000).await?
        {
            let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let ev = match kind {
                "expiring" => Event::new("credential.expiring").detail("expires_at", at_text),
                "rotation_due" => {
                    Event::new("credential.rotation_due").detail("rotation_due_at", at_text)
                }
                _ if status == "expired" => continue,
                _ => Event::new("credential.status_changed")
                    .detail("from", status)
                    .detail("to", "expired")
                    .detail("reason", StatusChangeReason::ExpiresAtPassed.as_str())
                    .detail("expires_at", at_text),
            };
            let ev = ev.target("credential", id, Some(name));
            per_ws
                .entry(ws)
                .or_default()
                .push((crate::oauth::system(), Origin::default(), ev));
        }
    }
    let mut n = 0;
    for (ws, items) in per_ws {
        n += items.len();
        record_many(&tx, ws, &items).await?;
    }
    tx.commit().await?;
    Ok(n)
}
