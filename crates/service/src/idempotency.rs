//! Idempotent requests: a key claimed inside the request's transaction, and the first answer
//! stored with it, so a retry gets that answer again instead of doing the change twice.

use credvault_store::credentials as store;
use deadpool_postgres::GenericClient;
use serde_json::Value;
use uuid::Uuid;

use crate::{Principal, ServiceError};

/// The key idempotency records are kept under: the caller's token, else their user.
pub fn idempotency_caller(caller: &Principal) -> Uuid {
    caller
        .token
        .as_ref()
        .map(|t| t.id)
        .or(caller.user_id())
        .unwrap_or_default()
}

/// The fingerprint of a request for idempotency: its endpoint and its body (key order ignored).
pub fn request_hash(endpoint: &str, body: &Value) -> [u8; 32] {
    let mut bytes = endpoint.as_bytes().to_vec();
    bytes.push(0);
    bytes.extend_from_slice(body.to_string().as_bytes());
    credvault_crypto::sha256(&bytes)
}

/// Outcome of claiming an idempotency key inside a transaction.
pub enum Claim {
    /// First use: go on, and store the answer.
    Fresh,
    /// A replay: this is the first answer.
    Replay(StoredResponse),
}

/// The first answer to a request, as it was stored: sent again on a replay.
pub struct StoredResponse {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

pub async fn claim(
    c: &impl GenericClient,
    caller: &Principal,
    endpoint: &str,
    key: &str,
    body: &Value,
) -> Result<Claim, ServiceError> {
    let hash = request_hash(endpoint, body);
    let scope = store::IdempotencyScope {
        workspace_id: caller.workspace_id,
        caller: idempotency_caller(caller),
        endpoint,
        key,
    };
    let found = store::claim_idempotency_key(c, &scope, &hash).await?;
    match found {
        None => Ok(Claim::Fresh),
        Some((stored_hash, Some(status), Some(response), headers)) if stored_hash == hash => {
            let headers = match headers {
                Some(Value::Object(h)) => h
                    .into_iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned())))
                    .collect(),
                _ => Vec::new(),
            };
            Ok(Claim::Replay(StoredResponse {
                status: u16::try_from(status).map_err(ServiceError::internal)?,
                body: response,
                headers,
            }))
        }
        Some((stored_hash, _, _, _)) if stored_hash == hash => Err(ServiceError::Conflict(
            "a request with this Idempotency-Key is still in progress; retry shortly".into(),
        )),
        Some(_) => Err(ServiceError::IdempotencyKeyReused(
            "this Idempotency-Key was used with a different request".into(),
        )),
    }
}

pub async fn remember(
    c: &impl GenericClient,
    caller: &Principal,
    endpoint: &str,
    key: &str,
    status: u16,
    body: &Value,
    headers: Value,
) -> Result<(), ServiceError> {
    let scope = store::IdempotencyScope {
        workspace_id: caller.workspace_id,
        caller: idempotency_caller(caller),
        endpoint,
        key,
    };
    store::store_idempotent_response(c, &scope, i32::from(status), body, &headers).await?;
    Ok(())
}

/// An `Idempotency-Key` sent with a change: the key, the endpoint it is kept under, and the
/// request it was sent with.
pub struct Idempotent<'a> {
    pub key: &'a str,
    pub endpoint: &'a str,
    pub request: &'a Value,
}

/// What a change that may be a replay answers: its result, or the first answer again.
pub enum Answer<T> {
    Done(T),
    Replay(StoredResponse),
}

/// Claims `idem`'s key, when one was sent: the first answer when this request was answered
/// before, `None` when the change is to go on.
pub async fn replay(
    c: &impl GenericClient,
    caller: &Principal,
    idem: &Option<Idempotent<'_>>,
) -> Result<Option<StoredResponse>, ServiceError> {
    let Some(i) = idem else { return Ok(None) };
    Ok(
        match claim(c, caller, i.endpoint, i.key, i.request).await? {
            Claim::Replay(first) => Some(first),
            Claim::Fresh => None,
        },
    )
}
