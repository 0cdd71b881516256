//! The inbox view as plain data, and the pure function that applies one event to it.
//!
//! The same fold serves three callers: the live projection (rows loaded from PostgreSQL, changed here,
//! written back), a rebuild (the same, from position 0), and the audit's `as_of` replay (one conversation's
//! events folded in memory). Keeping it free of I/O is what makes them agree, and what the tests check.

use actors::conversation::events::ConversationEvent;
use actors::conversation::id::ConversationId;
use actors::conversation::message::{MessageContent, MetaError};
use actors::conversation::outbound::{MessageQueued, MessageSent};
use actors::conversation::status::{DeliveryStatus, MediaState, MessageStatus, SendState};
use actors::conversation::workflow::{ConversationStatus, NoteAdded};
use actors::event::{DecodeError, DomainEvent, RawRecordedEvent, RecordedEvent};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;
use std::collections::BTreeMap;

/// Longest last-message preview kept on a conversation, in characters.
const PREVIEW_CHARS: usize = 160;

/// One conversation as the inbox lists it. Field names are the `inbox_conversations` columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationRow {
    pub conversation_id: String,
    pub account_id: String,
    pub contact_id: String,
    pub contact_wa_id: Option<String>,
    pub contact_user_id: Option<String>,
    pub contact_name: Option<String>,
    pub contact_username: Option<String>,
    pub is_group: bool,
    pub last_message_id: Option<String>,
    pub last_message_at: Option<DateTime<Utc>>,
    pub last_message_preview: Option<String>,
    pub last_message_kind: Option<String>,
    pub last_message_direction: Option<String>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub unread_count: i32,
    pub read_at: Option<DateTime<Utc>>,
    pub favourite: bool,
    pub archived: bool,
    pub bot_enabled: bool,
    pub message_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sort_at: DateTime<Utc>,
    pub position: i64,
    /// Team work (issue 19): where the conversation stands, since when, and until when it is snoozed.
    pub status: ConversationStatus,
    pub status_at: Option<DateTime<Utc>>,
    pub snoozed_until: Option<DateTime<Utc>>,
    /// The agent (user id) and team (team id) it is assigned to.
    pub assignee: Option<String>,
    pub team_id: Option<String>,
    pub assigned_at: Option<DateTime<Utc>>,
    /// The current assignment was made by round robin.
    pub auto_assigned: bool,
    /// Label ids, sorted.
    pub labels: Vec<String>,
}

/// One message of a conversation, with everything said about it since folded in. Field names are the
/// `inbox_messages` columns; `Json` marks the jsonb columns the row reads as typed values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRow {
    pub conversation_id: String,
    pub message_id: String,
    /// The business number's `phone_number_id` (the account part of `conversation_id`), so reads scope
    /// messages by account without taking ids apart.
    pub account_id: String,
    /// False while only statuses, reactions or edits of the message are known.
    pub present: bool,
    pub direction: Option<String>,
    pub kind: Option<String>,
    pub body: Option<String>,
    pub media: Option<Value>,
    pub content: Option<Value>,
    pub reply_to: Option<String>,
    pub forwarded: bool,
    pub sender: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub sort_at: DateTime<Utc>,
    pub seq: i64,
    pub status: Option<MessageStatus>,
    pub statuses: Json<BTreeMap<String, DateTime<Utc>>>,
    pub failure: Option<Value>,
    pub reactions: Json<Vec<Reaction>>,
    pub edited_at: Option<DateTime<Utc>>,
    pub edits: Json<Vec<Value>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Meta's id of a message sent through the inbox (whose `message_id` is the inbox's own id).
    pub wamid: Option<String>,
    /// For messages sent through the inbox: how far sending got.
    pub send_state: Option<SendState>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// For messages with a file from Meta: `pending` until it is fetched, then `stored` or `failed`.
    pub media_state: Option<MediaState>,
    /// The stored file (`id`, `mime_type`, `size`), or why it could not be fetched (`error`).
    pub media_file: Option<Value>,
    /// A voice note's words, as a model heard them.
    pub transcript: Option<Json<Transcript>>,
    pub position: i64,
}

/// A voice note's words (`message.transcribed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    pub text: String,
    /// The model that heard them (`provider:model`).
    pub model: String,
    /// When they were heard.
    pub at: DateTime<Utc>,
}

