//! The reports view's rows and its pure fold. The fold only counts: waits and open times come from the
//! events; their business-hours variants are worked out with the domain's own
//! [`BusinessHours::open_between`], with the hours in force when the event was recorded.

use crate::inbox::view::InboxEvent;
use crate::rows::{Table, ViewRow};
use actors::conversation::events::ConversationEvent;
use actors::conversation::workflow::ConversationStatus;
use actors::teamwork::hours::BusinessHours;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// Each number's business hours as last saved.
pub const HOURS: Table = Table {
    name: "report_hours",
    key: &["account_id"],
};
/// What the fold remembers of each conversation.
pub const CONVERSATIONS: Table = Table {
    name: "report_conversations",
    key: &["conversation_id"],
};
/// One row per answer to a waiting customer.
pub const RESPONSES: Table = Table {
    name: "report_responses",
    key: &["conversation_id", "message_id"],
};
/// One row per resolution.
pub const RESOLUTIONS: Table = Table {
    name: "report_resolutions",
    key: &["conversation_id", "command_id"],
};
/// Messages per conversation, UTC hour, direction and writer.
pub const VOLUME: Table = Table {
    name: "report_volume",
    key: &["conversation_id", "hour", "direction", "who", "agent"],
};
/// The bot's turns and their outcome.
pub const BOT_TURNS: Table = Table {
    name: "report_bot_turns",
    key: &["conversation_id", "turn_id"],
};

/// A number's business hours as last saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoursRow {
    /// The number (phone-number id).
    pub account_id: String,
    /// [`BusinessHours`] as JSON.
    pub hours: serde_json::Value,
    /// The global position of the `teamwork.configured` event.
    pub position: i64,
}

impl ViewRow for HoursRow {
    const TABLE: Table = HOURS;
}

/// What the fold remembers of a conversation between batches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationRow {
    /// `{account}-{contact}`.
    pub conversation_id: String,
    /// The number (phone-number id).
    pub account_id: String,
    /// The label ids it holds now, sorted.
    pub labels: Vec<String>,
    /// Whether it stands resolved (a resolution is counted when it becomes so).
    pub resolved: bool,
    /// In the current open period: the bot answered.
    pub bot_replied: bool,
    /// In the current open period: a person wrote (in the inbox or the WhatsApp Business app).
    pub person_wrote: bool,
    /// In the current open period: the bot handed over.
    pub escalated: bool,
    /// The bot's messages whose `message.queued` is still to come.
    pub bot_messages: Vec<Uuid>,
    /// The global position of the last event folded.
    pub position: i64,
}

impl ViewRow for ConversationRow {
    const TABLE: Table = CONVERSATIONS;
}

/// A waiting customer answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRow {
    /// `{account}-{contact}`.
    pub conversation_id: String,
    /// The answering message.
    pub message_id: String,
    /// The number (phone-number id).
    pub account_id: String,
    /// When the answer was made.
    pub at: DateTime<Utc>,
    /// How long the customer waited, as the event says.
    pub waited_secs: i64,
    /// The part of the wait in business hours; `None` when the number had none enabled.
    pub waited_business_secs: Option<i64>,
    /// The first answer since the conversation (re)opened.
    pub first: bool,
    /// `agent`, `bot` or `app`.
    pub responder: String,
    /// The user who answered.
    pub agent: Option<String>,
}

impl ViewRow for ResponseRow {
    const TABLE: Table = RESPONSES;
}

/// A conversation resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolutionRow {
    /// `{account}-{contact}`.
    pub conversation_id: String,
    /// The command that resolved it.
    pub command_id: Uuid,
    /// The number (phone-number id).
    pub account_id: String,
    /// When it was resolved.
    pub resolved_at: DateTime<Utc>,
    /// How long it had been open, as the event says.
    pub open_secs: Option<i64>,
    /// The part of it in business hours; `None` when the number had none enabled.
    pub open_business_secs: Option<i64>,
    /// The user who resolved it.
    pub resolved_by: Option<String>,
    /// The open period had bot answers, and no person's message and no hand-over.
    pub by_bot_alone: bool,
}

impl ViewRow for ResolutionRow {
    const TABLE: Table = RESOLUTIONS;
}

