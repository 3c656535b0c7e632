//! Credentials: create and read here; list (filters and cursors), update, versions (rotate,
//! restore a version) and lifecycle (delete, restore, transfer) in their own files. Bodies are
//! checked in `input` and answers made in `presentation`.

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{delete, get, patch, post, web, HttpResponse};
use credvault_domain::credential_access::CredentialAction;
use credvault_service::credentials::create::{self, location};
use credvault_service::idempotency::{Answer, Idempotent};
use serde_json::Value;
use uuid::Uuid;

use super::credential_dto::*;
use crate::auth::{need, Authorized};
use crate::credentials as svc;
use crate::error::ApiError;
use crate::extract::{replay, IdempotencyKey, IfMatch};
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

pub mod input;
mod lifecycle;
mod list;
pub mod presentation;
mod update;
mod versions;

pub use lifecycle::*;
pub use list::*;
pub use update::*;
pub use versions::*;

type State = web::Data<Arc<AppState>>;

/// The body stored as an idempotent request's first answer.
fn stored(view: &svc::CredentialView) -> Result<Value, credvault_service::ServiceError> {
    presentation::body(view).map_err(credvault_service::ServiceError::internal)
}

/// An idempotency key, with the endpoint and request it came with.
fn idempotent<'a>(
    key: &'a IdempotencyKey,
    endpoint: &'a str,
    request: &'a Value,
) -> Option<Idempotent<'a>> {
    key.0.as_deref().map(|key| Idempotent {
        key,
        endpoint,
        request,
    })
}

/// Create a credential.
#[utoipa::path(
    tag = "credentials", operation_id = "create_credential", description = Doc::of(Action::WriteCredentials).note("The caller owns the new credential.").audits("records `credential.created`"), summary = "Create a credential", request_body = super::credential_types::NewCredentialBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body within 24 h get the first answer")),
    responses(
        (status = 201, description = "Created", body = Credential,
            headers(("Location" = String, description = "The new credential: `/v1/credentials/{id}`"))),
        (status = 409, description = "The owner was erased at the same moment (`conflict`): reload and retry", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`validation_failed`) or a reused Idempotency-Key (`idempotency_key_reused`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials")]
pub async fn create_credential(
    state: State,
    caller: Authorized<need::WriteCredentials>,
    key: IdempotencyKey,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.into_inner();
    let new = input::new_credential(&super::parse_body(&raw)?)?;
    let idem = idempotent(&key, "POST /v1/credentials", &raw);
    let view = match create::create(&state, &caller, new, idem, stored).await? {
        Answer::Replay(first) => return replay(first),
        Answer::Done(view) => view,
    };
    let location = location(&view.cred);
    let (mut res, _) = presentation::respond(&view, StatusCode::CREATED)?;
    res.headers_mut().insert(
        header::LOCATION,
        header::HeaderValue::from_str(&location).map_err(ApiError::internal)?,
    );
    Ok(res)
}

/// One credential: summary for `use`, configuration (secrets masked), usage and shares from `view`.
#[utoipa::path(
    tag = "credentials", operation_id = "get_credential", description = Doc::of(Action::ReadCredentials).on_credential(CredentialAction::SeeSummary).note("With `use` access only the summary fields come back; from `view` up the details and `data` too, secrets masked.").reads(), summary = "Get a credential", params(("id" = Uuid, Path, description = "Credential id")),
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
    let view = svc::view(&state, &client, cred, access).await?;
    Ok(presentation::respond(&view, StatusCode::OK)?.0)
}