/// One person's reaction to a message; a new reaction by the same person replaces the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub from: String,
    pub emoji: String,
    pub at: DateTime<Utc>,
}

/// The rows an event can touch, keyed as in the tables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InboxView {
    pub conversations: BTreeMap<String, ConversationRow>,
    pub messages: BTreeMap<(String, String), MessageRow>,
    /// (conversation, wamid) → the inbox's id of a message it sent: statuses and reactions name the wamid.
    pub aliases: BTreeMap<(String, String), String>,
}

impl InboxView {
    /// Notes the wamids of loaded rows, so events naming a wamid find the row of the message it names.
    pub fn index_wamids(&mut self) {
        for row in self.messages.values() {
            if let Some(wamid) = &row.wamid {
                self.aliases.insert(
                    (row.conversation_id.clone(), wamid.clone()),
                    row.message_id.clone(),
                );
            }
        }
    }
}

/// A conversation event with what the fold needs from its envelope.
#[derive(Debug, Clone)]
pub struct InboxEvent {
    pub conversation_id: String,
    pub account_id: String,
    pub contact_id: String,
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub event: ConversationEvent,
}

/// Splits a conversation stream name `conversation-{account_id}-{contact_id}` into
/// (conversation id, account id, contact id).
pub fn conversation_ids(stream: &str) -> Option<(&str, &str, &str)> {
    let id = stream.strip_prefix("conversation-")?;
    let parsed = ConversationId::parse(id).ok()?;
    let (account, contact) = id.split_at(parsed.account().len());
    Some((id, account, &contact[1..]))
}

impl InboxEvent {
    /// Decodes a stored event for the inbox: `Ok(None)` for events of other streams and for event types
    /// this version does not know (a newer node may write them); a [`DecodeError`] for a known type that
    /// does not decode, which the runner sets aside in its quarantine (never skipped silently).
    pub fn decode(event: &RecordedEvent) -> Result<Option<InboxEvent>, DecodeError> {
        Self::with_envelope(
            event.stream_id.as_str(),
            &event.event_type,
            event.global_position,
            event.recorded_at,
            event.occurred_at,
            || ConversationEvent::from_recorded(event),
        )
    }

    /// Like [`InboxEvent::decode`], from an event whose payload is still JSON text (rebuilds).
    pub fn decode_raw(event: &RawRecordedEvent) -> Result<Option<InboxEvent>, DecodeError> {
        Self::with_envelope(
            event.stream_id.as_str(),
            &event.event_type,
            event.global_position,
            event.recorded_at,
            event.occurred_at,
            || {
                ConversationEvent::from_json(
                    &event.event_type,
                    event.schema_version,
                    &event.payload,
                )
                .map_err(|reason| DecodeError::raw(event, reason))
            },
        )
    }

    /// The envelope part of both decoders: which events are the inbox's, and what it keeps of them.
    fn with_envelope<E>(
        stream: &str,
        event_type: &str,
        global_position: u64,
        recorded_at: DateTime<Utc>,
        occurred_at: Option<DateTime<Utc>>,
        decode: impl FnOnce() -> Result<ConversationEvent, E>,
    ) -> Result<Option<InboxEvent>, E> {
        let Some((conversation_id, account_id, contact_id)) = conversation_ids(stream) else {
            return Ok(None);
        };
        if !ConversationEvent::TYPES.contains(&event_type) {
            return Ok(None);
        }
        Ok(Some(InboxEvent {
            conversation_id: conversation_id.to_owned(),
            account_id: account_id.to_owned(),
            contact_id: contact_id.to_owned(),
            position: i64::try_from(global_position).unwrap_or(i64::MAX),
            recorded_at,
            occurred_at,
            event: decode()?,
        }))
    }

