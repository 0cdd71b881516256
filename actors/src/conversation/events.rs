//! The facts recorded on a conversation's stream.

use super::message::{EchoedMessage, InboundMessage};
use super::outbound::{
    AttemptFailed, MediaFailed, MediaStored, MessageQueued, MessageSent, SendAttempted, SendFailed,
};
use super::status::StatusReport;
use super::workflow::{Assigned, LabelSet, NoteAdded, Responded, StatusChanged};
use crate::bot::events::{BotEscalated, BotReplied, BotTurnClaimed, MessageTranscribed};
use crate::event::{DecodeError, DomainEvent, RecordedEvent};
use crate::json::JsonText;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A customer's WhatsApp profile as a webhook showed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactProfile {
    pub wa_id: Option<String>,
    /// Business-scoped user id (`US.…`), present from 2026 on.
    pub user_id: Option<String>,
    pub parent_user_id: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
}

/// An inbox user marked the conversation read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMarked {
    /// The command that caused it; retrying a command with the same id records nothing new.
    pub command_id: Uuid,
    pub at: DateTime<Utc>,
    /// The customer's latest message at that moment.
    pub through: Option<String>,
}

/// An inbox user switched a conversation setting (favourite, archived, bot) on or off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingChanged {
    pub command_id: Uuid,
    pub at: DateTime<Utc>,
    pub value: bool,
    /// Why, when not a person's choice: the bot switched off because an agent wrote (`agent_replied`)
    /// or because it handed over (`escalated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What the watch-listing extractor read in a message's text (see [`crate::listings`]). A newer extractor
/// run over the same message appends another; the latest version is the one that counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchDetected {
    /// The message read: its wamid, or the inbox's id for a message sent from the inbox.
    pub message_id: String,
    /// The message that carried the text, when not `message_id` itself (an edit's wamid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// `inbound` (the customer wrote it) or `outbound` (the business did).
    pub direction: String,
    /// When the message was written, as its source says.
    pub at: Option<DateTime<Utc>>,
    pub extractor_version: u32,
    pub extraction: crate::listings::Extraction,
    /// Who read it: the extractor's rules, or a model asked because the rules were unsure. A model's
    /// reading replaces the rules' of the same extractor version, never the reverse.
    #[serde(
        default,
        skip_serializing_if = "crate::listings::ReadingMethod::is_rules"
    )]
    pub method: crate::listings::ReadingMethod,
    /// The model that read it (`provider:model`), for a model's reading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl WatchDetected {
    /// Which of two readings of a message counts: the newer extractor version, then a model's over the
    /// rules'. Views keep the reading of the highest rank they have seen.
    pub fn rank(&self) -> (u32, crate::listings::ReadingMethod) {
        (self.extractor_version, self.method)
    }
}

#[expect(
    clippy::large_enum_variant,
    reason = "each value is decided or read once and moved, never stored in bulk; boxing would only add allocations"
)]
#[derive(Debug, Clone, PartialEq)]
pub enum ConversationEvent {
    /// The customer sent a message (of any kind: text, media, reaction, edit, revoke, ...).
    MessageReceived(InboundMessage),
    /// The business sent a message from the WhatsApp Business app (coexistence echo).
    MessageEchoed(EchoedMessage),
    /// Meta reported a delivery status for an outbound message. Each (message, status) is recorded once;
    /// a status for a message not known yet is recorded too and applies once the message is known.
    MessageStatusChanged(StatusReport),
    /// The customer's profile (name, username, ids) as first seen or changed.
    ContactProfileSeen(ContactProfile),
    /// Someone read the conversation: its unread count starts again from zero.
    ReadMarked(ReadMarked),
    FavouriteSet(SettingChanged),
    ArchivedSet(SettingChanged),
    /// Whether the bot answers in this conversation (off means a human has taken over).
    BotSet(SettingChanged),
    /// Someone asked to send a message; the account's sender takes it from here.
    MessageQueued(MessageQueued),
    /// A sender claimed an attempt to send a queued message.
    SendAttempted(SendAttempted),
    /// An attempt failed with an error worth retrying.
    AttemptFailed(AttemptFailed),
    /// Meta accepted a queued message and gave it a wamid.
    MessageSent(MessageSent),
    /// A queued message will not be sent.
    SendFailed(SendFailed),
    /// A message's media file is in the media store.
    MediaStored(MediaStored),
    /// A message's media file could not be fetched.
    MediaFailed(MediaFailed),
    /// A message's text holds watch listings (or asks, seeks or trades).
    WatchDetected(WatchDetected),
    /// The bot took a turn answering the customer.
    BotTurnClaimed(BotTurnClaimed),
    /// The bot answered (its reply is queued in the same append).
    BotReplied(BotReplied),
    /// The bot handed the conversation over to a person.
    BotEscalated(BotEscalated),
    /// A voice note's words.
    MessageTranscribed(MessageTranscribed),
    /// The conversation's status changed (open, pending, snoozed, resolved).
    StatusChanged(StatusChanged),
    /// The conversation was assigned to an agent and/or a team, or unassigned.
    Assigned(Assigned),
    /// A label was applied or removed.
    LabelSet(LabelSet),
    /// A private note for the team.
    NoteAdded(NoteAdded),
    /// The business answered a waiting customer (for response-time reports).
    Responded(Responded),
}

