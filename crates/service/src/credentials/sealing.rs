//! Sealing and opening a version's secrets (the one place they are decrypted), and storing a
//! version with the destinations its secrets were set for.

use credvault_crypto::Sealed;
use credvault_domain::credential::destinations::Destinations;
use credvault_domain::credential::{CredentialData, CredentialType, SecretDoc};
use credvault_domain::sealing::secret_aad;
use credvault_store::credentials::{self as store, CredentialRow, VersionRow};
use deadpool_postgres::GenericClient;
use serde_json::{Map, Value};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::{ServiceError, Services};

/// Seals a version's secret fields under AAD binding workspace, credential and version.
pub fn seal(
    services: &Services,
    ws: Uuid,
    id: Uuid,
    version: i32,
    secrets: &Map<String, Value>,
) -> Result<Sealed, ServiceError> {
    let plain = Zeroizing::new(serde_json::to_vec(secrets).map_err(ServiceError::internal)?);
    services
        .envelope
        .seal(&plain, &secret_aad(ws, id, version))
        .map_err(ServiceError::internal)
}

/// Opens a version's secret fields.
pub fn open(
    services: &Services,
    ws: Uuid,
    id: Uuid,
    v: &VersionRow,
) -> Result<Map<String, Value>, ServiceError> {
    let mut doc = open_sealed(
        services,
        ws,
        id,
        v.version,
        SealedParts {
            kek_id: &v.kek_id,
            wrapped_dek: v.wrapped_dek.as_deref(),
            nonce: &v.nonce,
            ciphertext: &v.ciphertext,
        },
    )?;
    Ok(std::mem::take(&mut *doc))
}

/// A stored version's sealed parts, as they come from a version row or a resolve row.
pub struct SealedParts<'a> {
    pub kek_id: &'a str,
    /// `None` once the version's keys were destroyed (purge, erasure).
    pub wrapped_dek: Option<&'a [u8]>,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
}

/// The one place a version's secrets are decrypted: into a document zeroized on drop. A
/// version whose keys were destroyed is gone (410); one that does not open is an operator's
/// matter (logged with the credential, answered 500 without detail).
pub fn open_sealed(
    services: &Services,
    ws: Uuid,
    id: Uuid,
    version: i32,
    parts: SealedParts<'_>,
) -> Result<SecretDoc, ServiceError> {
    let wrapped = parts
        .wrapped_dek
        .ok_or_else(|| ServiceError::Deleted("this version's keys were destroyed".into()))?;
    let sealed = Sealed {
        kek_id: parts.kek_id.to_owned(),
        wrapped_dek: wrapped.to_vec(),
        nonce: parts.nonce.to_vec(),
        ciphertext: parts.ciphertext.to_vec(),
    };
    services
        .secrets_opened
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let plain = services.envelope.open(&sealed, &secret_aad(ws, id, version)).map_err(|e| {
        tracing::error!(credential_id = %id, version, error = %e, "a stored secret does not open");
        ServiceError::Fault("this credential's stored secret cannot be decrypted; an operator has been told".into())
    })?;
    Ok(SecretDoc::new(
        serde_json::from_slice(plain.expose()).map_err(ServiceError::internal)?,
    ))
}

/// The current data of a credential, secrets opened (for merges and restores).
pub async fn current_data(
    services: &Services,
    c: &impl GenericClient,
    cred: &CredentialRow,
) -> Result<CredentialData, ServiceError> {
    Ok(current_data_bound(services, c, cred).await?.0)
}

/// The current data of a credential, secrets opened, with the destinations its secrets were set
/// for (what a change that moves a destination is checked against).
pub async fn current_data_bound(
    services: &Services,
    c: &impl GenericClient,
    cred: &CredentialRow,
) -> Result<(CredentialData, Destinations), ServiceError> {
    let v = store::version(c, cred.workspace_id, cred.id, cred.current_version)
        .await?
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("current version missing")))?;
    let secrets = open(services, cred.workspace_id, cred.id, &v)?;
    let config = cred.config.as_object().cloned().unwrap_or_default();
    let data = CredentialData {
        config,
        secrets,
        secret_fields: cred.secret_fields.clone(),
    };
    Ok((data, bound_destinations(&v)?))
}

/// The destinations a stored version's secrets were set for.
pub fn bound_destinations(v: &VersionRow) -> Result<Destinations, ServiceError> {
    serde_json::from_value(v.destinations.clone()).map_err(ServiceError::internal)
}

/// Where `data`'s secrets go when `cred` (its type and test as they are now) holds them.
pub fn destinations_of(cred: &CredentialRow, data: &CredentialData) -> Destinations {
    let kind = cred.kind.parse().unwrap_or(CredentialType::Custom);
    let test_url = cred
        .test
        .as_ref()
        .and_then(|t| t.get("url"))
        .and_then(Value::as_str);
    Destinations::of(kind, test_url, data)
}

/// Stores `data` as version `version` of `cred` (sealed), with its config snapshot and the
/// destinations (of `cred` as it is now) its secrets are set for.
pub async fn store_version(
    services: &Services,
    c: &impl GenericClient,
    cred: &CredentialRow,
    version: i32,
    data: &CredentialData,
    reason: &str,
    by: Option<Uuid>,
) -> Result<(), ServiceError> {
    // A refresh in flight read the version this one replaces: its answer is not to be stored
    // under this version's destinations (its own new version takes the lease back first). Only
    // OAuth2 credentials are refreshed.
    if version > 1 && cred.kind == "oauth2" {
        credvault_store::oauth::drop_lease(c, cred.workspace_id, cred.id).await?;
    }
    let sealed = seal(services, cred.workspace_id, cred.id, version, &data.secrets)?;
    let config = Value::Object(data.config.clone());
    let destinations =
        serde_json::to_value(destinations_of(cred, data)).map_err(ServiceError::internal)?;
    store::insert_version(
        c,
        &store::NewVersion {
            workspace_id: cred.workspace_id,
            credential_id: cred.id,
            version,
            kek_id: &sealed.kek_id,
            wrapped_dek: &sealed.wrapped_dek,
            nonce: &sealed.nonce,
            ciphertext: &sealed.ciphertext,
            config: &config,
            reason,
            created_by: by,
            destinations: &destinations,
        },
    )
    .await?;
    Ok(())
}
