//! Erasing a user (GDPR): what they own handed over or destroyed, their shares, sessions and
//! tokens gone, and their personal data in audit events replaced by a pseudonym.

use credvault_domain::identity::Role;
use credvault_store::identity::{self as store};
use uuid::Uuid;

use crate::audit::{self, Event};
use crate::error::ServiceError;
use crate::principal::Principal;
use crate::services::Services;

/// Erases user `id`: their credentials and workflows go to `transfer_to`, or without it are
/// destroyed (keys shredded) and deleted; their sessions and tokens go; personal data in audit
/// events is replaced by a pseudonym (the chain still verifies).
pub async fn erase(
    services: &Services,
    principal: &Principal,
    id: Uuid,
    transfer_to: Option<Uuid>,
) -> Result<(), ServiceError> {
    let ws = principal.workspace_id;
    if transfer_to == Some(id) {
        return Err(ServiceError::field("transfer_to", "must be another user"));
    }
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let owners = store::lock_active_owners(&tx, ws).await?;
    let user = store::lock_user(&tx, ws, id)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    if user.role == "owner" && principal.role() != Some(Role::Owner) {
        return Err(ServiceError::Forbidden(
            "only an owner can erase an owner".into(),
        ));
    }
    if user.role == "owner" && !user.disabled && owners <= 1 {
        return Err(ServiceError::Conflict(
            "this is the workspace's last owner: make someone else owner first".into(),
        ));
    }
    if let Some(to) = transfer_to {
        store::user_by_id(&tx, ws, to)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| {
                ServiceError::field("transfer_to", "is not an enabled user of this workspace")
            })?;
    }
    // Credentials first (all of them, in key order: those they own and those shared with them),
    // then workflows, chain head last: the order every writer uses, so an erasure never
    // deadlocks with resolves being recorded.
    store::lock_credentials_of(&tx, ws, user.id).await?;
    let owned = store::owned_credentials(&tx, ws, user.id).await?;
    let shares =
        crate::shares::take_away_shares_to(&tx, ws, "user", user.id, "user erased").await?;
    // A workflow's owner is whose access its resolves use, so a workflow given to someone else
    // is recorded as `workflow.upserted` with its new owner, as a PUT that changes the owner is.
    let handed: Vec<Event> = match transfer_to {
        Some(to) => {
            let workflows = store::transfer_owned(&tx, ws, user.id, to).await?;
            let credentials = owned.iter().map(|(cid, name)| {
                Event::new("credential.transferred")
                    .target("credential", cid, Some(name.clone()))
                    .detail("to_owner_id", to.to_string())
            });
            let workflows = workflows.into_iter().map(|(wid, name)| {
                Event::new("workflow.upserted")
                    .target("workflow", wid, Some(name))
                    .detail("owner_id", to.to_string())
                    .detail("created", false)
            });
            credentials.chain(workflows).collect()
        }
        None => {
            let mut credentials = Vec::with_capacity(owned.len());
            for (cid, name) in &owned {
                credentials.push(crate::credentials::purge(&tx, ws, *cid, name).await?);
            }
            let workflows = store::delete_workflows_of(&tx, ws, user.id).await?;
            let workflows = workflows.into_iter().map(|(wid, name)| {
                Event::new("workflow.deleted").target("workflow", wid, Some(name))
            });
            credentials.into_iter().chain(workflows).collect()
        }
    };
    // The engine tokens they made stop with them (their personal tokens go with the user row).
    let engines = store::revoke_engine_tokens_of_creator(&tx, ws, user.id)
        .await?
        .into_iter()
        .map(|(tid, name)| {
            Event::new("token.revoked")
                .target("token", tid, Some(name))
                .detail("kind", "engine")
                .detail("reason", "creator erased")
        });
    let events = handed
        .into_iter()
        .map(|ev| ev.detail("reason", "owner erased"))
        .chain(shares)
        .chain(engines);
    principal.record(&tx, events).await?;
    let mut actor_ids = store::token_ids_of(&tx, ws, user.id).await?;
    actor_ids.push(user.id);
    let pseudonym = format!("erased user {}", &Uuid::now_v7().simple().to_string()[20..]);
    let pseudonym_of_actor = pseudonym.clone();
    store::delete_user(&tx, ws, user.id, &user.email).await?;
    store::pseudonymise_audit(&tx, ws, user.id, &actor_ids, &pseudonym).await?;
    let ev = Event::new("user.erased")
        .target("user", user.id, Some(pseudonym))
        .detail(
            "credentials_transferred",
            if transfer_to.is_some() {
                owned.len()
            } else {
                0
            },
        )
        .detail(
            "credentials_destroyed",
            if transfer_to.is_none() {
                owned.len()
            } else {
                0
            },
        );
    let ev = match transfer_to {
        Some(to) => ev.detail("transfer_to", to.to_string()),
        None => ev,
    };
    // Someone erasing themselves is the erased person: their own event carries no personal data.
    let (actor, origin) = if principal.user_id() == Some(user.id) {
        let mut a = principal.actor.clone();
        a.display = Some(pseudonym_of_actor.clone());
        (
            a,
            audit::Origin {
                ip: None,
                user_agent: None,
                request_id: principal.origin.request_id.clone(),
            },
        )
    } else {
        (principal.actor.clone(), principal.origin.clone())
    };
    audit::record(&tx, ws, &actor, &origin, ev).await?;
    tx.commit().await?;
    Ok(())
}
