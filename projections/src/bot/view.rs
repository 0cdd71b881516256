//! The bot view's rows and its pure fold.

use crate::inbox::view::InboxEvent;
use crate::rows::{Table, ViewRow};
use actors::account::events::BotConfigured;
use actors::conversation::events::ConversationEvent;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

pub const SETTINGS: Table = Table {
    name: "bot_settings",
    key: &["account_id"],
};
pub const CONVERSATIONS: Table = Table {
    name: "bot_conversations",
    key: &["conversation_id"],
};
pub const TURNS: Table = Table {
    name: "bot_turns",
    key: &["conversation_id", "turn_id"],
};
pub const QA: Table = Table {
    name: "bot_qa",
    key: &["account_id", "qa_id"],
};
pub const TRANSCRIPTS: Table = Table {
    name: "bot_transcripts",
    key: &["conversation_id", "message_id"],
};

/// A number's bot settings as last saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsRow {
    pub account_id: String,
    pub version: i64,
    pub settings: Value,
    pub saved_at: DateTime<Utc>,
    pub enabled_since: Option<DateTime<Utc>>,
    pub position: i64,
}

impl ViewRow for SettingsRow {
    const TABLE: Table = SETTINGS;
}

/// One conversation's bot state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationRow {
    pub conversation_id: String,
    pub account_id: String,
    pub enabled: bool,
    pub latest_message_id: Option<String>,
    pub latest_at: Option<DateTime<Utc>>,
    pub answered_through: Option<String>,
    pub claimed_turn: Option<Uuid>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub replies: i32,
    pub escalations: i32,
    pub last_escalated_at: Option<DateTime<Utc>>,
    pub last_escalation_reason: Option<String>,
    pub off_reason: Option<String>,
    pub position: i64,
}

impl ViewRow for ConversationRow {
    const TABLE: Table = CONVERSATIONS;
}

impl ConversationRow {
    fn new(e: &InboxEvent) -> Self {
        ConversationRow {
            conversation_id: e.conversation_id.clone(),
            account_id: e.account_id.clone(),
            enabled: true,
            latest_message_id: None,
            latest_at: None,
            answered_through: None,
            claimed_turn: None,
            claimed_at: None,
            replies: 0,
            escalations: 0,
            last_escalated_at: None,
            last_escalation_reason: None,
            off_reason: None,
            position: e.position,
        }
    }
}

/// One bot turn: claimed, then replied or escalated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRow {
    pub conversation_id: String,
    pub turn_id: Uuid,
    pub through: String,
    pub outcome: String,
    pub kind: Option<String>,
    pub message_id: Option<String>,
    pub model: Option<String>,
    pub playbook_version: Option<i64>,
    pub confidence: Option<f64>,
    pub reasons: Value,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub latency_ms: Option<i64>,
    pub would_have_replied: Option<String>,
    pub error: Option<String>,
    pub escalation_number: Option<String>,
    pub claimed_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub position: i64,
}

impl ViewRow for TurnRow {
    const TABLE: Table = TURNS;
}

/// A voice note's transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptRow {
    pub conversation_id: String,
    pub message_id: String,
    pub text: String,
    pub model: String,
    pub transcribed_at: DateTime<Utc>,
    pub position: i64,
}

impl ViewRow for TranscriptRow {
    const TABLE: Table = TRANSCRIPTS;
}

/// A question and answer of a number's knowledge base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QaRow {
    pub account_id: String,
    pub qa_id: Uuid,
    pub question: String,
    pub answer: String,
    pub source_conversation: Option<String>,
    pub saved_at: DateTime<Utc>,
    pub position: i64,
}

impl ViewRow for QaRow {
    const TABLE: Table = QA;
}

/// An event the bot view folds.
#[expect(
    clippy::large_enum_variant,
    reason = "settings are rare and folded once per batch; conversation events, the many, are shared (Arc)"
)]
#[derive(Debug, Clone)]
pub enum BotEvent {
    Settings {
        account_id: String,
        position: i64,
        configured: BotConfigured,
    },
    QaSaved {
        account_id: String,
        position: i64,
        saved: actors::account::events::BotQaSaved,
    },
    QaRemoved {
        account_id: String,
        qa_id: Uuid,
    },
    /// A conversation's event, as the node's projections share it.
    Conversation(Arc<InboxEvent>),
}

