//! The audit writer: every mutation records its event in the same transaction as the change.
//! Events are chained per workspace: `hash = SHA-256(prev_hash ‖ canonical event)`, where the
//! canonical form leaves out the personal-data fields so that erasure can pseudonymise them.

use chrono::{DateTime, Utc};
use credvault_domain::audit::{canonical_bytes, canonical_parts, ChainedFields};
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

/// Appends `event` to the workspace's chain inside the caller's transaction.
pub async fn record(
    c: &impl GenericClient,
    ws: Uuid,
    actor: &Actor,
    origin: &Origin,
    event: Event,
) -> Result<(), ServiceError> {
    record_many(c, ws, &[(actor.clone(), origin.clone(), event)]).await
}

/// Appends several events to one workspace's chain in one statement. The head stays locked
/// until the caller's transaction ends, so appends never fork the chain.
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
        .map(|((actor, origin, _), (id, event))| {
            let canonical = canonical_parts(&ChainedFields {
                workspace_id: ws,
                // `seq` and `at` are the chain's to assign: the parts leave them open.
                seq: 0,
                id: *id,
                at: DateTime::<Utc>::UNIX_EPOCH,
                actor_type: actor.kind,
                actor_id: actor.id,
                action: event.action,
                target_type: event.target_type,
                target_id: event.target_id.as_deref(),
                outcome: event.outcome,
                request_id: origin.request_id.as_deref(),
                details: &event.details,
            });
            store::NewEvent {
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
                canonical,
            }
        })
        .collect();
    store::append_events(c, ws, None, &rows).await?;
    Ok(())
}

pub fn chain_hash(prev: &[u8], canonical: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(prev.len() + canonical.len());
    buf.extend_from_slice(prev);
    buf.extend_from_slice(canonical);
    credvault_crypto::sha256(&buf)
}

/// Result of walking a workspace's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub ok: bool,
    pub events_checked: i64,
    pub first_bad_seq: Option<i64>,
}

/// Walks the chain in batches, recomputing every hash.
pub async fn verify(c: &impl GenericClient, ws: Uuid) -> Result<Verification, ServiceError> {
    verify_with_progress(c, ws, |_| {}).await
}

/// `verify`, reporting how many events it has checked after every batch.
pub async fn verify_with_progress(
    c: &impl GenericClient,
    ws: Uuid,
    mut progress: impl FnMut(i64),
) -> Result<Verification, ServiceError> {
    let mut prev = vec![0u8; 32];
    let mut expected_seq = 1i64;
    let mut checked = 0i64;
    loop {
        let batch = store::events_after(c, ws, expected_seq - 1, 1000).await?;
        if batch.is_empty() {
            // The walk must end where the head says the chain ends: a cut-off tail is tampering too.
            let head = store::head(c, ws).await?;
            let whole = match head {
                None => checked == 0,
                Some((seq, hash)) => seq == checked && (checked == 0 || hash == prev),
            };
            return Ok(Verification {
                ok: whole,
                events_checked: checked,
                first_bad_seq: (!whole).then_some(checked + 1),
            });
        }
        progress(checked);
        for e in batch {
            let fields = ChainedFields {
                workspace_id: e.workspace_id,
                seq: e.seq,
                id: e.id,
                at: e.at,
                actor_type: &e.actor_type,
                actor_id: e.actor_id,
                action: &e.action,
                target_type: e.target_type.as_deref(),
                target_id: e.target_id.as_deref(),
                outcome: &e.outcome,
                request_id: e.request_id.as_deref(),
                details: &e.details,
            };
            let good = e.seq == expected_seq
                && e.prev_hash == prev
                && chain_hash(&prev, &canonical_bytes(&fields)).as_slice() == e.hash;
            if !good {
                return Ok(Verification {
                    ok: false,
                    events_checked: checked,
                    first_bad_seq: Some(expected_seq.min(e.seq)),
                });
            }
            checked += 1;
            expected_seq += 1;
            prev = e.hash;
        }
    }
}

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
