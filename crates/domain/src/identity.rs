//! Who a caller is: workspace roles, API token kinds and scopes, and the rules for minting tokens.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A wire value that names none of an enum's variants; kept as data so the API can answer
/// `invalid_request` naming what it expected instead of a generic parse failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {value:?}: expected one of {expected}")]
pub struct UnknownValue {
    /// What the client sent, so the message shows their typo.
    pub value: String,
    /// The accepted spellings, comma separated.
    pub expected: &'static str,
}

/// Generates `as_str`, `Display` and `FromStr` from one table of wire names, so the three can
/// never disagree with each other or with serde.
macro_rules! wire_names {
    ($ty:ident, $expected:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The wire spelling, as stored in the database and sent in JSON.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Self::$variant),)+
                    _ => Err(UnknownValue { value: s.to_owned(), expected: $expected }),
                }
            }
        }
    };
}

/// A user's role in their workspace; it bounds everything the user, and any personal token of
/// theirs, may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Auditor,
}

wire_names!(Role, "owner, admin, member, auditor", {
    Owner => "owner", Admin => "admin", Member => "member", Auditor => "auditor",
});

impl Role {
    /// Every role, so tables and tests can iterate without missing one.
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Auditor];

    /// Owners and admins run the workspace (users, teams, engine tokens, every credential).
    pub const fn is_workspace_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// What an API token may do; a token is narrowed to its scopes on top of its principal's rights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "credentials:read")]
    CredentialsRead,
    #[serde(rename = "credentials:write")]
    CredentialsWrite,
    #[serde(rename = "credentials:resolve")]
    CredentialsResolve,
    #[serde(rename = "workflows:write")]
    WorkflowsWrite,
    #[serde(rename = "audit:read")]
    AuditRead,
    #[serde(rename = "admin")]
    Admin,
}

wire_names!(Scope, "credentials:read, credentials:write, credentials:resolve, workflows:write, audit:read, admin", {
    CredentialsRead => "credentials:read",
    CredentialsWrite => "credentials:write",
    CredentialsResolve => "credentials:resolve",
    WorkflowsWrite => "workflows:write",
    AuditRead => "audit:read",
    Admin => "admin",
});

impl Scope {
    /// Every scope, in wire-documentation order.
    pub const ALL: [Scope; 6] = [
        Scope::CredentialsRead,
        Scope::CredentialsWrite,
        Scope::CredentialsResolve,
        Scope::WorkflowsWrite,
        Scope::AuditRead,
        Scope::Admin,
    ];

    /// The scopes an engine token may hold: engines resolve, register workflows and read
    /// credential metadata, and nothing a person does.
    pub const ENGINE_ALLOWED: [Scope; 3] = [
        Scope::CredentialsResolve,
        Scope::WorkflowsWrite,
        Scope::CredentialsRead,
    ];
}

/// Whether a token acts as its user (personal) or as a service principal of the workspace (engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Personal,
    Engine,
}

wire_names!(TokenKind, "personal, engine", { Personal => "personal", Engine => "engine" });

impl TokenKind {
    /// Every kind, so tables and tests can iterate without missing one.
    pub const ALL: [TokenKind; 2] = [TokenKind::Personal, TokenKind::Engine];
}

/// Why a token request was refused; each message says what to change, and `field` names the
/// request field for the 422 `errors` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRuleError {
    #[error("list at least one scope")]
    NoScopes,
    #[error("scope {0} is listed more than once; list each scope once")]
    DuplicateScope(Scope),
    #[error("only workspace owners and admins can create engine tokens; create a personal token instead")]
    EngineNeedsAdmin,
    #[error(
        "a personal token cannot hold credentials:resolve; resolving is done by an engine token"
    )]
    ResolveOnPersonal,
    #[error("an engine token may hold only credentials:resolve, workflows:write and credentials:read; remove {0}")]
    NotForEngine(Scope),
    #[error(
        "a token cannot hold {scope} because your role ({role}) does not allow it; remove {scope}"
    )]
    AboveRole { scope: Scope, role: Role },
}

