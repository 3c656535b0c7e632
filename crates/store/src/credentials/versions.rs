//! A credential's sealed versions.

use super::*;

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
        &c.prepare_cached("INSERT INTO credential_versions (workspace_id, credential_id, version, kek_id, wrapped_dek, nonce, ciphertext, config, reason, created_by, destinations)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)").await?,
        &[&v.workspace_id, &v.credential_id, &v.version, &v.kek_id, &v.wrapped_dek, &v.nonce, &v.ciphertext, &v.config, &v.reason, &v.created_by, &v.destinations],
    )
    .await?;
    Ok(())
}

pub(super) const VERSION_COLS: &str =
    "version, kek_id, wrapped_dek, nonce, ciphertext, config, reason, created_at, created_by, destinations";

pub(super) fn version_row(r: &Row) -> VersionRow {
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
            &c.prepare_cached(&format!("SELECT {VERSION_COLS} FROM credential_versions WHERE workspace_id = $1 AND credential_id = $2 AND version = $3")).await?,
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
            &c.prepare_cached(&format!("SELECT {VERSION_COLS} FROM credential_versions WHERE workspace_id = $1 AND credential_id = $2 ORDER BY version DESC")).await?,
            &[&ws, &id],
        )
        .await?;
    Ok(rows.iter().map(version_row).collect())
}
