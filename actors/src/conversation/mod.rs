//! A conversation between one business number and one customer (or group): its facts and its rules.
//!
//! Rules: a message delivered twice is recorded once; a status only moves a message forward, whatever
//! order statuses arrive in; `failed` is kept; a status for a message not known yet is recorded and
//! applies once the message is known; the customer's profile is recorded when it first appears or changes.

pub mod events;
pub mod id;
pub mod message;
pub mod outbound;
pub mod phone;
pub mod status;
pub mod workflow;

use crate::aggregate::{Aggregate, Refusal, RefusalCode};
use chrono::{DateTime, Utc};
use events::{ContactProfile, ConversationEvent, ReadMarked, SettingChanged, WatchDetected};
use message::{EchoedMessage, InboundMessage};
use outbound::{
    DeliveryFact, MessageQueued, MessageSent, Outgoing, SendAttempted, SendCommand, SendFailed,
    SendRefusal, ServiceWindow,
};
use status::{Delivery, DeliveryStatus, StatusReport};
use std::collections::{HashMap, HashSet};

/// Something a webhook told us about a conversation.
#[expect(
    clippy::large_enum_variant,
    reason = "each value is decided or read once and moved, never stored in bulk; boxing would only add allocations"
)]
#[derive(Debug, Clone, PartialEq)]
pub enum ConversationFact {
    Message(InboundMessage),
    Echo(EchoedMessage),
    Status(StatusReport),
    Contact(ContactProfile),
    /// Something an inbox user asked for.
    Command(ConversationCommand),
    /// Send a message (from an inbox user or the bot).
    Send(SendCommand),
    /// What the account's sender did with a queued message.
    Delivery(DeliveryFact),
    /// What the media fetcher did with a message's file.
    Media(outbound::MediaFact),
    /// What the bot's worker did: a turn claimed, its outcome, a transcript.
    Bot(BotFact),
    /// A model's reading of a message's watches (method `llm`), for a message the rules were unsure of.
    /// Recorded once per message.
    ModelReading(WatchDetected),
    /// Team work: status, assignment, labels, notes (see [`workflow`]).
    Workflow(workflow::WorkflowCommand),
}

/// Where the bot's messages go: the customer's WhatsApp id, or the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub to: String,
    pub group: bool,
}

/// What the bot's worker reports. An outcome counts only for the turn currently claimed, so a turn
/// answered by one node is never answered again by another (or by the same node after a restart).
#[derive(Debug, Clone, PartialEq)]
pub enum BotFact {
    /// Take the turn answering the customer's latest messages, unless a live claim holds it or there is
    /// nothing new to answer.
    Claim {
        turn_id: uuid::Uuid,
        at: DateTime<Utc>,
        /// How long a claim holds before another may take the turn.
        lease: chrono::Duration,
    },
    /// Send `text` as the bot's reply.
    Reply {
        turn_id: uuid::Uuid,
        at: DateTime<Utc>,
        recipient: Recipient,
        /// `answer` or `attachment`.
        kind: String,
        text: String,
        details: crate::bot::events::TurnDetails,
    },
    /// Hand over: send the fallback phrase and switch the bot off here.
    Escalate {
        turn_id: uuid::Uuid,
        at: DateTime<Utc>,
        recipient: Recipient,
        reason: crate::bot::EscalationReason,
        fallback: String,
        would_have_replied: Option<String>,
        error: Option<String>,
        escalation_number: Option<String>,
        details: crate::bot::events::TurnDetails,
    },
    /// A voice note's words.
    Transcribed(crate::bot::events::MessageTranscribed),
}

/// A user's command on a conversation. `command_id` makes retries safe: the same id is recorded once,
/// and refused when it comes back with another action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationCommand {
    pub command_id: uuid::Uuid,
    pub at: DateTime<Utc>,
    pub action: ConversationAction,
    /// Whether `command_id` comes from the caller's idempotency key. Such a command is recorded even
    /// when it changes nothing, so the key stays bound to this action.
    pub keyed: bool,
}

/// What a command or send id was used for: a retry must ask for the same again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Command(ConversationAction),
    /// A fingerprint of the message asked for (its content and the message it replies to).
    Send(u64),
    /// A fingerprint of the team-work action asked for.
    Workflow(u64),
}

impl Request {
    fn of_workflow(action: &workflow::WorkflowAction) -> Request {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        action.hash(&mut hasher);
        Request::Workflow(hasher.finish())
    }