    /// The messages this event touches (beside its conversation), as named in the event: a wamid, or the
    /// inbox's own id of a message it sent.
    pub fn message_ids(&self) -> Vec<String> {
        let named = |content: &MessageContent, wamid: &str| match content {
            MessageContent::Reaction { message_id, .. } => message_id.clone(),
            MessageContent::Edit {
                original_message_id,
                ..
            }
            | MessageContent::Revoke {
                original_message_id,
            } => original_message_id.clone(),
            _ => wamid.to_owned(),
        };
        match &self.event {
            ConversationEvent::MessageReceived(m) => vec![named(&m.content, &m.wamid)],
            ConversationEvent::MessageEchoed(m) => vec![named(&m.content, &m.wamid)],
            ConversationEvent::MessageStatusChanged(s) => vec![s.wamid.clone()],
            ConversationEvent::MessageQueued(q) => vec![q.message_id.to_string()],
            ConversationEvent::SendAttempted(a) => vec![a.message_id.to_string()],
            ConversationEvent::AttemptFailed(f) => vec![f.message_id.to_string()],
            ConversationEvent::MessageSent(m) => vec![m.message_id.to_string(), m.wamid.clone()],
            ConversationEvent::SendFailed(f) => vec![f.message_id.to_string()],
            ConversationEvent::MediaStored(m) => vec![m.wamid.clone()],
            ConversationEvent::MediaFailed(m) => vec![m.wamid.clone()],
            ConversationEvent::MessageTranscribed(t) => vec![t.message_id.clone()],
            ConversationEvent::NoteAdded(n) => vec![n.note_id.to_string()],
            ConversationEvent::ContactProfileSeen(_)
            | ConversationEvent::WatchDetected(_)
            | ConversationEvent::BotTurnClaimed(_)
            | ConversationEvent::BotReplied(_)
            | ConversationEvent::BotEscalated(_)
            | ConversationEvent::StatusChanged(_)
            | ConversationEvent::Assigned(_)
            | ConversationEvent::LabelSet(_)
            | ConversationEvent::Responded(_)
            | ConversationEvent::ReadMarked(_)
            | ConversationEvent::FavouriteSet(_)
            | ConversationEvent::ArchivedSet(_)
            | ConversationEvent::BotSet(_) => vec![],
        }
    }

    fn at(&self) -> DateTime<Utc> {
        self.occurred_at.unwrap_or(self.recorded_at)
    }
}

/// A standalone message as the fold records it.
struct Incoming<'a> {
    wamid: &'a str,
    direction: &'static str,
    kind: &'a str,
    content: &'a MessageContent,
    reply_to: Option<&'a str>,
    forwarded: bool,
    sender: Option<String>,
    sent_at: Option<DateTime<Utc>>,
}

