//! Credentials and their sealed versions, shares (for access), and idempotency records.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::StoreError;

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

const COLS: &str = "c.workspace_id, c.id, c.name, c.service, c.type, c.owner_id, coalesce(u.display_name, ''), c.description,
    c.environment, c.tags, c.config, c.secret_fields, c.status, c.status_detail, c.expires_at, c.rotation_period_days,
    c.rotated_at, c.test, c.current_version, c.row_version, c.last_used_at, c.created_at, c.updated_at, c.deleted_at,
    c.purge_after, EXISTS (SELECT 1 FROM shares s WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id)";

const FROM: &str =
    "credentials c LEFT JOIN users u ON u.workspace_id = c.workspace_id AND u.id = c.owner_id";

fn row(r: &Row) -> CredentialRow {
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
            &format!("SELECT {COLS} FROM {FROM} WHERE c.workspace_id = $1 AND c.id = $2"),
            &[&ws, &id],
        )
        .await?;
    Ok(r.as_ref().map(row))
}

/// The credential, locked for the rest of the transaction.
pub async fn lock(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<CredentialRow>, StoreError> {
    let r = c
        .query_opt(
            &format!(
                "SELECT {COLS} FROM {FROM} WHERE c.workspace_id = $1 AND c.id = $2 FOR UPDATE OF c"
            ),
            &[&ws, &id],
        )
        .await?;
    Ok(r.as_ref().map(row))
}

/// Inserts a new credential (its first version is inserted separately).
pub async fn insert(c: &impl GenericClient, v: &CredentialRow) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO credentials (workspace_id, id, name, service, type, owner_id, description, environment, tags, config,
             secret_fields, status, status_detail, expires_at, rotation_period_days, rotated_at, test, current_version,
             row_version, search_text, created_at, updated_at, token_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $19, $20, $20,
                 ($10::jsonb ->> 'token_expires_at')::timestamptz)",
        &[
            &v.workspace_id, &v.id, &v.name, &v.service, &v.kind, &v.owner_id, &v.description, &v.environment, &v.tags,
            &v.config, &v.secret_fields, &v.status, &v.status_detail, &v.expires_at, &v.rotation_period_days,
            &v.rotated_at, &v.test, &v.current_version, &search_text(v), &v.created_at,
        ],
    )
    .await?;
    Ok(())
}

/// Writes every mutable field of `v` and bumps its row version (the ETag).
pub async fn update(c: &impl GenericClient, v: &CredentialRow) -> Result<(), StoreError> {
    c.execute(
        "UPDATE credentials SET name = $3, service = $4, owner_id = $5, description = $6, environment = $7, tags = $8,
             config = $9, secret_fields = $10, status = $11, status_detail = $12, expires_at = $13,
             rotation_period_days = $14, rotated_at = $15, test = $16, current_version = $17, search_text = $18,
             deleted_at = $19, purge_after = $20, updated_at = now(), row_version = row_version + 1,
             token_expires_at = ($9::jsonb ->> 'token_expires_at')::timestamptz
         WHERE workspace_id = $1 AND id = $2",
        &[
            &v.workspace_id, &v.id, &v.name, &v.service, &v.owner_id, &v.description, &v.environment, &v.tags, &v.config,
            &v.secret_fields, &v.status, &v.status_detail, &v.expires_at, &v.rotation_period_days, &v.rotated_at, &v.test,
            &v.current_version, &search_text(v), &v.deleted_at, &v.purge_after,
        ],
    )
    .await?;
    Ok(())
}

/// One sealed version.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: i32,
    pub kek_id: String,
    pub wrapped_dek: Option<Vec<u8>>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub config: Value,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    /// The origins its secrets were set for (`domain::credential::destinations`).
    pub destinations: Value,
}

pub struct NewVersion<'a> {
    pub workspace_id: Uuid,
    pub credential_id: Uuid,
    pub version: i32,
    pub kek_id: &'a str,
    pub wrapped_dek: &'a [u8],
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
    pub config: &'a Value,
    pub reason: &'a str,
    pub created_by: Option<Uuid>,
    pub destinations: &'a Value,
}

