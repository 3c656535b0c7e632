//! Users of a workspace: everyone reads, owners and admins write.

use std::sync::Arc;

use actix_web::{get, patch, post, web, HttpResponse};
use credvault_domain::identity::Role;
use credvault_domain::validate::{DisplayName, Email, Password};
use credvault_service::identity::users::{self, NewMember, UserChange};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::User;
use super::fields::Fields;
use super::page::PageQuery;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::enums::RoleSchema;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<User>,
    pub next_cursor: Option<String>,
}

/// Users of your workspace.
#[utoipa::path(tag = "users", operation_id = "list_users", description = Doc::of(Action::ReadDirectory).reads(), summary = "List users", params(PageQuery), responses((status = 200, description = "A page of users", body = UserList)))]
#[get("/users")]
pub async fn list_users(
    state: State,
    caller: Authorized<need::ReadDirectory>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<UserList>, ApiError> {
    let (limit, after) = page.parse()?;
    let (rows, more) = users::list(&state, &caller, after, limit).await?;
    let items: Vec<User> = rows.into_iter().map(User::from).collect();
    let next_cursor = if more {
        items.last().map(|u| u.id.to_string())
    } else {
        None
    };
    Ok(web::Json(UserList { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUser {
    /// Unique across the deployment.
    #[schema(value_type = String, format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(value_type = String, min_length = 1, max_length = 128)]
    pub display_name: Option<String>,
    #[schema(value_type = RoleSchema)]
    pub role: Option<String>,
    #[schema(value_type = String, format = Password, min_length = 12, max_length = 1024)]
    pub password: Option<String>,
}

/// Add a user to your workspace.
#[utoipa::path(
    tag = "users", operation_id = "create_user", description = Doc::of(Action::ManageUsers).audits("records `user.created`"), summary = "Create a user", request_body = CreateUser,
    responses(
        (status = 201, description = "The user", body = User),
        (status = 409, description = "The email is taken (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create_user(
    state: State,
    caller: Authorized<need::ManageUsers>,
    body: web::Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let user = users::create(&state, &caller, body.parse()?).await?;
    Ok(HttpResponse::Created().json(User::from_row(user, vec![])))
}

impl CreateUser {
    /// Every field's problem at once, or the new user.
    fn parse(&self) -> Result<NewMember, ApiError> {
        let mut f = Fields::default();
        let email = f.required("email", self.email.as_deref(), Email::parse);
        let display = f.required(
            "display_name",
            self.display_name.as_deref(),
            DisplayName::parse,
        );
        let role = f.required("role", self.role.as_deref(), |s| s.parse::<Role>());
        let password = f.required("password", self.password.as_deref(), Password::parse);
        match (email, display, role, password) {
            (Some(email), Some(display_name), Some(role), Some(password)) => Ok(NewMember {
                email,
                display_name,
                role,
                password,
            }),
            _ => Err(f.into_error()),
        }
    }
}

/// One user of your workspace.
#[utoipa::path(tag = "users", operation_id = "get_user", description = Doc::of(Action::ReadDirectory).reads(), summary = "Get a user", params(("id" = Uuid, Path, description = "User id")), responses((status = 200, description = "The user", body = User)))]
#[get("/users/{id}")]
pub async fn get_user(
    state: State,
    caller: Authorized<need::ReadDirectory>,
    id: web::Path<Uuid>,
) -> Result<web::Json<User>, ApiError> {
    Ok(web::Json(users::get(&state, &caller, *id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateUser {
    #[schema(value_type = String, min_length = 1, max_length = 128, required = false)]
    pub display_name: Option<String>,
    /// The last owner cannot be demoted (409).
    #[schema(value_type = RoleSchema, required = false)]
    pub role: Option<String>,
    /// Disabling revokes the user's sessions and tokens.
    #[schema(value_type = bool, required = false)]
    pub disabled: Option<bool>,
}

/// Change a user's name, role or disabled flag.
#[utoipa::path(
    tag = "users", operation_id = "update_user", description = Doc::of(Action::ManageUsers).note("The last owner cannot be demoted or disabled (409).").audits("records `user.updated`; disabling also `session.revoked` and `token.revoked` for what stops working"), summary = "Update a user", params(("id" = Uuid, Path, description = "User id")), request_body = UpdateUser,
    responses(
        (status = 200, description = "The user", body = User),
        (status = 409, description = "That would leave the workspace without an owner (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: State,
    caller: Authorized<need::ManageUsers>,
    id: web::Path<Uuid>,
    body: web::Json<UpdateUser>,
) -> Result<web::Json<User>, ApiError> {
    let updated = users::update(&state, &caller, *id, body.parse()?).await?;
    Ok(web::Json(updated.into()))
}

impl UpdateUser {
    /// Every field's problem at once, or the change.
    fn parse(&self) -> Result<UserChange, ApiError> {
        let mut f = Fields::default();
        let display = f.optional(
            "display_name",
            self.display_name.as_deref(),
            DisplayName::parse,
        );
        let role = f.optional("role", self.role.as_deref(), |s| s.parse::<Role>());
        match (display, role) {
            (Some(display_name), Some(role)) => Ok(UserChange {
                display_name,
                role,
                disabled: self.disabled,
            }),
            _ => Err(f.into_error()),
        }
    }
}
