//! Deliveries: one row per (webhook, audit event), with its attempts.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

/// A delivery as stored.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_type: String,
    pub audit_seq: Option<i64>,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const DELIVERY_COLS: &str =
    "workspace_id, id, webhook_id, event_type, audit_seq, subject, body, status, attempts,
     last_status_code, last_error, next_attempt_at, delivered_at, created_at";

fn delivery(r: &tokio_postgres::Row) -> DeliveryRow {
    DeliveryRow {
        workspace_id: r.get(0),
        id: r.get(1),
        webhook_id: r.get(2),
        event_type: r.get(3),
        audit_seq: r.get(4),
        subject: r.get(5),
        body: r.get(6),
        status: r.get(7),
        attempts: r.get(8),
        last_status_code: r.get(9),
        last_error: r.get(10),
        next_attempt_at: r.get(11),
        delivered_at: r.get(12),
        created_at: r.get(13),
    }
}

/// A webhook's deliveries, newest first, before the delivery id `before`.
pub async fn deliveries(
    c: &impl GenericClient,
    ws: Uuid,
    webhook: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!(
                "SELECT {DELIVERY_COLS} FROM webhook_deliveries
                 WHERE workspace_id = $1 AND webhook_id = $2 AND ($3::uuid IS NULL OR id < $3)
                 ORDER BY id DESC LIMIT $4"
            ))
            .await?,
            &[&ws, &webhook, &before, &limit],
        )
        .await?;
    Ok(rows.iter().map(delivery).collect())
}

/// One new delivery (none when the webhook already has one for this audit event).
pub struct NewDelivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_type: String,
    pub audit_seq: i64,
    pub subject: String,
    pub body: String,
}

/// Adds deliveries and moves each webhook's cursor, in the caller's transaction.
pub async fn enqueue(
    c: &impl GenericClient,
    ws: Uuid,
    new: &[NewDelivery],
    cursors: &[(Uuid, i64)],
) -> Result<(), StoreError> {
    if !new.is_empty() {
        let ids: Vec<Uuid> = new.iter().map(|d| d.id).collect();
        let hooks: Vec<Uuid> = new.iter().map(|d| d.webhook_id).collect();
        let types: Vec<&str> = new.iter().map(|d| d.event_type.as_str()).collect();
        let seqs: Vec<i64> = new.iter().map(|d| d.audit_seq).collect();
        let subjects: Vec<&str> = new.iter().map(|d| d.subject.as_str()).collect();
        let bodies: Vec<&str> = new.iter().map(|d| d.body.as_str()).collect();
        c.execute(
            &c.prepare_cached(
                "INSERT INTO webhook_deliveries (workspace_id, id, webhook_id, event_type, audit_seq, subject, body)
             SELECT $1, u.* FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::int8[], $6::text[], $7::text[]) AS u
             ON CONFLICT (workspace_id, webhook_id, audit_seq) DO NOTHING",
            )
            .await?,
            &[&ws, &ids, &hooks, &types, &seqs, &subjects, &bodies],
        )
        .await?;
    }
    if !cursors.is_empty() {
        let (ids, upto): (Vec<Uuid>, Vec<i64>) = cursors.iter().copied().unzip();
        c.execute(
            &c.prepare_cached(
                "UPDATE webhooks w SET cursor = greatest(w.cursor, u.upto)
             FROM unnest($2::uuid[], $3::int8[]) AS u(id, upto)
             WHERE w.workspace_id = $1 AND w.id = u.id",
            )
            .await?,
            &[&ws, &ids, &upto],
        )
        .await?;
    }
    Ok(())
}

