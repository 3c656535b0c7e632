//! OAuth2 bookkeeping: the refresh lease on a credential row (one refresh at a time across every
//! instance), refresh backoff, the background refresher's work list, and authorization states.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

/// What the lease holder, or a waiter, needs to know about the token.
#[derive(Debug, Clone)]
pub struct TokenState {
    pub token_expires_at: Option<DateTime<Utc>>,
    pub token_obtained_at: Option<DateTime<Utc>>,
    pub current_version: i32,
    pub status: String,
    pub deleted: bool,
    /// Another refresh holds the lease.
    pub leased: bool,
    /// A transient failure asked to wait until then before trying again.
    pub retry_at: Option<DateTime<Utc>>,
    pub failures: i32,
}

const STATE_COLS: &str =
    "token_expires_at, token_obtained_at, current_version, status, deleted_at IS NOT NULL,
    coalesce(refresh_lease_until > now(), false), refresh_retry_at, refresh_failures";

fn token_state(r: &tokio_postgres::Row) -> TokenState {
    TokenState {
        token_expires_at: r.get(0),
        token_obtained_at: r.get(1),
        current_version: r.get(2),
        status: r.get(3),
        deleted: r.get(4),
        leased: r.get(5),
        retry_at: r.get(6),
        failures: r.get(7),
    }
}

/// Takes the refresh lease for `secs` seconds when it is free (or its holder's time ran out).
/// `respect_backoff` leaves a credential alone while a failed refresh's backoff runs.
pub async fn take_lease(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    lease: Uuid,
    secs: i32,
    respect_backoff: bool,
) -> Result<Option<TokenState>, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached(&format!(
                "UPDATE credentials SET refresh_lease = $3, refresh_lease_until = now() + make_interval(secs => $4)
                  WHERE workspace_id = $1 AND id = $2 AND type = 'oauth2' AND deleted_at IS NULL
                    AND (refresh_lease_until IS NULL OR refresh_lease_until <= now())
                    AND (NOT $5 OR refresh_retry_at IS NULL OR refresh_retry_at <= now())
                  RETURNING {STATE_COLS}"
            )).await?,
            &[&ws, &id, &lease, &f64::from(secs), &respect_backoff],
        )
        .await?;
    Ok(r.as_ref().map(token_state))
}

/// The token's state as stored now.
pub async fn token_state_of(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<TokenState>, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached(&format!(
                "SELECT {STATE_COLS} FROM credentials WHERE workspace_id = $1 AND id = $2"
            ))
            .await?,
            &[&ws, &id],
        )
        .await?;
    Ok(r.as_ref().map(token_state))
}

/// Gives the lease back without a result (the token turned out not to need a refresh).
pub async fn release_lease(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    lease: Uuid,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached(
            "UPDATE credentials SET refresh_lease = NULL, refresh_lease_until = NULL
          WHERE workspace_id = $1 AND id = $2 AND refresh_lease = $3",
        )
        .await?,
        &[&ws, &id, &lease],
    )
    .await?;
    Ok(())
}

/// Takes away any refresh lease on the credential: a refresh in flight started from data that a
/// change (new secrets, moved destinations) has just replaced, so its answer must not be stored.
pub async fn drop_lease(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached(
            "UPDATE credentials SET refresh_lease = NULL, refresh_lease_until = NULL
          WHERE workspace_id = $1 AND id = $2 AND refresh_lease IS NOT NULL",
        )
        .await?,
        &[&ws, &id],
    )
    .await?;
    Ok(())
}

/// Locks the credential for storing a refresh's result, only while `lease` is still ours.
pub async fn lock_if_leased(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    lease: Uuid,
) -> Result<bool, StoreError> {
    Ok(c
        .query_opt(
            &c.prepare_cached("SELECT 1 FROM credentials WHERE workspace_id = $1 AND id = $2 AND refresh_lease = $3 FOR UPDATE").await?,
            &[&ws, &id, &lease],
        )
        .await?
        .is_some())
}

/// Ends a refresh: frees the lease and records when the token was obtained (on success) and the
/// failure count and next attempt (after a transient failure). Runs in the result's transaction.
pub async fn finish_refresh(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    obtained_at: Option<DateTime<Utc>>,
    failures: i32,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("UPDATE credentials SET refresh_lease = NULL, refresh_lease_until = NULL,
                token_obtained_at = coalesce($3, token_obtained_at), refresh_failures = $4, refresh_retry_at = $5
          WHERE workspace_id = $1 AND id = $2").await?,
        &[&ws, &id, &obtained_at, &failures, &retry_at],
    )
    .await?;
    Ok(())
}

/// Live oauth2 credentials used in the last 30 days whose token has entered its refresh-ahead
/// window (the larger of 2 minutes and 10 % of its lifetime; at most 7 days), not leased and
/// not waiting out a backoff; soonest first.
pub async fn due_for_refresh(
    c: &impl GenericClient,
    limit: i64,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached("SELECT workspace_id, id FROM credentials
              WHERE type = 'oauth2' AND deleted_at IS NULL AND status <> 'expired'
                AND token_expires_at <= now() + interval '7 days'
                AND token_expires_at - greatest(interval '2 minutes',
                        (token_expires_at - coalesce(token_obtained_at, token_expires_at)) / 10) <= now()
                AND last_used_at > now() - interval '30 days'
                AND (refresh_lease_until IS NULL OR refresh_lease_until <= now())
                AND (refresh_retry_at IS NULL OR refresh_retry_at <= now())
              ORDER BY token_expires_at LIMIT $1").await?,
            &[&limit],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A new authorization state, stored as its hash.
pub struct NewState<'a> {
    pub state_hash: &'a [u8],
    pub workspace_id: Uuid,
    pub credential_id: Uuid,
    pub user_id: Uuid,
    pub return_to: Option<&'a str>,
    pub ttl_secs: i32,
}

pub async fn insert_state(c: &impl GenericClient, s: &NewState<'_>) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("INSERT INTO oauth_states (state_hash, workspace_id, credential_id, user_id, return_to, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))").await?,
        &[&s.state_hash, &s.workspace_id, &s.credential_id, &s.user_id, &s.return_to, &f64::from(s.ttl_secs)],
    )
    .await?;
    Ok(())
}

/// A consumed state: who asked, for which credential, and where to send the browser.
pub struct UsedState {
    pub workspace_id: Uuid,
    pub credential_id: Uuid,
    pub user_id: Uuid,
    pub return_to: Option<String>,
}

/// Marks a state used, once: `None` when it is unknown, already used or expired.
pub async fn consume_state(
    c: &impl GenericClient,
    state_hash: &[u8],
) -> Result<Option<UsedState>, StoreError> {
    let r = c
        .query_opt(
            &c.prepare_cached(
                "UPDATE oauth_states SET used_at = now()
              WHERE state_hash = $1 AND used_at IS NULL AND expires_at > now()
              RETURNING workspace_id, credential_id, user_id, return_to",
            )
            .await?,
            &[&state_hash],
        )
        .await?;
    Ok(r.map(|r| UsedState {
        workspace_id: r.get(0),
        credential_id: r.get(1),
        user_id: r.get(2),
        return_to: r.get(3),
    }))
}

/// Forgets states that expired more than a day ago.
pub async fn expire_states(c: &impl GenericClient) -> Result<u64, StoreError> {
    Ok(c.execute(
        &c.prepare_cached("DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'")
            .await?,
        &[],
    )
    .await?)
}
