//! Your sessions (listed with when they end, revoked one or all but this one) and your password.

use std::sync::Arc;

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::validate::{FieldProblem, Password};
use credvault_service::identity::sessions::{self, SessionView};
use secrecy::SecretString;
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
pub struct Session {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// True for the session making this request.
    pub current: bool,
    /// When it ends: the earlier of its absolute lifetime from sign-in and its idle lifetime
    /// from the last refresh.
    pub expires_at: DateTime<Utc>,
    /// True once `expires_at` has passed: its refresh token no longer works.
    pub expired: bool,
}

impl From<SessionView> for Session {
    fn from(s: SessionView) -> Session {
        Session {
            id: s.row.id,
            created_at: s.row.created_at,
            last_seen_at: s.row.last_seen_at,
            ip: s.row.ip,
            user_agent: s.row.user_agent,
            current: s.current,
            expires_at: s.expires_at,
            expired: s.expired,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
}

/// Your live sessions.
#[utoipa::path(tag = "auth", operation_id = "list_sessions", description = Doc::of(Action::ReadSelf).reads(), summary = "List your sessions", responses((status = 200, description = "Live sessions, newest first", body = SessionList)))]
#[get("/auth/sessions")]
pub async fn list_sessions(
    state: State,
    caller: Authorized<need::ReadSelf>,
) -> Result<web::Json<SessionList>, ApiError> {
    let items = sessions::list(&state, &caller).await?;
    Ok(web::Json(SessionList {
        items: items.into_iter().map(Session::from).collect(),
    }))
}

/// Revoke one of your sessions.
#[utoipa::path(tag = "auth", operation_id = "revoke_session", description = Doc::of(Action::ManageOwnSessions).note("Your own sessions only: another user's session id is a 404.").audits("records `session.revoked`"), summary = "Revoke a session", params(("id" = Uuid, Path, description = "Session id")), responses((status = 204, description = "Revoked")))]
#[delete("/auth/sessions/{id}")]
pub async fn revoke_session(
    state: State,
    caller: Authorized<need::ManageOwnSessions>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    sessions::revoke(&state, &caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revoke all your sessions but this one.
#[utoipa::path(tag = "auth", operation_id = "revoke_other_sessions", description = Doc::of(Action::ManageOwnSessions).audits("records `session.revoked` for each session ended"), summary = "Revoke your other sessions", responses((status = 204, description = "Revoked")))]
#[delete("/auth/sessions")]
pub async fn revoke_other_sessions(
    state: State,
    caller: Authorized<need::ManageOwnSessions>,
) -> Result<HttpResponse, ApiError> {
    sessions::revoke_others(&state, &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    #[schema(value_type = String, format = Password)]
    pub current_password: Option<String>,
    #[schema(value_type = String, format = Password, min_length = 12, max_length = 1024)]
    pub new_password: Option<String>,
}

/// Change your password; your other sessions end.
#[utoipa::path(
    tag = "auth", operation_id = "change_password", description = Doc::of(Action::ManageOwnSessions).note("A wrong current password is a 403.").audits("records `user.updated`, and `session.revoked` for each other session"), summary = "Change your password", request_body = PasswordChange,
    responses((status = 204, description = "Changed; other sessions revoked"))
)]
#[post("/auth/password")]
pub async fn change_password(
    state: State,
    caller: Authorized<need::ManageOwnSessions>,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let (current, new) = body.parse()?;
    sessions::change_password(&state, &caller, current, new).await?;
    Ok(HttpResponse::NoContent().finish())
}

impl PasswordChange {
    /// The current password (required) and a new one that meets the rules.
    fn parse(&self) -> Result<(SecretString, Password), ApiError> {
        let mut f = Fields::default();
        let current = f.required("current_password", self.current_password.as_deref(), |s| {
            Ok::<_, FieldProblem>(SecretString::from(s.to_string()))
        });
        let new = f.required(
            "new_password",
            self.new_password.as_deref(),
            Password::parse,
        );
        match (current, new) {
            (Some(current), Some(new)) => Ok((current, new)),
            _ => Err(f.into_error()),
        }
    }
}
