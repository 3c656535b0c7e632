//! What a delivery says: `{type, timestamp, data}`, built from an audit event and the current
//! state of its subject. `data.credential` is the credential's summary as the API shows it (the
//! API hands its presenter to the dispatcher); no secret value is ever in it.

use std::collections::HashMap;
use std::sync::Arc;

use credvault_domain::audit::at_text;
use credvault_domain::events::EventType;
use credvault_store::audit::StoredEvent;
use credvault_store::credentials::{self as cstore, CredentialRow};
use deadpool_postgres::GenericClient;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::ServiceError;

/// Turns a credential into the summary a webhook receives (the API's `CredentialSummary`).
pub type Presenter = Arc<dyn Fn(&CredentialRow) -> Value + Send + Sync>;

/// Details an event type carries into `data` (from the audit event's details).
fn carried(t: EventType) -> &'static [&'static str] {
    match t {
        EventType::CredentialStatusChanged => &["from", "to", "reason"],
        EventType::CredentialExpiring => &["expires_at"],
        EventType::CredentialRotationDue => &["rotation_due_at"],
        EventType::CredentialRefreshFailed => &["error", "terminal"],
        EventType::CredentialRotated => &["version"],
        _ => &[],
    }
}

/// The current state of the credentials `events` are about, read in one query (a pass builds
/// many payloads).
pub async fn credentials_of(
    c: &impl GenericClient,
    ws: Uuid,
    events: &[(&StoredEvent, EventType)],
) -> Result<HashMap<Uuid, CredentialRow>, ServiceError> {
    let mut ids: Vec<Uuid> = events
        .iter()
        .filter(|(_, t)| t.subject() == "credential")
        .filter_map(|(e, _)| e.target_id.as_deref()?.parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = cstore::get_many(c, ws, &ids).await?;
    Ok(rows.into_iter().map(|r| (r.id, r)).collect())
}

/// The delivery's subject (what orders it) and its body; `credentials` holds the subjects'
/// current state ([`credentials_of`]).
pub fn build(
    present: &Presenter,
    e: &StoredEvent,
    t: EventType,
    credentials: &HashMap<Uuid, CredentialRow>,
) -> (String, String) {
    let subject = e.target_id.clone().unwrap_or_default();
    let mut data = Map::new();
    data.insert("workspace_id".into(), json!(e.workspace_id));
    data.insert("audit_seq".into(), json!(e.seq));
    data.insert(
        "actor".into(),
        json!({"type": e.actor_type, "id": e.actor_id, "display": e.actor_display}),
    );
    match t.subject() {
        "credential" => {
            let row = subject
                .parse::<Uuid>()
                .ok()
                .and_then(|id| credentials.get(&id));
            match row {
                Some(row) => data.insert("credential".into(), present(row)),
                // Purged since: only what the audit event says of it.
                None => data.insert(
                    "purged_credential".into(),
                    json!({"id": subject, "name": e.target_name}),
                ),
            };
        }
        "token" => {
            let kind = e.details.get("kind").cloned().unwrap_or(Value::Null);
            data.insert(
                "token".into(),
                json!({"id": subject, "name": e.target_name, "kind": kind}),
            );
        }
        _ => {
            data.insert(
                "user".into(),
                json!({"id": subject, "display_name": e.target_name}),
            );
        }
    }
    for key in carried(t) {
        if let Some(v) = e.details.get(*key) {
            data.insert((*key).into(), v.clone());
        }
    }
    let body = json!({"type": t.as_str(), "timestamp": at_text(e.at), "data": data});
    (subject, body.to_string())
}
