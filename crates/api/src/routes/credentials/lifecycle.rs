//! Deleting, restoring, purging and transferring a credential.

use super::*;
use crate::openapi::rights::Doc;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;
use credvault_service::credentials::lifecycle;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Purge a soft-deleted credential at once (workspace owner/admin).
    pub purge: Option<bool>,
}

/// Soft-delete (restorable until `purge_after`), or with `purge=true` destroy a deleted one now.
#[utoipa::path(
    tag = "credentials", operation_id = "delete_credential", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::Manage).note("`purge=true` also needs the workspace role `owner` or `admin`, and a credential deleted first.").audits("records `credential.deleted`; a purge `credential.purged`"), summary = "Delete a credential", params(("id" = Uuid, Path, description = "Credential id"), DeleteQuery, ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(
        (status = 200, description = "Soft-deleted", body = Deleted),
        (status = 204, description = "Purged (with `purge=true`)"),
        (status = 409, description = "Purging needs a soft-deleted credential (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 410, description = "Already deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
        crate::error::responses::PreconditionFailed,
    )
)]
#[delete("/credentials/{id}")]
pub async fn delete_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    if_match: IfMatch,
    id: web::Path<Uuid>,
    query: web::Query<DeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    if query.purge == Some(true) {
        lifecycle::purge_now(&state, &caller, *id, if_match.as_deref()).await?;
        return Ok(HttpResponse::NoContent().finish());
    }
    let gone = lifecycle::delete(&state, &caller, *id, if_match.as_deref()).await?;
    Ok(HttpResponse::Ok().json(Deleted {
        id: gone.id,
        deleted_at: gone.deleted_at,
        purge_after: gone.purge_after,
        affected_workflows: (gone.affected.into_iter())
            .map(|(id, name, _)| AffectedWorkflow { id, name })
            .collect(),
    }))
}

/// Undo a delete, until `purge_after`.
#[utoipa::path(
    tag = "credentials", operation_id = "restore_credential", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::Manage).audits("records `credential.restored`"), summary = "Restore a deleted credential", params(("id" = Uuid, Path, description = "Credential id")),
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
    let view = lifecycle::restore(&state, &caller, *id).await?;
    Ok(presentation::respond(&view, StatusCode::OK)?.0)
}

/// Give a credential to another user of the workspace.
#[utoipa::path(
    tag = "credentials", operation_id = "transfer_credential", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::ChangeSharesOrTransfer).audits("records `credential.transferred`"), summary = "Transfer ownership", params(("id" = Uuid, Path, description = "Credential id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = TransferCredential,
    responses(
        (status = 200, description = "The credential with its new owner", body = Credential),
        crate::error::responses::Gone,
        crate::error::responses::PreconditionFailed,
    )
)]
#[post("/credentials/{id}/transfer")]
pub async fn transfer_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    if_match: IfMatch,
    id: web::Path<Uuid>,
    body: web::Json<TransferCredential>,
) -> Result<HttpResponse, ApiError> {
    let mut f = crate::routes::fields::Fields::default();
    let Some(owner_id) = f.required("owner_id", body.owner_id.as_deref(), Uuid::parse_str) else {
        return Err(f.into_error());
    };
    let (view, kept) =
        lifecycle::transfer(&state, &caller, *id, if_match.as_deref(), owner_id).await?;
    if kept {
        return Ok(presentation::respond(&view, StatusCode::OK)?.0);
    }
    // A member who gave their own credential away keeps no access: they get its summary, with
    // `access` "none", and no longer see it afterwards.
    let mut summary = presentation::body(&view).map_err(ApiError::internal)?;
    summary["access"] = Value::String("none".into());
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, svc::etag(&view.cred)))
        .json(summary))
}
