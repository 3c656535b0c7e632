//! Credentials: create, list, read, update, rotate, delete, restore, transfer.

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use credvault_domain::credential::{
    self as rules, destinations, CredentialType, TestInput, TestSpec,
};
use credvault_domain::credential_access::{Access, CredentialAction};
use credvault_domain::identity::Role;
use credvault_store::credentials::{self as store, After, CredentialRow, ListFilter, Sort, Viewer};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::IntoParams;
use uuid::Uuid;

use super::credential_dto::*;
use super::fields::Fields;
use crate::audit::{self, Event};
use crate::auth::{need, Authorized, Caller};
use crate::credentials::{self as svc, Claim};
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

fn field_errors(errors: Vec<rules::FieldError>) -> ApiError {
    ApiError::validation(
        errors
            .into_iter()
            .map(|e| FieldError {
                field: e.field,
                message: e.message,
            })
            .collect(),
    )
}

fn test_spec(t: &TestRequest) -> Result<Value, String> {
    let input = TestInput {
        url: t.url.clone(),
        method: t.method.clone(),
        expected_status: t.expected_status.clone(),
    };
    let spec: TestSpec = TestSpec::parse(&input).map_err(|p| p.message)?;
    serde_json::to_value(spec).map_err(|e| e.to_string())
}

/// Create a credential.
#[utoipa::path(
    tag = "credentials", operation_id = "create_credential", summary = "Create a credential", request_body = CreateCredential,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body within 24 h get the first answer")),
    responses(
        (status = 201, description = "Created; `Location` and `ETag` headers", body = Credential),
        (status = 409, description = "The owner was erased at the same moment (`conflict`): reload and retry", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`validation_failed`) or a reused Idempotency-Key (`idempotency_key_reused`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials")]
pub async fn create_credential(
    state: State,
    caller: Authorized<need::WriteCredentials>,
    req: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.into_inner();
    let input: CreateCredential = super::parse_body(&raw)?;
    let owner = caller.person()?.clone();
    // Microseconds, as PostgreSQL keeps them: the answer shows what a later read will.
    let now = Utc::now().trunc_subsecs(6);
    let mut f = Fields::default();
    let name = f.required("name", input.name.as_deref(), rules::parse_name);
    let service = f.required("service", input.service.as_deref(), rules::parse_service);
    let kind = f.required("type", input.kind.as_deref(), |s| {
        s.parse::<CredentialType>()
    });
    let description = f.optional(
        "description",
        input.description.as_deref(),
        rules::parse_description,
    );
    let environment = f.optional(
        "environment",
        input.environment.as_deref(),
        rules::parse_environment,
    );
    let tags = match &input.tags {
        None => Some(Vec::new()),
        Some(t) => f
            .optional("tags", Some(t), |t: &Vec<String>| rules::parse_tags(t))
            .flatten(),
    };
    let expires_at = match input.expires_at {
        None => Some(None),
        Some(at) => f.optional("expires_at", Some(&at), |at| {
            rules::parse_expires_at(*at, now)
        }),
    };
    let period = match input.rotation_period_days {
        None => Some(None),
        Some(d) => f.optional("rotation_period_days", Some(&d), |d| {
            rules::parse_rotation_period_days(*d)
        }),
    };
    let test = match &input.test {
        None => Some(None),
        Some(t) => f.optional("test", Some(t), test_spec),
    };
    let data = match (kind, &input.data) {
        (_, None) => {
            f.push("data", "is required");
            None
        }
        (Some(k), Some(d)) => match rules::validate_new(k, d, input.secret_fields.as_deref()) {
            Ok(v) => Some(v),
            Err(errs) => {
                for e in errs {
                    f.push(&e.field, e.message);
                }
                None
            }
        },
        (None, Some(_)) => None,
    };
    let (
        Some(name),
        Some(service),
        Some(kind),
        Some(description),
        Some(environment),
        Some(tags),
        Some(expires_at),
        Some(period),
        Some(test),
        Some(data),
    ) = (
        name,
        service,
        kind,
        description,
        environment,
        tags,
        expires_at,
        period,
        test,
        data,
    )
    else {
        return Err(f.into_error());
    };
    let key = svc::idempotency_key(req.headers())?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    if let Some(k) = &key {
        if let Claim::Replay(res) =
            svc::claim(&tx, &caller, "POST /v1/credentials", k, &raw).await?
        {
            return Ok(res);
        }
    }
    let row = CredentialRow {
        workspace_id: caller.workspace_id,
        id: Uuid::now_v7(),
        name,
        service,
        kind: kind.as_str().to_string(),
        owner_id: owner.id,
        owner_display: owner.display_name.clone(),
        description,
        environment,
        tags,
        config: Value::Object(data.config.clone()),
        secret_fields: data.secret_fields.clone(),
        status: "active".into(),
        status_detail: None,
        expires_at,
        rotation_period_days: period,
        rotated_at: None,
        test,
        current_version: 1,
        row_version: 1,
        last_used_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        purge_after: None,
        shared: false,
    };
    store::insert(&tx, &row).await?;
    svc::store_version(&state, &tx, &row, 1, &data, "created", Some(owner.id)).await?;
    let ev = Event::new("credential.created")
        .target("credential", row.id, Some(row.name.clone()))
        .detail("type", kind.as_str())
        .detail("service", row.service.clone())
        .detail("version", 1);
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    // The answer is made from what was just written: nothing to read back or decrypt.
    let cred = row;
    let body = svc::new_representation(&cred, &data)?;
    let res = HttpResponse::Created()
        .insert_header((header::ETAG, svc::etag(&cred)))
        .json(&body);
    let location = format!("/v1/credentials/{}", cred.id);
    if let Some(k) = &key {
        svc::remember(
            &tx,
            &caller,
            "POST /v1/credentials",
            k,
            201,
            &body,
            json!({"ETag": svc::etag(&cred), "Location": location}),
        )
        .await?;
    }
    tx.commit().await?;
    let mut res = res;
    res.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&location).map_err(ApiError::internal)?,
    );
    Ok(res)
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// `api_key`, `basic_auth`, `oauth2` or `custom`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// `active`, `expired`, `error` or `deleted` (default: all but deleted).
    pub status: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub tag: Option<String>,
    pub shared: Option<bool>,
    pub owner_id: Option<Uuid>,
    /// Case-insensitive search in name, service, description and tags.
    pub q: Option<String>,
    /// `name` (default), `-name`, `updated_at`, `-updated_at`, `last_used_at`, `-last_used_at`; never-used sort last.
    pub sort: Option<String>,
    /// 1..200, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    s: String,
    k: Option<String>,
    t: Option<DateTime<Utc>>,
    id: Uuid,
}