pub async fn insert_version(c: &impl GenericClient, v: &NewVersion<'_>) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO credential_versions (workspace_id, credential_id, version, kek_id, wrapped_dek, nonce, ciphertext, config, reason, created_by, destinations)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[&v.workspace_id, &v.credential_id, &v.version, &v.kek_id, &v.wrapped_dek, &v.nonce, &v.ciphertext, &v.config, &v.reason, &v.created_by, &v.destinations],
    )
    .await?;
    Ok(())
}

const VERSION_COLS: &str =
    "version, kek_id, wrapped_dek, nonce, ciphertext, config, reason, created_at, created_by, destinations";

fn version_row(r: &Row) -> VersionRow {
    VersionRow {
        version: r.get(0),
        kek_id: r.get(1),
        wrapped_dek: r.get(2),
        nonce: r.get(3),
        ciphertext: r.get(4),
        config: r.get(5),
        reason: r.get(6),
        created_at: r.get(7),
        created_by: r.get(8),
        destinations: r.get(9),
    }
}

pub async fn version(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    version: i32,
) -> Result<Option<VersionRow>, StoreError> {
    let r = c
        .query_opt(
            &format!("SELECT {VERSION_COLS} FROM credential_versions WHERE workspace_id = $1 AND credential_id = $2 AND version = $3"),
            &[&ws, &id, &version],
        )
        .await?;
    Ok(r.as_ref().map(version_row))
}

