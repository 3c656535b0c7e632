//! Signed checkpoints of the audit chain: its head, signed with Ed25519, so that an outside
//! party can keep heads and later prove that nothing before them was rewritten.

use chrono::{DateTime, Utc};
use credvault_domain::audit::at_text;
use uuid::Uuid;

use crate::chain_keys::switch_key;
use crate::{Principal, ServiceError, Services};

/// A workspace's chain head and its signature.
pub struct Checkpoint {
    pub workspace_id: Uuid,
    pub seq: i64,
    /// Hex, as in the events.
    pub hash: String,
    /// RFC 3339 with microseconds, exactly as signed.
    pub at: String,
    /// Ed25519 over `checkpoint_message(..)`.
    pub signature: Vec<u8>,
}

/// The bytes a checkpoint's signature covers.
pub fn checkpoint_message(ws: Uuid, seq: i64, hash: &str, at: &str) -> String {
    format!("credvault-audit-checkpoint:v1:{ws}:{seq}:{hash}:{at}")
}

/// Bytes as lowercase hex, as hashes are shown.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The caller's workspace's chain head, signed. The head's own link is checked with the chain's
/// keys first, so a head written by someone without them is never signed.
pub async fn checkpoint(
    services: &Services,
    caller: &Principal,
) -> Result<Checkpoint, ServiceError> {
    let ws = caller.workspace_id;
    services.chain.settle(ws).await;
    let client = services.pool.get().await?;
    let head = credvault_store::audit_chain::head_event(&client, ws).await?;
    let (seq, hash, at) = match &head {
        None => (0, vec![0u8; 32], DateTime::<Utc>::UNIX_EPOCH),
        Some(e) => {
            let canonical = crate::audit_verify::canonical_of(e);
            let keys = &services.chain_keys;
            let candidates = match switch_key(&e.actor_type, &e.action, &e.details) {
                Some(k) => vec![k.to_owned()],
                None => keys.key_ids(),
            };
            let linked = candidates.iter().any(|k| {
                keys.keyed_hash(k, ws, &e.prev_hash, &canonical)
                    .is_some_and(|h| h.as_slice() == e.hash)
            });
            if !linked {
                return Err(ServiceError::Conflict(
                    "the audit chain's head does not verify with this server's keys; run GET /v1/audit/verify".into(),
                ));
            }
            (e.seq, e.hash.clone(), e.at)
        }
    };
    let (hash, at) = (hex(&hash), at_text(at));
    let (_, signer) = services
        .chain_keys
        .signer()
        .map_err(|e| ServiceError::Internal(e.into()))?;
    let signature = signer.sign(checkpoint_message(ws, seq, &hash, &at).as_bytes());
    Ok(Checkpoint {
        workspace_id: ws,
        seq,
        hash,
        at,
        signature,
    })
}

/// The checkpoint signer's id and 32-byte public key.
pub fn public_key(services: &Services) -> Result<(String, [u8; 32]), ServiceError> {
    let (id, signer) = services
        .chain_keys
        .signer()
        .map_err(|e| ServiceError::Internal(e.into()))?;
    Ok((id, signer.public_key()))
}
