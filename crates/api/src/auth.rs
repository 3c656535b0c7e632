//! Authentication and authorisation as extractors: `Caller` is whoever presented a valid bearer
//! token (a session's JWT or an API token); `Authorized<N>` is a caller the one policy function in
//! `domain` allows to do `N::ACTION`.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use credvault_domain::policy::{self, Action, Decision};
use credvault_service::{authn, Principal, ServiceError};

use crate::error::{ApiError, ErrorCode};
use crate::principal::Origin;
use crate::state::AppState;

pub use crate::jwt::{Jwt, ACCESS_TTL_SECS};

/// Who is calling: the service layer's [`Principal`], as an extractor.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl std::ops::Deref for Caller {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
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

async fn authenticate(req: HttpRequest) -> Result<Caller, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ServiceError::Unauthenticated(
            "send Authorization: Bearer <token>",
        ))?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or(ServiceError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`",
        ))?;
    caller_for(&req, token).await
}

/// The caller `token` stands for, in request `req` (whichever header carried the token).
pub async fn caller_for(req: &HttpRequest, token: &str) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<Arc<AppState>>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
    let origin = origin_of(req, &state);
    Ok(Caller(authn::authenticate(&state, token, origin).await?))
}

/// `caller`, if the policy allows them `N::ACTION`; else 403 with the reason.
pub fn allow<N: Need>(caller: Caller) -> Result<Authorized<N>, ApiError> {
    match policy::authorize(&caller.policy, N::ACTION) {
        Decision::Allow => Ok(Authorized(caller, PhantomData)),
        Decision::Deny(reason) => Err(ApiError::new(ErrorCode::Forbidden, reason.to_string())),
    }
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
    ManageWebhooks,
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
        Box::pin(async move { allow(authenticate(req).await?) })
    }
}
