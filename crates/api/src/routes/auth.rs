//! Bootstrap and sign-in: workspaces, login, refresh, logout (sessions and the password in
//! `sessions`).

use std::sync::Arc;

use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use credvault_domain::validate::Password;
use credvault_store::identity::{self as store};
use deadpool_postgres::GenericClient;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::TokenPair;
use super::fields::Fields;
use crate::audit::{self, Actor, Event, Origin};
use crate::auth::{need, origin_of, Authorized, ACCESS_TTL_SECS};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

/// Opens a session for `user_id` and returns its first tokens.
pub(super) async fn open_session(
    c: &impl GenericClient,
    state: &AppState,
    ws: Uuid,
    user_id: Uuid,
    origin: &Origin,
) -> Result<TokenPair, ApiError> {
    let session_id = Uuid::now_v7();
    store::insert_session(
        c,
        ws,
        session_id,
        user_id,
        origin.ip.as_deref(),
        origin.user_agent.as_deref(),
    )
    .await?;
    issue_pair(c, state, ws, user_id, session_id).await
}

pub(super) async fn issue_pair(
    c: &impl GenericClient,
    state: &AppState,
    ws: Uuid,
    user_id: Uuid,
    session_id: Uuid,
) -> Result<TokenPair, ApiError> {
    let refresh_token = credvault_crypto::generate_token("cvr_").map_err(ApiError::internal)?;
    store::insert_refresh_token(
        c,
        ws,
        session_id,
        &credvault_crypto::hash_token(refresh_token.expose_secret()),
    )
    .await?;
    Ok(TokenPair {
        access_token: state.jwt.issue(ws, user_id, session_id)?,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TTL_SECS,
        refresh_token: refresh_token.expose_secret().to_string(),
        session_id,
    })
}

/// Argon2 is deliberately slow: run it off the async workers.
pub async fn hash_password(p: &Password) -> Result<String, ApiError> {
    let secret = SecretString::from(p.expose().to_string());
    web::block(move || credvault_crypto::hash_password(&secret))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

fn rate_limited(retry: u64) -> ApiError {
    ApiError::new(
        ErrorCode::RateLimited,
        "too many failed sign-ins: wait before trying again",
    )
    .with_retry_after(retry)
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: Option<String>,
    pub password: Option<String>,
}

const ACCOUNT_LIMIT: i64 = 10;
const IP_LIMIT: i64 = 100;
const WINDOW_SECS: f64 = 15.0 * 60.0;

/// Sign in with email and password.
#[utoipa::path(
    tag = "auth", operation_id = "login", summary = "Sign in", security(()),
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
    let mut f = Fields::default();
    let email = f.required("email", body.email.as_deref(), |s| {
        Ok::<_, credvault_domain::validate::FieldProblem>(s.trim().to_string())
    });
    let password = f.required("password", body.password.as_deref(), |s| {
        Ok::<_, credvault_domain::validate::FieldProblem>(s.to_string())
    });
    let (Some(email), Some(password)) = (email, password) else {
        return Err(f.into_error());
    };
    let origin = origin_of(&req, &state);
    let ip = crate::signin::rate_key(origin.ip.as_deref().unwrap_or_default());
    let keys = [
        format!("email:{}", email.to_lowercase()),
        format!("ip:{ip}"),
    ];
    // Known here to be over a limit: refused before any hashing or database round trip.
    if let Some(retry) = state.signin.blocked(&[&keys[0], &keys[1]]) {
        return Err(rate_limited(retry));
    }
    // A turn to hash first (or 503 when too many wait), so the database work below is never
    // done for an attempt that then cannot be checked.
    let turn = state.signin.turn().await?;
    // One short transaction: the counts, the account, and this attempt counted as a failure
    // until the password proves right (under a per-account lock, so parallel guesses cannot all
    // pass the count). Known and unknown emails do the same queries.
    let (found, attempt) = {
        let mut conn = state.pool.get().await?;
        let tx = conn.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext(lower($1)))",
            &[&email],
        )
        .await?;
        let ((by_account, account_age), (by_ip, ip_age)) =
            store::recent_login_failures(&tx, &email, &ip).await?;
        let over = [
            (by_account, ACCOUNT_LIMIT, account_age, &keys[0]),
            (by_ip, IP_LIMIT, ip_age, &keys[1]),
        ];
        if let Some((_, _, age, key)) = over.iter().find(|(n, limit, _, _)| n >= limit) {
            let retry = (WINDOW_SECS - age).ceil().max(1.0) as u64;
            tx.commit().await?;
            state.signin.block(key, retry);
            return Err(rate_limited(retry));
        }
        let found = store::user_by_email(&tx, &email).await?;
        let attempt = store::record_login_failure(&tx, &email, &ip).await?;
        tx.commit().await?;
        (found, attempt)
    };
    // The password check holds no database connection and no transaction.
    let secret = SecretString::from(password);
    let ok = crate::signin::verify(turn, secret, found.as_ref().map(|(_, h)| h.clone())).await?;
    let Some((user, _)) = found.as_ref().filter(|_| ok) else {
        // The account read with the counts, no second lookup: its failure is on its record.
        match found.map(|(u, _)| u) {
            Some(user) => {
                let ev = Event::new("auth.login_failed")
                    .target("user", user.id, Some(user.display_name.clone()))
                    .outcome("failure");
                let client = state.pool.get().await?;
                audit::record(&client, user.workspace_id, &Actor::anonymous(), &origin, ev).await?;
            }
            None => tracing::info!("sign-in failed for an unknown email"),
        }
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "the email or password is wrong",
        ));
    };
    let mut conn = state.pool.get().await?;
    let client = conn.transaction().await?;
    // The password was right: this attempt is no failure.
    store::forget_login_failure(&client, attempt).await?;
    if user.disabled {
        client.commit().await?;
        return Err(ApiError::new(
            ErrorCode::AccountDisabled,
            "this account is disabled; ask a workspace owner or admin",
        ));
    }
    let tx = client;
    let tokens = open_session(&tx, &state, user.workspace_id, user.id, &origin).await?;
    let actor = Actor {
        kind: "user",
        id: Some(user.id),
        display: Some(user.display_name.clone()),
        user_id: None,
    };
    audit::record(
        &tx,
        user.workspace_id,
        &actor,
        &origin,
        Event::new("auth.login")
            .target("user", user.id, Some(user.display_name.clone()))
            .detail("session_id", tokens.session_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(tokens))
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: Option<String>,
}

