//! A credential's life: soft-delete (restorable until `purge_after`), purge on request, restore,
//! and transfer to another owner.

use chrono::{DateTime, TimeDelta, Utc};
use credvault_domain::credential_access::{Access, CredentialAction};
use credvault_domain::identity::Role;
use credvault_store::credentials as store;
use uuid::Uuid;

use super::change::{authorize_change, begin_change};
use super::{
    access_of, authorize, check_if_match, connected_workflows, purge, record_denied, require_write,
    view, ConnectedWorkflow, CredentialView,
};
use crate::audit::Event;
use crate::{Principal, ServiceError, Services};

/// A soft delete: when, until when it can be undone, and the workflows it affects.
pub struct Deletion {
    pub id: Uuid,
    pub deleted_at: DateTime<Utc>,
    pub purge_after: DateTime<Utc>,
    pub affected: Vec<ConnectedWorkflow>,
}

/// Soft-deletes credential `id`.
pub async fn delete(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<Deletion, ServiceError> {
    authorize_change(services, caller, id, CredentialAction::Manage).await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let mut cred = begin_change(caller, &tx, if_match, id).await?;
    let now = Utc::now();
    let purge_after = now + TimeDelta::days(i64::from(services.settings.recovery_days));
    cred.deleted_at = Some(now);
    cred.purge_after = Some(purge_after);
    store::update(&tx, &cred).await?;
    let affected = connected_workflows(&tx, &cred).await?;
    let ev = Event::new("credential.deleted")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("purge_after", purge_after.to_rfc3339())
        .detail(
            "affected_workflows",
            affected.iter().map(|w| w.0.clone()).collect::<Vec<_>>(),
        );
    caller.record(&tx, [ev]).await?;
    tx.commit().await?;
    Ok(Deletion {
        id: cred.id,
        deleted_at: now,
        purge_after,
        affected,
    })
}

/// Destroys a soft-deleted credential now (workspace owners and admins).
pub async fn purge_now(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    if_match: Option<&str>,
) -> Result<(), ServiceError> {
    require_write(services, caller, id).await?;
    let (seen, _) = authorize(services, caller, id, CredentialAction::Manage).await?;
    if !matches!(caller.role(), Some(Role::Owner | Role::Admin)) {
        record_denied(&services.pool.get().await?, caller, &seen, "purge").await?;
        return Err(ServiceError::Forbidden(
            "only workspace owners and admins purge credentials".into(),
        ));
    }
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let cred = store::lock(&tx, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("credential"))?;
    check_if_match(if_match, &cred)?;
    if cred.deleted_at.is_none() {
        return Err(ServiceError::Conflict(
            "delete the credential first; purge=true destroys a deleted credential".into(),
        ));
    }
    let ev = purge(&tx, caller.workspace_id, id, &cred.name)
        .await?
        .detail("reason", "purged on request");
    caller.record(&tx, [ev]).await?;
    tx.commit().await?;
    Ok(())
}

/// Undoes a delete, until `purge_after`.
pub async fn restore(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<CredentialView, ServiceError> {
    require_write(services, caller, id).await?;
    let (_, access) = authorize(services, caller, id, CredentialAction::Manage).await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let mut cred = store::lock(&tx, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("credential"))?;
    if cred.deleted_at.is_none() {
        return Err(ServiceError::Conflict(
            "the credential is not deleted".into(),
        ));
    }
    if cred.purge_after.is_some_and(|p| p <= Utc::now()) {
        return Err(ServiceError::Deleted(
            "the recovery window has passed: the credential is being purged".into(),
        ));
    }
    cred.deleted_at = None;
    cred.purge_after = None;
    store::update(&tx, &cred).await?;
    let ev =
        Event::new("credential.restored").target("credential", cred.id, Some(cred.name.clone()));
    caller.record(&tx, [ev]).await?;
    let cred = store::get(&tx, caller.workspace_id, cred.id)
        .await?
        .ok_or(ServiceError::NotFound("credential"))?;
    let v = view(services, &tx, cred, access).await?;
    tx.commit().await?;
    Ok(v)
}

/// Gives credential `id` to another enabled user of the workspace. The view is the caller's
/// afterwards: `None` access when they gave their own credential away and keep no share.
pub async fn transfer(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    if_match: Option<&str>,
    owner_id: Uuid,
) -> Result<(CredentialView, bool), ServiceError> {
    authorize_change(
        services,
        caller,
        id,
        CredentialAction::ChangeSharesOrTransfer,
    )
    .await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    // The new owner before the credential: the order their erasure locks in.
    let new_owner =
        credvault_store::identity::user_for_reference(&tx, caller.workspace_id, owner_id).await?;
    let mut cred = begin_change(caller, &tx, if_match, id).await?;
    let new_owner = new_owner.filter(|u| !u.disabled).ok_or_else(|| {
        ServiceError::field("owner_id", "is not an enabled user of this workspace")
    })?;
    let from = cred.owner_id;
    cred.owner_id = new_owner.id;
    store::update(&tx, &cred).await?;
    let ev = Event::new("credential.transferred")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("from_owner_id", from.to_string())
        .detail("to_owner_id", new_owner.id.to_string());
    caller.record(&tx, [ev]).await?;
    let cred = store::get(&tx, caller.workspace_id, cred.id)
        .await?
        .ok_or(ServiceError::NotFound("credential"))?;
    let answer = match access_of(&tx, caller, &cred).await? {
        Some(access) => (view(services, &tx, cred, access).await?, true),
        // A member who gave their own credential away keeps no access: they get its summary,
        // with `access` "none", and no longer see it afterwards.
        None => (view(services, &tx, cred, Access::Use).await?, false),
    };
    tx.commit().await?;
    Ok(answer)
}