impl ConversationEvent {
    pub const MESSAGE_RECEIVED: &'static str = "message.received";
    pub const MESSAGE_ECHOED: &'static str = "message.echoed";
    pub const MESSAGE_STATUS_CHANGED: &'static str = "message.status_changed";
    pub const CONTACT_PROFILE_SEEN: &'static str = "contact.profile_seen";
    pub const READ_MARKED: &'static str = "conversation.read_marked";
    pub const FAVOURITE_SET: &'static str = "conversation.favourite_set";
    pub const ARCHIVED_SET: &'static str = "conversation.archived_set";
    pub const BOT_SET: &'static str = "conversation.bot_set";
    pub const MESSAGE_QUEUED: &'static str = "message.queued";
    pub const SEND_ATTEMPTED: &'static str = "message.send_attempted";
    pub const ATTEMPT_FAILED: &'static str = "message.attempt_failed";
    pub const MESSAGE_SENT: &'static str = "message.sent";
    pub const SEND_FAILED: &'static str = "message.send_failed";
    pub const MEDIA_STORED: &'static str = "message.media_stored";
    pub const MEDIA_FAILED: &'static str = "message.media_failed";
    pub const WATCH_DETECTED: &'static str = "watch.detected";
    pub const BOT_TURN_CLAIMED: &'static str = "bot.turn_claimed";
    pub const BOT_REPLIED: &'static str = "bot.replied";
    pub const BOT_ESCALATED: &'static str = "bot.escalated";
    pub const MESSAGE_TRANSCRIBED: &'static str = "message.transcribed";
    pub const STATUS_CHANGED: &'static str = "conversation.status_changed";
    pub const ASSIGNED: &'static str = "conversation.assigned";
    pub const LABEL_SET: &'static str = "conversation.label_set";
    pub const NOTE_ADDED: &'static str = "note.added";
    pub const RESPONDED: &'static str = "conversation.responded";

    /// Every wire name this version writes and reads.
    pub const TYPES: [&'static str; 25] = [
        Self::MESSAGE_RECEIVED,
        Self::MESSAGE_ECHOED,
        Self::MESSAGE_STATUS_CHANGED,
        Self::CONTACT_PROFILE_SEEN,
        Self::READ_MARKED,
        Self::FAVOURITE_SET,
        Self::ARCHIVED_SET,
        Self::BOT_SET,
        Self::MESSAGE_QUEUED,
        Self::SEND_ATTEMPTED,
        Self::ATTEMPT_FAILED,
        Self::MESSAGE_SENT,
        Self::SEND_FAILED,
        Self::MEDIA_STORED,
        Self::MEDIA_FAILED,
        Self::WATCH_DETECTED,
        Self::BOT_TURN_CLAIMED,
        Self::BOT_REPLIED,
        Self::BOT_ESCALATED,
        Self::MESSAGE_TRANSCRIBED,
        Self::STATUS_CHANGED,
        Self::ASSIGNED,
        Self::LABEL_SET,
        Self::NOTE_ADDED,
        Self::RESPONDED,
    ];
}

impl ConversationEvent {
    /// Decodes a payload straight from its JSON text (see [`crate::event::RawRecordedEvent`]).
    pub fn from_json(event_type: &str, schema_version: u32, payload: &str) -> Result<Self, String> {
        // Stored payloads are read without serde_json's depth limit (see `crate::json`).
        let mut de = serde_json::Deserializer::from_str(payload);
        de.disable_recursion_limit();
        let event = Self::decode(
            event_type,
            schema_version,
            serde_stacker::Deserializer::new(&mut de),
        )?;
        de.end().map_err(|e| e.to_string())?;
        Ok(event)
    }

