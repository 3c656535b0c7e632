//! Who acts and from where: what every audit event says of its author. Defined apart from both
//! the authentication (which makes them) and the audit writer (which records them).

use uuid::Uuid;

/// Who did it.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `user`, `token`, `engine`, `system` or `anonymous`.
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub display: Option<String>,
    /// For a personal token: its user (goes to `details.user_id`).
    pub user_id: Option<Uuid>,
}

impl Actor {
    pub fn anonymous() -> Actor {
        Actor {
            kind: "anonymous",
            id: None,
            display: None,
            user_id: None,
        }
    }
}

/// Where the request came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// Who acts in a request: a person (by session or personal token) or an engine, in one
/// workspace, with what the policy function needs to decide, and what audit events say of them.
#[derive(Debug, Clone)]
pub struct Principal {
    pub workspace_id: Uuid,
    /// The person behind a session or a personal token.
    pub user: Option<credvault_store::identity::UserRow>,
    pub session_id: Option<Uuid>,
    pub token: Option<credvault_store::identity::TokenRow>,
    pub policy: credvault_domain::policy::Caller,
    pub actor: Actor,
    pub origin: Origin,
}

impl Principal {
    pub fn user_id(&self) -> Option<Uuid> {
        self.user.as_ref().map(|u| u.id)
    }

    pub fn role(&self) -> Option<credvault_domain::identity::Role> {
        self.user.as_ref().and_then(|u| u.role.parse().ok())
    }

    /// The user of a session or personal token; engines have none.
    pub fn person(&self) -> Result<&credvault_store::identity::UserRow, crate::ServiceError> {
        self.user.as_ref().ok_or_else(|| {
            crate::ServiceError::Forbidden("this endpoint is for people, not engine tokens".into())
        })
    }
}
