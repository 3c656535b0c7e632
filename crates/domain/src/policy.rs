//! The workspace-level access policy: one pure function answers every role and scope question,
//! so handlers never re-derive the rules and the whole policy is testable as one table.
//!
//! Per-credential access (ownership, shares) is a separate question, answered by
//! [`crate::credential_access`] once this policy has let the caller in.

use std::fmt;

use crate::identity::{Role, Scope};

/// The principal behind a request, reduced to what the policy looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A signed-in user with a session access token.
    User { role: Role },
    /// A personal API token: it acts as its user (whose current `role` is given), narrowed to
    /// its scopes.
    PersonalToken { role: Role, scopes: Vec<Scope> },
    /// An engine token: a service principal of the workspace, not a person.
    Engine { scopes: Vec<Scope> },
}

/// A workspace-level operation, grouped by the rights it needs rather than by endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `GET /v1/me`, listing one's own sessions.
    ReadSelf,
    /// Logout, revoking sessions, changing the password: only with a session, never a token.
    ManageOwnSessions,
    /// Listing and reading users and teams.
    ReadDirectory,
    /// Creating, updating and erasing users.
    ManageUsers,
    /// Creating, renaming and deleting teams, and their membership.
    ManageTeams,
    /// Listing one's API tokens.
    ListTokens,
    /// Minting a personal token.
    CreatePersonalToken,
    /// Minting an engine token.
    CreateEngineToken,
    /// Revoking one's own API token.
    RevokeToken,
    /// Listing and reading credentials (per-credential access decided separately).
    ReadCredentials,
    /// Creating, updating, rotating, deleting and sharing credentials.
    WriteCredentials,
    /// Resolving a credential's secret values for a workflow run.
    ResolveCredentials,
    /// Registering, updating and deleting workflows.
    WriteWorkflows,
    /// Listing and reading workflows.
    ReadWorkflows,
    /// Reading, exporting and verifying the audit log.
    ReadAudit,
    /// The credential review report.
    ReadReports,
    /// `GET /v1/me/export`: everything stored about the caller, for the person only (a session),
    /// never through an API token, whatever its scopes.
    ExportSelf,
    /// Creating, reading, changing and deleting webhooks, and their deliveries.
    ManageWebhooks,
}

impl Action {
    /// Every action, so tests can prove the policy table covers them all.
    pub const ALL: [Action; 18] = [
        Action::ReadSelf,
        Action::ManageOwnSessions,
        Action::ReadDirectory,
        Action::ManageUsers,
        Action::ManageTeams,
        Action::ListTokens,
        Action::CreatePersonalToken,
        Action::CreateEngineToken,
        Action::RevokeToken,
        Action::ReadCredentials,
        Action::WriteCredentials,
        Action::ResolveCredentials,
        Action::WriteWorkflows,
        Action::ReadWorkflows,
        Action::ReadAudit,
        Action::ReadReports,
        Action::ExportSelf,
        Action::ManageWebhooks,
    ];
}

/// The policy's answer; a denial says why, so the 403 can tell the caller what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

impl Decision {
    /// Lets handlers write `if !authorize(..).is_allowed()` when they do not need the reason.
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Why a caller was refused; all are 403 `forbidden`, and the Display text is the problem detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// The user's workspace role does not allow the action, whatever the token's scopes.
    Role,
    /// The role allows it, but the API token was not given this scope.
    MissingScope(Scope),
    /// The role allows it, but the API token holds neither of these scopes.
    MissingOneOf(Scope, Scope),
    /// The action needs a signed-in session, not an API token.
    SessionOnly,
    /// Engine tokens act for a workflow engine and cannot do what only people do.
    NotForEngines,
    /// Only an engine token can do this (resolve): people never receive secrets in full.
    EngineOnly,
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DenyReason::Role => f.write_str("your workspace role does not allow this"),
            DenyReason::MissingScope(scope) => {
                write!(
                    f,
                    "this token lacks the {scope} scope; create a token that has it"
                )
            }
            DenyReason::MissingOneOf(a, b) => write!(
                f,
                "this token holds neither the {a} nor the {b} scope; create a token with one of them"
            ),
            DenyReason::SessionOnly => f.write_str(
                "API tokens cannot manage sessions or passwords; sign in and use the session",
            ),
            DenyReason::NotForEngines => {
                f.write_str("engine tokens cannot do this; use a user session or a personal token")
            }
            DenyReason::EngineOnly => {
                f.write_str("only an engine token with the credentials:resolve scope can do this")
            }
        }
    }
}

