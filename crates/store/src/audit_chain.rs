//! The sequencer's storage: committed events not yet in the chain, the heads it moves, and the
//! one statement that links a batch (migration 0015).

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

/// A committed event waiting to be linked: what the chain covers, and its insertion number.
#[derive(Debug, Clone)]
pub struct Unchained {
    pub ord: i64,
    pub workspace_id: Uuid,
    pub id: Uuid,
    /// Given by the writer (imports); None leaves it to the chain.
    pub at: Option<DateTime<Utc>>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: String,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
}

/// The oldest unchained events visible now (committed) after insertion number `after`, in
/// insertion order, up to `limit`.
///
/// Linking moves each event out of the default partition, so a long backlog leaves the front of
/// the unchained index full of entries of rows gone (until vacuum), which a scan from the start
/// walks through every time: under a backlog the sequencer starts after the last event it
/// linked, and from 0 once it has caught up (which also finds events committed late with a
/// lower number). The bound is a sub-select so that the plan walks the index: planned with its
/// value, a number past the partition's last statistics looks like a few rows, and the planner
/// sorts the whole backlog instead (seconds a batch at millions pending).
pub async fn unchained(
    c: &impl GenericClient,
    after: i64,
    limit: i64,
) -> Result<Vec<Unchained>, StoreError> {
    let stmt = c
        .prepare_cached(
            "SELECT ord, workspace_id, id, at, actor_type, actor_id, action, target_type, target_id, outcome,
                    request_id, details
             FROM audit_events WHERE seq IS NULL AND ord > (SELECT $1::int8) ORDER BY ord LIMIT $2",
        )
        .await?;
    let rows = c.query(&stmt, &[&after, &limit]).await?;
    Ok(rows
        .iter()
        .map(|r| Unchained {
            ord: r.get(0),
            workspace_id: r.get(1),
            id: r.get(2),
            at: r.get(3),
            actor_type: r.get(4),
            actor_id: r.get(5),
            action: r.get(6),
            target_type: r.get(7),
            target_id: r.get(8),
            outcome: r.get(9),
            request_id: r.get(10),
            details: r.get(11),
        })
        .collect())
}

/// A workspace's chain head: its last seq, hash and time (zero seq and hash before the first).
#[derive(Debug, Clone)]
pub struct Head {
    pub workspace_id: Uuid,
    pub seq: i64,
    pub hash: Vec<u8>,
    pub at: Option<DateTime<Utc>>,
    /// The master key the chain is keyed with; None while it is linked with plain SHA-256.
    pub key_id: Option<String>,
}

/// Locks the heads of these workspaces until the transaction ends, creating missing ones.
pub async fn lock_heads(c: &impl GenericClient, ws: &[Uuid]) -> Result<Vec<Head>, StoreError> {
    let stmt = c
        .prepare_cached(
            "INSERT INTO audit_heads AS h (workspace_id, seq, hash)
             SELECT w, 0, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
             FROM unnest($1::uuid[]) AS w ORDER BY w
             ON CONFLICT (workspace_id) DO UPDATE SET seq = h.seq
             RETURNING h.workspace_id, h.seq, h.hash, h.at, h.key_id",
        )
        .await?;
    let rows = c.query(&stmt, &[&ws]).await?;
    Ok(rows
        .iter()
        .map(|r| Head {
            workspace_id: r.get(0),
            seq: r.get(1),
            hash: r.get(2),
            at: r.get(3),
            key_id: r.get(4),
        })
        .collect())
}

/// One event's place in the chain.
#[derive(Debug, Clone)]
pub struct Link {
    pub ord: i64,
    pub seq: i64,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    pub at: DateTime<Utc>,
}

