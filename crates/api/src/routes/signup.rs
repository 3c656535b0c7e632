//! Creating a workspace with its first owner (sign-up), as `CREDVAULT_SIGNUP` allows.

use std::sync::Arc;

use actix_web::{post, web, HttpRequest, HttpResponse};
use credvault_domain::validate::{DisplayName, Email, Name, Password};
use credvault_store::identity::{self as store, NewUser};
use deadpool_postgres::GenericClient;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::{TokenPair, User};
use super::fields::Fields;
use crate::audit::{self, Actor, Event};
use crate::auth::origin_of;
use crate::config::Signup;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

use super::auth::{hash_password, open_session};

#[derive(Deserialize, ToSchema)]
pub struct SignupRequest {
    pub workspace_name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WorkspaceRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignupResponse {
    pub workspace: WorkspaceRef,
    pub user: User,
    pub tokens: TokenPair,
}

/// Create a workspace with its first owner.
#[utoipa::path(
    tag = "auth", operation_id = "create_workspace", summary = "Create a workspace (sign up)", security(()),
    request_body = SignupRequest,
    responses(
        (status = 201, description = "The workspace, its owner and their session", body = SignupResponse),
        (status = 403, description = "Sign-up is closed (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/workspaces")]
pub async fn create_workspace(
    state: State,
    req: HttpRequest,
    body: web::Json<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut f = Fields::default();
    let ws_name = f.required(
        "workspace_name",
        body.workspace_name.as_deref(),
        Name::parse,
    );
    let email = f.required("email", body.email.as_deref(), Email::parse);
    let password = f.required("password", body.password.as_deref(), Password::parse);
    let display = f.required(
        "display_name",
        body.display_name.as_deref(),
        DisplayName::parse,
    );
    let (Some(ws_name), Some(email), Some(password), Some(display)) =
        (ws_name, email, password, display)
    else {
        return Err(f.into_error());
    };
    if state.services.settings.signup == Signup::Closed {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "sign-up is closed on this deployment (CREDVAULT_SIGNUP=closed)",
        ));
    }
    let hash = hash_password(&password).await?;
    let origin = origin_of(&req, &state);
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    store::lock_signups(&tx).await?;
    if state.services.settings.signup == Signup::First && store::workspace_count(&tx).await? > 0 {
        return Err(ApiError::new(ErrorCode::Forbidden, "sign-up is closed: this deployment already has a workspace (CREDVAULT_SIGNUP=first); ask its owner to invite you"));
    }
    let ws = Uuid::now_v7();
    store::insert_workspace(&tx, ws, ws_name.as_str()).await?;
    let new = NewUser {
        workspace_id: ws,
        id: Uuid::now_v7(),
        email: email.as_str(),
        display_name: display.as_str(),
        role: "owner",
        password_hash: &hash,
    };
    let user = store::insert_user(&tx, &new).await?.ok_or_else(|| {
        ApiError::new(ErrorCode::Conflict, "a user with this email already exists")
    })?;
    let tokens = open_session(&tx, &state, ws, user.id, &origin).await?;
    let actor = Actor {
        kind: "user",
        id: Some(user.id),
        display: Some(user.display_name.clone()),
        user_id: None,
    };
    audit::record(
        &tx,
        ws,
        &actor,
        &origin,
        Event::new("user.created")
            .target("user", user.id, Some(user.display_name.clone()))
            .detail("role", "owner"),
    )
    .await?;
    audit::record(
        &tx,
        ws,
        &actor,
        &origin,
        Event::new("auth.login")
            .target("user", user.id, Some(user.display_name.clone()))
            .detail("session_id", tokens.session_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(SignupResponse {
        workspace: WorkspaceRef {
            id: ws,
            name: ws_name.as_str().to_string(),
        },
        user: User::from_row(user, vec![]),
        tokens,
    }))
}
