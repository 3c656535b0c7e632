//! The credential review: what a quarterly access review looks at.

use std::sync::Arc;

use actix_web::{get, web};
use credvault_service::reports::{self, Review, Reviewed};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::credential_dto::CredentialSummary;
use super::credentials::presentation;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Not resolved in this many days; never-used ones count.
    #[param(minimum = 0, maximum = 3650, default = 90)]
    pub unused_days: Option<i32>,
    /// Expiring within this many days.
    #[param(minimum = 0, maximum = 3650, default = 14)]
    pub expiring_days: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct CredentialReview {
    pub unused: Vec<CredentialSummary>,
    pub rotation_overdue: Vec<CredentialSummary>,
    pub expiring_soon: Vec<CredentialSummary>,
    pub in_error: Vec<CredentialSummary>,
    /// Shared with the whole workspace at `manage`.
    pub broadly_shared: Vec<CredentialSummary>,
    /// Owned by a disabled user.
    pub orphaned: Vec<CredentialSummary>,
}

/// Credentials that need attention, one list per rule (up to 1000 each).
#[utoipa::path(tag = "reports", operation_id = "credential_review", description = Doc::of(Action::ReadReports).reads(), summary = "Credential review report", params(ReviewQuery), responses((status = 200, description = "The review", body = CredentialReview)))]
#[get("/reports/credential-review")]
pub async fn credential_review(
    state: State,
    caller: Authorized<need::ReadReports>,
    q: web::Query<ReviewQuery>,
) -> Result<web::Json<CredentialReview>, ApiError> {
    let unused_days = q.unused_days.unwrap_or(90);
    let expiring_days = q.expiring_days.unwrap_or(14);
    if !(0..=3650).contains(&unused_days) || !(0..=3650).contains(&expiring_days) {
        return Err(ApiError::invalid(
            "unused_days and expiring_days must be between 0 and 3650",
        ));
    }
    let review = reports::credential_review(&state, &caller, unused_days, expiring_days).await?;
    Ok(web::Json(CredentialReview::from(review)))
}

/// Each section's credentials as summaries, with the reviewer's access.
fn summaries(section: &[Reviewed]) -> Vec<CredentialSummary> {
    section
        .iter()
        .map(|(c, access)| presentation::summary(c, *access))
        .collect()
}

impl From<Review> for CredentialReview {
    fn from(r: Review) -> CredentialReview {
        CredentialReview {
            unused: summaries(&r.unused),
            rotation_overdue: summaries(&r.rotation_overdue),
            expiring_soon: summaries(&r.expiring_soon),
            in_error: summaries(&r.in_error),
            broadly_shared: summaries(&r.broadly_shared),
            orphaned: summaries(&r.orphaned),
        }
    }
}