/// Links a batch and moves its heads in one statement, and tells listeners of `credvault_audit`
/// (at commit) which workspaces' chains grew: `{workspace id}`, or `{workspace id} uses` when
/// `uses_only` says the batch's events of that workspace (one flag per head) are all
/// `credential.used`, which no webhook is sent. False (the caller must roll back) unless every
/// event was still unchained and every head was there.
pub async fn link(
    c: &impl GenericClient,
    links: &[Link],
    heads: &[Head],
    uses_only: &[bool],
) -> Result<bool, StoreError> {
    let stmt = c
        .prepare_cached(
            "WITH linked AS (
                 UPDATE audit_events e SET seq = u.seq, prev_hash = u.prev, hash = u.hash, at = u.at
                 FROM unnest($1::int8[], $2::int8[], $3::bytea[], $4::bytea[], $5::timestamptz[])
                      AS u(ord, seq, prev, hash, at)
                 WHERE e.ord = u.ord AND e.seq IS NULL
                 RETURNING 1
             ), moved AS (
                 UPDATE audit_heads h SET seq = x.seq, hash = x.hash, at = x.at, key_id = x.key_id
                 FROM unnest($6::uuid[], $7::int8[], $8::bytea[], $9::timestamptz[], $10::text[],
                             $11::bool[])
                      AS x(ws, seq, hash, at, key_id, uses_only)
                 WHERE h.workspace_id = x.ws
                 RETURNING h.workspace_id, pg_notify('credvault_audit',
                     h.workspace_id::text || CASE WHEN x.uses_only THEN ' uses' ELSE '' END)
             )
             SELECT (SELECT count(*) FROM linked), (SELECT count(*) FROM moved)",
        )
        .await?;
    let ords: Vec<i64> = links.iter().map(|l| l.ord).collect();
    let seqs: Vec<i64> = links.iter().map(|l| l.seq).collect();
    let prevs: Vec<&[u8]> = links.iter().map(|l| l.prev_hash.as_slice()).collect();
    let hashes: Vec<&[u8]> = links.iter().map(|l| l.hash.as_slice()).collect();
    let ats: Vec<DateTime<Utc>> = links.iter().map(|l| l.at).collect();
    let ws: Vec<Uuid> = heads.iter().map(|h| h.workspace_id).collect();
    let hseq: Vec<i64> = heads.iter().map(|h| h.seq).collect();
    let hhash: Vec<&[u8]> = heads.iter().map(|h| h.hash.as_slice()).collect();
    let hat: Vec<Option<DateTime<Utc>>> = heads.iter().map(|h| h.at).collect();
    let hkey: Vec<Option<&str>> = heads.iter().map(|h| h.key_id.as_deref()).collect();
    // Linking moves each event out of the default partition (migration 0016): the append-only
    // trigger lets the sequencer's transaction do that. Both sent at once.
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 11] = [
        &ords, &seqs, &prevs, &hashes, &ats, &ws, &hseq, &hhash, &hat, &hkey, &uses_only,
    ];
    let ((), row) = tokio::try_join!(
        c.batch_execute("SET LOCAL credvault.audit_linking = 'on'"),
        c.query_one(&stmt, &params),
    )?;
    let (linked, moved): (i64, i64) = (row.get(0), row.get(1));
    Ok(linked as usize == links.len() && moved as usize == heads.len())
}