/// Decides whether `caller` may perform `action` in their workspace. Role comes before scope, so
/// a token that could never be allowed is told about the role rather than a scope it cannot get.
pub fn authorize(caller: &Caller, action: Action) -> Decision {
    match caller {
        Caller::User { role } => role_allows(*role, action),
        Caller::PersonalToken { role, scopes } => {
            if matches!(action, Action::ManageOwnSessions | Action::ExportSelf) {
                return Decision::Deny(DenyReason::SessionOnly);
            }
            if let Decision::Deny(reason) = role_allows(*role, action) {
                return Decision::Deny(reason);
            }
            // The directory (users and teams, with their emails) is read by tokens that read
            // credentials (to share them) or administer the workspace, not by any token.
            if action == Action::ReadDirectory {
                let (a, b) = (Scope::CredentialsRead, Scope::Admin);
                return if scopes.contains(&a) || scopes.contains(&b) {
                    Decision::Allow
                } else {
                    Decision::Deny(DenyReason::MissingOneOf(a, b))
                };
            }
            match personal_scope(action) {
                Some(scope) if !scopes.contains(&scope) => {
                    Decision::Deny(DenyReason::MissingScope(scope))
                }
                _ => Decision::Allow,
            }
        }
        Caller::Engine { scopes } => match engine_scope(action) {
            None => Decision::Deny(DenyReason::NotForEngines),
            Some(scope) if !scopes.contains(&scope) => {
                Decision::Deny(DenyReason::MissingScope(scope))
            }
            Some(_) => Decision::Allow,
        },
    }
}

/// What a user's role allows, before any token narrowing.
fn role_allows(role: Role, action: Action) -> Decision {
    use Action::*;
    let allowed = match action {
        ReadSelf | ManageOwnSessions | ReadDirectory | ReadWorkflows | ListTokens | RevokeToken
        | CreatePersonalToken | ReadCredentials | ExportSelf => true,
        ManageUsers | ManageTeams | ManageWebhooks => role.is_workspace_admin(),
        // An engine token acts for every workflow owner of the workspace: an owner's act.
        CreateEngineToken => role == Role::Owner,
        ReadAudit | ReadReports => matches!(role, Role::Owner | Role::Admin | Role::Auditor),
        WriteCredentials | WriteWorkflows => {
            matches!(role, Role::Owner | Role::Admin | Role::Member)
        }
        ResolveCredentials => return Decision::Deny(DenyReason::EngineOnly),
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny(DenyReason::Role)
    }
}

/// The scope a personal token needs on top of its user's role; `None` when any token may.
fn personal_scope(action: Action) -> Option<Scope> {
    use Action::*;
    match action {
        ReadSelf | ReadDirectory | ReadWorkflows | ManageOwnSessions | ResolveCredentials
        | ExportSelf => None,
        ReadCredentials => Some(Scope::CredentialsRead),
        WriteCredentials => Some(Scope::CredentialsWrite),
        WriteWorkflows => Some(Scope::WorkflowsWrite),
        ReadAudit | ReadReports => Some(Scope::AuditRead),
        ManageUsers | ManageTeams | CreateEngineToken | CreatePersonalToken | ListTokens
        | RevokeToken | ManageWebhooks => Some(Scope::Admin),
    }
}

/// The scope an engine token needs; `None` when engines may not do it at all.
fn engine_scope(action: Action) -> Option<Scope> {
    use Action::*;
    match action {
        ResolveCredentials => Some(Scope::CredentialsResolve),
        WriteWorkflows | ReadWorkflows => Some(Scope::WorkflowsWrite),
        ReadCredentials => Some(Scope::CredentialsRead),
        ReadSelf | ManageOwnSessions | ReadDirectory | ManageUsers | ManageTeams | ListTokens
        | CreatePersonalToken | CreateEngineToken | RevokeToken | WriteCredentials | ReadAudit
        | ReadReports | ExportSelf | ManageWebhooks => None,
    }
}

#[cfg(test)]
mod tests;
