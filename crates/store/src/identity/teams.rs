//! Teams and their members.

use super::*;

#[derive(Debug, Clone)]
pub struct TeamRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct MemberRow {
    pub team_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
}

pub(super) fn team(r: &Row) -> TeamRow {
    TeamRow {
        id: r.get(0),
        name: r.get(1),
        created_at: r.get(2),
    }
}

/// Inserts a team; `Ok(None)` when the name is taken in the workspace.
pub async fn insert_team(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    name: &str,
) -> Result<Option<TeamRow>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached("INSERT INTO teams (workspace_id, id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id, name, created_at").await?,
            &[&ws, &id, &name],
        )
        .await?;
    Ok(row.as_ref().map(team))
}

pub async fn list_teams(
    c: &impl GenericClient,
    ws: Uuid,
    ids: Option<&[Uuid]>,
) -> Result<Vec<TeamRow>, StoreError> {
    let ids: Option<Vec<Uuid>> = ids.map(<[Uuid]>::to_vec);
    let rows = c
        .query(
            &c.prepare_cached("SELECT id, name, created_at FROM teams WHERE workspace_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2)) ORDER BY lower(name), id").await?,
            &[&ws, &ids],
        )
        .await?;
    Ok(rows.iter().map(team).collect())
}

/// Members of the given teams.
pub async fn team_members(
    c: &impl GenericClient,
    ws: Uuid,
    team_ids: &[Uuid],
) -> Result<Vec<MemberRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached("SELECT m.team_id, u.id, u.email, u.display_name FROM team_members m
             JOIN users u ON u.workspace_id = m.workspace_id AND u.id = m.user_id
             WHERE m.workspace_id = $1 AND m.team_id = ANY($2) ORDER BY lower(u.display_name), u.id").await?,
            &[&ws, &team_ids],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| MemberRow {
            team_id: r.get(0),
            user_id: r.get(1),
            email: r.get(2),
            display_name: r.get(3),
        })
        .collect())
}

/// Teams a user belongs to.
pub async fn teams_of(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<TeamRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached("SELECT t.id, t.name, t.created_at FROM team_members m JOIN teams t ON t.workspace_id = m.workspace_id AND t.id = m.team_id
             WHERE m.workspace_id = $1 AND m.user_id = $2 ORDER BY lower(t.name), t.id").await?,
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(team).collect())
}

/// Renames a team; `Ok(None)` if absent, `Err` with a unique violation if the name is taken.
pub async fn rename_team(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    name: &str,
) -> Result<Option<TeamRow>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached("UPDATE teams SET name = $3 WHERE workspace_id = $1 AND id = $2 RETURNING id, name, created_at").await?,
            &[&ws, &id, &name],
        )
        .await?;
    Ok(row.as_ref().map(team))
}

/// Locks a team for its deletion; false when there is no such team.
pub async fn lock_team(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
    Ok(c.query_opt(
        &c.prepare_cached("SELECT 1 FROM teams WHERE workspace_id = $1 AND id = $2 FOR UPDATE")
            .await?,
        &[&ws, &id],
    )
    .await?
    .is_some())
}

/// Deletes a team (its memberships go with it); returns its name and who its members were.
pub async fn delete_team(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<(String, Vec<Uuid>)>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached(
                "WITH members AS (
                 SELECT coalesce(array_agg(user_id ORDER BY user_id), '{}') AS ids
                 FROM team_members WHERE workspace_id = $1 AND team_id = $2)
             DELETE FROM teams WHERE workspace_id = $1 AND id = $2
             RETURNING name, (SELECT ids FROM members)",
            )
            .await?,
            &[&ws, &id],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Adds a member; true when they were not in the team before.
pub async fn add_member(
    c: &impl GenericClient,
    ws: Uuid,
    team: Uuid,
    user: Uuid,
) -> Result<bool, StoreError> {
    Ok(c.execute(
        &c.prepare_cached("INSERT INTO team_members (workspace_id, team_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING").await?,
        &[&ws, &team, &user],
    )
    .await?
        == 1)
}

pub async fn remove_member(
    c: &impl GenericClient,
    ws: Uuid,
    team: Uuid,
    user: Uuid,
) -> Result<bool, StoreError> {
    Ok(c.execute(
        &c.prepare_cached(
            "DELETE FROM team_members WHERE workspace_id = $1 AND team_id = $2 AND user_id = $3",
        )
        .await?,
        &[&ws, &team, &user],
    )
    .await?
        == 1)
}
