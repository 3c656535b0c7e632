//! Response bodies shared by several resources.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use credvault_store::identity::{TeamRow, UserRow};

#[derive(Serialize, ToSchema)]
pub struct TeamRef {
    pub id: Uuid,
    pub name: String,
}

/// A person in a workspace.
#[derive(Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// `owner`, `admin`, `member` or `auditor`.
    pub role: String,
    pub workspace_id: Uuid,
    pub teams: Vec<TeamRef>,
    pub created_at: DateTime<Utc>,
    pub disabled: bool,
}

impl User {
    pub fn from_row(u: UserRow, teams: Vec<TeamRow>) -> User {
        User {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            workspace_id: u.workspace_id,
            teams: teams
                .into_iter()
                .map(|t| TeamRef {
                    id: t.id,
                    name: t.name,
                })
                .collect(),
            created_at: u.created_at,
            disabled: u.disabled,
        }
    }
}

/// A session's tokens: a 15-minute access token and a single-use refresh token.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
    pub session_id: Uuid,
}
