//! Shares: replacing a credential's set, and taking away those to a principal that goes.

use super::*;

pub struct NewShare {
    pub id: Uuid,
    pub principal_type: String,
    pub principal_id: Option<Uuid>,
    pub access: String,
}

/// Replaces every share of a credential.
pub async fn replace_shares(
    c: &impl GenericClient,
    ws: Uuid,
    credential: Uuid,
    shares: &[NewShare],
    by: Option<Uuid>,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("DELETE FROM shares WHERE workspace_id = $1 AND credential_id = $2")
            .await?,
        &[&ws, &credential],
    )
    .await?;
    for s in shares {
        c.execute(
            &c.prepare_cached("INSERT INTO shares (workspace_id, id, credential_id, principal_type, principal_id, access, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)").await?,
            &[&ws, &s.id, &credential, &s.principal_type, &s.principal_id, &s.access, &by],
        )
        .await?;
    }
    Ok(())
}

pub async fn delete_share(
    c: &impl GenericClient,
    ws: Uuid,
    credential: Uuid,
    share: Uuid,
) -> Result<bool, StoreError> {
    Ok(c.execute(
        &c.prepare_cached(
            "DELETE FROM shares WHERE workspace_id = $1 AND credential_id = $2 AND id = $3",
        )
        .await?,
        &[&ws, &credential, &share],
    )
    .await?
        == 1)
}

/// The credentials with a share to this principal (`user` or `team`), locked in key order and
/// FOR NO KEY UPDATE, as the resolve writer locks credentials (see `lock_credentials_of`), with
/// their names.
pub async fn lock_shared_to(
    c: &impl GenericClient,
    ws: Uuid,
    kind: &str,
    principal: Uuid,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached("SELECT c.id, c.name FROM credentials c
             WHERE c.workspace_id = $1 AND EXISTS (
                 SELECT 1 FROM shares s WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id
                    AND s.principal_type = $2 AND s.principal_id = $3)
             ORDER BY c.id FOR NO KEY UPDATE OF c").await?,
            &[&ws, &kind, &principal],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Removes every share to this principal, and moves the ETag of each credential that had one.
pub async fn delete_shares_to(
    c: &impl GenericClient,
    ws: Uuid,
    kind: &str,
    principal: Uuid,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("WITH gone AS (DELETE FROM shares WHERE workspace_id = $1 AND principal_type = $2 AND principal_id = $3
                       RETURNING credential_id)
         UPDATE credentials SET row_version = row_version + 1, updated_at = now()
         WHERE workspace_id = $1 AND id IN (SELECT credential_id FROM gone)").await?,
        &[&ws, &kind, &principal],
    )
    .await?;
    Ok(())
}

/// Locks the users and teams named (those that exist) with FOR KEY SHARE, in key order: the
/// principals of new shares, locked before their credential, so a user being erased or a team
/// being deleted (which lock the principal first, then its credentials) is either done before
/// the share is checked or waits for it; never left with a share to nobody.
pub async fn lock_principals(
    c: &impl GenericClient,
    ws: Uuid,
    users: &[Uuid],
    teams: &[Uuid],
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("SELECT 1 FROM users WHERE workspace_id = $1 AND id = ANY($2) ORDER BY id FOR KEY SHARE").await?,
        &[&ws, &users],
    )
    .await?;
    c.execute(
        &c.prepare_cached("SELECT 1 FROM teams WHERE workspace_id = $1 AND id = ANY($2) ORDER BY id FOR KEY SHARE").await?,
        &[&ws, &teams],
    )
    .await?;
    Ok(())
}

/// Whether a user or team of that id exists in the workspace.
pub async fn principal_exists(
    c: &impl GenericClient,
    ws: Uuid,
    kind: &str,
    id: Uuid,
) -> Result<bool, StoreError> {
    let sql = match kind {
        "user" => "SELECT 1 FROM users WHERE workspace_id = $1 AND id = $2",
        _ => "SELECT 1 FROM teams WHERE workspace_id = $1 AND id = $2",
    };
    Ok(c.query_opt(sql, &[&ws, &id]).await?.is_some())
}
