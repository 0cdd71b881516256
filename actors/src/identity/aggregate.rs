//! The identity aggregate (the `identity` stream): the single writer of users, roles, grants and API
//! tokens, so its rules hold across every node: emails are unique, assignments name existing roles and
//! users, the first user becomes admin, and no change may leave the install without an active admin.

use super::access::Rbac;
use super::events::IdentityEvent;
use super::{default_roles, Permission, Scope};
use crate::aggregate::{Aggregate, Refusal, RefusalCode};
use crate::event::StreamId;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// The one stream identity events live on.
pub fn stream() -> StreamId {
    StreamId::new("identity")
}

#[derive(Debug, Clone, PartialEq)]
pub enum IdentityFact {
    /// At start-up: define the default roles, once in the install's life (a deleted default role is not
    /// brought back).
    SeedDefaultRoles { at: DateTime<Utc> },
    /// The first user of a new install, who becomes admin; refused once any user exists.
    Setup(IdentityEvent),
    /// A new role; refused when the name is taken.
    CreateRole(IdentityEvent),
    /// Any other change, recorded as this event when it changes anything.
    Change(IdentityEvent),
    /// Changes made together (a user and their roles, a new set of grants): each is checked against the
    /// state the ones before it leave, and all are refused if one is.
    All(Vec<IdentityEvent>),
    /// A user's roles become exactly `roles`: the assignments and unassignments are decided here, against
    /// the state at the moment of recording, so two replacements made at once leave one of the two sets
    /// (the later one), never a union of both.
    ReplaceRoles {
        user_id: String,
        roles: BTreeSet<(String, Scope)>,
        at: DateTime<Utc>,
        by: Option<String>,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    access: Rbac,
    seeded: bool,
    /// Every permission some role has held: what the install has met. A permission of the catalogue
    /// outside it is new to this install (added by an upgrade).
    met: BTreeSet<Permission>,
}

impl Identity {
    pub fn access(&self) -> &Rbac {
        &self.access
    }
}

fn refuse(code: RefusalCode, message: impl Into<String>) -> Refusal {
    Refusal::new(code, message)
}

/// Role names appear in URLs and grants: lower-case letters, digits, `-` and `_`, at most 40.
pub fn valid_role_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name.as_bytes()[0].is_ascii_alphanumeric()
}

pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

impl Identity {
    fn user_exists(&self, user_id: &str) -> Result<(), Refusal> {
        match self.access.users.get(user_id) {
            Some(u) if u.registered => Ok(()),
            _ => Err(refuse(
                RefusalCode::UnknownUser,
                format!("no user {user_id}"),
            )),
        }
    }

    fn role_exists(&self, role: &str) -> Result<(), Refusal> {
        match self.access.roles.contains_key(role) {
            true => Ok(()),
            false => Err(refuse(
                RefusalCode::UnknownRole,
                format!("no role named {role}"),
            )),
        }
    }

