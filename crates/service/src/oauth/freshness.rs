//! Whether a token is fresh: the one place that says when a token must be refreshed before it
//! is used, when it is due for a refresh ahead of its expiry, and when it can be served as is.

use chrono::{DateTime, Duration, Utc};
use credvault_domain::credential::CredentialData;
use credvault_domain::outbound::{refresh_due_at, RESOLVE_REFRESH_WINDOW_SECS};
use credvault_store::oauth::TokenState;
use serde_json::Value;

/// What a token's state calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Serve it.
    Fresh,
    /// Serve it, and refresh it in the background: it is inside its refresh-ahead window.
    DueAhead,
    /// Refresh it first: there is none, or it expires within the resolve window.
    Needed,
}

/// A token's freshness at `now`, from whether one is stored, when it expires and when it was
/// obtained.
pub fn freshness(
    has_token: bool,
    expires_at: Option<DateTime<Utc>>,
    obtained_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Freshness {
    if !has_token || expiring(expires_at, now) {
        Freshness::Needed
    } else if due_ahead(obtained_at, expires_at, now) {
        Freshness::DueAhead
    } else {
        Freshness::Fresh
    }
}

/// The token expires within the resolve window.
fn expiring(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expires_at.is_some_and(|t| t <= now + Duration::seconds(RESOLVE_REFRESH_WINDOW_SECS))
}

/// The token is inside its refresh-ahead window.
fn due_ahead(
    obtained_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    expires_at.is_some_and(|t| refresh_due_at(obtained_at, t) <= now)
}

/// Whether a stored access token is there (non-empty).
pub fn has_token(secrets: &serde_json::Map<String, Value>) -> bool {
    secrets
        .get("access_token")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty())
}

/// Whether an oauth2 credential's data lacks a usable access token.
pub fn token_needed(data: &CredentialData) -> bool {
    let expires_at = data
        .config
        .get("token_expires_at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc));
    freshness(has_token(&data.secrets), expires_at, None, Utc::now()) == Freshness::Needed
}

/// What makes a resolve or test refresh, asked of the stored state (again after waiting for
/// another instance's refresh): the token expires within the window, or there is none yet and
/// nobody stored one since `seen_version`.
pub fn needs_refresh(seen_version: i32) -> impl Fn(&TokenState) -> bool {
    move |st| match st.token_expires_at {
        Some(_) => expiring(st.token_expires_at, Utc::now()),
        None => st.current_version == seen_version,
    }
}

/// What makes the background refresher refresh: the token is inside its refresh-ahead window.
pub fn refresh_ahead_due(st: &TokenState) -> bool {
    due_ahead(st.token_obtained_at, st.token_expires_at, Utc::now())
}
