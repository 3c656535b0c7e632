use super::*;
use Action::*;
use Scope::{
    Admin, AuditRead, CredentialsRead as CRead, CredentialsResolve, CredentialsWrite,
    WorkflowsWrite,
};

const Y: Decision = Decision::Allow;
const ROLE: Decision = Decision::Deny(DenyReason::Role);
const SESS: Decision = Decision::Deny(DenyReason::SessionOnly);
const ENG: Decision = Decision::Deny(DenyReason::NotForEngines);
const ONLY: Decision = Decision::Deny(DenyReason::EngineOnly);
const fn miss(scope: Scope) -> Decision {
    Decision::Deny(DenyReason::MissingScope(scope))
}

/// The caller kinds of the table's columns, in order.
const COLUMNS: [&str; 8] = [
    "owner user",
    "admin user",
    "member user",
    "auditor user",
    "member token with the scope",
    "member token without it",
    "engine with the scope",
    "engine without it",
];

/// One row per action: the scope a personal token needs, the scope an engine needs (None: none /
/// not allowed), then the expected decision for each column of `COLUMNS`.
/// "with the scope" holds exactly that scope (every scope when none is needed); "without it"
/// holds every other scope (none when none is needed), so no other scope can stand in for it.
type Row = (Action, Option<Scope>, Option<Scope>, [Decision; 8]);

#[rustfmt::skip]
const TABLE: [Row; 18] = [
    //                                              owner admin member auditor | tok+  tok-                | eng+ eng-
    (ReadSelf,            None,           None,             [Y, Y, Y, Y,          Y,    Y,                   ENG, ENG]),
    (ManageOwnSessions,   None,           None,             [Y, Y, Y, Y,          SESS, SESS,                ENG, ENG]),
    // tok+ holds credentials:read, tok- every other scope, admin among them: either will do (a
    // token with neither is in `the_directory_needs_credentials_read_or_admin`).
    (ReadDirectory,       Some(CRead),    None,             [Y, Y, Y, Y,          Y,    Y,                   ENG, ENG]),
    (ManageUsers,         Some(Admin),    None,             [Y, Y, ROLE, ROLE,    ROLE, ROLE,                ENG, ENG]),
    (ManageTeams,         Some(Admin),    None,             [Y, Y, ROLE, ROLE,    ROLE, ROLE,                ENG, ENG]),
    (ListTokens,          Some(Admin),    None,             [Y, Y, Y, Y,          Y,    miss(Admin),         ENG, ENG]),
    (CreatePersonalToken, Some(Admin),    None,             [Y, Y, Y, Y,          Y,    miss(Admin),         ENG, ENG]),
    (CreateEngineToken,   Some(Admin),    None,             [Y, ROLE, ROLE, ROLE, ROLE, ROLE,                ENG, ENG]),
    (RevokeToken,         Some(Admin),    None,             [Y, Y, Y, Y,          Y,    miss(Admin),         ENG, ENG]),
    (ReadCredentials,     Some(CRead),    Some(CRead),      [Y, Y, Y, Y,          Y,    miss(CRead),         Y,   miss(CRead)]),
    (WriteCredentials,    Some(CredentialsWrite), None,     [Y, Y, Y, ROLE,       Y,    miss(CredentialsWrite), ENG, ENG]),
    (ResolveCredentials,  None,           Some(CredentialsResolve), [ONLY, ONLY, ONLY, ONLY, ONLY, ONLY,     Y,   miss(CredentialsResolve)]),
    (WriteWorkflows,      Some(WorkflowsWrite), Some(WorkflowsWrite), [Y, Y, Y, ROLE, Y,  miss(WorkflowsWrite), Y, miss(WorkflowsWrite)]),
    (ReadWorkflows,       None,           Some(WorkflowsWrite), [Y, Y, Y, Y,      Y,    Y,                   Y,   miss(WorkflowsWrite)]),
    (ReadAudit,           Some(AuditRead), None,            [Y, Y, ROLE, Y,       ROLE, ROLE,                ENG, ENG]),
    (ReadReports,         Some(AuditRead), None,            [Y, Y, ROLE, Y,       ROLE, ROLE,                ENG, ENG]),
    (ExportSelf,          None,           None,             [Y, Y, Y, Y,          SESS, SESS,                ENG, ENG]),
    (ManageWebhooks,      Some(Admin),    None,             [Y, Y, ROLE, ROLE,    ROLE, ROLE,                ENG, ENG]),
];

fn with(scope: Option<Scope>) -> Vec<Scope> {
    match scope {
        Some(s) => vec![s],
        None => Scope::ALL.to_vec(),
    }
}

fn without(scope: Option<Scope>) -> Vec<Scope> {
    match scope {
        Some(s) => Scope::ALL.into_iter().filter(|x| *x != s).collect(),
        None => Vec::new(),
    }
}

