//! The RBAC snapshot: identity events folded into what each user (and each API token) may do, globally
//! and per WhatsApp account. Pure, so the same fold serves the identity aggregate's rules, the `rbac`
//! projection, the in-memory snapshot every API check reads, and an audit replay.
//!
//! Rules, most specific first:
//! 1. a disabled (or unknown) user may do nothing;
//! 2. an override on the account decides (deny or allow);
//! 3. else a global override decides;
//! 4. else any role assigned globally, or on the account, that holds the permission allows it.
//!
//! Install-wide permissions (users, roles, settings) are only ever granted globally. An API token may
//! do what its owner may do, narrowed to the token's permissions and accounts.

use super::{Effect, IdentityEvent, Permission};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAccess {
    pub email: String,
    pub name: Option<String>,
    pub external_subject: Option<String>,
    pub active: bool,
    /// Registered (not only named by an assignment).
    pub registered: bool,
    pub created_at: Option<DateTime<Utc>>,
    /// (role, account): `None` is every account.
    pub roles: BTreeSet<(String, Option<String>)>,
    #[serde(with = "entries")]
    pub overrides: BTreeMap<(Permission, Option<String>), Effect>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenAccess {
    pub user_id: String,
    pub name: String,
    /// SHA-256 of the secret, in hex.
    pub token_hash: String,
    pub permissions: BTreeSet<Permission>,
    /// `None`: every account the owner may reach.
    pub accounts: Option<BTreeSet<String>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiTokenAccess {
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// Who a check is about: a user, or an API token acting for its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(String),
    Token(String),
}

/// Maps with compound keys are stored in JSON as lists of `[key, value]` pairs.
mod entries {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub(super) fn serialize<S: Serializer, K: Serialize, V: Serialize>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub(super) fn deserialize<
        'de,
        D: Deserializer<'de>,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    >(
        d: D,
    ) -> Result<BTreeMap<K, V>, D::Error> {
        Ok(Vec::<(K, V)>::deserialize(d)?.into_iter().collect())
    }
}

/// Which accounts a permission reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountScope {
    /// Every account, except these.
    All { except: BTreeSet<String> },
    /// Only these (possibly none).
    Only(BTreeSet<String>),
}

impl AccountScope {
    pub fn includes(&self, account: &str) -> bool {
        match self {
            AccountScope::All { except } => !except.contains(account),
            AccountScope::Only(accounts) => accounts.contains(account),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, AccountScope::Only(a) if a.is_empty())
    }

