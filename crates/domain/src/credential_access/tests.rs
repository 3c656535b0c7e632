use super::*;
use CredentialAction as A;
use CredentialDecision::{Allow, Forbidden, NotFound};

fn facts(role: Role, is_owner: bool, share: Option<Access>) -> AccessFacts {
    AccessFacts {
        is_owner,
        share_levels: share.into_iter().collect(),
        role,
    }
}

/// API.md's table, read row by row, written independently of `decide`.
fn expected(role: Role, is_owner: bool, share: Option<Access>, action: A) -> CredentialDecision {
    let admin = matches!(role, Role::Owner | Role::Admin);
    let auditor = role == Role::Auditor;
    let any_access = is_owner || share.is_some() || admin || auditor;
    if !any_access {
        return NotFound;
    }
    let at_least_view =
        is_owner || admin || auditor || matches!(share, Some(Access::View | Access::Manage));
    let at_least_manage = is_owner || admin || share == Some(Access::Manage);
    let ok = match action {
        A::SeeSummary => true,
        A::SeeConfiguration => at_least_view,
        A::Manage => at_least_manage,
        A::ChangeSharesOrTransfer => is_owner || admin,
        // Only the owner and shares count for resolve; any share is at least `use`.
        A::Resolve => is_owner || share.is_some(),
    };
    if ok {
        Allow
    } else {
        Forbidden
    }
}

#[test]
fn decide_matches_the_api_table_for_every_combination() {
    let shares = [
        None,
        Some(Access::Use),
        Some(Access::View),
        Some(Access::Manage),
    ];
    let mut checked = 0;
    for role in Role::ALL {
        for is_owner in [false, true] {
            for share in shares {
                for action in A::ALL {
                    assert_eq!(
                        decide(&facts(role, is_owner, share), action),
                        expected(role, is_owner, share, action),
                        "{role} owner={is_owner} share={share:?} {action:?}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 4 * 5);
}

#[test]
fn explicit_rows() {
    let auditor = facts(Role::Auditor, false, None);
    assert_eq!(decide(&auditor, A::SeeConfiguration), Allow);
    assert_eq!(decide(&auditor, A::Manage), Forbidden);
    assert_eq!(decide(&auditor, A::ChangeSharesOrTransfer), Forbidden);
    assert_eq!(decide(&auditor, A::Resolve), Forbidden);

    let admin = facts(Role::Admin, false, None);
    assert_eq!(decide(&admin, A::Manage), Allow);
    assert_eq!(decide(&admin, A::ChangeSharesOrTransfer), Allow);
    assert_eq!(decide(&admin, A::Resolve), Forbidden);

    let user = facts(Role::Member, false, Some(Access::Use));
    assert_eq!(decide(&user, A::SeeSummary), Allow);
    assert_eq!(decide(&user, A::SeeConfiguration), Forbidden);
    assert_eq!(decide(&user, A::Resolve), Allow);

    let stranger = facts(Role::Member, false, None);
    for action in A::ALL {
        assert_eq!(decide(&stranger, action), NotFound, "{action:?}");
    }

    let manager = facts(Role::Member, false, Some(Access::Manage));
    assert_eq!(decide(&manager, A::Manage), Allow);
    assert_eq!(decide(&manager, A::ChangeSharesOrTransfer), Forbidden);

    let owner = facts(Role::Member, true, None);
    for action in A::ALL {
        assert_eq!(decide(&owner, action), Allow, "{action:?}");
    }
}

#[test]
fn effective_access_is_the_highest_source() {
    let mut f = facts(Role::Member, false, None);
    assert_eq!(effective_access(&f), None);
    f.share_levels = vec![Access::Use, Access::Manage, Access::View];
    assert_eq!(effective_access(&f), Some(Access::Manage));
    f.share_levels = vec![Access::Use];
    f.role = Role::Auditor;
    assert_eq!(effective_access(&f), Some(Access::View));
    f.role = Role::Owner;
    assert_eq!(effective_access(&f), Some(Access::Manage));
    f.is_owner = true;
    assert_eq!(effective_access(&f), Some(Access::Owner));
}

#[test]
fn a_share_never_confers_ownership() {
    let f = facts(Role::Member, false, Some(Access::Owner));
    assert_eq!(effective_access(&f), Some(Access::Manage));
    assert_eq!(decide(&f, A::ChangeSharesOrTransfer), Forbidden);
    assert_eq!(
        resolve_access(false, &[Access::Owner]),
        Some(Access::Manage)
    );
}

#[test]
fn resolve_ignores_the_workspace_role() {
    assert_eq!(resolve_access(false, &[]), None);
    assert_eq!(
        resolve_access(false, &[Access::Use, Access::View]),
        Some(Access::View)
    );
    assert_eq!(resolve_access(true, &[]), Some(Access::Owner));
}

#[test]
fn levels_are_ordered_and_spelled_as_on_the_wire() {
    assert!(Access::Use < Access::View && Access::View < Access::Manage);
    assert!(Access::Manage < Access::Owner);
    for a in [Access::Use, Access::View, Access::Manage, Access::Owner] {
        assert_eq!(a.as_str().parse::<Access>().unwrap(), a);
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
    }
    assert!("admin".parse::<Access>().is_err());
}

#[test]
fn store_ranks_map_to_levels() {
    assert_eq!(Access::from_rank(4), Access::Owner);
    assert_eq!(Access::from_rank(3), Access::Manage);
    assert_eq!(Access::from_rank(2), Access::View);
    assert_eq!(Access::from_rank(1), Access::Use);
    assert_eq!(Access::from_rank(0), Access::Use);
}

#[test]
fn ranks_go_both_ways_and_roles_give_what_the_table_says() {
    for a in [Access::Use, Access::View, Access::Manage, Access::Owner] {
        assert_eq!(Access::from_rank(a.rank()), a);
    }
    assert_eq!(role_access(Role::Owner), Some(Access::Manage));
    assert_eq!(role_access(Role::Admin), Some(Access::Manage));
    assert_eq!(role_access(Role::Auditor), Some(Access::View));
    assert_eq!(role_access(Role::Member), None);
}
