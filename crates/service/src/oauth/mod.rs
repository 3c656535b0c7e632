//! OAuth2: token-endpoint calls, refresh under a lease (exactly one refresh per expiry across
//! every instance), and the authorization-code flow with PKCE S256.
//!
//! A refresh takes a short lease on the credential row, reads what it needs, gives the
//! connection back, calls the token endpoint holding no database connection, and stores the
//! result (a new version, reason `refreshed`) only if the lease is still its own. Whoever finds
//! the lease taken waits and re-reads: the winner's token serves everyone.

use std::time::Duration as StdDuration;

use credvault_domain::credential::CredentialData;
use reqwest::{header, Method, StatusCode, Url};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::outbound::OutboundError;
use crate::principal::Actor;
use crate::Services;

/// Longer than the outbound client's total timeout, so a lease never runs out mid-call.
const LEASE_SECS: i32 = 30;
/// How long a waiter waits for another instance's refresh before giving up.
const WAIT_LIMIT: StdDuration = StdDuration::from_secs(20);
/// How long an authorization state stays usable.
pub const STATE_TTL_SECS: i32 = 600;

/// What started a refresh (recorded in its audit event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Manual,
    Resolve,
    Test,
    Background,
}

impl Trigger {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Resolve => "resolve",
            Trigger::Test => "test",
            Trigger::Background => "background",
        }
    }
}

pub use crate::token_refresh::{Failure, Outcome};

pub mod authorize;
pub mod background;
pub mod freshness;
pub mod refresh;
pub mod requests;

pub use authorize::*;
pub use background::*;
pub use refresh::*;

/// What a token endpoint granted. The values are secrets: never logged or audited.
pub struct Grant {
    pub(crate) access_token: Zeroizing<String>,
    pub(crate) refresh_token: Option<Zeroizing<String>>,
    pub(crate) expires_in: Option<i64>,
}

pub(crate) fn system() -> Actor {
    Actor {
        kind: "system",
        id: None,
        display: Some("credvault".into()),
        user_id: None,
    }
}

pub(crate) fn config_str<'a>(data: &'a CredentialData, key: &str) -> Option<&'a str> {
    data.config.get(key).and_then(Value::as_str)
}

pub(crate) fn secret_str<'a>(data: &'a CredentialData, key: &str) -> Option<&'a str> {
    data.secrets
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The credential's scopes, space-separated as OAuth2 sends them.
pub(crate) fn scopes_of(data: &CredentialData) -> String {
    data.config
        .get("scopes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Whether the grant is `authorization_code` (else `client_credentials`).
pub fn is_authorization_code(data: &CredentialData) -> bool {
    config_str(data, "grant_type") == Some("authorization_code")
}

/// Calls the token endpoint with `form` (client authentication: HTTP Basic, as RFC 6749 asks
/// every server to accept). Holds no database connection.
pub(crate) async fn call_token_endpoint(
    services: &Services,
    data: &CredentialData,
    form: &[(&str, &str)],
) -> Result<Grant, Failure> {
    let token_url = config_str(data, "token_url").unwrap_or_default();
    let url = Url::parse(token_url)
        .map_err(|_| Failure::Terminal("the token_url is not a valid URL: fix it".into()))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let client_id = config_str(data, "client_id").unwrap_or_default();
    let client_secret = secret_str(data, "client_secret");
    let req = services
        .outbound
        .request(Method::POST, url)
        .basic_auth(client_id, client_secret)
        .header(header::ACCEPT, "application/json")
        .form(form);
    let answer = services.outbound.send(req).await.map_err(|e| match e {
        OutboundError::Refused(r) => {
            Failure::Transient(format!("token endpoint refused by the outbound rules: {r}"))
        }
        other => Failure::Transient(format!("token endpoint: {other}")),
    })?;
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    if answer.status.is_success() {
        let access = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Failure::Transient(format!(
                    "the token endpoint of {host} answered {} without an access_token",
                    answer.status.as_u16()
                ))
            })?;
        let expires_in = match body.get("expires_in") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .filter(|s| *s > 0 && *s < 10 * 365 * 86400);
        return Ok(Grant {
            access_token: Zeroizing::new(access.to_string()),
            refresh_token: body
                .get("refresh_token")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(|s| Zeroizing::new(s.to_string())),
            expires_in,
        });
    }
    // Only the provider's error code is kept: its free-text description is not ours to log.
    let code = body
        .get("error")
        .and_then(Value::as_str)
        .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_'))
        .unwrap_or("");
    let status = answer.status.as_u16();
    if code == "invalid_grant" {
        return Err(Failure::Terminal(format!(
            "the provider ({host}) refused the grant (invalid_grant): authorize the credential again"
        )));
    }
    let what = if code.is_empty() {
        String::new()
    } else {
        format!(" ({code})")
    };
    let hint = match answer.status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ": check the client id and secret",
        s if s.is_server_error() => ": the provider is failing; credvault retries",
        _ => "",
    };
    Err(Failure::Transient(format!(
        "the token endpoint of {host} answered {status}{what}{hint}"
    )))
}
