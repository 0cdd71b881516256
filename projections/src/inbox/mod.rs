//! The inbox projection: conversations and their messages, as agents see them.

pub mod view;

use crate::projection::Projection;
use crate::rows::{self, unknown_column, CsvRow, CsvWriter, Table};
use actors::event::{RawRecordedEvent, RecordedEvent};
use async_trait::async_trait;
use serde_json::json;
use sqlx::PgConnection;
use std::collections::BTreeSet;
use view::{ConversationRow, InboxEvent, InboxView, MessageRow};

pub const CONVERSATIONS: Table = Table {
    name: "inbox_conversations",
    key: &["conversation_id"],
};
pub const MESSAGES: Table = Table {
    name: "inbox_messages",
    key: &["conversation_id", "message_id"],
};

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

    async fn apply(&self, conn: &mut PgConnection, events: &[RecordedEvent]) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let events = decode_all(events)?;
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

/// The conversation events among `events`, decoded (others skipped).
pub fn decode_all(events: &[RecordedEvent]) -> anyhow::Result<Vec<InboxEvent>> {
    let mut decoded = Vec::with_capacity(events.len());
    for event in events {
        if let Some(e) = InboxEvent::decode(event)? {
            decoded.push(e);
        }
    }
    Ok(decoded)
}

/// Loads every row the events can touch.
async fn load(conn: &mut PgConnection, events: &[InboxEvent]) -> anyhow::Result<InboxView> {
    let conversation_ids: BTreeSet<&str> =
        events.iter().map(|e| e.conversation_id.as_str()).collect();
    let message_keys: BTreeSet<(&str, String)> = events
        .iter()
        .flat_map(|e| {
            e.message_ids()
                .into_iter()
                .map(|m| (e.conversation_id.as_str(), m))
        })
        .collect();
    let conversation_probes: Vec<_> = conversation_ids
        .iter()
        .map(|id| json!({ "conversation_id": id }))
        .collect();
    let message_probes: Vec<_> = message_keys
        .iter()
        .map(|(c, m)| json!({ "conversation_id": c, "message_id": m }))
        .collect();
    let conversations: Vec<ConversationRow> =
        rows::load(conn, CONVERSATIONS, &conversation_probes).await?;
    let mut messages: Vec<MessageRow> = rows::load(conn, MESSAGES, &message_probes).await?;
    // A wamid may name a message the inbox sent, whose row is keyed by the inbox's own id.
    let wamid_probes: Vec<_> = message_keys
        .iter()
        .map(|(c, m)| json!({ "conversation_id": c, "wamid": m }))
        .collect();
    let by_wamid: Vec<serde_json::Value> = sqlx::query_scalar(
        "select to_jsonb(t) from (select distinct conversation_id, wamid from jsonb_to_recordset($1) \
               as k(conversation_id text, wamid text)) k \
         cross join lateral (select * from inbox_messages t \
               where t.conversation_id = k.conversation_id and t.wamid = k.wamid offset 0) t",
    )
    .bind(serde_json::Value::Array(wamid_probes))
    .fetch_all(&mut *conn)
    .await?;
    for row in by_wamid {
        messages.push(serde_json::from_value(row)?);
    }
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
            "status" => out.opt_text(self.status.as_deref()),
            "statuses" => out.json(&self.statuses)?,
            "failure" => out.opt_json(self.failure.as_ref())?,
            "reactions" => out.json(&self.reactions)?,
            "edited_at" => out.opt_time(self.edited_at),
            "edits" => out.json(&self.edits)?,
            "revoked_at" => out.opt_time(self.revoked_at),
            "wamid" => out.opt_text(self.wamid.as_deref()),
            "send_state" => out.opt_text(self.send_state.as_deref()),
            "attempts" => out.int(self.attempts.into()),
            "next_attempt_at" => out.opt_time(self.next_attempt_at),
            "media_state" => out.opt_text(self.media_state.as_deref()),
            "media_file" => out.opt_json(self.media_file.as_ref())?,
            "position" => out.int(self.position),
            other => return Err(unknown_column(MESSAGES.name, other)),
        }
        Ok(())
    }
}
