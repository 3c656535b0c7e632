//! Archives of the audit log: a month's events as NDJSON plus, per workspace, a checkpoint of
//! where its part of the chain starts and ends, the end signed like `GET /v1/audit/checkpoint`.
//! An archive is checked offline with the keyring: every link recomputed, and the signature.

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use credvault_domain::audit::at_text;
use credvault_store::audit::StoredEvent;
use credvault_store::audit_partitions::{self as store, Month};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit_checkpoint::{checkpoint_message, hex};
use crate::audit_verify::Walker;
use crate::chain_keys::ChainKeys;
use crate::ServiceError;

/// One archived event: every column, hashes in hex.
#[derive(Debug, Serialize, Deserialize)]
pub struct ArchivedEvent {
    pub workspace_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub at: String,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_display: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// Where a workspace's part of an archived month starts and ends; `signature` (base64, Ed25519
/// by the checkpoint key derived from master key `key_id`) covers the end.
#[derive(Debug, Serialize, Deserialize)]
pub struct ArchiveCheckpoint {
    pub workspace_id: Uuid,
    pub first_seq: i64,
    pub first_prev_hash: String,
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub key_id: String,
    pub public_key: String,
    pub signature: String,
}

/// An archived month's manifest.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub partition: String,
    pub from: String,
    pub to: String,
    pub events: usize,
    pub checkpoints: Vec<ArchiveCheckpoint>,
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl From<&StoredEvent> for ArchivedEvent {
    fn from(e: &StoredEvent) -> Self {
        ArchivedEvent {
            workspace_id: e.workspace_id,
            seq: e.seq,
            id: e.id,
            at: at_text(e.at),
            actor_type: e.actor_type.clone(),
            actor_id: e.actor_id,
            actor_display: e.actor_display.clone(),
            action: e.action.clone(),
            target_type: e.target_type.clone(),
            target_id: e.target_id.clone(),
            target_name: e.target_name.clone(),
            outcome: e.outcome.clone(),
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            request_id: e.request_id.clone(),
            details: e.details.clone(),
            prev_hash: hex(&e.prev_hash),
            hash: hex(&e.hash),
        }
    }
}

impl ArchivedEvent {
    fn stored(&self) -> Option<StoredEvent> {
        Some(StoredEvent {
            workspace_id: self.workspace_id,
            seq: self.seq,
            id: self.id,
            at: DateTime::parse_from_rfc3339(&self.at)
                .ok()?
                .with_timezone(&Utc),
            actor_type: self.actor_type.clone(),
            actor_id: self.actor_id,
            actor_display: self.actor_display.clone(),
            action: self.action.clone(),
            target_type: self.target_type.clone(),
            target_id: self.target_id.clone(),
            target_name: self.target_name.clone(),
            outcome: self.outcome.clone(),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            request_id: self.request_id.clone(),
            details: self.details.clone(),
            prev_hash: unhex(&self.prev_hash)?,
            hash: unhex(&self.hash)?,
        })
    }
}

/// The months that ended by `before`.
pub async fn months_before(
    pool: &deadpool_postgres::Pool,
    before: DateTime<Utc>,
) -> Result<Vec<Month>, ServiceError> {
    let client = pool.get().await?;
    Ok(store::months(&client)
        .await?
        .into_iter()
        .filter(|m| m.to <= before)
        .collect())
}

/// A month's events as NDJSON lines, and its manifest with each workspace's signed checkpoint.
pub async fn archive_month(
    pool: &deadpool_postgres::Pool,
    keys: &ChainKeys,
    month: &Month,
) -> Result<(Vec<String>, Manifest), ServiceError> {
    let client = pool.get().await?;
    let events = store::events(&client, month).await?;
    let (key_id, signer) = keys
        .signer()
        .map_err(|e| ServiceError::Internal(e.into()))?;
    let mut spans: BTreeMap<Uuid, (&StoredEvent, &StoredEvent)> = BTreeMap::new();
    for e in &events {
        spans.entry(e.workspace_id).or_insert((e, e)).1 = e;
    }
    let checkpoints = spans
        .into_iter()
        .map(|(ws, (first, last))| {
            let (hash, at) = (hex(&last.hash), at_text(last.at));
            let msg = checkpoint_message(ws, last.seq, &hash, &at);
            ArchiveCheckpoint {
                workspace_id: ws,
                first_seq: first.seq,
                first_prev_hash: hex(&first.prev_hash),
                seq: last.seq,
                hash,
                at,
                key_id: key_id.clone(),
                public_key: b64(&signer.public_key()),
                signature: b64(&signer.sign(msg.as_bytes())),
            }
        })
        .collect();
    let lines = events
        .iter()
        .map(|e| serde_json::to_string(&ArchivedEvent::from(e)).unwrap_or_default())
        .collect();
    Ok((
        lines,
        Manifest {
            partition: month.table.clone(),
            from: at_text(month.from),
            to: at_text(month.to),
            events: events.len(),
            checkpoints,
        },
    ))
}

/// One workspace's part of an archive, checked.
#[derive(Debug)]
pub struct ArchiveVerdict {
    pub workspace_id: Uuid,
    pub events_checked: i64,
    /// The first event that does not follow, or the checkpoint's seq when the end or its
    /// signature does not match.
    pub first_bad_seq: Option<i64>,
}

/// Checks an archived month offline: each workspace's events link from its checkpoint's start
/// to its end (recomputed with the keyring), and the end's signature is the checkpoint key's.
pub fn verify_month(
    keys: &ChainKeys,
    manifest: &Manifest,
    lines: &[String],
) -> Vec<ArchiveVerdict> {
    let mut by_ws: BTreeMap<Uuid, Vec<Option<StoredEvent>>> = BTreeMap::new();
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        let e: Option<ArchivedEvent> = serde_json::from_str(line).ok();
        let ws = e.as_ref().map_or(Uuid::nil(), |e| e.workspace_id);
        by_ws
            .entry(ws)
            .or_default()
            .push(e.and_then(|e| e.stored()));
    }
    let mut verdicts: Vec<ArchiveVerdict> = manifest
        .checkpoints
        .iter()
        .map(|cp| {
            let ws = cp.workspace_id;
            let prev = unhex(&cp.first_prev_hash).unwrap_or_default();
            let mut walk = Walker::new(keys, ws, cp.first_seq, prev);
            let events = by_ws.remove(&ws).unwrap_or_default();
            let mut bad = None;
            let mut last_at = None;
            for e in &events {
                match e {
                    Some(e) if walk.step(e) => last_at = Some(at_text(e.at)),
                    _ => {
                        bad = Some(walk.expected_seq);
                        break;
                    }
                }
            }
            let signed = keys.signer_of(&cp.key_id).ok().is_some_and(|s| {
                let sig = base64::engine::general_purpose::STANDARD
                    .decode(&cp.signature)
                    .unwrap_or_default();
                let msg = checkpoint_message(ws, cp.seq, &cp.hash, &cp.at);
                credvault_crypto::verify_ed25519(&s.public_key(), msg.as_bytes(), &sig)
            });
            let ends = walk.expected_seq - 1 == cp.seq
                && hex(&walk.prev) == cp.hash
                && last_at.as_deref() == Some(cp.at.as_str());
            if bad.is_none() && !(signed && ends) {
                bad = Some(cp.seq);
            }
            ArchiveVerdict {
                workspace_id: ws,
                events_checked: walk.checked,
                first_bad_seq: bad,
            }
        })
        .collect();
    // Lines of no checkpoint's workspace (or unreadable ones) were not in the archive written.
    verdicts.extend(by_ws.into_iter().map(|(ws, events)| ArchiveVerdict {
        workspace_id: ws,
        events_checked: 0,
        first_bad_seq: Some(events.first().and_then(|e| e.as_ref()).map_or(0, |e| e.seq)),
    }));
    verdicts
}