    fn check_event(&self, event: &IdentityEvent) -> Result<(), Refusal> {
        match event {
            IdentityEvent::UserRegistered {
                email,
                external_subject,
                ..
            } => {
                if !valid_email(email) {
                    return Err(refuse(
                        RefusalCode::InvalidEmail,
                        "the email address is not valid",
                    ));
                }
                if self.access.user_by_email(email).is_some() {
                    return Err(refuse(
                        RefusalCode::EmailTaken,
                        "a user with this email exists",
                    ));
                }
                if let Some(subject) = external_subject {
                    if self.access.user_by_subject(subject).is_some() {
                        return Err(refuse(
                            RefusalCode::SubjectTaken,
                            "a user is already linked to this external subject",
                        ));
                    }
                }
                Ok(())
            }
            IdentityEvent::ExternalSubjectLinked {
                user_id,
                external_subject,
                ..
            } => {
                self.user_exists(user_id)?;
                if external_subject.trim().is_empty() {
                    return Err(refuse(RefusalCode::InvalidSubject, "the subject is empty"));
                }
                if let Some((other, _)) = self.access.user_by_subject(external_subject) {
                    if other != user_id {
                        return Err(refuse(
                            RefusalCode::SubjectTaken,
                            "a user is already linked to this external subject",
                        ));
                    }
                }
                let linked = self.access.users.get(user_id);
                match linked.and_then(|u| u.external_subject.as_deref()) {
                    Some(linked) if linked != external_subject => Err(refuse(
                        RefusalCode::SubjectMismatch,
                        "this user is linked to another subject of the identity provider",
                    )),
                    _ => Ok(()),
                }
            }
            IdentityEvent::UserStatusSet {
                user_id,
                active,
                by,
                ..
            } => {
                self.user_exists(user_id)?;
                if !active && by.as_deref() == Some(user_id.as_str()) {
                    return Err(refuse(
                        RefusalCode::CannotDisableSelf,
                        "you cannot disable yourself",
                    ));
                }
                Ok(())
            }
            IdentityEvent::RoleDefined {
                role, permissions, ..
            } => {
                if !valid_role_name(role) {
                    return Err(refuse(
                        RefusalCode::InvalidRoleName,
                        "role names are 1 to 40 lower-case letters, digits, '-' or '_'",
                    ));
                }
                if permissions.is_empty() {
                    return Err(refuse(
                        RefusalCode::InvalidRole,
                        "a role holds at least one permission",
                    ));
                }
                Ok(())
            }
            IdentityEvent::RoleDeleted { role, .. } => {
                self.role_exists(role)?;
                let holders = self
                    .access
                    .users
                    .values()
                    .filter(|u| u.roles.iter().any(|(r, _)| r == role))
                    .count();
                match holders {
                    0 => Ok(()),
                    n => Err(refuse(
                        RefusalCode::RoleInUse,
                        format!("the role is assigned to {n} user(s); unassign it first"),
                    )),
                }
            }
            IdentityEvent::RoleAssigned { user_id, role, .. } => {
                self.user_exists(user_id)?;
                self.role_exists(role)
            }
            IdentityEvent::RoleUnassigned { user_id, .. }
            | IdentityEvent::OverrideCleared { user_id, .. } => self.user_exists(user_id),
            IdentityEvent::OverrideSet {
                user_id,
                permission,
                account,
                ..
            } => {
                self.user_exists(user_id)?;
                if account.is_some() && !permission.is_account_scoped() {
                    return Err(refuse(
                        RefusalCode::NotAccountScoped,
                        format!("{permission} applies to the whole install, not to one account"),
                    ));
                }
                Ok(())
            }
            IdentityEvent::ApiTokenIssued {
                token_id,
                user_id,
                name,
                permissions,
                ..
            } => {
                self.user_exists(user_id)?;
                if self.access.tokens.contains_key(token_id) {
                    return Err(refuse(RefusalCode::TokenExists, "this token id is taken"));
                }
                if name.trim().is_empty() || name.len() > 100 {
                    return Err(refuse(
                        RefusalCode::InvalidToken,
                        "a token needs a name of 1 to 100 characters",
                    ));
                }
                if permissions.is_empty() {
                    return Err(refuse(
                        RefusalCode::InvalidToken,
                        "a token holds at least one permission",
                    ));
                }
                Ok(())
            }
            IdentityEvent::ApiTokenRevoked { token_id, .. } => {
                match self.access.tokens.contains_key(token_id) {
                    true => Ok(()),
                    false => Err(refuse(
                        RefusalCode::UnknownToken,
                        format!("no API token {token_id}"),
                    )),
                }
            }
        }
    }

    /// Refuses a change after which nobody active could manage users and roles any more.
    fn keeps_an_admin(&self, events: &[IdentityEvent]) -> Result<(), Refusal> {
        let held = |rbac: &Rbac| {
            rbac.anyone_holds(Permission::UsersManage) && rbac.anyone_holds(Permission::RolesManage)
        };
        if !held(&self.access) {
            return Ok(());
        }
        let mut after = self.access.clone();
        events.iter().for_each(|e| after.apply(e));
        match held(&after) {
            true => Ok(()),
            false => Err(refuse(
                RefusalCode::LastAdmin,
                "this would leave no active user who can manage users and roles",
            )),
        }
    }
}

impl Aggregate for Identity {
    type Fact = IdentityFact;
    type Event = IdentityEvent;

    fn check(&self, fact: &IdentityFact) -> Result<(), Refusal> {
        match fact {
            IdentityFact::SeedDefaultRoles { .. } => Ok(()),
            IdentityFact::Setup(event) => {
                if self.access.users.values().any(|u| u.registered) {
                    return Err(refuse(
                        RefusalCode::AlreadySetUp,
                        "the inbox has users; ask an administrator to create your account",
                    ));
                }
                self.check_event(event)
            }
            IdentityFact::CreateRole(event) => {
                if let IdentityEvent::RoleDefined { role, .. } = event {
                    if self.access.roles.contains_key(role) {
                        return Err(refuse(
                            RefusalCode::RoleExists,
                            format!("a role named {role} exists"),
                        ));
                    }
                }
                self.check_event(event)
            }
            IdentityFact::Change(event) => {
                if let IdentityEvent::RoleDefined { role, .. } = event {
                    self.role_exists(role)?;
                }
                self.check_event(event)?;
                self.keeps_an_admin(std::slice::from_ref(event))
            }
            IdentityFact::ReplaceRoles { user_id, .. } => {
                self.user_exists(user_id)?;
                let events = self.decide(fact);
                for event in &events {
                    self.check_event(event)?;
                }
                self.keeps_an_admin(&events)
            }
            IdentityFact::All(events) => {
                let mut working = self.clone();
                for event in events {
                    let fact = IdentityFact::Change(event.clone());
                    working.check(&fact)?;
                    for decided in working.decide(&fact) {
                        working.apply(&decided);
                    }
                }
                Ok(())
            }
        }
    }

