//! Every read the API and the workers make of the inbox's tables (`inbox_conversations`,
//! `inbox_messages`), as typed rows checked against the schema when the crate is built.

use super::view::{ConversationRow, MessageRow, Reaction, Transcript};
use crate::query::{contains, probe, Page};
use crate::scope::{AccountScope, Binds};
use actors::conversation::status::{MediaState, MessageStatus, SendState};
use actors::conversation::workflow::ConversationStatus;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::PgExecutor;
use std::collections::BTreeMap;

/// Which conversations a list shows; every filter left `None` lets all through.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    /// Only this business number.
    pub account: Option<String>,
    /// true: only conversations with unread messages; false: only those without.
    pub unread: Option<bool>,
    /// true: only favourites; false: only the others.
    pub favourite: Option<bool>,
    /// true: only archived conversations; false: only the others.
    pub archived: Option<bool>,
    /// true: only group conversations.
    pub group: Option<bool>,
    /// true: only conversations the bot answers.
    pub bot: Option<bool>,
    /// Text to find in the contact's name or username (case-insensitive), or, by its digits, number.
    pub text: Option<String>,
    /// Only conversations with this status.
    pub status: Option<ConversationStatus>,
    /// Only those assigned to this agent, or (`Some(None)`) to no agent.
    pub assignee: Option<Option<String>>,
    /// Only those assigned to this team, or (`Some(None)`) to no team.
    pub team: Option<Option<String>>,
    /// Only those with this label.
    pub label: Option<String>,
    /// Continue after this conversation of the inbox order: its `(sort_at, conversation_id)`.
    pub after: Option<(DateTime<Utc>, String)>,
}

/// A page of conversations on accounts in `scope`, most recent first (`sort_at`, then id, descending).
pub async fn list_conversations(
    db: impl PgExecutor<'_>,
    filter: &ConversationFilter,
    scope: &AccountScope,
    limit: i64,
) -> sqlx::Result<Page<ConversationRow>> {
    let scope = Binds::from(scope);
    let text = filter.text.as_deref();
    let name_pattern = text.map(contains);
    // The number matches by its digits only; text without digits matches no number (an empty pattern)
    // rather than every one.
    let number_pattern = text.map(|t| {
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        match digits.is_empty() {
            true => String::new(),
            false => format!("%{digits}%"),
        }
    });
    let (after_at, after_id) = filter.after.clone().unzip();
    let rows = sqlx::query_as!(
        ConversationRow,
        r#"select conversation_id, account_id, contact_id, contact_wa_id, contact_user_id, contact_name,
                  contact_username, is_group, last_message_id, last_message_at, last_message_preview,
                  last_message_kind, last_message_direction, last_inbound_at, unread_count, read_at,
                  favourite, archived, bot_enabled, message_count, created_at, updated_at, sort_at,
                  position, status as "status: ConversationStatus", status_at, snoozed_until, assignee,
                  team_id, assigned_at, auto_assigned, labels
           from inbox_conversations
           where ($1::text is null or account_id = $1)
             and ($2::bool is null or (unread_count > 0) = $2)
             and ($3::bool is null or favourite = $3)
             and ($4::bool is null or archived = $4)
             and ($5::bool is null or is_group = $5)
             and ($6::bool is null or bot_enabled = $6)
             and ($7::text is null or contact_name ilike $7 or contact_username ilike $7
                  or contact_id like $8 or contact_wa_id like $8)
             and ($9::timestamptz is null or (sort_at, conversation_id) < ($9, $10))
             and account_in_scope(account_id, $12, $13)
             and ($14::text is null or status = $14)
             and (not $15 or assignee is not distinct from $16)
             and (not $17 or team_id is not distinct from $18)
             and ($19::text is null or labels @> array[$19])
           order by sort_at desc, conversation_id desc
           limit $11"#,
        filter.account,
        filter.unread,
        filter.favourite,
        filter.archived,
        filter.group,
        filter.bot,
        name_pattern,
        number_pattern,
        after_at,
        after_id,
        probe(limit),
        scope.all_but,
        &scope.accounts,
        filter.status.map(ConversationStatus::as_str),
        filter.assignee.is_some(),
        filter.assignee.clone().flatten(),
        filter.team.is_some(),
        filter.team.clone().flatten(),
        filter.label.as_deref(),
    )
    .fetch_all(db)
    .await?;
    Ok(Page::of(rows, limit))
}

/// How many conversations the inbox's views hold (see [`counts`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub open: i64,
    pub pending: i64,
    pub snoozed: i64,
    pub resolved: i64,
    pub mine: i64,
    pub unassigned: i64,
    pub all: i64,
    /// (team id, count), by id.
    pub teams: Vec<(String, i64)>,
    /// (label id, count), by id.
    pub labels: Vec<(String, i64)>,
}

