//! The runtime path's SQL: the row a resolve needs, and the usage its group commit writes.

use super::*;

// Several group-commit writers run at once, so every statement below locks its rows in key order
// whatever plan the server picks (a locking SELECT ... ORDER BY, or an ordered INSERT ... SELECT),
// and the statements run in one order: credentials, counters, workflows, then the chain heads.
// Two batches can then wait for each other but never deadlock.

pub(super) const RECORD_USES_SQL: &str = "WITH due AS (
               SELECT c.workspace_id, c.id, u.at
               FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS u(ws, id, at)
               JOIN credentials c ON c.workspace_id = u.ws AND c.id = u.id
               WHERE c.last_used_at IS NULL OR c.last_used_at < u.at - interval '1 minute'
               ORDER BY c.workspace_id, c.id
               FOR NO KEY UPDATE OF c)
             UPDATE credentials c SET last_used_at = due.at FROM due
             WHERE c.workspace_id = due.workspace_id AND c.id = due.id";

pub(super) const COUNT_USES_SQL: &str = "INSERT INTO usage_daily (workspace_id, credential_id, workflow_id, day, count, last_used_at)
         SELECT u.* FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::date[], $5::int8[], $6::timestamptz[])
                AS u(ws, cred, wf, day, n, at)
         -- A credential purged since it was resolved has no counters to keep.
         WHERE EXISTS (SELECT 1 FROM credentials c WHERE c.workspace_id = u.ws AND c.id = u.cred)
         ORDER BY u.ws, u.cred, u.wf, u.day
         ON CONFLICT (workspace_id, credential_id, workflow_id, day) DO UPDATE
           SET count = usage_daily.count + EXCLUDED.count, last_used_at = greatest(usage_daily.last_used_at, EXCLUDED.last_used_at)";

pub(super) const TOUCH_WORKFLOWS_SQL: &str = "WITH due AS (
               SELECT w.workspace_id, w.id, u.at
               FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u(ws, id, at)
               JOIN workflows w ON w.workspace_id = u.ws AND w.id = u.id
               WHERE w.last_used_at IS NULL OR w.last_used_at < u.at - interval '1 minute'
               ORDER BY w.workspace_id, w.id
               FOR NO KEY UPDATE OF w)
             UPDATE workflows w SET last_used_at = due.at FROM due
             WHERE w.workspace_id = due.workspace_id AND w.id = due.id";

/// Moves `last_used_at` forward on credentials (never back).
pub async fn record_uses(
    c: &impl GenericClient,
    ws: &[Uuid],
    ids: &[Uuid],
    at: &[DateTime<Utc>],
) -> Result<(), StoreError> {
    // To the minute: a row (and its every index) is rewritten at most once a minute however
    // often the credential is used; the exact counts live in `usage_daily`.
    let stmt = c.prepare_cached(RECORD_USES_SQL).await?;
    c.execute(&stmt, &[&ws, &ids, &at]).await?;
    Ok(())
}

/// Uses of one credential by one workflow on one day.
pub struct DayUses {
    pub workspace_id: Uuid,
    pub credential_id: Uuid,
    pub workflow_id: String,
    pub day: NaiveDate,
    pub count: i64,
    pub last_used_at: DateTime<Utc>,
}

/// Adds uses to the per-day counters: (workspace, credential, workflow, day, count, last use).
pub async fn count_uses(c: &impl GenericClient, rows: &[DayUses]) -> Result<(), StoreError> {
    let ws: Vec<Uuid> = rows.iter().map(|r| r.workspace_id).collect();
    let cred: Vec<Uuid> = rows.iter().map(|r| r.credential_id).collect();
    let wf: Vec<&str> = rows.iter().map(|r| r.workflow_id.as_str()).collect();
    let day: Vec<NaiveDate> = rows.iter().map(|r| r.day).collect();
    let n: Vec<i64> = rows.iter().map(|r| r.count).collect();
    let at: Vec<DateTime<Utc>> = rows.iter().map(|r| r.last_used_at).collect();
    let stmt = c.prepare_cached(COUNT_USES_SQL).await?;
    c.execute(&stmt, &[&ws, &cred, &wf, &day, &n, &at]).await?;
    Ok(())
}