/// Exchange a refresh token for new tokens (the refresh token rotates).
#[utoipa::path(
    tag = "auth", operation_id = "refresh", summary = "Refresh a session", security(()),
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
    let mut f = Fields::default();
    let token = f.required("refresh_token", body.refresh_token.as_deref(), |s| {
        Ok::<_, credvault_domain::validate::FieldProblem>(s.to_string())
    });
    let Some(token) = token else {
        return Err(f.into_error());
    };
    let hash = credvault_crypto::hash_token(&token);
    let origin = origin_of(&req, &state);
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let found = store::lock_refresh_token(&tx, &hash).await?;
    let denied = || {
        ApiError::new(
            ErrorCode::Unauthenticated,
            "the refresh token is invalid, used or revoked: sign in again",
        )
    };
    let Some(r) = found else { return Err(denied()) };
    if r.already_used {
        // Reuse of a rotated token means it leaked: end the whole session.
        tx.execute("UPDATE sessions SET revoked_at = coalesce(revoked_at, now()) WHERE workspace_id = $1 AND id = $2", &[&r.workspace_id, &r.session_id]).await?;
        let ev = Event::new("auth.refresh_reuse")
            .target("session", r.session_id, None)
            .outcome("denied");
        audit::record(&tx, r.workspace_id, &Actor::anonymous(), &origin, ev).await?;
        tx.commit().await?;
        return Err(denied());
    }
    if r.session_revoked || r.user_disabled {
        return Err(denied());
    }
    let limits = state.services.settings.sessions;
    if limits.is_expired(r.session_created_at, r.session_last_seen_at, Utc::now()) {
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "the session has expired (it lasts CREDVAULT_SESSION_MAX_AGE_HOURS from sign-in and CREDVAULT_SESSION_IDLE_HOURS without a refresh): sign in again",
        ));
    }
    store::mark_refresh_used(&tx, &hash).await?;
    store::touch_session(&tx, r.workspace_id, r.session_id).await?;
    let pair = issue_pair(&tx, &state, r.workspace_id, r.user_id, r.session_id).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(pair))
}

/// End the current session.
#[utoipa::path(
    tag = "auth", operation_id = "logout", summary = "Sign out",
    responses((status = 204, description = "The session and its tokens stopped working"))
)]
#[post("/auth/logout")]
pub async fn logout(
    state: State,
    caller: Authorized<need::ManageOwnSessions>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?;
    let sid = caller
        .session_id
        .ok_or_else(|| ApiError::new(ErrorCode::Forbidden, "only a session can sign out"))?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    store::revoke_session(&tx, caller.workspace_id, user.id, sid).await?;
    audit::record(
        &tx,
        caller.workspace_id,
        &caller.actor,
        &caller.origin,
        Event::new("auth.logout").target("session", sid, None),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
