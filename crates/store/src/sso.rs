//! Single sign-on: a workspace's OIDC configuration (its client secret sealed), the single-use
//! states of the code flow, and the single-use login codes.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::StoreError;

/// A workspace's SSO configuration as stored (the secret still sealed).
#[derive(Debug, Clone)]
pub struct SsoRow {
    pub workspace_id: Uuid,
    pub issuer: String,
    pub client_id: String,
    pub allowed_email_domains: Vec<String>,
    pub default_role: String,
    pub role_claim: Option<String>,
    pub role_map: serde_json::Value,
    pub enforce: bool,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub token_auth: String,
    pub kek_id: String,
    pub wrapped_dek: Vec<u8>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str =
    "workspace_id, issuer, client_id, allowed_email_domains, default_role, role_claim,
    role_map, enforce, authorization_endpoint, token_endpoint, jwks_uri, token_auth, kek_id,
    wrapped_dek, nonce, ciphertext, updated_at";

fn sso(r: &Row) -> SsoRow {
    SsoRow {
        workspace_id: r.get(0),
        issuer: r.get(1),
        client_id: r.get(2),
        allowed_email_domains: r.get(3),
        default_role: r.get(4),
        role_claim: r.get(5),
        role_map: r.get(6),
        enforce: r.get(7),
        authorization_endpoint: r.get(8),
        token_endpoint: r.get(9),
        jwks_uri: r.get(10),
        token_auth: r.get(11),
        kek_id: r.get(12),
        wrapped_dek: r.get(13),
        nonce: r.get(14),
        ciphertext: r.get(15),
        updated_at: r.get(16),
    }
}

/// Creates or replaces the workspace's configuration.
pub async fn put(c: &impl GenericClient, s: &SsoRow) -> Result<SsoRow, StoreError> {
    let r = c
        .query_one(
            &c.prepare_cached(&format!(
                "INSERT INTO sso_configs ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now())
                 ON CONFLICT (workspace_id) DO UPDATE SET issuer = $2, client_id = $3,
                   allowed_email_domains = $4, default_role = $5, role_claim = $6, role_map = $7,
                   enforce = $8, authorization_endpoint = $9, token_endpoint = $10, jwks_uri = $11,
                   token_auth = $12, kek_id = $13, wrapped_dek = $14, nonce = $15, ciphertext = $16,
                   updated_at = now()
                 RETURNING {COLS}"
            )).await?,
            &[
                &s.workspace_id, &s.issuer, &s.client_id, &s.allowed_email_domains,
                &s.default_role, &s.role_claim, &s.role_map, &s.enforce,
                &s.authorization_endpoint, &s.token_endpoint, &s.jwks_uri, &s.token_auth,
                &s.kek_id, &s.wrapped_dek, &s.nonce, &s.ciphertext,
            ],
        )
        .await?;
    Ok(sso(&r))
}

pub async fn get(c: &impl GenericClient, ws: Uuid) -> Result<Option<SsoRow>, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached(&format!(
                "SELECT {COLS} FROM sso_configs WHERE workspace_id = $1"
            ))
            .await?,
            &[&ws],
        )
        .await?;
    Ok(r.as_ref().map(sso))
}

/// Removes the configuration; false when there was none.
pub async fn delete(c: &impl GenericClient, ws: Uuid) -> Result<bool, StoreError> {
    Ok(c.execute(
        &c.prepare_cached("DELETE FROM sso_configs WHERE workspace_id = $1")
            .await?,
        &[&ws],
    )
    .await?
        > 0)
}

/// Whether the workspace requires SSO of everyone but its owners.
pub async fn enforced(c: &impl GenericClient, ws: Uuid) -> Result<bool, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached("SELECT enforce FROM sso_configs WHERE workspace_id = $1")
                .await?,
            &[&ws],
        )
        .await?;
    Ok(r.is_some_and(|r| r.get(0)))
}

pub async fn insert_state(
    c: &impl GenericClient,
    state_hash: &[u8],
    ws: Uuid,
    return_to: Option<&str>,
    ttl_secs: i32,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached(
            "INSERT INTO sso_states (state_hash, workspace_id, return_to, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        )
        .await?,
        &[&state_hash, &ws, &return_to, &f64::from(ttl_secs)],
    )
    .await?;
    Ok(())
}

/// Marks a state used, once: its workspace and `return_to`, or `None` when it is unknown, used
/// or expired.
pub async fn consume_state(
    c: &impl GenericClient,
    state_hash: &[u8],
) -> Result<Option<(Uuid, Option<String>)>, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached(
                "UPDATE sso_states SET used_at = now()
              WHERE state_hash = $1 AND used_at IS NULL AND expires_at > now()
              RETURNING workspace_id, return_to",
            )
            .await?,
            &[&state_hash],
        )
        .await?;
    Ok(r.map(|r| (r.get(0), r.get(1))))
}

pub async fn insert_login_code(
    c: &impl GenericClient,
    code_hash: &[u8],
    ws: Uuid,
    user_id: Uuid,
    ttl_secs: i32,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached(
            "INSERT INTO sso_login_codes (code_hash, workspace_id, user_id, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        )
        .await?,
        &[&code_hash, &ws, &user_id, &f64::from(ttl_secs)],
    )
    .await?;
    Ok(())
}

/// Marks a login code used, once: its workspace and user.
pub async fn consume_login_code(
    c: &impl GenericClient,
    code_hash: &[u8],
) -> Result<Option<(Uuid, Uuid)>, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached(
                "UPDATE sso_login_codes SET used_at = now()
              WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
              RETURNING workspace_id, user_id",
            )
            .await?,
            &[&code_hash],
        )
        .await?;
    Ok(r.map(|r| (r.get(0), r.get(1))))
}

/// Forgets states and login codes that expired more than a day ago.
pub async fn expire(c: &impl GenericClient) -> Result<u64, StoreError> {
    let a = c
        .execute(
            &c.prepare_cached("DELETE FROM sso_states WHERE expires_at < now() - interval '1 day'")
                .await?,
            &[],
        )
        .await?;
    let b = c
        .execute(
            &c.prepare_cached(
                "DELETE FROM sso_login_codes WHERE expires_at < now() - interval '1 day'",
            )
            .await?,
            &[],
        )
        .await?;
    Ok(a + b)
}
