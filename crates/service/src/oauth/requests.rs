//! What people ask of an OAuth2 credential: refresh its token now, start an authorization, and
//! finish one when the provider sends the browser back.

use chrono::{DateTime, Utc};
use credvault_domain::credential::CredentialData;
use credvault_domain::credential_access::CredentialAction;
use credvault_store::credentials::CredentialRow;
use credvault_store::oauth::{self as ostore, TokenState, UsedState};
use uuid::Uuid;

use super::{
    ensure_fresh, finish_authorization, is_authorization_code, start_authorization, Failure,
    Outcome, Trigger,
};
use crate::credentials;
use crate::principal::Origin;
use crate::{Principal, ServiceError, Services};

/// A live oauth2 credential the caller may change, with its data opened.
async fn oauth_credential(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<(CredentialRow, CredentialData), ServiceError> {
    credentials::require_write(services, caller, id).await?;
    let (cred, _) = credentials::authorize(services, caller, id, CredentialAction::Manage).await?;
    credentials::refuse_if_deleted(&cred)?;
    if cred.kind != "oauth2" {
        return Err(ServiceError::field(
            "type",
            "only oauth2 credentials have tokens to refresh or authorize",
        ));
    }
    let client = services.pool.get().await?;
    let data = credentials::current_data(services, &client, &cred).await?;
    Ok((cred, data))
}

/// `reauthorization_required`, with a ready authorization URL when a person asked and the grant
/// is authorization_code.
async fn reauthorization(
    services: &Services,
    caller: &Principal,
    cred: &CredentialRow,
    data: &CredentialData,
    why: String,
) -> ServiceError {
    let mut authorization_url = None;
    if let (Some(user), true) = (caller.user_id(), is_authorization_code(data)) {
        if let Ok(client) = services.pool.get().await {
            if let Ok((url, _)) =
                start_authorization(services, &client, cred, data, user, None).await
            {
                authorization_url = Some(url);
            }
        }
    }
    ServiceError::ReauthorizationRequired {
        detail: why,
        authorization_url,
    }
}

/// Refreshes credential `id`'s access token now; its new expiry.
pub async fn refresh_now(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    let (cred, data) = oauth_credential(services, caller, id).await?;
    let before = {
        let client = services.pool.get().await?;
        ostore::token_state_of(&client, cred.workspace_id, cred.id)
            .await?
            .and_then(|s| s.token_obtained_at)
    };
    // Refresh unless someone else refreshed while we waited for their lease.
    let needed = move |st: &TokenState| st.token_obtained_at == before;
    let (ws, actor, origin) = (cred.workspace_id, &caller.actor, &caller.origin);
    match ensure_fresh(
        services,
        ws,
        cred.id,
        Trigger::Manual,
        actor,
        origin,
        needed,
    )
    .await?
    {
        Outcome::Fresh { token_expires_at } => Ok(token_expires_at),
        Outcome::Failed(Failure::Terminal(why)) => {
            Err(reauthorization(services, caller, &cred, &data, why).await)
        }
        Outcome::Failed(Failure::Transient(why)) => Err(ServiceError::Upstream {
            detail: why,
            retry_after: Some(30),
        }),
    }
}

/// Starts an authorization-code flow for credential `id` (by a person); the provider URL and
/// the state. `return_to` was checked by the caller.
pub async fn authorize(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    return_to: Option<&str>,
) -> Result<(String, String), ServiceError> {
    let Some(user) = caller.user_id() else {
        return Err(ServiceError::Forbidden(
            "an authorization is started by a person, not an engine token".into(),
        ));
    };
    let (cred, data) = oauth_credential(services, caller, id).await?;
    if !is_authorization_code(&data) {
        return Err(ServiceError::field("data.grant_type", "must be authorization_code to authorize in a browser (client_credentials needs no authorization)"));
    }
    let client = services.pool.get().await?;
    start_authorization(services, &client, &cred, &data, user, return_to).await
}

/// Takes a callback's state (single use): the authorization it started.
pub async fn consume_state(services: &Services, st: &str) -> Result<UsedState, ServiceError> {
    let invalid = || {
        ServiceError::InvalidState(
            "the state is unknown, already used or expired: start the authorization again".into(),
        )
    };
    if st.is_empty() || st.len() > 256 {
        return Err(invalid());
    }
    let client = services.pool.get().await?;
    ostore::consume_state(&client, &credvault_crypto::sha256(st.as_bytes()))
        .await?
        .ok_or_else(invalid)
}

/// The callback's work once its state is consumed: the provider's refusal, or the code exchange.
pub async fn finish_callback(
    services: &Services,
    used: &UsedState,
    st: &str,
    code: Option<&str>,
    error: Option<&str>,
    origin: &Origin,
) -> Result<CredentialRow, ServiceError> {
    if let Some(e) = error {
        let code: String = e
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(ServiceError::invalid(format!(
            "the provider did not grant access ({code}): start the authorization again"
        )));
    }
    let code = code
        .filter(|c| !c.is_empty() && c.len() <= 4096)
        .ok_or_else(|| ServiceError::invalid("code is required"))?;
    finish_authorization(services, used, st, code, origin).await
}
