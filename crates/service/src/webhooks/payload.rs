//! What a delivery says: `{type, timestamp, data}`, built from an audit event and the current
//! state of its subject. `data.credential` is the credential's summary as the API shows it (the
//! API hands its presenter to the dispatcher); no secret value is ever in it.

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

/// The delivery's subject (what orders it) and its body.
pub async fn build(
    c: &impl GenericClient,
    present: &Presenter,
    e: &StoredEvent,
    t: EventType,
) -> Result<(String, String), ServiceError> {
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
            let row = match subject.parse::<Uuid>() {
                Ok(id) => cstore::get(c, e.workspace_id, id).await?,
                Err(_) => None,
            };
            match row {
                Some(row) => data.insert("credential".into(), present(&row)),
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
    Ok((subject, body.to_string()))
}
