//! The credential review: what a quarterly access review looks at.

use std::sync::Arc;

use actix_web::{get, web};
use credvault_domain::credential_access::Access;
use credvault_domain::identity::Role;
use credvault_store::credentials::{self as store, ReviewSection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::credential_dto::CredentialSummary;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

/// At most this many credentials per section.
const SECTION_LIMIT: i64 = 1000;

#[derive(Deserialize, IntoParams)]
pub struct ReviewQuery {
    /// Not resolved in this many days (0..3650, default 90); never-used ones count.
    pub unused_days: Option<i32>,
    /// Expiring within this many days (0..3650, default 14).
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
#[utoipa::path(tag = "reports", operation_id = "credential_review", summary = "Credential review report", params(ReviewQuery), responses((status = 200, description = "The review", body = CredentialReview)))]
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
    let role_access = match caller.role() {
        Some(Role::Owner | Role::Admin) => Access::Manage,
        _ => Access::View,
    };
    let me = caller.user_id();
    let client = state.pool.get().await?;
    let mut sections = Vec::new();
    for s in [
        ReviewSection::Unused { days: unused_days },
        ReviewSection::RotationOverdue,
        ReviewSection::ExpiringSoon {
            days: expiring_days,
        },
        ReviewSection::InError,
        ReviewSection::BroadlyShared,
        ReviewSection::Orphaned,
    ] {
        let rows = store::review(&client, caller.workspace_id, s, SECTION_LIMIT).await?;
        sections.push(
            rows.iter()
                .map(|c| {
                    crate::routes::credentials::presentation::summary(
                        c,
                        if Some(c.owner_id) == me {
                            Access::Owner
                        } else {
                            role_access
                        },
                    )
                })
                .collect::<Vec<_>>(),
        );
    }
    let mut it = sections.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Ok(web::Json(CredentialReview {
        unused: next(),
        rotation_overdue: next(),
        expiring_soon: next(),
        in_error: next(),
        broadly_shared: next(),
        orphaned: next(),
    }))
}
