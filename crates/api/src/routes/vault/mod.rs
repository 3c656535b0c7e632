//! The read path of HashiCorp Vault's KV version 2 API, mounted at `kv`, so that Vault clients
//! (hvac, node-vault, vault-action, External Secrets Operator) resolve credentials unchanged.
//! A read is a resolve: the same service call, checks, refresh, audit event and usage count.

pub mod gate;
pub mod wire;

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{get, web, HttpRequest, HttpResponse, Route};
use credvault_service::resolve::{self as runtime, Resolution, Run};
use credvault_service::{workflows, ServiceError};
use uuid::Uuid;

use self::gate::{VaultCaller, VaultError, VaultErrors, VaultToken};
use self::wire::{Envelope, KvData, KvKeys, KvList, KvMetadata, KvSecret, TokenInfo, TokenLookup};
use super::resolve::{execution_id, zeroized_json};
use super::workflows::valid_workflow_id;
use crate::auth::need;
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

/// Where the KV version 2 engine is mounted: every path under it answers in Vault's shape.
pub const MOUNT: &str = "/v1/kv/";

/// Whether `path` answers in Vault's shapes (its errors too): the `kv` mount and lookup-self. A
/// `LIST` there reads, like a `GET`.
pub fn in_vault_shape(path: &str) -> bool {
    path.starts_with(MOUNT) || path == "/v1/auth/token/lookup-self"
}

/// The header that carries the engine's id of the run (`execution_id` of a resolve).
pub const EXECUTION_ID: &str = "X-Credvault-Execution-Id";

/// Describe the calling token, as Vault's `lookup-self` does.
#[utoipa::path(
    tag = "vault", operation_id = "vault_lookup_self", summary = "Look up the calling token (Vault)",
    description = Doc::any_token().note("The token goes in `X-Vault-Token` or `Authorization: Bearer`. Vault clients call it to check their token (hvac's `is_authenticated`). A missing or unknown token: 403 `{\"errors\": [\"permission denied\"]}`, as Vault answers.").reads(),
    security(("vault_token" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The token: its id, never the token itself", body = TokenLookup),
        (status = 403, description = "No token, or an unknown, expired or revoked one", body = VaultErrors, example = json!({"errors": ["permission denied"]})),
        (status = 503, description = "The database cannot be reached", body = VaultErrors, example = json!({"errors": ["the service cannot reach its database; retry shortly"]})),
    )
)]
#[get("/auth/token/lookup-self")]
pub async fn lookup_self(caller: VaultToken) -> web::Json<TokenLookup> {
    web::Json(TokenLookup {
        envelope: Envelope::now(),
        data: TokenInfo::of(&caller.0, chrono::Utc::now()),
    })
}