/// Messages of a conversation in one hour, by direction and writer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeRow {
    /// `{account}-{contact}`.
    pub conversation_id: String,
    /// The start of the UTC hour.
    pub hour: DateTime<Utc>,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `customer`, `agent`, `bot`, `app` or `inbox`.
    pub who: String,
    /// The user who wrote, for `agent`; empty otherwise.
    pub agent: String,
    /// The number (phone-number id).
    pub account_id: String,
    /// How many messages.
    pub messages: i64,
}

impl ViewRow for VolumeRow {
    const TABLE: Table = VOLUME;
}

/// A bot's turn and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotTurnRow {
    /// `{account}-{contact}`.
    pub conversation_id: String,
    /// The bot's turn.
    pub turn_id: Uuid,
    /// The number (phone-number id).
    pub account_id: String,
    /// When the turn ended.
    pub at: DateTime<Utc>,
    /// `replied` or `escalated`.
    pub outcome: String,
}

impl ViewRow for BotTurnRow {
    const TABLE: Table = BOT_TURNS;
}

/// A volume row's key: conversation, hour, direction, who, agent.
pub type VolumeKey = (String, DateTime<Utc>, String, String, String);

/// An event the reports read.
#[expect(
    clippy::large_enum_variant,
    reason = "each event is decoded and folded once per batch; boxing would only add allocations"
)]
#[derive(Debug, Clone)]
pub enum ReportEvent {
    /// A number's team-work settings were saved: their hours count from here on.
    Hours {
        /// The number.
        account_id: String,
        /// The event's global position.
        position: i64,
        /// The hours saved.
        hours: BusinessHours,
    },
    /// A conversation's event, with its envelope, as the node's projections share it.
    Conversation(Arc<InboxEvent>),
}

/// The rows a batch touches: those loaded before it (hours, conversations, volume counts) and those it
/// adds. Only rows that differ from what was loaded are written back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportsView {
    /// Per number: the hours in force, and the position they were saved at.
    pub hours: BTreeMap<String, (BusinessHours, i64)>,
    /// Per conversation id.
    pub conversations: BTreeMap<String, ConversationRow>,
    /// Per (conversation, message): answers the batch adds.
    pub responses: BTreeMap<(String, String), ResponseRow>,
    /// Per (conversation, command): resolutions the batch adds.
    pub resolutions: BTreeMap<(String, Uuid), ResolutionRow>,
    /// Message counts, as loaded plus the batch's.
    pub volume: BTreeMap<VolumeKey, VolumeRow>,
    /// Per (conversation, turn): turns the batch adds.
    pub bot_turns: BTreeMap<(String, Uuid), BotTurnRow>,
}

/// Where a message event counts: its direction, and who wrote it with the user (or '').
enum Writer {
    Customer,
    Agent(String),
    Bot,
    App,
    Inbox,
}

/// The hour a conversation event is counted in, for a message event (what the volume rows are keyed
/// by); `None` for every other event.
pub fn message_hour(e: &InboxEvent) -> Option<DateTime<Utc>> {
    let at = match &e.event {
        ConversationEvent::MessageReceived(m) if m.content.is_standalone() => m.timestamp,
        ConversationEvent::MessageEchoed(m) => m.timestamp,
        ConversationEvent::MessageQueued(q) => Some(q.at),
        _ => return None,
    };
    Some(hour(at.or(e.occurred_at).unwrap_or(e.recorded_at)))
}

