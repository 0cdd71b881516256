//! Given identity events, when a fact arrives, then these events (or this refusal).

use super::*;
use crate::identity::{Effect, IdentityEvent};
use std::collections::BTreeSet;

fn t() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn given(events: Vec<IdentityEvent>) -> Identity {
    let mut identity = Identity::default();
    events.iter().for_each(|e| identity.apply(e));
    identity
}

fn when(identity: &Identity, fact: IdentityFact) -> Result<Vec<IdentityEvent>, &'static str> {
    identity.check(&fact).map_err(|r| r.code)?;
    Ok(identity.decide(&fact))
}

fn register(id: &str, email: &str) -> IdentityEvent {
    IdentityEvent::UserRegistered {
        user_id: id.into(),
        email: email.into(),
        name: None,
        external_subject: None,
        at: t(),
        by: None,
    }
}

fn assign(id: &str, role: &str, by: &str) -> IdentityEvent {
    IdentityEvent::RoleAssigned {
        user_id: id.into(),
        role: role.into(),
        account: None,
        at: t(),
        by: Some(by.into()),
    }
}

fn status(id: &str, active: bool, by: &str) -> IdentityEvent {
    IdentityEvent::UserStatusSet {
        user_id: id.into(),
        active,
        at: t(),
        by: Some(by.into()),
    }
}

/// An install set up by `root`, with `ann` an agent.
fn installed() -> Identity {
    let setup = when(
        &Identity::default(),
        IdentityFact::Setup(register("root", "root@example.com")),
    )
    .unwrap();
    let mut identity = given(setup);
    for e in [
        register("ann", "ann@example.com"),
        assign("ann", "agent", "root"),
    ] {
        identity.apply(&e);
    }
    identity
}

#[test]
fn the_first_user_becomes_admin_after_the_default_roles_are_defined() {
    let events = when(
        &Identity::default(),
        IdentityFact::Setup(register("root", "root@example.com")),
    )
    .unwrap();
    let roles: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            IdentityEvent::RoleDefined { role, .. } => Some(role.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(roles, ["admin", "supervisor", "agent", "viewer"]);
    assert_eq!(events[4], register("root", "root@example.com"));
    assert!(
        matches!(&events[5], IdentityEvent::RoleAssigned { user_id, role, account: None, .. } if user_id == "root" && role == "admin")
    );
    let identity = given(events);
    assert_eq!(
        identity.access().effective("root", None).len(),
        Permission::ALL.len()
    );
}

#[test]
fn setup_is_refused_once_anyone_exists() {
    let identity = installed();
    assert_eq!(
        when(
            &identity,
            IdentityFact::Setup(register("eve", "eve@example.com"))
        ),
        Err("already_set_up")
    );
}

#[test]
fn emails_are_unique_whatever_their_case() {
    let identity = installed();
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(register("ann2", "ANN@example.com"))
        ),
        Err("email_taken")
    );
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(register("x", "not-an-email"))
        ),
        Err("invalid_email")
    );
}

#[test]
fn default_roles_are_seeded_once_and_a_deleted_one_stays_deleted() {
    let seeded = when(
        &Identity::default(),
        IdentityFact::SeedDefaultRoles { at: t() },
    )
    .unwrap();
    assert_eq!(seeded.len(), 4);
    let mut identity = given(seeded);
    identity.apply(&IdentityEvent::RoleDeleted {
        role: "viewer".into(),
        at: t(),
        by: Some("root".into()),
    });
    assert_eq!(
        when(&identity, IdentityFact::SeedDefaultRoles { at: t() }),
        Ok(vec![])
    );
}

#[test]
fn assignments_need_an_existing_user_and_role() {
    let identity = installed();
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(assign("nobody", "agent", "root"))
        ),
        Err("unknown_user")
    );
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(assign("ann", "ghost", "root"))
        ),
        Err("unknown_role")
    );
    // Assigning what is already assigned records nothing.
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(assign("ann", "agent", "root"))
        ),
        Ok(vec![])
    );
}

#[test]
fn a_role_in_use_cannot_be_deleted_and_a_taken_name_cannot_be_created() {
    let identity = installed();
    let delete = IdentityEvent::RoleDeleted {
        role: "agent".into(),
        at: t(),
        by: Some("root".into()),
    };
    assert_eq!(
        when(&identity, IdentityFact::Change(delete)),
        Err("role_in_use")
    );
    let create = |role: &str| IdentityEvent::RoleDefined {
        role: role.into(),
        permissions: [Permission::MessagesView].into(),
        at: t(),
        by: Some("root".into()),
    };
    assert_eq!(
        when(&identity, IdentityFact::CreateRole(create("agent"))),
        Err("role_exists")
    );
    assert_eq!(
        when(&identity, IdentityFact::CreateRole(create("Night Shift"))),
        Err("invalid_role_name")
    );
    assert_eq!(
        when(&identity, IdentityFact::Change(create("night"))),
        Err("unknown_role")
    );
    assert_eq!(
        when(&identity, IdentityFact::CreateRole(create("night"))),
        Ok(vec![create("night")])
    );
}

