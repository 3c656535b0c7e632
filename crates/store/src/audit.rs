//! The audit log's storage: the per-workspace chain head and append-only events.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

const LOCK_HEAD_SQL: &str = "INSERT INTO audit_heads AS h (workspace_id, seq, hash)
             VALUES ($1, 0, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
             ON CONFLICT (workspace_id) DO UPDATE SET seq = h.seq
             RETURNING seq, hash";

const APPEND_SQL: &str = "INSERT INTO audit_events (workspace_id, seq, id, at, actor_type, actor_id, actor_display, action, target_type,
                                       target_id, target_name, outcome, ip, user_agent, request_id, details, prev_hash, hash)
             SELECT * FROM unnest($1::uuid[], $2::int8[], $3::uuid[], $4::timestamptz[], $5::text[], $6::uuid[], $7::text[],
                                  $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                                  $15::text[], $16::jsonb[], $17::bytea[], $18::bytea[])";

const MOVE_HEAD_SQL: &str = "UPDATE audit_heads SET seq = $2, hash = $3 WHERE workspace_id = $1";

/// Locks the workspace's chain head (creating it at seq 0 with the zero hash) and returns
/// (last seq, last hash). Held until the transaction ends, so appends never fork the chain.
pub async fn lock_head(c: &impl GenericClient, ws: Uuid) -> Result<(i64, Vec<u8>), StoreError> {
    // One statement: create the head on first use, or lock the existing one.
    let stmt = c.prepare_cached(LOCK_HEAD_SQL).await?;
    let row = c.query_one(&stmt, &[&ws]).await?;
    Ok((row.get(0), row.get(1)))
}

/// One event as stored.
pub struct EventRow<'a> {
    pub workspace_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_type: &'a str,
    pub actor_id: Option<Uuid>,
    pub actor_display: Option<&'a str>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub target_name: Option<&'a str>,
    pub outcome: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub details: &'a serde_json::Value,
    pub prev_hash: &'a [u8],
    pub hash: &'a [u8],
}

/// Appends an event and moves the head to it.
pub async fn append(c: &impl GenericClient, e: &EventRow<'_>) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO audit_events (workspace_id, seq, id, at, actor_type, actor_id, actor_display, action, target_type,
                                   target_id, target_name, outcome, ip, user_agent, request_id, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        &[
            &e.workspace_id, &e.seq, &e.id, &e.at, &e.actor_type, &e.actor_id, &e.actor_display, &e.action, &e.target_type,
            &e.target_id, &e.target_name, &e.outcome, &e.ip, &e.user_agent, &e.request_id, &e.details, &e.prev_hash, &e.hash,
        ],
    )
    .await?;
    c.execute(
        "UPDATE audit_heads SET seq = $2, hash = $3 WHERE workspace_id = $1",
        &[&e.workspace_id, &e.seq, &e.hash],
    )
    .await?;
    Ok(())
}

/// A stored event, every column.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub workspace_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_display: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

const EVENT_COLS: &str = "workspace_id, seq, id, at, actor_type, actor_id, actor_display, action, target_type, target_id,
     target_name, outcome, ip, user_agent, request_id, details, prev_hash, hash";

fn event(r: &tokio_postgres::Row) -> StoredEvent {
    StoredEvent {
        workspace_id: r.get(0),
        seq: r.get(1),
        id: r.get(2),
        at: r.get(3),
        actor_type: r.get(4),
        actor_id: r.get(5),
        actor_display: r.get(6),
        action: r.get(7),
        target_type: r.get(8),
        target_id: r.get(9),
        target_name: r.get(10),
        outcome: r.get(11),
        ip: r.get(12),
        user_agent: r.get(13),
        request_id: r.get(14),
        details: r.get(15),
        prev_hash: r.get(16),
        hash: r.get(17),
    }
}

/// Events of a workspace in chain order, `seq > after`, up to `limit`.
pub async fn events_after(
    c: &impl GenericClient,
    ws: Uuid,
    after: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = c
        .query(
            &format!("SELECT {EVENT_COLS} FROM audit_events WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"),
            &[&ws, &after, &limit],
        )
        .await?;
    Ok(rows.iter().map(event).collect())
}

/// Events whose actor is one of `actor_ids`, in chain order.
pub async fn events_by_actors(
    c: &impl GenericClient,
    ws: Uuid,
    actor_ids: &[Uuid],
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = c
        .query(
            &format!("SELECT {EVENT_COLS} FROM audit_events WHERE workspace_id = $1 AND actor_id = ANY($2) ORDER BY seq"),
            &[&ws, &actor_ids],
        )
        .await?;
    Ok(rows.iter().map(event).collect())
}