pub async fn touch_workflows(
    c: &impl GenericClient,
    rows: &[(Uuid, String, DateTime<Utc>)],
) -> Result<(), StoreError> {
    let ws: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let id: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let at: Vec<DateTime<Utc>> = rows.iter().map(|r| r.2).collect();
    let stmt = c.prepare_cached(TOUCH_WORKFLOWS_SQL).await?;
    c.execute(&stmt, &[&ws, &id, &at]).await?;
    Ok(())
}

/// Everything resolve needs, in one round trip: the credential, its current sealed version, the
/// workflow and its owner, and the owner's best share level (1 use, 2 view, 3 manage).
#[derive(Clone)]
pub struct ResolveRow {
    pub workspace_id: Uuid,
    pub credential_name: String,
    pub kind: String,
    pub status: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub token_obtained_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// When the current version was made.
    pub version_created_at: DateTime<Utc>,
    pub config: serde_json::Value,
    pub owner_id: Uuid,
    pub kek_id: String,
    pub wrapped_dek: Option<Vec<u8>>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    /// None when the workflow does not exist in the workspace.
    pub workflow_owner: Option<Uuid>,
    pub workflow_owner_disabled: bool,
    pub share_rank: Option<i32>,
}

pub async fn load_for_resolve(
    c: &impl GenericClient,
    ws: Uuid,
    credential: Uuid,
    workflow: &str,
) -> Result<Option<ResolveRow>, StoreError> {
    let stmt = c
        .prepare_cached(
            "SELECT c.name, c.type, c.status, c.expires_at, c.deleted_at IS NOT NULL, c.token_expires_at, c.current_version, c.config,
                    c.owner_id, v.kek_id, v.wrapped_dek, v.nonce, v.ciphertext, w.owner_id, coalesce(u.disabled, true),
                    (SELECT max(CASE s.access WHEN 'manage' THEN 3 WHEN 'view' THEN 2 ELSE 1 END) FROM shares s
                      WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id
                        AND (s.principal_type = 'workspace' OR (s.principal_type = 'user' AND s.principal_id = w.owner_id)
                             OR (s.principal_type = 'team' AND s.principal_id IN
                                 (SELECT m.team_id FROM team_members m WHERE m.workspace_id = c.workspace_id AND m.user_id = w.owner_id)))),
                    c.token_obtained_at, v.created_at
             FROM credentials c
             JOIN credential_versions v ON v.workspace_id = c.workspace_id AND v.credential_id = c.id AND v.version = c.current_version
             LEFT JOIN workflows w ON w.workspace_id = c.workspace_id AND w.id = $3
             LEFT JOIN users u ON u.workspace_id = c.workspace_id AND u.id = w.owner_id
             WHERE c.workspace_id = $1 AND c.id = $2",
        )
        .await?;
    let r = c.query_opt(&stmt, &[&ws, &credential, &workflow]).await?;
    Ok(r.map(|r| ResolveRow {
        workspace_id: ws,
        credential_name: r.get(0),
        kind: r.get(1),
        status: r.get(2),
        expires_at: r.get(3),
        deleted: r.get(4),
        token_expires_at: r.get(5),
        version: r.get(6),
        config: r.get(7),
        owner_id: r.get(8),
        kek_id: r.get(9),
        wrapped_dek: r.get(10),
        nonce: r.get(11),
        ciphertext: r.get(12),
        workflow_owner: r.get(13),
        workflow_owner_disabled: r.get(14),
        share_rank: r.get(15),
        token_obtained_at: r.get(16),
        version_created_at: r.get(17),
    }))
}

/// Prepares every statement of a group-commit batch on this connection (a no-op once cached), so
/// that each of them is sent on its first poll and a pipelined COMMIT can never overtake them.
pub async fn prepare_group_commit(c: &impl GenericClient) -> Result<(), StoreError> {
    for sql in [RECORD_USES_SQL, COUNT_USES_SQL, TOUCH_WORKFLOWS_SQL] {
        c.prepare_cached(sql).await?;
    }
    crate::audit::prepare_append(c).await
}
