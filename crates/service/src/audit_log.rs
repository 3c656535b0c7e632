//! Reading the audit log: a page of the workspace's events or of a credential's history, every
//! matching event for an export, and the verification of the hash chain.

use credvault_domain::credential_access::CredentialAction;
use credvault_store::audit::{self as store, AuditFilter, StoredEvent};
use uuid::Uuid;

use crate::audit::Verification;
use crate::credentials::authorize;
use crate::page::{self, Page};
use crate::{Principal, ServiceError, Services};

/// Events per page of an export.
const EXPORT_PAGE: i64 = 1000;

/// Which events, as asked.
pub struct EventQuery {
    /// A user, token or engine id (a user's id also matches their personal tokens' events).
    pub actor_id: Option<Uuid>,
    /// Every other filter (its actors are found from `actor_id`).
    pub filter: AuditFilter,
    /// For a page: 1..200, default 50.
    pub limit: Option<i64>,
    /// For a page: the seq of the last event of the page before.
    pub cursor: Option<String>,
}

/// The filter as the store reads it: its outcome checked, its actor a user with every personal
/// token of theirs.
async fn filter_of(
    services: &Services,
    caller: &Principal,
    q: &EventQuery,
) -> Result<AuditFilter, ServiceError> {
    if let Some(o) = &q.filter.outcome {
        if !["success", "denied", "failure"].contains(&o.as_str()) {
            return Err(ServiceError::invalid(
                "outcome must be success, denied or failure",
            ));
        }
    }
    // Refused here, not by the database: an export's answer has begun by the time it reads.
    if q.filter.action.as_deref().is_some_and(|a| a.contains('\0')) {
        return Err(ServiceError::field(
            "action",
            "must not contain a NUL character",
        ));
    }
    let mut f = q.filter.clone();
    f.actor_ids = match q.actor_id {
        None => None,
        Some(id) => {
            let client = services.pool.get().await?;
            let mut ids =
                credvault_store::identity::token_ids_of(&client, caller.workspace_id, id).await?;
            ids.push(id);
            Some(ids)
        }
    };
    Ok(f)
}

/// A page of the events `f` matches, newest first.
async fn page(
    services: &Services,
    caller: &Principal,
    f: &AuditFilter,
    q: &EventQuery,
) -> Result<Page<StoredEvent>, ServiceError> {
    let limit = page::limit(q.limit)?;
    let cursor = match &q.cursor {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| ServiceError::invalid("cursor is not one this list gave out"))?,
        ),
    };
    services.chain.settle(caller.workspace_id).await;
    let client = services.pool.get().await?;
    let rows = store::list(&client, caller.workspace_id, f, true, cursor, limit + 1).await?;
    Ok(Page::of(rows, limit, |e| e.seq.to_string()))
}

/// A page of the workspace's events, newest first.
pub async fn list(
    services: &Services,
    caller: &Principal,
    q: EventQuery,
) -> Result<Page<StoredEvent>, ServiceError> {
    let f = filter_of(services, caller, &q).await?;
    page(services, caller, &f, &q).await
}

/// A page of credential `id`'s history, newest first (for those who may see its configuration).
pub async fn credential_history(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    q: EventQuery,
) -> Result<Page<StoredEvent>, ServiceError> {
    let (cred, _) = authorize(services, caller, id, CredentialAction::SeeConfiguration).await?;
    let mut f = filter_of(services, caller, &q).await?;
    f.credential_id = Some(cred.id);
    page(services, caller, &f, &q).await
}

/// Every event an export matches, read a page at a time (its size and cursor are not asked).
#[derive(Clone)]
pub struct Export {
    workspace_id: Uuid,
    filter: AuditFilter,
}

impl Export {
    /// What the export selects, as a text that is the same for the same filter.
    pub fn key(&self) -> String {
        format!("{:?}", self.filter)
    }

    /// The next page of events after `after` (a seq), oldest first; empty at the end.
    pub async fn page(
        &self,
        services: &Services,
        after: i64,
    ) -> Result<Vec<StoredEvent>, ServiceError> {
        let client = services.pool.get().await?;
        Ok(store::list(
            &client,
            self.workspace_id,
            &self.filter,
            false,
            Some(after),
            EXPORT_PAGE,
        )
        .await?)
    }
}

/// The events to export, their filter checked.
pub async fn export(
    services: &Services,
    caller: &Principal,
    q: EventQuery,
) -> Result<Export, ServiceError> {
    let filter = filter_of(services, caller, &q).await?;
    services.chain.settle(caller.workspace_id).await;
    Ok(Export {
        workspace_id: caller.workspace_id,
        filter,
    })
}

/// The workspace's hash chain, recomputed.
pub async fn verify(services: &Services, caller: &Principal) -> Result<Verification, ServiceError> {
    services.chain.settle(caller.workspace_id).await;
    let client = services.pool.get().await?;
    crate::audit::verify(&client, &services.chain_keys, caller.workspace_id).await
}
