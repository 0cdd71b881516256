//! Who may do what: the permission catalogue, the default roles, and the identity events (users, roles,
//! role assignments, per-user overrides, user status) that the RBAC snapshot is folded from.
//!
//! Every change is an event that names who made it (`by`), so an auditor can replay who could do what,
//! and when.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub mod access;
pub mod aggregate;
pub mod events;

pub use access::{AccountScope, Rbac};
pub use aggregate::{Identity, IdentityFact};
pub use events::IdentityEvent;

/// One thing a caller may do. Wire names (`conversations.view`) are what roles, overrides and API tokens
/// store; renaming a variant never changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Permission {
    #[serde(rename = "accounts.view")]
    AccountsView,
    #[serde(rename = "accounts.manage")]
    AccountsManage,
    #[serde(rename = "accounts.assign")]
    AccountsAssign,
    #[serde(rename = "conversations.view")]
    ConversationsView,
    /// Mark read, favourite, archive, hand over from the bot.
    #[serde(rename = "conversations.manage")]
    ConversationsManage,
    /// Assign a conversation to an agent or a team, reassign, unassign.
    #[serde(rename = "conversations.assign")]
    ConversationsAssign,
    #[serde(rename = "messages.view")]
    MessagesView,
    #[serde(rename = "messages.send")]
    MessagesSend,
    #[serde(rename = "contacts.view")]
    ContactsView,
    #[serde(rename = "users.manage")]
    UsersManage,
    #[serde(rename = "roles.manage")]
    RolesManage,
    #[serde(rename = "settings.manage")]
    SettingsManage,
    #[serde(rename = "templates.manage")]
    TemplatesManage,
    #[serde(rename = "bot.manage")]
    BotManage,
    #[serde(rename = "audit.view")]
    AuditView,
    #[serde(rename = "analytics.view")]
    AnalyticsView,
    #[serde(rename = "search.use")]
    SearchUse,
    /// Create, change and delete teams (install-wide).
    #[serde(rename = "teams.manage")]
    TeamsManage,
    /// Create, change and delete conversation labels (install-wide).
    #[serde(rename = "labels.manage")]
    LabelsManage,
    /// Create, change and delete canned replies (per number, or install-wide for replies of every number).
    #[serde(rename = "replies.manage")]
    RepliesManage,
}

impl Permission {
    pub const ALL: [Permission; 20] = [
        Permission::AccountsView,
        Permission::AccountsManage,
        Permission::AccountsAssign,
        Permission::ConversationsView,
        Permission::ConversationsManage,
        Permission::ConversationsAssign,
        Permission::MessagesView,
        Permission::MessagesSend,
        Permission::ContactsView,
        Permission::UsersManage,
        Permission::RolesManage,
        Permission::SettingsManage,
        Permission::TemplatesManage,
        Permission::BotManage,
        Permission::AuditView,
        Permission::AnalyticsView,
        Permission::SearchUse,
        Permission::TeamsManage,
        Permission::LabelsManage,
        Permission::RepliesManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::AccountsView => "accounts.view",
            Permission::AccountsManage => "accounts.manage",
            Permission::AccountsAssign => "accounts.assign",
            Permission::ConversationsView => "conversations.view",
            Permission::ConversationsManage => "conversations.manage",
            Permission::ConversationsAssign => "conversations.assign",
            Permission::MessagesView => "messages.view",
            Permission::MessagesSend => "messages.send",
            Permission::ContactsView => "contacts.view",
            Permission::UsersManage => "users.manage",
            Permission::RolesManage => "roles.manage",
            Permission::SettingsManage => "settings.manage",
            Permission::TemplatesManage => "templates.manage",
            Permission::BotManage => "bot.manage",
            Permission::AuditView => "audit.view",
            Permission::AnalyticsView => "analytics.view",
            Permission::SearchUse => "search.use",
            Permission::TeamsManage => "teams.manage",
            Permission::LabelsManage => "labels.manage",
            Permission::RepliesManage => "replies.manage",
        }
    }

    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// Whether the permission is about one WhatsApp account's data (and can be granted on one account),
    /// rather than about the whole install (users, roles, settings).
    pub fn is_account_scoped(self) -> bool {
        !matches!(
            self,
            Permission::UsersManage
                | Permission::RolesManage
                | Permission::SettingsManage
                | Permission::TeamsManage
                | Permission::LabelsManage
        )
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The roles every install starts with, and what they hold.
pub fn default_roles() -> Vec<(&'static str, BTreeSet<Permission>)> {
    use Permission::*;
    let set = |ps: &[Permission]| ps.iter().copied().collect::<BTreeSet<_>>();
    vec![
        ("admin", Permission::ALL.into_iter().collect()),
        (
            "supervisor",
            set(&[
                AccountsView,
                AccountsAssign,
                ConversationsView,
                ConversationsManage,
                ConversationsAssign,
                MessagesView,
                MessagesSend,
                ContactsView,
                TemplatesManage,
                BotManage,
                AuditView,
                AnalyticsView,
                SearchUse,
                TeamsManage,
                LabelsManage,
                RepliesManage,
            ]),
        ),
        (
            "agent",
            set(&[
                AccountsView,
                ConversationsView,
                ConversationsManage,
                ConversationsAssign,
                MessagesView,
                MessagesSend,
                ContactsView,
                SearchUse,
            ]),
        ),
        (
            "viewer",
            set(&[AccountsView, ConversationsView, MessagesView, ContactsView]),
        ),
    ]
}

/// Whether an override grants or takes away a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Allow,
    Deny,
}

/// Where a grant applies: the whole install (`None`), or one WhatsApp account (phone-number id).
pub type Scope = Option<String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_are_stable() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert_eq!(
            Permission::parse("messages.send"),
            Some(Permission::MessagesSend)
        );
        assert_eq!(Permission::parse("messages.delete"), None);
    }

    #[test]
    fn admin_holds_everything_and_each_default_role_less_than_the_one_above() {
        let roles = default_roles();
        let of = |name: &str| roles.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(of("admin").len(), Permission::ALL.len());
        assert!(of("supervisor").is_subset(&of("admin")));
        assert!(of("agent").is_subset(&of("supervisor")));
        assert!(of("viewer").is_subset(&of("agent")));
        assert!(!of("agent").contains(&Permission::UsersManage));
        assert!(!of("viewer").contains(&Permission::MessagesSend));
    }
}
