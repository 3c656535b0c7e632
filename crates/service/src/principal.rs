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