    fn of_send(message: &crate::graph::OutboundMessage) -> Request {
        use std::hash::{Hash, Hasher};
        // Only what the caller chose: the recipient is derived from the conversation.
        let asked =
            serde_json::to_string(&(&message.reply_to, &message.content)).unwrap_or_default();
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        asked.hash(&mut hasher);
        Request::Send(hasher.finish())
    }
}

impl ConversationFact {
    /// The id a command or send is recorded under, and what it asks for.
    fn request(&self) -> Option<(uuid::Uuid, Request)> {
        match self {
            ConversationFact::Command(c) => Some((c.command_id, Request::Command(c.action))),
            ConversationFact::Send(s) => Some((s.message_id, Request::of_send(&s.message))),
            ConversationFact::Workflow(c) => Some((c.command_id, Request::of_workflow(&c.action))),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationAction {
    MarkRead,
    Favourite(bool),
    Archive(bool),
    Bot(bool),
}

/// The state a conversation actor decides from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    /// Messages the customer sent, by wamid.
    inbound: HashSet<String>,
    /// Messages the business sent that we know of, by wamid.
    outbound: HashSet<String>,
    /// Reported statuses per wamid, including wamids not known yet.
    deliveries: HashMap<String, Delivery>,
    /// (wamid, status string) pairs recorded, including statuses we do not model.
    statuses_recorded: HashSet<(String, String)>,
    contact: Option<ContactProfile>,
    last_inbound_at: Option<DateTime<Utc>>,
    last_inbound_wamid: Option<String>,
    /// Standalone customer messages, and how many there were when the conversation was last read.
    standalone_inbound: usize,
    standalone_inbound_at_read: usize,
    favourite: bool,
    archived: bool,
    bot_disabled: bool,
    /// Queued messages not yet sent or failed, by our message id.
    outgoing: HashMap<uuid::Uuid, Outgoing>,
    /// Queued messages that are finished (sent or failed).
    finished: HashSet<uuid::Uuid>,
    /// Messages whose media file was stored or failed for good.
    media_done: HashSet<String>,
    /// Every command and send recorded, by id, with what it asked for.
    requests: HashMap<uuid::Uuid, Request>,
    bot: BotState,
    /// Messages whose watches a model has read (each is read once).
    model_read: HashSet<String>,
    workflow: workflow::Workflow,
}

/// What the conversation remembers of the bot's turns.
#[derive(Debug, Clone, Default, PartialEq)]
struct BotState {
    /// The customer's latest message the bot could answer (not a reaction, an edit or a notice).
    latest: Option<String>,
    /// The latest customer message a finished turn covered.
    answered_through: Option<String>,
    /// The open turn: its id, and when it was claimed.
    claim: Option<(uuid::Uuid, DateTime<Utc>)>,
    /// When the bot replied, latest last (the reply limit looks at the recent ones).
    replies: Vec<DateTime<Utc>>,
    /// Voice notes already transcribed.
    transcribed: HashSet<String>,
}

/// How many reply times are kept: more than any reply limit looks at.
const REPLIES_KEPT: usize = 64;

impl Conversation {
    /// Whether a message (either direction) has been recorded.
    pub fn knows_message(&self, wamid: &str) -> bool {
        self.inbound.contains(wamid) || self.outbound.contains(wamid)
    }

    /// Whether a message is recorded, by its wamid or, for one sent from the inbox, the inbox's id.
    fn knows_any_message(&self, id: &str) -> bool {
        self.knows_message(id)
            || uuid::Uuid::parse_str(id)
                .is_ok_and(|id| self.outgoing.contains_key(&id) || self.finished.contains(&id))
    }

    /// The delivery state of a known outbound message. Statuses of messages not known yet are held
    /// back until the message is known.
    pub fn delivery(&self, wamid: &str) -> Option<&Delivery> {
        if self.outbound.contains(wamid) {
            self.deliveries.get(wamid)
        } else {
            None
        }
    }

    /// The current status of a known outbound message.
    pub fn status_of(&self, wamid: &str) -> Option<DeliveryStatus> {
        self.delivery(wamid).and_then(Delivery::current)
    }

    /// How many messages have statuses but are not known yet.
    pub fn messages_awaiting_statuses(&self) -> usize {
        self.deliveries
            .keys()
            .filter(|w| !self.outbound.contains(*w))
            .count()
    }

    pub fn contact(&self) -> Option<&ContactProfile> {
        self.contact.as_ref()
    }

    pub fn inbound_count(&self) -> usize {
        self.inbound.len()
    }

    /// When the customer last wrote: the 24-hour reply window runs from here.
    pub fn last_inbound_at(&self) -> Option<DateTime<Utc>> {
        self.last_inbound_at
    }

    pub fn has_unread(&self) -> bool {
        self.standalone_inbound > self.standalone_inbound_at_read
    }

    pub fn is_favourite(&self) -> bool {
        self.favourite
    }

    /// Archived until archived is switched off, or the customer writes again.
    pub fn is_archived(&self) -> bool {
        self.archived
    }

    /// The bot answers by default, until someone switches it off.
    pub fn bot_enabled(&self) -> bool {
        !self.bot_disabled
    }

    /// The customer message a bot turn would answer now, if there is one the bot has not answered.
    pub fn bot_question(&self) -> Option<&str> {
        let latest = self.bot.latest.as_deref()?;
        (self.bot.answered_through.as_deref() != Some(latest)).then_some(latest)
    }

    /// The open turn's id, if a turn is claimed and not finished.
    pub fn bot_turn(&self) -> Option<uuid::Uuid> {
        self.bot.claim.map(|(id, _)| id)
    }

    /// When the bot replied here (the latest ones).
    pub fn bot_replies(&self) -> &[DateTime<Utc>] {
        &self.bot.replies
    }

    /// Whether a voice note already has its transcript.
    pub fn is_transcribed(&self, wamid: &str) -> bool {
        self.bot.transcribed.contains(wamid)
    }

    fn decide_bot(&self, fact: &BotFact) -> Vec<ConversationEvent> {
        use crate::bot::events::{self as bot_events, BotEscalated, BotReplied, BotTurnClaimed};
        let open = |turn_id: &uuid::Uuid| self.bot.claim.is_some_and(|(id, _)| id == *turn_id);
        let through = || self.bot.latest.clone().unwrap_or_default();
        let queue =
            |turn_id: uuid::Uuid, what: &str, at: DateTime<Utc>, r: &Recipient, text: &str| {
                MessageQueued {
                    message_id: bot_events::message_id(turn_id, what),
                    at,
                    message: crate::graph::OutboundMessage {
                        to: r.to.clone(),
                        group: r.group,
                        reply_to: None,
                        content: crate::graph::OutboundContent::Text(
                            crate::graph::messages::TextMessage {
                                body: text.to_owned(),
                                preview_url: false,
                            },
                        ),
                        callback_data: None,
                        template_text: None,
                    },
                    by: None,
                    away_for: None,
                }
            };
        match fact {
            BotFact::Claim { turn_id, at, lease } => {
                let live = self
                    .bot
                    .claim
                    .is_some_and(|(_, since)| *at - since < *lease);
                if !self.bot_enabled() || live || self.bot_question().is_none() {
                    return vec![];
                }
                vec![ConversationEvent::BotTurnClaimed(BotTurnClaimed {
                    turn_id: *turn_id,
                    through: through(),
                    at: *at,
                })]
            }
            BotFact::Reply {
                turn_id,
                at,
                recipient,
                kind,
                text,
                details,
            } if open(turn_id) => {
                let reply = queue(*turn_id, "reply", *at, recipient, text);
                let mut events = vec![ConversationEvent::BotReplied(BotReplied {
                    turn_id: *turn_id,
                    through: through(),
                    message_id: reply.message_id,
                    kind: kind.clone(),
                    details: details.clone(),
                    at: *at,
                })];
                let responded = self.workflow.on_business_message(
                    &reply.message_id.to_string(),
                    *at,
                    None,
                    "bot",
                );
                events.extend(with_watch(ConversationEvent::MessageQueued(reply)));
                events.extend(responded.map(ConversationEvent::Responded));
                events
            }
            BotFact::Escalate {
                turn_id,
                at,
                recipient,
                reason,
                fallback,
                would_have_replied,
                error,
                escalation_number,
                details,
            } if open(turn_id) => {
                let fallback = (self.window_open(*at))
                    .then(|| queue(*turn_id, "fallback", *at, recipient, fallback));
                let mut events = vec![ConversationEvent::BotEscalated(BotEscalated {
                    turn_id: *turn_id,
                    through: through(),
                    message_id: fallback.as_ref().map(|f| f.message_id),
                    reason: *reason,
                    would_have_replied: would_have_replied.clone(),
                    error: error.clone(),
                    escalation_number: escalation_number.clone(),
                    details: details.clone(),
                    at: *at,
                })];
                events.extend(fallback.map(ConversationEvent::MessageQueued));
                events.push(ConversationEvent::BotSet(SettingChanged {
                    command_id: bot_events::message_id(*turn_id, "off"),
                    at: *at,
                    value: false,
                    reason: Some("escalated".to_owned()),
                }));
                events
            }
            BotFact::Transcribed(t)
                if self.inbound.contains(&t.message_id) && !self.is_transcribed(&t.message_id) =>
            {
                vec![ConversationEvent::MessageTranscribed(t.clone())]
            }
            _ => vec![],
        }
    }

    /// The away message, when the customer wrote during the closed period `period` names and none was
    /// sent for it yet, inside the 24-hour window, and not where the bot keeps answering (on for this
    /// conversation and for the number). Its id derives from the command's, which the worker derives
    /// from the conversation and the period, so a retry queues nothing twice.
    fn decide_away(&self, c: &workflow::WorkflowCommand) -> Vec<ConversationEvent> {
        let workflow::WorkflowAction::Away {
            period,
            text,
            to,
            number_bot_on,
        } = &c.action
        else {
            return vec![];
        };
        let bot_answers = *number_bot_on && self.bot_enabled();
        if text.trim().is_empty()
            || bot_answers
            || !self.window_open(c.at)
            || !self.workflow.away_due(*period, self.last_inbound_at)
        {
            return vec![];
        }
        with_watch(ConversationEvent::MessageQueued(MessageQueued {
            message_id: uuid::Uuid::new_v5(&c.command_id, b"away"),
            at: c.at,
            message: crate::graph::OutboundMessage {
                to: to.clone(),
                group: false,
                reply_to: None,
                content: crate::graph::OutboundContent::Text(crate::graph::messages::TextMessage {
                    body: text.clone(),
                    preview_url: false,
                }),
                callback_data: None,
                template_text: None,
            },
            by: None,
            away_for: Some(*period),
        }))
    }

    /// A person wrote (from the inbox or the WhatsApp Business app): the bot stops here until someone
    /// switches it back on.
    fn hand_over(&self, message: &str, at: DateTime<Utc>) -> Option<ConversationEvent> {
        self.bot_enabled().then(|| {
            ConversationEvent::BotSet(SettingChanged {
                command_id: uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, message.as_bytes()),
                at,
                value: false,
                reason: Some("agent_replied".to_owned()),
            })
        })
    }

    /// A queued message that is not finished yet.
    pub fn outgoing(&self, message_id: &uuid::Uuid) -> Option<&Outgoing> {
        self.outgoing.get(message_id)
    }

    /// Messages queued and not yet sent or failed.
    pub fn pending(&self) -> impl Iterator<Item = (&uuid::Uuid, &Outgoing)> {
        self.outgoing.iter()
    }

    /// Whether a queued message was sent or failed for good.
    pub fn is_finished(&self, message_id: &uuid::Uuid) -> bool {
        self.finished.contains(message_id)
    }

    /// The customer's latest message (the one a read receipt names).
    pub fn last_inbound_wamid(&self) -> Option<&str> {
        self.last_inbound_wamid.as_deref()
    }

    /// Whether a message's media file was stored (or failed for good).
    pub fn media_done(&self, wamid: &str) -> bool {
        self.media_done.contains(wamid)
    }

    /// Whether free-form messages may be sent at `at`.
    pub fn window_open(&self, at: DateTime<Utc>) -> bool {
        ServiceWindow::after(self.last_inbound_at).is_some_and(|w| w.is_open_at(at))
    }

    fn refuse_send(&self, send: &SendCommand) -> Option<SendRefusal> {
        if self.outgoing.contains_key(&send.message_id) || self.finished.contains(&send.message_id)
        {
            // A retried command: recorded once, never refused after the fact.
            return None;
        }
        if let Err(reason) = send.message.content.validate() {
            return Some(SendRefusal::Invalid(reason));
        }
        if send.message.content.needs_open_window() && !self.window_open(send.at) {
            return Some(SendRefusal::WindowClosed {
                last_inbound_at: self.last_inbound_at,
            });
        }
        let named = match &send.message.content {
            crate::graph::OutboundContent::Reaction(r) => Some(&r.message_id),
            _ => None,
        };
        named
            .into_iter()
            .chain(send.message.reply_to.as_ref())
            .find(|wamid| !self.knows_message(wamid))
            .map(|wamid| SendRefusal::UnknownMessage(wamid.clone()))
    }

    fn decide_delivery(&self, fact: &DeliveryFact) -> Option<ConversationEvent> {
        match fact {
            DeliveryFact::Attempt {
                message_id,
                at,
                lease,
            } => {
                let pending = self.outgoing.get(message_id)?;
                let claimed = pending
                    .in_flight_since
                    .is_some_and(|since| *at - since < *lease);
                let too_early = pending.retry_at.is_some_and(|retry| *at < retry);
                (!claimed && !too_early).then(|| {
                    ConversationEvent::SendAttempted(SendAttempted {
                        message_id: *message_id,
                        attempt: pending.attempts + 1,
                        at: *at,
                    })
                })
            }
            DeliveryFact::Sent(sent) => self
                .outgoing
                .contains_key(&sent.message_id)
                .then(|| ConversationEvent::MessageSent(sent.clone())),
            DeliveryFact::AttemptFailed(failed) => self
                .outgoing
                .get(&failed.message_id)
                .filter(|pending| pending.attempts == failed.attempt)
                .map(|_| ConversationEvent::AttemptFailed(failed.clone())),
            DeliveryFact::Failed(failed) => self
                .outgoing
                .contains_key(&failed.message_id)
                .then(|| ConversationEvent::SendFailed(failed.clone())),
        }
    }

    fn decide_command(&self, command: &ConversationCommand) -> Option<ConversationEvent> {
        if self.requests.contains_key(&command.command_id) {
            // A retry: recorded once.
            return None;
        }
        let setting = |value| SettingChanged {
            command_id: command.command_id,
            at: command.at,
            value,
            reason: None,
        };
        let changes = match command.action {
            ConversationAction::MarkRead => self.has_unread(),
            ConversationAction::Favourite(on) => on != self.favourite,
            ConversationAction::Archive(on) => on != self.archived,
            ConversationAction::Bot(on) => on != self.bot_enabled(),
        };
        (changes || command.keyed).then(|| match command.action {
            ConversationAction::MarkRead => ConversationEvent::ReadMarked(ReadMarked {
                command_id: command.command_id,
                at: command.at,
                through: self.last_inbound_wamid.clone(),
            }),
            ConversationAction::Favourite(on) => ConversationEvent::FavouriteSet(setting(on)),
            ConversationAction::Archive(on) => ConversationEvent::ArchivedSet(setting(on)),
            ConversationAction::Bot(on) => ConversationEvent::BotSet(setting(on)),
        })
    }

    /// A command or send under an id already used for something else: an idempotency key reused for
    /// another request.
    /// Folds a team-work event, remembering the command that decided it.
    fn workflow_applied(&mut self, event: workflow::WorkflowEvent) {
        if let Some((id, action)) = event.command() {
            self.requests.insert(id, Request::of_workflow(&action));
        }
        self.workflow.apply(&event);
    }

    fn refuse_reuse(&self, fact: &ConversationFact) -> Option<Refusal> {
        let (id, asked) = fact.request()?;
        let recorded = self.requests.get(&id)?;
        (*recorded != asked).then(|| {
            Refusal::new(
                RefusalCode::IdempotencyKeyReused,
                "this Idempotency-Key was already used for another request on this conversation; \
                 use a new key for a new request",
            )
        })
    }

    fn merged_profile(&self, seen: &ContactProfile) -> Option<ContactProfile> {
        let old = self.contact.clone().unwrap_or_default();
        let merged = ContactProfile {
            wa_id: seen.wa_id.clone().or(old.wa_id.clone()),
            user_id: seen.user_id.clone().or(old.user_id.clone()),
            parent_user_id: seen.parent_user_id.clone().or(old.parent_user_id.clone()),
            name: seen.name.clone().or(old.name.clone()),
            username: seen.username.clone().or(old.username.clone()),
        };
        (self.contact.as_ref() != Some(&merged)).then_some(merged)
    }
}

/// A message's event, and the `watch.detected` the extractor reads in its text, appended together.
fn with_watch(message: ConversationEvent) -> Vec<ConversationEvent> {
    let watch = watch_detected(&message);
    [message].into_iter().chain(watch).collect()
}

/// The words of a message event (received, echoed or queued): who wrote them, when, in which message,
/// and of what kind. An edit's words belong to the message it edits (`via` names the edit). `None` for
/// other events and for messages without words (reactions, stickers, locations, templates).
#[derive(Debug, Clone, PartialEq)]
pub struct Said<'a> {
    pub message_id: String,
    /// The edit that carried these words, when they replace a message's earlier ones.
    pub via: Option<String>,
    /// `inbound` (the customer) or `outbound` (the business).
    pub direction: &'static str,
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// Meta's message type (`text`, `image`, ...) or, for a queued message, the inbox's kind.
    pub kind: &'a str,
    pub text: &'a str,
}

