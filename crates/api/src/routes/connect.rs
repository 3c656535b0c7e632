//! The connection test (its work in the service's `connect`).

use std::sync::Arc;

use actix_web::{post, web};
use chrono::{DateTime, Utc};
use credvault_service::connect;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

/// The result of a connection test. No secret appears in it.
#[derive(Serialize, ToSchema)]
pub struct TestResult {
    /// Whether the service answered one of the expected statuses.
    pub ok: bool,
    /// The service's HTTP status; null when no answer came.
    pub status_code: Option<u16>,
    pub latency_ms: Option<u64>,
    /// What went wrong, in words a person can act on; null when `ok`.
    pub error: Option<String>,
    pub tested_at: DateTime<Utc>,
}

/// Test the connection: call the credential's `test` request with the credential applied.
#[utoipa::path(
    tag = "credentials", operation_id = "test_credential", description = Doc::of(Action::ReadCredentials).on_credential(CredentialAction::SeeConfiguration).audits("records `credential.tested`, with outcome `failure` when the test fails"), summary = "Test a credential's connection", params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The result (also when the service refused: see `ok` and `error`)", body = TestResult),
        crate::error::responses::Gone,
        (status = 422, description = "The credential has no test request (`validation_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/test")]
pub async fn test_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
) -> Result<web::Json<TestResult>, ApiError> {
    let t = connect::test(&state, &caller, *id).await?;
    Ok(web::Json(TestResult {
        ok: t.error.is_none(),
        status_code: t.status_code,
        latency_ms: t.latency_ms,
        error: t.error,
        tested_at: t.tested_at,
    }))
}
