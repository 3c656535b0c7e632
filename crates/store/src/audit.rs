//! The audit log's storage: the per-workspace chain head and append-only events.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

/// Events with their own times (imports): `audit_insert` makes their months' partitions first.
const INSERT_DATED_SQL: &str =
    "SELECT audit_insert($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15),
            pg_current_xact_id()::text::int8";
/// Events timed by the chain (every request's): the same insert, without a function call.
const INSERT_SQL: &str = "WITH ins AS (
        INSERT INTO audit_events (workspace_id, id, actor_type, actor_id, actor_display, action,
                                  target_type, target_id, target_name, outcome, ip, user_agent,
                                  request_id, details)
        SELECT $1, u.* FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[],
                                   $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                                   $12::text[], $13::text[], $14::jsonb[]) AS u
        RETURNING ord)
    SELECT coalesce(array_agg(ord ORDER BY ord), '{}'), pg_current_xact_id()::text::int8 FROM ins";

/// One event to record: everything but what the chain assigns (`seq`, `at` unless given, and
/// the hashes).
pub struct NewEvent<'a> {
    pub id: Uuid,
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
}

/// What `append_events` wrote: the events' insertion numbers (`ord`), and the writing
/// transaction's id (`pg_current_xact_id()`, which names its cache invalidations too).
pub struct Appended {
    pub ords: Vec<i64>,
    pub xid: i64,
}

/// Inserts a workspace's events unchained in one statement; returns their insertion numbers and
/// the transaction's id. `at` gives every event's time
/// (imports); None leaves it to the chain (the sequencer's clock when it links them).
pub async fn append_events(
    c: &impl GenericClient,
    ws: Uuid,
    at: Option<&[DateTime<Utc>]>,
    events: &[NewEvent<'_>],
) -> Result<Appended, StoreError> {
    if events.is_empty() {
        return Ok(Appended {
            ords: Vec::new(),
            xid: 0,
        });
    }
    macro_rules! col {
        ($f:ident) => {
            events.iter().map(|e| e.$f).collect::<Vec<_>>()
        };
    }
    let (id, actor_type, actor_id, actor_display) = (
        col!(id),
        col!(actor_type),
        col!(actor_id),
        col!(actor_display),
    );
    let (action, target_type, target_id, target_name) = (
        col!(action),
        col!(target_type),
        col!(target_id),
        col!(target_name),
    );
    let (outcome, ip, user_agent, request_id, details) = (
        col!(outcome),
        col!(ip),
        col!(user_agent),
        col!(request_id),
        col!(details),
    );
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![
        &ws,
        &id,
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
    ];
    let stmt = match at {
        Some(ref at) => {
            params.insert(1, at);
            c.prepare_cached(INSERT_DATED_SQL).await?
        }
        None => c.prepare_cached(INSERT_SQL).await?,
    };
    let row = c.query_one(&stmt, &params).await?;
    Ok(Appended {
        ords: row.get(0),
        xid: row.get(1),
    })
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

pub(crate) const EVENT_COLS: &str = "workspace_id, seq, id, at, actor_type, actor_id, actor_display, action, target_type, target_id,
     target_name, outcome, ip, user_agent, request_id, details, prev_hash, hash";

pub(crate) fn event(r: &tokio_postgres::Row) -> StoredEvent {
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

/// A page of the events whose actor is one of `actor_ids`, in chain order: `after < seq <= upto`,
/// at most `limit`. Each actor's events are read from the actor index, at most `limit` of them,
/// so a page costs the same however many events the actors have (a personal token may have
/// millions).
pub async fn events_by_actors(
    c: &impl GenericClient,
    ws: Uuid,
    actor_ids: &[Uuid],
    after: i64,
    upto: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = c
        .query(
            &format!(
                "SELECT {EVENT_COLS} FROM unnest($2::uuid[]) AS a(actor),
                   LATERAL (SELECT * FROM audit_events e
                            WHERE e.workspace_id = $1 AND e.actor_id = a.actor AND e.seq > $3 AND e.seq <= $4
                            ORDER BY e.seq LIMIT $5) AS e
                 ORDER BY seq LIMIT $5"
            ),
            &[&ws, &actor_ids, &after, &upto, &limit],
        )
        .await?;
    Ok(rows.iter().map(event).collect())
}

/// The action of every resolve, left out of the partial indexes (migration 0011).
const USED: &str = "credential.used";

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
    // The action, outcome and credential+action indexes leave out `credential.used` (outcome
    // `success`): said out loud, the planner can use them for every other value.
    let mut partial = String::new();
    if f.action.as_deref().is_some_and(|a| a != USED) {
        partial.push_str(" AND action <> 'credential.used'");
    }
    if f.outcome.as_deref().is_some_and(|o| o != "success") {
        partial.push_str(" AND outcome <> 'success'");
    }
    let sql = format!(
        "SELECT {EVENT_COLS} FROM audit_events
         WHERE workspace_id = $1 AND seq IS NOT NULL{partial}
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

/// Prepares `append_events`' statement on this connection.
pub async fn prepare_append(c: &impl GenericClient) -> Result<(), StoreError> {
    c.prepare_cached(INSERT_SQL).await?;
    Ok(())
}

/// Events of a workspace in chain order with one of `actions` (never `credential.used`),
/// `after < seq <= upto`. Each action is read from the partial action index, so the cost does not
/// grow with the resolves recorded in between.
pub async fn events_with_actions(
    c: &impl GenericClient,
    ws: Uuid,
    after: i64,
    upto: i64,
    actions: &[&str],
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = c
        .query(
            &format!(
                "SELECT {EVENT_COLS} FROM unnest($4::text[]) AS a(wanted),
                   LATERAL (SELECT * FROM audit_events e
                            WHERE e.workspace_id = $1 AND e.action = a.wanted AND e.action <> 'credential.used'
                              AND e.seq > $2 AND e.seq <= $3
                            ORDER BY e.seq LIMIT $5) AS e
                 ORDER BY seq LIMIT $5"
            ),
            &[&ws, &after, &upto, &actions, &limit],
        )
        .await?;
    Ok(rows.iter().map(event).collect())
}