/// See [`Said`].
pub fn said(message: &ConversationEvent) -> Option<Said<'_>> {
    Some(match message {
        ConversationEvent::MessageReceived(m) => {
            let (message_id, via) = match &m.content {
                message::MessageContent::Edit {
                    original_message_id,
                    ..
                } => (original_message_id.clone(), Some(m.wamid.clone())),
                _ => (m.wamid.clone(), None),
            };
            Said {
                message_id,
                via,
                direction: "inbound",
                at: m.timestamp,
                kind: &m.kind,
                text: m.content.text()?,
            }
        }
        ConversationEvent::MessageEchoed(m) => Said {
            message_id: m.wamid.clone(),
            via: None,
            direction: "outbound",
            at: m.timestamp,
            kind: &m.kind,
            text: m.content.text()?,
        },
        ConversationEvent::MessageQueued(q) => Said {
            message_id: q.message_id.to_string(),
            via: None,
            direction: "outbound",
            at: Some(q.at),
            kind: q.message.content.kind(),
            text: q.message.content.text()?,
        },
        _ => return None,
    })
}

/// What the current watch-listing extractor reads in the text of a message event (received, echoed or
/// queued), as an event when it found a listing or a message that offers, seeks, asks or trades. `None`
/// for other events, messages without text, chatter, and results that JSON cannot hold (a non-finite
/// number), which are dropped rather than recorded half. `inbox listings redetect` runs it over the log.
pub fn watch_detected(message: &ConversationEvent) -> Option<ConversationEvent> {
    let Said {
        message_id,
        via,
        direction,
        at,
        text,
        ..
    } = said(message)?;
    let extraction = crate::listings::extract(text);
    if !extraction.is_worth_recording() || !extraction.is_finite() {
        return None;
    }
    Some(ConversationEvent::WatchDetected(WatchDetected {
        message_id,
        via,
        direction: direction.to_owned(),
        at,
        extractor_version: crate::listings::EXTRACTOR_VERSION,
        extraction,
        method: crate::listings::ReadingMethod::Rules,
        model: None,
    }))
}

