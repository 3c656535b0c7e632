//! Signing in with email and password (counted and limited per account and per address), and
//! refreshing a session (its refresh token rotates; a reused one ends the session).

use chrono::Utc;
use credvault_store::identity::{self as store};
use secrecy::SecretString;

use super::sessions::{self, Tokens};
use crate::audit::{self, Actor, Event, Origin};
use crate::error::ServiceError;
use crate::services::Services;
use crate::signin::{rate_key, verify};

const ACCOUNT_LIMIT: i64 = 10;
const IP_LIMIT: i64 = 100;
const WINDOW_SECS: f64 = 15.0 * 60.0;

fn rate_limited(retry_after: u64) -> ServiceError {
    ServiceError::RateLimited {
        detail: "too many failed sign-ins: wait before trying again".into(),
        retry_after,
    }
}

/// A new session for whoever `email` and `password` name, from `origin`.
pub async fn login(
    services: &Services,
    origin: Origin,
    email: String,
    password: SecretString,
) -> Result<Tokens, ServiceError> {
    let ip = rate_key(origin.ip.as_deref().unwrap_or_default());
    let keys = [
        format!("email:{}", email.to_lowercase()),
        format!("ip:{ip}"),
    ];
    // Known here to be over a limit: refused before any hashing or database round trip.
    if let Some(retry) = services.signin.blocked(&[&keys[0], &keys[1]]) {
        return Err(rate_limited(retry));
    }
    // A turn to hash first (or 503 when too many wait), so the database work below is never
    // done for an attempt that then cannot be checked.
    let turn = services.signin.turn().await?;
    // One short transaction: the counts, the account, and this attempt counted as a failure
    // until the password proves right (under a per-account lock, so parallel guesses cannot all
    // pass the count). Known and unknown emails do the same queries.
    let (found, attempt) = {
        let mut conn = services.pool.get().await?;
        let tx = conn.transaction().await?;
        store::lock_sign_ins(&tx, &email).await?;
        let ((by_account, account_age), (by_ip, ip_age)) =
            store::recent_login_failures(&tx, &email, &ip).await?;
        let over = [
            (by_account, ACCOUNT_LIMIT, account_age, &keys[0]),
            (by_ip, IP_LIMIT, ip_age, &keys[1]),
        ];
        if let Some((_, _, age, key)) = over.iter().find(|(n, limit, _, _)| n >= limit) {
            let retry = (WINDOW_SECS - age).ceil().max(1.0) as u64;
            tx.commit().await?;
            services.signin.block(key, retry);
            return Err(rate_limited(retry));
        }
        let found = store::user_by_email(&tx, &email).await?;
        let attempt = store::record_login_failure(&tx, &email, &ip).await?;
        tx.commit().await?;
        (found, attempt)
    };
    // The password check holds no database connection and no transaction.
    let ok = verify(turn, password, found.as_ref().map(|(_, h)| h.clone())).await?;
    let Some((user, _)) = found.as_ref().filter(|_| ok) else {
        // The account read with the counts, no second lookup: its failure is on its record.
        match found.map(|(u, _)| u) {
            Some(user) => {
                let ev = Event::new("auth.login_failed")
                    .target("user", user.id, Some(user.display_name.clone()))
                    .outcome("failure");
                let client = services.pool.get().await?;
                audit::record(&client, user.workspace_id, &Actor::anonymous(), &origin, ev).await?;
            }
            None => tracing::info!("sign-in failed for an unknown email"),
        }
        return Err(ServiceError::InvalidCredentials(
            "the email or password is wrong".into(),
        ));
    };
    let mut conn = services.pool.get().await?;
    let tx = conn.transaction().await?;
    // The password was right: this attempt is no failure.
    store::forget_login_failure(&tx, attempt).await?;
    if user.disabled {
        tx.commit().await?;
        return Err(ServiceError::AccountDisabled(
            "this account is disabled; ask a workspace owner or admin".into(),
        ));
    }
    // Where single sign-on is enforced, only owners still sign in with a password (a way in
    // when the provider is down); told only once the password proved right.
    let is_owner = user.role == "owner";
    if !is_owner && credvault_store::sso::enforced(&tx, user.workspace_id).await? {
        let ev = Event::new("auth.login_failed")
            .target("user", user.id, Some(user.display_name.clone()))
            .outcome("denied")
            .detail("method", "password")
            .detail("reason", "sso_required");
        audit::record(&tx, user.workspace_id, &Actor::anonymous(), &origin, ev).await?;
        tx.commit().await?;
        return Err(ServiceError::SsoRequired(
            "this workspace signs in with single sign-on: use GET /v1/auth/sso/start".into(),
        ));
    }
    let tokens = sessions::sign_in(&tx, services, user, &origin, vec![], "password").await?;
    tx.commit().await?;
    Ok(tokens)
}

/// New tokens for the session of a refresh token, which is used up; a token used twice leaked,
/// so its whole session ends.
pub async fn refresh(
    services: &Services,
    origin: Origin,
    token: &str,
) -> Result<Tokens, ServiceError> {
    let hash = credvault_crypto::hash_token(token);
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let found = store::lock_refresh_token(&tx, &hash).await?;
    let denied = || {
        ServiceError::Unauthenticated(
            "the refresh token is invalid, used or revoked: sign in again",
        )
    };
    let Some(r) = found else { return Err(denied()) };
    if r.already_used {
        // Reuse of a rotated token means it leaked: end the whole session.
        store::end_session(&tx, r.workspace_id, r.session_id).await?;
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
    let limits = services.settings.sessions;
    if limits.is_expired(r.session_created_at, r.session_last_seen_at, Utc::now()) {
        return Err(ServiceError::Unauthenticated(
            "the session has expired (it lasts CREDVAULT_SESSION_MAX_AGE_HOURS from sign-in and CREDVAULT_SESSION_IDLE_HOURS without a refresh): sign in again",
        ));
    }
    store::mark_refresh_used(&tx, &hash).await?;
    store::touch_session(&tx, r.workspace_id, r.session_id).await?;
    let tokens = sessions::issue(&tx, services, r.workspace_id, r.user_id, r.session_id).await?;
    tx.commit().await?;
    Ok(tokens)
}
