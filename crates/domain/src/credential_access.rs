//! Per-credential access: API.md's "Roles and credential access" table as one pure function, so
//! every credential endpoint answers 404/403 the same way and the table is tested in one place.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::identity::{Role, UnknownValue};

/// A caller's level on one credential, lowest first: the derived order is the precedence order,
/// so "highest of" is `max` and "at least" is `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// May be used by the caller's workflows; sees the summary only.
    Use,
    /// Sees configuration (secrets masked), usage, versions and history.
    View,
    /// May change, rotate, delete and restore it.
    Manage,
    /// Created it (or received it by transfer); never granted by a share.
    Owner,
}

impl Access {
    /// Every level, lowest first.
    pub const ALL: [Access; 4] = [Access::Use, Access::View, Access::Manage, Access::Owner];

    /// The level the store ranks as 1 (use) to 4 (owner), as list and resolve queries return
    /// it; anything below 2 is `use`.
    pub const fn from_rank(rank: i32) -> Access {
        match rank {
            4.. => Access::Owner,
            3 => Access::Manage,
            2 => Access::View,
            _ => Access::Use,
        }
    }

    /// The store's rank of a level: [`Access::from_rank`] backwards.
    pub const fn rank(self) -> i32 {
        match self {
            Access::Use => 1,
            Access::View => 2,
            Access::Manage => 3,
            Access::Owner => 4,
        }
    }

    /// The wire spelling, as in `CredentialSummary.access` and share rows.
    pub const fn as_str(self) -> &'static str {
        match self {
            Access::Use => "use",
            Access::View => "view",
            Access::Manage => "manage",
            Access::Owner => "owner",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Access {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "use" => Ok(Access::Use),
            "view" => Ok(Access::View),
            "manage" => Ok(Access::Manage),
            "owner" => Ok(Access::Owner),
            _ => Err(UnknownValue {
                value: s.to_owned(),
                expected: "use, view, manage, owner",
            }),
        }
    }
}

/// Everything the policy needs to know about one caller and one credential, gathered by the
/// store so the decision itself stays pure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessFacts {
    /// The caller owns the credential.
    pub is_owner: bool,
    /// Levels of the shares that reach the caller: to them, to a team they are in, or to the
    /// whole workspace. Shares grant at most `Manage`; an `Owner` here counts as `Manage`.
    pub share_levels: Vec<Access>,
    /// The caller's workspace role.
    pub role: Role,
}

/// A share can never make someone the owner, whatever a caller put in the list.
fn best_share(share_levels: &[Access]) -> Option<Access> {
    share_levels.iter().map(|a| (*a).min(Access::Manage)).max()
}

/// What a workspace role alone gives on every credential: owners and admins manage, auditors
/// view, members nothing.
pub const fn role_access(role: Role) -> Option<Access> {
    match role {
        Role::Owner | Role::Admin => Some(Access::Manage),
        Role::Auditor => Some(Access::View),
        Role::Member => None,
    }
}

/// The caller's effective level (shown as `access` in summaries); `None` means the credential
/// does not exist for them.
pub fn effective_access(f: &AccessFacts) -> Option<Access> {
    let from_role = role_access(f.role);
    let from_ownership = f.is_owner.then_some(Access::Owner);
    [from_ownership, best_share(&f.share_levels), from_role]
        .into_iter()
        .flatten()
        .max()
}

/// The level that counts for resolve: only ownership and shares, never the workspace role, so a
/// workspace admin cannot wire someone's credential into their own workflows.
pub fn resolve_access(is_owner: bool, share_levels: &[Access]) -> Option<Access> {
    if is_owner {
        Some(Access::Owner)
    } else {
        best_share(share_levels)
    }
}

/// What is being done to a credential, grouped by the level it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialAction {
    /// See it in lists and read its summary.
    SeeSummary,
    /// Configuration (secrets masked), usage, connected workflows, versions, its audit history,
    /// testing the connection.
    SeeConfiguration,
    /// Update, rotate, restore a version, refresh, re-authorize, delete, restore.
    Manage,
    /// Change its shares or transfer its ownership.
    ChangeSharesOrTransfer,
    /// Be resolved for a workflow; the facts are then about the workflow's owner.
    Resolve,
}

impl CredentialAction {
    /// Every action, so tests can cover the whole table.
    pub const ALL: [CredentialAction; 5] = [
        CredentialAction::SeeSummary,
        CredentialAction::SeeConfiguration,
        CredentialAction::Manage,
        CredentialAction::ChangeSharesOrTransfer,
        CredentialAction::Resolve,
    ];
}

/// The outcome, already split the way the API answers: 404 hides that the credential exists,
/// 403 tells a caller who can see it that their level is too low. Both are audited as
/// `credential.access_denied`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialDecision {
    Allow,
    /// The caller has no access at all: answer 404 as if it did not exist.
    NotFound,
    /// The caller can see it but not do this: answer 403.
    Forbidden,
}

/// Decides one action on one credential from the facts; no access at all is always `NotFound`.
pub fn decide(f: &AccessFacts, action: CredentialAction) -> CredentialDecision {
    let Some(effective) = effective_access(f) else {
        return CredentialDecision::NotFound;
    };
    let allowed = match action {
        CredentialAction::SeeSummary => true,
        CredentialAction::SeeConfiguration => effective >= Access::View,
        CredentialAction::Manage => effective >= Access::Manage,
        CredentialAction::ChangeSharesOrTransfer => f.is_owner || f.role.is_workspace_admin(),
        CredentialAction::Resolve => resolve_access(f.is_owner, &f.share_levels).is_some(),
    };
    if allowed {
        CredentialDecision::Allow
    } else {
        CredentialDecision::Forbidden
    }
}

#[cfg(test)]
mod tests;