    /// Every number, with no exception: the scope narrows nothing (a query need not filter by it).
    pub fn is_everything(&self) -> bool {
        matches!(self, AccountScope::All { except } if except.is_empty())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rbac {
    pub roles: BTreeMap<String, BTreeSet<Permission>>,
    pub users: BTreeMap<String, UserAccess>,
    #[serde(default)]
    pub tokens: BTreeMap<String, ApiTokenAccess>,
}

impl Rbac {
    /// Folds one event. Assignments may name a role defined later (or deleted): they grant what the role
    /// holds at the time of the check.
    pub fn apply(&mut self, event: &IdentityEvent) {
        match event {
            IdentityEvent::UserRegistered {
                user_id,
                email,
                name,
                external_subject,
                at,
                ..
            } => {
                let user = self.user(user_id);
                if !user.registered {
                    user.active = true;
                    user.registered = true;
                    user.created_at = Some(*at);
                }
                user.email.clone_from(email);
                user.name.clone_from(name);
                user.external_subject.clone_from(external_subject);
            }
            IdentityEvent::UserStatusSet {
                user_id, active, ..
            } => self.user(user_id).active = *active,
            IdentityEvent::ExternalSubjectLinked {
                user_id,
                external_subject,
                ..
            } => self.user(user_id).external_subject = Some(external_subject.clone()),
            IdentityEvent::RoleDefined {
                role, permissions, ..
            } => {
                self.roles.insert(role.clone(), permissions.clone());
            }
            IdentityEvent::RoleDeleted { role, .. } => {
                self.roles.remove(role);
            }
            IdentityEvent::RoleAssigned {
                user_id,
                role,
                account,
                ..
            } => {
                self.user(user_id)
                    .roles
                    .insert((role.clone(), account.clone()));
            }
            IdentityEvent::RoleUnassigned {
                user_id,
                role,
                account,
                ..
            } => {
                self.user(user_id)
                    .roles
                    .remove(&(role.clone(), account.clone()));
            }
            IdentityEvent::OverrideSet {
                user_id,
                permission,
                account,
                effect,
                ..
            } => {
                self.user(user_id)
                    .overrides
                    .insert((*permission, account.clone()), *effect);
            }
            IdentityEvent::OverrideCleared {
                user_id,
                permission,
                account,
                ..
            } => {
                self.user(user_id)
                    .overrides
                    .remove(&(*permission, account.clone()));
            }
            IdentityEvent::ApiTokenIssued {
                token_id,
                user_id,
                name,
                token_hash,
                permissions,
                accounts,
                expires_at,
                at,
                by,
            } => {
                self.tokens.insert(
                    token_id.clone(),
                    ApiTokenAccess {
                        user_id: user_id.clone(),
                        name: name.clone(),
                        token_hash: token_hash.clone(),
                        permissions: permissions.clone(),
                        accounts: accounts.clone(),
                        expires_at: *expires_at,
                        created_at: *at,
                        created_by: by.clone(),
                        revoked_at: None,
                    },
                );
            }
            IdentityEvent::ApiTokenRevoked { token_id, at, .. } => {
                if let Some(token) = self.tokens.get_mut(token_id) {
                    token.revoked_at.get_or_insert(*at);
                }
            }
        }
    }

    /// The registered user with this email (compared case-insensitively).
    pub fn user_by_email(&self, email: &str) -> Option<(&String, &UserAccess)> {
        self.users
            .iter()
            .find(|(_, u)| u.registered && u.email.eq_ignore_ascii_case(email))
    }

    /// The registered user an external identity provider knows by `subject`.
    pub fn user_by_subject(&self, subject: &str) -> Option<(&String, &UserAccess)> {
        self.users
            .iter()
            .find(|(_, u)| u.registered && u.external_subject.as_deref() == Some(subject))
    }

    pub fn token_by_hash(&self, hash: &str) -> Option<(&String, &ApiTokenAccess)> {
        self.tokens.iter().find(|(_, t)| t.token_hash == hash)
    }

    pub fn is_active(&self, user_id: &str) -> bool {
        self.users
            .get(user_id)
            .is_some_and(|u| u.registered && u.active)
    }

    /// [`Rbac::allows`] for a user or a token. A token also needs its owner active and may only narrow.
    pub fn principal_allows(
        &self,
        principal: &Principal,
        permission: Permission,
        account: Option<&str>,
        now: DateTime<Utc>,
    ) -> bool {
        match principal {
            Principal::User(user_id) => self.allows(user_id, permission, account),
            Principal::Token(token_id) => self.tokens.get(token_id).is_some_and(|t| {
                t.usable_at(now)
                    && t.permissions.contains(&permission)
                    && match (&t.accounts, account) {
                        (None, _) => true,
                        (Some(accounts), Some(a)) => accounts.contains(a),
                        // Install-wide checks: a token limited to accounts holds no install-wide power.
                        (Some(_), None) => permission.is_account_scoped(),
                    }
                    && self.allows(&t.user_id, permission, account)
            }),
        }
    }

    /// [`Rbac::accounts_for`] for a user or a token.
    pub fn principal_accounts(
        &self,
        principal: &Principal,
        permission: Permission,
        now: DateTime<Utc>,
    ) -> AccountScope {
        match principal {
            Principal::User(user_id) => self.accounts_for(user_id, permission),
            Principal::Token(token_id) => match self.tokens.get(token_id) {
                Some(t) if t.usable_at(now) && t.permissions.contains(&permission) => {
                    let owner = self.accounts_for(&t.user_id, permission);
                    match &t.accounts {
                        None => owner,
                        Some(accounts) => AccountScope::Only(
                            accounts
                                .iter()
                                .filter(|a| owner.includes(a))
                                .cloned()
                                .collect(),
                        ),
                    }
                }
                _ => AccountScope::Only(BTreeSet::new()),
            },
        }
    }

    /// Whether any active user holds `permission` install-wide.
    pub fn anyone_holds(&self, permission: Permission) -> bool {
        self.users
            .keys()
            .any(|user_id| self.allows(user_id, permission, None))
    }

    /// A user named by an event before their registration is kept inactive until registered.
    fn user(&mut self, user_id: &str) -> &mut UserAccess {
        self.users.entry(user_id.to_owned()).or_default()
    }

    fn role_grants(&self, role: &str, permission: Permission) -> bool {
        self.roles
            .get(role)
            .is_some_and(|permissions| permissions.contains(&permission))
    }

    /// Whether `user` may do `permission`: on `account`, or install-wide when `account` is `None`.
    pub fn allows(&self, user_id: &str, permission: Permission, account: Option<&str>) -> bool {
        let Some(user) = self.users.get(user_id).filter(|u| u.active && u.registered) else {
            return false;
        };
        // Install-wide permissions cannot be granted on one account.
        let account = account.filter(|_| permission.is_account_scoped());
        if let Some(account) = account {
            if let Some(effect) = user.overrides.get(&(permission, Some(account.to_owned()))) {
                return *effect == Effect::Allow;
            }
        }
        if let Some(effect) = user.overrides.get(&(permission, None)) {
            return *effect == Effect::Allow;
        }
        user.roles.iter().any(|(role, scope)| {
            let applies = match scope {
                None => true,
                Some(on) => permission.is_account_scoped() && Some(on.as_str()) == account,
            };
            applies && self.role_grants(role, permission)
        })
    }

    /// Everything `user` may do on `account` (or install-wide).
    pub fn effective(&self, user_id: &str, account: Option<&str>) -> BTreeSet<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.allows(user_id, *p, account))
            .collect()
    }

