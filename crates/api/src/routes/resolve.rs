//! The runtime path: a credential's full values for a workflow run, recorded (audit event and
//! usage) before they are sent, OAuth2 tokens refreshed first when they need it.

use std::sync::Arc;

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::credential::{is_field_name, SecretDoc};
use credvault_service::resolve::{self as runtime, Resolution, Run};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::credential_types::{register, typed, Family};
use super::fields::Fields;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::credential_data::Way;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, ToSchema)]
pub struct ResolveRequest {
    /// The workflow the values are for: registered in the workspace, its owner needs `use`.
    #[schema(value_type = String, min_length = 1, max_length = 128, pattern = "^[A-Za-z0-9._:-]+$")]
    pub workflow_id: Option<String>,
    /// The engine's id for this run, recorded in the audit event.
    #[schema(value_type = String, min_length = 1, max_length = 256, required = false)]
    pub execution_id: Option<String>,
    /// One field's value alone, answered as `text/plain; charset=utf-8` with no trailing
    /// newline (for CI scripts: `curl -fsS`). An oauth2 credential's `access_token` is a field
    /// (refreshed first when due); its `scopes` come as one line, separated by spaces. A field
    /// the credential does not have: 422 on `field`. Recorded in the audit event.
    #[schema(
        value_type = String,
        required = false,
        min_length = 1,
        max_length = 64,
        pattern = "^[A-Za-z0-9_.-]{1,64}$",
        example = "access_token"
    )]
    pub field: Option<String>,
}

// Its schema holds what every type shares; `type` and `data` are described per type by
// `ResolvedBody`.
/// What a resolve answers whatever the type: every value in full (only resolve returns secrets).
#[derive(Serialize, ToSchema)]
#[schema(as = ResolvedFields)]
pub struct Resolved {
    pub credential_id: Uuid,
    #[serde(rename = "type")]
    #[schema(ignore)]
    pub kind: String,
    /// The version whose values these are.
    pub version: i32,
    #[schema(ignore)]
    pub data: SecretDoc,
    /// oauth2: when the access token expires.
    pub token_expires_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A resolve's JSON answer, by `type`.
pub struct ResolvedBody;

const RESOLVED: Family = Family {
    description: "A credential's values in full for a workflow run, by its `type`.",
    member: |t| format!("Resolved{t}"),
    shared: |out| vec![register::<Resolved>(out)],
    own: |kind| typed(kind, Way::Output, "Every field in full.").required("data"),
};

crate::one_schema_per_credential_type!(ResolvedBody = "Resolved", RESOLVED);

/// The runtime path: a credential's full values for a workflow run, recorded before they are sent.
#[utoipa::path(
    tag = "workflows", operation_id = "resolve_credential", summary = "Resolve a credential for a workflow run", params(("id" = Uuid, Path, description = "Credential id")),
    description = Doc::of(Action::ResolveCredentials).on_credential(CredentialAction::Resolve).note("The workflow must be registered in the workspace; `field` asks for one value as text.").audits("records `credential.used` and counts the use before answering (with `field` too); a refresh on the way records `credential.refreshed` or `credential.refresh_failed`"),
    request_body = ResolveRequest,
    responses(
        (status = 200, description = "Full values: every one as JSON, or with `field` that one value alone as text, with no trailing newline",
            headers(("Cache-Control" = String, description = "`no-store`: keep the values out of every cache")),
            content(
            (ResolvedBody = "application/json"),
            (String = "text/plain", example = "sk_live_51HxExampleKey0042"),
        )),
        (status = 409, description = "The credential has expired, or its provider refused a refresh (`credential_expired`); an oauth2 credential never authorized (`reauthorization_required`)", body = crate::error::Problem, content_type = "application/problem+json"),
        crate::error::responses::Gone,
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
    let run = run_of(&body)?;
    let resolution = runtime::resolve(&state.services, &caller, *id, run).await?;
    present(*id, resolution)
}

/// Every value as JSON, or the one field asked for as text; either way from a buffer that is
/// zeroized once sent.
fn present(id: Uuid, resolution: Resolution) -> Result<HttpResponse, ApiError> {
    match resolution {
        Resolution::Whole { row, data } => zeroized_json(Resolved {
            credential_id: id,
            kind: row.kind.clone(),
            version: row.version,
            data,
            token_expires_at: row.token_expires_at,
            expires_at: row.expires_at,
        }),
        Resolution::Field(mut text) => {
            let bytes = std::mem::take(&mut *text).into_bytes();
            Ok(no_store("text/plain; charset=utf-8", Zeroizing::new(bytes)))
        }
    }
}

/// The run a resolve is for: its workflow (required), execution id and field, checked for form.
/// A bad field name is not repeated in the error: it may be a secret pasted in the wrong place.
fn run_of(body: &ResolveRequest) -> Result<Run, ApiError> {
    let mut f = Fields::default();
    let workflow = f.required("workflow_id", body.workflow_id.as_deref(), |w: &str| {
        if super::workflows::valid_workflow_id(w) {
            Ok(w.to_string())
        } else {
            Err("must be 1 to 128 characters of [A-Za-z0-9._:-]")
        }
    });
    let execution = f.optional("execution_id", body.execution_id.as_deref(), execution_id);
    let field = f.optional("field", body.field.as_deref(), |name: &str| {
        if is_field_name(name) {
            Ok(name.to_string())
        } else {
            Err("must be the name of one of the credential's fields: 1 to 64 letters, digits, '_', '.' or '-'")
        }
    });
    match (workflow, execution, field) {
        (Some(workflow), Some(execution), Some(field)) => Ok(Run {
            workflow,
            execution,
            field,
            version: None,
        }),
        _ => Err(f.into_error()),
    }
}

/// An engine's id of a run, checked for form: 1 to 256 printable characters.
pub(super) fn execution_id(x: &str) -> Result<String, &'static str> {
    if !x.is_empty() && x.len() <= 256 && !x.chars().any(char::is_control) {
        Ok(x.to_string())
    } else {
        Err("must be 1 to 256 printable characters")
    }
}

/// The answer with every value in full: written into a buffer that is zeroized when the
/// response has been sent and its bytes are dropped. Sized first, so the buffer never grows (a
/// growth would leave a copy behind unzeroized).
pub(super) fn zeroized_json(answer: impl Serialize) -> Result<HttpResponse, ApiError> {
    let mut size = Counted(0);
    serde_json::to_writer(&mut size, &answer).map_err(ApiError::internal)?;
    let mut body = Zeroizing::new(Vec::with_capacity(size.0));
    serde_json::to_writer(&mut *body, &answer).map_err(ApiError::internal)?;
    drop(answer);
    Ok(no_store("application/json", body))
}

/// A 200 answer of full values: not to be cached, and its bytes overwritten once sent.
fn no_store(content_type: &str, body: Zeroizing<Vec<u8>>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .content_type(content_type)
        .body(web::Bytes::from_owner(ZeroizingBody(body)))
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
struct ZeroizingBody(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for ZeroizingBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
