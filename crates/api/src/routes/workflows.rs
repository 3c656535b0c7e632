//! Workflows (registered by engines) and a credential's usage by them.

use std::sync::Arc;

use actix_web::{delete, get, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use credvault_domain::validate::Name;
use credvault_service::workflows::{self, Registration, Usage};
use credvault_store::workflows::WorkflowRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::credential_dto::OwnerRef;
use super::fields::Fields;
use super::page::PageQuery;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;

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
    #[schema(value_type = String, min_length = 1, max_length = 128)]
    pub name: Option<String>,
    /// The person the workflow runs as; its credentials are resolved with their access.
    #[schema(value_type = Uuid)]
    pub owner_id: Option<String>,
    /// Credentials of the workspace the workflow uses (default none).
    #[schema(value_type = Vec<Uuid>, required = false)]
    pub credential_ids: Option<Vec<String>>,
}

/// 1..128 characters of `[A-Za-z0-9._:-]`.
pub(super) fn valid_workflow_id(id: &str) -> bool {
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
    tag = "workflows", operation_id = "put_workflow", description = Doc::of(Action::WriteWorkflows).note("A person registers or changes only workflows they own (`owner_id` is them); an engine token does it for any owner of the workspace.").audits("records `workflow.upserted`"), summary = "Register or update a workflow", params(("workflow_id" = String, Path, description = "The engine's id: 1..128 of [A-Za-z0-9._:-]")),
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
    let registration = registration(path.into_inner(), &body)?;
    let (wf, created) = workflows::register(&state, &caller, registration).await?;
    let mut res = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(res.json(Workflow::from(wf)))
}

/// A registration as sent, its fields checked for form (whether its owner and credentials
/// exist is the service's to say).
fn registration(id: String, body: &PutWorkflow) -> Result<Registration, ApiError> {
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
    Ok(Registration {
        id,
        name,
        owner_id: owner,
        credential_ids: creds,
    })
}

/// Workflows of the workspace, by id.
#[utoipa::path(tag = "workflows", operation_id = "list_workflows", description = Doc::of(Action::ReadWorkflows).reads(), summary = "List workflows", params(PageQuery), responses((status = 200, description = "A page of workflows", body = WorkflowList)))]
#[get("/workflows")]
pub async fn list_workflows(
    state: State,
    caller: Authorized<need::ReadWorkflows>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<WorkflowList>, ApiError> {
    let limit = credvault_service::page::limit(page.limit)?;
    let cursor = page.cursor.as_deref();
    if cursor.is_some_and(|c| !valid_workflow_id(c)) {
        return Err(ApiError::invalid("cursor is not one this list gave out"));
    }
    let page = workflows::list(&state, &caller, cursor, limit).await?;
    let page = page.map(Workflow::from);
    Ok(web::Json(WorkflowList {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// One workflow.
#[utoipa::path(tag = "workflows", operation_id = "get_workflow", description = Doc::of(Action::ReadWorkflows).reads(), summary = "Get a workflow", params(("workflow_id" = String, Path, description = "The engine's id")), responses((status = 200, description = "The workflow", body = Workflow)))]
#[get("/workflows/{workflow_id}")]
pub async fn get_workflow(
    state: State,
    caller: Authorized<need::ReadWorkflows>,
    path: web::Path<String>,
) -> Result<web::Json<Workflow>, ApiError> {
    let id = workflow_id(&path)?;
    Ok(web::Json(workflows::get(&state, &caller, id).await?.into()))
}

/// Remove a workflow.
#[utoipa::path(tag = "workflows", operation_id = "delete_workflow", description = Doc::of(Action::WriteWorkflows).note("A person deletes only workflows they own, unless they have the workspace role `owner` or `admin`.").audits("records `workflow.deleted`"), summary = "Delete a workflow", params(("workflow_id" = String, Path, description = "The engine's id")), responses((status = 204, description = "Deleted")))]
#[delete("/workflows/{workflow_id}")]
pub async fn delete_workflow(
    state: State,
    caller: Authorized<need::WriteWorkflows>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = workflow_id(&path)?;
    workflows::delete(&state, &caller, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    #[param(minimum = 1, maximum = 365, default = 30)]
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
#[utoipa::path(tag = "credentials", operation_id = "get_credential_usage", description = Doc::of(Action::ReadCredentials).on_credential(CredentialAction::SeeConfiguration).reads(), summary = "A credential's usage", params(("id" = Uuid, Path, description = "Credential id"), UsageQuery), responses((status = 200, description = "Usage", body = UsageReport)))]
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
    let usage = workflows::usage(&state, &caller, *id, days).await?;
    Ok(web::Json(UsageReport::from(usage)))
}

impl From<Usage> for UsageReport {
    fn from(u: Usage) -> UsageReport {
        UsageReport {
            total: u.by_day.iter().map(|(_, n)| n).sum(),
            by_day: (u.by_day.into_iter())
                .map(|(date, count)| DayCount { date, count })
                .collect(),
            by_workflow: (u.by_workflow.into_iter())
                .map(|(workflow_id, name, count, last_used_at)| WorkflowUsage {
                    workflow_id,
                    name,
                    count,
                    last_used_at,
                })
                .collect(),
        }
    }
}
