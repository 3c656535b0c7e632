//! Signed checkpoints of the audit chain and the key that verifies them.

use std::sync::Arc;

use actix_web::{get, web};
use base64::Engine;
use credvault_service::audit_checkpoint;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The chain head, signed: `signature` is base64 of the Ed25519 signature over the UTF-8 bytes
/// of `credvault-audit-checkpoint:v1:{workspace_id}:{seq}:{hash}:{at}`, with `at` exactly as here.
#[derive(Serialize, ToSchema)]
pub struct AuditCheckpoint {
    pub workspace_id: Uuid,
    /// The head's seq (0 before the first event).
    #[schema(example = 42)]
    pub seq: i64,
    /// The head's hash, hex.
    #[schema(example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    pub hash: String,
    /// The head event's time, RFC 3339 with microseconds.
    #[schema(example = "2025-03-04T05:06:07.123456Z")]
    pub at: String,
    /// Base64 of the 64-byte Ed25519 signature.
    pub signature: String,
}

/// The key that verifies checkpoints.
#[derive(Serialize, ToSchema)]
pub struct AuditPublicKey {
    /// Which master key the signing key is derived from.
    #[schema(example = "kek_ba6a5357b9df5449")]
    pub key_id: String,
    /// Base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// The workspace's audit chain head, signed with Ed25519.
#[utoipa::path(tag = "audit", operation_id = "get_audit_checkpoint", description = Doc::of(Action::ReadAudit).reads(), summary = "A signed checkpoint of the audit chain", responses((status = 200, description = "The signed head", body = AuditCheckpoint)))]
#[get("/audit/checkpoint")]
pub async fn checkpoint(
    state: State,
    caller: Authorized<need::ReadAudit>,
) -> Result<web::Json<AuditCheckpoint>, ApiError> {
    let c = audit_checkpoint::checkpoint(&state, &caller).await?;
    Ok(web::Json(AuditCheckpoint {
        workspace_id: c.workspace_id,
        seq: c.seq,
        hash: c.hash,
        at: c.at,
        signature: b64(&c.signature),
    }))
}

/// The Ed25519 public key that verifies audit checkpoints.
#[utoipa::path(tag = "audit", operation_id = "get_audit_public_key", description = Doc::of(Action::ReadAudit).reads(), summary = "The audit checkpoints' public key", responses((status = 200, description = "The public key", body = AuditPublicKey)))]
#[get("/audit/public-key")]
pub async fn public_key(
    state: State,
    _caller: Authorized<need::ReadAudit>,
) -> Result<web::Json<AuditPublicKey>, ApiError> {
    let (key_id, key) = audit_checkpoint::public_key(&state)?;
    Ok(web::Json(AuditPublicKey {
        key_id,
        public_key: b64(&key),
    }))
}
