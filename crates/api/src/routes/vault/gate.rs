//! The Vault face of a request: its token (`X-Vault-Token`, or `Authorization: Bearer` as on
//! every other route), and errors in Vault's shape, `{"errors": ["..."]}`, with the status the
//! rest of the API would give (a missing or unknown token is Vault's 403 `permission denied`).

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{header, StatusCode};
use actix_web::{dev::Payload, FromRequest, HttpRequest, HttpResponse, ResponseError};
use credvault_service::ServiceError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{allow, caller_for, Authorized, Caller, Need};
use crate::error::{ApiError, ErrorCode};

/// The header Vault clients send their token in.
pub const VAULT_TOKEN: &str = "X-Vault-Token";

/// What Vault answers when it refuses: the messages, none for a path that does not exist.
#[derive(Serialize, ToSchema)]
pub struct VaultErrors {
    pub errors: Vec<String>,
}

/// An error of a Vault route: the API's error, answered in Vault's shape.
#[derive(Debug)]
pub struct VaultError(pub ApiError);

impl From<ApiError> for VaultError {
    fn from(e: ApiError) -> Self {
        VaultError(e)
    }
}

impl From<ServiceError> for VaultError {
    fn from(e: ServiceError) -> Self {
        VaultError(e.into())
    }
}

impl std::fmt::Display for VaultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl VaultError {
    /// Vault's messages for this error: `permission denied` for a missing or unknown token
    /// (Vault says no more), none for a path that does not exist (as Vault answers a missing
    /// secret), else the API's detail.
    fn messages(&self) -> Vec<String> {
        match self.0.code {
            ErrorCode::Unauthenticated => vec!["permission denied".into()],
            ErrorCode::NotFound => Vec::new(),
            _ => vec![self.0.detail.to_string()],
        }
    }
}

impl ResponseError for VaultError {
    fn status_code(&self) -> StatusCode {
        match self.0.code {
            ErrorCode::Unauthenticated => StatusCode::FORBIDDEN,
            code => code.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        // The API's own answer logs the cause and carries the headers (X-Request-Id,
        // Retry-After); only its body and status change.
        let problem = self.0.error_response();
        let mut res = HttpResponse::build(self.status_code());
        for (name, value) in problem.headers() {
            if name != header::CONTENT_TYPE {
                res.append_header((name.clone(), value.clone()));
            }
        }
        res.json(VaultErrors {
            errors: self.messages(),
        })
    }
}

/// The token of a Vault request: `X-Vault-Token`, else `Authorization: Bearer`.
fn token_of(req: &HttpRequest) -> Result<&str, VaultError> {
    let vault = req.headers().get(VAULT_TOKEN);
    let bearer = req.headers().get(header::AUTHORIZATION);
    let token = match (vault, bearer) {
        (Some(v), _) => v.to_str().ok(),
        (None, Some(b)) => b.to_str().ok().and_then(|b| {
            b.strip_prefix("Bearer ")
                .or_else(|| b.strip_prefix("bearer "))
        }),
        (None, None) => None,
    };
    token
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "send the token in X-Vault-Token",
            )
            .into()
        })
}

/// Whoever a Vault request's token stands for.
pub struct VaultToken(pub Caller);

impl FromRequest for VaultToken {
    type Error = VaultError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, VaultError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(VaultToken(caller_for(&req, token_of(&req)?).await?)) })
    }
}

/// A Vault request's caller, allowed to do `N::ACTION`.
pub struct VaultCaller<N: Need>(pub Authorized<N>);

impl<N: Need + 'static> FromRequest for VaultCaller<N> {
    type Error = VaultError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, VaultError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = caller_for(&req, token_of(&req)?).await?;
            Ok(VaultCaller(allow::<N>(caller)?))
        })
    }
}
