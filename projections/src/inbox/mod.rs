//! The inbox projection: conversations and their messages, as agents see them.

pub mod queries;
pub mod view;

use crate::projection::Projection;
use crate::rows::{self, unknown_column, CsvRow, CsvWriter, Table, ViewRow};
use crate::typed::TypedEvent;
use actors::conversation::status::{MediaState, MessageStatus, SendState};
use actors::conversation::workflow::ConversationStatus;
use actors::event::{RawRecordedEvent, RecordedEvent};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::types::Json;
use sqlx::PgConnection;
use std::collections::{BTreeMap, BTreeSet};
use view::{ConversationRow, InboxEvent, InboxView, MessageRow, Reaction, Transcript};

pub const CONVERSATIONS: Table = Table {
    name: "inbox_conversations",
    key: &["conversation_id"],
};
pub const MESSAGES: Table = Table {
    name: "inbox_messages",
    key: &["conversation_id", "message_id"],
};

impl ViewRow for ConversationRow {
    const TABLE: Table = CONVERSATIONS;
}

impl ViewRow for MessageRow {
    const TABLE: Table = MESSAGES;
}

pub struct InboxProjection;

impl InboxProjection {
    pub const NAME: &'static str = "inbox";
}

#[async_trait]
impl Projection for InboxProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [Table] {
        &[CONVERSATIONS, MESSAGES]
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let events = conversation_events(events)?;
        if events.is_empty() {
            return Ok(());
        }
        let decoded = started.elapsed();
        let before = load(conn, &events).await?;
        let loaded = started.elapsed();
        let mut view = before.clone();
        for event in &events {
            view::apply(&mut view, event);
        }
        let folded = started.elapsed();
        let conversations: Vec<&ConversationRow> = view
            .conversations
            .iter()
            .filter(|(k, row)| before.conversations.get(*k) != Some(row))
            .map(|(_, row)| row)
            .collect();
        let messages: Vec<&MessageRow> = view
            .messages
            .iter()
            .filter(|(k, row)| before.messages.get(*k) != Some(row))
            .map(|(_, row)| row)
            .collect();
        // Rows the fold merged into others (an early status row, once its message is known by its wamid).
        let merged: Vec<serde_json::Value> = before
            .messages
            .keys()
            .filter(|k| !view.messages.contains_key(*k))
            .map(|(c, m)| json!({ "conversation_id": c, "message_id": m }))
            .collect();
        rows::delete(conn, MESSAGES, &merged).await?;
        rows::save(conn, CONVERSATIONS, &conversations).await?;
        rows::save(conn, MESSAGES, &messages).await?;
        tracing::trace!(
            events = events.len(),
            decode_ms = decoded.as_millis() as u64,
            load_ms = (loaded - decoded).as_millis() as u64,
            fold_ms = (folded - loaded).as_millis() as u64,
            save_ms = (started.elapsed() - folded).as_millis() as u64,
            "inbox batch applied"
        );
        Ok(())
    }

    fn stream_prefix(&self) -> Option<&'static str> {
        Some("conversation-")
    }

    fn fold_streams(
        &self,
        events: &[RawRecordedEvent],
        columns: &[Vec<String>],
    ) -> anyhow::Result<Vec<Vec<u8>>> {
        let mut view = InboxView::default();
        for event in events {
            if let Some(e) = InboxEvent::decode_raw(event)? {
                view::apply(&mut view, &e);
            }
        }
        let conversations: Vec<&ConversationRow> = view.conversations.values().collect();
        let messages: Vec<&MessageRow> = view.messages.values().collect();
        Ok(vec![
            rows::csv(&conversations, &columns[0])?,
            rows::csv(&messages, &columns[1])?,
        ])
    }
}

/// The conversation events among `events` that the inbox and contacts views fold, in the typed form
/// the node's projections share (others skipped). Watch readings are the listings view's alone: skipped by
/// their type, unparsed.
pub fn conversation_events(events: &[TypedEvent]) -> anyhow::Result<Vec<&InboxEvent>> {
    let mut decoded = Vec::with_capacity(events.len());
    for event in events {
        if event.event_type == actors::conversation::events::ConversationEvent::WATCH_DETECTED {
            continue;
        }
        if let Some(e) = event.conversation()? {
            decoded.push(&**e);
        }
    }
    Ok(decoded)
}

