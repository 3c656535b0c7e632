//! Your sessions (listed with when they end, revoked one or all but this one) and your password.

use std::sync::Arc;

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::identity::SessionLimits;
use credvault_domain::validate::Password;
use credvault_store::identity::{self as store};
use deadpool_postgres::GenericClient;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::fields::Fields;
use crate::audit::{self, Event};
use crate::auth::{need, Authorized};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

use super::auth::hash_password;

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

impl Session {
    /// A stored session as its user sees it, `current` when it is `caller_session`.
    pub fn of(
        s: store::SessionRow,
        limits: &SessionLimits,
        caller_session: Option<Uuid>,
    ) -> Session {
        Session {
            expires_at: limits.expires_at(s.created_at, s.last_seen_at),
            expired: limits.is_expired(s.created_at, s.last_seen_at, Utc::now()),
            current: Some(s.id) == caller_session,
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            ip: s.ip,
            user_agent: s.user_agent,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
}

/// Your live sessions.
#[utoipa::path(tag = "auth", operation_id = "list_sessions", summary = "List your sessions", responses((status = 200, description = "Live sessions, newest first", body = SessionList)))]
#[get("/auth/sessions")]
pub async fn list_sessions(
    state: State,
    caller: Authorized<need::ReadSelf>,
) -> Result<web::Json<SessionList>, ApiError> {
    let user = caller.person()?;
    let client = state.pool.get().await?;
    let items = store::list_sessions(&client, caller.workspace_id, user.id)
        .await?
        .into_iter()
        .map(|s| Session::of(s, &state.services.settings.sessions, caller.session_id))
        .collect();
    Ok(web::Json(SessionList { items }))
}

/// Revoke one of your sessions.
#[utoipa::path(tag = "auth", operation_id = "revoke_session", summary = "Revoke a session", params(("id" = Uuid, Path, description = "Session id")), responses((status = 204, description = "Revoked")))]
#[delete("/auth/sessions/{id}")]
pub async fn revoke_session(
    state: State,
    caller: Authorized<need::ManageOwnSessions>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    if !store::revoke_session(&tx, caller.workspace_id, user.id, *id).await? {
        return Err(ApiError::not_found("session"));
    }
    audit::record(
        &tx,
        caller.workspace_id,
        &caller.actor,
        &caller.origin,
        Event::new("session.revoked").target("session", *id, None),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revoke all your sessions but this one.
#[utoipa::path(tag = "auth", operation_id = "revoke_other_sessions", summary = "Revoke your other sessions", responses((status = 204, description = "Revoked")))]
#[delete("/auth/sessions")]
pub async fn revoke_other_sessions(
    state: State,
    caller: Authorized<need::ManageOwnSessions>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let ended =
        store::revoke_sessions_except(&tx, caller.workspace_id, user.id, caller.session_id).await?;
    let events = ended.into_iter().map(|sid| {
        Event::new("session.revoked")
            .target("session", sid, None)
            .detail("reason", "other sessions revoked")
    });
    caller.record(&tx, events).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// Change your password; your other sessions end.
#[utoipa::path(
    tag = "auth", operation_id = "change_password", summary = "Change your password", request_body = PasswordChange,
    responses((status = 204, description = "Changed; other sessions revoked"))
)]
#[post("/auth/password")]
pub async fn change_password(
    state: State,
    caller: Authorized<need::ManageOwnSessions>,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?.clone();
    let mut f = Fields::default();
    let current = f.required("current_password", body.current_password.as_deref(), |s| {
        Ok::<_, credvault_domain::validate::FieldProblem>(s.to_string())
    });
    let new = f.required(
        "new_password",
        body.new_password.as_deref(),
        Password::parse,
    );
    let (Some(current), Some(new)) = (current, new) else {
        return Err(f.into_error());
    };
    let stored = {
        let client = state.pool.get().await?;
        store::password_hash(&client, caller.workspace_id, user.id).await?
    };
    // Checked and hashed holding no connection, in turn with sign-ins.
    let turn = state.signin.turn().await?;
    if !crate::signin::verify(turn, SecretString::from(current), stored).await? {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "the current password is wrong",
        ));
    }
    let turn = state.signin.turn().await?;
    let hash = hash_password(&new).await?;
    drop(turn);
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    store::set_password(&tx, caller.workspace_id, user.id, &hash).await?;
    let ended =
        store::revoke_sessions_except(&tx, caller.workspace_id, user.id, caller.session_id).await?;
    let events = std::iter::once(
        Event::new("user.updated")
            .target("user", user.id, Some(user.display_name.clone()))
            .detail("password_changed", true),
    )
    .chain(ended.into_iter().map(|sid| {
        Event::new("session.revoked")
            .target("session", sid, None)
            .detail("reason", "password changed")
    }));
    caller.record(&tx, events).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