fn hour(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

/// Business seconds of `from..to` under the hours in force, or `None` when none are enabled.
fn business_secs(
    hours: Option<&BusinessHours>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<i64> {
    hours
        .filter(|h| h.enabled)
        .map(|h| h.open_between(from, to).num_seconds())
}

/// Folds one event into the view.
pub fn apply(view: &mut ReportsView, event: &ReportEvent) {
    let e = match event {
        ReportEvent::Hours {
            account_id,
            position,
            hours,
        } => {
            view.hours
                .insert(account_id.clone(), (hours.clone(), *position));
            return;
        }
        ReportEvent::Conversation(e) => e,
    };
    let hours = view.hours.get(&e.account_id).map(|(h, _)| h.clone());
    let conversation = view
        .conversations
        .entry(e.conversation_id.clone())
        .or_insert_with(|| ConversationRow {
            conversation_id: e.conversation_id.clone(),
            account_id: e.account_id.clone(),
            ..ConversationRow::default()
        });
    conversation.position = e.position;
    let writer = match &e.event {
        ConversationEvent::MessageReceived(m) if m.content.is_standalone() => {
            Some(Writer::Customer)
        }
        ConversationEvent::MessageEchoed(_) => {
            conversation.person_wrote = true;
            Some(Writer::App)
        }
        ConversationEvent::MessageQueued(q) => Some(match &q.by {
            Some(user) => {
                conversation.person_wrote = true;
                Writer::Agent(user.clone())
            }
            None => match conversation
                .bot_messages
                .iter()
                .position(|id| *id == q.message_id)
            {
                Some(i) => {
                    conversation.bot_messages.remove(i);
                    Writer::Bot
                }
                None => Writer::Inbox,
            },
        }),
        ConversationEvent::BotReplied(r) => {
            conversation.bot_replied = true;
            conversation.bot_messages.push(r.message_id);
            view.bot_turns.insert(
                (e.conversation_id.clone(), r.turn_id),
                BotTurnRow {
                    conversation_id: e.conversation_id.clone(),
                    turn_id: r.turn_id,
                    account_id: e.account_id.clone(),
                    at: r.at,
                    outcome: "replied".into(),
                },
            );
            None
        }
        ConversationEvent::BotEscalated(x) => {
            conversation.escalated = true;
            conversation.bot_messages.extend(x.message_id);
            view.bot_turns.insert(
                (e.conversation_id.clone(), x.turn_id),
                BotTurnRow {
                    conversation_id: e.conversation_id.clone(),
                    turn_id: x.turn_id,
                    account_id: e.account_id.clone(),
                    at: x.at,
                    outcome: "escalated".into(),
                },
            );
            None
        }
        ConversationEvent::LabelSet(l) => {
            conversation.labels.retain(|label| *label != l.label);
            if l.applied {
                conversation.labels.push(l.label.clone());
                conversation.labels.sort();
            }
            None
        }
        ConversationEvent::Responded(r) => {
            view.responses.insert(
                (e.conversation_id.clone(), r.message_id.clone()),
                ResponseRow {
                    conversation_id: e.conversation_id.clone(),
                    message_id: r.message_id.clone(),
                    account_id: e.account_id.clone(),
                    at: r.at,
                    waited_secs: r.waited_secs,
                    waited_business_secs: business_secs(hours.as_ref(), r.waiting_since, r.at),
                    first: r.first,
                    responder: r.responder.clone(),
                    agent: r.by.clone(),
                },
            );
            None
        }
        ConversationEvent::StatusChanged(s) => {
            let resolving = s.status == ConversationStatus::Resolved && !conversation.resolved;
            if resolving {
                view.resolutions.insert(
                    (e.conversation_id.clone(), s.command_id),
                    ResolutionRow {
                        conversation_id: e.conversation_id.clone(),
                        command_id: s.command_id,
                        account_id: e.account_id.clone(),
                        resolved_at: s.at,
                        open_secs: s.open_secs,
                        open_business_secs: s.open_secs.and_then(|secs| {
                            business_secs(hours.as_ref(), s.at - TimeDelta::seconds(secs), s.at)
                        }),
                        resolved_by: s.by.clone(),
                        by_bot_alone: conversation.bot_replied
                            && !conversation.person_wrote
                            && !conversation.escalated,
                    },
                );
                // The next open period starts with a clean slate.
                conversation.bot_replied = false;
                conversation.person_wrote = false;
                conversation.escalated = false;
            }
            conversation.resolved = s.status == ConversationStatus::Resolved;
            None
        }
        _ => None,
    };
    let (Some(writer), Some(hour)) = (writer, message_hour(e)) else {
        return;
    };
    let (direction, who, agent) = match writer {
        Writer::Customer => ("inbound", "customer", String::new()),
        Writer::Agent(user) => ("outbound", "agent", user),
        Writer::Bot => ("outbound", "bot", String::new()),
        Writer::App => ("outbound", "app", String::new()),
        Writer::Inbox => ("outbound", "inbox", String::new()),
    };
    let key: VolumeKey = (
        e.conversation_id.clone(),
        hour,
        direction.to_owned(),
        who.to_owned(),
        agent.clone(),
    );
    view.volume
        .entry(key)
        .or_insert_with(|| VolumeRow {
            conversation_id: e.conversation_id.clone(),
            hour,
            direction: direction.to_owned(),
            who: who.to_owned(),
            agent,
            account_id: e.account_id.clone(),
            messages: 0,
        })
        .messages += 1;
}
