//! Every read the API makes of the RBAC view: the snapshot row every node loads into memory, and what the
//! identity routes look up in that snapshot once loaded.

use super::SnapshotRow;
use actors::identity::access::{ApiTokenAccess, UserAccess};
use actors::identity::Rbac;
use sqlx::types::Json;
use sqlx::PgExecutor;

/// The snapshot, if it has folded identity events past `position` (what the caller already holds).
pub async fn snapshot_after(
    conn: impl PgExecutor<'_>,
    position: i64,
) -> sqlx::Result<Option<SnapshotRow>> {
    sqlx::query_as!(
        SnapshotRow,
        r#"select id, snapshot as "snapshot: Json<Rbac>", position, updated_at
           from rbac_snapshot where id = 1 and position > $1"#,
        position
    )
    .fetch_optional(conn)
    .await
}

/// Every WhatsApp account the inbox knows, in order: the accounts a caller's own permissions are listed
/// for. It reads the accounts view, the one list of accounts there is.
pub async fn account_ids(conn: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("select account_id from inbox_accounts order by account_id")
        .fetch_all(conn)
        .await
}

/// A registered user (not one only named by an event before their registration).
pub fn user<'a>(rbac: &'a Rbac, user_id: &str) -> Option<&'a UserAccess> {
    rbac.users.get(user_id).filter(|u| u.registered)
}

/// The registered users, by email.
pub fn users(rbac: &Rbac) -> Vec<(&String, &UserAccess)> {
    let mut users: Vec<_> = rbac.users.iter().filter(|(_, u)| u.registered).collect();
    users.sort_by(|(_, a), (_, b)| a.email.cmp(&b.email));
    users
}

/// How many registered users hold `role`, globally or on some account.
pub fn role_holders(rbac: &Rbac, role: &str) -> usize {
    rbac.users
        .values()
        .filter(|u| u.registered && u.roles.iter().any(|(r, _)| r == role))
        .count()
}

/// The API tokens of `owner`, or everyone's when `None`.
pub fn api_tokens<'a>(
    rbac: &'a Rbac,
    owner: Option<&'a str>,
) -> impl Iterator<Item = (&'a String, &'a ApiTokenAccess)> {
    rbac.tokens
        .iter()
        .filter(move |(_, t)| owner.is_none_or(|o| t.user_id == o))
}
