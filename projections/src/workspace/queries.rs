//! Every read of the workspace view: the API's lists of teams, labels, canned replies and availability.

use super::view::{AvailabilityRow, LabelRow, ReplyRow, TeamRow};
use crate::scope::{AccountScope, Binds};
use sqlx::PgExecutor;

/// The most canned replies one list returns (the composer's picker narrows with `q`).
pub const REPLIES_MAX: i64 = 500;

/// Every team, by name.
pub async fn teams(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<TeamRow>> {
    sqlx::query_as!(
        TeamRow,
        r#"select team_id, name, members, accounts, saved_at, saved_by, position
           from workspace_teams order by lower(name), team_id"#
    )
    .fetch_all(db)
    .await
}

/// Every label, by name.
pub async fn labels(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<LabelRow>> {
    sqlx::query_as!(
        LabelRow,
        r#"select label_id, name, colour, saved_at, saved_by, position
           from workspace_labels order by lower(name), label_id"#
    )
    .fetch_all(db)
    .await
}

/// The canned replies a caller may use, by shortcut: those for every number, and those of the numbers
/// in `scope`. With `account`, only those usable on that number (its own and those for every number);
/// with `q`, only those whose shortcut or text holds it (ignoring case).
pub async fn replies(
    db: impl PgExecutor<'_>,
    scope: &AccountScope,
    account: Option<&str>,
    q: Option<&str>,
) -> sqlx::Result<Vec<ReplyRow>> {
    let scope = Binds::from(scope);
    sqlx::query_as!(
        ReplyRow,
        r#"select reply_id, shortcut, text, account, saved_at, saved_by, position
           from workspace_replies
           where (account is null or account_in_scope(account, $1, $2))
             and ($3::text is null or account is null or account = $3)
             and ($4::text is null
                  or strpos(lower(shortcut), lower($4)) > 0
                  or strpos(lower(text), lower($4)) > 0)
           order by shortcut, account nulls first, reply_id
           limit $5"#,
        scope.all_but,
        &scope.accounts,
        account,
        q,
        REPLIES_MAX
    )
    .fetch_all(db)
    .await
}

/// Every availability an agent set.
pub async fn availability(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<AvailabilityRow>> {
    sqlx::query_as!(
        AvailabilityRow,
        r#"select user_id, available, set_at, set_by, position
           from agent_availability order by user_id"#
    )
    .fetch_all(db)
    .await
}
