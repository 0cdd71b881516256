//! Given identity events, when a fact arrives, then these events (or this refusal).

use super::*;
use crate::aggregate::RefusalCode;
use crate::identity::{Effect, IdentityEvent};
use crate::testing::aggregate::Scenario;
use std::collections::BTreeSet;

fn t() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn given(history: impl IntoIterator<Item = IdentityEvent>) -> Scenario<Identity> {
    crate::testing::aggregate::given(history)
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
fn installed() -> Scenario<Identity> {
    let setup = given([])
        .when(IdentityFact::Setup(register("root", "root@example.com")))
        .events();
    given(setup.into_iter().chain([
        register("ann", "ann@example.com"),
        assign("ann", "agent", "root"),
    ]))
}

#[test]
fn the_first_user_becomes_admin_after_the_default_roles_are_defined() {
    let mut identity = given([]);
    let events = identity
        .when(IdentityFact::Setup(register("root", "root@example.com")))
        .events();
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
    assert_eq!(
        identity.access().effective("root", None).len(),
        Permission::ALL.len()
    );
}

#[test]
fn setup_is_refused_once_anyone_exists() {
    installed()
        .when(IdentityFact::Setup(register("eve", "eve@example.com")))
        .then_refused(RefusalCode::AlreadySetUp);
}

#[test]
fn emails_are_unique_whatever_their_case() {
    let mut identity = installed();
    identity
        .when(IdentityFact::Change(register("ann2", "ANN@example.com")))
        .then_refused(RefusalCode::EmailTaken);
    identity
        .when(IdentityFact::Change(register("x", "not-an-email")))
        .then_refused(RefusalCode::InvalidEmail);
}

#[test]
fn default_roles_are_seeded_once_and_a_deleted_one_stays_deleted() {
    let mut identity = given([]);
    let seeded = identity
        .when(IdentityFact::SeedDefaultRoles { at: t() })
        .events();
    assert_eq!(seeded.len(), 4);
    let deleted = IdentityEvent::RoleDeleted {
        role: "viewer".into(),
        at: t(),
        by: Some("root".into()),
    };
    identity
        .when(IdentityFact::Change(deleted.clone()))
        .then([deleted]);
    identity
        .when(IdentityFact::SeedDefaultRoles { at: t() })
        .then_nothing();
}

#[test]
fn permissions_an_upgrade_adds_go_to_the_default_roles_that_hold_them_once() {
    // An install seeded before `conversations.assign` existed, whose supervisor role was later narrowed.
    let old = |role: &str| {
        let (_, mut permissions) = crate::identity::default_roles()
            .into_iter()
            .find(|(r, _)| *r == role)
            .unwrap();
        permissions.remove(&Permission::ConversationsAssign);
        IdentityEvent::RoleDefined {
            role: role.into(),
            permissions,
            at: t(),
            by: None,
        }
    };
    let mut identity = given([old("admin"), old("supervisor"), old("agent"), old("viewer")]);
    let events = identity
        .when(IdentityFact::SeedDefaultRoles { at: t() })
        .events();
    let upgraded: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            IdentityEvent::RoleDefined {
                role, permissions, ..
            } if permissions.contains(&Permission::ConversationsAssign) => Some(role.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(upgraded, ["admin", "supervisor", "agent"]);
    // Once met, it is not given again: someone who takes it away from a role keeps it away.
    let narrowed = IdentityEvent::RoleDefined {
        role: "agent".into(),
        permissions: [Permission::ConversationsView].into_iter().collect(),
        at: t(),
        by: Some("root".into()),
    };
    identity
        .when(IdentityFact::Change(narrowed.clone()))
        .then([narrowed]);
    identity
        .when(IdentityFact::SeedDefaultRoles { at: t() })
        .then_nothing();
}

#[test]
fn assignments_need_an_existing_user_and_role() {
    let mut identity = installed();
    identity
        .when(IdentityFact::Change(assign("nobody", "agent", "root")))
        .then_refused(RefusalCode::UnknownUser);
    identity
        .when(IdentityFact::Change(assign("ann", "ghost", "root")))
        .then_refused(RefusalCode::UnknownRole);
    // Assigning what is already assigned records nothing.
    identity
        .when(IdentityFact::Change(assign("ann", "agent", "root")))
        .then_nothing();
}

#[test]
fn a_role_in_use_cannot_be_deleted_and_a_taken_name_cannot_be_created() {
    let mut identity = installed();
    let delete = IdentityEvent::RoleDeleted {
        role: "agent".into(),
        at: t(),
        by: Some("root".into()),
    };
    identity
        .when(IdentityFact::Change(delete))
        .then_refused(RefusalCode::RoleInUse);
    let create = |role: &str| IdentityEvent::RoleDefined {
        role: role.into(),
        permissions: [Permission::MessagesView].into(),
        at: t(),
        by: Some("root".into()),
    };
    identity
        .when(IdentityFact::CreateRole(create("agent")))
        .then_refused(RefusalCode::RoleExists);
    identity
        .when(IdentityFact::CreateRole(create("Night Shift")))
        .then_refused(RefusalCode::InvalidRoleName);
    identity
        .when(IdentityFact::Change(create("night")))
        .then_refused(RefusalCode::UnknownRole);
    identity
        .when(IdentityFact::CreateRole(create("night")))
        .then([create("night")]);
}

#[test]
fn nobody_can_remove_the_last_admin_or_disable_themselves() {
    let mut identity = installed();
    identity
        .when(IdentityFact::Change(status("root", false, "root")))
        .then_refused(RefusalCode::CannotDisableSelf);
    let unassign = IdentityEvent::RoleUnassigned {
        user_id: "root".into(),
        role: "admin".into(),
        account: None,
        at: t(),
        by: Some("root".into()),
    };
    identity
        .when(IdentityFact::Change(unassign.clone()))
        .then_refused(RefusalCode::LastAdmin);
    let deny = IdentityEvent::OverrideSet {
        user_id: "root".into(),
        permission: Permission::UsersManage,
        account: None,
        effect: Effect::Deny,
        at: t(),
        by: Some("root".into()),
    };
    identity
        .when(IdentityFact::Change(deny))
        .then_refused(RefusalCode::LastAdmin);
    // With a second admin, the first may step down, or be disabled.
    let mut two = identity;
    two.when(IdentityFact::Change(assign("ann", "admin", "root")))
        .then([assign("ann", "admin", "root")]);
    two.clone()
        .when(IdentityFact::Change(unassign.clone()))
        .then([unassign]);
    two.when(IdentityFact::Change(status("root", false, "ann")))
        .then([status("root", false, "ann")]);
}

#[test]
fn disabling_a_disabled_user_records_nothing() {
    let mut identity = installed();
    identity
        .when(IdentityFact::Change(status("ann", false, "root")))
        .then([status("ann", false, "root")]);
    identity
        .when(IdentityFact::Change(status("ann", false, "root")))
        .then_nothing();
}

#[test]
fn install_wide_permissions_cannot_be_overridden_on_one_account() {
    let mut identity = installed();
    let on_account = IdentityEvent::OverrideSet {
        user_id: "ann".into(),
        permission: Permission::UsersManage,
        account: Some("111".into()),
        effect: Effect::Allow,
        at: t(),
        by: Some("root".into()),
    };
    identity
        .when(IdentityFact::Change(on_account))
        .then_refused(RefusalCode::NotAccountScoped);
}

#[test]
fn tokens_need_a_name_permissions_and_an_existing_owner_and_revoking_needs_a_token() {
    let mut identity = installed();
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
    identity
        .when(IdentityFact::Change(issue(" ", view.clone(), "ann")))
        .then_refused(RefusalCode::InvalidToken);
    identity
        .when(IdentityFact::Change(issue("ci", BTreeSet::new(), "ann")))
        .then_refused(RefusalCode::InvalidToken);
    identity
        .when(IdentityFact::Change(issue("ci", view.clone(), "ghost")))
        .then_refused(RefusalCode::UnknownUser);
    let revoke = IdentityEvent::ApiTokenRevoked {
        token_id: "tok1".into(),
        at: t(),
        by: Some("root".into()),
    };
    identity
        .when(IdentityFact::Change(revoke.clone()))
        .then_refused(RefusalCode::UnknownToken);
    let issued = issue("ci", view, "ann");
    identity
        .when(IdentityFact::Change(issued.clone()))
        .then([issued]);
    identity
        .when(IdentityFact::Change(revoke.clone()))
        .then([revoke.clone()]);
    // Revoking twice records nothing more.
    identity.when(IdentityFact::Change(revoke)).then_nothing();
}

#[test]
fn changes_made_together_are_checked_in_order_and_refused_as_one() {
    let mut identity = installed();
    let new_user = register("cat", "cat@example.com");
    let together = IdentityFact::All(vec![new_user.clone(), assign("cat", "viewer", "root")]);
    identity
        .clone()
        .when(together)
        .then([new_user.clone(), assign("cat", "viewer", "root")]);
    let broken = IdentityFact::All(vec![new_user, assign("cat", "ghost", "root")]);
    identity.when(broken).then_refused(RefusalCode::UnknownRole);
    assert!(
        identity.access().user_by_email("cat@example.com").is_none(),
        "nothing of a refused change is recorded"
    );
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
    let mut identity = installed();
    identity
        .when(IdentityFact::Change(link("ann", "sub-1")))
        .then([link("ann", "sub-1")]);
    assert_eq!(
        identity
            .access()
            .user_by_subject("sub-1")
            .map(|(id, _)| id.as_str()),
        Some("ann")
    );
    // Linking again to the same subject changes nothing; another subject is refused.
    identity
        .when(IdentityFact::Change(link("ann", "sub-1")))
        .then_nothing();
    identity
        .when(IdentityFact::Change(link("ann", "sub-2")))
        .then_refused(RefusalCode::SubjectMismatch);
    identity
        .when(IdentityFact::Change(link("root", "sub-1")))
        .then_refused(RefusalCode::SubjectTaken);
    identity
        .when(IdentityFact::Change(link("nobody", "sub-3")))
        .then_refused(RefusalCode::UnknownUser);
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

/// The history of [`installed`], for scenarios that go on from it with events of their own.
fn installed_history() -> Vec<IdentityEvent> {
    let setup = given([])
        .when(IdentityFact::Setup(register("root", "root@example.com")))
        .events();
    setup
        .into_iter()
        .chain([
            register("ann", "ann@example.com"),
            assign("ann", "agent", "root"),
        ])
        .collect()
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
    identity
        .clone()
        .when(replace(
            "ann",
            &[("viewer", None), ("supervisor", Some("111"))],
            "root",
        ))
        .then([
            on_111,
            assign("ann", "viewer", "root"),
            unassign("ann", "agent", None, "root"),
        ]);
    // The set the user holds already records nothing.
    identity
        .clone()
        .when(replace("ann", &[("agent", None)], "root"))
        .then_nothing();
    identity
        .clone()
        .when(replace("ann", &[], "root"))
        .then([unassign("ann", "agent", None, "root")]);
}

#[test]
fn two_replacements_in_turn_leave_the_second_set_not_their_union() {
    let mut identity = installed();
    // Both callers saw ann as an agent; the aggregate decides each against the state it holds then.
    let _ = identity
        .when(replace("ann", &[("viewer", None)], "root"))
        .events();
    let _ = identity
        .when(replace("ann", &[("supervisor", Some("111"))], "root"))
        .events();
    assert_eq!(
        identity.access().users["ann"].roles,
        grants(&[("supervisor", Some("111"))])
    );
}

#[test]
fn a_replacement_is_refused_as_one_for_an_unknown_user_or_role_or_the_last_admin() {
    let identity = installed();
    identity
        .clone()
        .when(replace("nobody", &[("agent", None)], "root"))
        .then_refused(RefusalCode::UnknownUser);
    identity
        .clone()
        .when(replace("ann", &[("viewer", None), ("ghost", None)], "root"))
        .then_refused(RefusalCode::UnknownRole);
    identity
        .clone()
        .when(replace("root", &[("agent", None)], "root"))
        .then_refused(RefusalCode::LastAdmin);
    // Install-wide permissions are never granted on one account, so this too would lose the last admin.
    identity
        .clone()
        .when(replace("root", &[("admin", Some("111"))], "root"))
        .then_refused(RefusalCode::LastAdmin);
    // A role held since deleted may be kept; only new grants need an existing role.
    let mut held_deleted_role = given(installed_history().into_iter().chain([
        IdentityEvent::RoleDefined {
            role: "night".into(),
            permissions: [Permission::MessagesView].into(),
            at: t(),
            by: Some("root".into()),
        },
        assign("ann", "night", "root"),
        unassign("ann", "agent", None, "root"),
        IdentityEvent::RoleDeleted {
            role: "night".into(),
            at: t(),
            by: Some("root".into()),
        },
    ]));
    held_deleted_role
        .when(replace("ann", &[("night", None), ("viewer", None)], "root"))
        .then([assign("ann", "viewer", "root")]);
}
