//! Credentials: create and read here; list (filters and cursors), update, versions (rotate,
//! restore a version) and lifecycle (delete, restore, transfer) in their own files.

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

mod lifecycle;
mod list;
mod update;
mod versions;

pub use lifecycle::*;
pub use list::*;
pub use update::*;
pub use versions::*;

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
