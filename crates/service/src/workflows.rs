//! Workflows, registered by engines with the credentials they declare, and how often a
//! credential was resolved by them. A workflow resolves with its owner's access: a person
//! registers and changes only their own (and deletes only their own unless a workspace owner or
//! admin); an engine token does so for anyone.

use chrono::{DateTime, NaiveDate, Utc};
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::identity::Role;
use credvault_domain::validate::Name;
use credvault_store::workflows::{self as store, WorkflowRow};
use uuid::Uuid;

use crate::audit::Event;
use crate::credentials::authorize;
use crate::fields::Fields;
use crate::page::Page;
use crate::{Principal, ServiceError, Services};

/// A workflow as an engine declares it, its fields checked for form.
pub struct Registration {
    /// The engine's own id.
    pub id: String,
    pub name: Name,
    pub owner_id: Uuid,
    pub credential_ids: Vec<Uuid>,
}

/// Registers a workflow or updates it; the workflow as stored, and whether it is new.
pub async fn register(
    services: &Services,
    caller: &Principal,
    workflow: Registration,
) -> Result<(WorkflowRow, bool), ServiceError> {
    let Registration {
        id,
        name,
        owner_id: owner,
        credential_ids: mut creds,
    } = workflow;
    // A workflow resolves with its owner's access, so a person, whatever their role, registers
    // workflows only for themselves; only an engine token registers them for others.
    if let Some(me) = caller.user_id() {
        if owner != me {
            return Err(ServiceError::Forbidden(
                "you can register workflows only for yourself (owner_id must be your id); an engine token registers them for others".into(),
            ));
        }
    }
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    // Nor may a person change someone else's workflow (its credentials would be resolved with
    // that person's access).
    if let (Some(me), Some(existing)) = (
        caller.user_id(),
        store::get(&tx, caller.workspace_id, &id).await?,
    ) {
        if existing.owner_id != me {
            return Err(ServiceError::Forbidden(
                "this workflow belongs to someone else: only its owner or an engine token changes it".into(),
            ));
        }
    }
    let mut f = Fields::default();
    let owner_row =
        credvault_store::identity::user_for_reference(&tx, caller.workspace_id, owner).await?;
    if owner_row.is_none() {
        f.push("owner_id", "is not a user of this workspace");
    }
    let existing = store::existing_credentials(&tx, caller.workspace_id, &id, &creds).await?;
    for (i, c) in creds.iter().enumerate() {
        if !existing.contains(c) {
            f.push(
                &format!("credential_ids[{i}]"),
                "is not a credential of this workspace",
            );
        }
    }
    f.check()?;
    creds.sort();
    creds.dedup();
    let created =
        store::upsert(&tx, caller.workspace_id, &id, name.as_str(), owner, &creds).await?;
    let ev = Event::new("workflow.upserted")
        .target("workflow", &id, Some(name.as_str().to_string()))
        .detail("owner_id", owner.to_string())
        .detail("created", created)
        .detail(
            "credential_ids",
            creds.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        );
    caller.record(&tx, [ev]).await?;
    let wf = store::get(&tx, caller.workspace_id, &id)
        .await?
        .ok_or(ServiceError::NotFound("workflow"))?;
    tx.commit().await?;
    Ok((wf, created))
}

/// The workspace's workflows by id, `limit` at a time after the cursor (a workflow id).
pub async fn list(
    services: &Services,
    caller: &Principal,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<WorkflowRow>, ServiceError> {
    let client = services.pool.get().await?;
    let rows = store::list(&client, caller.workspace_id, cursor, limit + 1).await?;
    Ok(Page::of(rows, limit, |w| w.id.clone()))
}

/// One workflow.
pub async fn get(
    services: &Services,
    caller: &Principal,
    id: &str,
) -> Result<WorkflowRow, ServiceError> {
    let client = services.pool.get().await?;
    store::get(&client, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("workflow"))
}

/// Removes a workflow: its owner, a workspace owner or admin, or an engine token.
pub async fn delete(services: &Services, caller: &Principal, id: &str) -> Result<(), ServiceError> {
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let wf = store::get(&tx, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("workflow"))?;
    if let Some(me) = caller.user_id() {
        if wf.owner_id != me && !matches!(caller.role(), Some(Role::Owner | Role::Admin)) {
            return Err(ServiceError::Forbidden(
                "you can delete only workflows you own".into(),
            ));
        }
    }
    // Gone already (another request deleted it since it was read): nothing to record.
    let name = store::delete(&tx, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("workflow"))?;
    caller
        .record(
            &tx,
            [Event::new("workflow.deleted").target("workflow", id, Some(name))],
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// How often a credential was resolved in the last `days` days.
pub struct Usage {
    /// Resolves per day (days without any left out).
    pub by_day: Vec<(NaiveDate, i64)>,
    /// Per workflow: its id, name, resolves and last use.
    pub by_workflow: Vec<(String, String, i64, DateTime<Utc>)>,
}

/// Credential `id`'s usage over the last `days` days (for those who may see its configuration).
pub async fn usage(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    days: i32,
) -> Result<Usage, ServiceError> {
    let (cred, _) = authorize(services, caller, id, CredentialAction::SeeConfiguration).await?;
    let client = services.pool.get().await?;
    let (by_day, by_workflow) = store::usage(&client, caller.workspace_id, cred.id, days).await?;
    Ok(Usage {
        by_day,
        by_workflow,
    })
}