/// Appends several events of one workspace in one statement and moves the head to the last.
/// `events` must be consecutive and follow the current head.
pub async fn append_many(
    c: &impl GenericClient,
    events: &[EventRow<'_>],
) -> Result<(), StoreError> {
    let Some(last) = events.last() else {
        return Ok(());
    };
    macro_rules! col {
        ($f:ident) => {
            events.iter().map(|e| e.$f).collect::<Vec<_>>()
        };
    }
    let (ws, seq, id, at, actor_type, actor_id) = (
        col!(workspace_id),
        col!(seq),
        col!(id),
        col!(at),
        col!(actor_type),
        col!(actor_id),
    );
    let (actor_display, action, target_type, target_id) = (
        col!(actor_display),
        col!(action),
        col!(target_type),
        col!(target_id),
    );
    let (target_name, outcome, ip, user_agent, request_id) = (
        col!(target_name),
        col!(outcome),
        col!(ip),
        col!(user_agent),
        col!(request_id),
    );
    let (details, prev_hash, hash) = (col!(details), col!(prev_hash), col!(hash));
    let stmt = c.prepare_cached(APPEND_SQL).await?;
    let head = c.prepare_cached(MOVE_HEAD_SQL).await?;
    // Both sent at once (pipelined on the connection).
    let insert_params: [&(dyn tokio_postgres::types::ToSql + Sync); 18] = [
        &ws,
        &seq,
        &id,
        &at,
        &actor_type,
        &actor_id,
        &actor_display,
        &action,
        &target_type,
        &target_id,
        &target_name,
        &outcome,
        &ip,
        &user_agent,
        &request_id,
        &details,
        &prev_hash,
        &hash,
    ];
    let head_params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] =
        [&last.workspace_id, &last.seq, &last.hash];
    let insert = c.execute(&stmt, &insert_params);
    let moved = c.execute(&head, &head_params);
    tokio::try_join!(insert, moved)?;
    Ok(())
}

/// Filters of the audit list; every one optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Any of these actors (a user and their personal tokens).
    pub actor_ids: Option<Vec<Uuid>>,
    pub action: Option<String>,
    pub credential_id: Option<Uuid>,
    pub outcome: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A page of events. Newest first before `before` (a seq), or oldest first after `after`.
pub async fn list(
    c: &impl GenericClient,
    ws: Uuid,
    f: &AuditFilter,
    newest_first: bool,
    cursor: Option<i64>,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let credential = f.credential_id.map(|id| id.to_string());
    let (cmp, order) = if newest_first {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    let sql = format!(
        "SELECT {EVENT_COLS} FROM audit_events
         WHERE workspace_id = $1
           AND ($2::uuid[] IS NULL OR actor_id = ANY($2))
           AND ($3::text IS NULL OR action = $3)
           AND ($4::text IS NULL OR (target_type = 'credential' AND target_id = $4))
           AND ($5::text IS NULL OR outcome = $5)
           AND ($6::timestamptz IS NULL OR at >= $6)
           AND ($7::timestamptz IS NULL OR at < $7)
           AND ($8::int8 IS NULL OR seq {cmp} $8)
         ORDER BY seq {order} LIMIT $9"
    );
    let rows = c
        .query(
            &sql,
            &[
                &ws,
                &f.actor_ids,
                &f.action,
                &credential,
                &f.outcome,
                &f.from,
                &f.to,
                &cursor,
                &limit,
            ],
        )
        .await?;
    Ok(rows.iter().map(event).collect())
}

/// Workspaces that have an audit chain.
pub async fn workspaces(c: &impl GenericClient) -> Result<Vec<Uuid>, StoreError> {
    let rows = c
        .query(
            "SELECT workspace_id FROM audit_heads ORDER BY workspace_id",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The chain head as recorded: (last seq, its hash); None before the first event.
pub async fn head(c: &impl GenericClient, ws: Uuid) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    let r = c
        .query_opt(
            "SELECT seq, hash FROM audit_heads WHERE workspace_id = $1",
            &[&ws],
        )
        .await?;
    Ok(r.map(|r| (r.get(0), r.get(1))))
}

/// Prepares the statements of `lock_head` and `append_many` on this connection.
pub async fn prepare_append(c: &impl GenericClient) -> Result<(), StoreError> {
    for sql in [LOCK_HEAD_SQL, APPEND_SQL, MOVE_HEAD_SQL] {
        c.prepare_cached(sql).await?;
    }
    Ok(())
}
