//! Teams and their members: everyone reads, owners and admins manage them. Deleting a team takes
//! away what its shares gave its members.

use credvault_domain::validate::Name;
use credvault_store::identity::{self as store, MemberRow, TeamRow};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::audit::Event;
use crate::error::ServiceError;
use crate::principal::Principal;
use crate::services::Services;

/// A team with its members.
pub struct TeamView {
    pub team: TeamRow,
    pub members: Vec<MemberRow>,
}

fn taken() -> ServiceError {
    ServiceError::Conflict("a team with this name already exists".into())
}

async fn with_members(
    c: &impl GenericClient,
    ws: Uuid,
    teams: Vec<TeamRow>,
) -> Result<Vec<TeamView>, ServiceError> {
    let ids: Vec<Uuid> = teams.iter().map(|t| t.id).collect();
    let members = store::team_members(c, ws, &ids).await?;
    Ok(teams
        .into_iter()
        .map(|team| TeamView {
            members: members
                .iter()
                .filter(|m| m.team_id == team.id)
                .cloned()
                .collect(),
            team,
        })
        .collect())
}

async fn one(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<TeamView, ServiceError> {
    let teams = store::list_teams(c, ws, Some(&[id])).await?;
    with_members(c, ws, teams)
        .await?
        .pop()
        .ok_or(ServiceError::NotFound("team"))
}

/// The workspace's teams with their members.
pub async fn list(
    services: &Services,
    principal: &Principal,
) -> Result<Vec<TeamView>, ServiceError> {
    let client = services.pool.get().await?;
    let teams = store::list_teams(&client, principal.workspace_id, None).await?;
    with_members(&client, principal.workspace_id, teams).await
}

/// One team with its members.
pub async fn get(
    services: &Services,
    principal: &Principal,
    id: Uuid,
) -> Result<TeamView, ServiceError> {
    let client = services.pool.get().await?;
    one(&client, principal.workspace_id, id).await
}

/// Creates a team (with no members).
pub async fn create(
    services: &Services,
    principal: &Principal,
    name: Name,
) -> Result<TeamRow, ServiceError> {
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let team = store::insert_team(&tx, principal.workspace_id, Uuid::now_v7(), name.as_str())
        .await?
        .ok_or_else(taken)?;
    let ev = Event::new("team.created").target("team", team.id, Some(team.name.clone()));
    principal.record(&tx, [ev]).await?;
    tx.commit().await?;
    Ok(team)
}

/// Renames a team.
pub async fn rename(
    services: &Services,
    principal: &Principal,
    id: Uuid,
    name: Name,
) -> Result<TeamView, ServiceError> {
    let ws = principal.workspace_id;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let renamed = match store::rename_team(&tx, ws, id, name.as_str()).await {
        Err(e) if e.sqlstate() == Some("23505") => return Err(taken()),
        other => other?,
    };
    let team = renamed.ok_or(ServiceError::NotFound("team"))?;
    let ev = Event::new("team.updated").target("team", team.id, Some(team.name.clone()));
    principal.record(&tx, [ev]).await?;
    let out = one(&tx, ws, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Deletes a team; its members lose what its shares gave them.
pub async fn delete(
    services: &Services,
    principal: &Principal,
    id: Uuid,
) -> Result<(), ServiceError> {
    let ws = principal.workspace_id;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    // The team first, then its credentials: the order a share to it is added in.
    if !store::lock_team(&tx, ws, id).await? {
        return Err(ServiceError::NotFound("team"));
    }
    let shares = crate::shares::take_away_shares_to(&tx, ws, "team", id, "team deleted").await?;
    let (name, members) = store::delete_team(&tx, ws, id)
        .await?
        .ok_or(ServiceError::NotFound("team"))?;
    let deleted = Event::new("team.deleted")
        .target("team", id, Some(name))
        .detail(
            "member_ids",
            members.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        );
    let events = std::iter::once(deleted).chain(shares);
    principal.record(&tx, events).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a user to a team (again, if they are in it), or removes them.
pub async fn set_member(
    services: &Services,
    principal: &Principal,
    team: Uuid,
    user: Uuid,
    add: bool,
) -> Result<(), ServiceError> {
    let ws = principal.workspace_id;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let teams = store::list_teams(&tx, ws, Some(&[team])).await?;
    let t = teams.first().ok_or(ServiceError::NotFound("team"))?;
    let u = store::user_by_id(&tx, ws, user)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let changed = if add {
        store::add_member(&tx, ws, team, user).await?
    } else {
        store::remove_member(&tx, ws, team, user).await?
    };
    if changed {
        let action = if add {
            "team.member_added"
        } else {
            "team.member_removed"
        };
        let ev = Event::new(action)
            .target("team", team, Some(t.name.clone()))
            .detail("user_id", u.id.to_string());
        principal.record(&tx, [ev]).await?;
    } else if !add {
        return Err(ServiceError::NotFound("team member"));
    }
    tx.commit().await?;
    Ok(())
}