#[test]
fn nobody_can_remove_the_last_admin_or_disable_themselves() {
    let identity = installed();
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(status("root", false, "root"))
        ),
        Err("cannot_disable_self")
    );
    let unassign = IdentityEvent::RoleUnassigned {
        user_id: "root".into(),
        role: "admin".into(),
        account: None,
        at: t(),
        by: Some("root".into()),
    };
    assert_eq!(
        when(&identity, IdentityFact::Change(unassign.clone())),
        Err("last_admin")
    );
    let deny = IdentityEvent::OverrideSet {
        user_id: "root".into(),
        permission: Permission::UsersManage,
        account: None,
        effect: Effect::Deny,
        at: t(),
        by: Some("root".into()),
    };
    assert_eq!(
        when(&identity, IdentityFact::Change(deny)),
        Err("last_admin")
    );
    // With a second admin, the first may step down.
    let mut two = identity.clone();
    two.apply(&assign("ann", "admin", "root"));
    assert_eq!(
        when(&two, IdentityFact::Change(unassign.clone())),
        Ok(vec![unassign])
    );
    assert_eq!(
        when(&two, IdentityFact::Change(status("root", false, "ann"))),
        Ok(vec![status("root", false, "ann")])
    );
}

#[test]
fn disabling_a_disabled_user_records_nothing() {
    let mut identity = installed();
    identity.apply(&status("ann", false, "root"));
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(status("ann", false, "root"))
        ),
        Ok(vec![])
    );
}

#[test]
fn install_wide_permissions_cannot_be_overridden_on_one_account() {
    let identity = installed();
    let on_account = IdentityEvent::OverrideSet {
        user_id: "ann".into(),
        permission: Permission::UsersManage,
        account: Some("111".into()),
        effect: Effect::Allow,
        at: t(),
        by: Some("root".into()),
    };
    assert_eq!(
        when(&identity, IdentityFact::Change(on_account)),
        Err("not_account_scoped")
    );
}

#[test]
fn tokens_need_a_name_permissions_and_an_existing_owner_and_revoking_needs_a_token() {
    let identity = installed();
    let issue =
        |name: &str, permissions: BTreeSet<Permission>, user: &str| IdentityEvent::ApiTokenIssued {
            token_id: "tok1".into(),
            user_id: user.into(),
            name: name.into(),
            token_hash: "ab".repeat(32),
            permissions,
            accounts: None,
            expires_at: None,
            at: t(),
            by: Some("root".into()),
        };
    let view: BTreeSet<_> = [Permission::MessagesView].into();
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(issue(" ", view.clone(), "ann"))
        ),
        Err("invalid_token")
    );
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(issue("ci", BTreeSet::new(), "ann"))
        ),
        Err("invalid_token")
    );
    assert_eq!(
        when(
            &identity,
            IdentityFact::Change(issue("ci", view.clone(), "ghost"))
        ),
        Err("unknown_user")
    );
    let revoke = IdentityEvent::ApiTokenRevoked {
        token_id: "tok1".into(),
        at: t(),
        by: Some("root".into()),
    };
    assert_eq!(
        when(&identity, IdentityFact::Change(revoke.clone())),
        Err("unknown_token")
    );
    let issued = issue("ci", view, "ann");
    let mut with_token = identity.clone();
    with_token.apply(&issued);
    assert_eq!(
        when(&with_token, IdentityFact::Change(revoke.clone())),
        Ok(vec![revoke.clone()])
    );
    with_token.apply(&revoke);
    // Revoking twice records nothing more.
    assert_eq!(when(&with_token, IdentityFact::Change(revoke)), Ok(vec![]));
}

#[test]
fn changes_made_together_are_checked_in_order_and_refused_as_one() {
    let identity = installed();
    let new_user = register("cat", "cat@example.com");
    let together = IdentityFact::All(vec![new_user.clone(), assign("cat", "viewer", "root")]);
    assert_eq!(
        when(&identity, together),
        Ok(vec![new_user.clone(), assign("cat", "viewer", "root")])
    );
    let broken = IdentityFact::All(vec![new_user, assign("cat", "ghost", "root")]);
    assert_eq!(when(&identity, broken), Err("unknown_role"));
}

fn link(id: &str, subject: &str) -> IdentityEvent {
    IdentityEvent::ExternalSubjectLinked {
        user_id: id.into(),
        external_subject: subject.into(),
        at: t(),
        by: None,
    }
}

