//! OAuth2: token-endpoint calls, refresh under a lease (exactly one refresh per expiry across
//! every instance), and the authorization-code flow with PKCE S256.
//!
//! A refresh takes a short lease on the credential row, reads what it needs, gives the
//! connection back, calls the token endpoint holding no database connection, and stores the
//! result (a new version, reason `refreshed`) only if the lease is still its own. Whoever finds
//! the lease taken waits and re-reads: the winner's token serves everyone.

use std::time::Duration as StdDuration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, SecondsFormat, SubsecRound, Utc};
use credvault_domain::credential::CredentialData;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::outbound::retry_backoff;
use credvault_store::credentials::{self as store, CredentialRow};
use credvault_store::oauth::{self as ostore, TokenState};
use deadpool_postgres::GenericClient;
use reqwest::{header, Method, StatusCode, Url};
use serde_json::Value;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::audit::{self, Actor, Event, Origin};
use crate::credentials as svc;
use crate::error::{ApiError, ErrorCode};
use crate::outbound::OutboundError;
use crate::state::AppState;

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
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Resolve => "resolve",
            Trigger::Test => "test",
            Trigger::Background => "background",
        }
    }
}

pub use crate::token_refresh::{Failure, Outcome};

/// What a token endpoint granted. The values are secrets: never logged or audited.
pub struct Grant {
    access_token: Zeroizing<String>,
    refresh_token: Option<Zeroizing<String>>,
    expires_in: Option<i64>,
}

fn system() -> Actor {
    Actor {
        kind: "system",
        id: None,
        display: Some("credvault".into()),
        user_id: None,
    }
}

fn config_str<'a>(data: &'a CredentialData, key: &str) -> Option<&'a str> {
    data.config.get(key).and_then(Value::as_str)
}