    /// Decodes a payload of a given wire name and schema version from any JSON source.
    fn decode<'de, D>(event_type: &str, schema_version: u32, payload: D) -> Result<Self, String>
    where
        D: serde::Deserializer<'de, Error = serde_json::Error>,
    {
        let decoded = match (event_type, schema_version) {
            (Self::MESSAGE_RECEIVED, 1) => {
                InboundMessage::deserialize(payload).map(ConversationEvent::MessageReceived)
            }
            (Self::MESSAGE_ECHOED, 1) => {
                EchoedMessage::deserialize(payload).map(ConversationEvent::MessageEchoed)
            }
            (Self::MESSAGE_STATUS_CHANGED, 1) => {
                StatusReport::deserialize(payload).map(ConversationEvent::MessageStatusChanged)
            }
            (Self::CONTACT_PROFILE_SEEN, 1) => {
                ContactProfile::deserialize(payload).map(ConversationEvent::ContactProfileSeen)
            }
            (Self::READ_MARKED, 1) => {
                ReadMarked::deserialize(payload).map(ConversationEvent::ReadMarked)
            }
            (Self::FAVOURITE_SET, 1) => {
                SettingChanged::deserialize(payload).map(ConversationEvent::FavouriteSet)
            }
            (Self::ARCHIVED_SET, 1) => {
                SettingChanged::deserialize(payload).map(ConversationEvent::ArchivedSet)
            }
            (Self::BOT_SET, 1) => {
                SettingChanged::deserialize(payload).map(ConversationEvent::BotSet)
            }
            (Self::MESSAGE_QUEUED, 1) => {
                MessageQueued::deserialize(payload).map(ConversationEvent::MessageQueued)
            }
            (Self::SEND_ATTEMPTED, 1) => {
                SendAttempted::deserialize(payload).map(ConversationEvent::SendAttempted)
            }
            (Self::ATTEMPT_FAILED, 1) => {
                AttemptFailed::deserialize(payload).map(ConversationEvent::AttemptFailed)
            }
            (Self::MESSAGE_SENT, 1) => {
                MessageSent::deserialize(payload).map(ConversationEvent::MessageSent)
            }
            (Self::SEND_FAILED, 1) => {
                SendFailed::deserialize(payload).map(ConversationEvent::SendFailed)
            }
            (Self::MEDIA_STORED, 1) => {
                MediaStored::deserialize(payload).map(ConversationEvent::MediaStored)
            }
            (Self::MEDIA_FAILED, 1) => {
                MediaFailed::deserialize(payload).map(ConversationEvent::MediaFailed)
            }
            (Self::WATCH_DETECTED, 1) => {
                WatchDetected::deserialize(payload).map(ConversationEvent::WatchDetected)
            }
            (Self::BOT_TURN_CLAIMED, 1) => {
                BotTurnClaimed::deserialize(payload).map(ConversationEvent::BotTurnClaimed)
            }
            (Self::BOT_REPLIED, 1) => {
                BotReplied::deserialize(payload).map(ConversationEvent::BotReplied)
            }
            (Self::BOT_ESCALATED, 1) => {
                BotEscalated::deserialize(payload).map(ConversationEvent::BotEscalated)
            }
            (Self::MESSAGE_TRANSCRIBED, 1) => {
                MessageTranscribed::deserialize(payload).map(ConversationEvent::MessageTranscribed)
            }
            (Self::STATUS_CHANGED, 1) => {
                StatusChanged::deserialize(payload).map(ConversationEvent::StatusChanged)
            }
            (Self::ASSIGNED, 1) => Assigned::deserialize(payload).map(ConversationEvent::Assigned),
            (Self::LABEL_SET, 1) => LabelSet::deserialize(payload).map(ConversationEvent::LabelSet),
            (Self::NOTE_ADDED, 1) => {
                NoteAdded::deserialize(payload).map(ConversationEvent::NoteAdded)
            }
            (Self::RESPONDED, 1) => {
                Responded::deserialize(payload).map(ConversationEvent::Responded)
            }
            _ => return Err("unknown event type or schema version".to_owned()),
        };
        decoded.map_err(|e| e.to_string())
    }
}

