//! Verifying a workspace's audit chain: every link recomputed, from the first event to the head.
//!
//! A chain starts linked with plain SHA-256 (events from before migration 0016) or keyed (a
//! chain begun since). An `audit.chain_keyed` event switches it to the key it names, linked with
//! that key; from then on every link is keyed. A chain with events must end keyed: someone who
//! can only write to the database could recompute plain links, but not keyed ones, so a chain
//! rewritten to plain SHA-256 throughout is refused.

use credvault_domain::audit::{canonical_bytes, ChainedFields};
use credvault_store::audit as store;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::chain_keys::{chain_hash, switch_key, ChainKeys};
use crate::error::ServiceError;

/// Result of walking a workspace's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub ok: bool,
    pub events_checked: i64,
    pub first_bad_seq: Option<i64>,
    /// Committed events not yet linked into the chain (never a break).
    pub pending: i64,
}

/// How the links are made at a point of the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Links {
    /// Nothing read yet.
    Unknown,
    Plain,
    Keyed(String),
}

/// The canonical encoding of a stored event, as its link covers it.
pub fn canonical_of(e: &store::StoredEvent) -> Vec<u8> {
    canonical_bytes(&ChainedFields {
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
    })
}

/// Where a retention checkpoint (event `seq`) lets the walk start: the seq after the last event
/// dropped and that event's hash. Only a checkpoint that comes after what it names counts.
fn start_of(seq: i64, details: &serde_json::Value) -> Option<(i64, Vec<u8>)> {
    let through = details.get("through_seq")?.as_i64()?;
    let hex = details.get("through_hash")?.as_str()?;
    let hash: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    let hash = hash.filter(|h| h.len() == 32)?;
    (0 < through && through < seq).then_some((through + 1, hash))
}

/// Walks the chain in batches, recomputing every hash.
pub async fn verify(
    c: &impl GenericClient,
    keys: &ChainKeys,
    ws: Uuid,
) -> Result<Verification, ServiceError> {
    verify_with_progress(c, keys, ws, |_| {}).await
}

/// The link of `prev` and `canonical` as the chain makes it at this point, if it is `hash`;
/// the chain's links from then on.
fn check(
    keys: &ChainKeys,
    ws: Uuid,
    links: &Links,
    switch: Option<&str>,
    prev: &[u8],
    canonical: &[u8],
    hash: &[u8],
) -> Option<Links> {
    let keyed = |k: &str| {
        keys.keyed_hash(k, ws, prev, canonical)
            .is_some_and(|h| h == hash)
    };
    if let Some(k) = switch {
        return keyed(k).then(|| Links::Keyed(k.to_owned()));
    }
    match links {
        Links::Keyed(k) => keyed(k).then(|| links.clone()),
        Links::Plain => (chain_hash(prev, canonical) == hash).then_some(Links::Plain),
        Links::Unknown if chain_hash(prev, canonical) == hash => Some(Links::Plain),
        Links::Unknown => keys
            .key_ids()
            .into_iter()
            .find(|k| keyed(k))
            .map(Links::Keyed),
    }
}

/// A walk along a chain, one event at a time.
pub struct Walker<'k> {
    keys: &'k ChainKeys,
    ws: Uuid,
    links: Links,
    /// The seq the next event must have, and the hash it must link to.
    pub expected_seq: i64,
    pub prev: Vec<u8>,
    pub checked: i64,
}

impl<'k> Walker<'k> {
    /// A walk from the start of a chain (seq 1 after the zero hash), or from later on.
    pub fn new(keys: &'k ChainKeys, ws: Uuid, expected_seq: i64, prev: Vec<u8>) -> Walker<'k> {
        Walker {
            keys,
            ws,
            links: Links::Unknown,
            expected_seq,
            prev,
            checked: 0,
        }
    }

    /// Checks the next event; false at the first that does not follow.
    pub fn step(&mut self, e: &store::StoredEvent) -> bool {
        let switch = switch_key(&e.actor_type, &e.action, &e.details);
        let next = (e.seq == self.expected_seq && e.prev_hash == self.prev)
            .then(|| {
                let canonical = canonical_of(e);
                check(
                    self.keys,
                    self.ws,
                    &self.links,
                    switch,
                    &self.prev,
                    &canonical,
                    &e.hash,
                )
            })
            .flatten();
        let Some(next) = next else {
            return false;
        };
        self.links = next;
        self.checked += 1;
        self.expected_seq += 1;
        self.prev = e.hash.clone();
        true
    }

    /// Whether every link so far is plain SHA-256 (nothing proves such a chain).
    pub fn plain(&self) -> bool {
        self.links == Links::Plain
    }
}

/// `verify`, reporting how many events it has checked after every batch. The walk goes up to the
/// head as read when it starts (the chain may grow meanwhile) and must end exactly there: a
/// cut-off tail is tampering too.
pub async fn verify_with_progress(
    c: &impl GenericClient,
    keys: &ChainKeys,
    ws: Uuid,
    mut progress: impl FnMut(i64),
) -> Result<Verification, ServiceError> {
    let pending = credvault_store::audit_chain::pending(c, ws).await?;
    let verdict = |checked: i64, bad: Option<i64>| Verification {
        ok: bad.is_none(),
        events_checked: checked,
        first_bad_seq: bad,
        pending,
    };
    let Some((head_seq, head_hash)) = store::head(c, ws).await? else {
        // No head: there must be no chained event either.
        let any = !store::events_after(c, ws, i64::MIN, 1).await?.is_empty();
        return Ok(verdict(0, any.then_some(1)));
    };
    // Past retention the chain starts at its newest checkpoint (the event itself is walked).
    let (start, prev) = credvault_store::audit_chain::latest_checkpoint(c, ws)
        .await?
        .and_then(|(seq, d)| start_of(seq, &d))
        .unwrap_or((1, vec![0u8; 32]));
    let mut walk = Walker::new(keys, ws, start, prev);
    while walk.expected_seq <= head_seq {
        let batch = store::events_after(c, ws, walk.expected_seq - 1, 1000).await?;
        if batch.is_empty() {
            break;
        }
        progress(walk.checked);
        for e in batch.iter().filter(|e| e.seq <= head_seq) {
            if !walk.step(e) {
                return Ok(verdict(walk.checked, Some(walk.expected_seq.min(e.seq))));
            }
        }
    }
    let whole = walk.expected_seq - 1 == head_seq && (head_seq == 0 || head_hash == walk.prev);
    if !whole {
        return Ok(verdict(walk.checked, Some(walk.expected_seq)));
    }
    // Plain to the end: nothing in it proves it was not rewritten.
    if walk.plain() {
        return Ok(verdict(0, Some(1)));
    }
    Ok(verdict(walk.checked, None))
}
