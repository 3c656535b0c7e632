//! Webhooks and their deliveries, the per-workspace dispatcher lease, and the marks that make
//! time-based credential events fire once (migration 0014).

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

mod deliveries;
pub use deliveries::*;

/// A webhook as stored, its secret sealed.
#[derive(Debug, Clone)]
pub struct WebhookRow {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub disabled: bool,
    pub kek_id: String,
    pub wrapped_dek: Vec<u8>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub cursor: i64,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const HOOK_COLS: &str =
    "workspace_id, id, url, events, description, disabled, kek_id, wrapped_dek, nonce,
     ciphertext, cursor, failing_since, created_at";

fn hook(r: &tokio_postgres::Row) -> WebhookRow {
    WebhookRow {
        workspace_id: r.get(0),
        id: r.get(1),
        url: r.get(2),
        events: r.get(3),
        description: r.get(4),
        disabled: r.get(5),
        kek_id: r.get(6),
        wrapped_dek: r.get(7),
        nonce: r.get(8),
        ciphertext: r.get(9),
        cursor: r.get(10),
        failing_since: r.get(11),
        created_at: r.get(12),
    }
}

/// Inserts a webhook whose cursor is the workspace's chain head now (it hears of what follows).
pub async fn insert(c: &impl GenericClient, w: &WebhookRow) -> Result<WebhookRow, StoreError> {
    let r = c
        .query_one(
            &c.prepare_cached(&format!(
                "INSERT INTO webhooks (workspace_id, id, url, events, description, disabled, kek_id, wrapped_dek,
                                       nonce, ciphertext, cursor)
                 VALUES ($1, $2, $3, $4, $5, false, $6, $7, $8, $9,
                         coalesce((SELECT seq FROM audit_heads WHERE workspace_id = $1), 0))
                 RETURNING {HOOK_COLS}"
            )).await?,
            &[
                &w.workspace_id, &w.id, &w.url, &w.events, &w.description, &w.kek_id, &w.wrapped_dek,
                &w.nonce, &w.ciphertext,
            ],
        )
        .await?;
    Ok(hook(&r))
}

pub async fn get(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<WebhookRow>, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached(&format!(
                "SELECT {HOOK_COLS} FROM webhooks WHERE workspace_id = $1 AND id = $2"
            ))
            .await?,
            &[&ws, &id],
        )
        .await?;
    Ok(r.as_ref().map(hook))
}

/// The workspace's webhooks, newest first (a workspace has few).
pub async fn list(c: &impl GenericClient, ws: Uuid) -> Result<Vec<WebhookRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!("SELECT {HOOK_COLS} FROM webhooks WHERE workspace_id = $1 ORDER BY id DESC LIMIT 1000")).await?,
            &[&ws],
        )
        .await?;
    Ok(rows.iter().map(hook).collect())
}

/// Writes url, events, description, disabled and the sealed secret. Enabling a webhook again
/// forgets its run of failures.
pub async fn update(c: &impl GenericClient, w: &WebhookRow) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("UPDATE webhooks SET url = $3, events = $4, description = $5, disabled = $6, kek_id = $7,
             wrapped_dek = $8, nonce = $9, ciphertext = $10,
             failing_since = CASE WHEN $6 THEN failing_since END, updated_at = now()
         WHERE workspace_id = $1 AND id = $2").await?,
        &[
            &w.workspace_id,
            &w.id,
            &w.url,
            &w.events,
            &w.description,
            &w.disabled,
            &w.kek_id,
            &w.wrapped_dek,
            &w.nonce,
            &w.ciphertext,
        ],
    )
    .await?;
    Ok(())
}

pub async fn delete(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
    Ok(c.execute(
        &c.prepare_cached("DELETE FROM webhooks WHERE workspace_id = $1 AND id = $2")
            .await?,
        &[&ws, &id],
    )
    .await?
        == 1)
}

/// Disables a webhook (after days of failures). False when it already was.
pub async fn disable(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
    Ok(c.execute(
        &c.prepare_cached("UPDATE webhooks SET disabled = true, updated_at = now() WHERE workspace_id = $1 AND id = $2 AND NOT disabled").await?,
        &[&ws, &id],
    )
    .await?
        == 1)
}