/// The rows a batch touches, keyed as their tables are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BotView {
    pub settings: BTreeMap<String, SettingsRow>,
    pub conversations: BTreeMap<String, ConversationRow>,
    pub turns: BTreeMap<(String, Uuid), TurnRow>,
    pub transcripts: BTreeMap<(String, String), TranscriptRow>,
    /// Knowledge-base entries saved (`Some`) or removed (`None`).
    pub qa: BTreeMap<(String, Uuid), Option<QaRow>>,
}

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Applies one event. Pure.
pub fn apply(view: &mut BotView, event: &BotEvent) {
    let e = match event {
        BotEvent::Settings {
            account_id,
            position,
            configured,
        } => {
            let was = view.settings.get(account_id);
            let enabled_since = match (configured.settings.enabled, was) {
                (false, _) => None,
                (true, Some(w)) if w.enabled_since.is_some() => w.enabled_since,
                (true, _) => Some(configured.at),
            };
            view.settings.insert(
                account_id.clone(),
                SettingsRow {
                    account_id: account_id.clone(),
                    version: i64_of(configured.version),
                    settings: serde_json::to_value(&configured.settings).unwrap_or(Value::Null),
                    saved_at: configured.at,
                    enabled_since,
                    position: *position,
                },
            );
            return;
        }
        BotEvent::QaSaved {
            account_id,
            position,
            saved,
        } => {
            view.qa.insert(
                (account_id.clone(), saved.qa_id),
                Some(QaRow {
                    account_id: account_id.clone(),
                    qa_id: saved.qa_id,
                    question: saved.question.clone(),
                    answer: saved.answer.clone(),
                    source_conversation: saved.source_conversation.clone(),
                    saved_at: saved.at,
                    position: *position,
                }),
            );
            return;
        }
        BotEvent::QaRemoved { account_id, qa_id } => {
            view.qa.insert((account_id.clone(), *qa_id), None);
            return;
        }
        BotEvent::Conversation(e) => e,
    };
    let row = view
        .conversations
        .entry(e.conversation_id.clone())
        .or_insert_with(|| ConversationRow::new(e));
    row.position = e.position;
    match &e.event {
        ConversationEvent::MessageReceived(m)
            if actors::bot::read(&m.content) != actors::bot::Reading::Nothing =>
        {
            row.latest_message_id = Some(m.wamid.clone());
            row.latest_at = Some(e.recorded_at);
        }
        ConversationEvent::BotSet(c) => {
            row.enabled = c.value;
            row.off_reason = if c.value { None } else { c.reason.clone() };
        }
        ConversationEvent::BotTurnClaimed(t) => {
            row.claimed_turn = Some(t.turn_id);
            row.claimed_at = Some(t.at);
            turn_mut(view, e, t.turn_id, &t.through, t.at);
        }
        ConversationEvent::BotReplied(r) => {
            row.claimed_turn = None;
            row.claimed_at = None;
            row.answered_through = Some(r.through.clone());
            row.replies += 1;
            let turn = turn_mut(view, e, r.turn_id, &r.through, r.at);
            turn.outcome = "replied".to_owned();
            turn.kind = Some(r.kind.clone());
            turn.message_id = Some(r.message_id.to_string());
            details(turn, &r.details);
            turn.finished_at = Some(r.at);
        }
        ConversationEvent::BotEscalated(x) => {
            row.claimed_turn = None;
            row.claimed_at = None;
            row.answered_through = Some(x.through.clone());
            row.escalations += 1;
            row.last_escalated_at = Some(x.at);
            row.last_escalation_reason = Some(x.reason.as_str().to_owned());
            let turn = turn_mut(view, e, x.turn_id, &x.through, x.at);
            turn.outcome = "escalated".to_owned();
            turn.kind = Some(x.reason.as_str().to_owned());
            turn.message_id = x.message_id.map(|m| m.to_string());
            turn.would_have_replied = x.would_have_replied.clone();
            turn.error = x.error.clone();
            turn.escalation_number = x.escalation_number.clone();
            details(turn, &x.details);
            turn.finished_at = Some(x.at);
        }
        ConversationEvent::MessageTranscribed(t) => {
            view.transcripts.insert(
                (e.conversation_id.clone(), t.message_id.clone()),
                TranscriptRow {
                    conversation_id: e.conversation_id.clone(),
                    message_id: t.message_id.clone(),
                    text: t.text.clone(),
                    model: t.model.clone(),
                    transcribed_at: t.at,
                    position: e.position,
                },
            );
        }
        _ => {}
    }
}

/// A turn's row, made as its claim records it when the view does not hold it yet (an outcome always
/// follows its claim in the log, but a view must not panic on what it reads).
fn turn_mut<'a>(
    view: &'a mut BotView,
    e: &InboxEvent,
    turn_id: Uuid,
    through: &str,
    at: DateTime<Utc>,
) -> &'a mut TurnRow {
    let turn = view
        .turns
        .entry((e.conversation_id.clone(), turn_id))
        .or_insert_with(|| TurnRow {
            conversation_id: e.conversation_id.clone(),
            turn_id,
            through: through.to_owned(),
            outcome: "claimed".to_owned(),
            kind: None,
            message_id: None,
            model: None,
            playbook_version: None,
            confidence: None,
            reasons: Value::Array(vec![]),
            input_tokens: None,
            output_tokens: None,
            latency_ms: None,
            would_have_replied: None,
            error: None,
            escalation_number: None,
            claimed_at: at,
            finished_at: None,
            position: e.position,
        });
    turn.position = e.position;
    turn
}

fn details(turn: &mut TurnRow, d: &actors::bot::events::TurnDetails) {
    turn.model = Some(d.model.clone()).filter(|m| !m.is_empty());
    turn.playbook_version = Some(i64_of(d.playbook_version));
    turn.confidence = d.confidence.filter(|c| c.is_finite());
    turn.reasons = serde_json::to_value(&d.reasons).unwrap_or(Value::Array(vec![]));
    turn.input_tokens = Some(i64_of(d.input_tokens));
    turn.output_tokens = Some(i64_of(d.output_tokens));
    turn.latency_ms = Some(i64_of(d.latency_ms));
}