fn parse_sort(s: Option<&str>) -> Result<Sort, ApiError> {
    Ok(match s.unwrap_or("name") {
        "name" => Sort::Name,
        "-name" => Sort::NameDesc,
        "updated_at" => Sort::Updated,
        "-updated_at" => Sort::UpdatedDesc,
        "last_used_at" => Sort::LastUsed,
        "-last_used_at" => Sort::LastUsedDesc,
        other => return Err(ApiError::invalid(format!("sort must be one of name, -name, updated_at, -updated_at, last_used_at, -last_used_at, not {other:?}"))),
    })
}

fn bad_cursor() -> ApiError {
    ApiError::invalid("cursor is not one this list gave out (cursors belong to one sort order)")
}

/// Credentials you can see, filtered, searched and sorted, a page at a time.
#[utoipa::path(tag = "credentials", operation_id = "list_credentials", summary = "List credentials", params(ListQuery), responses((status = 200, description = "A page of credentials", body = CredentialList)))]
#[get("/credentials")]
pub async fn list_credentials(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<CredentialList>, ApiError> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit must be between 1 and 200"));
    }
    if let Some(k) = &q.kind {
        k.parse::<CredentialType>()
            .map_err(|e| ApiError::invalid(format!("type: {e}")))?;
    }
    if let Some(s) = &q.status {
        s.parse::<rules::Status>()
            .map_err(|e| ApiError::invalid(format!("status: {e}")))?;
    }
    let sort_name = q.sort.clone().unwrap_or_else(|| "name".into());
    let sort = parse_sort(Some(&sort_name))?;
    let after = match &q.cursor {
        None => None,
        Some(c) => {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .map_err(|_| bad_cursor())?;
            let cur: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
            if cur.s != sort_name {
                return Err(bad_cursor());
            }
            Some(match sort {
                Sort::Name | Sort::NameDesc => After::Text(cur.k.ok_or_else(bad_cursor)?, cur.id),
                _ => After::Time(cur.t, cur.id),
            })
        }
    };
    let filter = ListFilter {
        kind: q.kind,
        status: q.status,
        service: q.service,
        environment: q.environment,
        tag: q.tag,
        shared: q.shared,
        owner_id: q.owner_id,
        q: q.q
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_string()),
    };
    let client = state.pool.get().await?;
    let teams = match caller.user_id() {
        Some(u) => store::team_ids_of(&client, caller.workspace_id, u).await?,
        None => Vec::new(),
    };
    let role_rank = match (caller.user.is_some(), caller.role()) {
        (false, _) => Some(1),
        (true, Some(Role::Owner | Role::Admin)) => Some(3),
        (true, Some(Role::Auditor)) => Some(2),
        _ => None,
    };
    let viewer = Viewer {
        user: caller.user_id(),
        teams: &teams,
        role_rank,
    };
    let rows = store::list(
        &client,
        caller.workspace_id,
        &viewer,
        &filter,
        sort,
        after.as_ref(),
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let page: Vec<(CredentialRow, i32, String)> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = match (more, page.last()) {
        (true, Some((last, _, name_key))) => {
            let cur = Cursor {
                s: sort_name,
                // The database's lower(), not Rust's: they differ for some non-ASCII names.
                k: Some(name_key.clone()),
                t: match sort {
                    Sort::Updated | Sort::UpdatedDesc => Some(last.updated_at),
                    _ => last.last_used_at,
                },
                id: last.id,
            };
            Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(serde_json::to_vec(&cur).map_err(ApiError::internal)?),
            )
        }
        _ => None,
    };
    let items = page
        .iter()
        .map(|(c, rank, _)| svc::summary(c, Access::from_rank(*rank)))
        .collect();
    Ok(web::Json(CredentialList { items, next_cursor }))
}