impl TokenRuleError {
    /// The request field at fault, for the problem body's `errors[].field`.
    pub fn field(&self) -> &'static str {
        match self {
            TokenRuleError::EngineNeedsAdmin => "kind",
            TokenRuleError::NoScopes
            | TokenRuleError::DuplicateScope(_)
            | TokenRuleError::ResolveOnPersonal
            | TokenRuleError::NotForEngine(_)
            | TokenRuleError::AboveRole { .. } => "scopes",
        }
    }
}

/// Checks a token request before anything is minted, so a token can never carry more than its
/// creator may grant; the first problem found is returned (kind before scopes).
pub fn validate_token_scopes(
    kind: TokenKind,
    creator_role: Role,
    scopes: &[Scope],
) -> Result<(), TokenRuleError> {
    if kind == TokenKind::Engine && !creator_role.is_workspace_admin() {
        return Err(TokenRuleError::EngineNeedsAdmin);
    }
    if scopes.is_empty() {
        return Err(TokenRuleError::NoScopes);
    }
    for (i, scope) in scopes.iter().enumerate() {
        if scopes[..i].contains(scope) {
            return Err(TokenRuleError::DuplicateScope(*scope));
        }
    }
    for &scope in scopes {
        match kind {
            TokenKind::Engine if !Scope::ENGINE_ALLOWED.contains(&scope) => {
                return Err(TokenRuleError::NotForEngine(scope));
            }
            TokenKind::Engine => {}
            TokenKind::Personal => personal_scope_allowed(creator_role, scope)?,
        }
    }
    Ok(())
}

fn personal_scope_allowed(role: Role, scope: Scope) -> Result<(), TokenRuleError> {
    let allowed = match scope {
        Scope::CredentialsResolve => return Err(TokenRuleError::ResolveOnPersonal),
        Scope::Admin => role.is_workspace_admin(),
        Scope::AuditRead => matches!(role, Role::Owner | Role::Admin | Role::Auditor),
        Scope::CredentialsRead | Scope::CredentialsWrite | Scope::WorkflowsWrite => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(TokenRuleError::AboveRole { scope, role })
    }
}

#[cfg(test)]
mod tests;

/// How long a session lasts: from sign-in however active (`max_age`), and without a refresh
/// (`idle`). Past either, its refresh token is refused and it is listed as expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub max_age: chrono::TimeDelta,
    pub idle: chrono::TimeDelta,
}

impl SessionLimits {
    pub fn hours(max_age: u64, idle: u64) -> SessionLimits {
        let h = |n: u64| chrono::TimeDelta::hours(i64::try_from(n).unwrap_or(i64::MAX / 3_600_000));
        SessionLimits {
            max_age: h(max_age),
            idle: h(idle),
        }
    }

    /// When a session that began at `created_at` and was last refreshed at `last_seen_at` ends.
    pub fn expires_at(
        &self,
        created_at: chrono::DateTime<chrono::Utc>,
        last_seen_at: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        let absolute = created_at.checked_add_signed(self.max_age);
        let idle = last_seen_at.checked_add_signed(self.idle);
        match (absolute, idle) {
            (Some(a), Some(i)) => a.min(i),
            (Some(t), None) | (None, Some(t)) => t,
            (None, None) => chrono::DateTime::<chrono::Utc>::MAX_UTC,
        }
    }

    pub fn is_expired(
        &self,
        created_at: chrono::DateTime<chrono::Utc>,
        last_seen_at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        self.expires_at(created_at, last_seen_at) <= now
    }
}

impl Default for SessionLimits {
    /// 720 hours (30 days) from sign-in, 168 hours (7 days) idle.
    fn default() -> Self {
        SessionLimits::hours(720, 168)
    }
}
