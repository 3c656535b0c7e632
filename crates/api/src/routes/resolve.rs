//! The runtime path: a credential's full values for a workflow run, recorded (audit event and
//! usage) before they are sent, OAuth2 tokens refreshed first when they need it.

use std::sync::Arc;

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::credential::{self as rules, SecretDoc, Status};
use credvault_domain::credential_access::{resolve_access, Access};
use credvault_store::workflows as store;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::fields::Fields;
use crate::audit::{self, Event};
use crate::auth::{need, Authorized};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::usage::Used;
use credvault_service::ServiceError;

type State = web::Data<Arc<AppState>>;

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
        if super::workflows::valid_workflow_id(w) {
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
    .map_err(|e| match e {
        ServiceError::Deleted(_) => {
            ServiceError::Deleted("the credential's keys were destroyed".into())
        }
        e => e,
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
