//! A credential's versions: rotate, list, restore one.

use super::*;
use crate::openapi::rights::Doc;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;
use credvault_service::credentials::change;

/// Rotate: the new secret values become a new current version.
#[utoipa::path(
    tag = "credentials", operation_id = "rotate_credential", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::Manage).audits("records `credential.rotated`"), summary = "Rotate a credential's secret", params(("id" = Uuid, Path, description = "Credential id"), ("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body within 24 h get the first answer")),
    request_body = RotateCredential,
    responses(
        (status = 200, description = "The credential at its new version", body = Credential),
        crate::error::responses::Gone,
        crate::error::responses::PreconditionFailed,
        (status = 422, description = "Invalid data, a reused Idempotency-Key, or a destination moved to another origin without the secret that goes there (`validation_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/rotate")]
pub async fn rotate_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    if_match: IfMatch,
    key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.into_inner();
    let data = input::rotation(&raw)?;
    let endpoint = format!("POST /v1/credentials/{}/rotate", *id);
    let idem = idempotent(&key, &endpoint, &raw);
    let im = if_match.as_deref();
    match change::rotate(&state, &caller, *id, im, &data, idem, stored).await? {
        Answer::Replay(first) => replay(first),
        Answer::Done(view) => Ok(presentation::respond(&view, StatusCode::OK)?.0),
    }
}

/// The versions of a credential, newest first.
#[utoipa::path(tag = "credentials", operation_id = "list_credential_versions", description = Doc::of(Action::ReadCredentials).on_credential(CredentialAction::SeeConfiguration).reads(), summary = "List a credential's versions", params(("id" = Uuid, Path, description = "Credential id")), responses((status = 200, description = "Versions", body = VersionList)))]
#[get("/credentials/{id}/versions")]
pub async fn list_versions(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
) -> Result<web::Json<VersionList>, ApiError> {
    let (cred, versions) = change::versions(&state, &caller, *id).await?;
    let items = versions
        .into_iter()
        .map(|v| VersionInfo {
            current: v.version == cred.current_version,
            version: v.version,
            created_at: v.created_at,
            created_by: v.created_by,
            reason: v.reason,
        })
        .collect();
    Ok(web::Json(VersionList { items }))
}

/// Make a copy of an earlier version the new current version.
#[utoipa::path(
    tag = "credentials", operation_id = "restore_credential_version", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::Manage).audits("records `credential.version_restored`"), summary = "Restore a version", params(("id" = Uuid, Path, description = "Credential id"), ("version" = i32, Path, description = "Version to restore"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(
        (status = 200, description = "The credential at its new version", body = Credential),
        crate::error::responses::Gone,
        crate::error::responses::PreconditionFailed,
        (status = 422, description = "A destination is no longer where that version's secrets were set for (`validation_failed`): move it back first, or rotate", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/versions/{version}/restore")]
pub async fn restore_version(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    if_match: IfMatch,
    path: web::Path<(Uuid, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let view = change::restore_version(&state, &caller, id, version, if_match.as_deref()).await?;
    Ok(presentation::respond(&view, StatusCode::OK)?.0)
}