/// Pending deliveries of a workspace due now, oldest event first, that no earlier pending
/// delivery of the same webhook and subject waits before (so taken in order, each subject's
/// deliveries here are a run that may go out one after the other, in audit order).
pub async fn due(
    c: &impl GenericClient,
    ws: Uuid,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!(
                "SELECT {DELIVERY_COLS} FROM webhook_deliveries d
                 WHERE d.workspace_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= now()
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                                   WHERE e.workspace_id = d.workspace_id AND e.webhook_id = d.webhook_id
                                     AND e.subject = d.subject AND e.status = 'pending'
                                     AND e.audit_seq < d.audit_seq AND e.next_attempt_at > now())
                   AND EXISTS (SELECT 1 FROM webhooks w
                               WHERE w.workspace_id = d.workspace_id AND w.id = d.webhook_id AND NOT w.disabled)
                 ORDER BY d.audit_seq LIMIT $2"
            ))
            .await?,
            &[&ws, &limit],
        )
        .await?;
    Ok(rows.iter().map(delivery).collect())
}

/// One attempt's outcome: delivered, to be tried again at `retry_at`, or failed for good
/// (neither).
pub struct Attempt {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub delivered: bool,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub retry_at: Option<DateTime<Utc>>,
}

/// Records a workspace's attempts in two statements, and moves each webhook's run of failures
/// (ended by any delivered attempt, else begun if not yet). Returns (webhook, when its run of
/// failures began) for those still failing.
pub async fn record_attempts(
    c: &impl GenericClient,
    ws: Uuid,
    attempts: &[Attempt],
) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
    if attempts.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = attempts.iter().map(|a| a.id).collect();
    let statuses: Vec<&str> = attempts
        .iter()
        .map(|a| match (a.delivered, a.retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        })
        .collect();
    let codes: Vec<Option<i32>> = attempts.iter().map(|a| a.status_code).collect();
    let errors: Vec<Option<&str>> = attempts.iter().map(|a| a.error.as_deref()).collect();
    let retries: Vec<Option<DateTime<Utc>>> = attempts.iter().map(|a| a.retry_at).collect();
    c.execute(
        &c.prepare_cached(
            "UPDATE webhook_deliveries d SET status = u.status, attempts = d.attempts + 1,
             last_status_code = u.code, last_error = u.error,
             next_attempt_at = coalesce(u.retry_at, d.next_attempt_at),
             delivered_at = CASE WHEN u.status = 'delivered' THEN now() END
         FROM unnest($2::uuid[], $3::text[], $4::int4[], $5::text[], $6::timestamptz[])
              AS u(id, status, code, error, retry_at)
         WHERE d.workspace_id = $1 AND d.id = u.id AND d.status = 'pending'",
        )
        .await?,
        &[&ws, &ids, &statuses, &codes, &errors, &retries],
    )
    .await?;
    let mut hooks: Vec<(Uuid, bool)> = Vec::new();
    for a in attempts {
        match hooks.iter_mut().find(|(id, _)| *id == a.webhook_id) {
            Some((_, ok)) => *ok |= a.delivered,
            None => hooks.push((a.webhook_id, a.delivered)),
        }
    }
    let (hook_ids, oks): (Vec<Uuid>, Vec<bool>) = hooks.into_iter().unzip();
    let rows = c
        .query(
            &c.prepare_cached(
                "UPDATE webhooks w SET failing_since = CASE WHEN u.ok THEN NULL ELSE coalesce(w.failing_since, now()) END
             FROM unnest($2::uuid[], $3::bool[]) AS u(id, ok)
             WHERE w.workspace_id = $1 AND w.id = u.id
             RETURNING w.id, w.failing_since",
            )
            .await?,
            &[&ws, &hook_ids, &oks],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| Some((r.get(0), r.get::<_, Option<DateTime<Utc>>>(1)?)))
        .collect())
}

/// Makes a delivery pending and due now, whatever it was (a receiver may have lost a delivered
/// one). False when there is none.
pub async fn retry_now(
    c: &impl GenericClient,
    ws: Uuid,
    webhook: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    Ok(c.execute(
        &c.prepare_cached(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now()
             WHERE workspace_id = $1 AND webhook_id = $2 AND id = $3",
        )
        .await?,
        &[&ws, &webhook, &id],
    )
    .await?
        == 1)
}