/// Workspaces with work for a dispatcher: an enabled webhook behind the chain head, or a
/// delivery due.
pub async fn busy_workspaces(c: &impl GenericClient) -> Result<Vec<Uuid>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached("SELECT w.workspace_id FROM webhooks w JOIN audit_heads h USING (workspace_id)
             WHERE NOT w.disabled AND w.cursor < h.seq
             UNION
             SELECT workspace_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()").await?,
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Whether a workspace has an enabled webhook (a notification of one without any costs nothing).
pub async fn has_enabled(c: &impl GenericClient, ws: Uuid) -> Result<bool, StoreError> {
    Ok(c.query_opt(
        &c.prepare_cached(
            "SELECT 1 FROM webhooks WHERE workspace_id = $1 AND NOT disabled LIMIT 1",
        )
        .await?,
        &[&ws],
    )
    .await?
    .is_some())
}

/// Takes or renews the workspace's dispatcher lease for `holder`; false while another holds it.
pub async fn take_lease(
    c: &impl GenericClient,
    ws: Uuid,
    holder: Uuid,
    secs: f64,
) -> Result<bool, StoreError> {
    Ok(c
        .query_opt(
            &c.prepare_cached("INSERT INTO webhook_dispatchers AS d (workspace_id, holder, lease_until)
             VALUES ($1, $2, now() + make_interval(secs => $3))
             ON CONFLICT (workspace_id) DO UPDATE SET holder = $2, lease_until = now() + make_interval(secs => $3)
             WHERE d.holder = $2 OR d.lease_until < now()
             RETURNING 1").await?,
            &[&ws, &holder, &secs],
        )
        .await?
        .is_some())
}

/// Gives up every lease `holder` has (at shutdown).
pub async fn release_leases(c: &impl GenericClient, holder: Uuid) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("DELETE FROM webhook_dispatchers WHERE holder = $1")
            .await?,
        &[&holder],
    )
    .await?;
    Ok(())
}

/// A credential whose time-based event is due: (workspace, credential, name, the date, its
/// stored status).
pub type DueMark = (Uuid, Uuid, String, DateTime<Utc>, String);

/// Credentials whose expiry (within `expiring_days`) or rotation due date (passed) has not been
/// announced yet, per `kind`: `expiring`, `rotation_due` or `expired`. Marks them announced.
pub async fn claim_due_marks(
    c: &impl GenericClient,
    kind: &str,
    expiring_days: i32,
    limit: i64,
) -> Result<Vec<DueMark>, StoreError> {
    let due = match kind {
        "expiring" => "c.expires_at > now() AND c.expires_at <= now() + make_interval(days => $2)",
        "expired" => "c.expires_at <= now() AND $2::int4 = $2::int4",
        _ => "c.rotation_period_days > 0
              AND coalesce(c.rotated_at, c.created_at) + make_interval(days => c.rotation_period_days) <= now()
              AND $2::int4 = $2::int4",
    };
    let date = match kind {
        "expiring" | "expired" => "c.expires_at",
        _ => "coalesce(c.rotated_at, c.created_at) + make_interval(days => c.rotation_period_days)",
    };
    let rows = c
        .query(
            &c.prepare_cached(&format!(
                "WITH due AS (
                   SELECT c.workspace_id, c.id, c.name, {date} AS at, c.status FROM credentials c
                   LEFT JOIN credential_event_marks m
                     ON m.workspace_id = c.workspace_id AND m.credential_id = c.id AND m.kind = $1
                   WHERE c.deleted_at IS NULL AND {due} AND (m.at IS NULL OR m.at <> {date})
                   ORDER BY c.workspace_id LIMIT $3
                 ), marked AS (
                   INSERT INTO credential_event_marks (workspace_id, credential_id, kind, at)
                   SELECT workspace_id, id, $1, at FROM due
                   ON CONFLICT (workspace_id, credential_id, kind) DO UPDATE SET at = EXCLUDED.at
                 )
                 SELECT workspace_id, id, name, at, status FROM due"
            ))
            .await?,
            &[&kind, &expiring_days, &limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect())
}

/// The workspace's enabled webhooks.
pub async fn enabled(c: &impl GenericClient, ws: Uuid) -> Result<Vec<WebhookRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!(
                "SELECT {HOOK_COLS} FROM webhooks WHERE workspace_id = $1 AND NOT disabled"
            ))
            .await?,
            &[&ws],
        )
        .await?;
    Ok(rows.iter().map(hook).collect())
}

/// Takes a transaction-scoped advisory lock if free (one instance runs a periodic job).
pub async fn try_xact_lock(c: &impl GenericClient, key: i64) -> Result<bool, StoreError> {
    Ok(c.query_one(
        &c.prepare_cached("SELECT pg_try_advisory_xact_lock($1)")
            .await?,
        &[&key],
    )
    .await?
    .get(0))
}