fn callers(token_scope: Option<Scope>, engine_scope: Option<Scope>) -> [Caller; 8] {
    [
        Caller::User { role: Role::Owner },
        Caller::User { role: Role::Admin },
        Caller::User { role: Role::Member },
        Caller::User {
            role: Role::Auditor,
        },
        Caller::PersonalToken {
            role: Role::Member,
            scopes: with(token_scope),
        },
        Caller::PersonalToken {
            role: Role::Member,
            scopes: without(token_scope),
        },
        Caller::Engine {
            scopes: with(engine_scope),
        },
        Caller::Engine {
            scopes: without(engine_scope),
        },
    ]
}

#[test]
fn policy_table() {
    let mut checked = 0;
    for (action, token_scope, engine_scope, expected) in TABLE {
        for ((caller, want), column) in callers(token_scope, engine_scope)
            .iter()
            .zip(expected)
            .zip(COLUMNS)
        {
            assert_eq!(
                authorize(caller, action),
                want,
                "{action:?} by {column} ({caller:?})"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, Action::ALL.len() * COLUMNS.len());
}

#[test]
fn table_covers_every_action_exactly_once() {
    for action in Action::ALL {
        let rows = TABLE.iter().filter(|row| row.0 == action).count();
        assert_eq!(rows, 1, "{action:?} must have exactly one row in TABLE");
    }
}

/// A new Action variant fails to compile here until it is added to `Action::ALL` (and then
/// `table_covers_every_action_exactly_once` fails until it has a row).
#[test]
fn action_all_lists_every_variant() {
    for (i, action) in Action::ALL.into_iter().enumerate() {
        let position = match action {
            ReadSelf => 0,
            ManageOwnSessions => 1,
            ReadDirectory => 2,
            ManageUsers => 3,
            ManageTeams => 4,
            ListTokens => 5,
            CreatePersonalToken => 6,
            CreateEngineToken => 7,
            RevokeToken => 8,
            ReadCredentials => 9,
            WriteCredentials => 10,
            ResolveCredentials => 11,
            WriteWorkflows => 12,
            ReadWorkflows => 13,
            ReadAudit => 14,
            ReadReports => 15,
            ExportSelf => 16,
            ManageWebhooks => 17,
        };
        assert_eq!(i, position, "{action:?}");
    }
}

#[test]
fn tokens_of_admins_and_auditors_are_narrowed_by_scope() {
    let admin = |scopes: Vec<Scope>| Caller::PersonalToken {
        role: Role::Admin,
        scopes,
    };
    assert_eq!(authorize(&admin(vec![Admin]), ManageUsers), Y);
    // An engine token acts for every workflow owner: an admin's token, whatever its scopes,
    // cannot make one.
    assert_eq!(authorize(&admin(vec![Admin]), CreateEngineToken), ROLE);
    let owner = Caller::PersonalToken {
        role: Role::Owner,
        scopes: vec![Admin],
    };
    assert_eq!(authorize(&owner, CreateEngineToken), Y);
    assert_eq!(
        authorize(&admin(vec![CRead, CredentialsWrite]), ManageTeams),
        miss(Admin)
    );
    assert_eq!(authorize(&admin(vec![Admin]), ReadCredentials), miss(CRead));

    let auditor = |scopes: Vec<Scope>| Caller::PersonalToken {
        role: Role::Auditor,
        scopes,
    };
    assert_eq!(authorize(&auditor(vec![AuditRead]), ReadAudit), Y);
    assert_eq!(authorize(&auditor(vec![AuditRead]), ReadReports), Y);
    assert_eq!(authorize(&auditor(vec![CRead]), ReadAudit), miss(AuditRead));
    // Role before scope: an auditor's token never writes, whatever it holds.
    assert_eq!(
        authorize(&auditor(Scope::ALL.to_vec()), WriteCredentials),
        ROLE
    );
}

#[test]
fn denials_say_what_to_change() {
    assert_eq!(
        DenyReason::MissingScope(CredentialsWrite).to_string(),
        "this token lacks the credentials:write scope; create a token that has it"
    );
    assert!(DenyReason::Role.to_string().contains("role"));
    assert!(DenyReason::SessionOnly.to_string().contains("sign in"));
    assert!(DenyReason::NotForEngines.to_string().contains("engine"));
    assert!(DenyReason::EngineOnly
        .to_string()
        .contains("credentials:resolve"));
    assert!(Y.is_allowed() && !ROLE.is_allowed());
}

#[test]
fn the_directory_needs_credentials_read_or_admin() {
    let token = |scopes: Vec<Scope>| Caller::PersonalToken {
        role: Role::Owner,
        scopes,
    };
    assert_eq!(authorize(&token(vec![CRead]), ReadDirectory), Y);
    assert_eq!(authorize(&token(vec![Admin]), ReadDirectory), Y);
    let neither = authorize(
        &token(vec![AuditRead, WorkflowsWrite, CredentialsWrite]),
        ReadDirectory,
    );
    assert_eq!(
        neither,
        Decision::Deny(DenyReason::MissingOneOf(CRead, Admin))
    );
    let Decision::Deny(reason) = neither else {
        unreachable!()
    };
    assert!(
        reason.to_string().contains("credentials:read") && reason.to_string().contains("admin")
    );
}
