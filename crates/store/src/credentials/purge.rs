//! Purging credentials (their versions' keys shredded) and expiring idempotency records.

use super::*;

/// Destroys a credential: its versions (and so their wrapped keys), shares, usage and workflow
/// declarations go with it. Returns what went besides the row.
pub async fn purge(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<Purged, StoreError> {
    // The row lock the DELETE below would take, taken first: a workflow registration that has
    // just declared this credential (under a key-share lock) commits before the declarations are
    // read, so none goes unnamed. A no-op where the caller already holds it.
    c.execute(
        &c.prepare_cached(
            "SELECT 1 FROM credentials WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
        )
        .await?,
        &[&ws, &id],
    )
    .await?;
    // Shred first, explicitly: even a row that some later change kept could no longer be opened.
    let versions = c.execute(&c.prepare_cached("UPDATE credential_versions SET wrapped_dek = NULL WHERE workspace_id = $1 AND credential_id = $2").await?, &[&ws, &id]).await?;
    // The workflows' declarations would go with the credential anyway (ON DELETE CASCADE); taken
    // explicitly, they can be named in the purge's event.
    let mut workflow_ids: Vec<String> = c
        .query(
            &c.prepare_cached("DELETE FROM workflow_credentials WHERE workspace_id = $1 AND credential_id = $2 RETURNING workflow_id").await?,
            &[&ws, &id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    workflow_ids.sort();
    c.execute(
        &c.prepare_cached("DELETE FROM credentials WHERE workspace_id = $1 AND id = $2")
            .await?,
        &[&ws, &id],
    )
    .await?;
    Ok(Purged {
        versions,
        workflow_ids,
    })
}

/// What a purge destroyed besides the credential row.
#[derive(Debug)]
pub struct Purged {
    /// Versions whose wrapped data keys were destroyed.
    pub versions: u64,
    /// Workflows that declared the credential (their declarations are gone).
    pub workflow_ids: Vec<String>,
}

/// Forgets idempotency keys older than 24 hours (run by the background purge, not per request).
pub async fn expire_idempotency_keys(c: &impl GenericClient) -> Result<u64, StoreError> {
    Ok(c.execute(
        &c.prepare_cached(
            "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'",
        )
        .await?,
        &[],
    )
    .await?)
}

/// Soft-deleted credentials whose recovery window has passed, locked and skipped by other
/// purgers (several instances may run the purge at once).
pub async fn lock_due_for_purge(
    c: &impl GenericClient,
    limit: i64,
) -> Result<Vec<(Uuid, Uuid, String)>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached("SELECT workspace_id, id, name FROM credentials WHERE deleted_at IS NOT NULL AND purge_after <= now()
             ORDER BY purge_after LIMIT $1 FOR UPDATE SKIP LOCKED").await?,
            &[&limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}