/// Applies one event to the view. Pure: the result depends only on the view and the event.
pub fn apply(view: &mut InboxView, e: &InboxEvent) {
    let at = e.at();
    match &e.event {
        ConversationEvent::MessageReceived(m) => {
            let sent = m.timestamp.unwrap_or(e.recorded_at);
            let sender = m.from.clone().or_else(|| m.from_user_id.clone());
            {
                let conversation = conversation_mut(view, e);
                conversation.last_inbound_at = Some(
                    conversation
                        .last_inbound_at
                        .map_or(sent, |prev| prev.max(sent)),
                );
                conversation.is_group |= m.group_id.is_some();
            }
            match &m.content {
                MessageContent::Reaction { message_id, emoji } => {
                    react(view, e, message_id, sender, emoji.as_deref(), sent)
                }
                MessageContent::Edit {
                    original_message_id,
                    content,
                } => edit(view, e, original_message_id, content, sent),
                MessageContent::Revoke {
                    original_message_id,
                } => revoke(view, e, original_message_id, sent),
                content => record_message(
                    view,
                    e,
                    Incoming {
                        wamid: &m.wamid,
                        direction: "inbound",
                        kind: &m.kind,
                        content,
                        reply_to: m.context.reply_to.as_deref(),
                        forwarded: m.context.forwarded || m.context.frequently_forwarded,
                        sender,
                        sent_at: m.timestamp,
                    },
                ),
            }
        }
        ConversationEvent::MessageEchoed(m) => {
            let sent = m.timestamp.unwrap_or(e.recorded_at);
            match &m.content {
                MessageContent::Reaction { message_id, emoji } => react(
                    view,
                    e,
                    message_id,
                    Some("business".to_owned()),
                    emoji.as_deref(),
                    sent,
                ),
                MessageContent::Edit {
                    original_message_id,
                    content,
                } => edit(view, e, original_message_id, content, sent),
                MessageContent::Revoke {
                    original_message_id,
                } => revoke(view, e, original_message_id, sent),
                content => record_message(
                    view,
                    e,
                    Incoming {
                        wamid: &m.wamid,
                        direction: "outbound",
                        kind: &m.kind,
                        content,
                        reply_to: None,
                        forwarded: false,
                        sender: Some("business".to_owned()),
                        sent_at: m.timestamp,
                    },
                ),
            }
        }
        ConversationEvent::MessageStatusChanged(s) => {
            conversation_mut(view, e);
            let row = message_mut(view, e, &s.wamid, at);
            if row.direction.is_none() {
                row.direction = Some("outbound".to_owned());
            }
            let first = row.statuses.entry(s.status.clone()).or_insert(at);
            *first = (*first).min(at);
            if s.status == DeliveryStatus::Failed.as_str() {
                row.failure = Some(failure_of(&s.errors));
            }
            refresh_status(row);
        }
        ConversationEvent::MessageQueued(q) => record_queued(view, e, q),
        ConversationEvent::SendAttempted(a) => {
            let row = message_mut(view, e, &a.message_id.to_string(), at);
            if !row.send_state.is_some_and(SendState::is_final) {
                row.send_state = Some(SendState::Sending);
            }
            row.attempts = row
                .attempts
                .max(i32::try_from(a.attempt).unwrap_or(i32::MAX));
            row.next_attempt_at = None;
            refresh_status(row);
        }
        ConversationEvent::AttemptFailed(f) => {
            let row = message_mut(view, e, &f.message_id.to_string(), at);
            if row.send_state == Some(SendState::Sending) {
                row.send_state = Some(SendState::Retrying);
                row.next_attempt_at = Some(f.retry_at);
            }
            row.failure = serde_json::to_value(&f.error).ok();
            refresh_status(row);
        }
        ConversationEvent::MessageSent(m) => sent(view, e, m),
        ConversationEvent::MediaStored(m) => {
            let row = message_mut(view, e, &m.wamid, at);
            row.media_state = Some(MediaState::Stored);
            row.media_file = serde_json::to_value(&m.file).ok();
        }
        ConversationEvent::MediaFailed(m) => {
            let row = message_mut(view, e, &m.wamid, at);
            row.media_state = Some(MediaState::Failed);
            row.media_file = Some(serde_json::json!({ "error": m.error }));
        }
        // The listings projection's, not the inbox's.
        ConversationEvent::WatchDetected(_) => {}
        // The bot projection's: turns and hand-overs have their own view.
        ConversationEvent::BotTurnClaimed(_)
        | ConversationEvent::BotReplied(_)
        | ConversationEvent::BotEscalated(_) => {}
        ConversationEvent::StatusChanged(s) => {
            let conversation = conversation_mut(view, e);
            conversation.status = s.status;
            conversation.status_at = Some(s.at);
            conversation.snoozed_until = s.snoozed_until;
        }
        ConversationEvent::Assigned(a) => {
            let conversation = conversation_mut(view, e);
            conversation.assignee.clone_from(&a.agent);
            conversation.team_id.clone_from(&a.team);
            conversation.assigned_at = Some(a.at);
            conversation.auto_assigned = a.reason.as_deref() == Some("round_robin");
        }
        ConversationEvent::LabelSet(l) => {
            let labels = &mut conversation_mut(view, e).labels;
            match (labels.binary_search(&l.label), l.applied) {
                (Err(at), true) => labels.insert(at, l.label.clone()),
                (Ok(at), false) => {
                    labels.remove(at);
                }
                _ => {}
            }
        }
        ConversationEvent::NoteAdded(n) => record_note(view, e, n),
        // Response times are the reports'.
        ConversationEvent::Responded(_) => {}
        ConversationEvent::MessageTranscribed(t) => {
            let row = message_mut(view, e, &t.message_id, at);
            row.transcript = Some(Json(Transcript {
                text: t.text.clone(),
                model: t.model.clone(),
                at: t.at,
            }));
        }
        ConversationEvent::SendFailed(f) => {
            let row = message_mut(view, e, &f.message_id.to_string(), at);
            if row.send_state != Some(SendState::Accepted) {
                row.send_state = Some(SendState::Failed);
                row.next_attempt_at = None;
                let mut failure = serde_json::to_value(&f.error).unwrap_or(Value::Null);
                if let (Some(remedy), Some(object)) = (&f.remedy, failure.as_object_mut()) {
                    object.insert("remedy".to_owned(), Value::String(remedy.clone()));
                }
                row.failure = Some(failure);
            }
            refresh_status(row);
        }
        ConversationEvent::ContactProfileSeen(c) => {
            let conversation = conversation_mut(view, e);
            let fields = [
                (&mut conversation.contact_wa_id, &c.wa_id),
                (&mut conversation.contact_user_id, &c.user_id),
                (&mut conversation.contact_name, &c.name),
                (&mut conversation.contact_username, &c.username),
            ];
            for (field, seen) in fields {
                if seen.is_some() {
                    field.clone_from(seen);
                }
            }
        }
        ConversationEvent::ReadMarked(r) => {
            let conversation = conversation_mut(view, e);
            conversation.unread_count = 0;
            conversation.read_at = Some(r.at);
        }
        ConversationEvent::FavouriteSet(s) => conversation_mut(view, e).favourite = s.value,
        ConversationEvent::ArchivedSet(s) => conversation_mut(view, e).archived = s.value,
        ConversationEvent::BotSet(s) => conversation_mut(view, e).bot_enabled = s.value,
    }
    let conversation = conversation_mut(view, e);
    conversation.updated_at = conversation.updated_at.max(e.recorded_at);
    conversation.position = e.position;
}

