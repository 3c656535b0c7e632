//! Bootstrap and sign-in: workspaces, login, refresh, logout (sessions and the password in
//! `sessions`).

use std::sync::Arc;

use actix_web::{post, web, HttpRequest, HttpResponse};
use credvault_domain::validate::FieldProblem;
use credvault_service::identity::{sessions, signin};
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::TokenPair;
use super::fields::Fields;
use crate::auth::{need, origin_of, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(value_type = String)]
    pub email: Option<String>,
    #[schema(value_type = String, format = Password)]
    pub password: Option<String>,
}

/// Sign in with email and password.
#[utoipa::path(
    tag = "auth", operation_id = "login", description = Doc::public().note("Past 10 failed sign-ins in 15 minutes for the account, or 100 for the client address, every attempt answers 429 with `Retry-After`, even with the right password.").audits("records `auth.login`; a wrong password for a known email `auth.login_failed` (an unknown email goes to the server log only)"), summary = "Sign in", security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session", body = TokenPair),
        (status = 401, description = "Wrong email or password (`invalid_credentials`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is disabled (`account_disabled`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins (`rate_limited`, with Retry-After)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many sign-ins at once (`unavailable`, with Retry-After): try again in a moment", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: State,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let (email, password) = body.parse()?;
    let tokens = signin::login(&state, origin_of(&req, &state), email, password).await?;
    Ok(HttpResponse::Ok().json(TokenPair::from(tokens)))
}

impl LoginRequest {
    /// The email (trimmed) and the password, both required.
    fn parse(&self) -> Result<(String, SecretString), ApiError> {
        let mut f = Fields::default();
        let email = f.required("email", self.email.as_deref(), |s| {
            Ok::<_, FieldProblem>(s.trim().to_string())
        });
        let password = f.required("password", self.password.as_deref(), |s| {
            Ok::<_, FieldProblem>(SecretString::from(s.to_string()))
        });
        match (email, password) {
            (Some(email), Some(password)) => Ok((email, password)),
            _ => Err(f.into_error()),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    #[schema(value_type = String)]
    pub refresh_token: Option<String>,
}

/// Exchange a refresh token for new tokens (the refresh token rotates).
#[utoipa::path(
    tag = "auth", operation_id = "refresh", description = Doc::public().note("Each refresh token works once: the answer carries the next one.").audits("records nothing; a refresh token used a second time records `auth.refresh_reuse` and ends its whole session"), summary = "Refresh a session", security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the old refresh token no longer works", body = TokenPair),
        (status = 401, description = "Unknown, used or revoked refresh token (`unauthenticated`); reuse revokes the session", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: State,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body
        .refresh_token
        .as_deref()
        .ok_or_else(|| ApiError::field("refresh_token", "is required"))?;
    let tokens = signin::refresh(&state, origin_of(&req, &state), token).await?;
    Ok(HttpResponse::Ok().json(TokenPair::from(tokens)))
}

/// End the current session.
#[utoipa::path(
    tag = "auth", operation_id = "logout", description = Doc::of(Action::ManageOwnSessions).audits("records `auth.logout`"), summary = "Sign out",
    responses((status = 204, description = "The session and its tokens stopped working"))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: State,
    caller: Authorized<need::ManageOwnSessions>,
) -> Result<HttpResponse, ApiError> {
    sessions::logout(&state, &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}
