//! Teams and their members.

use std::sync::Arc;

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use credvault_domain::validate::Name;
use credvault_store::identity::{self as store, TeamRow};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::fields::Fields;
use crate::audit::{self, Event};
use crate::auth::{need, Authorized};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct Member {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub members: Vec<Member>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamList {
    pub items: Vec<Team>,
}

#[derive(Deserialize, ToSchema)]
pub struct TeamBody {
    pub name: Option<String>,
}

async fn with_members(
    c: &impl GenericClient,
    ws: Uuid,
    teams: Vec<TeamRow>,
) -> Result<Vec<Team>, ApiError> {
    let ids: Vec<Uuid> = teams.iter().map(|t| t.id).collect();
    let members = store::team_members(c, ws, &ids).await?;
    Ok(teams
        .into_iter()
        .map(|t| Team {
            members: members
                .iter()
                .filter(|m| m.team_id == t.id)
                .map(|m| Member {
                    id: m.user_id,
                    email: m.email.clone(),
                    display_name: m.display_name.clone(),
                })
                .collect(),
            id: t.id,
            name: t.name,
        })
        .collect())
}

async fn one(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<Team, ApiError> {
    let teams = store::list_teams(c, ws, Some(&[id])).await?;
    with_members(c, ws, teams)
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("team"))
}

fn name_of(body: &TeamBody) -> Result<Name, ApiError> {
    let mut f = Fields::default();
    f.required("name", body.name.as_deref(), Name::parse)
        .ok_or_else(|| f.into_error())
}

fn taken() -> ApiError {
    ApiError::new(ErrorCode::Conflict, "a team with this name already exists")
}

/// Teams of your workspace.
#[utoipa::path(tag = "teams", operation_id = "list_teams", summary = "List teams", responses((status = 200, description = "Teams with their members", body = TeamList)))]
#[get("/teams")]
pub async fn list_teams(
    state: State,
    caller: Authorized<need::ReadDirectory>,
) -> Result<web::Json<TeamList>, ApiError> {
    let client = state.pool.get().await?;
    let teams = store::list_teams(&client, caller.workspace_id, None).await?;
    Ok(web::Json(TeamList {
        items: with_members(&client, caller.workspace_id, teams).await?,
    }))
}

/// Create a team.
#[utoipa::path(
    tag = "teams", operation_id = "create_team", summary = "Create a team", request_body = TeamBody,
    responses((status = 201, description = "The team", body = Team), (status = 409, description = "The name is taken (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/teams")]
pub async fn create_team(
    state: State,
    caller: Authorized<need::ManageTeams>,
    body: web::Json<TeamBody>,
) -> Result<HttpResponse, ApiError> {
    let name = name_of(&body)?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let team = store::insert_team(&tx, caller.workspace_id, Uuid::now_v7(), name.as_str())
        .await?
        .ok_or_else(taken)?;
    audit::record(
        &tx,
        caller.workspace_id,
        &caller.actor,
        &caller.origin,
        Event::new("team.created").target("team", team.id, Some(team.name.clone())),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(Team {
        id: team.id,
        name: team.name,
        members: vec![],
    }))
}

/// One team.
#[utoipa::path(tag = "teams", operation_id = "get_team", summary = "Get a team", params(("id" = Uuid, Path, description = "Team id")), responses((status = 200, description = "The team", body = Team)))]
#[get("/teams/{id}")]
pub async fn get_team(
    state: State,
    caller: Authorized<need::ReadDirectory>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Team>, ApiError> {
    let client = state.pool.get().await?;
    Ok(web::Json(one(&client, caller.workspace_id, *id).await?))
}

/// Rename a team.
#[utoipa::path(
    tag = "teams", operation_id = "update_team", summary = "Rename a team", params(("id" = Uuid, Path, description = "Team id")), request_body = TeamBody,
    responses((status = 200, description = "The team", body = Team), (status = 409, description = "The name is taken (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[patch("/teams/{id}")]
pub async fn update_team(
    state: State,
    caller: Authorized<need::ManageTeams>,
    id: web::Path<Uuid>,
    body: web::Json<TeamBody>,
) -> Result<web::Json<Team>, ApiError> {
    let name = name_of(&body)?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let renamed = match store::rename_team(&tx, caller.workspace_id, *id, name.as_str()).await {
        Err(e) if e.sqlstate() == Some("23505") => return Err(taken()),
        other => other?,
    };
    let team = renamed.ok_or_else(|| ApiError::not_found("team"))?;
    audit::record(
        &tx,
        caller.workspace_id,
        &caller.actor,
        &caller.origin,
        Event::new("team.updated").target("team", team.id, Some(team.name.clone())),
    )
    .await?;
    let out = one(&tx, caller.workspace_id, *id).await?;
    tx.commit().await?;
    Ok(web::Json(out))
}

/// Delete a team (its members lose what its shares gave them).
#[utoipa::path(tag = "teams", operation_id = "delete_team", summary = "Delete a team", params(("id" = Uuid, Path, description = "Team id")), responses((status = 204, description = "Deleted")))]
#[delete("/teams/{id}")]
pub async fn delete_team(
    state: State,
    caller: Authorized<need::ManageTeams>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    // The team first, then its credentials: the order a share to it is added in.
    if !store::lock_team(&tx, caller.workspace_id, *id).await? {
        return Err(ApiError::not_found("team"));
    }
    let shares =
        crate::shares::take_away_shares_to(&tx, caller.workspace_id, "team", *id, "team deleted")
            .await?;
    let (name, members) = store::delete_team(&tx, caller.workspace_id, *id)
        .await?
        .ok_or_else(|| ApiError::not_found("team"))?;
    let deleted = Event::new("team.deleted")
        .target("team", *id, Some(name))
        .detail(
            "member_ids",
            members.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        );
    let events = std::iter::once(deleted).chain(shares);
    caller.record(&tx, events).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn membership(
    state: &AppState,
    caller: &Authorized<need::ManageTeams>,
    team: Uuid,
    user: Uuid,
    add: bool,
) -> Result<HttpResponse, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let teams = store::list_teams(&tx, caller.workspace_id, Some(&[team])).await?;
    let t = teams.first().ok_or_else(|| ApiError::not_found("team"))?;
    let u = store::user_by_id(&tx, caller.workspace_id, user)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let changed = if add {
        store::add_member(&tx, caller.workspace_id, team, user).await?
    } else {
        store::remove_member(&tx, caller.workspace_id, team, user).await?
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
        audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    } else if !add {
        return Err(ApiError::not_found("team member"));
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a user to a team.
#[utoipa::path(tag = "teams", operation_id = "add_team_member", summary = "Add a team member", params(("id" = Uuid, Path, description = "Team id"), ("user_id" = Uuid, Path, description = "User id")), responses((status = 204, description = "A member (again)")))]
#[put("/teams/{id}/members/{user_id}")]
pub async fn add_member(
    state: State,
    caller: Authorized<need::ManageTeams>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    membership(&state, &caller, path.0, path.1, true).await
}

/// Remove a user from a team.
#[utoipa::path(tag = "teams", operation_id = "remove_team_member", summary = "Remove a team member", params(("id" = Uuid, Path, description = "Team id"), ("user_id" = Uuid, Path, description = "User id")), responses((status = 204, description = "Removed")))]
#[delete("/teams/{id}/members/{user_id}")]
pub async fn remove_member(
    state: State,
    caller: Authorized<need::ManageTeams>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    membership(&state, &caller, path.0, path.1, false).await
}