#[test]
fn a_user_is_linked_to_one_external_subject_which_no_one_else_holds() {
    let identity = installed();
    let linked = when(&identity, IdentityFact::Change(link("ann", "sub-1"))).unwrap();
    assert_eq!(linked, [link("ann", "sub-1")]);
    let mut identity = identity;
    identity.apply(&link("ann", "sub-1"));
    assert_eq!(
        identity
            .access()
            .user_by_subject("sub-1")
            .map(|(id, _)| id.as_str()),
        Some("ann")
    );
    // Linking again to the same subject changes nothing; another subject is refused.
    assert_eq!(
        when(&identity, IdentityFact::Change(link("ann", "sub-1"))),
        Ok(vec![])
    );
    assert_eq!(
        when(&identity, IdentityFact::Change(link("ann", "sub-2"))),
        Err("subject_mismatch")
    );
    assert_eq!(
        when(&identity, IdentityFact::Change(link("root", "sub-1"))),
        Err("subject_taken")
    );
    assert_eq!(
        when(&identity, IdentityFact::Change(link("nobody", "sub-3"))),
        Err("unknown_user")
    );
}

fn grants(roles: &[(&str, Option<&str>)]) -> BTreeSet<(String, Option<String>)> {
    roles
        .iter()
        .map(|(role, account)| (role.to_string(), account.map(str::to_owned)))
        .collect()
}

fn replace(id: &str, roles: &[(&str, Option<&str>)], by: &str) -> IdentityFact {
    IdentityFact::ReplaceRoles {
        user_id: id.into(),
        roles: grants(roles),
        at: t(),
        by: Some(by.into()),
    }
}

fn unassign(id: &str, role: &str, account: Option<&str>, by: &str) -> IdentityEvent {
    IdentityEvent::RoleUnassigned {
        user_id: id.into(),
        role: role.into(),
        account: account.map(str::to_owned),
        at: t(),
        by: Some(by.into()),
    }
}

#[test]
fn replacing_roles_assigns_what_is_new_then_unassigns_what_is_gone() {
    let identity = installed();
    let on_111 = IdentityEvent::RoleAssigned {
        user_id: "ann".into(),
        role: "supervisor".into(),
        account: Some("111".into()),
        at: t(),
        by: Some("root".into()),
    };
    assert_eq!(
        when(
            &identity,
            replace(
                "ann",
                &[("viewer", None), ("supervisor", Some("111"))],
                "root"
            )
        ),
        Ok(vec![
            on_111,
            assign("ann", "viewer", "root"),
            unassign("ann", "agent", None, "root"),
        ])
    );
    // The set the user holds already records nothing.
    assert_eq!(
        when(&identity, replace("ann", &[("agent", None)], "root")),
        Ok(vec![])
    );
    assert_eq!(
        when(&identity, replace("ann", &[], "root")),
        Ok(vec![unassign("ann", "agent", None, "root")])
    );
}

#[test]
fn two_replacements_in_turn_leave_the_second_set_not_their_union() {
    let mut identity = installed();
    let first = replace("ann", &[("viewer", None)], "root");
    let second = replace("ann", &[("supervisor", Some("111"))], "root");
    // Both callers saw ann as an agent; the aggregate decides each against the state it holds then.
    for fact in [first, second] {
        for event in when(&identity, fact).unwrap() {
            identity.apply(&event);
        }
    }
    assert_eq!(
        identity.access().users["ann"].roles,
        grants(&[("supervisor", Some("111"))])
    );
}

#[test]
fn a_replacement_is_refused_as_one_for_an_unknown_user_or_role_or_the_last_admin() {
    let mut identity = installed();
    assert_eq!(
        when(&identity, replace("nobody", &[("agent", None)], "root")),
        Err("unknown_user")
    );
    assert_eq!(
        when(
            &identity,
            replace("ann", &[("viewer", None), ("ghost", None)], "root")
        ),
        Err("unknown_role")
    );
    assert_eq!(
        when(&identity, replace("root", &[("agent", None)], "root")),
        Err("last_admin")
    );
    // Install-wide permissions are never granted on one account, so this too would lose the last admin.
    assert_eq!(
        when(
            &identity,
            replace("root", &[("admin", Some("111"))], "root")
        ),
        Err("last_admin")
    );
    // A role held since deleted may be kept; only new grants need an existing role.
    identity.apply(&IdentityEvent::RoleDefined {
        role: "night".into(),
        permissions: [Permission::MessagesView].into(),
        at: t(),
        by: Some("root".into()),
    });
    identity.apply(&assign("ann", "night", "root"));
    identity.apply(&unassign("ann", "agent", None, "root"));
    identity.apply(&IdentityEvent::RoleDeleted {
        role: "night".into(),
        at: t(),
        by: Some("root".into()),
    });
    assert_eq!(
        when(
            &identity,
            replace("ann", &[("night", None), ("viewer", None)], "root")
        ),
        Ok(vec![assign("ann", "viewer", "root")])
    );
}
