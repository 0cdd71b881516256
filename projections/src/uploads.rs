//! Who may see a stored media file: the users who uploaded it (`media_uploads`), and whoever may read the
//! messages of an account where a message uses it (`inbox_messages`).
//!
//! `media_uploads` is no view: an upload is no fact of any stream (the file is content-addressed, and
//! sending it is what the log records), so the API writes it directly, through [`record_upload`], and a
//! rebuild leaves it alone. It lives here, beside the one query that reads it.

use crate::scope::{AccountScope, Binds};
use sqlx::PgExecutor;

/// Notes that `user_id` uploaded the file `media_id` (again: no change).
pub async fn record_upload(
    db: impl PgExecutor<'_>,
    media_id: &str,
    user_id: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into media_uploads (media_id, user_id) values ($1, $2) on conflict do nothing",
        media_id,
        user_id,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether `user_id` may see the file `media_id`: they uploaded it, or a message on an account in
/// `messages_scope` (where they may read messages) uses it. Decided in one query, before any file is
/// opened.
pub async fn visible(
    db: impl PgExecutor<'_>,
    media_id: &str,
    user_id: &str,
    messages_scope: &AccountScope,
) -> sqlx::Result<bool> {
    let scope = Binds::from(messages_scope);
    sqlx::query_scalar!(
        r#"select (
             exists (select 1 from media_uploads where media_id = $1 and user_id = $2)
             or exists (
               select 1 from inbox_messages m
               where (m.media_file ->> 'id' = $1 or m.media ->> 'media_id' = $1)
                 and account_in_scope(m.account_id, $3, $4)
             )
           ) as "visible!""#,
        media_id,
        user_id,
        scope.all_but,
        &scope.accounts,
    )
    .fetch_one(db)
    .await
}