impl Aggregate for Conversation {
    type Fact = ConversationFact;
    type Event = ConversationEvent;

    fn decide(&self, fact: &ConversationFact) -> Vec<ConversationEvent> {
        let event = match fact {
            ConversationFact::Message(m) if !self.knows_message(&m.wamid) => {
                let mut events = with_watch(ConversationEvent::MessageReceived(m.clone()));
                if m.content.is_standalone() {
                    let at = m.timestamp.unwrap_or_else(Utc::now);
                    events.extend(
                        self.workflow
                            .on_customer_message(&m.wamid, at)
                            .map(ConversationEvent::StatusChanged),
                    );
                }
                return events;
            }
            ConversationFact::Echo(m) if !self.knows_message(&m.wamid) => {
                let at = m.timestamp.unwrap_or_else(Utc::now);
                let mut events = with_watch(ConversationEvent::MessageEchoed(m.clone()));
                events.extend(self.hand_over(&m.wamid, at));
                events.extend(
                    self.workflow
                        .on_business_message(&m.wamid, at, None, "app")
                        .map(ConversationEvent::Responded),
                );
                return events;
            }
            ConversationFact::Status(s)
                if !self
                    .statuses_recorded
                    .contains(&(s.wamid.clone(), s.status.clone())) =>
            {
                Some(ConversationEvent::MessageStatusChanged(s.clone()))
            }
            ConversationFact::Contact(c) => self
                .merged_profile(c)
                .map(ConversationEvent::ContactProfileSeen),
            ConversationFact::Command(c) => self.decide_command(c),
            ConversationFact::Send(send)
                if !self.outgoing.contains_key(&send.message_id)
                    && !self.finished.contains(&send.message_id) =>
            {
                let mut events = with_watch(ConversationEvent::MessageQueued(MessageQueued {
                    message_id: send.message_id,
                    at: send.at,
                    message: send.message.clone(),
                    by: send.by.clone(),
                    away_for: None,
                }));
                events.extend(self.hand_over(&send.message_id.to_string(), send.at));
                // A person's answer ends the customer's wait; the inbox's own messages (an away message, a
                // summary) do not.
                if send.by.is_some() {
                    events.extend(
                        self.workflow
                            .on_business_message(
                                &send.message_id.to_string(),
                                send.at,
                                send.by.clone(),
                                "agent",
                            )
                            .map(ConversationEvent::Responded),
                    );
                }
                return events;
            }
            ConversationFact::Bot(b) => return self.decide_bot(b),
            ConversationFact::ModelReading(w)
                if w.method == crate::listings::ReadingMethod::Llm
                    && w.extraction.is_finite()
                    && self.knows_any_message(&w.message_id)
                    && !self.model_read.contains(&w.message_id) =>
            {
                Some(ConversationEvent::WatchDetected(w.clone()))
            }
            ConversationFact::Workflow(
                c @ workflow::WorkflowCommand {
                    action: workflow::WorkflowAction::Away { .. },
                    ..
                },
            ) => return self.decide_away(c),
            ConversationFact::Workflow(c) => {
                return self
                    .workflow
                    .decide(c)
                    .map(ConversationEvent::from)
                    .into_iter()
                    .collect();
            }
            ConversationFact::Delivery(d) => self.decide_delivery(d),
            ConversationFact::Media(m)
                if self.knows_message(m.wamid()) && !self.media_done.contains(m.wamid()) =>
            {
                Some(match m {
                    outbound::MediaFact::Stored(s) => ConversationEvent::MediaStored(s.clone()),
                    outbound::MediaFact::Failed(f) => ConversationEvent::MediaFailed(f.clone()),
                })
            }
            _ => None,
        };
        event.into_iter().collect()
    }

