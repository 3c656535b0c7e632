//! Workflows, the credentials they declare, shares, and usage.

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

mod runtime;
mod shares;

pub use runtime::*;
pub use shares::*;

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
            &c.prepare_cached(&format!(
                "SELECT {COLS} FROM {FROM} WHERE w.workspace_id = $1 AND w.id = $2"
            ))
            .await?,
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
            &c.prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE w.workspace_id = $1 AND ($2::text IS NULL OR w.id > $2) ORDER BY w.id LIMIT $3")).await?,
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
            &c.prepare_cached("INSERT INTO workflows (workspace_id, id, name, owner_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id, id) DO UPDATE SET name = EXCLUDED.name, owner_id = EXCLUDED.owner_id, updated_at = now()
             RETURNING xmax = 0").await?,
            &[&ws, &id, &name, &owner],
        )
        .await?
        .get(0);
    c.execute(
        &c.prepare_cached(
            "DELETE FROM workflow_credentials WHERE workspace_id = $1 AND workflow_id = $2",
        )
        .await?,
        &[&ws, &id],
    )
    .await?;
    c.execute(
        &c.prepare_cached("INSERT INTO workflow_credentials (workspace_id, workflow_id, credential_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING").await?,
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
            &c.prepare_cached(
                "DELETE FROM workflows WHERE workspace_id = $1 AND id = $2 RETURNING name",
            )
            .await?,
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
            &c.prepare_cached("SELECT id FROM credentials WHERE workspace_id = $1
               AND (id = ANY($2) OR id IN (SELECT credential_id FROM workflow_credentials WHERE workspace_id = $1 AND workflow_id = $3))
             ORDER BY id FOR KEY SHARE").await?,
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
            &c.prepare_cached("SELECT w.id, w.name, (SELECT max(d.last_used_at) FROM usage_daily d
                                   WHERE d.workspace_id = w.workspace_id AND d.credential_id = $2 AND d.workflow_id = w.id)
             FROM workflows w
             WHERE w.workspace_id = $1 AND (
                   EXISTS (SELECT 1 FROM workflow_credentials wc WHERE wc.workspace_id = w.workspace_id AND wc.workflow_id = w.id AND wc.credential_id = $2)
                OR EXISTS (SELECT 1 FROM usage_daily d WHERE d.workspace_id = w.workspace_id AND d.credential_id = $2 AND d.workflow_id = w.id))
             ORDER BY w.name, w.id").await?,
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
            &c.prepare_cached("SELECT day, sum(count)::int8 FROM usage_daily WHERE workspace_id = $1 AND credential_id = $2 AND day > current_date - $3::int4
             GROUP BY day ORDER BY day").await?,
            &[&ws, &credential, &days],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let by_workflow = c
        .query(
            &c.prepare_cached("SELECT d.workflow_id, coalesce(w.name, d.workflow_id), sum(d.count)::int8, max(d.last_used_at)
             FROM usage_daily d LEFT JOIN workflows w ON w.workspace_id = d.workspace_id AND w.id = d.workflow_id
             WHERE d.workspace_id = $1 AND d.credential_id = $2 AND d.day > current_date - $3::int4
             GROUP BY d.workflow_id, w.name ORDER BY 3 DESC, 1").await?,
            &[&ws, &credential, &days],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    Ok((by_day, by_workflow))
}
