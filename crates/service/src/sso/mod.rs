//! Single sign-on with OpenID Connect, per workspace: its configuration (owners write it, the
//! provider's discovery document checked first, the client secret sealed), and the sign-in flow
//! in `flow`.

use std::collections::BTreeMap;

use credvault_crypto::Sealed;
use credvault_domain::identity::Role;
use credvault_domain::sealing::sso_secret_aad;
use credvault_store::sso::{self as store, SsoRow};
use zeroize::Zeroizing;

use crate::audit::Event;
use crate::{Principal, ServiceError, Services};

pub mod flow;
pub mod oidc;

pub use oidc::JwksCache;

/// A configuration as asked for, its fields already valid.
pub struct SsoInput {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Zeroizing<String>,
    /// Lower-case domains whose unknown users are created at their first sign-in.
    pub allowed_email_domains: Vec<String>,
    pub default_role: Role,
    pub role_claim: Option<String>,
    pub role_map: BTreeMap<String, Role>,
    pub enforce: bool,
}

/// A stored configuration, as shown (never its secret).
pub struct SsoView {
    pub row: SsoRow,
    pub redirect_uri: String,
}

pub fn redirect_uri(services: &Services) -> String {
    format!(
        "{}/v1/auth/sso/callback",
        services.settings.public_url.trim_end_matches('/')
    )
}

fn view(services: &Services, row: SsoRow) -> SsoView {
    SsoView {
        row,
        redirect_uri: redirect_uri(services),
    }
}

fn owner_only(caller: &Principal) -> Result<(), ServiceError> {
    if caller.role() == Some(Role::Owner) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only a workspace owner can change single sign-on".into(),
        ))
    }
}

/// Saves the workspace's configuration once the issuer's discovery document checks out.
pub async fn put(
    services: &Services,
    caller: &Principal,
    input: SsoInput,
) -> Result<SsoView, ServiceError> {
    owner_only(caller)?;
    let ws = caller.workspace_id;
    let ep = oidc::discover(services, &input.issuer)
        .await
        .map_err(|m| ServiceError::field("issuer", m))?;
    let sealed = services
        .envelope
        .seal(input.client_secret.as_bytes(), &sso_secret_aad(ws))
        .map_err(ServiceError::internal)?;
    let role_map: serde_json::Map<String, serde_json::Value> = (input.role_map.iter())
        .map(|(k, r)| (k.clone(), r.as_str().into()))
        .collect();
    let row = SsoRow {
        workspace_id: ws,
        issuer: input.issuer,
        client_id: input.client_id,
        allowed_email_domains: input.allowed_email_domains,
        default_role: input.default_role.as_str().to_string(),
        role_claim: input.role_claim,
        role_map: role_map.into(),
        enforce: input.enforce,
        authorization_endpoint: ep.authorization_endpoint,
        token_endpoint: ep.token_endpoint,
        jwks_uri: ep.jwks_uri,
        token_auth: ep.token_auth.to_string(),
        kek_id: sealed.kek_id,
        wrapped_dek: sealed.wrapped_dek,
        nonce: sealed.nonce,
        ciphertext: sealed.ciphertext,
        updated_at: chrono::Utc::now(),
    };
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let row = store::put(&tx, &row).await?;
    let ev = Event::new("sso.updated")
        .target("sso", ws, Some(row.issuer.clone()))
        .detail("issuer", row.issuer.clone())
        .detail("client_id", row.client_id.clone())
        .detail("allowed_email_domains", row.allowed_email_domains.clone())
        .detail("default_role", row.default_role.clone())
        .detail("role_claim", row.role_claim.clone())
        .detail("role_map", row.role_map.clone())
        .detail("enforce", row.enforce);
    caller.record(&tx, [ev]).await?;
    tx.commit().await?;
    Ok(view(services, row))
}

/// The workspace's configuration.
pub async fn get(services: &Services, caller: &Principal) -> Result<SsoView, ServiceError> {
    let client = services.pool.get().await?;
    let row = store::get(&client, caller.workspace_id)
        .await?
        .ok_or(ServiceError::NotFound("single sign-on configuration"))?;
    Ok(view(services, row))
}

/// Removes the workspace's configuration (password sign-in is no longer refused).
pub async fn delete(services: &Services, caller: &Principal) -> Result<(), ServiceError> {
    owner_only(caller)?;
    let ws = caller.workspace_id;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    if !store::delete(&tx, ws).await? {
        return Err(ServiceError::NotFound("single sign-on configuration"));
    }
    caller
        .record(&tx, [Event::new("sso.deleted").target("sso", ws, None)])
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The configuration's client secret, opened.
pub(crate) fn client_secret(
    services: &Services,
    row: &SsoRow,
) -> Result<Zeroizing<String>, ServiceError> {
    let sealed = Sealed {
        kek_id: row.kek_id.clone(),
        wrapped_dek: row.wrapped_dek.clone(),
        nonce: row.nonce.clone(),
        ciphertext: row.ciphertext.clone(),
    };
    let plain = services
        .envelope
        .open(&sealed, &sso_secret_aad(row.workspace_id))
        .map_err(|e| {
            tracing::error!(workspace_id = %row.workspace_id, error = %e, "the SSO client secret does not open");
            ServiceError::Fault("the single sign-on client secret cannot be decrypted; an operator has been told".into())
        })?;
    String::from_utf8(plain.expose().to_vec())
        .map(Zeroizing::new)
        .map_err(ServiceError::internal)
}
