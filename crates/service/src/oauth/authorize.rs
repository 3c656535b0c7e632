//! The authorization-code flow: a single-use state bound to the credential and the person,
//! PKCE S256 with a verifier stored nowhere, and the code exchange stored as a new version.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{SecondsFormat, Utc};
use credvault_domain::credential::CredentialData;
use credvault_domain::credential_access::CredentialAction;
use credvault_store::credentials::{self as store, CredentialRow};
use credvault_store::oauth as ostore;
use deadpool_postgres::GenericClient;
use reqwest::Url;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::refresh::{discarded, store_grant};
use super::{call_token_endpoint, config_str, scopes_of, Failure, STATE_TTL_SECS};
use crate::audit::{self, Event};
use crate::credentials;
use crate::principal::{Actor, Origin};
use crate::{ServiceError, Services};

/// A new authorization: a fresh state (stored as its hash, bound to the credential and the
/// user) and PKCE S256 verifier (derived from the state with a server key, so it is stored
/// nowhere). Returns the provider URL and the state.
pub async fn start_authorization(
    services: &Services,
    c: &impl GenericClient,
    cred: &CredentialRow,
    data: &CredentialData,
    user_id: Uuid,
    return_to: Option<&str>,
) -> Result<(String, String), ServiceError> {
    let raw: [u8; 32] = credvault_crypto::random_bytes().map_err(ServiceError::internal)?;
    let st = URL_SAFE_NO_PAD.encode(raw);
    let challenge =
        URL_SAFE_NO_PAD.encode(credvault_crypto::sha256(verifier(services, &st).as_bytes()));
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
            ServiceError::field(
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
            .append_pair("redirect_uri", &redirect_uri(services))
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
fn verifier(services: &Services, st: &str) -> Zeroizing<String> {
    Zeroizing::new(URL_SAFE_NO_PAD.encode(*credvault_crypto::hmac_sha256(
        &*services.pkce_key,
        st.as_bytes(),
    )))
}

pub fn redirect_uri(services: &Services) -> String {
    format!(
        "{}/v1/oauth/callback",
        services.settings.public_url.trim_end_matches('/')
    )
}

/// The callback's work after the state was consumed: exchange the code (no connection held),
/// then store the tokens as a new version and mark the credential active.
pub async fn finish_authorization(
    services: &Services,
    used: &ostore::UsedState,
    st: &str,
    code: &str,
    origin: &Origin,
) -> Result<CredentialRow, ServiceError> {
    let (ws, id) = (used.workspace_id, used.credential_id);
    let purged = || {
        ServiceError::InvalidState("the credential of this authorization no longer exists".into())
    };
    let (data, actor, name, seen_version) = {
        let client = services.pool.get().await?;
        let cred = store::get(&client, ws, id).await?.ok_or_else(purged)?;
        credentials::refuse_if_deleted(&cred)?;
        let cannot = || {
            ServiceError::InvalidState("the person who started this authorization can no longer finish it (disabled, or no longer allowed to manage the credential)".into())
        };
        let user = credvault_store::identity::user_by_id(&client, ws, used.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(cannot)?;
        // Their access is checked again now: a share taken away since the start ends it.
        if !credentials::user_may(&client, &user, &cred, CredentialAction::Manage).await? {
            return Err(cannot());
        }
        let data = credentials::current_data(services, &client, &cred).await?;
        let actor = Actor {
            kind: "user",
            id: Some(user.id),
            display: Some(user.display_name.clone()),
            user_id: None,
        };
        (data, actor, cred.name, cred.current_version)
    };
    let v = verifier(services, st);
    let redirect = redirect_uri(services);
    let result = call_token_endpoint(
        services,
        &data,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", v.as_str()),
        ],
    )
    .await;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let locked = store::lock(&tx, ws, id).await?;
    // Deleted or purged while the code was exchanged: the exchange is on the record, its tokens
    // are not kept.
    // Deleted, purged or changed (new secrets, moved destinations) while the code was
    // exchanged: the exchange is on the record, its tokens are not kept.
    let gone = match &locked {
        None => Some((purged(), "purged")),
        Some(c) if c.deleted_at.is_some() => credentials::refuse_if_deleted(c)
            .err()
            .map(|e| (e, "deleted")),
        Some(c) if c.current_version != seen_version => Some((
            ServiceError::InvalidState(
                "the credential changed while the authorization was finishing: start it again"
                    .into(),
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
            return Err(ServiceError::Upstream {
                detail: format!("the code exchange failed: {}", f.message()),
                retry_after: None,
            });
        }
    };
    let (expires, _) = store_grant(
        services,
        &tx,
        &mut cred,
        &grant,
        "updated",
        Some(used.user_id),
        (seen_version, &data),
    )
    .await?;
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
        .ok_or_else(|| ServiceError::NotFound("credential"))?;
    tx.commit().await?;
    // This instance's next resolve reads the new grant (the others hear of it from the
    // sequencer's batch, milliseconds later).
    services.cache.forget_credential(id);
    Ok(cred)
}
