//! The credential review: what a quarterly access review looks at, one list per rule.

use credvault_domain::credential_access::Access;
use credvault_store::credentials::{self as store, CredentialRow, ReviewSection};

use crate::{Principal, ServiceError, Services};

/// At most this many credentials per section.
const SECTION_LIMIT: i64 = 1000;

/// A credential in the review, with the reviewer's access to it.
pub type Reviewed = (CredentialRow, Access);

/// The review's sections, each up to 1000 credentials.
pub struct Review {
    pub unused: Vec<Reviewed>,
    pub rotation_overdue: Vec<Reviewed>,
    pub expiring_soon: Vec<Reviewed>,
    pub in_error: Vec<Reviewed>,
    /// Shared with the whole workspace at `manage`.
    pub broadly_shared: Vec<Reviewed>,
    /// Owned by a disabled user.
    pub orphaned: Vec<Reviewed>,
}

/// Credentials that need attention: not resolved in `unused_days` days (never-used ones count),
/// rotation overdue, expiring within `expiring_days` days, in error, broadly shared, orphaned.
pub async fn credential_review(
    services: &Services,
    caller: &Principal,
    unused_days: i32,
    expiring_days: i32,
) -> Result<Review, ServiceError> {
    // Reports are for owners, admins and auditors: their role gives them at least `view`.
    let role_access = caller
        .role()
        .and_then(credvault_domain::credential_access::role_access)
        .unwrap_or(Access::View);
    let me = caller.user_id();
    let client = services.pool.get().await?;
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
            rows.into_iter()
                .map(|c| {
                    let access = if Some(c.owner_id) == me {
                        Access::Owner
                    } else {
                        role_access
                    };
                    (c, access)
                })
                .collect::<Vec<_>>(),
        );
    }
    let mut it = sections.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Ok(Review {
        unused: next(),
        rotation_overdue: next(),
        expiring_soon: next(),
        in_error: next(),
        broadly_shared: next(),
        orphaned: next(),
    })
}