/// Read a credential for a workflow run as a KV version 2 secret.
#[utoipa::path(
    tag = "vault", operation_id = "vault_kv_read", summary = "Read a credential as a KV v2 secret (Vault)",
    description = Doc::of(Action::ResolveCredentials).on_credential(CredentialAction::Resolve).note("A resolve of the credential for the workflow, answered in Vault's KV version 2 shape (mount `kv`): `data.data` holds every field in full, `data.metadata.version` the current version. The token goes in `X-Vault-Token` (or `Authorization: Bearer`); the run's id in `X-Credvault-Execution-Id`. Only the current version is handed out. Errors are Vault's `{\"errors\": [...]}` with resolve's statuses; a workflow or credential that does not exist in the workspace is 404 `{\"errors\": []}`.").audits("records `credential.used` and counts the use before answering, as resolve does; a refresh on the way records `credential.refreshed` or `credential.refresh_failed`"),
    security(("vault_token" = []), ("bearer" = [])),
    params(
        ("workflow_id" = String, Path, description = "The workflow the values are for (the engine's id)"),
        ("credential_id" = Uuid, Path, description = "Credential id"),
        ("version" = Option<i32>, Query, minimum = 0, description = "The version wanted: only the current one (or 0, Vault's way of saying the latest) is handed out, another is 400"),
        ("X-Credvault-Execution-Id" = Option<String>, Header, description = "The engine's id for this run (1 to 256 printable characters), recorded in the audit event"),
    ),
    responses(
        (status = 200, description = "Every value in full", body = KvSecret,
            headers(("Cache-Control" = String, description = "`no-store`: keep the values out of every cache"))),
        (status = 400, description = "A `version` that is not the current one, or a bad `X-Credvault-Execution-Id`", body = VaultErrors, example = json!({"errors": ["only the current version (3) of a credential is handed out"]})),
        (status = 403, description = "No token or an unknown one (`permission denied`), a token without `credentials:resolve`, or a workflow owner without `use` on the credential", body = VaultErrors, example = json!({"errors": ["permission denied"]})),
        (status = 404, description = "No such workflow or credential in the workspace", body = VaultErrors, example = json!({"errors": []})),
        (status = 409, description = "The credential has expired, its provider refused a refresh, or it was never authorized", body = VaultErrors, example = json!({"errors": ["the credential has expired: rotate it or re-authorize"]})),
        (status = 410, description = "The credential is deleted", body = VaultErrors, example = json!({"errors": ["the credential is deleted"]})),
        (status = 503, description = "The access token has expired and its provider cannot be reached, or the audit log cannot be written", body = VaultErrors, example = json!({"errors": ["the service cannot reach its database; retry shortly"]})),
    )
)]
#[get("/kv/data/{workflow_id}/{credential_id}")]
pub async fn kv_read(
    state: State,
    caller: VaultCaller<need::ResolveCredentials>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, VaultError> {
    let (id, run) = run_of(&path.0, &path.1, &req)?;
    let resolution = runtime::resolve(&state.services, &caller.0, id, run)
        .await
        .map_err(no_such_path)?;
    present(resolution)
}

/// List the credentials a workflow declares, as KV version 2 keys.
#[utoipa::path(
    tag = "vault", operation_id = "vault_kv_list", summary = "List a workflow's credentials as KV v2 keys (Vault)",
    description = Doc::of(Action::ResolveCredentials).note("Vault's `LIST /v1/kv/metadata/{workflow_id}` answers the same (Vault clients send that method; OpenAPI cannot describe it). The keys are the ids of the credentials the workflow declares; read each at `/v1/kv/data/{workflow_id}/{key}`. The token goes in `X-Vault-Token` (or `Authorization: Bearer`).").reads(),
    security(("vault_token" = []), ("bearer" = [])),
    params(
        ("workflow_id" = String, Path, description = "The workflow (the engine's id)"),
        ("list" = bool, Query, description = "`true` (or `1`): list. Without it there is nothing to read at this path (404)"),
    ),
    responses(
        (status = 200, description = "The credential ids the workflow declares", body = KvList),
        (status = 400, description = "A `list` that is not a boolean", body = VaultErrors, example = json!({"errors": ["list must be true or false"]})),
        (status = 403, description = "No token or an unknown one (`permission denied`), or a token without `credentials:resolve`", body = VaultErrors, example = json!({"errors": ["permission denied"]})),
        (status = 404, description = "No such workflow in the workspace", body = VaultErrors, example = json!({"errors": []})),
        (status = 503, description = "The database cannot be reached", body = VaultErrors, example = json!({"errors": ["the service cannot reach its database; retry shortly"]})),
    )
)]
#[get("/kv/metadata/{workflow_id}")]
pub async fn kv_list(
    state: State,
    caller: VaultCaller<need::ResolveCredentials>,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<web::Json<KvList>, VaultError> {
    if !listing(&req)? {
        return Err(ApiError::not_found("secret").into());
    }
    keys(&state, &caller, &path).await
}

/// Vault's `LIST /v1/kv/metadata/{workflow_id}`: the same as `GET` with `?list=true`.
pub async fn kv_list_method(
    state: State,
    caller: VaultCaller<need::ResolveCredentials>,
    path: web::Path<String>,
) -> Result<web::Json<KvList>, VaultError> {
    keys(&state, &caller, &path).await
}

/// The route of Vault's `LIST` method (which OpenAPI cannot describe, so it has no spec entry:
/// `GET ?list=true` documents it).
pub fn list_method() -> Route {
    match Method::from_bytes(b"LIST") {
        Ok(list) => web::route().method(list).to(kv_list_method),
        Err(_) => web::route().to(HttpResponse::MethodNotAllowed),
    }
}

async fn keys(
    state: &AppState,
    caller: &VaultCaller<need::ResolveCredentials>,
    workflow: &str,
) -> Result<web::Json<KvList>, VaultError> {
    if !valid_workflow_id(workflow) {
        return Err(ApiError::not_found("workflow").into());
    }
    let wf = workflows::get(&state.services, &caller.0, workflow).await?;
    Ok(web::Json(KvList {
        envelope: Envelope::now(),
        data: KvKeys {
            keys: wf.credential_ids,
        },
    }))
}

/// Whether `?list=` asks for a list (Vault's booleans: `true`, `1`, `t`, ... ).
fn listing(req: &HttpRequest) -> Result<bool, VaultError> {
    match query(req, "list")?.as_deref() {
        None => Ok(false),
        Some("1" | "t" | "T" | "true" | "True" | "TRUE") => Ok(true),
        Some("0" | "f" | "F" | "false" | "False" | "FALSE") => Ok(false),
        Some(_) => Err(ApiError::invalid("list must be true or false").into()),
    }
}

/// The last value of query parameter `name`.
fn query(req: &HttpRequest, name: &str) -> Result<Option<String>, VaultError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|_| ApiError::invalid("the query string cannot be read"))?;
    Ok(pairs
        .0
        .into_iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v))
}

