//! Authentication and authorisation as extractors: `Caller` is whoever presented a valid bearer
//! token (a session's JWT or an API token); `Authorized<N>` is a caller the one policy function in
//! `domain` allows to do `N::ACTION`.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use credvault_domain::identity::{Role, Scope};
use credvault_domain::policy::{self, Action, Decision};
use credvault_store::identity::{self as store, TokenRow, UserRow};
use uuid::Uuid;

use crate::error::{ApiError, ErrorCode};
use crate::principal::{Actor, Origin};
use crate::state::AppState;

pub use crate::jwt::{Jwt, ACCESS_TTL_SECS};

/// Who is calling, and how.
#[derive(Debug, Clone)]
pub struct Caller {
    pub workspace_id: Uuid,
    /// The person behind a session or a personal token.
    pub user: Option<UserRow>,
    pub session_id: Option<Uuid>,
    pub token: Option<TokenRow>,
    pub policy: policy::Caller,
    pub actor: Actor,
    pub origin: Origin,
}

impl Caller {
    /// Appends events by this caller, in its workspace, in one statement (see
    /// `audit::record_many`).
    pub async fn record(
        &self,
        c: &impl deadpool_postgres::GenericClient,
        events: impl IntoIterator<Item = crate::audit::Event>,
    ) -> Result<(), ApiError> {
        let items: Vec<_> = events
            .into_iter()
            .map(|e| (self.actor.clone(), self.origin.clone(), e))
            .collect();
        Ok(crate::audit::record_many(c, self.workspace_id, &items).await?)
    }

    pub fn user_id(&self) -> Option<Uuid> {
        self.user.as_ref().map(|u| u.id)
    }

    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().and_then(|u| u.role.parse().ok())
    }

    /// The user of a session or personal token; engines have none.
    pub fn person(&self) -> Result<&UserRow, ApiError> {
        self.user.as_ref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::Forbidden,
                "this endpoint is for people, not engine tokens",
            )
        })
    }
}

fn unauthenticated(detail: &'static str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, detail)
}

/// Where a request comes from, for audit and rate limits.
pub fn origin_of(req: &HttpRequest, state: &AppState) -> Origin {
    // Every X-Forwarded-For line, in order: a proxy may add its own line instead of appending
    // to the last, and the rightmost entries are the ones the nearest proxies wrote.
    // A byte that is not text (a client's garbage, merged by a proxy into its own line) spoils
    // only its entry, not the line the proxy's entries are on.
    let lines: Vec<String> = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let xff = (!lines.is_empty()).then(|| lines.join(","));
    let ip = crate::net::client_ip(
        req.peer_addr().map(|a| a.ip()),
        xff.as_deref(),
        &state.trusted_proxies,
    );
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect());
    Origin {
        ip: ip.map(|i| i.to_string()),
        user_agent,
        request_id: crate::request_id::current_request_id(),
    }
}

fn scopes_of(t: &TokenRow) -> Vec<Scope> {
    t.scopes.iter().filter_map(|s| s.parse().ok()).collect()
}

async fn authenticate(req: HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<Arc<AppState>>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthenticated("send Authorization: Bearer <token>"))?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthenticated("the Authorization header must be `Bearer <token>`"))?;
    let origin = origin_of(&req, &state);
    if token.starts_with("cvt_") {
        let hash = credvault_crypto::hash_token(token);
        let entry = match state.cache.token(&hash) {
            Some(e) => e,
            None => {
                let generation = state.cache.generation();
                let client = state.pool.get().await?;
                let found = store::token_auth(&client, &hash).await?.ok_or_else(|| {
                    unauthenticated("the API token is invalid, expired or revoked")
                })?;
                let e = Arc::new(found);
                state.cache.put_token(hash, e.clone(), generation);
                e
            }
        };
        let (t, user) = (entry.0.clone(), entry.1.clone());
        if t.expires_at.is_some_and(|at| at <= chrono::Utc::now()) {
            return Err(unauthenticated(
                "the API token is invalid, expired or revoked",
            ));
        }
        state.note_token_use(t.workspace_id, t.id);
        let scopes = scopes_of(&t);
        if t.kind == "engine" {
            let actor = Actor {
                kind: "engine",
                id: Some(t.id),
                display: Some(t.name.clone()),
                user_id: None,
            };
            return Ok(Caller {
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
        let role: Role = user.role.parse().map_err(ApiError::internal)?;
        let actor = Actor {
            kind: "token",
            id: Some(t.id),
            display: Some(format!("{} ({})", t.name, user.display_name)),
            user_id: Some(user.id),
        };
        return Ok(Caller {
            workspace_id: t.workspace_id,
            user: Some(user),
            session_id: None,
            policy: policy::Caller::PersonalToken { role, scopes },
            token: Some(t),
            actor,
            origin,
        });
    }
    let client = state.pool.get().await?;
    let claims = state.jwt.verify(token).ok_or_else(|| {
        unauthenticated("the access token is invalid or expired: sign in or refresh")
    })?;
    // Checked on every request so that a logout, revocation or disabled user takes effect at
    // once on every instance.
    let limits = state.settings.sessions;
    let auth = store::session_auth(&client, claims.ws, claims.sid)
        .await?
        .filter(|a| !a.revoked && !a.user.disabled && a.user.id == claims.sub)
        .filter(|a| !limits.is_expired(a.created_at, a.last_seen_at, chrono::Utc::now()))
        .ok_or_else(|| unauthenticated("the session has ended: sign in again"))?;
    let role: Role = auth.user.role.parse().map_err(ApiError::internal)?;
    let actor = Actor {
        kind: "user",
        id: Some(auth.user.id),
        display: Some(auth.user.display_name.clone()),
        user_id: None,
    };
    Ok(Caller {
        workspace_id: claims.ws,
        user: Some(auth.user),
        session_id: Some(claims.sid),
        token: None,
        policy: policy::Caller::User { role },
        actor,
        origin,
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

/// What an `Authorized` extractor requires.
pub trait Need {
    const ACTION: Action;
}

macro_rules! needs {
    ($($name:ident),* $(,)?) => {
        /// Marker types naming the action a handler needs, for `Authorized<…>`.
        pub mod need {
            $(
                #[derive(Debug)]
                pub struct $name;
                impl super::Need for $name {
                    const ACTION: super::Action = super::Action::$name;
                }
            )*
        }
    };
}

needs!(
    ReadSelf,
    ManageOwnSessions,
    ReadDirectory,
    ManageUsers,
    ManageTeams,
    ListTokens,
    CreatePersonalToken,
    CreateEngineToken,
    RevokeToken,
    ReadCredentials,
    WriteCredentials,
    ResolveCredentials,
    WriteWorkflows,
    ReadWorkflows,
    ReadAudit,
    ReadReports,
    ExportSelf,
);

/// A caller allowed to do `N::ACTION`; anyone else gets 403 with the reason.
pub struct Authorized<N: Need>(pub Caller, PhantomData<N>);

impl<N: Need> std::ops::Deref for Authorized<N> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl<N: Need + 'static> FromRequest for Authorized<N> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = authenticate(req).await?;
            match policy::authorize(&caller.policy, N::ACTION) {
                Decision::Allow => Ok(Authorized(caller, PhantomData)),
                Decision::Deny(reason) => {
                    Err(ApiError::new(ErrorCode::Forbidden, reason.to_string()))
                }
            }
        })
    }
}