/// Like [`conversation_events`], decoding events read on their own (an audit's replay).
pub fn decode_all(events: &[RecordedEvent]) -> anyhow::Result<Vec<InboxEvent>> {
    let mut decoded = Vec::with_capacity(events.len());
    for event in events {
        if event.event_type == actors::conversation::events::ConversationEvent::WATCH_DETECTED {
            continue;
        }
        if let Some(e) = InboxEvent::decode(event)? {
            decoded.push(e);
        }
    }
    Ok(decoded)
}

/// Loads every row the events can touch.
async fn load(conn: &mut PgConnection, events: &[&InboxEvent]) -> anyhow::Result<InboxView> {
    let conversation_ids: Vec<String> = events
        .iter()
        .map(|e| e.conversation_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let message_keys: BTreeSet<(String, String)> = events
        .iter()
        .flat_map(|e| {
            e.message_ids()
                .into_iter()
                .map(|m| (e.conversation_id.clone(), m))
        })
        .collect();
    let (key_conversations, key_messages): (Vec<String>, Vec<String>) =
        message_keys.into_iter().unzip();
    // One index probe per key, whatever the table's size: while a table is small PostgreSQL would rather
    // scan all of it, yet a batch touches a handful of keys. A lateral subquery with `offset 0` cannot be
    // flattened into a join, so it stays a probe.
    let conversations = sqlx::query_as!(
        ConversationRow,
        r#"select t.conversation_id as "conversation_id!", t.account_id as "account_id!",
                  t.contact_id as "contact_id!", t.contact_wa_id, t.contact_user_id, t.contact_name,
                  t.contact_username, t.is_group as "is_group!", t.last_message_id, t.last_message_at,
                  t.last_message_preview, t.last_message_kind, t.last_message_direction,
                  t.last_inbound_at, t.unread_count as "unread_count!", t.read_at,
                  t.favourite as "favourite!", t.archived as "archived!",
                  t.bot_enabled as "bot_enabled!", t.message_count as "message_count!",
                  t.created_at as "created_at!", t.updated_at as "updated_at!",
                  t.sort_at as "sort_at!", t.position as "position!",
                  t.status as "status!: ConversationStatus", t.status_at, t.snoozed_until, t.assignee,
                  t.team_id, t.assigned_at, t.auto_assigned as "auto_assigned!", t.labels as "labels!"
           from unnest($1::text[]) k(id)
           cross join lateral (select * from inbox_conversations t
                               where t.conversation_id = k.id offset 0) t"#,
        &conversation_ids,
    )
    .fetch_all(&mut *conn)
    .await?;
    // A message is named by the inbox's own id, or by its wamid when the inbox sent it: probe both (a row
    // found twice is kept once).
    let messages = sqlx::query_as!(
        MessageRow,
        r#"select t.conversation_id as "conversation_id!", t.message_id as "message_id!",
                  t.account_id as "account_id!", t.present as "present!", t.direction, t.kind, t.body, t.media, t.content, t.reply_to,
                  t.forwarded as "forwarded!", t.sender, t.sent_at, t.sort_at as "sort_at!",
                  t.seq as "seq!", t.status as "status: MessageStatus",
                  t.statuses as "statuses!: Json<BTreeMap<String, DateTime<Utc>>>", t.failure,
                  t.reactions as "reactions!: Json<Vec<Reaction>>", t.edited_at,
                  t.edits as "edits!: Json<Vec<Value>>", t.revoked_at, t.wamid, t.send_state as "send_state: SendState",
                  t.attempts as "attempts!", t.next_attempt_at, t.media_state as "media_state: MediaState", t.media_file,
                  t.transcript as "transcript: Json<Transcript>", t.position as "position!"
           from unnest($1::text[], $2::text[]) k(conversation_id, message_id)
           cross join lateral (
               (select * from inbox_messages t
                where t.conversation_id = k.conversation_id and t.message_id = k.message_id offset 0)
               union all
               (select * from inbox_messages t
                where t.conversation_id = k.conversation_id and t.wamid = k.message_id offset 0)
           ) t"#,
        &key_conversations,
        &key_messages,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut view = InboxView {
        conversations: conversations
            .into_iter()
            .map(|c| (c.conversation_id.clone(), c))
            .collect(),
        messages: messages
            .into_iter()
            .map(|m| ((m.conversation_id.clone(), m.message_id.clone()), m))
            .collect(),
        aliases: Default::default(),
    };
    view.index_wamids();
    Ok(view)
}

/// Folds one conversation's events in memory: the conversation and its messages as they stood after the
/// last of them (the audit's `as_of`).
pub fn replay(events: &[RecordedEvent]) -> anyhow::Result<InboxView> {
    let mut view = InboxView::default();
    for event in decode_all(events)? {
        view::apply(&mut view, &event);
    }
    Ok(view)
}

impl CsvRow for ConversationRow {
    fn write_field(&self, column: &str, out: &mut CsvWriter) -> anyhow::Result<()> {
        match column {
            "conversation_id" => out.text(&self.conversation_id),
            "account_id" => out.text(&self.account_id),
            "contact_id" => out.text(&self.contact_id),
            "contact_wa_id" => out.opt_text(self.contact_wa_id.as_deref()),
            "contact_user_id" => out.opt_text(self.contact_user_id.as_deref()),
            "contact_name" => out.opt_text(self.contact_name.as_deref()),
            "contact_username" => out.opt_text(self.contact_username.as_deref()),
            "is_group" => out.boolean(self.is_group),
            "last_message_id" => out.opt_text(self.last_message_id.as_deref()),
            "last_message_at" => out.opt_time(self.last_message_at),
            "last_message_preview" => out.opt_text(self.last_message_preview.as_deref()),
            "last_message_kind" => out.opt_text(self.last_message_kind.as_deref()),
            "last_message_direction" => out.opt_text(self.last_message_direction.as_deref()),
            "last_inbound_at" => out.opt_time(self.last_inbound_at),
            "unread_count" => out.int(self.unread_count.into()),
            "read_at" => out.opt_time(self.read_at),
            "favourite" => out.boolean(self.favourite),
            "archived" => out.boolean(self.archived),
            "bot_enabled" => out.boolean(self.bot_enabled),
            "message_count" => out.int(self.message_count.into()),
            "created_at" => out.time(self.created_at),
            "updated_at" => out.time(self.updated_at),
            "sort_at" => out.time(self.sort_at),
            "position" => out.int(self.position),
            "status" => out.text(self.status.as_str()),
            "status_at" => out.opt_time(self.status_at),
            "snoozed_until" => out.opt_time(self.snoozed_until),
            "assignee" => out.opt_text(self.assignee.as_deref()),
            "team_id" => out.opt_text(self.team_id.as_deref()),
            "assigned_at" => out.opt_time(self.assigned_at),
            "auto_assigned" => out.boolean(self.auto_assigned),
            "labels" => out.text_array(&self.labels),
            other => return Err(unknown_column(CONVERSATIONS.name, other)),
        }
        Ok(())
    }
}

impl CsvRow for MessageRow {
    fn write_field(&self, column: &str, out: &mut CsvWriter) -> anyhow::Result<()> {
        match column {
            "conversation_id" => out.text(&self.conversation_id),
            "message_id" => out.text(&self.message_id),
            "account_id" => out.text(&self.account_id),
            "present" => out.boolean(self.present),
            "direction" => out.opt_text(self.direction.as_deref()),
            "kind" => out.opt_text(self.kind.as_deref()),
            "body" => out.opt_text(self.body.as_deref()),
            "media" => out.opt_json(self.media.as_ref())?,
            "content" => out.opt_json(self.content.as_ref())?,
            "reply_to" => out.opt_text(self.reply_to.as_deref()),
            "forwarded" => out.boolean(self.forwarded),
            "sender" => out.opt_text(self.sender.as_deref()),
            "sent_at" => out.opt_time(self.sent_at),
            "sort_at" => out.time(self.sort_at),
            "seq" => out.int(self.seq),
            "status" => out.opt_text(self.status.map(MessageStatus::as_str)),
            "statuses" => out.json(&self.statuses)?,
            "failure" => out.opt_json(self.failure.as_ref())?,
            "reactions" => out.json(&self.reactions)?,
            "edited_at" => out.opt_time(self.edited_at),
            "edits" => out.json(&self.edits)?,
            "revoked_at" => out.opt_time(self.revoked_at),
            "wamid" => out.opt_text(self.wamid.as_deref()),
            "send_state" => out.opt_text(self.send_state.map(SendState::as_str)),
            "attempts" => out.int(self.attempts.into()),
            "next_attempt_at" => out.opt_time(self.next_attempt_at),
            "media_state" => out.opt_text(self.media_state.map(MediaState::as_str)),
            "media_file" => out.opt_json(self.media_file.as_ref())?,
            "transcript" => out.opt_json(self.transcript.as_ref())?,
            "position" => out.int(self.position),
            other => return Err(unknown_column(MESSAGES.name, other)),
        }
        Ok(())
    }
}

pub mod queries_teamwork;
