//! The bot's facts on a conversation's stream: a turn claimed, then either a reply or a hand-over, and
//! the transcripts of voice notes. An auditor can follow every turn: which message it answered, with which
//! model and playbook version, how sure the model was, and why it handed over.

use super::EscalationReason;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A node took the turn answering the customer's messages up to `through`. Another claim is accepted
/// only once this one is answered or its lease (`INBOX_BOT_TURN_LEASE_SECS`) has run out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotTurnClaimed {
    pub turn_id: Uuid,
    /// The customer's latest message when the turn began (its wamid).
    pub through: String,
    pub at: DateTime<Utc>,
}

/// What a turn cost and who answered: the same on replies and hand-overs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TurnDetails {
    /// `provider:model`, or empty when no model was asked (an attachment, the reply limit).
    pub model: String,
    /// The version of the number's bot settings the prompt was built from.
    pub playbook_version: u64,
    pub confidence: Option<f64>,
    /// The model's own notes (what it relied on, what was missing).
    pub reasons: Vec<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub latency_ms: u64,
}

/// The bot answered: `message_id` is its reply, queued in the same append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotReplied {
    pub turn_id: Uuid,
    pub through: String,
    pub message_id: Uuid,
    /// `answer` (the model's reply) or `attachment` (the attachment phrase).
    pub kind: String,
    #[serde(flatten)]
    pub details: TurnDetails,
    pub at: DateTime<Utc>,
}

/// The bot handed the conversation over to a person and switched itself off there. `message_id` is the
/// fallback phrase sent to the customer (none when the 24-hour window had closed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotEscalated {
    pub turn_id: Uuid,
    pub through: String,
    pub message_id: Option<Uuid>,
    pub reason: EscalationReason,
    /// What the model would have answered, for the person taking over.
    pub would_have_replied: Option<String>,
    /// The model's or the provider's error, when the model failed.
    pub error: Option<String>,
    /// Who gets the summary (a WhatsApp id), if anyone.
    pub escalation_number: Option<String>,
    #[serde(flatten)]
    pub details: TurnDetails,
    pub at: DateTime<Utc>,
}

/// A voice note's words, as the model heard them: shown in the inbox, searchable, and what the bot
/// answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTranscribed {
    /// The voice note's wamid.
    pub message_id: String,
    pub text: String,
    pub model: String,
    /// When it was transcribed.
    pub at: DateTime<Utc>,
    /// When the customer sent the voice note, so the search index dates the words as the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_at: Option<DateTime<Utc>>,
}

/// The id of a message the bot sends for a turn (reply, fallback, summary): derived from the turn, so
/// recording the outcome again sends nothing twice.
pub fn message_id(turn_id: Uuid, what: &str) -> Uuid {
    Uuid::new_v5(&turn_id, what.as_bytes())
}
