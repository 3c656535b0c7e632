//! What a caller may see of a credential, as facts: the row and the caller's access, and from
//! `view` up its data (secrets still in it: the API masks them as it presents), usage, shares and
//! connected workflows.

use chrono::{DateTime, Utc};
use credvault_domain::credential::{self as rules, CredentialData, Status};
use credvault_domain::credential_access::Access;
use credvault_store::credentials::{self as store, CredentialRow, ShareRow};
use deadpool_postgres::GenericClient;

use super::current_data;
use crate::{ServiceError, Services};

/// A credential's status now (an expiry or a deletion overrides the stored one).
pub fn status_of(cred: &CredentialRow) -> Status {
    let stored = cred.status.parse().unwrap_or(Status::Active);
    rules::effective_status(
        stored,
        cred.expires_at,
        cred.deleted_at.is_some(),
        Utc::now(),
    )
}

/// A credential as one caller may see it.
pub struct CredentialView {
    pub cred: CredentialRow,
    pub access: Access,
    /// From `view` up; `None` for `use`.
    pub detail: Option<Detail>,
}

/// What a `view` caller sees beyond the summary.
pub struct Detail {
    /// Opened: the API masks the secrets before anything leaves.
    pub data: CredentialData,
    /// Resolves in total and in the last 24 hours, 7 and 30 days.
    pub usage: [i64; 4],
    pub shares: Vec<ShareRow>,
    pub workflows: Vec<ConnectedWorkflow>,
}

/// A workflow that declares the credential or has used it: id, name and its last use.
pub type ConnectedWorkflow = (String, String, Option<DateTime<Utc>>);

/// The credential as a caller with `access` sees it.
pub async fn view(
    services: &Services,
    c: &impl GenericClient,
    cred: CredentialRow,
    access: Access,
) -> Result<CredentialView, ServiceError> {
    view_with(services, c, cred, access, None).await
}

/// `view`, given the current data when the caller has it at hand (it just wrote that version).
pub async fn view_with(
    services: &Services,
    c: &impl GenericClient,
    cred: CredentialRow,
    access: Access,
    known: Option<CredentialData>,
) -> Result<CredentialView, ServiceError> {
    if access < Access::View {
        return Ok(CredentialView {
            cred,
            access,
            detail: None,
        });
    }
    // Four independent reads, sent together (one round trip on the connection).
    let (data, (total, last_24h, last_7d, last_30d), shares, workflows) = tokio::try_join!(
        async {
            match known {
                Some(d) => Ok(d),
                None => current_data(services, c, &cred).await,
            }
        },
        async { Ok(store::usage_totals(c, cred.workspace_id, cred.id).await?) },
        async { Ok(store::shares_of(c, cred.workspace_id, cred.id).await?) },
        connected_workflows(c, &cred),
    )?;
    Ok(CredentialView {
        cred,
        access,
        detail: Some(Detail {
            data,
            usage: [total, last_24h, last_7d, last_30d],
            shares,
            workflows,
        }),
    })
}

/// The owner's view of a credential just created from `data`: built from what was written, with
/// no read, no decryption and no query of its (still empty) usage, shares and workflows.
pub fn new_view(cred: CredentialRow, data: CredentialData) -> CredentialView {
    CredentialView {
        cred,
        access: Access::Owner,
        detail: Some(Detail {
            data,
            usage: [0; 4],
            shares: Vec::new(),
            workflows: Vec::new(),
        }),
    }
}

/// Workflows that declare the credential or have used it, with their last use of it.
pub async fn connected_workflows(
    c: &impl GenericClient,
    cred: &CredentialRow,
) -> Result<Vec<ConnectedWorkflow>, ServiceError> {
    Ok(credvault_store::workflows::connected(c, cred.workspace_id, cred.id).await?)
}
