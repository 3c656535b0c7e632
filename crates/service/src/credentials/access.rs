//! Who may do what to a credential (through the one policy function in `domain`), the refusals
//! recorded as `credential.access_denied`, and the ETag a change must name.

use credvault_domain::credential_access::{
    decide, effective_access, Access, AccessFacts, CredentialAction, CredentialDecision,
};
use credvault_domain::identity::Role;
use credvault_store::credentials::{self as store, CredentialRow};
use credvault_store::identity::UserRow;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::audit::Event;
use crate::{Principal, ServiceError, Services};

/// A caller's effective access to a credential; `None` is no access at all.
pub async fn access_of(
    c: &impl GenericClient,
    caller: &Principal,
    cred: &CredentialRow,
) -> Result<Option<Access>, ServiceError> {
    Ok(facts_of(c, caller, cred)
        .await?
        .as_ref()
        .and_then(effective_access))
}

/// Engines (workspace service principals) see every credential's summary and nothing more.
async fn facts_of(
    c: &impl GenericClient,
    caller: &Principal,
    cred: &CredentialRow,
) -> Result<Option<AccessFacts>, ServiceError> {
    match &caller.user {
        None => Ok(None),
        Some(user) => user_facts(c, user, cred).await.map(Some),
    }
}

/// What decides a person's access to a credential: ownership, shares (direct, team, workspace)
/// and their role.
async fn user_facts(
    c: &impl GenericClient,
    user: &UserRow,
    cred: &CredentialRow,
) -> Result<AccessFacts, ServiceError> {
    let levels = store::share_levels(c, user.workspace_id, cred.id, user.id).await?;
    facts_from(user, cred, levels)
}

fn facts_from(
    user: &UserRow,
    cred: &CredentialRow,
    levels: Vec<String>,
) -> Result<AccessFacts, ServiceError> {
    let role: Role = user.role.parse().map_err(ServiceError::internal)?;
    Ok(AccessFacts {
        is_owner: cred.owner_id == user.id,
        share_levels: levels.iter().filter_map(|s| s.parse().ok()).collect(),
        role,
    })
}

/// Whether `user` (of the credential's workspace) may do `action` on `cred` now.
pub async fn user_may(
    c: &impl GenericClient,
    user: &UserRow,
    cred: &CredentialRow,
    action: CredentialAction,
) -> Result<bool, ServiceError> {
    let facts = user_facts(c, user, cred).await?;
    Ok(decide(&facts, action) == CredentialDecision::Allow)
}

fn action_name(a: CredentialAction) -> &'static str {
    match a {
        CredentialAction::SeeSummary => "see",
        CredentialAction::SeeConfiguration => "view",
        CredentialAction::Manage => "manage",
        CredentialAction::ChangeSharesOrTransfer => "share_or_transfer",
        CredentialAction::Resolve => "resolve",
    }
}

/// Records a refused attempt on a credential as `credential.access_denied` (its own transaction:
/// the refused change does not happen).
pub async fn record_denied(
    client: &deadpool_postgres::Client,
    caller: &Principal,
    cred: &CredentialRow,
    attempted: &str,
) -> Result<(), ServiceError> {
    let ev = Event::new("credential.access_denied")
        .target("credential", cred.id, Some(cred.name.clone()))
        .outcome("denied")
        .detail("attempted", attempted.to_string());
    caller.record(client, [ev]).await
}

/// Loads a credential the caller may do `action` on, with the caller's access. No access: 404;
/// too little: 403; both recorded as `credential.access_denied` (in their own transaction, as
/// the request's own change, if any, does not happen).
pub async fn authorize(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    action: CredentialAction,
) -> Result<(CredentialRow, Access), ServiceError> {
    let client = services.pool.get().await?;
    // The row and the caller's share levels, sent together.
    let (cred, levels) = tokio::try_join!(
        async {
            store::get(&client, caller.workspace_id, id)
                .await?
                .ok_or_else(|| ServiceError::NotFound("credential"))
        },
        async {
            Ok(match &caller.user {
                Some(u) => Some(store::share_levels(&client, caller.workspace_id, id, u.id).await?),
                None => None,
            })
        },
    )?;
    let facts = match (&caller.user, levels) {
        (Some(u), Some(levels)) => Some(facts_from(u, &cred, levels)?),
        _ => None,
    };
    let decision = match facts {
        Some(f) => (decide(&f, action), effective_access(&f)),
        None if action == CredentialAction::SeeSummary => {
            (CredentialDecision::Allow, Some(Access::Use))
        }
        None => (CredentialDecision::Forbidden, Some(Access::Use)),
    };
    match decision {
        (CredentialDecision::Allow, Some(access)) => Ok((cred, access)),
        (d, _) => {
            record_denied(&client, caller, &cred, action_name(action)).await?;
            Err(match d {
                CredentialDecision::Forbidden => ServiceError::Forbidden(
                    "your access to this credential does not allow this".into(),
                ),
                _ => ServiceError::NotFound("credential"),
            })
        }
    }
}

/// Changing a credential needs the workspace-level right to write credentials (role, and scope
/// for tokens) as well as `manage` on it. A caller without the first is refused like one without
/// the second: 403 when they can see the credential, 404 when not, and audited either way.
pub async fn require_write(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<(), ServiceError> {
    use credvault_domain::policy::{self, Action, Decision};
    let Decision::Deny(reason) = policy::authorize(&caller.policy, Action::WriteCredentials) else {
        return Ok(());
    };
    let client = services.pool.get().await?;
    let Some(cred) = store::get(&client, caller.workspace_id, id).await? else {
        return Err(ServiceError::NotFound("credential"));
    };
    let visible = caller.user.is_none() || access_of(&client, caller, &cred).await?.is_some();
    record_denied(&client, caller, &cred, "manage").await?;
    Err(if visible {
        ServiceError::Forbidden(reason.to_string())
    } else {
        ServiceError::NotFound("credential")
    })
}

/// A soft-deleted credential accepts reads and `restore` only.
pub fn refuse_if_deleted(cred: &CredentialRow) -> Result<(), ServiceError> {
    match cred.deleted_at {
        Some(_) => Err(ServiceError::Deleted(
            "the credential is deleted: restore it first".into(),
        )),
        None => Ok(()),
    }
}

pub fn etag(cred: &CredentialRow) -> String {
    format!("\"{}.{}\"", cred.id.simple(), cred.row_version)
}

/// `If-Match`, when sent, must name the current ETag (or be `*`).
pub fn check_if_match(if_match: Option<&str>, cred: &CredentialRow) -> Result<(), ServiceError> {
    let Some(v) = if_match else {
        return Ok(());
    };
    let current = etag(cred);
    let matches = v
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == current || t.strip_prefix("W/") == Some(current.as_str()));
    if matches {
        Ok(())
    } else {
        Err(ServiceError::PreconditionFailed("the credential changed since you read it: fetch it again (If-Match did not match the ETag)".into()))
    }
}
