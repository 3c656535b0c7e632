//! Listing the credentials a caller may see, with their access to each.

use credvault_domain::credential_access::{role_access, Access};
use credvault_store::credentials::{self as store, After, CredentialRow, ListFilter, Sort, Viewer};

use crate::{Principal, ServiceError, Services};

/// One page of credentials (up to `limit`, one more to tell there is a next page), each with
/// the caller's access rank and its name key for cursors.
pub async fn list(
    services: &Services,
    caller: &Principal,
    filter: &ListFilter,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<(CredentialRow, i32, String)>, ServiceError> {
    let client = services.pool.get().await?;
    let teams = match caller.user_id() {
        Some(u) => store::team_ids_of(&client, caller.workspace_id, u).await?,
        None => Vec::new(),
    };
    // Engines see every credential at `use`; a person's role may give every one a level.
    let role_rank = match caller.user {
        None => Some(Access::Use.rank()),
        Some(_) => caller.role().and_then(role_access).map(Access::rank),
    };
    let viewer = Viewer {
        user: caller.user_id(),
        teams: &teams,
        role_rank,
    };
    Ok(store::list(
        &client,
        caller.workspace_id,
        &viewer,
        filter,
        sort,
        after,
        limit,
    )
    .await?)
}