/// Every version, newest first.
pub async fn versions(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Vec<VersionRow>, StoreError> {
    let rows = c
        .query(
            &format!("SELECT {VERSION_COLS} FROM credential_versions WHERE workspace_id = $1 AND credential_id = $2 ORDER BY version DESC"),
            &[&ws, &id],
        )
        .await?;
    Ok(rows.iter().map(version_row).collect())
}

/// Destroys a credential: its versions (and so their wrapped keys), shares, usage and workflow
/// declarations go with it. Returns what went besides the row.
pub async fn purge(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<Purged, StoreError> {
    // The row lock the DELETE below would take, taken first: a workflow registration that has
    // just declared this credential (under a key-share lock) commits before the declarations are
    // read, so none goes unnamed. A no-op where the caller already holds it.
    c.execute(
        "SELECT 1 FROM credentials WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
        &[&ws, &id],
    )
    .await?;
    // Shred first, explicitly: even a row that some later change kept could no longer be opened.
    let versions = c.execute("UPDATE credential_versions SET wrapped_dek = NULL WHERE workspace_id = $1 AND credential_id = $2", &[&ws, &id]).await?;
    // The workflows' declarations would go with the credential anyway (ON DELETE CASCADE); taken
    // explicitly, they can be named in the purge's event.
    let mut workflow_ids: Vec<String> = c
        .query(
            "DELETE FROM workflow_credentials WHERE workspace_id = $1 AND credential_id = $2 RETURNING workflow_id",
            &[&ws, &id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    workflow_ids.sort();
    c.execute(
        "DELETE FROM credentials WHERE workspace_id = $1 AND id = $2",
        &[&ws, &id],
    )
    .await?;
    Ok(Purged {
        versions,
        workflow_ids,
    })
}

/// What a purge destroyed besides the credential row.
#[derive(Debug)]
pub struct Purged {
    /// Versions whose wrapped data keys were destroyed.
    pub versions: u64,
    /// Workflows that declared the credential (their declarations are gone).
    pub workflow_ids: Vec<String>,
}

/// Forgets idempotency keys older than 24 hours (run by the background purge, not per request).
pub async fn expire_idempotency_keys(c: &impl GenericClient) -> Result<u64, StoreError> {
    Ok(c.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'",
        &[],
    )
    .await?)
}

/// Soft-deleted credentials whose recovery window has passed, locked and skipped by other
/// purgers (several instances may run the purge at once).
pub async fn lock_due_for_purge(
    c: &impl GenericClient,
    limit: i64,
) -> Result<Vec<(Uuid, Uuid, String)>, StoreError> {
    let rows = c
        .query(
            "SELECT workspace_id, id, name FROM credentials WHERE deleted_at IS NOT NULL AND purge_after <= now()
             ORDER BY purge_after LIMIT $1 FOR UPDATE SKIP LOCKED",
            &[&limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// The share levels that reach `user` (directly, through `teams`, or workspace-wide).
pub async fn share_levels(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    user: Option<Uuid>,
    teams: &[Uuid],
) -> Result<Vec<String>, StoreError> {
    let rows = c
        .query(
            "SELECT access FROM shares WHERE workspace_id = $1 AND credential_id = $2
               AND (principal_type = 'workspace' OR (principal_type = 'user' AND principal_id = $3)
                    OR (principal_type = 'team' AND principal_id = ANY($4)))",
            &[&ws, &id, &user, &teams],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Usage totals: (total, last 24 h, last 7 days, last 30 days).
pub async fn usage_totals(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<(i64, i64, i64, i64), StoreError> {
    let r = c
        .query_one(
            "SELECT coalesce(sum(count), 0)::int8,
                    coalesce(sum(count) FILTER (WHERE last_used_at > now() - interval '24 hours'), 0)::int8,
                    coalesce(sum(count) FILTER (WHERE day > current_date - 7), 0)::int8,
                    coalesce(sum(count) FILTER (WHERE day > current_date - 30), 0)::int8
             FROM usage_daily WHERE workspace_id = $1 AND credential_id = $2",
            &[&ws, &id],
        )
        .await?;
    Ok((r.get(0), r.get(1), r.get(2), r.get(3)))
}

/// Who is asking, for the list's access computation.
pub struct Viewer<'a> {
    pub user: Option<Uuid>,
    pub teams: &'a [Uuid],
    /// Owners/admins see everything at `manage`, auditors at `view`, engines at `use`.
    pub role_rank: Option<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<String>,
    /// `active`, `expired`, `error`, `deleted`; None = all but deleted.
    pub status: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub tag: Option<String>,
    pub shared: Option<bool>,
    pub owner_id: Option<Uuid>,
    pub q: Option<String>,
}

/// The sort orders of the list; the cursor is the last row's sort key and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    NameDesc,
    Updated,
    UpdatedDesc,
    LastUsed,
    LastUsedDesc,
}

/// Where the previous page ended.
#[derive(Debug, Clone)]
pub enum After {
    Text(String, Uuid),
    Time(Option<DateTime<Utc>>, Uuid),
}

/// One page of credentials the viewer has any access to, with that access as a rank
/// (1 use, 2 view, 3 manage, 4 owner) and the name-sort key as the database computes it. Answered from indexes: keyset pagination on the sort key.
pub async fn list(
    c: &impl GenericClient,
    ws: Uuid,
    viewer: &Viewer<'_>,
    f: &ListFilter,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<(CredentialRow, i32, String)>, StoreError> {
    let mut params: Vec<Box<dyn ToSql + Sync + Send>> = vec![
        Box::new(ws),
        Box::new(viewer.user),
        Box::new(viewer.teams.to_vec()),
        Box::new(viewer.role_rank),
    ];
    let mut wh = vec!["c.workspace_id = $1".to_string()];
    let p = |v: Box<dyn ToSql + Sync + Send>, params: &mut Vec<Box<dyn ToSql + Sync + Send>>| {
        params.push(v);
        format!("${}", params.len())
    };
    match f.status.as_deref() {
        None => wh.push("c.deleted_at IS NULL".into()),
        Some("deleted") => wh.push("c.deleted_at IS NOT NULL".into()),
        Some("expired") => wh.push(
            "c.deleted_at IS NULL AND (c.status = 'expired' OR c.expires_at <= now())".into(),
        ),
        Some(s) => {
            let n = p(Box::new(s.to_string()), &mut params);
            wh.push(format!("c.deleted_at IS NULL AND c.status = {n} AND (c.expires_at IS NULL OR c.expires_at > now())"));
        }
    }
    if let Some(v) = &f.kind {
        let n = p(Box::new(v.clone()), &mut params);
        wh.push(format!("c.type = {n}"));
    }
    if let Some(v) = &f.service {
        let n = p(Box::new(v.clone()), &mut params);
        wh.push(format!("c.service = {n}"));
    }
    if let Some(v) = &f.environment {
        let n = p(Box::new(v.clone()), &mut params);
        wh.push(format!("c.environment = {n}"));
    }
    if let Some(v) = &f.tag {
        let n = p(Box::new(vec![v.to_lowercase()]), &mut params);
        wh.push(format!("c.tags @> {n}::text[]"));
    }
    if let Some(v) = f.owner_id {
        let n = p(Box::new(v), &mut params);
        wh.push(format!("c.owner_id = {n}"));
    }
    if let Some(v) = f.shared {
        wh.push(format!("{}EXISTS (SELECT 1 FROM shares s WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id)", if v { "" } else { "NOT " }));
    }
    let mut q_param = None;
    if let Some(q) = &f.q {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let n = p(Box::new(format!("%{escaped}%")), &mut params);
        q_param = Some(n);
    }
    let (order, key_expr, asc) = match sort {
        Sort::Name => ("lower(c.name) ASC, c.id ASC", "lower(c.name)", true),
        Sort::NameDesc => ("lower(c.name) DESC, c.id DESC", "lower(c.name)", false),
        Sort::Updated => ("c.updated_at ASC, c.id ASC", "c.updated_at", true),
        Sort::UpdatedDesc => ("c.updated_at DESC, c.id DESC", "c.updated_at", false),
        Sort::LastUsed => (
            "c.last_used_at ASC NULLS LAST, c.id ASC",
            "c.last_used_at",
            true,
        ),
        Sort::LastUsedDesc => (
            "c.last_used_at DESC NULLS LAST, c.id DESC",
            "c.last_used_at",
            false,
        ),
    };
    let cmp = if asc { ">" } else { "<" };
    match after {
        None => {}
        Some(After::Text(k, id)) => {
            let (nk, ni) = (
                p(Box::new(k.clone()), &mut params),
                p(Box::new(*id), &mut params),
            );
            wh.push(format!("({key_expr}, c.id) {cmp} ({nk}, {ni})"));
        }
        Some(After::Time(Some(t), id)) => {
            let (nk, ni) = (p(Box::new(*t), &mut params), p(Box::new(*id), &mut params));
            let nulls_after = matches!(sort, Sort::LastUsed | Sort::LastUsedDesc);
            wh.push(format!(
                "(({key_expr}, c.id) {cmp} ({nk}, {ni}){})",
                if nulls_after {
                    format!(" OR {key_expr} IS NULL")
                } else {
                    String::new()
                }
            ));
        }
        Some(After::Time(None, id)) => {
            let ni = p(Box::new(*id), &mut params);
            wh.push(format!("{key_expr} IS NULL AND c.id {cmp} {ni}"));
        }
    }
    let lim = p(Box::new(limit), &mut params);
    let access = "greatest(
               CASE WHEN c.owner_id = $2 THEN 4 END,
               $4::int4,
               (SELECT max(CASE s.access WHEN 'manage' THEN 3 WHEN 'view' THEN 2 ELSE 1 END) FROM shares s
                 WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id
                   AND (s.principal_type = 'workspace' OR (s.principal_type = 'user' AND s.principal_id = $2)
                        OR (s.principal_type = 'team' AND s.principal_id = ANY($3::uuid[])))))";
    // A role that sees every credential needs no access filter; leaving it out also keeps the
    // planner walking the sort index for a common `q` word instead of sorting every match.
    if viewer.role_rank.is_none() {
        wh.push(format!("{access} IS NOT NULL"));
    }
    // Two steps: the page's ids, then their rows. For the default order and a common `q` word
    // the first is an index-only walk of `credentials_by_name`, which carries the first 400
    // characters of the searched text; longer texts are searched in full by a second branch.
    let wh = wh.join(" AND ");
    let ids = match &q_param {
        None => format!("SELECT c.id FROM credentials c WHERE {wh} ORDER BY {order} LIMIT {lim}"),
        Some(q) => format!(
            "(SELECT c.id FROM credentials c WHERE {wh} AND c.search_short LIKE {q} ORDER BY {order} LIMIT {lim})
             UNION
             (SELECT c.id FROM credentials c WHERE {wh} AND c.search_long AND c.search_text LIKE {q} ORDER BY {order} LIMIT {lim})"
        ),
    };
    let sql = format!(
        "WITH page AS ({ids})
         SELECT {COLS}, {access}, lower(c.name)
           FROM page p JOIN credentials c ON c.workspace_id = $1 AND c.id = p.id
           LEFT JOIN users u ON u.workspace_id = c.workspace_id AND u.id = c.owner_id
          ORDER BY {order} LIMIT {lim}"
    );
    let refs: Vec<&(dyn ToSql + Sync)> = params
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect();
    let rows = c.query(&sql, &refs).await?;
    Ok(rows
        .iter()
        .map(|r| (row(r), r.get::<_, i32>(26), r.get::<_, String>(27)))
        .collect())
}

// ---- idempotency ----

/// Claims an idempotency key inside the caller's transaction. `Ok(None)`: claimed, go on.
/// `Ok(Some(..))`: someone used it first: (their request hash, stored status, body, headers).
/// Whose key it is: idempotency keys are scoped to the caller and the endpoint.
pub struct IdempotencyScope<'a> {
    pub workspace_id: Uuid,
    pub caller: Uuid,
    pub endpoint: &'a str,
    pub key: &'a str,
}

pub async fn claim_idempotency_key(
    c: &impl GenericClient,
    scope: &IdempotencyScope<'_>,
    request_hash: &[u8],
) -> Result<Option<(Vec<u8>, Option<i32>, Option<Value>, Option<Value>)>, StoreError> {
    let (ws, caller, endpoint, key) = (scope.workspace_id, scope.caller, scope.endpoint, scope.key);
    c.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'",
        &[],
    )
    .await?;
    let inserted = c
        .execute(
            "INSERT INTO idempotency_keys (workspace_id, caller, endpoint, key, request_hash) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
            &[&ws, &caller, &endpoint, &key, &request_hash],
        )
        .await?;
    if inserted == 1 {
        return Ok(None);
    }
    let r = c
        .query_one(
            "SELECT request_hash, status, response, headers FROM idempotency_keys
             WHERE workspace_id = $1 AND caller = $2 AND endpoint = $3 AND key = $4",
            &[&ws, &caller, &endpoint, &key],
        )
        .await?;
    Ok(Some((r.get(0), r.get(1), r.get(2), r.get(3))))
}

pub async fn store_idempotent_response(
    c: &impl GenericClient,
    scope: &IdempotencyScope<'_>,
    status: i32,
    body: &Value,
    headers: &Value,
) -> Result<(), StoreError> {
    let (ws, caller, endpoint, key) = (scope.workspace_id, scope.caller, scope.endpoint, scope.key);
    c.execute(
        "UPDATE idempotency_keys SET status = $5, response = $6, headers = $7
         WHERE workspace_id = $1 AND caller = $2 AND endpoint = $3 AND key = $4",
        &[&ws, &caller, &endpoint, &key, &status, body, headers],
    )
    .await?;
    Ok(())
}

/// The metadata of a credential, without any secret.
#[derive(Debug, Clone)]
pub struct OwnedCredential {
    pub id: Uuid,
    pub name: String,
    pub service: String,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Credentials a user owns (deleted ones included), for their data export.
pub async fn owned_by(
    c: &impl GenericClient,
    ws: Uuid,
    owner: Uuid,
) -> Result<Vec<OwnedCredential>, StoreError> {
    let rows = c
        .query(
            "SELECT id, name, service, type, created_at, updated_at, deleted_at FROM credentials
             WHERE workspace_id = $1 AND owner_id = $2 ORDER BY created_at, id",
            &[&ws, &owner],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| OwnedCredential {
            id: r.get(0),
            name: r.get(1),
            service: r.get(2),
            kind: r.get(3),
            created_at: r.get(4),
            updated_at: r.get(5),
            deleted_at: r.get(6),
        })
        .collect())
}

/// A share as shown, with its principal's name.
#[derive(Debug, Clone)]
pub struct ShareRow {
    pub id: Uuid,
    pub principal_type: String,
    pub principal_id: Option<Uuid>,
    pub principal_name: Option<String>,
    pub access: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
}

pub async fn shares_of(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Vec<ShareRow>, StoreError> {
    let rows = c
        .query(
            "SELECT s.id, s.principal_type, s.principal_id,
                    CASE s.principal_type WHEN 'user' THEN u.display_name WHEN 'team' THEN t.name ELSE w.name END,
                    s.access, s.created_at, s.created_by
             FROM shares s
             LEFT JOIN users u ON s.principal_type = 'user' AND u.workspace_id = s.workspace_id AND u.id = s.principal_id
             LEFT JOIN teams t ON s.principal_type = 'team' AND t.workspace_id = s.workspace_id AND t.id = s.principal_id
             LEFT JOIN workspaces w ON w.id = s.workspace_id
             WHERE s.workspace_id = $1 AND s.credential_id = $2 ORDER BY s.created_at, s.id",
            &[&ws, &id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| ShareRow {
            id: r.get(0),
            principal_type: r.get(1),
            principal_id: r.get(2),
            principal_name: r.get(3),
            access: r.get(4),
            created_at: r.get(5),
            created_by: r.get(6),
        })
        .collect())
}

/// Team ids of a user (for share resolution).
pub async fn team_ids_of(
    c: &impl GenericClient,
    ws: Uuid,
    user: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    let rows = c
        .query(
            "SELECT team_id FROM team_members WHERE workspace_id = $1 AND user_id = $2",
            &[&ws, &user],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The sections of the credential review: which credentials fall under each rule.
#[derive(Debug, Clone, Copy)]
pub enum ReviewSection {
    Unused { days: i32 },
    RotationOverdue,
    ExpiringSoon { days: i32 },
    InError,
    BroadlyShared,
    Orphaned,
}

/// One section of the review (live credentials only), by name, at most `limit`.
pub async fn review(
    c: &impl GenericClient,
    ws: Uuid,
    section: ReviewSection,
    limit: i64,
) -> Result<Vec<CredentialRow>, StoreError> {
    let (rule, days) = match section {
        ReviewSection::Unused { days } => ("(c.last_used_at IS NULL OR c.last_used_at < now() - make_interval(days => $2))", days),
        ReviewSection::RotationOverdue => (
            "c.rotation_period_days IS NOT NULL AND coalesce(c.rotated_at, c.created_at) + make_interval(days => c.rotation_period_days) < now() AND $2::int4 = $2::int4",
            0,
        ),
        ReviewSection::ExpiringSoon { days } => ("c.expires_at > now() AND c.expires_at <= now() + make_interval(days => $2)", days),
        ReviewSection::InError => ("c.status = 'error' AND $2::int4 = $2::int4", 0),
        ReviewSection::BroadlyShared => (
            "EXISTS (SELECT 1 FROM shares s WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id
                     AND s.principal_type = 'workspace' AND s.access = 'manage') AND $2::int4 = $2::int4",
            0,
        ),
        ReviewSection::Orphaned => ("coalesce(u.disabled, true) AND $2::int4 = $2::int4", 0),
    };
    let rows = c
        .query(
            &format!("SELECT {COLS} FROM {FROM} WHERE c.workspace_id = $1 AND c.deleted_at IS NULL AND {rule} ORDER BY lower(c.name), c.id LIMIT $3"),
            &[&ws, &days, &limit],
        )
        .await?;
    Ok(rows.iter().map(row).collect())
}
