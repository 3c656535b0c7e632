//! Shares, the access they grant, usage totals, owned credentials and the review report.

use super::*;

/// The share levels that reach `user` (directly, through their teams, or workspace-wide).
pub async fn share_levels(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    user: Uuid,
) -> Result<Vec<String>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(
                "SELECT access FROM shares WHERE workspace_id = $1 AND credential_id = $2
               AND (principal_type = 'workspace' OR (principal_type = 'user' AND principal_id = $3)
                    OR (principal_type = 'team' AND principal_id IN
                        (SELECT team_id FROM team_members WHERE workspace_id = $1 AND user_id = $3)))",
            )
            .await?,
            &[&ws, &id, &user],
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
            &c.prepare_cached("SELECT coalesce(sum(count), 0)::int8,
                    coalesce(sum(count) FILTER (WHERE last_used_at > now() - interval '24 hours'), 0)::int8,
                    coalesce(sum(count) FILTER (WHERE day > current_date - 7), 0)::int8,
                    coalesce(sum(count) FILTER (WHERE day > current_date - 30), 0)::int8
             FROM usage_daily WHERE workspace_id = $1 AND credential_id = $2").await?,
            &[&ws, &id],
        )
        .await?;
    Ok((r.get(0), r.get(1), r.get(2), r.get(3)))
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
            &c.prepare_cached("SELECT id, name, service, type, created_at, updated_at, deleted_at FROM credentials
             WHERE workspace_id = $1 AND owner_id = $2 ORDER BY created_at, id").await?,
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
            &c.prepare_cached("SELECT s.id, s.principal_type, s.principal_id,
                    CASE s.principal_type WHEN 'user' THEN u.display_name WHEN 'team' THEN t.name ELSE w.name END,
                    s.access, s.created_at, s.created_by
             FROM shares s
             LEFT JOIN users u ON s.principal_type = 'user' AND u.workspace_id = s.workspace_id AND u.id = s.principal_id
             LEFT JOIN teams t ON s.principal_type = 'team' AND t.workspace_id = s.workspace_id AND t.id = s.principal_id
             LEFT JOIN workspaces w ON w.id = s.workspace_id
             WHERE s.workspace_id = $1 AND s.credential_id = $2 ORDER BY s.created_at, s.id").await?,
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
            &c.prepare_cached(
                "SELECT team_id FROM team_members WHERE workspace_id = $1 AND user_id = $2",
            )
            .await?,
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
            &c.prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE c.workspace_id = $1 AND c.deleted_at IS NULL AND {rule} ORDER BY lower(c.name), c.id LIMIT $3")).await?,
            &[&ws, &days, &limit],
        )
        .await?;
    Ok(rows.iter().map(row).collect())
}