    fn decide(&self, fact: &IdentityFact) -> Vec<IdentityEvent> {
        match fact {
            IdentityFact::SeedDefaultRoles { at } if !self.seeded => default_roles()
                .into_iter()
                .filter(|(role, _)| !self.access.roles.contains_key(*role))
                .map(|(role, permissions)| IdentityEvent::RoleDefined {
                    role: role.to_owned(),
                    permissions,
                    at: *at,
                    by: None,
                })
                .collect(),
            // An upgrade's new permissions go to the default roles that hold them by default, on
            // installs seeded before they existed; a permission someone took away was met, and stays away.
            IdentityFact::SeedDefaultRoles { at } => {
                let new: BTreeSet<Permission> = Permission::ALL
                    .into_iter()
                    .filter(|p| !self.met.contains(p))
                    .collect();
                default_roles()
                    .into_iter()
                    .filter_map(|(role, defaults)| {
                        let current = self.access.roles.get(role)?;
                        let added: Vec<Permission> = defaults.intersection(&new).copied().collect();
                        (!added.is_empty()).then(|| IdentityEvent::RoleDefined {
                            role: role.to_owned(),
                            permissions: current.iter().copied().chain(added).collect(),
                            at: *at,
                            by: None,
                        })
                    })
                    .collect()
            }
            IdentityFact::Setup(event) => {
                let IdentityEvent::UserRegistered { user_id, at, .. } = event else {
                    return vec![];
                };
                let mut events = self.decide(&IdentityFact::SeedDefaultRoles { at: *at });
                let admin_defined = self.access.roles.contains_key("admin")
                    || events.iter().any(
                        |e| matches!(e, IdentityEvent::RoleDefined { role, .. } if role == "admin"),
                    );
                // An install whose admin role was deleted gets it back for its first user.
                if !admin_defined {
                    events.push(IdentityEvent::RoleDefined {
                        role: "admin".into(),
                        permissions: Permission::ALL.into_iter().collect(),
                        at: *at,
                        by: None,
                    });
                }
                events.push(event.clone());
                events.push(IdentityEvent::RoleAssigned {
                    user_id: user_id.clone(),
                    role: "admin".into(),
                    account: None,
                    at: *at,
                    by: None,
                });
                events
            }
            IdentityFact::ReplaceRoles {
                user_id,
                roles,
                at,
                by,
            } => {
                let held = self
                    .access
                    .users
                    .get(user_id)
                    .map(|u| u.roles.clone())
                    .unwrap_or_default();
                // Additions first, so swapping one admin grant for another never looks like losing the
                // last.
                let assigned =
                    roles
                        .difference(&held)
                        .map(|(role, account)| IdentityEvent::RoleAssigned {
                            user_id: user_id.clone(),
                            role: role.clone(),
                            account: account.clone(),
                            at: *at,
                            by: by.clone(),
                        });
                let unassigned =
                    held.difference(roles)
                        .map(|(role, account)| IdentityEvent::RoleUnassigned {
                            user_id: user_id.clone(),
                            role: role.clone(),
                            account: account.clone(),
                            at: *at,
                            by: by.clone(),
                        });
                assigned.chain(unassigned).collect()
            }
            IdentityFact::All(events) => {
                let mut working = self.clone();
                let mut decided = Vec::new();
                for event in events {
                    for e in working.decide(&IdentityFact::Change(event.clone())) {
                        working.apply(&e);
                        decided.push(e);
                    }
                }
                decided
            }
            IdentityFact::CreateRole(event) | IdentityFact::Change(event) => {
                let mut after = self.access.clone();
                after.apply(event);
                let changed =
                    after != self.access || matches!(event, IdentityEvent::UserRegistered { .. });
                if changed {
                    vec![event.clone()]
                } else {
                    vec![]
                }
            }
        }
    }

    fn apply(&mut self, event: &IdentityEvent) {
        if let IdentityEvent::RoleDefined { permissions, .. } = event {
            self.seeded = true;
            self.met.extend(permissions);
        }
        self.access.apply(event);
    }
}

#[cfg(test)]
mod tests;