    fn apply(&mut self, event: &ConversationEvent) {
        match event {
            ConversationEvent::MessageReceived(m) => {
                self.inbound.insert(m.wamid.clone());
                if let Some(at) = m.timestamp {
                    if self.last_inbound_at.is_none_or(|prev| at >= prev) {
                        self.last_inbound_at = Some(at);
                        self.last_inbound_wamid = Some(m.wamid.clone());
                    }
                }
                if m.content.is_standalone() {
                    self.standalone_inbound += 1;
                    self.archived = false;
                }
                if crate::bot::read(&m.content) != crate::bot::Reading::Nothing {
                    self.bot.latest = Some(m.wamid.clone());
                }
                if let (true, Some(at)) = (m.content.is_standalone(), m.timestamp) {
                    self.workflow.customer_wrote(at);
                }
            }
            ConversationEvent::MessageEchoed(m) => {
                self.outbound.insert(m.wamid.clone());
            }
            ConversationEvent::MessageStatusChanged(s) => {
                self.statuses_recorded
                    .insert((s.wamid.clone(), s.status.clone()));
                if let Some(status) = s.delivery_status() {
                    self.deliveries.entry(s.wamid.clone()).or_default().record(
                        status,
                        s.timestamp,
                        &s.errors,
                    );
                }
            }
            ConversationEvent::ContactProfileSeen(c) => self.contact = Some(c.clone()),
            ConversationEvent::ReadMarked(r) => {
                self.standalone_inbound_at_read = self.standalone_inbound;
                self.requests
                    .insert(r.command_id, Request::Command(ConversationAction::MarkRead));
            }
            ConversationEvent::FavouriteSet(c) => {
                self.favourite = c.value;
                self.requests.insert(
                    c.command_id,
                    Request::Command(ConversationAction::Favourite(c.value)),
                );
            }
            ConversationEvent::ArchivedSet(c) => {
                self.archived = c.value;
                self.requests.insert(
                    c.command_id,
                    Request::Command(ConversationAction::Archive(c.value)),
                );
            }
            ConversationEvent::BotSet(c) => {
                self.bot_disabled = !c.value;
                self.requests.insert(
                    c.command_id,
                    Request::Command(ConversationAction::Bot(c.value)),
                );
            }
            ConversationEvent::MessageQueued(q) => {
                if let Some(period) = q.away_for {
                    self.workflow.away_sent(period);
                }
                self.requests
                    .insert(q.message_id, Request::of_send(&q.message));
                self.outgoing.insert(
                    q.message_id,
                    Outgoing {
                        message: q.message.clone(),
                        queued_at: q.at,
                        attempts: 0,
                        in_flight_since: None,
                        retry_at: None,
                    },
                );
            }
            ConversationEvent::SendAttempted(a) => {
                if let Some(pending) = self.outgoing.get_mut(&a.message_id) {
                    pending.attempts = pending.attempts.max(a.attempt);
                    pending.in_flight_since = Some(a.at);
                }
            }
            ConversationEvent::AttemptFailed(f) => {
                if let Some(pending) = self.outgoing.get_mut(&f.message_id) {
                    pending.in_flight_since = None;
                    pending.retry_at = Some(f.retry_at);
                }
            }
            ConversationEvent::MessageSent(MessageSent {
                message_id, wamid, ..
            }) => {
                self.outgoing.remove(message_id);
                self.finished.insert(*message_id);
                self.outbound.insert(wamid.clone());
            }
            ConversationEvent::SendFailed(SendFailed { message_id, .. }) => {
                self.outgoing.remove(message_id);
                self.finished.insert(*message_id);
            }
            ConversationEvent::MediaStored(m) => {
                self.media_done.insert(m.wamid.clone());
            }
            ConversationEvent::MediaFailed(m) => {
                self.media_done.insert(m.wamid.clone());
            }
            // Read by the listings projection; the conversation remembers only which a model read.
            ConversationEvent::WatchDetected(w) => {
                if w.method == crate::listings::ReadingMethod::Llm {
                    self.model_read.insert(w.message_id.clone());
                }
            }
            ConversationEvent::BotTurnClaimed(t) => self.bot.claim = Some((t.turn_id, t.at)),
            ConversationEvent::BotReplied(r) => {
                self.bot.claim = None;
                self.bot.answered_through = Some(r.through.clone());
                self.bot.replies.push(r.at);
                if self.bot.replies.len() > REPLIES_KEPT {
                    self.bot.replies.remove(0);
                }
            }
            ConversationEvent::BotEscalated(e) => {
                self.bot.claim = None;
                self.bot.answered_through = Some(e.through.clone());
            }
            ConversationEvent::MessageTranscribed(t) => {
                self.bot.transcribed.insert(t.message_id.clone());
            }
            ConversationEvent::StatusChanged(s) => {
                self.workflow_applied(workflow::WorkflowEvent::StatusChanged(s.clone()))
            }
            ConversationEvent::Assigned(a) => {
                self.workflow_applied(workflow::WorkflowEvent::Assigned(a.clone()))
            }
            ConversationEvent::LabelSet(l) => {
                self.workflow_applied(workflow::WorkflowEvent::LabelSet(l.clone()))
            }
            ConversationEvent::NoteAdded(n) => {
                self.workflow_applied(workflow::WorkflowEvent::NoteAdded(n.clone()))
            }
            ConversationEvent::Responded(_) => self.workflow.responded(),
        }
    }

    fn check(&self, fact: &ConversationFact) -> Result<(), Refusal> {
        if let Some(refusal) = self.refuse_reuse(fact) {
            return Err(refusal);
        }
        if let ConversationFact::Workflow(c) = fact {
            return self.workflow.check(c).map_err(|r| {
                let code = match r {
                    workflow::WorkflowRefusal::SnoozeInPast
                    | workflow::WorkflowRefusal::TimeWithoutSnooze => RefusalCode::InvalidSnooze,
                    workflow::WorkflowRefusal::BadNote => RefusalCode::InvalidNote,
                    workflow::WorkflowRefusal::TooManyLabels => RefusalCode::TooManyLabels,
                };
                Refusal::new(code, r.to_string())
            });
        }
        let ConversationFact::Send(send) = fact else {
            return Ok(());
        };
        match self.refuse_send(send) {
            None => Ok(()),
            Some(refusal) => Err(Refusal::new(
                match refusal {
                    SendRefusal::WindowClosed { .. } => RefusalCode::WindowClosed,
                    SendRefusal::UnknownMessage(_) => RefusalCode::UnknownMessage,
                    SendRefusal::Invalid(_) => RefusalCode::InvalidMessage,
                },
                refusal.to_string(),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
