//! The one place every API route declares what it needs. The authentication check looks the request up
//! here, so a route missing from this table is refused to everyone (and fails the route test), and
//! handlers only narrow further: to the accounts the caller may see.

use super::auth::Permission;
use poem::http::Method;

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// No authentication: signing in and setting up a new install.
    Public,
    /// Any signed-in caller (their own profile, session and tokens).
    SignedIn,
    /// The permission, on at least one account (or install-wide for users, roles, settings).
    Permission(Permission),
}

use Need::{Public, SignedIn};
use Permission::*;

const fn p(permission: Permission) -> Need {
    Need::Permission(permission)
}

/// Method, path (as in the OpenAPI spec), and what it needs.
pub const ROUTES: &[(&str, &str, Need)] = &[
    ("GET", "/api/v1/auth/setup", Public),
    ("POST", "/api/v1/auth/setup", Public),
    ("POST", "/api/v1/auth/sign-in", Public),
    ("POST", "/api/v1/auth/sign-out", SignedIn),
    ("GET", "/api/v1/auth/me", SignedIn),
    ("PUT", "/api/v1/auth/password", SignedIn),
    ("GET", "/api/v1/permissions", SignedIn),
    ("GET", "/api/v1/limits", SignedIn),
    ("GET", "/api/v1/api-tokens", SignedIn),
    ("POST", "/api/v1/api-tokens", SignedIn),
    ("DELETE", "/api/v1/api-tokens/{id}", SignedIn),
    ("GET", "/api/v1/roles", p(RolesManage)),
    ("POST", "/api/v1/roles", p(RolesManage)),
    ("PUT", "/api/v1/roles/{name}", p(RolesManage)),
    ("DELETE", "/api/v1/roles/{name}", p(RolesManage)),
    ("GET", "/api/v1/users", p(UsersManage)),
    ("POST", "/api/v1/users", p(UsersManage)),
    ("GET", "/api/v1/users/{id}", p(UsersManage)),
    ("PUT", "/api/v1/users/{id}/status", p(UsersManage)),
    ("PUT", "/api/v1/users/{id}/roles", p(UsersManage)),
    ("PUT", "/api/v1/users/{id}/overrides", p(UsersManage)),
    ("GET", "/api/v1/conversations", p(ConversationsView)),
    ("POST", "/api/v1/conversations", p(MessagesSend)),
    ("GET", "/api/v1/conversations/{id}", p(ConversationsView)),
    (
        "GET",
        "/api/v1/conversations/{id}/messages",
        p(MessagesView),
    ),
    (
        "POST",
        "/api/v1/conversations/{id}/messages",
        p(MessagesSend),
    ),
    (
        "POST",
        "/api/v1/conversations/{id}/read",
        p(ConversationsManage),
    ),
    (
        "PUT",
        "/api/v1/conversations/{id}/{setting}",
        p(ConversationsManage),
    ),
    (
        "DELETE",
        "/api/v1/conversations/{id}/{setting}",
        p(ConversationsManage),
    ),
    (
        "PUT",
        "/api/v1/conversations/{id}/status",
        p(ConversationsManage),
    ),
    (
        "PUT",
        "/api/v1/conversations/{id}/assignee",
        p(ConversationsAssign),
    ),
    (
        "PUT",
        "/api/v1/conversations/{id}/labels/{label}",
        p(ConversationsManage),
    ),
    (
        "DELETE",
        "/api/v1/conversations/{id}/labels/{label}",
        p(ConversationsManage),
    ),
    (
        "POST",
        "/api/v1/conversations/{id}/notes",
        p(ConversationsManage),
    ),
    ("GET", "/api/v1/conversation-counts", p(ConversationsView)),
    ("GET", "/api/v1/conversations/{id}/events", p(AuditView)),
    ("GET", "/api/v1/accounts", p(AccountsView)),
    ("GET", "/api/v1/accounts/{id}", p(AccountsView)),
    ("POST", "/api/v1/accounts", p(AccountsManage)),
    ("PATCH", "/api/v1/accounts/{id}", p(AccountsManage)),
    ("GET", "/api/v1/listings", p(MessagesView)),
    ("GET", "/api/v1/listings/stats", p(MessagesView)),
    ("GET", "/api/v1/listings/matches", p(MessagesView)),
    ("GET", "/api/v1/search", p(MessagesView)),
    ("POST", "/api/v1/search/answer", p(MessagesView)),
    ("GET", "/api/v1/contacts", p(ContactsView)),
    ("GET", "/api/v1/contacts/{id}", p(ContactsView)),
    ("POST", "/api/v1/media", p(MessagesSend)),
    ("GET", "/api/v1/media/{id}", p(MessagesView)),
    ("GET", "/api/v1/media/{id}/info", p(MessagesView)),
    ("GET", "/api/v1/stream", p(ConversationsView)),
    ("GET", "/api/v1/accounts/{id}/phone-number", p(AccountsView)),
    (
        "GET",
        "/api/v1/accounts/{id}/phone-numbers",
        p(AccountsView),
    ),
    ("POST", "/api/v1/accounts/{id}/register", p(AccountsManage)),
    (
        "POST",
        "/api/v1/accounts/{id}/deregister",
        p(AccountsManage),
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/verification-code",
        p(AccountsManage),
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/verification-code/verify",
        p(AccountsManage),
    ),
    ("GET", "/api/v1/accounts/{id}/profile", p(AccountsView)),
    ("PATCH", "/api/v1/accounts/{id}/profile", p(AccountsManage)),
    ("GET", "/api/v1/accounts/{id}/templates", p(MessagesSend)),
    (
        "POST",
        "/api/v1/accounts/{id}/templates",
        p(TemplatesManage),
    ),
    (
        "DELETE",
        "/api/v1/accounts/{id}/templates/{name}",
        p(TemplatesManage),
    ),
    ("GET", "/api/v1/accounts/{id}/subscription", p(AccountsView)),
    (
        "PUT",
        "/api/v1/accounts/{id}/subscription",
        p(AccountsManage),
    ),
    (
        "DELETE",
        "/api/v1/accounts/{id}/subscription",
        p(AccountsManage),
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/business-account",
        p(AccountsView),
    ),
    ("GET", "/api/v1/accounts/{id}/token", p(AccountsManage)),
    ("GET", "/api/v1/accounts/{id}/bot", p(BotManage)),
    ("PUT", "/api/v1/accounts/{id}/bot", p(BotManage)),
    ("GET", "/api/v1/accounts/{id}/bot/preview", p(BotManage)),
    ("POST", "/api/v1/accounts/{id}/bot/try", p(BotManage)),
    ("GET", "/api/v1/accounts/{id}/bot/qa", p(BotManage)),
    ("POST", "/api/v1/accounts/{id}/bot/qa", p(BotManage)),
    ("PUT", "/api/v1/accounts/{id}/bot/qa/{qa_id}", p(BotManage)),
    (
        "DELETE",
        "/api/v1/accounts/{id}/bot/qa/{qa_id}",
        p(BotManage),
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/bot/qa-suggestions",
        p(BotManage),
    ),
    (
        "GET",
        "/api/v1/conversations/{id}/bot",
        p(ConversationsView),
    ),
    (
        "PUT",
        "/api/v1/conversations/{id}/bot",
        p(ConversationsManage),
    ),
    ("GET", "/api/v1/teams", p(ConversationsView)),
    ("POST", "/api/v1/teams", p(TeamsManage)),
    ("PUT", "/api/v1/teams/{id}", p(TeamsManage)),
    ("DELETE", "/api/v1/teams/{id}", p(TeamsManage)),
    ("GET", "/api/v1/labels", p(ConversationsView)),
    ("POST", "/api/v1/labels", p(LabelsManage)),
    ("PUT", "/api/v1/labels/{id}", p(LabelsManage)),
    ("DELETE", "/api/v1/labels/{id}", p(LabelsManage)),
    ("GET", "/api/v1/replies", p(MessagesSend)),
    ("POST", "/api/v1/replies", p(RepliesManage)),
    ("PUT", "/api/v1/replies/{id}", p(RepliesManage)),
    ("DELETE", "/api/v1/replies/{id}", p(RepliesManage)),
    ("GET", "/api/v1/agents", p(ConversationsView)),
    ("PUT", "/api/v1/me/availability", SignedIn),
    ("GET", "/api/v1/reports/summary", p(AnalyticsView)),
    ("GET", "/api/v1/reports/volume", p(AnalyticsView)),
    ("GET", "/api/v1/reports/agents", p(AnalyticsView)),
    ("GET", "/api/v1/reports/accounts", p(AnalyticsView)),
    ("GET", "/api/v1/reports/labels", p(AnalyticsView)),
    ("GET", "/api/v1/reports/{report}/csv", p(AnalyticsView)),
];

