//! Credentials and their sealed versions, shares (for access), and idempotency records.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::StoreError;

mod idempotency;
mod listing;
mod purge;
mod shares;
mod versions;

pub use idempotency::*;
pub use listing::*;
pub use purge::*;
pub use shares::*;
pub use versions::*;

/// A credential as stored (no secret: those live sealed in its versions).
#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub service: String,
    pub kind: String,
    pub owner_id: Uuid,
    pub owner_display: String,
    pub description: Option<String>,
    pub environment: Option<String>,
    pub tags: Vec<String>,
    pub config: Value,
    pub secret_fields: Option<Vec<String>>,
    pub status: String,
    pub status_detail: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotation_period_days: Option<i32>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub test: Option<Value>,
    pub current_version: i32,
    pub row_version: i64,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub purge_after: Option<DateTime<Utc>>,
    /// Whether any share exists.
    pub shared: bool,
}

pub(crate) const COLS: &str = "c.workspace_id, c.id, c.name, c.service, c.type, c.owner_id, coalesce(u.display_name, ''), c.description,
    c.environment, c.tags, c.config, c.secret_fields, c.status, c.status_detail, c.expires_at, c.rotation_period_days,
    c.rotated_at, c.test, c.current_version, c.row_version, c.last_used_at, c.created_at, c.updated_at, c.deleted_at,
    c.purge_after, EXISTS (SELECT 1 FROM shares s WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id)";

pub(crate) const FROM: &str =
    "credentials c LEFT JOIN users u ON u.workspace_id = c.workspace_id AND u.id = c.owner_id";

pub(crate) fn row(r: &Row) -> CredentialRow {
    CredentialRow {
        workspace_id: r.get(0),
        id: r.get(1),
        name: r.get(2),
        service: r.get(3),
        kind: r.get(4),
        owner_id: r.get(5),
        owner_display: r.get(6),
        description: r.get(7),
        environment: r.get(8),
        tags: r.get(9),
        config: r.get(10),
        secret_fields: r.get(11),
        status: r.get(12),
        status_detail: r.get(13),
        expires_at: r.get(14),
        rotation_period_days: r.get(15),
        rotated_at: r.get(16),
        test: r.get(17),
        current_version: r.get(18),
        row_version: r.get(19),
        last_used_at: r.get(20),
        created_at: r.get(21),
        updated_at: r.get(22),
        deleted_at: r.get(23),
        purge_after: r.get(24),
        shared: r.get(25),
    }
}

/// What `q` searches: name, service, description and tags, lowercased.
pub fn search_text(c: &CredentialRow) -> String {
    let mut s = format!(
        "{} {} {}",
        c.name,
        c.service,
        c.description.as_deref().unwrap_or("")
    );
    for t in &c.tags {
        s.push(' ');
        s.push_str(t);
    }
    s.to_lowercase()
}

pub async fn get(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<CredentialRow>, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached(&format!(
                "SELECT {COLS} FROM {FROM} WHERE c.workspace_id = $1 AND c.id = $2"
            ))
            .await?,
            &[&ws, &id],
        )
        .await?;
    Ok(r.as_ref().map(row))
}

/// The workspace's credentials among `ids` (in no particular order; missing ones are left out).
pub async fn get_many(
    c: &impl GenericClient,
    ws: Uuid,
    ids: &[Uuid],
) -> Result<Vec<CredentialRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!(
                "SELECT {COLS} FROM {FROM} WHERE c.workspace_id = $1 AND c.id = ANY($2)"
            ))
            .await?,
            &[&ws, &ids],
        )
        .await?;
    Ok(rows.iter().map(row).collect())
}

/// The credential, locked for the rest of the transaction.
pub async fn lock(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<CredentialRow>, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached(&format!(
                "SELECT {COLS} FROM {FROM} WHERE c.workspace_id = $1 AND c.id = $2 FOR UPDATE OF c"
            ))
            .await?,
            &[&ws, &id],
        )
        .await?;
    Ok(r.as_ref().map(row))
}

/// Inserts a new credential (its first version is inserted separately).
pub async fn insert(c: &impl GenericClient, v: &CredentialRow) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("INSERT INTO credentials (workspace_id, id, name, service, type, owner_id, description, environment, tags, config,
             secret_fields, status, status_detail, expires_at, rotation_period_days, rotated_at, test, current_version,
             row_version, search_text, created_at, updated_at, token_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $19, $20, $20,
                 ($10::jsonb ->> 'token_expires_at')::timestamptz)").await?,
        &[
            &v.workspace_id, &v.id, &v.name, &v.service, &v.kind, &v.owner_id, &v.description, &v.environment, &v.tags,
            &v.config, &v.secret_fields, &v.status, &v.status_detail, &v.expires_at, &v.rotation_period_days,
            &v.rotated_at, &v.test, &v.current_version, &search_text(v), &v.created_at,
        ],
    )
    .await?;
    Ok(())
}

/// What the database set when it wrote a credential row.
pub struct Stamp {
    pub row_version: i64,
    pub updated_at: DateTime<Utc>,
}

/// Writes every mutable field of `v` and bumps its row version (the ETag); None if the row is
/// gone.
pub async fn update(
    c: &impl GenericClient,
    v: &CredentialRow,
) -> Result<Option<Stamp>, StoreError> {
    let r = c.query_opt(
        &c.prepare_cached("UPDATE credentials SET name = $3, service = $4, owner_id = $5, description = $6, environment = $7, tags = $8,
             config = $9, secret_fields = $10, status = $11, status_detail = $12, expires_at = $13,
             rotation_period_days = $14, rotated_at = $15, test = $16, current_version = $17, search_text = $18,
             deleted_at = $19, purge_after = $20, updated_at = now(), row_version = row_version + 1,
             token_expires_at = ($9::jsonb ->> 'token_expires_at')::timestamptz
         WHERE workspace_id = $1 AND id = $2 RETURNING row_version, updated_at").await?,
        &[
            &v.workspace_id, &v.id, &v.name, &v.service, &v.owner_id, &v.description, &v.environment, &v.tags, &v.config,
            &v.secret_fields, &v.status, &v.status_detail, &v.expires_at, &v.rotation_period_days, &v.rotated_at, &v.test,
            &v.current_version, &search_text(v), &v.deleted_at, &v.purge_after,
        ],
    )
    .await?;
    Ok(r.map(|r| Stamp {
        row_version: r.get(0),
        updated_at: r.get(1),
    }))
}
