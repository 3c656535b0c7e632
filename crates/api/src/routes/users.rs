//! Users of a workspace: everyone reads, owners and admins write.

use std::sync::Arc;

use actix_web::{get, patch, post, web, HttpResponse};
use credvault_domain::identity::Role;
use credvault_domain::validate::{DisplayName, Email, Password};
use credvault_store::identity::{self as store, NewUser};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::User;
use super::fields::Fields;
use crate::audit::{self, Event};
use crate::auth::{need, Authorized};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, IntoParams)]
pub struct Page {
    /// 1..200, default 50.
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl Page {
    pub fn parse(&self) -> Result<(i64, Option<Uuid>), ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(ApiError::invalid("limit must be between 1 and 200"));
        }
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(
                Uuid::parse_str(c)
                    .map_err(|_| ApiError::invalid("cursor is not one this API gave out"))?,
            ),
        };
        Ok((limit, after))
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<User>,
    pub next_cursor: Option<String>,
}

/// Users of your workspace.
#[utoipa::path(tag = "users", operation_id = "list_users", summary = "List users", params(Page), responses((status = 200, description = "A page of users", body = UserList)))]
#[get("/users")]
pub async fn list_users(
    state: State,
    caller: Authorized<need::ReadDirectory>,
    page: web::Query<Page>,
) -> Result<web::Json<UserList>, ApiError> {
    let (limit, after) = page.parse()?;
    let client = state.pool.get().await?;
    let rows = store::list_users(&client, caller.workspace_id, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::new();
    for u in rows.into_iter().take(limit as usize) {
        let teams = store::teams_of(&client, caller.workspace_id, u.id).await?;
        items.push(User::from_row(u, teams));
    }
    let next_cursor = if more {
        items.last().map(|u| u.id.to_string())
    } else {
        None
    };
    Ok(web::Json(UserList { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUser {
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// `owner`, `admin`, `member` or `auditor`.
    pub role: Option<String>,
    pub password: Option<String>,
}

/// Add a user to your workspace.
#[utoipa::path(
    tag = "users", operation_id = "create_user", summary = "Create a user", request_body = CreateUser,
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
    let mut f = Fields::default();
    let email = f.required("email", body.email.as_deref(), Email::parse);
    let display = f.required(
        "display_name",
        body.display_name.as_deref(),
        DisplayName::parse,
    );
    let role = f.required("role", body.role.as_deref(), |s| s.parse::<Role>());
    let password = f.required("password", body.password.as_deref(), Password::parse);
    let (Some(email), Some(display), Some(role), Some(password)) = (email, display, role, password)
    else {
        return Err(f.into_error());
    };
    if role == Role::Owner && caller.role() != Some(Role::Owner) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only an owner can make another owner",
        ));
    }
    let hash = super::auth::hash_password(&password).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let new = NewUser {
        workspace_id: caller.workspace_id,
        id: Uuid::now_v7(),
        email: email.as_str(),
        display_name: display.as_str(),
        role: role.as_str(),
        password_hash: &hash,
    };
    let user = store::insert_user(&tx, &new).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::Conflict, "a user with this email already exists")
    })?;
    audit::record(
        &tx,
        caller.workspace_id,
        &caller.actor,
        &caller.origin,
        Event::new("user.created")
            .target("user", user.id, Some(user.display_name.clone()))
            .detail("role", role.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(User::from_row(user, vec![])))
}

/// One user of your workspace.
#[utoipa::path(tag = "users", operation_id = "get_user", summary = "Get a user", params(("id" = Uuid, Path, description = "User id")), responses((status = 200, description = "The user", body = User)))]
#[get("/users/{id}")]
pub async fn get_user(
    state: State,
    caller: Authorized<need::ReadDirectory>,
    id: web::Path<Uuid>,
) -> Result<web::Json<User>, ApiError> {
    let client = state.pool.get().await?;
    let user = store::user_by_id(&client, caller.workspace_id, *id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let teams = store::teams_of(&client, caller.workspace_id, user.id).await?;
    Ok(web::Json(User::from_row(user, teams)))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub role: Option<String>,
    /// Disabling revokes the user's sessions and tokens.
    pub disabled: Option<bool>,
}

/// Change a user's name, role or disabled flag.
#[utoipa::path(
    tag = "users", operation_id = "update_user", summary = "Update a user", params(("id" = Uuid, Path, description = "User id")), request_body = UpdateUser,
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
    let mut f = Fields::default();
    let display = f.optional(
        "display_name",
        body.display_name.as_deref(),
        DisplayName::parse,
    );
    let role = f.optional("role", body.role.as_deref(), |s| s.parse::<Role>());
    let (Some(display), Some(role)) = (display, role) else {
        return Err(f.into_error());
    };
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let owners = store::lock_active_owners(&tx, caller.workspace_id).await?;
    let before = store::lock_user(&tx, caller.workspace_id, *id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let touches_owner = before.role == "owner" || role == Some(Role::Owner);
    if touches_owner && caller.role() != Some(Role::Owner) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only an owner can change an owner or make one",
        ));
    }
    let loses_owner = before.role == "owner"
        && !before.disabled
        && (role.is_some_and(|r| r != Role::Owner) || body.disabled == Some(true));
    if loses_owner && owners <= 1 {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this is the workspace's last owner: make someone else owner first",
        ));
    }
    let user = store::update_user(
        &tx,
        caller.workspace_id,
        *id,
        display.as_ref().map(|d| d.as_str()),
        role.map(|r| r.as_str()),
        body.disabled,
    )
    .await?
    .ok_or_else(|| ApiError::not_found("user"))?;
    // Disabling ends their sessions and tokens, each on the record like any revocation; the
    // engine tokens an owner made end when they are disabled or stop being an owner.
    let mut revoked = Vec::new();
    let disabled_now = body.disabled == Some(true) && !before.disabled;
    if disabled_now {
        for sid in store::revoke_sessions_except(&tx, caller.workspace_id, user.id, None).await? {
            revoked.push(
                Event::new("session.revoked")
                    .target("session", sid, None)
                    .detail("reason", "user disabled"),
            );
        }
        for (tid, name) in store::revoke_user_tokens(&tx, caller.workspace_id, user.id).await? {
            revoked.push(
                Event::new("token.revoked")
                    .target("token", tid, Some(name))
                    .detail("reason", "user disabled"),
            );
        }
    }
    let demoted = before.role == "owner" && user.role != "owner";
    if disabled_now || demoted {
        let reason = if disabled_now {
            "creator disabled"
        } else {
            "creator no longer an owner"
        };
        for (tid, name) in
            store::revoke_engine_tokens_of_creator(&tx, caller.workspace_id, user.id).await?
        {
            revoked.push(
                Event::new("token.revoked")
                    .target("token", tid, Some(name))
                    .detail("kind", "engine")
                    .detail("reason", reason),
            );
        }
    }
    let mut ev =
        Event::new("user.updated").target("user", user.id, Some(user.display_name.clone()));
    if let Some(r) = role {
        ev = ev.detail("role", r.as_str());
    }
    if let Some(d) = body.disabled {
        ev = ev.detail("disabled", d);
    }
    if display.is_some() {
        ev = ev.detail("display_name_changed", true);
    }
    caller
        .record(&tx, std::iter::once(ev).chain(revoked))
        .await?;
    tx.commit().await?;
    let teams = store::teams_of(&client, caller.workspace_id, user.id).await?;
    Ok(web::Json(User::from_row(user, teams)))
}
