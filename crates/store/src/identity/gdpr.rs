//! Everything about one user: its export (GDPR access) and its erasure.

use super::*;

/// Every session of the user, revoked ones included.
pub async fn all_sessions(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<SessionRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!("SELECT {SESSION_COLS} FROM sessions WHERE workspace_id = $1 AND user_id = $2 ORDER BY created_at")).await?,
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(session).collect())
}

/// Every personal token of the user, revoked ones included, with when they were revoked.
pub async fn all_tokens(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<(TokenRow, Option<DateTime<Utc>>)>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!("SELECT {TOKEN_COLS}, revoked_at FROM api_tokens WHERE workspace_id = $1 AND user_id = $2 ORDER BY created_at")).await?,
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(|r| (token(r), r.get(11))).collect())
}

/// Ids of every token the user ever held (to find the events they acted in).
pub async fn token_ids_of(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached("SELECT id FROM api_tokens WHERE workspace_id = $1 AND user_id = $2")
                .await?,
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Replaces the personal data of a user in audit events with `pseudonym`: the display name where
/// they (or one of their tokens) acted, their name where they were the target, and the IP and
/// user agent of those events. The hash chain does not cover these fields.
pub async fn pseudonymise_audit(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    actor_ids: &[Uuid],
    pseudonym: &str,
) -> Result<u64, StoreError> {
    let a = c
        .execute(
            &c.prepare_cached("UPDATE audit_events SET actor_display = $3, ip = NULL, user_agent = NULL WHERE workspace_id = $1 AND actor_id = ANY($2)").await?,
            &[&ws, &actor_ids, &pseudonym],
        )
        .await?;
    let b = c
        .execute(
            &c.prepare_cached(
                "UPDATE audit_events SET target_name = $3, ip = NULL, user_agent = NULL
             WHERE workspace_id = $1 AND target_type = 'user' AND target_id = $2::text",
            )
            .await?,
            &[&ws, &user_id.to_string(), &pseudonym],
        )
        .await?;
    Ok(a + b)
}

/// Removes the user and everything that is theirs alone: sessions (and refresh tokens), tokens,
/// team memberships, shares to them, and their failed sign-in records.
pub async fn delete_user(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    email: &str,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("DELETE FROM api_tokens WHERE workspace_id = $1 AND user_id = $2")
            .await?,
        &[&ws, &user_id],
    )
    .await?;
    c.execute(&c.prepare_cached("DELETE FROM shares WHERE workspace_id = $1 AND principal_type = 'user' AND principal_id = $2").await?, &[&ws, &user_id]).await?;
    c.execute(
        &c.prepare_cached("DELETE FROM login_failures WHERE lower(email) = lower($1)")
            .await?,
        &[&email],
    )
    .await?;
    c.execute(
        &c.prepare_cached("DELETE FROM users WHERE workspace_id = $1 AND id = $2")
            .await?,
        &[&ws, &user_id],
    )
    .await?;
    Ok(())
}

/// Locks, in key order, every credential the user owns or has a share of (an erasure changes
/// them all), in one ordered pass. FOR NO KEY UPDATE, like the resolve writer's own locks: the
/// writer's second pass (the key-share locks of new usage rows' foreign keys) never waits for it,
/// so the two never deadlock.
pub async fn lock_credentials_of(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached(
            "SELECT 1 FROM credentials c WHERE c.workspace_id = $1 AND (c.owner_id = $2 OR EXISTS (
             SELECT 1 FROM shares s WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id
                AND s.principal_type = 'user' AND s.principal_id = $2))
         ORDER BY c.id FOR NO KEY UPDATE OF c",
        )
        .await?,
        &[&ws, &user_id],
    )
    .await?;
    Ok(())
}

/// Ids of credentials the user owns (deleted ones included).
pub async fn owned_credentials(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let rows = c
        .query(&c.prepare_cached("SELECT id, name FROM credentials WHERE workspace_id = $1 AND owner_id = $2 ORDER BY id FOR NO KEY UPDATE").await?, &[&ws, &user_id])
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Locks the owner's workflows in key order: the order the resolve writer locks them in (it
/// stamps `last_used_at`), so the two never deadlock when several rows are locked at once.
async fn lock_workflows_of(
    c: &impl GenericClient,
    ws: Uuid,
    owner: Uuid,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("SELECT 1 FROM workflows WHERE workspace_id = $1 AND owner_id = $2 ORDER BY id FOR UPDATE").await?,
        &[&ws, &owner],
    )
    .await?;
    Ok(())
}

/// Gives everything `from` owns (credentials, workflows) to `to`; returns (id, name) of each
/// workflow given.
pub async fn transfer_owned(
    c: &impl GenericClient,
    ws: Uuid,
    from: Uuid,
    to: Uuid,
) -> Result<Vec<(String, String)>, StoreError> {
    c.execute(
        &c.prepare_cached("UPDATE credentials SET owner_id = $3, updated_at = now(), row_version = row_version + 1 WHERE workspace_id = $1 AND owner_id = $2").await?,
        &[&ws, &from, &to],
    )
    .await?;
    lock_workflows_of(c, ws, from).await?;
    let rows = c
        .query(
            &c.prepare_cached("UPDATE workflows SET owner_id = $3, updated_at = now() WHERE workspace_id = $1 AND owner_id = $2 RETURNING id, name").await?,
            &[&ws, &from, &to],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Deletes the user's workflows; returns (id, name) of each.
pub async fn delete_workflows_of(
    c: &impl GenericClient,
    ws: Uuid,
    owner: Uuid,
) -> Result<Vec<(String, String)>, StoreError> {
    lock_workflows_of(c, ws, owner).await?;
    let rows = c
        .query(
            &c.prepare_cached("DELETE FROM workflows WHERE workspace_id = $1 AND owner_id = $2 RETURNING id, name").await?,
            &[&ws, &owner],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
