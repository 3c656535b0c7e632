//! The keys of the audit chain and of its signed checkpoints, derived from the master keyring
//! (never stored in the database).
//!
//! A workspace's chain key is HKDF-SHA256 of a master key (by its id) with the info
//! `credvault audit chain v1:{workspace_id}`; a link is `HMAC-SHA256(chain key, prev_hash ‖
//! canonical)`. The key a chain uses is named by its head (`audit_heads.key_id`) and by the
//! `audit.chain_keyed` event that switched to it. After `keys rotate` the sequencer switches each
//! chain to the new active key with such an event; the retired key stays in
//! CREDVAULT_RETIRED_KEYS for as long as the events it linked are to be verified.
//!
//! Checkpoints are signed with Ed25519, the seed derived from the active master key with the
//! info `credvault audit checkpoint v1`; the public key's id is the master key's id.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use credvault_crypto::{KekProvider, Keyring, Signer};
use credvault_store::audit_chain::{Head, Unchained};
use uuid::Uuid;
use zeroize::Zeroizing;

/// The action of a chain's switch to a key.
pub const SWITCH_ACTION: &str = "audit.chain_keyed";

pub struct ChainKeys {
    keyring: Arc<Keyring>,
    /// Derived chain keys by (key id, workspace): a key in a PKCS#11 token derives in the token,
    /// a call per link otherwise. Bounded: cleared when it grows past `CACHED_KEYS`.
    derived: Mutex<Derived>,
}

type Derived = HashMap<(String, Uuid), Zeroizing<[u8; 32]>>;

const CACHED_KEYS: usize = 4096;

impl ChainKeys {
    pub fn new(keyring: Arc<Keyring>) -> Arc<ChainKeys> {
        Arc::new(ChainKeys {
            keyring,
            derived: Mutex::new(HashMap::new()),
        })
    }

    fn chain_key(&self, key_id: &str, ws: Uuid) -> Option<Zeroizing<[u8; 32]>> {
        let slot = (key_id.to_owned(), ws);
        if let Some(k) = self.derived.lock().ok()?.get(&slot) {
            return Some(k.clone());
        }
        let key = self
            .keyring
            .derive_from(key_id, &format!("credvault audit chain v1:{ws}"))?;
        let mut cache = self.derived.lock().ok()?;
        if cache.len() >= CACHED_KEYS {
            cache.clear();
        }
        cache.insert(slot, key.clone());
        Some(key)
    }

    /// The master key new links are keyed with.
    pub fn active_id(&self) -> &str {
        self.keyring.active_kek_id()
    }

    /// Every master key id the keyring holds, active first.
    pub fn key_ids(&self) -> Vec<String> {
        self.keyring.kek_ids()
    }

    /// The keyed link of workspace `ws` under master key `key_id`; None when the keyring lacks it.
    pub fn keyed_hash(
        &self,
        key_id: &str,
        ws: Uuid,
        prev: &[u8],
        canonical: &[u8],
    ) -> Option<[u8; 32]> {
        let key = self.chain_key(key_id, ws)?;
        let mut msg = Vec::with_capacity(prev.len() + canonical.len());
        msg.extend_from_slice(prev);
        msg.extend_from_slice(canonical);
        Some(*credvault_crypto::hmac_sha256(&key[..], &msg))
    }

    /// The checkpoint signing key and its id.
    pub fn signer(&self) -> Result<(String, Signer), credvault_crypto::CryptoError> {
        let id = self.active_id().to_owned();
        Ok((id.clone(), self.signer_of(&id)?))
    }

    /// The checkpoint signing key derived from master key `key_id`.
    pub fn signer_of(&self, key_id: &str) -> Result<Signer, credvault_crypto::CryptoError> {
        let seed = self
            .keyring
            .derive_from(key_id, "credvault audit checkpoint v1")
            .ok_or_else(|| credvault_crypto::CryptoError::UnknownKek(key_id.to_owned()))?;
        Signer::from_seed(&seed)
    }
}

/// The plain link: `SHA-256(prev_hash ‖ canonical)` (chains before migration 0016).
pub fn chain_hash(prev: &[u8], canonical: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(prev.len() + canonical.len());
    buf.extend_from_slice(prev);
    buf.extend_from_slice(canonical);
    credvault_crypto::sha256(&buf)
}

/// Whether an event is a chain's switch to the key its details name (then that key).
pub fn switch_key<'a>(
    actor_type: &str,
    action: &str,
    details: &'a serde_json::Value,
) -> Option<&'a str> {
    (actor_type == "system" && action == SWITCH_ACTION)
        .then(|| details.get("key_id").and_then(|k| k.as_str()))
        .flatten()
}

/// Chains with events that are not keyed with the active master key (before migration 0016, or
/// after a rotation) get their switch now, even if nothing else happens in them.
pub(crate) async fn switch_dormant_chains(
    conn: &mut deadpool_postgres::Object,
    keys: &ChainKeys,
) -> anyhow::Result<()> {
    let tx = conn.transaction().await?;
    for (ws, previous) in credvault_store::audit_chain::unswitched(&tx, keys.active_id()).await? {
        insert_switch(&tx, keys, ws, previous.as_deref()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records chain `ws`'s switch to the active key (unchained, in the caller's transaction).
async fn insert_switch(
    tx: &impl deadpool_postgres::GenericClient,
    keys: &ChainKeys,
    ws: Uuid,
    previous: Option<&str>,
) -> anyhow::Result<Unchained> {
    let details = serde_json::json!({"key_id": keys.active_id(), "previous_key_id": previous});
    let id = Uuid::now_v7();
    let event = credvault_store::audit::NewEvent {
        id,
        actor_type: "system",
        actor_id: None,
        actor_display: Some("credvault"),
        action: SWITCH_ACTION,
        target_type: None,
        target_id: None,
        target_name: None,
        outcome: "success",
        ip: None,
        user_agent: None,
        request_id: None,
        details: &details,
    };
    let ords = credvault_store::audit::append_events(tx, ws, None, &[event])
        .await?
        .ords;
    Ok(Unchained {
        ord: ords.first().copied().unwrap_or_default(),
        workspace_id: ws,
        id,
        at: None,
        actor_type: "system".into(),
        actor_id: None,
        action: SWITCH_ACTION.into(),
        target_type: None,
        target_id: None,
        outcome: "success".into(),
        request_id: None,
        details,
    })
}

/// Puts a switch to the active key in front of the batch's events of every chain that is not
/// keyed with it yet (and does not start with one).
pub(crate) async fn with_switches(
    tx: &impl deadpool_postgres::GenericClient,
    keys: &ChainKeys,
    heads: &BTreeMap<Uuid, Head>,
    rows: Vec<Unchained>,
) -> anyhow::Result<Vec<Unchained>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut seen = std::collections::HashSet::new();
    for r in rows {
        if seen.insert(r.workspace_id) {
            let h = &heads[&r.workspace_id];
            let keyed = h.key_id.as_deref() == Some(keys.active_id()) || h.seq == 0;
            let switches =
                switch_key(&r.actor_type, &r.action, &r.details) == Some(keys.active_id());
            if !keyed && !switches {
                out.push(insert_switch(tx, keys, r.workspace_id, h.key_id.as_deref()).await?);
            }
        }
        out.push(r);
    }
    Ok(out)
}
