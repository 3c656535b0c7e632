//! Response bodies shared by several resources.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use credvault_service::identity::sessions::Tokens;
use credvault_service::identity::users::Profile;
use credvault_store::identity::{TeamRow, UserRow};
use secrecy::ExposeSecret;

use crate::openapi::enums::{edge, RoleSchema};

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
    #[schema(value_type = RoleSchema)]
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

impl From<Profile> for User {
    fn from(p: Profile) -> User {
        User::from_row(p.user, p.teams)
    }
}

/// A session's tokens: a 15-minute access token and a single-use refresh token.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    #[schema(value_type = edge::TokenType)]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
    pub session_id: Uuid,
}

impl From<Tokens> for TokenPair {
    fn from(t: Tokens) -> TokenPair {
        TokenPair {
            access_token: t.access_token,
            token_type: "Bearer".into(),
            expires_in: t.expires_in,
            refresh_token: t.refresh_token.expose_secret().to_string(),
            session_id: t.session_id,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditActor {
    #[serde(rename = "type")]
    #[schema(value_type = edge::ActorType)]
    pub kind: String,
    pub id: Option<Uuid>,
    pub display: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditTarget {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
}

/// One audit event; `hash` = SHA-256(`prev_hash` ‖ canonical event), hex.
#[derive(Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: Uuid,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    pub action: String,
    pub target: AuditTarget,
    #[schema(value_type = edge::AuditOutcome)]
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl From<credvault_store::audit::StoredEvent> for AuditEvent {
    fn from(e: credvault_store::audit::StoredEvent) -> Self {
        AuditEvent {
            id: e.id,
            seq: e.seq,
            at: e.at,
            actor: AuditActor {
                kind: e.actor_type,
                id: e.actor_id,
                display: e.actor_display,
            },
            action: e.action,
            target: AuditTarget {
                kind: e.target_type,
                id: e.target_id,
                name: e.target_name,
            },
            outcome: e.outcome,
            ip: e.ip,
            user_agent: e.user_agent,
            request_id: e.request_id,
            details: e.details,
            prev_hash: hex(&e.prev_hash),
            hash: hex(&e.hash),
        }
    }
}