fn secret_str<'a>(data: &'a CredentialData, key: &str) -> Option<&'a str> {
    data.secrets
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The credential's scopes, space-separated as OAuth2 sends them.
fn scopes_of(data: &CredentialData) -> String {
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
async fn call_token_endpoint(
    state: &AppState,
    data: &CredentialData,
    form: &[(&str, &str)],
) -> Result<Grant, Failure> {
    let token_url = config_str(data, "token_url").unwrap_or_default();
    let url = Url::parse(token_url)
        .map_err(|_| Failure::Terminal("the token_url is not a valid URL: fix it".into()))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let client_id = config_str(data, "client_id").unwrap_or_default();
    let client_secret = secret_str(data, "client_secret");
    let req = state
        .outbound
        .request(Method::POST, url)
        .basic_auth(client_id, client_secret)
        .header(header::ACCEPT, "application/json")
        .form(form);
    let answer = state.outbound.send(req).await.map_err(|e| match e {
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

/// Makes sure the credential's token is fresh for `trigger`: `needed` says, from the stored
/// state, whether a refresh is still wanted (it is asked again after waiting for another
/// instance's refresh, so the winner's token is used rather than refreshing twice).
pub async fn ensure_fresh(
    state: &AppState,
    ws: Uuid,
    id: Uuid,
    trigger: Trigger,
    actor: &Actor,
    origin: &Origin,
    needed: impl Fn(&TokenState) -> bool,
) -> Result<Outcome, ApiError> {
    let lease = Uuid::now_v7();
    let started = std::time::Instant::now();
    let mut pause = StdDuration::from_millis(10);
    let mut waiting = false;
    loop {
        let taken = {
            let client = state.pool.get().await?;
            ostore::take_lease(
                &client,
                ws,
                id,
                lease,
                LEASE_SECS,
                trigger != Trigger::Manual,
            )
            .await?
        };
        if let Some(st) = taken {
            if !needed(&st) {
                let client = state.pool.get().await?;
                ostore::release_lease(&client, ws, id, lease).await?;
                return Ok(Outcome::Fresh {
                    token_expires_at: st.token_expires_at,
                });
            }
            return refresh_with_lease(state, ws, id, lease, &st, trigger, actor, origin).await;
        }
        let st = {
            let client = state.pool.get().await?;
            ostore::token_state_of(&client, ws, id)
                .await?
                .ok_or_else(|| ApiError::not_found("credential"))?
        };
        if st.deleted {
            return Err(ApiError::new(
                ErrorCode::CredentialDeleted,
                "the credential is deleted: restore it first",
            ));
        }
        if !needed(&st) {
            return Ok(Outcome::Fresh {
                token_expires_at: st.token_expires_at,
            });
        }
        if st.status == "expired" && trigger != Trigger::Manual {
            return Ok(Outcome::Failed(Failure::Terminal(
                "the provider refused the refresh: authorize the credential again".into(),
            )));
        }
        if !st.leased {
            if let Some(at) = st.retry_at.filter(|t| *t > Utc::now()) {
                return Ok(Outcome::Failed(Failure::Transient(format!(
                    "the last refresh failed; the next attempt is at {}",
                    at.to_rfc3339_opts(SecondsFormat::Secs, true)
                ))));
            }
        }
        if started.elapsed() > WAIT_LIMIT {
            return Ok(Outcome::Failed(Failure::Transient(
                "another refresh of this credential is taking too long".into(),
            )));
        }
        if !waiting {
            // Once per wait: says that this request (here, or on another instance) found the
            // refresh under way and uses its outcome rather than calling the provider too.
            tracing::debug!(credential_id = %id, trigger = trigger.as_str(), "waiting for the refresh another request holds the lease for");
            waiting = true;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(StdDuration::from_millis(50));
    }
}

/// [`ensure_fresh`] for resolves, with the requests of this instance sharing one attempt: the
/// first does the work (taking the lease or waiting on another instance's), the others wait for
/// its outcome instead of each polling the database.
pub async fn ensure_fresh_shared(
    state: &AppState,
    ws: Uuid,
    id: Uuid,
    trigger: Trigger,
    actor: &Actor,
    origin: &Origin,
    needed: impl Fn(&TokenState) -> bool,
) -> Result<Outcome, ApiError> {
    let follower = {
        let mut inflight = state
            .inflight_refreshes
            .lock()
            .map_err(|_| ApiError::internal(anyhow::anyhow!("lock poisoned")))?;
        match inflight.get(&id) {
            Some(tx) => Some(tx.subscribe()),
            None => {
                inflight.insert(id, tokio::sync::watch::channel(None).0);
                None
            }
        }
    };
    if let Some(mut rx) = follower {
        if let Ok(v) = rx.wait_for(Option::is_some).await {
            if let Some(outcome) = v.clone() {
                return Ok(outcome);
            }
        }
        // The leader went away (its request was cancelled or failed): try on our own.
        return ensure_fresh(state, ws, id, trigger, actor, origin, needed).await;
    }
    let result = ensure_fresh(state, ws, id, trigger, actor, origin, needed).await;
    if let Ok(mut inflight) = state.inflight_refreshes.lock() {
        if let Some(tx) = inflight.remove(&id) {
            if let Ok(outcome) = &result {
                let _ = tx.send(Some(outcome.clone()));
            }
        }
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn refresh_with_lease(
    state: &AppState,
    ws: Uuid,
    id: Uuid,
    lease: Uuid,
    st: &TokenState,
    trigger: Trigger,
    actor: &Actor,
    origin: &Origin,
) -> Result<Outcome, ApiError> {
    let (data, name) = {
        let client = state.pool.get().await?;
        let cred = store::get(&client, ws, id)
            .await?
            .ok_or_else(|| ApiError::not_found("credential"))?;
        (svc::current_data(state, &client, &cred).await?, cred.name)
    };
    let scopes = scopes_of(&data);
    let result = if is_authorization_code(&data) {
        match secret_str(&data, "refresh_token") {
            None => Err(Failure::Terminal(
                "no refresh token is stored: authorize the credential again".into(),
            )),
            Some(rt) => {
                let rt = Zeroizing::new(rt.to_string());
                call_token_endpoint(
                    state,
                    &data,
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", rt.as_str()),
                    ],
                )
                .await
            }
        }
    } else {
        let mut form = vec![("grant_type", "client_credentials")];
        if !scopes.is_empty() {
            form.push(("scope", scopes.as_str()));
        }
        call_token_endpoint(state, &data, &form).await
    };
    drop(data);
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    if !ostore::lock_if_leased(&tx, ws, id, lease).await? {
        // Someone took over (the credential was re-authorized, changed or purged meanwhile): our
        // result is stale, theirs stands. The secrets were sent all the same, so that is on the
        // record.
        let why = "the credential changed during the refresh (re-authorized, refreshed elsewhere or purged); the provider's answer was discarded";
        let ev = discarded(
            "credential.refresh_failed",
            id,
            name,
            trigger.as_str(),
            &result,
            why,
        );
        audit::record(&tx, ws, actor, origin, ev).await?;
        tx.commit().await?;
        return Ok(Outcome::Failed(Failure::Transient(
            "the credential changed during the refresh; try again".into(),
        )));
    }
    let mut cred = store::get(&tx, ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    let outcome = match result {
        Ok(grant) => {
            let (expires, rotated) =
                store_grant(state, &tx, &mut cred, &grant, "refreshed", None).await?;
            ostore::finish_refresh(&tx, ws, id, Some(Utc::now()), 0, None).await?;
            let ev = Event::new("credential.refreshed")
                .target("credential", id, Some(cred.name.clone()))
                .detail("version", cred.current_version)
                .detail("trigger", trigger.as_str())
                .detail("refresh_token_rotated", rotated)
                .detail(
                    "token_expires_at",
                    expires.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
                );
            audit::record(&tx, ws, actor, origin, ev).await?;
            Outcome::Fresh {
                token_expires_at: expires,
            }
        }
        Err(failure) => {
            let (status, failures, retry_at, terminal) = match &failure {
                Failure::Terminal(_) => ("expired", 0, None, true),
                Failure::Transient(_) => {
                    let n = st.failures.saturating_add(1);
                    ("error", n, Some(Utc::now() + retry_backoff(n)), false)
                }
            };
            cred.status = status.into();
            cred.status_detail = Some(failure.message().to_string());
            store::update(&tx, &cred).await?;
            ostore::finish_refresh(&tx, ws, id, None, failures, retry_at).await?;
            let ev = Event::new("credential.refresh_failed")
                .target("credential", id, Some(cred.name.clone()))
                .outcome("failure")
                .detail("trigger", trigger.as_str())
                .detail("terminal", terminal)
                .detail("error", failure.message().to_string());
            audit::record(&tx, ws, actor, origin, ev).await?;
            Outcome::Failed(failure)
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// The event of a token-endpoint call whose answer could not be kept: the call carried the
/// credential's secrets, so it is recorded with what the provider said and why it went unused.
fn discarded(
    action: &'static str,
    id: Uuid,
    name: String,
    trigger: &str,
    result: &Result<Grant, Failure>,
    why: &str,
) -> Event {
    let provider = match result {
        Ok(_) => "granted".to_string(),
        Err(f) => f.message().to_string(),
    };
    Event::new(action)
        .target("credential", id, Some(name))
        .outcome("failure")
        .detail("trigger", trigger)
        .detail("terminal", false)
        .detail("error", why.to_string())
        .detail("provider_answer", provider)
}

/// Stores a grant as a new version of the locked `cred` (re-reading its data under the lock, so
/// a change made during the call is kept): the access token, a rotated refresh token (the
/// stored one is kept when the answer carries none), and the new expiry. Status becomes
/// `active`. Returns the new expiry and whether the refresh token rotated.
async fn store_grant(
    state: &AppState,
    tx: &impl GenericClient,
    cred: &mut CredentialRow,
    grant: &Grant,
    reason: &str,
    by: Option<Uuid>,
) -> Result<(Option<DateTime<Utc>>, bool), ApiError> {
    let mut data = svc::current_data(state, tx, cred).await?;
    data.secrets.insert(
        "access_token".into(),
        Value::String(grant.access_token.to_string()),
    );
    let rotated = match &grant.refresh_token {
        Some(rt) => {
            let changed = secret_str(&data, "refresh_token") != Some(rt.as_str());
            data.secrets
                .insert("refresh_token".into(), Value::String(rt.to_string()));
            changed
        }
        None => false,
    };
    let expires = grant
        .expires_in
        .map(|s| (Utc::now() + Duration::seconds(s)).trunc_subsecs(3));
    match expires {
        Some(t) => data.config.insert(
            "token_expires_at".into(),
            Value::String(t.to_rfc3339_opts(SecondsFormat::Millis, true)),
        ),
        None => data.config.remove("token_expires_at"),
    };
    let v = cred.current_version + 1;
    svc::store_version(state, tx, cred, v, &data, reason, by).await?;
    cred.current_version = v;
    cred.config = Value::Object(data.config.clone());
    cred.status = "active".into();
    cred.status_detail = None;
    store::update(tx, cred).await?;
    Ok((expires, rotated))
}

/// A new authorization: a fresh state (stored as its hash, bound to the credential and the
/// user) and PKCE S256 verifier (derived from the state with a server key, so it is stored
/// nowhere). Returns the provider URL and the state.
pub async fn start_authorization(
    state: &AppState,
    c: &impl GenericClient,
    cred: &CredentialRow,
    data: &CredentialData,
    user_id: Uuid,
    return_to: Option<&str>,
) -> Result<(String, String), ApiError> {
    let raw: [u8; 32] = credvault_crypto::random_bytes().map_err(ApiError::internal)?;
    let st = URL_SAFE_NO_PAD.encode(raw);
    let challenge =
        URL_SAFE_NO_PAD.encode(credvault_crypto::sha256(verifier(state, &st).as_bytes()));
    ostore::insert_state(
        c,
        &ostore::NewState {
            state_hash: &credvault_crypto::sha256(st.as_bytes()),
            workspace_id: cred.workspace_id,
            credential_id: cred.id,
            user_id,
            return_to,
            ttl_secs: STATE_TTL_SECS,
        },
    )
    .await?;
    let mut url =
        Url::parse(config_str(data, "authorization_url").unwrap_or_default()).map_err(|_| {
            ApiError::field(
                "data.authorization_url",
                "is not a valid URL: fix the credential",
            )
        })?;
    let scopes = scopes_of(data);
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair(
                "client_id",
                config_str(data, "client_id").unwrap_or_default(),
            )
            .append_pair("redirect_uri", &redirect_uri(state))
            .append_pair("state", &st)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        if !scopes.is_empty() {
            q.append_pair("scope", &scopes);
        }
    }
    Ok((url.to_string(), st))
}

/// The PKCE verifier of a state: 43 base64url characters only this deployment can compute.
fn verifier(state: &AppState, st: &str) -> Zeroizing<String> {
    Zeroizing::new(URL_SAFE_NO_PAD.encode(*credvault_crypto::hmac_sha256(
        &*state.pkce_key,
        st.as_bytes(),
    )))
}

pub fn redirect_uri(state: &AppState) -> String {
    format!(
        "{}/v1/oauth/callback",
        state.services.settings.public_url.trim_end_matches('/')
    )
}

/// The callback's work after the state was consumed: exchange the code (no connection held),
/// then store the tokens as a new version and mark the credential active.
pub async fn finish_authorization(
    state: &AppState,
    used: &ostore::UsedState,
    st: &str,
    code: &str,
    origin: &Origin,
) -> Result<CredentialRow, ApiError> {
    let (ws, id) = (used.workspace_id, used.credential_id);
    let purged = || {
        ApiError::new(
            ErrorCode::InvalidState,
            "the credential of this authorization no longer exists",
        )
    };
    let (data, actor, name, seen_version) = {
        let client = state.pool.get().await?;
        let cred = store::get(&client, ws, id).await?.ok_or_else(purged)?;
        svc::refuse_if_deleted(&cred)?;
        let cannot = || {
            ApiError::new(
                ErrorCode::InvalidState,
                "the person who started this authorization can no longer finish it (disabled, or no longer allowed to manage the credential)",
            )
        };
        let user = credvault_store::identity::user_by_id(&client, ws, used.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(cannot)?;
        // Their access is checked again now: a share taken away since the start ends it.
        if !svc::user_may(&client, &user, &cred, CredentialAction::Manage).await? {
            return Err(cannot());
        }
        let data = svc::current_data(state, &client, &cred).await?;
        let actor = Actor {
            kind: "user",
            id: Some(user.id),
            display: Some(user.display_name.clone()),
            user_id: None,
        };
        (data, actor, cred.name, cred.current_version)
    };
    let v = verifier(state, st);
    let redirect = redirect_uri(state);
    let result = call_token_endpoint(
        state,
        &data,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", v.as_str()),
        ],
    )
    .await;
    drop(data);
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let locked = store::lock(&tx, ws, id).await?;
    // Deleted or purged while the code was exchanged: the exchange is on the record, its tokens
    // are not kept.
    // Deleted, purged or changed (new secrets, moved destinations) while the code was
    // exchanged: the exchange is on the record, its tokens are not kept.
    let gone = match &locked {
        None => Some((purged(), "purged")),
        Some(c) if c.deleted_at.is_some() => svc::refuse_if_deleted(c)
            .err()
            .map(|e| (e.into(), "deleted")),
        Some(c) if c.current_version != seen_version => Some((
            ApiError::new(
                ErrorCode::InvalidState,
                "the credential changed while the authorization was finishing: start it again",
            ),
            "changed",
        )),
        Some(_) => None,
    };
    if let Some((err, how)) = gone {
        let why = format!("the credential was {how} during the authorization; the provider's answer was discarded");
        let why = why.as_str();
        let ev = discarded(
            "credential.refresh_failed",
            id,
            name,
            "authorization",
            &result,
            why,
        );
        audit::record(&tx, ws, &actor, origin, ev).await?;
        tx.commit().await?;
        return Err(err);
    }
    let Some(mut cred) = locked else {
        return Err(purged());
    };
    let grant = match result {
        Ok(g) => g,
        Err(f) => {
            let ev = Event::new("credential.refresh_failed")
                .target("credential", id, Some(cred.name.clone()))
                .outcome("failure")
                .detail("trigger", "authorization")
                .detail("terminal", matches!(f, Failure::Terminal(_)))
                .detail("error", f.message().to_string());
            audit::record(&tx, ws, &actor, origin, ev).await?;
            tx.commit().await?;
            return Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                format!("the code exchange failed: {}", f.message()),
            ));
        }
    };
    let (expires, _) =
        store_grant(state, &tx, &mut cred, &grant, "updated", Some(used.user_id)).await?;
    // A refresh in flight on another instance started from the old grant: its result must not
    // overwrite this one, so its lease is taken away.
    ostore::finish_refresh(&tx, ws, id, Some(Utc::now()), 0, None).await?;
    let ev = Event::new("credential.refreshed")
        .target("credential", id, Some(cred.name.clone()))
        .detail("version", cred.current_version)
        .detail("trigger", "authorization")
        .detail(
            "token_expires_at",
            expires.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
    audit::record(&tx, ws, &actor, origin, ev).await?;
    let cred = store::get(&tx, ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    tx.commit().await?;
    Ok(cred)
}

/// The background refresher: tokens of credentials used in the last 30 days are refreshed
/// ahead of expiry, so a workflow rarely waits for one. Returns how many it found fresh afterwards
/// (refreshed here, or meanwhile by another instance).
pub async fn refresh_due(state: &AppState) -> Result<usize, ApiError> {
    let due = {
        let client = state.pool.get().await?;
        ostore::expire_states(&client).await?;
        ostore::due_for_refresh(&client, 50).await?
    };
    let mut refreshed = 0;
    for (ws, id) in due {
        let outcome = ensure_fresh(
            state,
            ws,
            id,
            Trigger::Background,
            &system(),
            &Origin::default(),
            |st| {
                st.token_expires_at.is_some_and(|t| {
                    credvault_domain::outbound::refresh_due_at(st.token_obtained_at, t)
                        <= Utc::now()
                })
            },
        )
        .await?;
        if matches!(outcome, Outcome::Fresh { .. }) {
            refreshed += 1;
        }
    }
    Ok(refreshed)
}

/// Actor for refreshes nobody asked for.
pub fn system_actor() -> Actor {
    system()
}

/// Refreshes a credential's token in a background task (one per credential per instance;
/// the lease makes it one across instances), for a resolve that served a token inside its
/// refresh-ahead window.
pub fn refresh_in_background(state: &std::sync::Arc<AppState>, ws: Uuid, id: Uuid) {
    if !state.claim_background_refresh(id) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let needed = |st: &credvault_store::oauth::TokenState| {
            st.token_expires_at.is_some_and(|t| {
                credvault_domain::outbound::refresh_due_at(st.token_obtained_at, t) <= Utc::now()
            })
        };
        let actor = system_actor();
        let origin = Origin::default();
        if let Err(e) =
            ensure_fresh(&state, ws, id, Trigger::Background, &actor, &origin, needed).await
        {
            tracing::warn!(credential_id = %id, error = %e, "background token refresh failed");
        }
        state.release_background_refresh(id);
    });
}
