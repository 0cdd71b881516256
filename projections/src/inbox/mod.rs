//! The inbox projection: conversations and their messages, as agents see them.

pub mod view;

use crate::projection::Projection;
use crate::rows::{self, Table};
use actors::event::RecordedEvent;
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
        let events = decode_all(events)?;
        if events.is_empty() {
            return Ok(());
        }
        let before = load(conn, &events).await?;
        let mut view = before.clone();
        for event in &events {
            view::apply(&mut view, event);
        }
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
        rows::save(conn, CONVERSATIONS, &conversations).await?;
        rows::save(conn, MESSAGES, &messages).await?;
        Ok(())
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
    let message_keys: BTreeSet<(&str, &str)> = events
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
    let messages: Vec<MessageRow> = rows::load(conn, MESSAGES, &message_probes).await?;
    Ok(InboxView {
        conversations: conversations
            .into_iter()
            .map(|c| (c.conversation_id.clone(), c))
            .collect(),
        messages: messages
            .into_iter()
            .map(|m| ((m.conversation_id.clone(), m.message_id.clone()), m))
            .collect(),
    })
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
