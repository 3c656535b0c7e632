//! Each operation's description says who may call it and what it records in the audit log. Who
//! may call is asked of the domain's policy functions (the ones the server decides with), for
//! every role, token kind and scope, so the text cannot drift from the rules.

use credvault_domain::credential_access::{
    decide, Access, AccessFacts, CredentialAction, CredentialDecision,
};
use credvault_domain::identity::{Role, Scope};
use credvault_domain::policy::{authorize, Action, Caller, Decision, DenyReason};

/// An operation's description, built a sentence at a time; `String::from` gives the text.
pub struct Doc(Vec<String>);

/// `a`, `a` or `b`, `a`, `b` or `c`: names in backticks.
fn either(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn allowed(caller: &Caller, action: Action) -> bool {
    authorize(caller, action) == Decision::Allow
}

/// The scopes any one of which lets `caller(scopes)` do `action`.
fn scopes_for(action: Action, caller: impl Fn(Vec<Scope>) -> Caller) -> Vec<&'static str> {
    Scope::ALL
        .into_iter()
        .filter(|s| allowed(&caller(vec![*s]), action))
        .map(Scope::as_str)
        .collect()
}

/// Who may do `action`: the roles, what a personal token of theirs needs, whether an engine
/// token may.
fn who(action: Action) -> String {
    let roles: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|role| allowed(&Caller::User { role: *role }, action))
        .collect();
    let engine = scopes_for(action, |scopes| Caller::Engine { scopes });
    let engine = match engine.as_slice() {
        [] => "engine tokens cannot".to_owned(),
        scopes => format!("an engine token with {}", either(scopes)),
    };
    let Some(&role) = roles.first() else {
        return format!("**Who:** no person, only {engine}.");
    };
    let every_scope = Caller::PersonalToken {
        role,
        scopes: Scope::ALL.to_vec(),
    };
    let no_scope = Caller::PersonalToken {
        role,
        scopes: vec![],
    };
    let personal = match authorize(&every_scope, action) {
        Decision::Deny(DenyReason::SessionOnly) => {
            "with a signed-in session only (not an API token)".to_owned()
        }
        Decision::Deny(_) => "not with a personal token".to_owned(),
        Decision::Allow if allowed(&no_scope, action) => "or a personal token of theirs".to_owned(),
        Decision::Allow => {
            let scopes = scopes_for(action, |scopes| Caller::PersonalToken { role, scopes });
            format!("or a personal token of theirs with {}", either(&scopes))
        }
    };
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let roles = if names.len() == Role::ALL.len() {
        "any user of the workspace".to_owned()
    } else {
        format!("workspace role {}", either(&names))
    };
    format!("**Who:** {roles}, {personal}; {engine}.")
}

const REFUSED: &str = "No access at all is a 404 and too little a 403, both recorded";
const SUMMARY_REFUSED: &str = "No access at all is a 404, recorded";
const RESOLVE_REFUSED: &str = "Without it the answer is a 403, recorded";
const ENGINE_USE: &str = " An engine token has `use` on every credential of its workspace.";

/// Who may do `action` on a credential: its owner, a share from some level up, and the workspace
/// roles that count, as the domain's `decide` answers for each.
fn credential_rule(action: CredentialAction) -> String {
    let allows = |role, share: Option<Access>| {
        let facts = AccessFacts {
            is_owner: false,
            share_levels: share.into_iter().collect(),
            role,
        };
        decide(&facts, action) == CredentialDecision::Allow
    };
    let least = Access::ALL
        .into_iter()
        .filter(|a| *a < Access::Owner)
        .find(|a| allows(Role::Member, Some(*a)));
    let roles: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| allows(*r, None))
        .map(Role::as_str)
        .collect();
    let mut who = vec!["the credential's owner".to_owned()];
    if let Some(a) = least {
        who.push(format!("a share of `{a}` or more"));
    }
    let (who, roles) = match roles.as_slice() {
        [] => (
            who.join(" or "),
            "; workspace roles do not count".to_owned(),
        ),
        names => (
            who.join(", "),
            format!(", or the workspace role {}", either(names)),
        ),
    };
    let (whose, refused, engines) = match action {
        CredentialAction::SeeSummary => ("", SUMMARY_REFUSED, ENGINE_USE),
        CredentialAction::SeeConfiguration => ("", REFUSED, ENGINE_USE),
        CredentialAction::Resolve => (" (of the workflow's owner)", RESOLVE_REFUSED, ""),
        _ => ("", REFUSED, ""),
    };
    format!(
        "**Credential access{whose}:** {who}{roles}.{engines} {refused} as `credential.access_denied`."
    )
}

