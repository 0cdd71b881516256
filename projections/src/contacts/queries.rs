//! Every read the API makes of `inbox_contacts`. A contact is in a caller's scope when one of their
//! conversations is on an account in it.

use super::ContactRow;
use crate::query::{contains, probe, Page};
use crate::scope::{AccountScope, Binds};
use sqlx::PgExecutor;

/// Which contacts a list shows.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    /// Text to find in the name, username or number (case-insensitive).
    pub text: Option<String>,
    /// Continue after this contact of the list's order: its `(name or "", contact_id)`.
    pub after: Option<(String, String)>,
}

/// A page of contacts in `scope`, by name (no name sorts first), then id.
pub async fn list_contacts(
    db: impl PgExecutor<'_>,
    filter: &ContactFilter,
    scope: &AccountScope,
    limit: i64,
) -> sqlx::Result<Page<ContactRow>> {
    let scope = Binds::from(scope);
    let pattern = filter.text.as_deref().map(contains);
    let (after_name, after_id) = filter.after.clone().unzip();
    let rows = sqlx::query_as!(
        ContactRow,
        r#"select contact_id, wa_id, user_id, name, username, first_seen_at, last_seen_at, position
           from inbox_contacts c
           where ($1::text is null or name ilike $1 or username ilike $1 or contact_id ilike $1
                  or wa_id ilike $1)
             and ($2::text is null or (coalesce(name, ''), contact_id) > ($2, $3))
             and exists (select 1 from inbox_conversations v
                         where v.contact_id = c.contact_id and account_in_scope(v.account_id, $5, $6))
           order by coalesce(name, ''), contact_id
           limit $4"#,
        pattern,
        after_name,
        after_id,
        probe(limit),
        scope.all_but,
        &scope.accounts,
    )
    .fetch_all(db)
    .await?;
    Ok(Page::of(rows, limit))
}

/// One contact, if they are in `scope`.
pub async fn contact(
    db: impl PgExecutor<'_>,
    id: &str,
    scope: &AccountScope,
) -> sqlx::Result<Option<ContactRow>> {
    let scope = Binds::from(scope);
    sqlx::query_as!(
        ContactRow,
        r#"select contact_id, wa_id, user_id, name, username, first_seen_at, last_seen_at, position
           from inbox_contacts c
           where contact_id = $1
             and exists (select 1 from inbox_conversations v
                         where v.contact_id = c.contact_id and account_in_scope(v.account_id, $2, $3))"#,
        id,
        scope.all_but,
        &scope.accounts,
    )
    .fetch_optional(db)
    .await
}
