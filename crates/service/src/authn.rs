//! Who is calling: a bearer token (a session's JWT or an API token) into a [`Principal`]. The
//! session is checked on every request, so a logout, revocation or disabled user takes effect at
//! once on every instance; API tokens are looked up through the cache.

use std::sync::Arc;

use credvault_domain::identity::{Role, Scope};
use credvault_domain::policy;
use credvault_store::identity::{self as store, TokenRow};

use crate::principal::{Actor, Origin, Principal};
use crate::services::Services;
use crate::ServiceError;

fn unauthenticated(detail: &'static str) -> ServiceError {
    ServiceError::Unauthenticated(detail)
}

fn scopes_of(t: &TokenRow) -> Vec<Scope> {
    t.scopes.iter().filter_map(|s| s.parse().ok()).collect()
}

/// The principal a bearer token stands for, or why it stands for none.
pub async fn authenticate(
    services: &Services,
    token: &str,
    origin: Origin,
) -> Result<Principal, ServiceError> {
    if token.starts_with("cvt_") {
        return by_api_token(services, token, origin).await;
    }
    let claims = services.jwt.verify(token).ok_or_else(|| {
        unauthenticated("the access token is invalid or expired: sign in or refresh")
    })?;
    let client = services.pool.get().await?;
    let limits = services.settings.sessions;
    let auth = store::session_auth(&client, claims.ws, claims.sid)
        .await?
        .filter(|a| !a.revoked && !a.user.disabled && a.user.id == claims.sub)
        .filter(|a| !limits.is_expired(a.created_at, a.last_seen_at, chrono::Utc::now()))
        .ok_or_else(|| unauthenticated("the session has ended: sign in again"))?;
    let role: Role = auth.user.role.parse().map_err(ServiceError::internal)?;
    let actor = Actor {
        kind: "user",
        id: Some(auth.user.id),
        display: Some(auth.user.display_name.clone()),
        user_id: None,
    };
    Ok(Principal {
        workspace_id: claims.ws,
        user: Some(auth.user),
        session_id: Some(claims.sid),
        token: None,
        policy: policy::Caller::User { role },
        actor,
        origin,
    })
}

async fn by_api_token(
    services: &Services,
    token: &str,
    origin: Origin,
) -> Result<Principal, ServiceError> {
    let hash = credvault_crypto::hash_token(token);
    let entry = match services.cache.token(&hash) {
        Some(e) => e,
        None => {
            let generation = services.cache.generation();
            let client = services.pool.get().await?;
            let found = store::token_auth(&client, &hash)
                .await?
                .ok_or_else(|| unauthenticated("the API token is invalid, expired or revoked"))?;
            let e = Arc::new(found);
            services.cache.put_token(hash, e.clone(), generation);
            e
        }
    };
    let (t, user) = (entry.0.clone(), entry.1.clone());
    if t.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
        return Err(unauthenticated(
            "the API token is invalid, expired or revoked",
        ));
    }
    services.note_token_use(t.workspace_id, t.id);
    let scopes = scopes_of(&t);
    if t.kind == "engine" {
        let actor = Actor {
            kind: "engine",
            id: Some(t.id),
            display: Some(t.name.clone()),
            user_id: None,
        };
        return Ok(Principal {
            workspace_id: t.workspace_id,
            user: None,
            session_id: None,
            policy: policy::Caller::Engine { scopes },
            token: Some(t),
            actor,
            origin,
        });
    }
    let user = user
        .filter(|u| !u.disabled)
        .ok_or_else(|| unauthenticated("the API token's user is disabled"))?;
    let role: Role = user.role.parse().map_err(ServiceError::internal)?;
    let actor = Actor {
        kind: "token",
        id: Some(t.id),
        display: Some(format!("{} ({})", t.name, user.display_name)),
        user_id: Some(user.id),
    };
    Ok(Principal {
        workspace_id: t.workspace_id,
        user: Some(user),
        session_id: None,
        policy: policy::Caller::PersonalToken { role, scopes },
        token: Some(t),
        actor,
        origin,
    })
}
