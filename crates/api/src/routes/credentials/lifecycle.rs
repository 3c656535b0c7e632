//! Deleting, restoring, purging and transferring a credential.

use super::*;

#[derive(Deserialize, IntoParams)]
pub struct DeleteQuery {
    /// Purge a soft-deleted credential at once (workspace owner/admin).
    pub purge: Option<bool>,
}

/// Soft-delete (restorable until `purge_after`), or with `purge=true` destroy a deleted one now.
#[utoipa::path(
    tag = "credentials", operation_id = "delete_credential", summary = "Delete a credential", params(("id" = Uuid, Path, description = "Credential id"), DeleteQuery, ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(
        (status = 200, description = "Soft-deleted", body = Deleted),
        (status = 204, description = "Purged (with `purge=true`)"),
        (status = 409, description = "Purging needs a soft-deleted credential (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 410, description = "Already deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag does not match (`precondition_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/credentials/{id}")]
pub async fn delete_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<DeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    if query.purge == Some(true) {
        return purge_now(&state, &caller, &req, *id).await;
    }
    let access = authorize_change(&state, &caller, *id, CredentialAction::Manage).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let (mut cred, _) = begin_change(&caller, &tx, &req, *id, access).await?;
    let now = Utc::now();
    let purge_after = now + TimeDelta::days(i64::from(state.services.settings.recovery_days));
    cred.deleted_at = Some(now);
    cred.purge_after = Some(purge_after);
    store::update(&tx, &cred).await?;
    let affected = svc::connected_workflows(&tx, &cred).await?;
    let ev = Event::new("credential.deleted")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("purge_after", purge_after.to_rfc3339())
        .detail(
            "affected_workflows",
            affected.iter().map(|w| w.id.clone()).collect::<Vec<_>>(),
        );
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(Deleted {
        id: cred.id,
        deleted_at: now,
        purge_after,
        affected_workflows: affected
            .into_iter()
            .map(|w| AffectedWorkflow {
                id: w.id,
                name: w.name,
            })
            .collect(),
    }))
}

async fn purge_now(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    id: Uuid,
) -> Result<HttpResponse, ApiError> {
    svc::require_write(state, caller, id).await?;
    let (seen, _) = svc::authorize(state, caller, id, CredentialAction::Manage).await?;
    if !matches!(caller.role(), Some(Role::Owner | Role::Admin)) {
        svc::record_denied(&state.pool.get().await?, caller, &seen, "purge").await?;
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only workspace owners and admins purge credentials",
        ));
    }
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let cred = store::lock(&tx, caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    svc::check_if_match(req.headers(), &cred)?;
    if cred.deleted_at.is_none() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "delete the credential first; purge=true destroys a deleted credential",
        ));
    }
    let ev = svc::purge(&tx, caller.workspace_id, id, &cred.name)
        .await?
        .detail("reason", "purged on request");
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Undo a delete, until `purge_after`.
#[utoipa::path(
    tag = "credentials", operation_id = "restore_credential", summary = "Restore a deleted credential", params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The credential, active again", body = Credential),
        (status = 409, description = "The credential is not deleted (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/restore")]
pub async fn restore_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    svc::require_write(&state, &caller, *id).await?;
    let (_, access) = svc::authorize(&state, &caller, *id, CredentialAction::Manage).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let mut cred = store::lock(&tx, caller.workspace_id, *id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    if cred.deleted_at.is_none() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the credential is not deleted",
        ));
    }
    if cred.purge_after.is_some_and(|p| p <= Utc::now()) {
        return Err(ApiError::new(
            ErrorCode::CredentialDeleted,
            "the recovery window has passed: the credential is being purged",
        ));
    }
    cred.deleted_at = None;
    cred.purge_after = None;
    store::update(&tx, &cred).await?;
    audit::record(
        &tx,
        caller.workspace_id,
        &caller.actor,
        &caller.origin,
        Event::new("credential.restored").target("credential", cred.id, Some(cred.name.clone())),
    )
    .await?;
    let cred = store::get(&tx, caller.workspace_id, cred.id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    let (res, _) = svc::respond(&state, &tx, &cred, access, StatusCode::OK).await?;
    tx.commit().await?;
    Ok(res)
}

/// Give a credential to another user of the workspace.
#[utoipa::path(
    tag = "credentials", operation_id = "transfer_credential", summary = "Transfer ownership", params(("id" = Uuid, Path, description = "Credential id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = TransferCredential,
    responses(
        (status = 200, description = "The credential with its new owner", body = Credential),
        (status = 410, description = "The credential is deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag does not match (`precondition_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/transfer")]
pub async fn transfer_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<TransferCredential>,
) -> Result<HttpResponse, ApiError> {
    let mut f = Fields::default();
    let Some(owner_id) = f.required("owner_id", body.owner_id.as_deref(), Uuid::parse_str) else {
        return Err(f.into_error());
    };
    let access = authorize_change(
        &state,
        &caller,
        *id,
        CredentialAction::ChangeSharesOrTransfer,
    )
    .await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    // The new owner before the credential: the order their erasure locks in.
    let new_owner =
        credvault_store::identity::user_for_reference(&tx, caller.workspace_id, owner_id).await?;
    let (mut cred, _) = begin_change(&caller, &tx, &req, *id, access).await?;
    let new_owner = new_owner
        .filter(|u| !u.disabled)
        .ok_or_else(|| ApiError::field("owner_id", "is not an enabled user of this workspace"))?;
    let from = cred.owner_id;
    cred.owner_id = new_owner.id;
    store::update(&tx, &cred).await?;
    let ev = Event::new("credential.transferred")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("from_owner_id", from.to_string())
        .detail("to_owner_id", new_owner.id.to_string());
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    let cred = store::get(&tx, caller.workspace_id, cred.id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    let res = match svc::access_of(&tx, &caller, &cred).await? {
        Some(access) => {
            svc::respond(&state, &tx, &cred, access, StatusCode::OK)
                .await?
                .0
        }
        // A member who gave their own credential away keeps no access: they get its summary,
        // with `access` "none", and no longer see it afterwards.
        None => {
            let mut summary = serde_json::to_value(svc::summary(&cred, Access::Use))
                .map_err(ApiError::internal)?;
            summary["access"] = Value::String("none".into());
            HttpResponse::Ok()
                .insert_header((header::ETAG, svc::etag(&cred)))
                .json(summary)
        }
    };
    tx.commit().await?;
    Ok(res)
}