/// The resolve a KV read asks for: a path that names no workflow or credential is one that
/// does not exist (404); `?version=` and `X-Credvault-Execution-Id` checked for form.
fn run_of(workflow: &str, credential: &str, req: &HttpRequest) -> Result<(Uuid, Run), VaultError> {
    let id = Uuid::parse_str(credential).map_err(|_| ApiError::not_found("secret"))?;
    if !valid_workflow_id(workflow) {
        return Err(ApiError::not_found("secret").into());
    }
    let version = match query(req, "version")?.as_deref() {
        None | Some("0") => None,
        Some(v) => Some(v.parse::<i32>().ok().filter(|v| *v > 0).ok_or_else(|| {
            ApiError::invalid("version must be a version number (0 or none: the current one)")
        })?),
    };
    let header = req.headers().get(EXECUTION_ID).map(|v| v.to_str());
    let execution = match header {
        None => None,
        Some(Ok(x)) if execution_id(x).is_ok() => Some(x.to_string()),
        Some(_) => {
            return Err(ApiError::invalid(format!(
                "{EXECUTION_ID} must be 1 to 256 printable characters"
            ))
            .into())
        }
    };
    let run = Run {
        workflow: workflow.to_string(),
        execution,
        field: None,
        version,
    };
    Ok((id, run))
}

/// A path whose workflow is not one of the workspace does not exist: resolve's 422 on
/// `workflow_id` is a 404 here (a Vault client's InvalidPath).
fn no_such_path(e: ServiceError) -> VaultError {
    match e {
        ServiceError::Validation(_) => ApiError::not_found("secret").into(),
        e => e.into(),
    }
}

/// Every value in full inside Vault's envelope, from a buffer zeroized once sent.
fn present(resolution: Resolution) -> Result<HttpResponse, VaultError> {
    let Resolution::Whole { row, data } = resolution else {
        return Err(ApiError::internal(anyhow::anyhow!("a KV read asks for no field")).into());
    };
    Ok(zeroized_json(KvSecret {
        envelope: Envelope::now(),
        data: KvData {
            data,
            metadata: KvMetadata {
                created_time: row.version_created_at,
                custom_metadata: None,
                deletion_time: String::new(),
                destroyed: false,
                version: row.version,
            },
        },
    })?)
}