/// The counts of conversations on accounts in `scope` (and `account`, when given): per status; and, with
/// `status`, those assigned to `user`, to nobody, all, and per team and label.
pub async fn counts(
    db: &sqlx::PgPool,
    account: Option<&str>,
    status: ConversationStatus,
    user: &str,
    scope: &AccountScope,
) -> sqlx::Result<Counts> {
    let scope = Binds::from(scope);
    let totals = sqlx::query!(
        r#"select count(*) filter (where status = 'open') as "open!",
                  count(*) filter (where status = 'pending') as "pending!",
                  count(*) filter (where status = 'snoozed') as "snoozed!",
                  count(*) filter (where status = 'resolved') as "resolved!",
                  count(*) filter (where status = $2 and assignee = $3) as "mine!",
                  count(*) filter (where status = $2 and assignee is null) as "unassigned!",
                  count(*) filter (where status = $2) as "all!"
           from inbox_conversations
           where ($1::text is null or account_id = $1) and account_in_scope(account_id, $4, $5)"#,
        account,
        status.as_str(),
        user,
        scope.all_but,
        &scope.accounts,
    )
    .fetch_one(db)
    .await?;
    let teams = sqlx::query!(
        r#"select team_id as "id!", count(*) as "count!" from inbox_conversations
           where team_id is not null and status = $2
             and ($1::text is null or account_id = $1) and account_in_scope(account_id, $3, $4)
           group by team_id order by team_id"#,
        account,
        status.as_str(),
        scope.all_but,
        &scope.accounts,
    )
    .fetch_all(db)
    .await?;
    let labels = sqlx::query!(
        r#"select l.label as "id!", count(*) as "count!"
           from inbox_conversations c cross join unnest(c.labels) l(label)
           where c.status = $2
             and ($1::text is null or c.account_id = $1) and account_in_scope(c.account_id, $3, $4)
           group by l.label order by l.label"#,
        account,
        status.as_str(),
        scope.all_but,
        &scope.accounts,
    )
    .fetch_all(db)
    .await?;
    Ok(Counts {
        open: totals.open,
        pending: totals.pending,
        snoozed: totals.snoozed,
        resolved: totals.resolved,
        mine: totals.mine,
        unassigned: totals.unassigned,
        all: totals.all,
        teams: teams.into_iter().map(|r| (r.id, r.count)).collect(),
        labels: labels.into_iter().map(|r| (r.id, r.count)).collect(),
    })
}

/// One message of a conversation on an account in `scope`, if it is known.
pub async fn message(
    db: impl PgExecutor<'_>,
    conversation_id: &str,
    message_id: &str,
    scope: &AccountScope,
) -> sqlx::Result<Option<MessageRow>> {
    let scope = Binds::from(scope);
    sqlx::query_as!(
        MessageRow,
        r#"select conversation_id, message_id, account_id, present, direction, kind, body, media,
                  content, reply_to, forwarded, sender, sent_at, sort_at, seq,
                  status as "status: MessageStatus",
                  statuses as "statuses: Json<BTreeMap<String, DateTime<Utc>>>", failure,
                  reactions as "reactions: Json<Vec<Reaction>>", edited_at,
                  edits as "edits: Json<Vec<Value>>", revoked_at, wamid,
                  send_state as "send_state: SendState", attempts, next_attempt_at,
                  media_state as "media_state: MediaState", media_file,
                  transcript as "transcript: Json<Transcript>", position
           from inbox_messages
           where conversation_id = $1 and message_id = $2 and present
             and account_in_scope(account_id, $3, $4)"#,
        conversation_id,
        message_id,
        scope.all_but,
        &scope.accounts,
    )
    .fetch_optional(db)
    .await
}

/// One conversation, if it is on an account in `scope`.
pub async fn conversation(
    db: impl PgExecutor<'_>,
    id: &str,
    scope: &AccountScope,
) -> sqlx::Result<Option<ConversationRow>> {
    let scope = Binds::from(scope);
    sqlx::query_as!(
        ConversationRow,
        r#"select conversation_id, account_id, contact_id, contact_wa_id, contact_user_id, contact_name,
                  contact_username, is_group, last_message_id, last_message_at, last_message_preview,
                  last_message_kind, last_message_direction, last_inbound_at, unread_count, read_at,
                  favourite, archived, bot_enabled, message_count, created_at, updated_at, sort_at,
                  position, status as "status: ConversationStatus", status_at, snoozed_until, assignee,
                  team_id, assigned_at, auto_assigned, labels
           from inbox_conversations
           where conversation_id = $1 and account_in_scope(account_id, $2, $3)"#,
        id,
        scope.all_but,
        &scope.accounts,
    )
    .fetch_optional(db)
    .await
}

