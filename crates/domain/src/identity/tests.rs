use super::*;
use Scope::*;
use TokenKind::*;

#[test]
fn wire_names_round_trip_through_from_str_and_serde() {
    for role in Role::ALL {
        assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        let json = serde_json::to_string(&role).unwrap();
        assert_eq!(json, format!("\"{role}\""));
        assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), role);
    }
    for scope in Scope::ALL {
        assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
        let json = serde_json::to_string(&scope).unwrap();
        assert_eq!(json, format!("\"{scope}\""));
        assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), scope);
    }
    for kind in TokenKind::ALL {
        assert_eq!(kind.as_str().parse::<TokenKind>().unwrap(), kind);
        assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
    }
    assert_eq!(CredentialsResolve.as_str(), "credentials:resolve");
}

#[test]
fn unknown_values_name_what_was_expected() {
    let err = "Owner".parse::<Role>().unwrap_err();
    assert_eq!(err.value, "Owner");
    assert_eq!(
        err.to_string(),
        "unknown value \"Owner\": expected one of owner, admin, member, auditor"
    );
    assert!("credentials_read".parse::<Scope>().is_err());
    assert!("service".parse::<TokenKind>().is_err());
}

#[test]
fn token_scope_rules() {
    use TokenRuleError as E;
    type Case = (TokenKind, Role, &'static [Scope], Result<(), E>);
    let cases: &[Case] = &[
        (
            Personal,
            Role::Member,
            &[CredentialsRead, CredentialsWrite, WorkflowsWrite],
            Ok(()),
        ),
        (Personal, Role::Member, &[], Err(E::NoScopes)),
        (
            Personal,
            Role::Member,
            &[CredentialsRead, CredentialsRead],
            Err(E::DuplicateScope(CredentialsRead)),
        ),
        (
            Personal,
            Role::Owner,
            &[CredentialsResolve],
            Err(E::ResolveOnPersonal),
        ),
        (
            Personal,
            Role::Member,
            &[Admin],
            Err(E::AboveRole {
                scope: Admin,
                role: Role::Member,
            }),
        ),
        (
            Personal,
            Role::Auditor,
            &[Admin],
            Err(E::AboveRole {
                scope: Admin,
                role: Role::Auditor,
            }),
        ),
        (Personal, Role::Admin, &[Admin, AuditRead], Ok(())),
        (Personal, Role::Owner, &[Admin], Ok(())),
        (
            Personal,
            Role::Member,
            &[AuditRead],
            Err(E::AboveRole {
                scope: AuditRead,
                role: Role::Member,
            }),
        ),
        (
            Personal,
            Role::Auditor,
            &[AuditRead, CredentialsRead],
            Ok(()),
        ),
        (
            Engine,
            Role::Owner,
            &[CredentialsResolve, WorkflowsWrite, CredentialsRead],
            Ok(()),
        ),
        (Engine, Role::Admin, &[CredentialsResolve], Ok(())),
        (
            Engine,
            Role::Admin,
            &[CredentialsResolve, CredentialsWrite],
            Err(E::NotForEngine(CredentialsWrite)),
        ),
        (
            Engine,
            Role::Owner,
            &[AuditRead],
            Err(E::NotForEngine(AuditRead)),
        ),
        (Engine, Role::Owner, &[Admin], Err(E::NotForEngine(Admin))),
        (
            Engine,
            Role::Member,
            &[CredentialsResolve],
            Err(E::EngineNeedsAdmin),
        ),
        (
            Engine,
            Role::Auditor,
            &[CredentialsResolve],
            Err(E::EngineNeedsAdmin),
        ),
        (Engine, Role::Owner, &[], Err(E::NoScopes)),
        (
            Engine,
            Role::Owner,
            &[WorkflowsWrite, WorkflowsWrite],
            Err(E::DuplicateScope(WorkflowsWrite)),
        ),
    ];
    for (kind, role, scopes, expected) in cases {
        assert_eq!(
            &validate_token_scopes(*kind, *role, scopes),
            expected,
            "{kind} token by {role} with {scopes:?}"
        );
    }
}

#[test]
fn errors_point_at_the_right_field() {
    assert_eq!(TokenRuleError::EngineNeedsAdmin.field(), "kind");
    assert_eq!(TokenRuleError::NoScopes.field(), "scopes");
    assert_eq!(TokenRuleError::ResolveOnPersonal.field(), "scopes");
    let msg = TokenRuleError::AboveRole {
        scope: Admin,
        role: Role::Member,
    }
    .to_string();
    assert!(msg.contains("admin") && msg.contains("member"), "{msg}");
}

#[test]
fn a_session_ends_at_the_earlier_of_its_absolute_and_idle_limits() {
    use chrono::{TimeDelta, TimeZone, Utc};
    let limits = SessionLimits::hours(720, 168);
    let t0 = Utc
        .with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
        .single()
        .expect("time");
    // Refreshed daily: the absolute limit ends it, 30 days after sign-in.
    let last = t0 + TimeDelta::days(29) + TimeDelta::hours(23);
    assert_eq!(limits.expires_at(t0, last), t0 + TimeDelta::days(30));
    assert!(!limits.is_expired(t0, last, t0 + TimeDelta::days(30) - TimeDelta::seconds(1)));
    assert!(limits.is_expired(t0, last, t0 + TimeDelta::days(30)));
    // Left alone: the idle limit ends it, 7 days after the last refresh.
    let last = t0 + TimeDelta::days(2);
    assert_eq!(limits.expires_at(t0, last), last + TimeDelta::days(7));
    assert!(limits.is_expired(t0, last, last + TimeDelta::days(7)));
    assert!(!limits.is_expired(t0, last, last + TimeDelta::days(6)));
    assert_eq!(SessionLimits::default(), limits);
}
