//! Idempotency keys: the first answer of a create or rotate, replayed to its retries.

use super::*;

/// Claims an idempotency key inside the caller's transaction. `Ok(None)`: claimed, go on.
/// `Ok(Some(..))`: someone used it first: (their request hash, stored status, body, headers).
/// Whose key it is: idempotency keys are scoped to the caller and the endpoint.
pub struct IdempotencyScope<'a> {
    pub workspace_id: Uuid,
    pub caller: Uuid,
    pub endpoint: &'a str,
    pub key: &'a str,
}

pub async fn claim_idempotency_key(
    c: &impl GenericClient,
    scope: &IdempotencyScope<'_>,
    request_hash: &[u8],
) -> Result<Option<(Vec<u8>, Option<i32>, Option<Value>, Option<Value>)>, StoreError> {
    let (ws, caller, endpoint, key) = (scope.workspace_id, scope.caller, scope.endpoint, scope.key);
    c.execute(
        &c.prepare_cached(
            "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'",
        )
        .await?,
        &[],
    )
    .await?;
    let inserted = c
        .execute(
            &c.prepare_cached("INSERT INTO idempotency_keys (workspace_id, caller, endpoint, key, request_hash) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING").await?,
            &[&ws, &caller, &endpoint, &key, &request_hash],
        )
        .await?;
    if inserted == 1 {
        return Ok(None);
    }
    let r = c
        .query_one(
            &c.prepare_cached(
                "SELECT request_hash, status, response, headers FROM idempotency_keys
             WHERE workspace_id = $1 AND caller = $2 AND endpoint = $3 AND key = $4",
            )
            .await?,
            &[&ws, &caller, &endpoint, &key],
        )
        .await?;
    Ok(Some((r.get(0), r.get(1), r.get(2), r.get(3))))
}

pub async fn store_idempotent_response(
    c: &impl GenericClient,
    scope: &IdempotencyScope<'_>,
    status: i32,
    body: &Value,
    headers: &Value,
) -> Result<(), StoreError> {
    let (ws, caller, endpoint, key) = (scope.workspace_id, scope.caller, scope.endpoint, scope.key);
    c.execute(
        &c.prepare_cached(
            "UPDATE idempotency_keys SET status = $5, response = $6, headers = $7
         WHERE workspace_id = $1 AND caller = $2 AND endpoint = $3 AND key = $4",
        )
        .await?,
        &[&ws, &caller, &endpoint, &key, &status, body, headers],
    )
    .await?;
    Ok(())
}
