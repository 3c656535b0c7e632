//! Updating a credential: metadata, and data merged field by field.

use super::*;
use crate::openapi::rights::Doc;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;
use credvault_service::credentials::change;

/// Update a credential: metadata, and `data` merged field by field (a secret change makes a new version).
#[utoipa::path(
    tag = "credentials", operation_id = "update_credential", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::Manage).audits("records `credential.updated`"), summary = "Update a credential", params(("id" = Uuid, Path, description = "Credential id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateCredential,
    responses(
        (status = 200, description = "The credential", body = Credential),
        crate::error::responses::Gone,
        crate::error::responses::PreconditionFailed,
        (status = 422, description = "Invalid fields, or a destination (`test.url`, `data.token_url`, `data.authorization_url`) moved to another origin, or a secret `{{field}}` added to the test, without the secret sent again (`validation_failed`, the entry naming the secret to send)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/credentials/{id}")]
pub async fn update_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    if_match: IfMatch,
    id: web::Path<Uuid>,
    body: web::Json<UpdateCredential>,
) -> Result<HttpResponse, ApiError> {
    let changes = input::changes(body.into_inner())?;
    let view = change::update(&state, &caller, *id, if_match.as_deref(), changes).await?;
    Ok(presentation::respond(&view, StatusCode::OK)?.0)
}