/// A private note: a row of the timeline (direction `note`) that is never a conversation's last message,
/// never unread, and never sent.
fn record_note(view: &mut InboxView, e: &InboxEvent, n: &NoteAdded) {
    let row = message_mut(view, e, &n.note_id.to_string(), n.at);
    if row.present {
        return;
    }
    row.present = true;
    row.direction = Some("note".to_owned());
    row.kind = Some("note".to_owned());
    row.body = Some(n.text.clone());
    row.content = Some(serde_json::json!({ "mentions": n.mentions }));
    row.sender.clone_from(&n.by);
    row.sent_at = Some(n.at);
    row.sort_at = n.at;
    row.seq = e.position;
}

/// A message the inbox is about to send: shown at once, with its sending state.
fn record_queued(view: &mut InboxView, e: &InboxEvent, q: &MessageQueued) {
    let id = q.message_id.to_string();
    let row = message_mut(view, e, &id, q.at);
    if row.present {
        return;
    }
    let content = &q.message.content;
    // A template reads as its text, when the inbox knew it as it queued the message.
    let body = q
        .message
        .template_text
        .clone()
        .or_else(|| content.preview());
    let preview = body
        .clone()
        .unwrap_or_else(|| format!("[{}]", content.kind()));
    row.present = true;
    row.direction = Some("outbound".to_owned());
    row.kind = Some(content.kind().to_owned());
    row.body = body;
    row.media = content.media().and_then(|m| serde_json::to_value(m).ok());
    row.content = serde_json::to_value(content).ok();
    row.reply_to = q.message.reply_to.clone();
    row.sender = Some("business".to_owned());
    row.sent_at = Some(q.at);
    row.sort_at = q.at;
    row.seq = e.position;
    row.send_state = Some(SendState::Queued);
    refresh_status(row);

    let conversation = conversation_mut(view, e);
    conversation.message_count += 1;
    note_last_message(
        conversation,
        &id,
        q.at,
        &preview,
        content.kind(),
        "outbound",
    );
}

/// Meta accepted a message: from now on its wamid names it. What arrived under the wamid before (a fast
/// status webhook) moves onto the message's row.
fn sent(view: &mut InboxView, e: &InboxEvent, m: &MessageSent) {
    let id = m.message_id.to_string();
    let key = (e.conversation_id.clone(), m.wamid.clone());
    // Only a placeholder is merged: a message of its own under that wamid (which Meta never reuses)
    // would stay as it is.
    let early = match view.messages.get(&key) {
        Some(row) if !row.present => view.messages.remove(&key),
        _ => None,
    };
    view.aliases
        .insert((e.conversation_id.clone(), m.wamid.clone()), id.clone());
    let row = message_mut(view, e, &id, m.at);
    row.wamid = Some(m.wamid.clone());
    if row.send_state != Some(SendState::Failed) {
        row.send_state = Some(SendState::Accepted);
        row.next_attempt_at = None;
        row.failure = None;
    }
    if let Some(early) = early {
        for (status, at) in early.statuses.0 {
            let first = row.statuses.entry(status).or_insert(at);
            *first = (*first).min(at);
        }
        if early.failure.is_some() {
            row.failure = early.failure;
        }
        for reaction in early.reactions.0 {
            row.reactions.retain(|r| r.from != reaction.from);
            row.reactions.push(reaction);
        }
    }
    refresh_status(row);
}

