//! Sharing a credential with a user, a team or the whole workspace.

use std::sync::Arc;

use actix_web::{delete, get, put, web, HttpResponse};
use credvault_service::credentials::sharing::{self, RequestedShare};
use credvault_store::credentials::ShareRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::credential_dto::Share;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::extract::IfMatch;
use crate::openapi::enums::{edge::SharePrincipalType, ShareAccessSchema};
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

#[derive(Serialize, ToSchema)]
pub struct ShareList {
    pub items: Vec<Share>,
}

#[derive(Deserialize, ToSchema)]
pub struct ShareInput {
    #[schema(value_type = SharePrincipalType)]
    pub principal_type: Option<String>,
    /// The user or team of the workspace; absent for `workspace`.
    #[schema(value_type = Uuid, required = false)]
    pub principal_id: Option<String>,
    #[schema(value_type = ShareAccessSchema)]
    pub access: Option<String>,
}

impl From<Vec<ShareRow>> for ShareList {
    fn from(shares: Vec<ShareRow>) -> ShareList {
        ShareList {
            items: shares.into_iter().map(Share::from).collect(),
        }
    }
}

impl ShareInput {
    /// The share as sent, for the service to check.
    fn requested(&self) -> RequestedShare<'_> {
        RequestedShare {
            principal_type: self.principal_type.as_deref(),
            principal_id: self.principal_id.as_deref(),
            access: self.access.as_deref(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ReplaceShares {
    /// The whole new set; an empty list removes every share. Each principal at most once.
    #[schema(value_type = Vec<ShareInput>)]
    pub shares: Option<Vec<ShareInput>>,
}

/// Who a credential is shared with.
#[utoipa::path(tag = "sharing", operation_id = "list_shares", description = Doc::of(Action::ReadCredentials).on_credential(CredentialAction::SeeConfiguration).reads(), summary = "List a credential's shares", params(("id" = Uuid, Path, description = "Credential id")), responses((status = 200, description = "Shares", body = ShareList)))]
#[get("/credentials/{id}/shares")]
pub async fn list_shares(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ShareList>, ApiError> {
    let shares = sharing::list(&state, &caller, *id).await?;
    Ok(web::Json(ShareList::from(shares)))
}

/// Replace every share of a credential.
#[utoipa::path(
    tag = "sharing", operation_id = "replace_shares", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::ChangeSharesOrTransfer).audits("records `credential.shares_changed`"), summary = "Replace a credential's shares", params(("id" = Uuid, Path, description = "Credential id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = ReplaceShares,
    responses(
        (status = 200, description = "The new shares", body = ShareList),
        crate::error::responses::Gone,
        crate::error::responses::PreconditionFailed,
    )
)]
#[put("/credentials/{id}/shares")]
pub async fn replace_shares(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    if_match: IfMatch,
    id: web::Path<Uuid>,
    body: web::Json<ReplaceShares>,
) -> Result<web::Json<ShareList>, ApiError> {
    let Some(inputs) = body.shares.as_ref() else {
        return Err(ApiError::field(
            "shares",
            "is required (an empty list removes every share)",
        ));
    };
    let requested: Vec<RequestedShare> = inputs.iter().map(ShareInput::requested).collect();
    let shares = sharing::replace(&state, &caller, *id, if_match.as_deref(), &requested).await?;
    Ok(web::Json(ShareList::from(shares)))
}

/// Remove one share.
#[utoipa::path(
    tag = "sharing", operation_id = "delete_share", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::ChangeSharesOrTransfer).audits("records `credential.shares_changed`"), summary = "Remove a share", params(("id" = Uuid, Path, description = "Credential id"), ("share_id" = Uuid, Path, description = "Share id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(
        (status = 204, description = "Removed"),
        crate::error::responses::Gone,
        crate::error::responses::PreconditionFailed,
    )
)]
#[delete("/credentials/{id}/shares/{share_id}")]
pub async fn delete_share(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    if_match: IfMatch,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, share_id) = path.into_inner();
    sharing::remove(&state, &caller, id, share_id, if_match.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
