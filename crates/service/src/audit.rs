//! The audit writer: every mutation records its event in the same transaction as the change.
//! Events are chained per workspace: `hash = SHA-256(prev_hash ‖ canonical event)`, where the
//! canonical form leaves out the personal-data fields so that erasure can pseudonymise them.

use credvault_store::audit as store;
use deadpool_postgres::GenericClient;
use serde_json::Value;
use uuid::Uuid;

use crate::error::ServiceError;

pub use crate::principal::{Actor, Origin};

/// One event to record.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub outcome: &'static str,
    pub details: Value,
}

impl Event {
    pub fn new(action: &'static str) -> Event {
        Event {
            action,
            target_type: None,
            target_id: None,
            target_name: None,
            outcome: "success",
            details: Value::Object(Default::default()),
        }
    }

    pub fn target(mut self, kind: &'static str, id: impl ToString, name: Option<String>) -> Event {
        self.target_type = Some(kind);
        self.target_id = Some(id.to_string());
        self.target_name = name;
        self
    }

    pub fn outcome(mut self, outcome: &'static str) -> Event {
        self.outcome = outcome;
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Event {
        if let Value::Object(m) = &mut self.details {
            m.insert(key.to_string(), value.into());
        }
        self
    }
}

/// Records `event` inside the caller's transaction.
pub async fn record(
    c: &impl GenericClient,
    ws: Uuid,
    actor: &Actor,
    origin: &Origin,
    event: Event,
) -> Result<(), ServiceError> {
    record_many(c, ws, &[(actor.clone(), origin.clone(), event)]).await
}

/// Records several events of one workspace in one statement, unchained: the sequencer links them
/// once the caller's transaction has committed (no chain lock is held, so changes commit in
/// parallel). Inside `ChainWatch::record` or `collect` they are noted (see `audit_chain`).
pub async fn record_many(
    c: &impl GenericClient,
    ws: Uuid,
    items: &[(Actor, Origin, Event)],
) -> Result<(), ServiceError> {
    let events: Vec<(Uuid, Event)> = items
        .iter()
        .map(|(actor, _, event)| {
            let mut event = event.clone();
            if let (Some(user_id), Value::Object(m)) = (actor.user_id, &mut event.details) {
                m.insert("user_id".into(), Value::String(user_id.to_string()));
            }
            (Uuid::now_v7(), event)
        })
        .collect();
    let rows: Vec<store::NewEvent> = items
        .iter()
        .zip(&events)
        .map(|((actor, origin, _), (id, event))| store::NewEvent {
            id: *id,
            actor_type: actor.kind,
            actor_id: actor.id,
            actor_display: actor.display.as_deref(),
            action: event.action,
            target_type: event.target_type,
            target_id: event.target_id.as_deref(),
            target_name: event.target_name.as_deref(),
            outcome: event.outcome,
            ip: origin.ip.as_deref(),
            user_agent: origin.user_agent.as_deref(),
            request_id: origin.request_id.as_deref(),
            details: &event.details,
        })
        .collect();
    let appended = store::append_events(c, ws, None, &rows).await?;
    // The request (or batch) running this wakes the sequencer for them, and announces its
    // cache invalidations or waits for them to be chained (`audit_chain`).
    crate::audit_chain::recorded(&appended.ords, appended.xid);
    Ok(())
}

pub use crate::chain_keys::chain_hash;

pub use crate::audit_verify::{verify, verify_with_progress, Verification};

/// What a principal does is recorded under its name.
impl crate::principal::Principal {
    /// Appends events by this principal, in its workspace, in one statement (see
    /// `audit::record_many`).
    pub async fn record(
        &self,
        c: &impl deadpool_postgres::GenericClient,
        events: impl IntoIterator<Item = crate::audit::Event>,
    ) -> Result<(), crate::ServiceError> {
        let items: Vec<_> = events
            .into_iter()
            .map(|e| (self.actor.clone(), self.origin.clone(), e))
            .collect();
        record_many(c, self.workspace_id, &items).await
    }
}