fn record_message(view: &mut InboxView, e: &InboxEvent, m: Incoming<'_>) {
    let sent = m.sent_at.unwrap_or(e.recorded_at);
    let row = message_mut(view, e, m.wamid, sent);
    if row.present {
        return;
    }
    let body = body_of(m.content);
    row.present = true;
    row.direction = Some(m.direction.to_owned());
    row.kind = Some(m.kind.to_owned());
    if row.revoked_at.is_none() {
        if row.edited_at.is_some() {
            // An edit arrived before its original: the edit stays current, the original is history.
            if let Some(original) = body.clone() {
                row.edits.insert(0, Value::String(original));
            }
        } else {
            row.body = body.clone();
        }
        row.media = media_of(m.content);
        if row.media_state.is_none()
            && row
                .media
                .as_ref()
                .is_some_and(|media| media.get("media_id").is_some_and(|id| !id.is_null()))
        {
            row.media_state = Some(MediaState::Pending);
        }
    }
    row.content = serde_json::to_value(m.content).ok();
    row.reply_to = m.reply_to.map(str::to_owned);
    row.forwarded = m.forwarded;
    row.sender = m.sender;
    row.sent_at = m.sent_at;
    row.sort_at = sent;
    row.seq = e.position;
    let preview = row
        .body
        .clone()
        .or(body)
        .unwrap_or_else(|| format!("[{}]", m.kind));
    let inbound = m.direction == "inbound";

    let conversation = conversation_mut(view, e);
    conversation.message_count += 1;
    if inbound {
        conversation.unread_count += 1;
        conversation.archived = false;
    }
    note_last_message(conversation, m.wamid, sent, &preview, m.kind, m.direction);
}

/// Makes a message the conversation's last one, unless a later one is already shown.
fn note_last_message(
    conversation: &mut ConversationRow,
    message_id: &str,
    at: DateTime<Utc>,
    preview: &str,
    kind: &str,
    direction: &str,
) {
    if conversation.last_message_at.is_some_and(|last| at < last) {
        return;
    }
    conversation.last_message_id = Some(message_id.to_owned());
    conversation.last_message_at = Some(at);
    conversation.last_message_preview = Some(preview.chars().take(PREVIEW_CHARS).collect());
    conversation.last_message_kind = Some(kind.to_owned());
    conversation.last_message_direction = Some(direction.to_owned());
    conversation.sort_at = conversation.sort_at.max(at);
}

/// The latest edit wins, whatever order edits and the original arrive in; earlier texts are kept in order.
fn edit(
    view: &mut InboxView,
    e: &InboxEvent,
    original: &str,
    content: &MessageContent,
    at: DateTime<Utc>,
) {
    let row = message_mut(view, e, original, at);
    if row.edited_at.is_none_or(|prev| at >= prev) {
        if let Some(old) = row.body.take() {
            row.edits.push(Value::String(old));
        }
        if row.revoked_at.is_none() {
            row.body = body_of(content);
        }
        row.edited_at = Some(at);
    } else if let Some(older) = body_of(content) {
        row.edits.push(Value::String(older));
    }
}

/// Deleted for everyone: the text and media are no longer shown (the events keep them for audit).
fn revoke(view: &mut InboxView, e: &InboxEvent, original: &str, at: DateTime<Utc>) {
    let row = message_mut(view, e, original, at);
    row.revoked_at = Some(at);
    row.body = None;
    row.media = None;
}

fn react(
    view: &mut InboxView,
    e: &InboxEvent,
    message_id: &str,
    from: Option<String>,
    emoji: Option<&str>,
    at: DateTime<Utc>,
) {
    let from = from.unwrap_or_else(|| "customer".to_owned());
    let row = message_mut(view, e, message_id, at);
    if let Some(existing) = row.reactions.iter().find(|r| r.from == from) {
        // Reactions can arrive out of order: an older one never replaces a newer one.
        if existing.at > at {
            return;
        }
    }
    row.reactions.retain(|r| r.from != from);
    if let Some(emoji) = emoji.filter(|e| !e.is_empty()) {
        row.reactions.push(Reaction {
            from,
            emoji: emoji.to_owned(),
            at,
        });
    }
}

