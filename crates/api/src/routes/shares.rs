//! Sharing a credential with a user, a team or the whole workspace.

use std::sync::Arc;

use actix_web::{delete, get, put, web, HttpResponse};
use credvault_domain::credential_access::CredentialAction;
use credvault_store::credentials as cstore;
use credvault_store::workflows::{self as store, NewShare};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::credential_dto::Share;
use super::fields::Fields;
use crate::audit::{self, Event};
use crate::auth::{need, Authorized};
use crate::credentials as svc;
use crate::error::ApiError;
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct ShareList {
    pub items: Vec<Share>,
}

#[derive(Deserialize, ToSchema)]
pub struct ShareInput {
    /// `user`, `team` or `workspace`.
    pub principal_type: Option<String>,
    /// The user or team; absent for `workspace`.
    pub principal_id: Option<String>,
    /// `use`, `view` or `manage`.
    pub access: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct ReplaceShares {
    pub shares: Option<Vec<ShareInput>>,
}

/// Who a credential is shared with.
#[utoipa::path(tag = "sharing", operation_id = "list_shares", summary = "List a credential's shares", params(("id" = Uuid, Path, description = "Credential id")), responses((status = 200, description = "Shares", body = ShareList)))]
#[get("/credentials/{id}/shares")]
pub async fn list_shares(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ShareList>, ApiError> {
    let (cred, _) =
        svc::authorize(&state, &caller, *id, CredentialAction::SeeConfiguration).await?;
    let client = state.pool.get().await?;
    let items = cstore::shares_of(&client, caller.workspace_id, cred.id)
        .await?
        .into_iter()
        .map(Share::from)
        .collect();
    Ok(web::Json(ShareList { items }))
}

/// Replace every share of a credential.
#[utoipa::path(
    tag = "sharing", operation_id = "replace_shares", summary = "Replace a credential's shares", params(("id" = Uuid, Path, description = "Credential id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = ReplaceShares,
    responses(
        (status = 200, description = "The new shares", body = ShareList),
        crate::error::responses::Gone,
        crate::error::responses::PreconditionFailed,
    )
)]
#[put("/credentials/{id}/shares")]
pub async fn replace_shares(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    if_match: crate::extract::IfMatch,
    id: web::Path<Uuid>,
    body: web::Json<ReplaceShares>,
) -> Result<web::Json<ShareList>, ApiError> {
    let mut f = Fields::default();
    let Some(inputs) = body.shares.as_ref() else {
        return Err(ApiError::field(
            "shares",
            "is required (an empty list removes every share)",
        ));
    };
    svc::require_write(&state, &caller, *id).await?;
    let (_, _) = svc::authorize(
        &state,
        &caller,
        *id,
        CredentialAction::ChangeSharesOrTransfer,
    )
    .await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let named = |kind: &str| -> Vec<Uuid> {
        inputs
            .iter()
            .filter(|s| s.principal_type.as_deref() == Some(kind))
            .filter_map(|s| {
                s.principal_id
                    .as_deref()
                    .and_then(|p| Uuid::parse_str(p).ok())
            })
            .collect()
    };
    // Principals before the credential: the order an erasure or a team deletion locks in.
    store::lock_principals(&tx, caller.workspace_id, &named("user"), &named("team")).await?;
    let mut cred = cstore::lock(&tx, caller.workspace_id, *id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    svc::refuse_if_deleted(&cred)?;
    svc::check_if_match(if_match.as_deref(), &cred)?;
    let mut shares: Vec<NewShare> = Vec::new();
    for (i, s) in inputs.iter().enumerate() {
        let at = |field: &str| format!("shares[{i}].{field}");
        let kind = f.required(
            &at("principal_type"),
            s.principal_type.as_deref(),
            |k| match k {
                "user" | "team" | "workspace" => Ok(k.to_string()),
                _ => Err("must be user, team or workspace"),
            },
        );
        let access = f.required(&at("access"), s.access.as_deref(), |a| match a {
            "use" | "view" | "manage" => Ok(a.to_string()),
            _ => Err("must be use, view or manage"),
        });
        let principal = match (kind.as_deref(), s.principal_id.as_deref()) {
            (Some("workspace"), None) => Some(None),
            (Some("workspace"), Some(_)) => {
                f.push(&at("principal_id"), "must be absent for a workspace share");
                None
            }
            (Some(k), Some(pid)) => match Uuid::parse_str(pid) {
                Ok(pid) if store::principal_exists(&tx, caller.workspace_id, k, pid).await? => {
                    Some(Some(pid))
                }
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
    if !f.is_empty() {
        return Err(f.into_error());
    }
    let before = crate::shares::listed_shares(&tx, caller.workspace_id, cred.id).await?;
    store::replace_shares(&tx, caller.workspace_id, cred.id, &shares, caller.user_id()).await?;
    cred.shared = !shares.is_empty();
    cstore::update(&tx, &cred).await?;
    let after = crate::shares::listed_shares(&tx, caller.workspace_id, cred.id).await?;
    let ev = Event::new("credential.shares_changed")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("before", before)
        .detail("after", after);
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    let items = cstore::shares_of(&tx, caller.workspace_id, cred.id)
        .await?
        .into_iter()
        .map(Share::from)
        .collect();
    tx.commit().await?;
    Ok(web::Json(ShareList { items }))
}

/// Remove one share.
#[utoipa::path(
    tag = "sharing", operation_id = "delete_share", summary = "Remove a share", params(("id" = Uuid, Path, description = "Credential id"), ("share_id" = Uuid, Path, description = "Share id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(
        (status = 204, description = "Removed"),
        crate::error::responses::Gone,
        crate::error::responses::PreconditionFailed,
    )
)]
#[delete("/credentials/{id}/shares/{share_id}")]
pub async fn delete_share(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    if_match: crate::extract::IfMatch,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, share_id) = path.into_inner();
    svc::require_write(&state, &caller, id).await?;
    let (_, _) = svc::authorize(
        &state,
        &caller,
        id,
        CredentialAction::ChangeSharesOrTransfer,
    )
    .await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let cred = cstore::lock(&tx, caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    svc::refuse_if_deleted(&cred)?;
    svc::check_if_match(if_match.as_deref(), &cred)?;
    let before = crate::shares::listed_shares(&tx, caller.workspace_id, id).await?;
    if !store::delete_share(&tx, caller.workspace_id, id, share_id).await? {
        return Err(ApiError::not_found("share"));
    }
    cstore::update(&tx, &cred).await?;
    let ev = Event::new("credential.shares_changed")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("removed_share_id", share_id.to_string())
        .detail("before", before)
        .detail(
            "after",
            crate::shares::listed_shares(&tx, caller.workspace_id, id).await?,
        );
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
