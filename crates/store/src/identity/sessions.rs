//! Sessions and their refresh tokens.

use super::*;

pub async fn insert_session(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    user_id: Uuid,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("INSERT INTO sessions (workspace_id, id, user_id, ip, user_agent) VALUES ($1, $2, $3, $4, $5)").await?,
        &[&ws, &id, &user_id, &ip, &user_agent],
    )
    .await?;
    Ok(())
}

pub async fn insert_refresh_token(
    c: &impl GenericClient,
    ws: Uuid,
    session_id: Uuid,
    hash: &[u8],
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached(
            "INSERT INTO refresh_tokens (token_hash, workspace_id, session_id) VALUES ($1, $2, $3)",
        )
        .await?,
        &[&hash, &ws, &session_id],
    )
    .await?;
    Ok(())
}

pub struct RefreshLookup {
    pub workspace_id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub already_used: bool,
    pub session_revoked: bool,
    pub user_disabled: bool,
    pub session_created_at: DateTime<Utc>,
    pub session_last_seen_at: DateTime<Utc>,
}

/// Finds a refresh token and locks it, so that two concurrent uses cannot both rotate it.
pub async fn lock_refresh_token(
    c: &impl GenericClient,
    hash: &[u8],
) -> Result<Option<RefreshLookup>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached("SELECT r.workspace_id, r.session_id, s.user_id, r.used_at IS NOT NULL, s.revoked_at IS NOT NULL, u.disabled,
                    s.created_at, s.last_seen_at
             FROM refresh_tokens r
             JOIN sessions s ON s.workspace_id = r.workspace_id AND s.id = r.session_id
             JOIN users u ON u.workspace_id = s.workspace_id AND u.id = s.user_id
             WHERE r.token_hash = $1 FOR UPDATE OF r").await?,
            &[&hash],
        )
        .await?;
    Ok(row.map(|r| RefreshLookup {
        workspace_id: r.get(0),
        session_id: r.get(1),
        user_id: r.get(2),
        already_used: r.get(3),
        session_revoked: r.get(4),
        user_disabled: r.get(5),
        session_created_at: r.get(6),
        session_last_seen_at: r.get(7),
    }))
}

pub async fn mark_refresh_used(c: &impl GenericClient, hash: &[u8]) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1")
            .await?,
        &[&hash],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub(super) fn session(r: &Row) -> SessionRow {
    SessionRow {
        id: r.get(0),
        user_id: r.get(1),
        created_at: r.get(2),
        last_seen_at: r.get(3),
        revoked_at: r.get(4),
        ip: r.get(5),
        user_agent: r.get(6),
    }
}

pub(super) const SESSION_COLS: &str =
    "id, user_id, created_at, last_seen_at, revoked_at, ip, user_agent";

/// What a request needs to know about its session: is it live, and who is its user now.
pub struct SessionAuth {
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub user: UserRow,
}

pub async fn session_auth(
    c: &impl GenericClient,
    ws: Uuid,
    session_id: Uuid,
) -> Result<Option<SessionAuth>, StoreError> {
    let stmt = c
        .prepare_cached(
            "SELECT s.revoked_at IS NOT NULL, s.created_at, s.last_seen_at,
                    u.workspace_id, u.id, u.email, u.display_name, u.role, u.disabled, u.created_at
             FROM sessions s JOIN users u ON u.workspace_id = s.workspace_id AND u.id = s.user_id
             WHERE s.workspace_id = $1 AND s.id = $2",
        )
        .await?;
    let row = c.query_opt(&stmt, &[&ws, &session_id]).await?;
    Ok(row.map(|r| SessionAuth {
        revoked: r.get(0),
        created_at: r.get(1),
        last_seen_at: r.get(2),
        user: UserRow {
            workspace_id: r.get(3),
            id: r.get(4),
            email: r.get(5),
            display_name: r.get(6),
            role: r.get(7),
            disabled: r.get(8),
            created_at: r.get(9),
        },
    }))
}

pub async fn touch_session(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached(
            "UPDATE sessions SET last_seen_at = now() WHERE workspace_id = $1 AND id = $2",
        )
        .await?,
        &[&ws, &id],
    )
    .await?;
    Ok(())
}

pub async fn list_sessions(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<SessionRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!(
                "SELECT {SESSION_COLS} FROM sessions WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL
                 ORDER BY created_at DESC"
            )).await?,
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(session).collect())
}

/// Ends a session whoever its user is (its refresh token was used twice, so it leaked); one
/// already ended keeps the time it ended.
pub async fn end_session(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("UPDATE sessions SET revoked_at = coalesce(revoked_at, now()) WHERE workspace_id = $1 AND id = $2").await?,
        &[&ws, &id],
    )
    .await?;
    Ok(())
}

/// Revokes one session of this user; false when there is no such live session.
pub async fn revoke_session(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    Ok(c.execute(
        &c.prepare_cached("UPDATE sessions SET revoked_at = now() WHERE workspace_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL").await?,
        &[&ws, &user_id, &id],
    )
    .await?
        == 1)
}

/// Revokes every live session of the user except `keep`; returns their ids.
pub async fn revoke_sessions_except(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<Vec<Uuid>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached("UPDATE sessions SET revoked_at = now()
             WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3)
             RETURNING id").await?,
            &[&ws, &user_id, &keep],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
