//! Refreshing a token under a lease: one refresh per expiry across every instance, the
//! requests of one instance sharing one attempt, and the background refresher.

use chrono::{DateTime, Duration, SecondsFormat, SubsecRound, Utc};
use credvault_domain::credential::CredentialData;
use credvault_domain::outbound::retry_backoff;
use credvault_store::credentials::{self as store, CredentialRow};
use credvault_store::oauth::{self as ostore, TokenState};
use deadpool_postgres::GenericClient;
use serde_json::Value;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{
    call_token_endpoint, is_authorization_code, scopes_of, secret_str, Failure, Grant, Outcome,
    Trigger, LEASE_SECS, WAIT_LIMIT,
};
use crate::audit::{self, Event};
use crate::credentials;
use crate::principal::{Actor, Origin};
use crate::{ServiceError, Services};
use std::time::Duration as StdDuration;

/// Makes sure the credential's token is fresh for `trigger`: `needed` says, from the stored
/// state, whether a refresh is still wanted (it is asked again after waiting for another
/// instance's refresh, so the winner's token is used rather than refreshing twice).
pub async fn ensure_fresh(
    services: &Services,
    ws: Uuid,
    id: Uuid,
    trigger: Trigger,
    actor: &Actor,
    origin: &Origin,
    needed: impl Fn(&TokenState) -> bool,
) -> Result<Outcome, ServiceError> {
    let lease = Uuid::now_v7();
    let started = std::time::Instant::now();
    let mut pause = StdDuration::from_millis(10);
    let mut waiting = false;
    loop {
        let taken = {
            let client = services.pool.get().await?;
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
                let client = services.pool.get().await?;
                ostore::release_lease(&client, ws, id, lease).await?;
                return Ok(Outcome::Fresh {
                    token_expires_at: st.token_expires_at,
                });
            }
            return refresh_with_lease(services, ws, id, lease, &st, trigger, actor, origin).await;
        }
        let st = {
            let client = services.pool.get().await?;
            ostore::token_state_of(&client, ws, id)
                .await?
                .ok_or_else(|| ServiceError::NotFound("credential"))?
        };
        if st.deleted {
            return Err(ServiceError::Deleted(
                "the credential is deleted: restore it first".into(),
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
    services: &Services,
    ws: Uuid,
    id: Uuid,
    trigger: Trigger,
    actor: &Actor,
    origin: &Origin,
    needed: impl Fn(&TokenState) -> bool,
) -> Result<Outcome, ServiceError> {
    let follower = {
        let mut inflight = services
            .inflight_refreshes
            .lock()
            .map_err(|_| ServiceError::internal(anyhow::anyhow!("lock poisoned")))?;
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
        return ensure_fresh(services, ws, id, trigger, actor, origin, needed).await;
    }
    let result = ensure_fresh(services, ws, id, trigger, actor, origin, needed).await;
    if let Ok(mut inflight) = services.inflight_refreshes.lock() {
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
    services: &Services,
    ws: Uuid,
    id: Uuid,
    lease: Uuid,
    st: &TokenState,
    trigger: Trigger,
    actor: &Actor,
    origin: &Origin,
) -> Result<Outcome, ServiceError> {
    let (data, name, read_version) = {
        let client = services.pool.get().await?;
        let cred = store::get(&client, ws, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound("credential"))?;
        (
            credentials::current_data(services, &client, &cred).await?,
            cred.name,
            cred.current_version,
        )
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
                    services,
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
        call_token_endpoint(services, &data, &form).await
    };
    let read = (read_version, &data);
    let mut client = services.pool.get().await?;
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
        .ok_or_else(|| ServiceError::NotFound("credential"))?;
    let outcome = match result {
        Ok(grant) => {
            let from = cred.status.clone();
            let (expires, rotated) =
                store_grant(services, &tx, &mut cred, &grant, "refreshed", None, read).await?;
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
            // Back to `active` from `error` (or `expired`, refreshed by hand).
            let changed = crate::webhooks::status_changed(
                id,
                &cred.name,
                &from,
                &cred.status,
                credvault_domain::events::StatusChangeReason::RefreshSucceeded,
            );
            if let Some(ev) = changed {
                audit::record(&tx, ws, actor, origin, ev).await?;
            }
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
            let changed = crate::webhooks::status_changed(
                id,
                &cred.name,
                &cred.status,
                status,
                credvault_domain::events::StatusChangeReason::RefreshFailed,
            );
            cred.status = status.into();
            cred.status_detail = Some(failure.message().to_string());
            store::update(&tx, &cred).await?;
            if let Some(ev) = changed {
                audit::record(&tx, ws, actor, origin, ev).await?;
            }
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
    // This instance's next resolve reads what the refresh wrote (the others hear of it from the
    // sequencer's batch, milliseconds later).
    services.cache.forget_credential(id);
    Ok(outcome)
}

/// The event of a token-endpoint call whose answer could not be kept: the call carried the
/// credential's secrets, so it is recorded with what the provider said and why it went unused.
pub(crate) fn discarded(
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

/// Stores a grant as a new version of the locked `cred` (its configuration as it is under the
/// lock, so a change made during the call is kept; its secrets from `read`, the data read before
/// the call, when the row is still at that version, else opened again): the access token, a rotated refresh token (the
/// stored one is kept when the answer carries none), and the new expiry. Status becomes
/// `active`. Returns the new expiry and whether the refresh token rotated.
pub(crate) async fn store_grant(
    services: &Services,
    tx: &impl GenericClient,
    cred: &mut CredentialRow,
    grant: &Grant,
    reason: &str,
    by: Option<Uuid>,
    read: (i32, &CredentialData),
) -> Result<(Option<DateTime<Utc>>, bool), ServiceError> {
    let mut data = match read {
        (version, data) if version == cred.current_version => CredentialData {
            config: cred.config.as_object().cloned().unwrap_or_default(),
            secrets: data.secrets.clone(),
            secret_fields: cred.secret_fields.clone(),
        },
        _ => credentials::current_data(services, tx, cred).await?,
    };
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
    credentials::store_version(services, tx, cred, v, &data, reason, by).await?;
    cred.current_version = v;
    cred.config = Value::Object(data.config.clone());
    cred.status = "active".into();
    cred.status_detail = None;
    store::update(tx, cred).await?;
    Ok((expires, rotated))
}
