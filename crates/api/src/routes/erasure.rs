//! Erasing a user (GDPR): what they own handed over or destroyed, their shares, sessions and
//! tokens gone, and their personal data in audit events replaced by a pseudonym.

use std::sync::Arc;

use actix_web::{delete, web, HttpResponse};
use credvault_service::identity::erasure;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EraseQuery {
    /// Who receives the user's credentials and workflows; without it they are destroyed.
    pub transfer_to: Option<String>,
}

/// Erase a user (GDPR): credentials and workflows transferred, or destroyed (keys shredded) and
/// deleted; sessions and tokens gone; personal data in audit events replaced by a pseudonym (the
/// chain still verifies).
#[utoipa::path(
    tag = "users", operation_id = "erase_user", description = Doc::of(Action::ManageUsers).note("The last owner cannot be erased (409).").audits("records `user.erased`, `credential.transferred` or `credential.purged` for each credential the user owned, `workflow.upserted` or `workflow.deleted` for each workflow, `credential.shares_changed` where shares to the user end, and `token.revoked`; the user's personal data in earlier events is replaced by a pseudonym"), summary = "Erase a user", params(("id" = Uuid, Path, description = "User id"), EraseQuery),
    responses(
        (status = 204, description = "Erased"),
        (status = 409, description = "The workspace's last owner (`conflict`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`transfer_to` is not another enabled user of the workspace (`validation_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/users/{id}")]
pub async fn erase_user(
    state: State,
    caller: Authorized<need::ManageUsers>,
    id: web::Path<Uuid>,
    q: web::Query<EraseQuery>,
) -> Result<HttpResponse, ApiError> {
    let transfer_to = q
        .transfer_to
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|_| ApiError::field("transfer_to", "is not a user id"))?;
    erasure::erase(&state, &caller, *id, transfer_to).await?;
    Ok(HttpResponse::NoContent().finish())
}
