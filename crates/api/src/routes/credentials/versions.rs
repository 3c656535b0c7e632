//! A credential's versions: rotate, list, restore one.

use super::*;

/// Rotate: the new secret values become a new current version.
#[utoipa::path(
    tag = "credentials", operation_id = "rotate_credential", summary = "Rotate a credential's secret", params(("id" = Uuid, Path, description = "Credential id"), ("If-Match" = Option<String>, Header, description = "The ETag you read"), ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body within 24 h get the first answer")),
    request_body = RotateCredential,
    responses(
        (status = 200, description = "The credential at its new version", body = Credential),
        (status = 410, description = "The credential is deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag does not match (`precondition_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid data, a reused Idempotency-Key, or a destination moved to another origin without the secret that goes there (`validation_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/rotate")]
pub async fn rotate_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.into_inner();
    let input: RotateCredential = crate::routes::parse_body(&raw)?;
    let Some(data) = input.data else {
        return Err(ApiError::field(
            "data",
            "is required: the new secret values",
        ));
    };
    let key = svc::idempotency_key(req.headers())?;
    let endpoint = format!("POST /v1/credentials/{}/rotate", *id);
    let access = authorize_change(&state, &caller, *id, CredentialAction::Manage).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    if let Some(k) = &key {
        if let Claim::Replay(res) = svc::claim(&tx, &caller, &endpoint, k, &raw).await? {
            return Ok(res);
        }
    }
    let (mut cred, access) = begin_change(&caller, &tx, &req, *id, access).await?;
    let kind = svc::parse_type(&cred.kind)?;
    let (current, bound) = svc::current_data_bound(&state, &tx, &cred).await?;
    let (mut merged, _) = rules::merge_update(kind, &current, &data, None).map_err(field_errors)?;
    let sent = data.as_object().cloned().unwrap_or_default();
    let next = svc::destinations_of(&cred, &merged);
    let moved = destinations::check_change(kind, &bound, &next, &sent).map_err(field_errors)?;
    destinations::drop_unsent_tokens(kind, &moved, &sent, &mut merged);
    let v = cred.current_version + 1;
    svc::store_version(&state, &tx, &cred, v, &merged, "rotated", caller.user_id()).await?;
    cred.current_version = v;
    cred.config = Value::Object(merged.config.clone());
    cred.rotated_at = Some(Utc::now());
    if cred.status == "expired" || cred.status == "error" {
        cred.status = "active".into();
        cred.status_detail = None;
    }
    store::update(&tx, &cred).await?;
    let ev = Event::new("credential.rotated")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("version", v);
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    let cred = store::get(&tx, caller.workspace_id, cred.id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    let (res, body) = svc::respond(&state, &tx, &cred, access, StatusCode::OK).await?;
    if let Some(k) = &key {
        svc::remember(
            &tx,
            &caller,
            &endpoint,
            k,
            200,
            &body,
            json!({"ETag": svc::etag(&cred)}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(res)
}

/// The versions of a credential, newest first.
#[utoipa::path(tag = "credentials", operation_id = "list_credential_versions", summary = "List a credential's versions", params(("id" = Uuid, Path, description = "Credential id")), responses((status = 200, description = "Versions", body = VersionList)))]
#[get("/credentials/{id}/versions")]
pub async fn list_versions(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
) -> Result<web::Json<VersionList>, ApiError> {
    let (cred, _) =
        svc::authorize(&state, &caller, *id, CredentialAction::SeeConfiguration).await?;
    let client = state.pool.get().await?;
    let items = store::versions(&client, caller.workspace_id, cred.id)
        .await?
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
    tag = "credentials", operation_id = "restore_credential_version", summary = "Restore a version", params(("id" = Uuid, Path, description = "Credential id"), ("version" = i32, Path, description = "Version to restore"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(
        (status = 200, description = "The credential at its new version", body = Credential),
        (status = 410, description = "The credential is deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag does not match (`precondition_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A destination is no longer where that version's secrets were set for (`validation_failed`): move it back first, or rotate", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/versions/{version}/restore")]
pub async fn restore_version(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    req: HttpRequest,
    path: web::Path<(Uuid, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let access = authorize_change(&state, &caller, id, CredentialAction::Manage).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let (mut cred, access) = begin_change(&caller, &tx, &req, id, access).await?;
    let old = store::version(&tx, caller.workspace_id, id, version)
        .await?
        .ok_or_else(|| ApiError::not_found("version"))?;
    let secrets = svc::open(&state, caller.workspace_id, id, &old)?;
    let config = old.config.as_object().cloned().unwrap_or_default();
    let mut data = rules::CredentialData {
        config,
        secrets,
        secret_fields: cred.secret_fields.clone(),
    };
    if cred.kind == "custom" {
        let mut keys: Vec<String> = data.secrets.keys().cloned().collect();
        keys.sort();
        data.secret_fields = Some(keys);
    }
    // The old secrets go back only where they were set to go: nobody sends them again here.
    let next = svc::destinations_of(&cred, &data);
    destinations::check_restore(version, &svc::bound_destinations(&old)?, &next)
        .map_err(field_errors)?;
    let v = cred.current_version + 1;
    svc::store_version(&state, &tx, &cred, v, &data, "restored", caller.user_id()).await?;
    cred.current_version = v;
    cred.config = old.config.clone();
    cred.secret_fields = data.secret_fields.clone();
    store::update(&tx, &cred).await?;
    let ev = Event::new("credential.version_restored")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("from_version", version)
        .detail("version", v);
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    let cred = store::get(&tx, caller.workspace_id, cred.id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    let (res, _) = svc::respond(&state, &tx, &cred, access, StatusCode::OK).await?;
    tx.commit().await?;
    Ok(res)
}