/// How well a template matches a path: `None` when it does not; otherwise the number of literal
/// segments, so `/accounts/{id}/templates` beats `/accounts/{id}/{setting}`.
fn matches(template: &str, path: &str) -> Option<usize> {
    let mut literal = 0;
    let mut t = template.split('/');
    let mut p = path.trim_end_matches('/').split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(literal),
            (Some(ts), Some(ps)) if ts.starts_with('{') && !ps.is_empty() => {}
            (Some(ts), Some(ps)) if ts == ps => literal += 1,
            _ => return None,
        }
    }
}

/// What the route serving `method` `path` needs; `None` for a route that declares nothing.
pub fn need_for(method: &Method, path: &str) -> Option<Need> {
    ROUTES
        .iter()
        .filter(|(m, _, _)| *m == method.as_str())
        .filter_map(|(_, template, need)| matches(template, path).map(|score| (score, *need)))
        .max_by_key(|(score, _)| *score)
        .map(|(_, need)| need)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_literal_template_wins() {
        assert_eq!(
            need_for(&Method::GET, "/api/v1/conversations/111-222/messages"),
            Some(p(MessagesView))
        );
        assert_eq!(
            need_for(&Method::PUT, "/api/v1/conversations/111-222/favourite"),
            Some(p(ConversationsManage))
        );
        assert_eq!(
            need_for(&Method::GET, "/api/v1/conversations/"),
            Some(p(ConversationsView))
        );
        assert_eq!(need_for(&Method::GET, "/api/v1/nothing"), None);
        assert_eq!(need_for(&Method::PATCH, "/api/v1/conversations/1"), None);
    }

    /// Every operation in the OpenAPI spec declares what it needs here, and nothing here is stale.
    #[test]
    fn every_operation_of_the_spec_is_declared_once() {
        let spec: serde_json::Value =
            serde_json::from_str(&crate::api::service().spec()).expect("spec is JSON");
        let mut operations = Vec::new();
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
        for (method, path) in &operations {
            let declared = ROUTES
                .iter()
                .filter(|(m, t, _)| m == method && t == path)
                .count();
            assert_eq!(declared, 1, "{method} {path} must be declared exactly once");
        }
        for (method, template, _) in ROUTES {
            assert!(
                operations.iter().any(|(m, p)| m == method && p == template),
                "{method} {template} is declared but not served"
            );
        }
    }
}