fn conversation_mut<'v>(view: &'v mut InboxView, e: &InboxEvent) -> &'v mut ConversationRow {
    let at = e.at();
    view.conversations
        .entry(e.conversation_id.clone())
        .or_insert_with(|| ConversationRow {
            conversation_id: e.conversation_id.clone(),
            account_id: e.account_id.clone(),
            contact_id: e.contact_id.clone(),
            contact_wa_id: None,
            contact_user_id: None,
            contact_name: None,
            contact_username: None,
            is_group: false,
            last_message_id: None,
            last_message_at: None,
            last_message_preview: None,
            last_message_kind: None,
            last_message_direction: None,
            last_inbound_at: None,
            unread_count: 0,
            read_at: None,
            favourite: false,
            archived: false,
            bot_enabled: true,
            message_count: 0,
            created_at: at,
            updated_at: e.recorded_at,
            sort_at: at,
            position: e.position,
            status: ConversationStatus::Open,
            status_at: None,
            snoozed_until: None,
            assignee: None,
            team_id: None,
            assigned_at: None,
            auto_assigned: false,
            labels: Vec::new(),
        })
}

fn message_mut<'v>(
    view: &'v mut InboxView,
    e: &InboxEvent,
    message_id: &str,
    at: DateTime<Utc>,
) -> &'v mut MessageRow {
    let mut key = (e.conversation_id.clone(), message_id.to_owned());
    if let Some(id) = view.aliases.get(&key) {
        key.1 = id.clone();
    }
    let message_id = key.1.clone();
    let row = view.messages.entry(key).or_insert_with(|| MessageRow {
        conversation_id: e.conversation_id.clone(),
        message_id,
        account_id: e.account_id.clone(),
        present: false,
        direction: None,
        kind: None,
        body: None,
        media: None,
        content: None,
        reply_to: None,
        forwarded: false,
        sender: None,
        sent_at: None,
        sort_at: at,
        seq: e.position,
        status: None,
        statuses: Json(BTreeMap::new()),
        failure: None,
        reactions: Json(Vec::new()),
        edited_at: None,
        edits: Json(Vec::new()),
        revoked_at: None,
        wamid: None,
        send_state: None,
        attempts: 0,
        next_attempt_at: None,
        media_state: None,
        media_file: None,
        transcript: None,
        position: e.position,
    });
    row.position = e.position;
    row
}

/// The status a message shows: failed if it ever failed, else the furthest Meta reported it got; before
/// Meta reports anything, how far the inbox got sending it.
fn refresh_status(row: &mut MessageRow) {
    let reported = row
        .statuses
        .keys()
        .filter_map(|s| DeliveryStatus::parse(s))
        .max();
    row.status = MessageStatus::shown(row.send_state, reported);
}

fn failure_of(errors: &[MetaError]) -> Value {
    serde_json::to_value(errors).unwrap_or(Value::Null)
}

/// The text a message shows: its text, or its media's caption, or what stands for it.
pub fn body_of(content: &MessageContent) -> Option<String> {
    match content {
        MessageContent::Text { body } => Some(body.clone()),
        MessageContent::Image { media }
        | MessageContent::Video { media }
        | MessageContent::Document { media }
        | MessageContent::Audio { media, .. }
        | MessageContent::Sticker { media, .. } => media.caption.clone(),
        MessageContent::Location { name, address, .. } => name.clone().or_else(|| address.clone()),
        MessageContent::ButtonReply { title, .. } | MessageContent::ListReply { title, .. } => {
            Some(title.clone())
        }
        MessageContent::TemplateButton { text, payload } => {
            text.clone().or_else(|| payload.clone())
        }
        MessageContent::FlowReply { body, name, .. } => body.clone().or_else(|| name.clone()),
        MessageContent::Order { text, .. } => text.clone(),
        MessageContent::System { body, .. } => body.clone(),
        MessageContent::Edit { content, .. } => body_of(content),
        MessageContent::Contacts { .. }
        | MessageContent::Reaction { .. }
        | MessageContent::Revoke { .. }
        | MessageContent::Unsupported { .. }
        | MessageContent::Unknown { .. } => None,
    }
}

fn media_of(content: &MessageContent) -> Option<Value> {
    match content {
        MessageContent::Image { media }
        | MessageContent::Video { media }
        | MessageContent::Document { media }
        | MessageContent::Audio { media, .. }
        | MessageContent::Sticker { media, .. } => serde_json::to_value(media).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