    /// The accounts on which `user` may do `permission`: what queries filter by, so rows of other
    /// accounts are never fetched.
    pub fn accounts_for(&self, user_id: &str, permission: Permission) -> AccountScope {
        let Some(user) = self.users.get(user_id).filter(|u| u.active && u.registered) else {
            return AccountScope::Only(BTreeSet::new());
        };
        let scoped_overrides = |effect: Effect| -> BTreeSet<String> {
            user.overrides
                .iter()
                .filter(|((p, account), e)| *p == permission && account.is_some() && **e == effect)
                .filter_map(|((_, account), _)| account.clone())
                .collect()
        };
        let (allowed, denied) = (
            scoped_overrides(Effect::Allow),
            scoped_overrides(Effect::Deny),
        );
        let global = match user.overrides.get(&(permission, None)) {
            Some(effect) => *effect == Effect::Allow,
            None => user
                .roles
                .iter()
                .any(|(role, scope)| scope.is_none() && self.role_grants(role, permission)),
        };
        if global {
            return AccountScope::All { except: denied };
        }
        let mut accounts = allowed;
        // Scoped roles count unless a global deny override stands above them.
        if user.overrides.get(&(permission, None)) != Some(&Effect::Deny) {
            for (role, scope) in &user.roles {
                if let Some(account) = scope {
                    if self.role_grants(role, permission) && !denied.contains(account) {
                        accounts.insert(account.clone());
                    }
                }
            }
        }
        AccountScope::Only(accounts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::default_roles;
    use Permission::*;

    fn t() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    /// Given the default roles and these events.
    fn given(events: Vec<IdentityEvent>) -> Rbac {
        let mut rbac = Rbac::default();
        for (role, permissions) in default_roles() {
            rbac.apply(&IdentityEvent::RoleDefined {
                role: role.into(),
                permissions,
                at: t(),
                by: None,
            });
        }
        for e in &events {
            rbac.apply(e);
        }
        rbac
    }

    fn user(id: &str) -> IdentityEvent {
        IdentityEvent::UserRegistered {
            user_id: id.into(),
            email: format!("{id}@example.com"),
            name: None,
            external_subject: None,
            at: t(),
            by: None,
        }
    }

    fn assign(id: &str, role: &str, account: Option<&str>) -> IdentityEvent {
        IdentityEvent::RoleAssigned {
            user_id: id.into(),
            role: role.into(),
            account: account.map(str::to_owned),
            at: t(),
            by: Some("admin".into()),
        }
    }

    fn override_(id: &str, p: Permission, account: Option<&str>, effect: Effect) -> IdentityEvent {
        IdentityEvent::OverrideSet {
            user_id: id.into(),
            permission: p,
            account: account.map(str::to_owned),
            effect,
            at: t(),
            by: Some("admin".into()),
        }
    }

    fn only(accounts: &[&str]) -> AccountScope {
        AccountScope::Only(accounts.iter().map(|a| a.to_string()).collect())
    }

    #[test]
    fn a_global_role_applies_on_every_account() {
        let rbac = given(vec![user("ann"), assign("ann", "agent", None)]);
        assert!(rbac.allows("ann", MessagesSend, Some("111")));
        assert!(rbac.allows("ann", MessagesSend, Some("222")));
        assert!(!rbac.allows("ann", UsersManage, None));
        assert_eq!(
            rbac.accounts_for("ann", MessagesView),
            AccountScope::All {
                except: BTreeSet::new()
            }
        );
    }

    #[test]
    fn a_scoped_role_applies_on_its_account_only() {
        let rbac = given(vec![user("bob"), assign("bob", "agent", Some("111"))]);
        assert!(rbac.allows("bob", MessagesSend, Some("111")));
        assert!(!rbac.allows("bob", MessagesSend, Some("222")));
        assert!(!rbac.allows("bob", MessagesSend, None));
        assert_eq!(rbac.accounts_for("bob", ConversationsView), only(&["111"]));
        assert_eq!(rbac.accounts_for("bob", AuditView), only(&[]));
    }

    #[test]
    fn install_wide_permissions_are_never_granted_by_a_scoped_role() {
        let rbac = given(vec![user("cy"), assign("cy", "admin", Some("111"))]);
        assert!(rbac.allows("cy", AccountsManage, Some("111")));
        assert!(!rbac.allows("cy", UsersManage, Some("111")));
        assert!(!rbac.allows("cy", UsersManage, None));
    }

    #[test]
    fn overrides_beat_roles_and_the_account_override_beats_the_global_one() {
        let rbac = given(vec![
            user("dee"),
            assign("dee", "agent", None),
            override_("dee", MessagesSend, Some("222"), Effect::Deny),
            override_("dee", AuditView, None, Effect::Allow),
            override_("dee", ContactsView, None, Effect::Deny),
            override_("dee", ContactsView, Some("111"), Effect::Allow),
        ]);
        assert!(rbac.allows("dee", MessagesSend, Some("111")));
        assert!(!rbac.allows("dee", MessagesSend, Some("222")));
        assert!(rbac.allows("dee", AuditView, Some("333")));
        assert!(rbac.allows("dee", ContactsView, Some("111")));
        assert!(!rbac.allows("dee", ContactsView, Some("222")));
        assert_eq!(
            rbac.accounts_for("dee", MessagesSend),
            AccountScope::All {
                except: ["222".to_owned()].into()
            }
        );
        assert_eq!(rbac.accounts_for("dee", ContactsView), only(&["111"]));
    }

    #[test]
    fn a_global_deny_stands_above_scoped_roles() {
        let rbac = given(vec![
            user("eve"),
            assign("eve", "agent", Some("111")),
            override_("eve", MessagesSend, None, Effect::Deny),
        ]);
        assert!(!rbac.allows("eve", MessagesSend, Some("111")));
        assert_eq!(rbac.accounts_for("eve", MessagesSend), only(&[]));
        assert!(rbac.allows("eve", MessagesView, Some("111")));
    }

    #[test]
    fn a_disabled_user_may_do_nothing_until_enabled_again() {
        let disabled = IdentityEvent::UserStatusSet {
            user_id: "fay".into(),
            active: false,
            at: t(),
            by: Some("admin".into()),
        };
        let mut rbac = given(vec![user("fay"), assign("fay", "admin", None), disabled]);
        assert!(rbac.effective("fay", Some("111")).is_empty());
        assert!(rbac.accounts_for("fay", MessagesView).is_empty());
        rbac.apply(&IdentityEvent::UserStatusSet {
            user_id: "fay".into(),
            active: true,
            at: t(),
            by: Some("admin".into()),
        });
        assert_eq!(rbac.effective("fay", None).len(), Permission::ALL.len());
    }

    #[test]
    fn unknown_users_unassigned_roles_and_deleted_roles_grant_nothing() {
        let mut rbac = given(vec![
            user("gus"),
            assign("gus", "agent", None),
            assign("gus", "night-shift", Some("111")),
        ]);
        assert!(rbac.effective("nobody", None).is_empty());
        assert!(!rbac.allows("gus", TemplatesManage, Some("111")));
        // A role defined after it was assigned grants from then on.
        rbac.apply(&IdentityEvent::RoleDefined {
            role: "night-shift".into(),
            permissions: [TemplatesManage].into(),
            at: t(),
            by: Some("admin".into()),
        });
        assert!(rbac.allows("gus", TemplatesManage, Some("111")));
        rbac.apply(&IdentityEvent::RoleDeleted {
            role: "night-shift".into(),
            at: t(),
            by: Some("admin".into()),
        });
        assert!(!rbac.allows("gus", TemplatesManage, Some("111")));
        rbac.apply(&IdentityEvent::RoleUnassigned {
            user_id: "gus".into(),
            role: "agent".into(),
            account: None,
            at: t(),
            by: Some("admin".into()),
        });
        assert!(rbac.effective("gus", Some("111")).is_empty());
    }

    #[test]
    fn clearing_an_override_falls_back_to_the_roles() {
        let mut rbac = given(vec![
            user("hal"),
            assign("hal", "viewer", None),
            override_("hal", MessagesSend, Some("111"), Effect::Allow),
        ]);
        assert!(rbac.allows("hal", MessagesSend, Some("111")));
        rbac.apply(&IdentityEvent::OverrideCleared {
            user_id: "hal".into(),
            permission: MessagesSend,
            account: Some("111".into()),
            at: t(),
            by: Some("admin".into()),
        });
        assert!(!rbac.allows("hal", MessagesSend, Some("111")));
    }

    #[test]
    fn accounts_for_agrees_with_allows_on_every_account() {
        let rbac = given(vec![
            user("ivy"),
            assign("ivy", "viewer", None),
            assign("ivy", "agent", Some("111")),
            override_("ivy", MessagesView, Some("222"), Effect::Deny),
            override_("ivy", MessagesSend, Some("333"), Effect::Allow),
        ]);
        for p in Permission::ALL
            .into_iter()
            .filter(|p| p.is_account_scoped())
        {
            let scope = rbac.accounts_for("ivy", p);
            for account in ["111", "222", "333", "444"] {
                assert_eq!(
                    scope.includes(account),
                    rbac.allows("ivy", p, Some(account)),
                    "{p} on {account}"
                );
            }
        }
    }

    fn token(accounts: Option<&[&str]>, permissions: &[Permission]) -> IdentityEvent {
        IdentityEvent::ApiTokenIssued {
            token_id: "t1".into(),
            user_id: "jo".into(),
            name: "ci".into(),
            token_hash: "00".repeat(32),
            permissions: permissions.iter().copied().collect(),
            accounts: accounts.map(|a| a.iter().map(|s| s.to_string()).collect()),
            expires_at: Some(t() + chrono::Duration::days(1)),
            at: t(),
            by: Some("jo".into()),
        }
    }

    #[test]
    fn a_token_narrows_its_owner_and_never_widens() {
        let rbac = given(vec![
            user("jo"),
            assign("jo", "agent", Some("111")),
            token(Some(&["111", "222"]), &[MessagesView, UsersManage]),
        ]);
        let tok = Principal::Token("t1".into());
        let now = t();
        assert!(rbac.principal_allows(&tok, MessagesView, Some("111"), now));
        // The owner has nothing on 222; the token cannot add it.
        assert!(!rbac.principal_allows(&tok, MessagesView, Some("222"), now));
        // The owner may send on 111; the token was not given that.
        assert!(!rbac.principal_allows(&tok, MessagesSend, Some("111"), now));
        assert!(!rbac.principal_allows(&tok, UsersManage, None, now));
        assert_eq!(
            rbac.principal_accounts(&tok, MessagesView, now),
            only(&["111"])
        );
        // Expired, it does nothing.
        let later = t() + chrono::Duration::days(2);
        assert!(!rbac.principal_allows(&tok, MessagesView, Some("111"), later));
        assert!(rbac
            .principal_accounts(&tok, MessagesView, later)
            .is_empty());
    }

    #[test]
    fn a_token_dies_with_its_revocation_or_its_owner() {
        let mut rbac = given(vec![
            user("jo"),
            assign("jo", "agent", None),
            token(None, &[MessagesView]),
        ]);
        let tok = Principal::Token("t1".into());
        assert!(rbac.principal_allows(&tok, MessagesView, Some("333"), t()));
        rbac.apply(&IdentityEvent::UserStatusSet {
            user_id: "jo".into(),
            active: false,
            at: t(),
            by: Some("admin".into()),
        });
        assert!(!rbac.principal_allows(&tok, MessagesView, Some("333"), t()));
        rbac.apply(&IdentityEvent::UserStatusSet {
            user_id: "jo".into(),
            active: true,
            at: t(),
            by: Some("admin".into()),
        });
        rbac.apply(&IdentityEvent::ApiTokenRevoked {
            token_id: "t1".into(),
            at: t(),
            by: Some("jo".into()),
        });
        assert!(!rbac.principal_allows(&tok, MessagesView, Some("333"), t()));
    }

    #[test]
    fn the_snapshot_survives_a_round_trip_through_json() {
        let rbac = given(vec![
            user("kim"),
            assign("kim", "agent", Some("111")),
            override_("kim", AuditView, Some("111"), Effect::Allow),
            token(None, &[MessagesView]),
        ]);
        let json = serde_json::to_value(&rbac).unwrap();
        assert_eq!(serde_json::from_value::<Rbac>(json).unwrap(), rbac);
    }

    fn arbitrary_event() -> impl proptest::strategy::Strategy<Value = IdentityEvent> {
        use proptest::prelude::*;
        let user = prop_oneof![Just("u1"), Just("u2")].prop_map(str::to_owned);
        let role = prop_oneof![Just("agent"), Just("viewer"), Just("admin"), Just("custom")]
            .prop_map(str::to_owned);
        let account = prop_oneof![Just(None), Just(Some("111")), Just(Some("222"))]
            .prop_map(|a| a.map(str::to_owned));
        let permission = || (0..Permission::ALL.len()).prop_map(|i| Permission::ALL[i]);
        let effect = prop_oneof![Just(Effect::Allow), Just(Effect::Deny)];
        prop_oneof![
            (user.clone(), role.clone(), account.clone()).prop_map(|(user_id, role, account)| {
                IdentityEvent::RoleAssigned {
                    user_id,
                    role,
                    account,
                    at: t(),
                    by: None,
                }
            }),
            (user.clone(), role.clone(), account.clone()).prop_map(|(user_id, role, account)| {
                IdentityEvent::RoleUnassigned {
                    user_id,
                    role,
                    account,
                    at: t(),
                    by: None,
                }
            }),
            (user.clone(), permission(), account.clone(), effect).prop_map(
                |(user_id, permission, account, effect)| IdentityEvent::OverrideSet {
                    user_id,
                    permission,
                    account,
                    effect,
                    at: t(),
                    by: None,
                }
            ),
            (user.clone(), permission(), account).prop_map(|(user_id, permission, account)| {
                IdentityEvent::OverrideCleared {
                    user_id,
                    permission,
                    account,
                    at: t(),
                    by: None,
                }
            }),
            (user, any::<bool>()).prop_map(|(user_id, active)| IdentityEvent::UserStatusSet {
                user_id,
                active,
                at: t(),
                by: None,
            }),
            proptest::collection::btree_set(permission(), 0..5).prop_map(|permissions| {
                IdentityEvent::RoleDefined {
                    role: "custom".into(),
                    permissions,
                    at: t(),
                    by: None,
                }
            }),
        ]
    }

    #[test]
    fn only_a_scope_without_exceptions_is_every_number() {
        let none = BTreeSet::new();
        let one: BTreeSet<String> = ["111".to_owned()].into();
        assert!(AccountScope::All {
            except: none.clone()
        }
        .is_everything());
        assert!(!AccountScope::All {
            except: one.clone()
        }
        .is_everything());
        assert!(!AccountScope::Only(one).is_everything());
        assert!(!AccountScope::Only(none).is_everything());
    }

    proptest::proptest! {
        /// Whatever the history, the accounts a query is filtered by are exactly those where a check
        /// would allow the permission.
        #[test]
        fn the_query_scope_always_agrees_with_the_check(
            events in proptest::collection::vec(arbitrary_event(), 0..40),
        ) {
            let mut all = vec![user("u1"), user("u2")];
            all.extend(events);
            let rbac = given(all);
            for u in ["u1", "u2", "u3"] {
                for p in Permission::ALL.into_iter().filter(|p| p.is_account_scoped()) {
                    let scope = rbac.accounts_for(u, p);
                    for account in ["111", "222", "333"] {
                        proptest::prop_assert_eq!(scope.includes(account), rbac.allows(u, p, Some(account)));
                    }
                }
            }
        }
    }
}