/// A customer's most recent conversations on accounts in `scope`, most recent first.
pub async fn contact_conversations(
    db: impl PgExecutor<'_>,
    contact_id: &str,
    scope: &AccountScope,
    limit: i64,
) -> sqlx::Result<Vec<ConversationRow>> {
    let scope = Binds::from(scope);
    sqlx::query_as!(
        ConversationRow,
        r#"select conversation_id, account_id, contact_id, contact_wa_id, contact_user_id, contact_name,
                  contact_username, is_group, last_message_id, last_message_at, last_message_preview,
                  last_message_kind, last_message_direction, last_inbound_at, unread_count, read_at,
                  favourite, archived, bot_enabled, message_count, created_at, updated_at, sort_at,
                  position, status as "status: ConversationStatus", status_at, snoozed_until, assignee,
                  team_id, assigned_at, auto_assigned, labels
           from inbox_conversations
           where contact_id = $1 and account_in_scope(account_id, $2, $3)
           order by sort_at desc, conversation_id desc
           limit $4"#,
        contact_id,
        scope.all_but,
        &scope.accounts,
        limit,
    )
    .fetch_all(db)
    .await
}

/// A place in a conversation's message order: a message's `(sort_at, seq)`.
pub type MessageKeyset = (DateTime<Utc>, i64);

/// The page of a conversation's messages just before `before` (without it: the newest), oldest first;
/// `more` says whether older ones exist. Only messages that are known (`present`) are shown. The caller
/// has checked that the conversation is in its scope.
pub async fn messages_before(
    db: impl PgExecutor<'_>,
    conversation_id: &str,
    before: Option<MessageKeyset>,
    limit: i64,
) -> sqlx::Result<Page<MessageRow>> {
    let (at, seq) = before.unzip();
    let rows = sqlx::query_as!(
        MessageRow,
        r#"select conversation_id, message_id, account_id, present, direction, kind, body, media,
                  content, reply_to, forwarded, sender, sent_at, sort_at, seq,
                  status as "status: MessageStatus",
                  statuses as "statuses: Json<BTreeMap<String, DateTime<Utc>>>", failure,
                  reactions as "reactions: Json<Vec<Reaction>>", edited_at,
                  edits as "edits: Json<Vec<Value>>", revoked_at, wamid,
                  send_state as "send_state: SendState", attempts, next_attempt_at,
                  media_state as "media_state: MediaState", media_file,
                  transcript as "transcript: Json<Transcript>", position
           from inbox_messages
           where conversation_id = $1 and present
             and ($2::timestamptz is null or (sort_at, seq) < ($2, $3))
           order by sort_at desc, seq desc
           limit $4"#,
        conversation_id,
        at,
        seq,
        probe(limit),
    )
    .fetch_all(db)
    .await?;
    let mut page = Page::of(rows, limit);
    page.rows.reverse();
    Ok(page)
}

/// The page of a conversation's messages just after `after`, oldest first; `more` says whether newer
/// ones exist. As [`messages_before`] otherwise.
pub async fn messages_after(
    db: impl PgExecutor<'_>,
    conversation_id: &str,
    after: MessageKeyset,
    limit: i64,
) -> sqlx::Result<Page<MessageRow>> {
    let rows = sqlx::query_as!(
        MessageRow,
        r#"select conversation_id, message_id, account_id, present, direction, kind, body, media,
                  content, reply_to, forwarded, sender, sent_at, sort_at, seq,
                  status as "status: MessageStatus",
                  statuses as "statuses: Json<BTreeMap<String, DateTime<Utc>>>", failure,
                  reactions as "reactions: Json<Vec<Reaction>>", edited_at,
                  edits as "edits: Json<Vec<Value>>", revoked_at, wamid,
                  send_state as "send_state: SendState", attempts, next_attempt_at,
                  media_state as "media_state: MediaState", media_file,
                  transcript as "transcript: Json<Transcript>", position
           from inbox_messages
           where conversation_id = $1 and present and (sort_at, seq) > ($2, $3)
           order by sort_at, seq
           limit $4"#,
        conversation_id,
        after.0,
        after.1,
        probe(limit),
    )
    .fetch_all(db)
    .await?;
    Ok(Page::of(rows, limit))
}

/// A message, by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageKey {
    /// The conversation (its stream name without `conversation-`).
    pub conversation_id: String,
    /// The message's id in the conversation: the inbox's own for messages it sent.
    pub message_id: String,
}

/// Messages the senders still have to send (queued, being sent, or waiting to retry: the states of
/// `SendState::UNFINISHED`, written out so the planner uses the partial index on them), oldest first.
pub async fn unsent(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<MessageKey>> {
    sqlx::query_as!(
        MessageKey,
        r#"select conversation_id, message_id from inbox_messages
           where send_state in ('queued', 'sending', 'retrying')
           order by sort_at limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// A customer's file still to fetch from Meta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMedia {
    /// The conversation of the message.
    pub conversation_id: String,
    /// The message whose file it is (its wamid).
    pub message_id: String,
    /// Meta's id of the file (none when the message names no file: nothing to fetch).
    pub media_id: Option<String>,
}

/// Messages whose file has not been fetched yet, newest first (they are the likeliest to be looked at).
pub async fn pending_media(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<PendingMedia>> {
    sqlx::query_as!(
        PendingMedia,
        r#"select conversation_id, message_id, media->>'media_id' as "media_id?"
           from inbox_messages where media_state = 'pending'
           order by sort_at desc limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}
