//! Workflows, the credentials they declare, shares, and usage.

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Clone)]
pub struct WorkflowRow {
    pub id: String,
    pub name: String,
    pub owner_id: Uuid,
    pub owner_display: String,
    pub credential_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const COLS: &str = "w.id, w.name, w.owner_id, coalesce(u.display_name, ''),
    coalesce((SELECT array_agg(wc.credential_id ORDER BY wc.credential_id) FROM workflow_credentials wc
              WHERE wc.workspace_id = w.workspace_id AND wc.workflow_id = w.id), '{}'),
    w.created_at, w.updated_at, w.last_used_at";
const FROM: &str =
    "workflows w LEFT JOIN users u ON u.workspace_id = w.workspace_id AND u.id = w.owner_id";

fn row(r: &tokio_postgres::Row) -> WorkflowRow {
    WorkflowRow {
        id: r.get(0),
        name: r.get(1),
        owner_id: r.get(2),
        owner_display: r.get(3),
        credential_ids: r.get(4),
        created_at: r.get(5),
        updated_at: r.get(6),
        last_used_at: r.get(7),
    }
}

pub async fn get(
    c: &impl GenericClient,
    ws: Uuid,
    id: &str,
) -> Result<Option<WorkflowRow>, StoreError> {
    let r = c
        .query_opt(
            &format!("SELECT {COLS} FROM {FROM} WHERE w.workspace_id = $1 AND w.id = $2"),
            &[&ws, &id],
        )
        .await?;
    Ok(r.as_ref().map(row))
}

pub async fn list(
    c: &impl GenericClient,
    ws: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<WorkflowRow>, StoreError> {
    let rows = c
        .query(
            &format!("SELECT {COLS} FROM {FROM} WHERE w.workspace_id = $1 AND ($2::text IS NULL OR w.id > $2) ORDER BY w.id LIMIT $3"),
            &[&ws, &after, &limit],
        )
        .await?;
    Ok(rows.iter().map(row).collect())
}

/// Inserts or updates a workflow and replaces its declared credentials; true when it was new.
pub async fn upsert(
    c: &impl GenericClient,
    ws: Uuid,
    id: &str,
    name: &str,
    owner: Uuid,
    credential_ids: &[Uuid],
) -> Result<bool, StoreError> {
    let created: bool = c
        .query_one(
            "INSERT INTO workflows (workspace_id, id, name, owner_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id, id) DO UPDATE SET name = EXCLUDED.name, owner_id = EXCLUDED.owner_id, updated_at = now()
             RETURNING xmax = 0",
            &[&ws, &id, &name, &owner],
        )
        .await?
        .get(0);
    c.execute(
        "DELETE FROM workflow_credentials WHERE workspace_id = $1 AND workflow_id = $2",
        &[&ws, &id],
    )
    .await?;
    c.execute(
        "INSERT INTO workflow_credentials (workspace_id, workflow_id, credential_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING",
        &[&ws, &id, &credential_ids],
    )
    .await?;
    Ok(created)
}

pub async fn delete(
    c: &impl GenericClient,
    ws: Uuid,
    id: &str,
) -> Result<Option<String>, StoreError> {
    let r = c
        .query_opt(
            "DELETE FROM workflows WHERE workspace_id = $1 AND id = $2 RETURNING name",
            &[&ws, &id],
        )
        .await?;
    Ok(r.map(|r| r.get(0)))
}

/// Which of `ids` are credentials of the workspace (deleted ones included), for `workflow` to
/// declare.
pub async fn existing_credentials(
    c: &impl GenericClient,
    ws: Uuid,
    workflow: &str,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, StoreError> {
    // Key-share locks, in key order, on the credentials it will declare and on those it declares
    // now, before any declaration is touched. A purge holds its credential for update and then
    // deletes that credential's declarations (an erasure purges several, one after another), so
    // it is waited for here, never while this transaction holds a declaration a purge must
    // delete or a credential a purge still has to lock.
    let rows = c
        .query(
            "SELECT id FROM credentials WHERE workspace_id = $1
               AND (id = ANY($2) OR id IN (SELECT credential_id FROM workflow_credentials WHERE workspace_id = $1 AND workflow_id = $3))
             ORDER BY id FOR KEY SHARE",
            &[&ws, &ids, &workflow],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.get(0))
        .filter(|id| ids.contains(id))
        .collect())
}

/// Workflows connected to a credential: declared links and observed use, with the last use.
pub async fn connected(
    c: &impl GenericClient,
    ws: Uuid,
    credential: Uuid,
) -> Result<Vec<(String, String, Option<DateTime<Utc>>)>, StoreError> {
    let rows = c
        .query(
            "SELECT w.id, w.name, (SELECT max(d.last_used_at) FROM usage_daily d
                                   WHERE d.workspace_id = w.workspace_id AND d.credential_id = $2 AND d.workflow_id = w.id)
             FROM workflows w
             WHERE w.workspace_id = $1 AND (
                   EXISTS (SELECT 1 FROM workflow_credentials wc WHERE wc.workspace_id = w.workspace_id AND wc.workflow_id = w.id AND wc.credential_id = $2)
                OR EXISTS (SELECT 1 FROM usage_daily d WHERE d.workspace_id = w.workspace_id AND d.credential_id = $2 AND d.workflow_id = w.id))
             ORDER BY w.name, w.id",
            &[&ws, &credential],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// Uses per day and per workflow over the last `days` days.
pub async fn usage(
    c: &impl GenericClient,
    ws: Uuid,
    credential: Uuid,
    days: i32,
) -> Result<
    (
        Vec<(NaiveDate, i64)>,
        Vec<(String, String, i64, DateTime<Utc>)>,
    ),
    StoreError,
> {
    let by_day = c
        .query(
            "SELECT day, sum(count)::int8 FROM usage_daily WHERE workspace_id = $1 AND credential_id = $2 AND day > current_date - $3::int4
             GROUP BY day ORDER BY day",
            &[&ws, &credential, &days],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let by_workflow = c
        .query(
            "SELECT d.workflow_id, coalesce(w.name, d.workflow_id), sum(d.count)::int8, max(d.last_used_at)
             FROM usage_daily d LEFT JOIN workflows w ON w.workspace_id = d.workspace_id AND w.id = d.workflow_id
             WHERE d.workspace_id = $1 AND d.credential_id = $2 AND d.day > current_date - $3::int4
             GROUP BY d.workflow_id, w.name ORDER BY 3 DESC, 1",
            &[&ws, &credential, &days],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    Ok((by_day, by_workflow))
}

// ---- shares ----

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
        "DELETE FROM shares WHERE workspace_id = $1 AND credential_id = $2",
        &[&ws, &credential],
    )
    .await?;
    for s in shares {
        c.execute(
            "INSERT INTO shares (workspace_id, id, credential_id, principal_type, principal_id, access, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
        "DELETE FROM shares WHERE workspace_id = $1 AND credential_id = $2 AND id = $3",
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
            "SELECT c.id, c.name FROM credentials c
             WHERE c.workspace_id = $1 AND EXISTS (
                 SELECT 1 FROM shares s WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id
                    AND s.principal_type = $2 AND s.principal_id = $3)
             ORDER BY c.id FOR NO KEY UPDATE OF c",
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
        "WITH gone AS (DELETE FROM shares WHERE workspace_id = $1 AND principal_type = $2 AND principal_id = $3
                       RETURNING credential_id)
         UPDATE credentials SET row_version = row_version + 1, updated_at = now()
         WHERE workspace_id = $1 AND id IN (SELECT credential_id FROM gone)",
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
        "SELECT 1 FROM users WHERE workspace_id = $1 AND id = ANY($2) ORDER BY id FOR KEY SHARE",
        &[&ws, &users],
    )
    .await?;
    c.execute(
        "SELECT 1 FROM teams WHERE workspace_id = $1 AND id = ANY($2) ORDER BY id FOR KEY SHARE",
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

// ---- usage, written by the resolve path's group commit ----

// Several group-commit writers run at once, so every statement below locks its rows in key order
// whatever plan the server picks (a locking SELECT ... ORDER BY, or an ordered INSERT ... SELECT),
// and the statements run in one order: credentials, counters, workflows, then the chain heads.
// Two batches can then wait for each other but never deadlock.

const RECORD_USES_SQL: &str = "WITH due AS (
               SELECT c.workspace_id, c.id, u.at
               FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS u(ws, id, at)
               JOIN credentials c ON c.workspace_id = u.ws AND c.id = u.id
               WHERE c.last_used_at IS NULL OR c.last_used_at < u.at - interval '1 minute'
               ORDER BY c.workspace_id, c.id
               FOR NO KEY UPDATE OF c)
             UPDATE credentials c SET last_used_at = due.at FROM due
             WHERE c.workspace_id = due.workspace_id AND c.id = due.id";

const COUNT_USES_SQL: &str = "INSERT INTO usage_daily (workspace_id, credential_id, workflow_id, day, count, last_used_at)
         SELECT u.* FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::date[], $5::int8[], $6::timestamptz[])
                AS u(ws, cred, wf, day, n, at)
         -- A credential purged since it was resolved has no counters to keep.
         WHERE EXISTS (SELECT 1 FROM credentials c WHERE c.workspace_id = u.ws AND c.id = u.cred)
         ORDER BY u.ws, u.cred, u.wf, u.day
         ON CONFLICT (workspace_id, credential_id, workflow_id, day) DO UPDATE
           SET count = usage_daily.count + EXCLUDED.count, last_used_at = greatest(usage_daily.last_used_at, EXCLUDED.last_used_at)";

const TOUCH_WORKFLOWS_SQL: &str = "WITH due AS (
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
                    c.token_obtained_at
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