impl Doc {
    /// Anyone, without a bearer token.
    pub fn public() -> Doc {
        Doc(vec!["**Who:** anyone, without a bearer token.".to_owned()])
    }

    /// Anyone with a valid token, whatever it may do.
    pub fn any_token() -> Doc {
        Doc(vec![
            "**Who:** any valid token: a session's or an API token, whatever its scopes."
                .to_owned(),
        ])
    }

    /// Who may call is who the policy lets do `action`.
    pub fn of(action: Action) -> Doc {
        Doc(vec![who(action)])
    }

    /// Who may call for a variant of the operation (`what`) that needs another `action`.
    pub fn and_for(mut self, what: &str, action: Action) -> Doc {
        let text = who(action).replacen("**Who:**", &format!("**Who, for {what}:**"), 1);
        self.0.push(text);
        self
    }

    /// And on the credential in the path, what `action` needs.
    pub fn on_credential(mut self, action: CredentialAction) -> Doc {
        self.0.push(credential_rule(action));
        self
    }

    /// Anything else the caller needs to know first.
    pub fn note(mut self, text: &str) -> Doc {
        self.0.push(text.to_owned());
        self
    }

    /// What a success records in the audit log.
    pub fn audits(mut self, text: &str) -> Doc {
        self.0.push(format!("**Audit log:** {text}."));
        self
    }

    /// A read: nothing is recorded (but a refusal on a credential, above).
    pub fn reads(self) -> Doc {
        self.audits("records nothing")
    }
}

impl From<Doc> for String {
    fn from(d: Doc) -> String {
        d.0.join("\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(d: Doc) -> String {
        d.into()
    }

    /// API.md's roles and scopes, as the descriptions come out of the policy.
    #[test]
    fn who_says_what_the_policy_allows() {
        let audit = text(Doc::of(Action::ReadAudit));
        assert!(audit.contains("`owner`, `admin` or `auditor`"), "{audit}");
        assert!(audit.contains("with `audit:read`") && audit.contains("engine tokens cannot"));
        let resolve = text(Doc::of(Action::ResolveCredentials));
        assert_eq!(
            resolve,
            "**Who:** no person, only an engine token with `credentials:resolve`."
        );
        let logout = text(Doc::of(Action::ManageOwnSessions));
        assert!(logout.contains("signed-in session only"), "{logout}");
        let engine = text(Doc::of(Action::CreateEngineToken));
        assert!(engine.contains("workspace role `owner`,"), "{engine}");
        let me = text(Doc::of(Action::ReadSelf));
        assert!(me.contains("any user of the workspace, or a personal token of theirs;"));
    }

    #[test]
    fn credential_access_says_what_decide_allows() {
        let manage = credential_rule(CredentialAction::Manage);
        assert!(
            manage
                .contains("a share of `manage` or more, or the workspace role `owner` or `admin`."),
            "{manage}"
        );
        let share = credential_rule(CredentialAction::ChangeSharesOrTransfer);
        assert!(
            share.contains("the credential's owner, or the workspace role `owner` or `admin`."),
            "{share}"
        );
        let resolve = credential_rule(CredentialAction::Resolve);
        assert!(
            resolve.contains("a share of `use` or more; workspace roles do not count"),
            "{resolve}"
        );
        let view = credential_rule(CredentialAction::SeeConfiguration);
        assert!(
            view.contains("`view` or more, or the workspace role `owner`, `admin` or `auditor`"),
            "{view}"
        );
    }
}
