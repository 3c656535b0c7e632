//! Creating a workspace with its first owner (sign-up), as `CREDVAULT_SIGNUP` allows.

use std::sync::Arc;

use actix_web::{post, web, HttpRequest, HttpResponse};
use credvault_domain::validate::{DisplayName, Email, Name, Password};
use credvault_service::identity::signup::{self, NewWorkspace, SignedUp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::{TokenPair, User};
use super::fields::Fields;
use crate::auth::origin_of;
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, ToSchema)]
pub struct SignupRequest {
    #[schema(value_type = String, min_length = 1, max_length = 128)]
    pub workspace_name: Option<String>,
    /// Unique across the deployment: a user belongs to one workspace.
    #[schema(value_type = String, format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(value_type = String, format = Password, min_length = 12, max_length = 1024)]
    pub password: Option<String>,
    #[schema(value_type = String, min_length = 1, max_length = 128)]
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
    tag = "auth", operation_id = "create_workspace", description = Doc::public().note("Sign-up is governed by `CREDVAULT_SIGNUP`: `open` lets anyone sign up, `first` (the default) only while no workspace exists, `closed` nobody (403).").audits("records `user.created` and `auth.login` in the new workspace"), summary = "Create a workspace (sign up)", security(()),
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
    let new = body.parse()?;
    let done = signup::create_workspace(&state, origin_of(&req, &state), new).await?;
    Ok(HttpResponse::Created().json(SignupResponse::from(done)))
}

impl SignupRequest {
    /// Every field's problem at once, or the sign-up.
    fn parse(&self) -> Result<NewWorkspace, ApiError> {
        let mut f = Fields::default();
        let name = f.required(
            "workspace_name",
            self.workspace_name.as_deref(),
            Name::parse,
        );
        let email = f.required("email", self.email.as_deref(), Email::parse);
        let password = f.required("password", self.password.as_deref(), Password::parse);
        let display = f.required(
            "display_name",
            self.display_name.as_deref(),
            DisplayName::parse,
        );
        match (name, email, password, display) {
            (Some(workspace_name), Some(email), Some(password), Some(display_name)) => {
                Ok(NewWorkspace {
                    workspace_name,
                    email,
                    password,
                    display_name,
                })
            }
            _ => Err(f.into_error()),
        }
    }
}

impl From<SignedUp> for SignupResponse {
    fn from(s: SignedUp) -> Self {
        SignupResponse {
            workspace: WorkspaceRef {
                id: s.workspace_id,
                name: s.workspace_name.as_str().to_string(),
            },
            user: User::from_row(s.owner, vec![]),
            tokens: s.tokens.into(),
        }
    }
}
