//! Sessions: opening one with its first tokens, listing them as their user sees them, ending one
//! or all but the current, and changing the password (which ends the others).

use chrono::{DateTime, Utc};
use credvault_domain::identity::SessionLimits;
use credvault_domain::validate::Password;
use credvault_store::identity::{self as store, SessionRow, UserRow};
use deadpool_postgres::GenericClient;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::audit::{self, Actor, Event, Origin};
use crate::error::ServiceError;
use crate::jwt::ACCESS_TTL_SECS;
use crate::principal::Principal;
use crate::services::Services;

/// A session's tokens: a short-lived access token and a single-use refresh token.
pub struct Tokens {
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: SecretString,
    pub session_id: Uuid,
}

/// Signs `user` in from `origin` by `method` (`password` or `sso`): opens a session and records,
/// in one statement by the user, `events` and then `auth.login`; returns the session's first
/// tokens.
pub(crate) async fn sign_in(
    c: &impl GenericClient,
    services: &Services,
    user: &UserRow,
    origin: &Origin,
    events: Vec<Event>,
    method: &'static str,
) -> Result<Tokens, ServiceError> {
    let session_id = Uuid::now_v7();
    store::insert_session(
        c,
        user.workspace_id,
        session_id,
        user.id,
        origin.ip.as_deref(),
        origin.user_agent.as_deref(),
    )
    .await?;
    let tokens = issue(c, services, user.workspace_id, user.id, session_id).await?;
    let actor = Actor {
        kind: "user",
        id: Some(user.id),
        display: Some(user.display_name.clone()),
        user_id: None,
    };
    let login = Event::new("auth.login")
        .target("user", user.id, Some(user.display_name.clone()))
        .detail("session_id", session_id.to_string())
        .detail("method", method);
    let items: Vec<_> = events
        .into_iter()
        .chain([login])
        .map(|e| (actor.clone(), origin.clone(), e))
        .collect();
    audit::record_many(c, user.workspace_id, &items).await?;
    Ok(tokens)
}

/// New tokens for a session: an access token and a refresh token stored by its hash.
pub(crate) async fn issue(
    c: &impl GenericClient,
    services: &Services,
    ws: Uuid,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<Tokens, ServiceError> {
    let refresh_token = credvault_crypto::generate_token("cvr_").map_err(ServiceError::internal)?;
    store::insert_refresh_token(
        c,
        ws,
        session_id,
        &credvault_crypto::hash_token(refresh_token.expose_secret()),
    )
    .await?;
    Ok(Tokens {
        access_token: services.jwt.issue(ws, user_id, session_id)?,
        expires_in: ACCESS_TTL_SECS,
        refresh_token,
        session_id,
    })
}

/// A session as its user sees it.
pub struct SessionView {
    pub row: SessionRow,
    /// The session making the request.
    pub current: bool,
    /// The earlier of its absolute lifetime from sign-in and its idle lifetime from the last
    /// refresh.
    pub expires_at: DateTime<Utc>,
    /// `expires_at` has passed: its refresh token no longer works.
    pub expired: bool,
}

impl SessionView {
    /// A stored session, `current` when it is `caller_session`.
    pub(crate) fn of(
        row: SessionRow,
        limits: &SessionLimits,
        caller_session: Option<Uuid>,
    ) -> SessionView {
        SessionView {
            expires_at: limits.expires_at(row.created_at, row.last_seen_at),
            expired: limits.is_expired(row.created_at, row.last_seen_at, Utc::now()),
            current: Some(row.id) == caller_session,
            row,
        }
    }
}

/// The caller's live sessions, newest first.
pub async fn list(
    services: &Services,
    principal: &Principal,
) -> Result<Vec<SessionView>, ServiceError> {
    let user = principal.person()?;
    let client = services.pool.get().await?;
    Ok(
        store::list_sessions(&client, principal.workspace_id, user.id)
            .await?
            .into_iter()
            .map(|s| SessionView::of(s, &services.settings.sessions, principal.session_id))
            .collect(),
    )
}

/// Ends one of the caller's sessions.
pub async fn revoke(
    services: &Services,
    principal: &Principal,
    id: Uuid,
) -> Result<(), ServiceError> {
    let user = principal.person()?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    if !store::revoke_session(&tx, principal.workspace_id, user.id, id).await? {
        return Err(ServiceError::NotFound("session"));
    }
    principal
        .record(
            &tx,
            [Event::new("session.revoked").target("session", id, None)],
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends all the caller's sessions but the current one.
pub async fn revoke_others(services: &Services, principal: &Principal) -> Result<(), ServiceError> {
    let user = principal.person()?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let ended =
        store::revoke_sessions_except(&tx, principal.workspace_id, user.id, principal.session_id)
            .await?;
    let events = ended.into_iter().map(|sid| {
        Event::new("session.revoked")
            .target("session", sid, None)
            .detail("reason", "other sessions revoked")
    });
    principal.record(&tx, events).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the session making the request (signing out).
pub async fn logout(services: &Services, principal: &Principal) -> Result<(), ServiceError> {
    let user = principal.person()?;
    let sid = principal
        .session_id
        .ok_or_else(|| ServiceError::Forbidden("only a session can sign out".into()))?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    store::revoke_session(&tx, principal.workspace_id, user.id, sid).await?;
    principal
        .record(
            &tx,
            [Event::new("auth.logout").target("session", sid, None)],
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the caller's password when `current` is right; their other sessions end.
pub async fn change_password(
    services: &Services,
    principal: &Principal,
    current: SecretString,
    new: Password,
) -> Result<(), ServiceError> {
    let user = principal.person()?;
    let ws = principal.workspace_id;
    let stored = {
        let client = services.pool.get().await?;
        store::password_hash(&client, ws, user.id).await?
    };
    // Checked and hashed holding no connection, in turn with sign-ins.
    let turn = services.signin.turn().await?;
    if !crate::signin::verify(turn, current, stored).await? {
        return Err(ServiceError::Forbidden(
            "the current password is wrong".into(),
        ));
    }
    let turn = services.signin.turn().await?;
    let hash = super::hash_password(&new).await?;
    drop(turn);
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    store::set_password(&tx, ws, user.id, &hash).await?;
    let ended = store::revoke_sessions_except(&tx, ws, user.id, principal.session_id).await?;
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
    principal.record(&tx, events).await?;
    tx.commit().await?;
    Ok(())
}
