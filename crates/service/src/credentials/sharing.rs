//! Sharing a credential with a user, a team or the whole workspace: the shares it has, replacing
//! them all, removing one. A change locks the credential, refuses a deleted one, checks
//! `If-Match`, and records `credential.shares_changed` with the shares before and after.

use credvault_domain::credential_access::CredentialAction;
use credvault_store::credentials::{self as cstore, ShareRow};
use credvault_store::workflows::{self as store, NewShare};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use super::authorize;
use super::change::{authorize_change, begin_change};
use crate::audit::Event;
use crate::fields::Fields;
use crate::shares::listed_shares;
use crate::{Principal, ServiceError, Services};

/// A share as the request names it, each field as sent: checked here, under the locks, with
/// whether its principal exists.
pub struct RequestedShare<'a> {
    /// `user`, `team` or `workspace`.
    pub principal_type: Option<&'a str>,
    /// The user or team; absent for `workspace`.
    pub principal_id: Option<&'a str>,
    /// `use`, `view` or `manage`.
    pub access: Option<&'a str>,
}

/// Who credential `id` is shared with.
pub async fn list(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<Vec<ShareRow>, ServiceError> {
    let (cred, _) = authorize(services, caller, id, CredentialAction::SeeConfiguration).await?;
    let client = services.pool.get().await?;
    Ok(cstore::shares_of(&client, caller.workspace_id, cred.id).await?)
}

/// Changing shares needs the right to write credentials and to share this one.
async fn authorize_sharing(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<(), ServiceError> {
    let action = CredentialAction::ChangeSharesOrTransfer;
    authorize_change(services, caller, id, action).await?;
    Ok(())
}

/// Replaces every share of credential `id` with `inputs` (an empty list removes them all); the
/// shares it has afterwards.
pub async fn replace(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    if_match: Option<&str>,
    inputs: &[RequestedShare<'_>],
) -> Result<Vec<ShareRow>, ServiceError> {
    authorize_sharing(services, caller, id).await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let named = |kind: &str| -> Vec<Uuid> {
        inputs
            .iter()
            .filter(|s| s.principal_type == Some(kind))
            .filter_map(|s| s.principal_id.and_then(|p| Uuid::parse_str(p).ok()))
            .collect()
    };
    // Principals before the credential: the order an erasure or a team deletion locks in.
    store::lock_principals(&tx, caller.workspace_id, &named("user"), &named("team")).await?;
    let mut cred = begin_change(caller, &tx, if_match, id).await?;
    let shares = checked(&tx, caller.workspace_id, inputs).await?;
    let before = listed_shares(&tx, caller.workspace_id, cred.id).await?;
    store::replace_shares(&tx, caller.workspace_id, cred.id, &shares, caller.user_id()).await?;
    cred.shared = !shares.is_empty();
    cstore::update(&tx, &cred).await?;
    let after = listed_shares(&tx, caller.workspace_id, cred.id).await?;
    let ev = Event::new("credential.shares_changed")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("before", before)
        .detail("after", after);
    caller.record(&tx, [ev]).await?;
    let items = cstore::shares_of(&tx, caller.workspace_id, cred.id).await?;
    tx.commit().await?;
    Ok(items)
}

/// The requested shares as they are stored, or every problem with them: a type and level each,
/// a principal of this workspace (none for `workspace`), none listed twice.
async fn checked(
    tx: &impl GenericClient,
    ws: Uuid,
    inputs: &[RequestedShare<'_>],
) -> Result<Vec<NewShare>, ServiceError> {
    let mut f = Fields::default();
    let mut shares: Vec<NewShare> = Vec::new();
    for (i, s) in inputs.iter().enumerate() {
        let at = |field: &str| format!("shares[{i}].{field}");
        let kind = f.required(&at("principal_type"), s.principal_type, |k| match k {
            "user" | "team" | "workspace" => Ok(k.to_string()),
            _ => Err("must be user, team or workspace"),
        });
        let access = f.required(&at("access"), s.access, |a| match a {
            "use" | "view" | "manage" => Ok(a.to_string()),
            _ => Err("must be use, view or manage"),
        });
        let principal = match (kind.as_deref(), s.principal_id) {
            (Some("workspace"), None) => Some(None),
            (Some("workspace"), Some(_)) => {
                f.push(&at("principal_id"), "must be absent for a workspace share");
                None
            }
            (Some(k), Some(pid)) => match Uuid::parse_str(pid) {
                Ok(pid) if store::principal_exists(tx, ws, k, pid).await? => Some(Some(pid)),
                _ => {
                    f.push(
                        &at("principal_id"),
                        format!("is not a {k} of this workspace"),
                    );
                    None
                }
            },
            (Some(_), None) => {
                f.push(&at("principal_id"), "is required");
                None
            }
            (None, _) => None,
        };
        if let (Some(kind), Some(access), Some(principal_id)) = (kind, access, principal) {
            if shares
                .iter()
                .any(|x| x.principal_type == kind && x.principal_id == principal_id)
            {
                f.push(&at("principal_id"), "is listed twice");
                continue;
            }
            shares.push(NewShare {
                id: Uuid::now_v7(),
                principal_type: kind,
                principal_id,
                access,
            });
        }
    }
    f.check()?;
    Ok(shares)
}

/// Removes share `share_id` of credential `id`.
pub async fn remove(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    share_id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ServiceError> {
    authorize_sharing(services, caller, id).await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let cred = begin_change(caller, &tx, if_match, id).await?;
    let before = listed_shares(&tx, caller.workspace_id, id).await?;
    if !store::delete_share(&tx, caller.workspace_id, id, share_id).await? {
        return Err(ServiceError::NotFound("share"));
    }
    cstore::update(&tx, &cred).await?;
    let ev = Event::new("credential.shares_changed")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("removed_share_id", share_id.to_string())
        .detail("before", before)
        .detail("after", listed_shares(&tx, caller.workspace_id, id).await?);
    caller.record(&tx, [ev]).await?;
    tx.commit().await?;
    Ok(())
}
