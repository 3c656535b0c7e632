//! Teams and their members.

use std::sync::Arc;

use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use credvault_domain::validate::Name;
use credvault_service::teams::{self, TeamView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::fields::Fields;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

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
    /// Unique in the workspace.
    #[schema(value_type = String, min_length = 1, max_length = 128)]
    pub name: Option<String>,
}

impl From<TeamView> for Team {
    fn from(v: TeamView) -> Team {
        Team {
            id: v.team.id,
            name: v.team.name,
            members: v
                .members
                .into_iter()
                .map(|m| Member {
                    id: m.user_id,
                    email: m.email,
                    display_name: m.display_name,
                })
                .collect(),
        }
    }
}

fn name_of(body: &TeamBody) -> Result<Name, ApiError> {
    let mut f = Fields::default();
    f.required("name", body.name.as_deref(), Name::parse)
        .ok_or_else(|| f.into_error())
}

/// Teams of your workspace.
#[utoipa::path(tag = "teams", operation_id = "list_teams", description = Doc::of(Action::ReadDirectory).reads(), summary = "List teams", responses((status = 200, description = "Teams with their members", body = TeamList)))]
#[get("/teams")]
pub async fn list_teams(
    state: State,
    caller: Authorized<need::ReadDirectory>,
) -> Result<web::Json<TeamList>, ApiError> {
    let items = teams::list(&state, &caller).await?;
    Ok(web::Json(TeamList {
        items: items.into_iter().map(Team::from).collect(),
    }))
}

/// Create a team.
#[utoipa::path(
    tag = "teams", operation_id = "create_team", description = Doc::of(Action::ManageTeams).audits("records `team.created`"), summary = "Create a team", request_body = TeamBody,
    responses((status = 201, description = "The team", body = Team), (status = 409, description = "The name is taken (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/teams")]
pub async fn create_team(
    state: State,
    caller: Authorized<need::ManageTeams>,
    body: web::Json<TeamBody>,
) -> Result<HttpResponse, ApiError> {
    let team = teams::create(&state, &caller, name_of(&body)?).await?;
    Ok(HttpResponse::Created().json(Team {
        id: team.id,
        name: team.name,
        members: vec![],
    }))
}

/// One team.
#[utoipa::path(tag = "teams", operation_id = "get_team", description = Doc::of(Action::ReadDirectory).reads(), summary = "Get a team", params(("id" = Uuid, Path, description = "Team id")), responses((status = 200, description = "The team", body = Team)))]
#[get("/teams/{id}")]
pub async fn get_team(
    state: State,
    caller: Authorized<need::ReadDirectory>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Team>, ApiError> {
    Ok(web::Json(teams::get(&state, &caller, *id).await?.into()))
}

/// Rename a team.
#[utoipa::path(
    tag = "teams", operation_id = "update_team", description = Doc::of(Action::ManageTeams).audits("records `team.updated`"), summary = "Rename a team", params(("id" = Uuid, Path, description = "Team id")), request_body = TeamBody,
    responses((status = 200, description = "The team", body = Team), (status = 409, description = "The name is taken (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[patch("/teams/{id}")]
pub async fn update_team(
    state: State,
    caller: Authorized<need::ManageTeams>,
    id: web::Path<Uuid>,
    body: web::Json<TeamBody>,
) -> Result<web::Json<Team>, ApiError> {
    let team = teams::rename(&state, &caller, *id, name_of(&body)?).await?;
    Ok(web::Json(team.into()))
}

/// Delete a team (its members lose what its shares gave them).
#[utoipa::path(tag = "teams", operation_id = "delete_team", description = Doc::of(Action::ManageTeams).audits("records `team.deleted`"), summary = "Delete a team", params(("id" = Uuid, Path, description = "Team id")), responses((status = 204, description = "Deleted")))]
#[delete("/teams/{id}")]
pub async fn delete_team(
    state: State,
    caller: Authorized<need::ManageTeams>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    teams::delete(&state, &caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a user to a team.
#[utoipa::path(tag = "teams", operation_id = "add_team_member", description = Doc::of(Action::ManageTeams).audits("records `team.member_added` (nothing when the user already is a member)"), summary = "Add a team member", params(("id" = Uuid, Path, description = "Team id"), ("user_id" = Uuid, Path, description = "User id")), responses((status = 204, description = "A member (again)")))]
#[put("/teams/{id}/members/{user_id}")]
pub async fn add_member(
    state: State,
    caller: Authorized<need::ManageTeams>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    teams::set_member(&state, &caller, path.0, path.1, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a user from a team.
#[utoipa::path(tag = "teams", operation_id = "remove_team_member", description = Doc::of(Action::ManageTeams).audits("records `team.member_removed`"), summary = "Remove a team member", params(("id" = Uuid, Path, description = "Team id"), ("user_id" = Uuid, Path, description = "User id")), responses((status = 204, description = "Removed")))]
#[delete("/teams/{id}/members/{user_id}")]
pub async fn remove_member(
    state: State,
    caller: Authorized<need::ManageTeams>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    teams::set_member(&state, &caller, path.0, path.1, false).await?;
    Ok(HttpResponse::NoContent().finish())
}
