//! Workflows (registered by engines) and the runtime path: resolve.

use std::sync::Arc;

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use credvault_domain::credential::{self as rules, SecretDoc, Status};
use credvault_domain::credential_access::{resolve_access, Access, CredentialAction};
use credvault_domain::identity::Role;
use credvault_domain::validate::Name;
use credvault_store::workflows::{self as store, WorkflowRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::credential_dto::OwnerRef;
use super::fields::Fields;
use crate::audit::{self, Event};
use crate::auth::{need, Authorized};
use crate::credentials as svc;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::usage::Used;

type State = web::Data<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct Workflow {
    /// The engine's own id.
    pub id: String,
    pub name: String,
    pub owner: OwnerRef,
    pub credential_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<WorkflowRow> for Workflow {
    fn from(w: WorkflowRow) -> Self {
        Workflow {
            id: w.id,
            name: w.name,
            owner: OwnerRef {
                id: w.owner_id,
                display_name: w.owner_display,
            },
            credential_ids: w.credential_ids,
            created_at: w.created_at,
            updated_at: w.updated_at,
            last_used_at: w.last_used_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WorkflowList {
    pub items: Vec<Workflow>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct PutWorkflow {
    pub name: Option<String>,
    pub owner_id: Option<String>,
    pub credential_ids: Option<Vec<String>>,
}

/// 1..128 characters of `[A-Za-z0-9._:-]`.
fn valid_workflow_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

fn workflow_id(raw: &str) -> Result<&str, ApiError> {
    if valid_workflow_id(raw) {
        Ok(raw)
    } else {
        Err(ApiError::not_found("workflow"))
    }
}

/// Register or update a workflow, with the credentials it declares.
#[utoipa::path(
    tag = "workflows", operation_id = "put_workflow", summary = "Register or update a workflow", params(("workflow_id" = String, Path, description = "The engine's id: 1..128 of [A-Za-z0-9._:-]")),
    request_body = PutWorkflow,
    responses(
        (status = 201, description = "Registered", body = Workflow),
        (status = 200, description = "Updated", body = Workflow),
        (status = 403, description = "A person registering a workflow for someone else, or changing someone else's (`forbidden`): only an engine token does that", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A declared credential was purged at the same moment (`conflict`): reload and retry", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/workflows/{workflow_id}")]
pub async fn put_workflow(
    state: State,
    caller: Authorized<need::WriteWorkflows>,
    path: web::Path<String>,
    body: web::Json<PutWorkflow>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mut f = Fields::default();
    if !valid_workflow_id(&id) {
        f.push(
            "workflow_id",
            "must be 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'",
        );
    }
    let name = f.required("name", body.name.as_deref(), Name::parse);
    let owner = f.required("owner_id", body.owner_id.as_deref(), Uuid::parse_str);
    let mut creds = Vec::new();
    for (i, c) in body
        .credential_ids
        .clone()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        match Uuid::parse_str(c) {
            Ok(u) => creds.push(u),
            Err(_) => f.push(&format!("credential_ids[{i}]"), "is not a credential id"),
        }
    }
    let (Some(name), Some(owner)) = (name, owner) else {
        return Err(f.into_error());
    };
    if !f.is_empty() {
        return Err(f.into_error());
    }
    // A workflow resolves with its owner's access, so a person, whatever their role, registers
    // workflows only for themselves; only an engine token registers them for others.
    if let Some(me) = caller.user_id() {
        if owner != me {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "you can register workflows only for yourself (owner_id must be your id); an engine token registers them for others",
            ));
        }
    }
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    // Nor may a person change someone else's workflow (its credentials would be resolved with
    // that person's access).
    if let (Some(me), Some(existing)) = (
        caller.user_id(),
        store::get(&tx, caller.workspace_id, &id).await?,
    ) {
        if existing.owner_id != me {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "this workflow belongs to someone else: only its owner or an engine token changes it",
            ));
        }
    }
    let owner_row =
        credvault_store::identity::user_for_reference(&tx, caller.workspace_id, owner).await?;
    if owner_row.is_none() {
        f.push("owner_id", "is not a user of this workspace");
    }
    let existing = store::existing_credentials(&tx, caller.workspace_id, &id, &creds).await?;
    for (i, c) in creds.iter().enumerate() {
        if !existing.contains(c) {
            f.push(
                &format!("credential_ids[{i}]"),
                "is not a credential of this workspace",
            );
        }
    }
    if !f.is_empty() {
        return Err(f.into_error());
    }
    creds.sort();
    creds.dedup();
    let created =
        store::upsert(&tx, caller.workspace_id, &id, name.as_str(), owner, &creds).await?;
    let ev = Event::new("workflow.upserted")
        .target("workflow", &id, Some(name.as_str().to_string()))
        .detail("owner_id", owner.to_string())
        .detail("created", created)
        .detail(
            "credential_ids",
            creds.iter().map(Uuid::to_string).collect::<Vec<_>>(),
        );
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    let wf = store::get(&tx, caller.workspace_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("workflow"))?;
    tx.commit().await?;
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(res.json(Workflow::from(wf)))
}

#[derive(Deserialize, IntoParams)]
pub struct WorkflowPage {
    /// 1..200, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Workflows of the workspace, by id.
#[utoipa::path(tag = "workflows", operation_id = "list_workflows", summary = "List workflows", params(WorkflowPage), responses((status = 200, description = "A page of workflows", body = WorkflowList)))]
#[get("/workflows")]
pub async fn list_workflows(
    state: State,
    caller: Authorized<need::ReadWorkflows>,
    page: web::Query<WorkflowPage>,
) -> Result<web::Json<WorkflowList>, ApiError> {
    let limit = page.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit must be between 1 and 200"));
    }
    if page
        .cursor
        .as_deref()
        .is_some_and(|c| !valid_workflow_id(c))
    {
        return Err(ApiError::invalid("cursor is not one this list gave out"));
    }
    let client = state.pool.get().await?;
    let rows = store::list(
        &client,
        caller.workspace_id,
        page.cursor.as_deref(),
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<Workflow> = rows
        .into_iter()
        .take(limit as usize)
        .map(Workflow::from)
        .collect();
    let next_cursor = if more {
        items.last().map(|w| w.id.clone())
    } else {
        None
    };
    Ok(web::Json(WorkflowList { items, next_cursor }))
}

/// One workflow.
#[utoipa::path(tag = "workflows", operation_id = "get_workflow", summary = "Get a workflow", params(("workflow_id" = String, Path, description = "The engine's id")), responses((status = 200, description = "The workflow", body = Workflow)))]
#[get("/workflows/{workflow_id}")]
pub async fn get_workflow(
    state: State,
    caller: Authorized<need::ReadWorkflows>,
    path: web::Path<String>,
) -> Result<web::Json<Workflow>, ApiError> {
    let id = workflow_id(&path)?;
    let client = state.pool.get().await?;
    let wf = store::get(&client, caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("workflow"))?;
    Ok(web::Json(wf.into()))
}

/// Remove a workflow.
#[utoipa::path(tag = "workflows", operation_id = "delete_workflow", summary = "Delete a workflow", params(("workflow_id" = String, Path, description = "The engine's id")), responses((status = 204, description = "Deleted")))]
#[delete("/workflows/{workflow_id}")]
pub async fn delete_workflow(
    state: State,
    caller: Authorized<need::WriteWorkflows>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = workflow_id(&path)?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let wf = store::get(&tx, caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("workflow"))?;
    if let Some(me) = caller.user_id() {
        if wf.owner_id != me && !matches!(caller.role(), Some(Role::Owner | Role::Admin)) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "you can delete only workflows you own",
            ));
        }
    }
    // Gone already (another request deleted it since it was read): nothing to record.
    let name = store::delete(&tx, caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("workflow"))?;
    audit::record(
        &tx,
        caller.workspace_id,
        &caller.actor,
        &caller.origin,
        Event::new("workflow.deleted").target("workflow", id, Some(name)),
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct ResolveRequest {
    pub workflow_id: Option<String>,
    /// The engine's id for this run, recorded in the audit event.
    pub execution_id: Option<String>,
}

/// Every value in full: only resolve returns secrets.
#[derive(Serialize, ToSchema)]
pub struct Resolved {
    pub credential_id: Uuid,
    #[serde(rename = "type")]
    pub kind: String,
    pub version: i32,
    #[schema(value_type = Object)]
    pub data: SecretDoc,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The runtime path: a credential's full values for a workflow run, recorded before they are sent.
#[utoipa::path(
    tag = "workflows", operation_id = "resolve_credential", summary = "Resolve a credential for a workflow run", params(("id" = Uuid, Path, description = "Credential id")),
    request_body = ResolveRequest,
    responses(
        (status = 200, description = "Full values (`Cache-Control: no-store`)", body = Resolved),
        (status = 409, description = "The credential has expired, or its provider refused a refresh (`credential_expired`); an oauth2 credential never authorized (`reauthorization_required`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 410, description = "The credential is deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The access token has expired and its provider cannot be reached (`upstream_unavailable`), or the audit log cannot be written (`unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/resolve")]
pub async fn resolve(
    state: State,
    caller: Authorized<need::ResolveCredentials>,
    id: web::Path<Uuid>,
    body: web::Json<ResolveRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut f = Fields::default();
    let workflow = f.required("workflow_id", body.workflow_id.as_deref(), |w: &str| {
        if valid_workflow_id(w) {
            Ok(w.to_string())
        } else {
            Err("must be 1 to 128 characters of [A-Za-z0-9._:-]")
        }
    });
    let execution = f.optional("execution_id", body.execution_id.as_deref(), |x: &str| {
        if !x.is_empty() && x.len() <= 256 && !x.chars().any(char::is_control) {
            Ok(x.to_string())
        } else {
            Err("must be 1 to 256 printable characters")
        }
    });
    let (Some(workflow), Some(execution)) = (workflow, execution) else {
        return Err(f.into_error());
    };
    let ws = caller.workspace_id;
    let row = match state.cache.resolve_row(*id, &workflow) {
        Some(row) if row.workspace_id == ws => row,
        Some(_) => return Err(ApiError::not_found("credential")),
        None => {
            let generation = state.cache.generation();
            let client = state.pool.get().await?;
            let row = Arc::new(
                store::load_for_resolve(&client, ws, *id, &workflow)
                    .await?
                    .ok_or_else(|| ApiError::not_found("credential"))?,
            );
            state
                .cache
                .put_resolve_row(*id, &workflow, row.clone(), generation);
            row
        }
    };
    let Some(wf_owner) = row.workflow_owner else {
        return Err(ApiError::field(
            "workflow_id",
            "is not a workflow of this workspace: register it with PUT /v1/workflows/{workflow_id}",
        ));
    };
    // A share grants at most manage: the rank of a share is never the owner's.
    let shares: Vec<Access> = row
        .share_rank
        .map(|r| Access::from_rank(r.min(3)))
        .into_iter()
        .collect();
    if row.workflow_owner_disabled || resolve_access(row.owner_id == wf_owner, &shares).is_none() {
        let client = state.pool.get().await?;
        let ev = Event::new("credential.access_denied")
            .target("credential", *id, Some(row.credential_name.clone()))
            .outcome("denied")
            .detail("attempted", "resolve")
            .detail("workflow_id", workflow.clone());
        audit::record(&client, ws, &caller.actor, &caller.origin, ev).await?;
        return Err(ApiError::new(ErrorCode::Forbidden, "the workflow's owner has no access to this credential: share it with them (use is enough)"));
    }
    if row.deleted {
        return Err(ApiError::new(
            ErrorCode::CredentialDeleted,
            "the credential is deleted",
        ));
    }
    let stored = row.status.parse().unwrap_or(Status::Active);
    if rules::effective_status(stored, row.expires_at, false, Utc::now()) == Status::Expired {
        return Err(ApiError::new(
            ErrorCode::CredentialExpired,
            "the credential has expired: rotate it or re-authorize",
        ));
    }
    let mut row = row;
    let mut data = open_resolved(&state, ws, *id, &row)?;
    if row.kind == "oauth2" {
        (row, data) = fresh_oauth(&state, &caller, *id, &workflow, row, data).await?;
    }
    state
        .usage
        .record(Used {
            workspace_id: ws,
            credential_id: *id,
            credential_name: row.credential_name.clone(),
            workflow_id: workflow,
            execution_id: execution,
            version: row.version,
            actor: caller.actor.clone(),
            origin: caller.origin.clone(),
        })
        .await?;
    let answer = Resolved {
        credential_id: *id,
        kind: row.kind.clone(),
        version: row.version,
        data,
        token_expires_at: row.token_expires_at,
        expires_at: row.expires_at,
    };
    // The body holds every value in full: written into a buffer that is zeroized when the
    // response has been sent and its bytes are dropped.
    // Sized first, so the buffer never grows (a growth would leave a copy behind unzeroized).
    let mut size = Counted(0);
    serde_json::to_writer(&mut size, &answer).map_err(ApiError::internal)?;
    let mut body = zeroize::Zeroizing::new(Vec::with_capacity(size.0));
    serde_json::to_writer(&mut *body, &answer).map_err(ApiError::internal)?;
    drop(answer);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .content_type("application/json")
        .body(web::Bytes::from_owner(ZeroizingBody(body))))
}

/// The full values of a resolve row: its config with its opened secrets.
fn open_resolved(
    state: &AppState,
    ws: Uuid,
    id: Uuid,
    row: &store::ResolveRow,
) -> Result<SecretDoc, ApiError> {
    let mut secrets = crate::credentials::open_sealed(
        state,
        ws,
        id,
        row.version,
        crate::credentials::SealedParts {
            kek_id: &row.kek_id,
            wrapped_dek: row.wrapped_dek.as_deref(),
            nonce: &row.nonce,
            ciphertext: &row.ciphertext,
        },
    )
    .map_err(|e| match e.code {
        ErrorCode::CredentialDeleted => ApiError::new(
            ErrorCode::CredentialDeleted,
            "the credential's keys were destroyed",
        ),
        _ => e,
    })?;
    let mut data = SecretDoc::new(row.config.as_object().cloned().unwrap_or_default());
    let names: Vec<String> = secrets.keys().cloned().collect();
    for name in names {
        if let Some(v) = secrets.remove(&name) {
            data.insert(name, v);
        }
    }
    Ok(data)
}

/// OAuth2 on the runtime path. A token that is missing or expires within 60 s is refreshed
/// first (one refresh across every instance; the others wait for its result). A token inside
/// its refresh-ahead window is served as it is and refreshed in the background. When the
/// provider refuses: 409 `credential_expired`; when it cannot be reached: the token is served
/// while it is still valid, else 503 `upstream_unavailable`.
async fn fresh_oauth(
    state: &State,
    caller: &crate::auth::Caller,
    id: Uuid,
    workflow: &str,
    row: Arc<store::ResolveRow>,
    data: SecretDoc,
) -> Result<(Arc<store::ResolveRow>, SecretDoc), ApiError> {
    use crate::oauth::{Failure, Outcome, Trigger};
    let ws = caller.workspace_id;
    let now = Utc::now();
    let has_token = data
        .get("access_token")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    let soon =
        now + chrono::Duration::seconds(credvault_domain::outbound::RESOLVE_REFRESH_WINDOW_SECS);
    if has_token && row.token_expires_at.is_none_or(|t| t > soon) {
        if row.token_expires_at.is_some_and(|t| {
            credvault_domain::outbound::refresh_due_at(row.token_obtained_at, t) <= now
        }) {
            crate::oauth::refresh_in_background(state, ws, id);
        }
        return Ok((row, data));
    }
    if !has_token && data.get("grant_type").and_then(Value::as_str) == Some("authorization_code") {
        return Err(ApiError::new(
            ErrorCode::ReauthorizationRequired,
            "the credential has no access token yet: a person must authorize it (POST /v1/credentials/{id}/oauth/authorize)",
        ));
    }
    let needed = super::connect::needs_refresh(row.version);
    match crate::oauth::ensure_fresh_shared(
        state,
        ws,
        id,
        Trigger::Resolve,
        &caller.actor,
        &caller.origin,
        needed,
    )
    .await?
    {
        Outcome::Fresh { .. } => {
            let client = state.pool.get().await?;
            let row = Arc::new(
                store::load_for_resolve(&client, ws, id, workflow)
                    .await?
                    .ok_or_else(|| ApiError::not_found("credential"))?,
            );
            drop(client);
            let data = open_resolved(state, ws, id, &row)?;
            Ok((row, data))
        }
        Outcome::Failed(Failure::Terminal(why)) => Err(ApiError::new(
            ErrorCode::CredentialExpired,
            format!("{why} (the credential is now expired)"),
        )),
        Outcome::Failed(Failure::Transient(why)) => {
            if has_token && row.token_expires_at.is_none_or(|t| t > now) {
                tracing::warn!(credential_id = %id, "serving a token close to expiry: its refresh failed");
                Ok((row, data))
            } else {
                Err(ApiError::new(
                    ErrorCode::UpstreamUnavailable,
                    format!("the access token has expired and cannot be refreshed now: {why}"),
                )
                .with_retry_after(30))
            }
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct UsageQuery {
    /// 1..365, default 30.
    pub days: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct DayCount {
    pub date: NaiveDate,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct WorkflowUsage {
    pub workflow_id: String,
    pub name: String,
    pub count: i64,
    pub last_used_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct UsageReport {
    pub total: i64,
    pub by_day: Vec<DayCount>,
    pub by_workflow: Vec<WorkflowUsage>,
}

/// How often a credential was resolved, per day and per workflow.
#[utoipa::path(tag = "credentials", operation_id = "get_credential_usage", summary = "A credential's usage", params(("id" = Uuid, Path, description = "Credential id"), UsageQuery), responses((status = 200, description = "Usage", body = UsageReport)))]
#[get("/credentials/{id}/usage")]
pub async fn usage(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
    q: web::Query<UsageQuery>,
) -> Result<web::Json<UsageReport>, ApiError> {
    let days = q.days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid("days must be between 1 and 365"));
    }
    let (cred, _) =
        svc::authorize(&state, &caller, *id, CredentialAction::SeeConfiguration).await?;
    let client = state.pool.get().await?;
    let (by_day, by_workflow) = store::usage(&client, caller.workspace_id, cred.id, days).await?;
    let total = by_day.iter().map(|(_, n)| n).sum();
    Ok(web::Json(UsageReport {
        total,
        by_day: by_day
            .into_iter()
            .map(|(date, count)| DayCount { date, count })
            .collect(),
        by_workflow: by_workflow
            .into_iter()
            .map(|(workflow_id, name, count, last_used_at)| WorkflowUsage {
                workflow_id,
                name,
                count,
                last_used_at,
            })
            .collect(),
    }))
}

/// Counts the bytes written to it.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A response body that is overwritten when actix drops it (after sending).
struct ZeroizingBody(zeroize::Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for ZeroizingBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