impl DomainEvent for ConversationEvent {
    const SCHEMA_VERSION: u32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            ConversationEvent::MessageReceived(_) => Self::MESSAGE_RECEIVED,
            ConversationEvent::MessageEchoed(_) => Self::MESSAGE_ECHOED,
            ConversationEvent::MessageStatusChanged(_) => Self::MESSAGE_STATUS_CHANGED,
            ConversationEvent::ContactProfileSeen(_) => Self::CONTACT_PROFILE_SEEN,
            ConversationEvent::ReadMarked(_) => Self::READ_MARKED,
            ConversationEvent::FavouriteSet(_) => Self::FAVOURITE_SET,
            ConversationEvent::ArchivedSet(_) => Self::ARCHIVED_SET,
            ConversationEvent::BotSet(_) => Self::BOT_SET,
            ConversationEvent::MessageQueued(_) => Self::MESSAGE_QUEUED,
            ConversationEvent::SendAttempted(_) => Self::SEND_ATTEMPTED,
            ConversationEvent::AttemptFailed(_) => Self::ATTEMPT_FAILED,
            ConversationEvent::MessageSent(_) => Self::MESSAGE_SENT,
            ConversationEvent::SendFailed(_) => Self::SEND_FAILED,
            ConversationEvent::MediaStored(_) => Self::MEDIA_STORED,
            ConversationEvent::MediaFailed(_) => Self::MEDIA_FAILED,
            ConversationEvent::WatchDetected(_) => Self::WATCH_DETECTED,
            ConversationEvent::BotTurnClaimed(_) => Self::BOT_TURN_CLAIMED,
            ConversationEvent::BotReplied(_) => Self::BOT_REPLIED,
            ConversationEvent::BotEscalated(_) => Self::BOT_ESCALATED,
            ConversationEvent::MessageTranscribed(_) => Self::MESSAGE_TRANSCRIBED,
            ConversationEvent::StatusChanged(_) => Self::STATUS_CHANGED,
            ConversationEvent::Assigned(_) => Self::ASSIGNED,
            ConversationEvent::LabelSet(_) => Self::LABEL_SET,
            ConversationEvent::NoteAdded(_) => Self::NOTE_ADDED,
            ConversationEvent::Responded(_) => Self::RESPONDED,
        }
    }

    fn natural_key(&self) -> String {
        match self {
            ConversationEvent::MessageReceived(m) => m.wamid.clone(),
            ConversationEvent::MessageEchoed(m) => m.wamid.clone(),
            ConversationEvent::MessageStatusChanged(s) => format!("{}:{}", s.wamid, s.status),
            // A profile event is only decided when the profile changed, so its content is its key.
            ConversationEvent::ContactProfileSeen(c) => {
                serde_json::to_string(c).unwrap_or_default()
            }
            ConversationEvent::ReadMarked(r) => r.command_id.to_string(),
            ConversationEvent::FavouriteSet(c)
            | ConversationEvent::ArchivedSet(c)
            | ConversationEvent::BotSet(c) => c.command_id.to_string(),
            ConversationEvent::MessageQueued(q) => q.message_id.to_string(),
            ConversationEvent::SendAttempted(a) => format!("{}:{}", a.message_id, a.attempt),
            ConversationEvent::AttemptFailed(f) => format!("{}:{}", f.message_id, f.attempt),
            // One outcome per message: a second sender's outcome is the same event, stored once.
            ConversationEvent::MessageSent(s) => s.message_id.to_string(),
            ConversationEvent::SendFailed(f) => f.message_id.to_string(),
            // One media outcome per message.
            ConversationEvent::MediaStored(m) => m.wamid.clone(),
            ConversationEvent::MediaFailed(m) => m.wamid.clone(),
            // Once per message, text, extractor version and reader: a redetection with the same version is
            // a no-op, and a model's reading is another event than the rules' (whose keys stay as they were).
            ConversationEvent::WatchDetected(w) => {
                let key = format!(
                    "{}:{}:{}",
                    w.message_id,
                    w.via.as_deref().unwrap_or(""),
                    w.extractor_version
                );
                match w.method {
                    crate::listings::ReadingMethod::Rules => key,
                    method => format!("{key}:{method}"),
                }
            }
            ConversationEvent::BotTurnClaimed(t) => t.turn_id.to_string(),
            // One outcome per turn, whichever node records it.
            ConversationEvent::BotReplied(r) => r.turn_id.to_string(),
            ConversationEvent::BotEscalated(e) => e.turn_id.to_string(),
            ConversationEvent::MessageTranscribed(t) => t.message_id.clone(),
            ConversationEvent::StatusChanged(s) => s.command_id.to_string(),
            ConversationEvent::Assigned(a) => a.command_id.to_string(),
            ConversationEvent::LabelSet(l) => l.command_id.to_string(),
            ConversationEvent::NoteAdded(n) => n.note_id.to_string(),
            // One answer per answering message.
            ConversationEvent::Responded(r) => r.message_id.clone(),
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match self {
            ConversationEvent::MessageReceived(m) => m.timestamp,
            ConversationEvent::MessageEchoed(m) => m.timestamp,
            ConversationEvent::MessageStatusChanged(s) => s.timestamp,
            ConversationEvent::ContactProfileSeen(_) => None,
            ConversationEvent::ReadMarked(r) => Some(r.at),
            ConversationEvent::FavouriteSet(c)
            | ConversationEvent::ArchivedSet(c)
            | ConversationEvent::BotSet(c) => Some(c.at),
            ConversationEvent::MessageQueued(q) => Some(q.at),
            ConversationEvent::SendAttempted(a) => Some(a.at),
            ConversationEvent::AttemptFailed(f) => Some(f.at),
            ConversationEvent::MessageSent(s) => Some(s.at),
            ConversationEvent::SendFailed(f) => Some(f.at),
            ConversationEvent::MediaStored(m) => Some(m.at),
            ConversationEvent::MediaFailed(m) => Some(m.at),
            ConversationEvent::WatchDetected(w) => w.at,
            ConversationEvent::BotTurnClaimed(t) => Some(t.at),
            ConversationEvent::BotReplied(r) => Some(r.at),
            ConversationEvent::BotEscalated(e) => Some(e.at),
            ConversationEvent::MessageTranscribed(t) => Some(t.at),
            ConversationEvent::StatusChanged(s) => Some(s.at),
            ConversationEvent::Assigned(a) => Some(a.at),
            ConversationEvent::LabelSet(l) => Some(l.at),
            ConversationEvent::NoteAdded(n) => Some(n.at),
            ConversationEvent::Responded(r) => Some(r.at),
        }
    }

    fn payload(&self) -> JsonText {
        match self {
            ConversationEvent::MessageReceived(m) => JsonText::of(m),
            ConversationEvent::MessageEchoed(m) => JsonText::of(m),
            ConversationEvent::MessageStatusChanged(s) => JsonText::of(s),
            ConversationEvent::ContactProfileSeen(c) => JsonText::of(c),
            ConversationEvent::ReadMarked(r) => JsonText::of(r),
            ConversationEvent::FavouriteSet(c)
            | ConversationEvent::ArchivedSet(c)
            | ConversationEvent::BotSet(c) => JsonText::of(c),
            ConversationEvent::MessageQueued(q) => JsonText::of(q),
            ConversationEvent::SendAttempted(a) => JsonText::of(a),
            ConversationEvent::AttemptFailed(f) => JsonText::of(f),
            ConversationEvent::MessageSent(s) => JsonText::of(s),
            ConversationEvent::SendFailed(f) => JsonText::of(f),
            ConversationEvent::MediaStored(m) => JsonText::of(m),
            ConversationEvent::MediaFailed(m) => JsonText::of(m),
            ConversationEvent::WatchDetected(w) => JsonText::of(w),
            ConversationEvent::BotTurnClaimed(t) => JsonText::of(t),
            ConversationEvent::BotReplied(r) => JsonText::of(r),
            ConversationEvent::BotEscalated(e) => JsonText::of(e),
            ConversationEvent::MessageTranscribed(t) => JsonText::of(t),
            ConversationEvent::StatusChanged(s) => JsonText::of(s),
            ConversationEvent::Assigned(a) => JsonText::of(a),
            ConversationEvent::LabelSet(l) => JsonText::of(l),
            ConversationEvent::NoteAdded(n) => JsonText::of(n),
            ConversationEvent::Responded(r) => JsonText::of(r),
        }
    }

    fn from_recorded(event: &RecordedEvent) -> Result<Self, DecodeError> {
        // From the stored text: no tree is built for the event.
        Self::from_json(
            &event.event_type,
            event.schema_version,
            event.payload.text(),
        )
        .map_err(|reason| DecodeError::new(event, reason))
    }
}