/// Which of these insertion numbers are still unchained (committed and not linked yet; an
/// event rolled back is not there at all).
pub async fn still_unchained(c: &impl GenericClient, ords: &[i64]) -> Result<Vec<i64>, StoreError> {
    let stmt = c
        .prepare_cached("SELECT ord FROM audit_events WHERE seq IS NULL AND ord = ANY($1)")
        .await?;
    Ok(c.query(&stmt, &[&ords])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// The insertion numbers of a workspace's committed events not linked yet (the oldest `limit`).
pub async fn unchained_of(
    c: &impl GenericClient,
    ws: Uuid,
    limit: i64,
) -> Result<Vec<i64>, StoreError> {
    let stmt = c
        .prepare_cached(
            "SELECT ord FROM audit_events WHERE seq IS NULL AND workspace_id = $1 ORDER BY ord LIMIT $2",
        )
        .await?;
    Ok(c.query(&stmt, &[&ws, &limit])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// How many of a workspace's committed events are not linked yet.
pub async fn pending(c: &impl GenericClient, ws: Uuid) -> Result<i64, StoreError> {
    Ok(c.query_one(
        "SELECT count(*) FROM audit_events WHERE seq IS NULL AND workspace_id = $1",
        &[&ws],
    )
    .await?
    .get(0))
}

/// Workspaces whose chain has events but is not keyed with `active` (linked with plain SHA-256,
/// or with a key rotated out) and has no key switch waiting to be linked.
/// Returns each with the key its chain is linked with now (None: plain).
pub async fn unswitched(
    c: &impl GenericClient,
    active: &str,
) -> Result<Vec<(Uuid, Option<String>)>, StoreError> {
    let rows = c
        .query(
            "SELECT h.workspace_id, h.key_id FROM audit_heads h
             WHERE h.seq > 0 AND h.key_id IS DISTINCT FROM $1
               AND NOT EXISTS (SELECT 1 FROM audit_events e
                               WHERE e.seq IS NULL AND e.workspace_id = h.workspace_id
                                 AND e.action = 'audit.chain_keyed')",
            &[&active],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The chain head's event (None before the first), for a checkpoint.
pub async fn head_event(
    c: &impl GenericClient,
    ws: Uuid,
) -> Result<Option<crate::audit::StoredEvent>, StoreError> {
    let r = c
        .query_opt(
            &format!(
                "SELECT {} FROM audit_events
                 WHERE workspace_id = $1 AND seq = (SELECT seq FROM audit_heads WHERE workspace_id = $1)",
                crate::audit::EVENT_COLS
            ),
            &[&ws],
        )
        .await?;
    Ok(r.as_ref().map(crate::audit::event))
}

/// The newest chained retention checkpoint of a workspace: its seq and details.
pub async fn latest_checkpoint(
    c: &impl GenericClient,
    ws: Uuid,
) -> Result<Option<(i64, serde_json::Value)>, StoreError> {
    let r = c
        .query_opt(
            "SELECT seq, details FROM audit_events
             WHERE workspace_id = $1 AND action = 'audit.retention_checkpoint' AND actor_type = 'system'
               AND seq IS NOT NULL
             ORDER BY seq DESC LIMIT 1",
            &[&ws],
        )
        .await?;
    Ok(r.map(|r| (r.get(0), r.get(1))))
}

/// Vacuums the partition where events wait to be linked (`credvault_service::pending_sweep`).
pub async fn vacuum_pending(c: &impl GenericClient) -> Result<(), StoreError> {
    c.batch_execute("VACUUM audit_events_pending").await?;
    Ok(())
}

/// An event written already linked: by the sequencer, in its batch, for a resolve's use handed to
/// it (see the service's `chain_direct`), so it is never inserted unchained and moved.
pub struct LinkedEvent<'a> {
    pub workspace_id: Uuid,
    pub event: crate::audit::NewEvent<'a>,
    pub link: &'a Link,
}

/// Inserts `events` with their place in the chain, in one statement; how many.
pub async fn insert_linked(
    c: &impl GenericClient,
    events: &[LinkedEvent<'_>],
) -> Result<u64, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let stmt = c
        .prepare_cached(
            "INSERT INTO audit_events (workspace_id, seq, id, at, actor_type, actor_id, actor_display,
                                       action, target_type, target_id, target_name, outcome, ip,
                                       user_agent, request_id, details, prev_hash, hash)
             SELECT * FROM unnest($1::uuid[], $2::int8[], $3::uuid[], $4::timestamptz[], $5::text[],
                                  $6::uuid[], $7::text[], $8::text[], $9::text[], $10::text[],
                                  $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                                  $16::jsonb[], $17::bytea[], $18::bytea[])",
        )
        .await?;
    macro_rules! col {
        ($($f:tt)+) => {
            events.iter().map(|e| e.$($f)+).collect::<Vec<_>>()
        };
    }
    let ws = col!(workspace_id);
    let (seq, at) = (col!(link.seq), col!(link.at));
    let prev: Vec<&[u8]> = col!(link.prev_hash.as_slice());
    let hash: Vec<&[u8]> = col!(link.hash.as_slice());
    let (id, actor_type, actor_id) = (col!(event.id), col!(event.actor_type), col!(event.actor_id));
    let (actor_display, action) = (col!(event.actor_display), col!(event.action));
    let (target_type, target_id) = (col!(event.target_type), col!(event.target_id));
    let (target_name, outcome) = (col!(event.target_name), col!(event.outcome));
    let (ip, user_agent) = (col!(event.ip), col!(event.user_agent));
    let (request_id, details) = (col!(event.request_id), col!(event.details));
    Ok(c.execute(
        &stmt,
        &[
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
            &prev,
            &hash,
        ],
    )
    .await?)
}
