//! Updating a credential: metadata, and data merged field by field.

use super::*;

/// Update a credential: metadata, and `data` merged field by field (a secret change makes a new version).
#[utoipa::path(
    tag = "credentials", operation_id = "update_credential", summary = "Update a credential", params(("id" = Uuid, Path, description = "Credential id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateCredential,
    responses(
        (status = 200, description = "The credential", body = Credential),
        (status = 410, description = "The credential is deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The ETag does not match (`precondition_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or a destination (`test.url`, `data.token_url`, `data.authorization_url`) moved to another origin, or a secret `{{field}}` added to the test, without the secret sent again (`validation_failed`, the entry naming the secret to send)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/credentials/{id}")]
pub async fn update_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<UpdateCredential>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    if input.kind.is_some() {
        return Err(ApiError::field(
            "type",
            "cannot be changed: create a new credential instead",
        ));
    }
    let now = Utc::now();
    let mut f = Fields::default();
    let name = f.optional("name", input.name.as_deref(), rules::parse_name);
    let service = f.optional("service", input.service.as_deref(), rules::parse_service);
    let tags = match &input.tags {
        None => Some(None),
        Some(t) => f.optional("tags", Some(t), |t: &Vec<String>| rules::parse_tags(t)),
    };
    let description = nullable(
        &mut f,
        "description",
        input.description.as_ref(),
        |s: &String| rules::parse_description(s).map_err(|p| p.message),
    );
    let environment = nullable(
        &mut f,
        "environment",
        input.environment.as_ref(),
        |s: &String| rules::parse_environment(s).map_err(|p| p.message),
    );
    let expires_at = nullable(
        &mut f,
        "expires_at",
        input.expires_at.as_ref(),
        |at: &DateTime<Utc>| rules::parse_expires_at(*at, now).map_err(|p| p.message),
    );
    let period = nullable(
        &mut f,
        "rotation_period_days",
        input.rotation_period_days.as_ref(),
        |d: &i64| rules::parse_rotation_period_days(*d).map_err(|p| p.message),
    );
    let test = nullable(&mut f, "test", input.test.as_ref(), test_spec);
    let (
        Some(name),
        Some(service),
        Some(tags),
        Some(description),
        Some(environment),
        Some(expires_at),
        Some(period),
        Some(test),
    ) = (
        name,
        service,
        tags,
        description,
        environment,
        expires_at,
        period,
        test,
    )
    else {
        return Err(f.into_error());
    };
    let access = authorize_change(&state, &caller, *id, CredentialAction::Manage).await?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let (before, access) = begin_change(&caller, &tx, &req, *id, access).await?;
    let mut cred = before.clone();
    let mut changed: Vec<&str> = Vec::new();
    macro_rules! set {
        ($field:ident, $value:expr, $label:literal) => {
            if let Some(v) = $value {
                if cred.$field != v {
                    cred.$field = v;
                    changed.push($label);
                }
            }
        };
    }
    set!(name, name, "name");
    set!(service, service, "service");
    set!(tags, tags, "tags");
    set!(description, description, "description");
    set!(environment, environment, "environment");
    set!(expires_at, expires_at, "expires_at");
    set!(rotation_period_days, period, "rotation_period_days");
    set!(test, test, "test");
    let mut new_version = None;
    if input.data.is_some() || input.secret_fields.is_some() || input.test.is_some() {
        let kind = svc::parse_type(&cred.kind)?;
        let (current, bound) = svc::current_data_bound(&state, &tx, &cred).await?;
        let patch = input.data.clone().unwrap_or(Value::Null);
        // A secret field may become non-secret only with a new value: otherwise the sealed value
        // would move into the clear configuration and be shown in full.
        if let Some(new_list) = &input.secret_fields {
            let sent = patch.as_object();
            let exposed: Vec<&String> = current
                .secrets
                .keys()
                .filter(|k| {
                    !new_list.contains(k) && sent.is_none_or(|m| !m.contains_key(k.as_str()))
                })
                .collect();
            if !exposed.is_empty() {
                let names: Vec<&str> = exposed.iter().map(|k| k.as_str()).collect();
                return Err(ApiError::field(
                    "secret_fields",
                    format!("{} would stop being secret: send a new value for them in data, or keep them in secret_fields", names.join(", ")),
                ));
            }
        }
        let (mut merged, mut secrets_changed) =
            rules::merge_update(kind, &current, &patch, input.secret_fields.as_deref())
                .map_err(field_errors)?;
        // A destination on another origin than the secrets were set for needs them again.
        let sent = patch.as_object().cloned().unwrap_or_default();
        let next = svc::destinations_of(&cred, &merged);
        let moved = destinations::check_change(kind, &bound, &next, &sent).map_err(field_errors)?;
        secrets_changed |= destinations::drop_unsent_tokens(kind, &moved, &sent, &mut merged);
        if merged.config != current.config {
            changed.push("data");
        }
        cred.config = Value::Object(merged.config.clone());
        cred.secret_fields = merged.secret_fields.clone();
        // A move makes a version even when the secrets sent again are the same: each version
        // records where its secrets may go.
        if secrets_changed || !moved.moved.is_empty() {
            let v = cred.current_version + 1;
            svc::store_version(&state, &tx, &cred, v, &merged, "updated", caller.user_id()).await?;
            cred.current_version = v;
            new_version = Some(v);
            changed.push("secret");
        }
    }
    if changed.is_empty() {
        tx.commit().await?;
        return Ok(
            svc::respond(&state, &client, &before, access, StatusCode::OK)
                .await?
                .0,
        );
    }
    changed.dedup();
    store::update(&tx, &cred).await?;
    let mut ev = Event::new("credential.updated")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("changed", changed.clone());
    if let Some(v) = new_version {
        ev = ev.detail("version", v);
    }
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    let cred = store::get(&tx, caller.workspace_id, cred.id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    let (res, _) = svc::respond(&state, &tx, &cred, access, StatusCode::OK).await?;
    tx.commit().await?;
    Ok(res)
}

/// A PATCH field: absent → keep (`Some(None)` is never returned for it), null → clear, value → set.
fn nullable<T, U>(
    f: &mut Fields,
    name: &str,
    v: Option<&Option<T>>,
    parse: impl FnOnce(&T) -> Result<U, String>,
) -> Option<Option<Option<U>>> {
    match v {
        None => Some(None),
        Some(None) => Some(Some(None)),
        Some(Some(x)) => match parse(x) {
            Ok(u) => Some(Some(Some(u))),
            Err(m) => {
                f.push(name, m);
                None
            }
        },
    }
}
