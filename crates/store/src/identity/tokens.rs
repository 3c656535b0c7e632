//! API tokens: personal and engine.

use super::*;

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub scopes: Vec<String>,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Who made it (for an engine token, the owner whose standing it depends on).
    pub created_by: Uuid,
}

pub(super) const TOKEN_COLS: &str =
    "workspace_id, id, name, kind, user_id, scopes, prefix, created_at, expires_at, last_used_at, created_by";

pub(super) fn token(r: &Row) -> TokenRow {
    TokenRow {
        workspace_id: r.get(0),
        id: r.get(1),
        name: r.get(2),
        kind: r.get(3),
        user_id: r.get(4),
        scopes: r.get(5),
        prefix: r.get(6),
        created_at: r.get(7),
        expires_at: r.get(8),
        last_used_at: r.get(9),
        created_by: r.get(10),
    }
}

pub struct NewToken<'a> {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub hash: &'a [u8],
    pub name: &'a str,
    pub kind: &'a str,
    pub user_id: Option<Uuid>,
    pub created_by: Uuid,
    pub scopes: &'a [String],
    pub prefix: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert_token(
    c: &impl GenericClient,
    t: &NewToken<'_>,
) -> Result<TokenRow, StoreError> {
    let row = c
        .query_one(
            &c.prepare_cached(&format!(
                "INSERT INTO api_tokens (workspace_id, id, token_hash, name, kind, user_id, created_by, scopes, prefix, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {TOKEN_COLS}"
            )).await?,
            &[&t.workspace_id, &t.id, &t.hash, &t.name, &t.kind, &t.user_id, &t.created_by, &t.scopes, &t.prefix, &t.expires_at],
        )
        .await?;
    Ok(token(&row))
}

/// A live token by its hash, with its user (for personal tokens) when that user is enabled.
pub async fn token_auth(
    c: &impl GenericClient,
    hash: &[u8],
) -> Result<Option<(TokenRow, Option<UserRow>)>, StoreError> {
    let stmt = c
        .prepare_cached(
            "SELECT t.workspace_id, t.id, t.name, t.kind, t.user_id, t.scopes, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.created_by,
                    u.workspace_id, u.id, u.email, u.display_name, u.role, u.disabled, u.created_at
             FROM api_tokens t LEFT JOIN users u ON u.workspace_id = t.workspace_id AND u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
               AND (t.kind <> 'engine' OR EXISTS (
                    SELECT 1 FROM users c WHERE c.workspace_id = t.workspace_id AND c.id = t.created_by
                       AND c.role = 'owner' AND NOT c.disabled))",
        )
        .await?;
    let row = c.query_opt(&stmt, &[&hash]).await?;
    Ok(row.map(|r| {
        let t = token(&r);
        let u: Option<Uuid> = r.get(12);
        let user = u.map(|id| UserRow {
            workspace_id: r.get(11),
            id,
            email: r.get(13),
            display_name: r.get(14),
            role: r.get(15),
            disabled: r.get(16),
            created_at: r.get(17),
        });
        (t, user)
    }))
}

/// Live tokens: personal ones of `user_id`, plus the workspace's engine tokens when asked.
pub async fn list_tokens(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Option<Uuid>,
    with_engines: bool,
) -> Result<Vec<TokenRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE workspace_id = $1 AND revoked_at IS NULL
                   AND ((kind = 'personal' AND user_id = $2) OR (kind = 'engine' AND $3))
                 ORDER BY created_at DESC, id"
            ))
            .await?,
            &[&ws, &user_id, &with_engines],
        )
        .await?;
    Ok(rows.iter().map(token).collect())
}

pub async fn token_by_id(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<TokenRow>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached(&format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL")).await?,
            &[&ws, &id],
        )
        .await?;
    Ok(row.as_ref().map(token))
}

pub async fn revoke_token(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
    Ok(c.execute(
        &c.prepare_cached("UPDATE api_tokens SET revoked_at = now() WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL").await?,
        &[&ws, &id],
    )
    .await?
        == 1)
}

/// Revokes the user's live tokens; returns (id, name) of each.
pub async fn revoke_user_tokens(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    revoke_tokens_where(c, ws, user_id, "user_id = $2").await
}

/// Revokes the live engine tokens `user_id` created (their creator was disabled, erased or is no
/// longer an owner); returns (id, name) of each.
pub async fn revoke_engine_tokens_of_creator(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    revoke_tokens_where(c, ws, user_id, "kind = 'engine' AND created_by = $2").await
}

/// Revokes the live tokens of `ws` that `condition` (on `$2` = `user_id`) picks.
async fn revoke_tokens_where(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    condition: &str,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!(
                "UPDATE api_tokens SET revoked_at = now()
                 WHERE workspace_id = $1 AND {condition} AND revoked_at IS NULL RETURNING id, name"
            ))
            .await?,
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Writes batched `last_used_at` stamps (kept in memory between flushes).
pub async fn record_token_use(
    c: &impl GenericClient,
    uses: &[(Uuid, Uuid, DateTime<Utc>)],
) -> Result<(), StoreError> {
    let ws: Vec<Uuid> = uses.iter().map(|u| u.0).collect();
    let ids: Vec<Uuid> = uses.iter().map(|u| u.1).collect();
    let at: Vec<DateTime<Utc>> = uses.iter().map(|u| u.2).collect();
    c.execute(
        &c.prepare_cached(
            "UPDATE api_tokens t SET last_used_at = greatest(t.last_used_at, u.at)
         FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS u(ws, id, at)
         WHERE t.workspace_id = u.ws AND t.id = u.id",
        )
        .await?,
        &[&ws, &ids, &at],
    )
    .await?;
    Ok(())
}
