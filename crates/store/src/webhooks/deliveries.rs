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
            &c.prepare_cached("INSERT INTO webhook_deliveries (workspace_id, id, webhook_id, event_type, audit_seq, subject, body)
             SELECT $1, u.* FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::int8[], $6::text[], $7::text[]) AS u
             ON CONFLICT (workspace_id, webhook_id, audit_seq) DO NOTHING").await?,
            &[&ws, &ids, &hooks, &types, &seqs, &subjects, &bodies],
        )
        .await?;
    }
    for (id, cursor) in cursors {
        c.execute(
            &c.prepare_cached("UPDATE webhooks SET cursor = greatest(cursor, $3) WHERE workspace_id = $1 AND id = $2").await?,
            &[&ws, id, cursor],
        )
        .await?;
    }
    Ok(())
}

/// Pending deliveries of a workspace due now, each the earliest pending one of its webhook and
/// subject (so one subject's deliveries go out in audit order), oldest event first.
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
                                     AND e.audit_seq < d.audit_seq)
                   AND EXISTS (SELECT 1 FROM webhooks w
                               WHERE w.workspace_id = d.workspace_id AND w.id = d.webhook_id AND NOT w.disabled)
                 ORDER BY d.audit_seq LIMIT $2"
            )).await?,
            &[&ws, &limit],
        )
        .await?;
    Ok(rows.iter().map(delivery).collect())
}

/// Records an attempt: delivered, to be tried again at `retry_at`, or failed for good (neither).
/// Moves the webhook's run of failures; returns when that run began (None after a success).
pub async fn record_attempt(
    c: &impl GenericClient,
    d: &DeliveryRow,
    delivered: bool,
    status_code: Option<i32>,
    error: Option<&str>,
    retry_at: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let status = match (delivered, retry_at) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    c.execute(
        &c.prepare_cached("UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, last_status_code = $4,
             last_error = $5, next_attempt_at = coalesce($6, next_attempt_at),
             delivered_at = CASE WHEN $3 = 'delivered' THEN now() END
         WHERE workspace_id = $1 AND id = $2 AND status = 'pending'").await?,
        &[
            &d.workspace_id,
            &d.id,
            &status,
            &status_code,
            &error,
            &retry_at,
        ],
    )
    .await?;
    let r = c
        .query_opt(
            &c.prepare_cached("UPDATE webhooks SET failing_since = CASE WHEN $3 THEN NULL ELSE coalesce(failing_since, now()) END
             WHERE workspace_id = $1 AND id = $2 RETURNING failing_since").await?,
            &[&d.workspace_id, &d.webhook_id, &delivered],
        )
        .await?;
    Ok(r.and_then(|r| r.get(0)))
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
