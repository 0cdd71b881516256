//! Every read of the bot view: the fold's, the bot worker's and the API's.

use super::view::{ConversationRow, SettingsRow, TranscriptRow, TurnRow};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// The conversations of `ids`, as the view holds them. Each id is probed through the primary key (a
/// lateral lookup): with `= any($1)` the planner picks a sequential scan of a table still small but full of
/// the fold's dead row versions, which made this the slowest statement of a live batch.
pub async fn conversations(
    db: impl PgExecutor<'_>,
    ids: &[String],
) -> sqlx::Result<Vec<ConversationRow>> {
    sqlx::query_as!(
        ConversationRow,
        r#"select t.conversation_id as "conversation_id!", t.account_id as "account_id!",
                  t.enabled as "enabled!", t.latest_message_id, t.latest_at, t.answered_through,
                  t.claimed_turn, t.claimed_at, t.replies as "replies!", t.escalations as "escalations!",
                  t.last_escalated_at, t.last_escalation_reason, t.off_reason, t.position as "position!"
           from unnest($1::text[]) k(id)
           cross join lateral (select * from bot_conversations t
                               where t.conversation_id = k.id offset 0) t"#,
        ids
    )
    .fetch_all(db)
    .await
}

/// One conversation's bot state.
pub async fn conversation(
    db: impl PgExecutor<'_>,
    id: &str,
) -> sqlx::Result<Option<ConversationRow>> {
    sqlx::query_as!(
        ConversationRow,
        r#"select conversation_id, account_id, enabled, latest_message_id, latest_at, answered_through,
                  claimed_turn, claimed_at, replies, escalations, last_escalated_at,
                  last_escalation_reason, off_reason, position
           from bot_conversations where conversation_id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// The turns of `keys` (conversation, turn), as the view holds them.
pub async fn turns_of(
    db: impl PgExecutor<'_>,
    conversations: &[String],
    turns: &[Uuid],
) -> sqlx::Result<Vec<TurnRow>> {
    sqlx::query_as!(
        TurnRow,
        r#"select t.conversation_id, t.turn_id, through, outcome, kind, message_id, model,
                  playbook_version, confidence, reasons, input_tokens, output_tokens, latency_ms,
                  would_have_replied, error, escalation_number, claimed_at, finished_at, position
           from bot_turns t
           join unnest($1::text[], $2::uuid[]) as k(conversation_id, turn_id)
             on k.conversation_id = t.conversation_id and k.turn_id = t.turn_id"#,
        conversations,
        turns
    )
    .fetch_all(db)
    .await
}

/// A conversation's latest turns, newest first.
pub async fn turns(
    db: impl PgExecutor<'_>,
    conversation_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<TurnRow>> {
    sqlx::query_as!(
        TurnRow,
        r#"select conversation_id, turn_id, through, outcome, kind, message_id, model,
                  playbook_version, confidence, reasons, input_tokens, output_tokens, latency_ms,
                  would_have_replied, error, escalation_number, claimed_at, finished_at, position
           from bot_turns where conversation_id = $1
           order by claimed_at desc, turn_id desc limit $2"#,
        conversation_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// A conversation's voice-note transcripts.
pub async fn transcripts(
    db: impl PgExecutor<'_>,
    conversation_id: &str,
) -> sqlx::Result<Vec<TranscriptRow>> {
    sqlx::query_as!(
        TranscriptRow,
        r#"select conversation_id, message_id, text, model, transcribed_at, position
           from bot_transcripts where conversation_id = $1 order by transcribed_at"#,
        conversation_id
    )
    .fetch_all(db)
    .await
}

/// A number's bot settings as last saved (none: never saved, the defaults apply).
pub async fn settings(
    db: impl PgExecutor<'_>,
    account_id: &str,
) -> sqlx::Result<Option<SettingsRow>> {
    sqlx::query_as!(
        SettingsRow,
        r#"select account_id, version, settings, saved_at, enabled_since, position
           from bot_settings where account_id = $1"#,
        account_id
    )
    .fetch_optional(db)
    .await
}

/// A conversation with a customer message the bot has not answered, on a number whose bot is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub conversation_id: String,
    pub account_id: String,
    pub latest_message_id: String,
    /// When that message was recorded: the debounce runs from here.
    pub latest_at: DateTime<Utc>,
    /// When the open turn was claimed, if one is: another may take it once its lease has run out.
    pub claimed_at: Option<DateTime<Utc>>,
}

/// Conversations waiting for the bot, oldest message first: a customer message recorded since the number's
/// bot was switched on and not answered yet.
pub async fn waiting(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Waiting>> {
    sqlx::query_as!(
        Waiting,
        r#"select c.conversation_id, c.account_id, c.latest_message_id as "latest_message_id!",
                  c.latest_at as "latest_at!", c.claimed_at
           from bot_conversations c
           join bot_settings s on s.account_id = c.account_id
           where c.enabled and c.latest_message_id is not null
             and c.latest_message_id is distinct from c.answered_through
             and c.latest_at is not null
             and (s.settings->>'enabled')::boolean
             and c.latest_at > s.enabled_since
           order by c.latest_at limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// A number's knowledge base, newest first.
pub async fn qa(
    db: impl PgExecutor<'_>,
    account_id: &str,
) -> sqlx::Result<Vec<super::view::QaRow>> {
    sqlx::query_as!(
        super::view::QaRow,
        r#"select account_id, qa_id, question, answer, source_conversation, saved_at, position
           from bot_qa where account_id = $1 order by saved_at desc, qa_id"#,
        account_id
    )
    .fetch_all(db)
    .await
}

/// A question a customer asked and the answer a person (not the bot) gave next: a knowledge-base entry
/// worth proposing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub conversation_id: String,
    pub question_id: String,
    pub question: String,
    pub answer: String,
    pub answered_at: DateTime<Utc>,
}

/// Questions (customer messages with a `?`) of a number and the next message a person sent, newest first;
/// questions already in the knowledge base are left out.
pub async fn suggestions(
    db: impl PgExecutor<'_>,
    account_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<Suggestion>> {
    sqlx::query_as!(
        Suggestion,
        r#"select q.conversation_id, q.message_id as question_id, q.body as "question!",
                  a.body as "answer!", a.sort_at as answered_at
           from inbox_messages q
           join lateral (
               select m.message_id, m.body, m.sort_at from inbox_messages m
               where m.conversation_id = q.conversation_id and m.present and m.direction <> 'note'
                 and (m.sort_at, m.seq) > (q.sort_at, q.seq)
               order by m.sort_at, m.seq limit 1
           ) a on true
           where q.account_id = $1 and q.present and q.direction = 'inbound'
             and q.body like '%?%' and length(q.body) between 8 and 500
             and a.body is not null and length(a.body) between 2 and 2000
             and exists (select 1 from inbox_messages o where o.conversation_id = q.conversation_id
                         and o.message_id = a.message_id and o.direction = 'outbound')
             and not exists (select 1 from bot_turns t where t.conversation_id = q.conversation_id
                             and t.message_id = a.message_id)
             and not exists (select 1 from bot_qa k where k.account_id = q.account_id
                             and k.question = q.body)
           order by a.sort_at desc limit $2"#,
        account_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// The cached vectors of `model` for these texts (by SHA-256), as pgvector's text (`[0.1,0.2,…]`).
pub async fn cached_vectors(
    db: impl PgExecutor<'_>,
    model: &str,
    sha256: &[String],
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"select sha256, embedding::text as "embedding!" from search_vectors
           where model = $1 and sha256 = any($2)"#,
        model,
        sha256
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.sha256, r.embedding)).collect())
}