/// One credential: summary for `use`, configuration (secrets masked), usage and shares from `view`.
#[utoipa::path(
    tag = "credentials", operation_id = "get_credential", summary = "Get a credential", params(("id" = Uuid, Path, description = "Credential id")),
    responses((status = 200, description = "The credential, with its `ETag`", body = Credential))
)]
#[get("/credentials/{id}")]
pub async fn get_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (cred, access) = svc::authorize(&state, &caller, *id, CredentialAction::SeeSummary).await?;
    let client = state.pool.get().await?;
    Ok(svc::respond(&state, &client, &cred, access, StatusCode::OK)
        .await?
        .0)
}

/// Authorises a change before any connection is held for it (so a burst of writes cannot take
/// every pooled connection and then wait for one more).
async fn authorize_change(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    action: CredentialAction,
) -> Result<Access, ApiError> {
    svc::require_write(state, caller, id).await?;
    Ok(svc::authorize(state, caller, id, action).await?.1)
}

/// Locks the credential, refuses a deleted one and checks If-Match: the start of every change.
async fn begin_change<'a>(
    caller: &Caller,
    tx: &deadpool_postgres::Transaction<'a>,
    req: &HttpRequest,
    id: Uuid,
    access: Access,
) -> Result<(CredentialRow, Access), ApiError> {
    let cred = store::lock(tx, caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    svc::refuse_if_deleted(&cred)?;
    svc::check_if_match(req.headers(), &cred)?;
    Ok((cred, access))
}

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
    let input: RotateCredential = super::parse_body(&raw)?;
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
    let purge_after = now + TimeDelta::days(i64::from(state.settings.recovery_days));
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
