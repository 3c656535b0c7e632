//! What making a token fresh came to: kept apart from the refresher itself so that the state
//! shared by requests (which waits on other requests' refreshes) needs nothing of it.

use chrono::{DateTime, Utc};

/// Why no fresh token could be had.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The provider refused the grant (`invalid_grant`), or there is nothing to refresh with:
    /// only a new authorization helps.
    Terminal(String),
    /// Timeouts, 5xx, unreachable or refused addresses: retried with backoff.
    Transient(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::Terminal(m) | Failure::Transient(m) => m,
        }
    }
}

/// The result of making sure a credential's token is fresh.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The stored token is fresh (refreshed here, by another instance, or it needed nothing).
    Fresh {
        token_expires_at: Option<DateTime<Utc>>,
    },
    Failed(Failure),
}
