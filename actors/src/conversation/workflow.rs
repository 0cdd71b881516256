//! Team work on a conversation: its status (open, pending, snoozed, resolved), who it is assigned to,
//! its labels, the private notes agents leave, and the figures reports need (how long a customer waited
//! for an answer, how long a conversation stayed open), decided here and carried on the events so a
//! report only counts.
//!
//! - A customer's message reopens a resolved or snoozed conversation (`reason: customer_wrote`).
//! - A snooze ends at its time (the worker records `Wake`) or at the customer's next message.
//! - A business reply to a waiting customer records `conversation.responded`: the wait, whether it is the
//!   first answer since the conversation (re)opened, and who answered (a person, or the bot).
//! - The away message is sent once per closed period (the period is named by when it began).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use uuid::Uuid;

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;
/// The most labels on one conversation.
pub const MAX_LABELS: usize = 50;

crate::text_enum! {
    /// Where a conversation stands.
    #[derive(Default)]
    pub enum ConversationStatus {
        /// Someone has to act.
        #[default]
        Open = "open",
        /// Waiting on something else (the customer, a colleague, a supplier).
        Pending = "pending",
        /// Put aside until a time, or until the customer writes.
        Snoozed = "snoozed",
        /// Done; the customer's next message reopens it.
        Resolved = "resolved",
    }
}

/// The status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChanged {
    pub command_id: Uuid,
    pub at: DateTime<Utc>,
    pub status: ConversationStatus,
    /// Snoozed until then; `None` for a snooze until the customer writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// The user who changed it; `None` for the inbox's own changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Why, when it was not a person's choice: `customer_wrote`, `snooze_ended`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// On resolving: how long the conversation was open, in seconds, since it (re)opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_secs: Option<i64>,
}

/// The conversation's assignee changed (either may be `None`: unassigned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assigned {
    pub command_id: Uuid,
    pub at: DateTime<Utc>,
    /// The agent (a user id).
    pub agent: Option<String>,
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// `round_robin` for an automatic assignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A label applied to the conversation or removed from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSet {
    pub command_id: Uuid,
    pub at: DateTime<Utc>,
    pub label: String,
    pub applied: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// A private note: seen by the team in the timeline, never sent to WhatsApp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteAdded {
    pub note_id: Uuid,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
    pub text: String,
    /// Users the note names (`@`), who are notified.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
}

/// The business answered a customer who was waiting: what response-time reports count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Responded {
    /// The answering message (the inbox's id, or the wamid of an echo).
    pub message_id: String,
    pub at: DateTime<Utc>,
    /// The customer's first unanswered message.
    pub waiting_since: DateTime<Utc>,
    pub waited_secs: i64,
    /// The first answer since the conversation opened or reopened.
    pub first: bool,
    /// The user who answered; `None` for the bot or the WhatsApp Business app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Who answered: `agent`, `bot`, or `app` (the WhatsApp Business app).
    pub responder: String,
}

/// What a user (or a worker) asks of a conversation's team work.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WorkflowAction {
    /// Open, pending, resolved, or snoozed until a time (`None`: until the customer writes).
    Status {
        status: ConversationStatus,
        snoozed_until: Option<DateTime<Utc>>,
    },
    /// Assign to an agent and/or a team (`None`, `None`: unassign). `auto`: by round robin.
    Assign {
        agent: Option<String>,
        team: Option<String>,
        auto: bool,
    },
    Label {
        label: String,
        applied: bool,
    },
    Note {
        text: String,
        mentions: Vec<String>,
    },
    /// A snooze's time came.
    Wake,
    /// The customer wrote while the number is closed: answer with the away message, once for the closed
    /// period that began at `period`, and only inside the 24-hour window. Decided by the conversation
    /// (see `Conversation::decide_away`), which queues the message as the inbox's own (`by: None`).
    Away {
        /// When the closed period began (its name: one away message each).
        period: DateTime<Utc>,
        /// The number's away message.
        text: String,
        /// The customer's WhatsApp id the message goes to.
        to: String,
        /// Whether the number's bot is on: then, where the bot still answers, it keeps answering and no
        /// away message is sent.
        number_bot_on: bool,
    },
}

/// A team-work command: `command_id` makes a retry record nothing twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowCommand {
    pub command_id: Uuid,
    pub at: DateTime<Utc>,
    /// The user asking; `None` for a worker.
    pub by: Option<String>,
    pub action: WorkflowAction,
}

/// Why a team-work command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowRefusal {
    #[error("a snooze needs a time in the future, or none (until the customer writes)")]
    SnoozeInPast,
    #[error("only a snooze has a time")]
    TimeWithoutSnooze,
    #[error("a note needs text, at most {MAX_NOTE_CHARS} characters")]
    BadNote,
    #[error("a conversation holds at most {MAX_LABELS} labels")]
    TooManyLabels,
}

/// What the conversation remembers of its team work.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workflow {
    pub status: ConversationStatus,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub agent: Option<String>,
    pub team: Option<String>,
    pub labels: BTreeSet<String>,
    notes: HashSet<Uuid>,
    /// When the current open period began (the first customer message, or the reopening).
    opened_at: Option<DateTime<Utc>>,
    /// The customer's first message not answered yet.
    waiting_since: Option<DateTime<Utc>>,
    /// Whether the current open period has had its first answer.
    answered_in_period: bool,
    /// The closed period (by when it began) whose away message was sent.
    pub away_sent_for: Option<DateTime<Utc>>,
}

/// The events of team work, before they become conversation events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowEvent {
    StatusChanged(StatusChanged),
    Assigned(Assigned),
    LabelSet(LabelSet),
    NoteAdded(NoteAdded),
}

impl WorkflowEvent {
    /// The command that decided it (its id and action), so a retry is told from an id used for another
    /// action; `None` for the inbox's own changes (a reopening, a snooze's end).
    pub fn command(&self) -> Option<(Uuid, WorkflowAction)> {
        match self {
            WorkflowEvent::StatusChanged(s) if s.reason.is_none() => Some((
                s.command_id,
                WorkflowAction::Status {
                    status: s.status,
                    snoozed_until: s.snoozed_until,
                },
            )),
            WorkflowEvent::StatusChanged(_) => None,
            WorkflowEvent::Assigned(a) => Some((
                a.command_id,
                WorkflowAction::Assign {
                    agent: a.agent.clone(),
                    team: a.team.clone(),
                    auto: a.reason.as_deref() == Some("round_robin"),
                },
            )),
            WorkflowEvent::LabelSet(l) => Some((
                l.command_id,
                WorkflowAction::Label {
                    label: l.label.clone(),
                    applied: l.applied,
                },
            )),
            WorkflowEvent::NoteAdded(n) => Some((
                n.note_id,
                WorkflowAction::Note {
                    text: n.text.clone(),
                    mentions: n.mentions.clone(),
                },
            )),
        }
    }
}

impl From<WorkflowEvent> for super::events::ConversationEvent {
    fn from(e: WorkflowEvent) -> Self {
        use super::events::ConversationEvent as E;
        match e {
            WorkflowEvent::StatusChanged(s) => E::StatusChanged(s),
            WorkflowEvent::Assigned(a) => E::Assigned(a),
            WorkflowEvent::LabelSet(l) => E::LabelSet(l),
            WorkflowEvent::NoteAdded(n) => E::NoteAdded(n),
        }
    }
}

impl Workflow {
    /// Whether a command can be recorded at all.
    pub fn check(&self, c: &WorkflowCommand) -> Result<(), WorkflowRefusal> {
        match &c.action {
            WorkflowAction::Status {
                status,
                snoozed_until,
            } => match (status, snoozed_until) {
                (ConversationStatus::Snoozed, Some(until)) if *until <= c.at => {
                    Err(WorkflowRefusal::SnoozeInPast)
                }
                (ConversationStatus::Snoozed, _) | (_, None) => Ok(()),
                (_, Some(_)) => Err(WorkflowRefusal::TimeWithoutSnooze),
            },
            WorkflowAction::Note { text, .. }
                if text.trim().is_empty() || text.chars().count() > MAX_NOTE_CHARS =>
            {
                Err(WorkflowRefusal::BadNote)
            }
            WorkflowAction::Label {
                label,
                applied: true,
            } if !self.labels.contains(label) && self.labels.len() >= MAX_LABELS => {
                Err(WorkflowRefusal::TooManyLabels)
            }
            _ => Ok(()),
        }
    }

    /// What a command changes; nothing when it changes nothing (a status it already has, a label it
    /// already holds, a snooze that already ended).
    pub fn decide(&self, c: &WorkflowCommand) -> Option<WorkflowEvent> {
        let by = c.by.clone();
        match &c.action {
            WorkflowAction::Status {
                status,
                snoozed_until,
            } => {
                if *status == self.status && *snoozed_until == self.snoozed_until {
                    return None;
                }
                Some(WorkflowEvent::StatusChanged(StatusChanged {
                    command_id: c.command_id,
                    at: c.at,
                    status: *status,
                    snoozed_until: *snoozed_until,
                    by,
                    reason: None,
                    open_secs: self.open_secs(*status, c.at),
                }))
            }
            WorkflowAction::Wake => {
                let due = self.status == ConversationStatus::Snoozed
                    && self.snoozed_until.is_some_and(|until| until <= c.at);
                due.then(|| {
                    WorkflowEvent::StatusChanged(StatusChanged {
                        command_id: c.command_id,
                        at: c.at,
                        status: ConversationStatus::Open,
                        snoozed_until: None,
                        by: None,
                        reason: Some("snooze_ended".to_owned()),
                        open_secs: None,
                    })
                })
            }
            WorkflowAction::Assign { agent, team, auto } => {
                // An automatic assignment only fills an empty seat: a person's choice made meanwhile holds.
                if (*auto && self.agent.is_some()) || (*agent == self.agent && *team == self.team) {
                    return None;
                }
                Some(WorkflowEvent::Assigned(Assigned {
                    command_id: c.command_id,
                    at: c.at,
                    agent: agent.clone(),
                    team: team.clone(),
                    by,
                    reason: auto.then(|| "round_robin".to_owned()),
                }))
            }
            WorkflowAction::Label { label, applied } => (self.labels.contains(label) != *applied)
                .then(|| {
                    WorkflowEvent::LabelSet(LabelSet {
                        command_id: c.command_id,
                        at: c.at,
                        label: label.clone(),
                        applied: *applied,
                        by,
                    })
                }),
            // Needs the conversation's window and bot: decided by the conversation itself.
            WorkflowAction::Away { .. } => None,
            WorkflowAction::Note { text, mentions } => {
                (!self.notes.contains(&c.command_id)).then(|| {
                    WorkflowEvent::NoteAdded(NoteAdded {
                        note_id: c.command_id,
                        at: c.at,
                        by,
                        text: text.clone(),
                        mentions: mentions.clone(),
                    })
                })
            }
        }
    }

    /// How long the conversation was open, when `status` resolves it.
    fn open_secs(&self, status: ConversationStatus, at: DateTime<Utc>) -> Option<i64> {
        (status == ConversationStatus::Resolved && self.status != ConversationStatus::Resolved)
            .then(|| {
                self.opened_at
                    .map(|opened| (at - opened).num_seconds().max(0))
            })
            .flatten()
    }

    /// A customer's message (one that stands on its own, not a reaction or an edit) reopens a resolved or
    /// snoozed conversation.
    pub fn on_customer_message(&self, wamid: &str, at: DateTime<Utc>) -> Option<StatusChanged> {
        matches!(
            self.status,
            ConversationStatus::Resolved | ConversationStatus::Snoozed
        )
        .then(|| StatusChanged {
            command_id: Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("reopen:{wamid}").as_bytes()),
            at,
            status: ConversationStatus::Open,
            snoozed_until: None,
            by: None,
            reason: Some("customer_wrote".to_owned()),
            open_secs: None,
        })
    }

    /// A business message to the customer: the wait it ends, if the customer was waiting.
    pub fn on_business_message(
        &self,
        message_id: &str,
        at: DateTime<Utc>,
        by: Option<String>,
        responder: &str,
    ) -> Option<Responded> {
        let since = self.waiting_since?;
        Some(Responded {
            message_id: message_id.to_owned(),
            at,
            waiting_since: since,
            waited_secs: (at - since).num_seconds().max(0),
            first: !self.answered_in_period,
            by,
            responder: responder.to_owned(),
        })
    }

    /// The state after a customer's standalone message.
    pub fn customer_wrote(&mut self, at: DateTime<Utc>) {
        if self.opened_at.is_none() {
            self.opened_at = Some(at);
        }
        self.waiting_since.get_or_insert(at);
    }

    /// The state after an event of team work.
    pub fn apply(&mut self, event: &WorkflowEvent) {
        match event {
            WorkflowEvent::StatusChanged(s) => {
                if s.status == ConversationStatus::Open
                    && self.status == ConversationStatus::Resolved
                {
                    self.opened_at = Some(s.at);
                    self.answered_in_period = false;
                }
                self.status = s.status;
                self.snoozed_until = s.snoozed_until;
            }
            WorkflowEvent::Assigned(a) => {
                self.agent = a.agent.clone();
                self.team = a.team.clone();
            }
            WorkflowEvent::LabelSet(l) => {
                if l.applied {
                    self.labels.insert(l.label.clone());
                } else {
                    self.labels.remove(&l.label);
                }
            }
            WorkflowEvent::NoteAdded(n) => {
                self.notes.insert(n.note_id);
            }
        }
    }

    /// Whether the away message for the closed period that began at `period` is due: none was sent for
    /// it (or for a later one), the customer wrote during it, and nobody has answered them since.
    pub fn away_due(&self, period: DateTime<Utc>, last_inbound_at: Option<DateTime<Utc>>) -> bool {
        self.away_sent_for.is_none_or(|sent| sent < period)
            && last_inbound_at.is_some_and(|wrote| wrote >= period)
            && self.waiting_since.is_some()
    }

    /// The state after an away message was queued for the closed period that began at `period`.
    pub fn away_sent(&mut self, period: DateTime<Utc>) {
        self.away_sent_for = Some(self.away_sent_for.map_or(period, |sent| sent.max(period)));
    }

    /// The state after a business answer.
    pub fn responded(&mut self) {
        self.waiting_since = None;
        self.answered_in_period = true;
    }
}

#[cfg(test)]
mod tests {
    //! Given a conversation's history, when team work or messages arrive, then these events.
    use super::*;
    use crate::aggregate::RefusalCode;
    use crate::conversation::events::ConversationEvent;
    use crate::conversation::message::InboundMessage;
    use crate::conversation::outbound::SendCommand;
    use crate::conversation::{Conversation, ConversationFact};
    use crate::graph::messages::TextMessage;
    use crate::graph::{OutboundContent, OutboundMessage};
    use crate::testing::aggregate::{given, Scenario};
    use serde_json::json;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    fn customer(wamid: &str, seconds: i64) -> ConversationFact {
        ConversationFact::Message(
            InboundMessage::parse(&json!({"from": "15550001111", "id": wamid,
                "timestamp": (1_700_000_000 + seconds).to_string(), "type": "text", "text": {"body": "hello?"}}))
            .unwrap(),
        )
    }

    fn agent_sends(id: u128, seconds: i64, by: Option<&str>) -> ConversationFact {
        ConversationFact::Send(SendCommand {
            message_id: Uuid::from_u128(id),
            at: at(seconds),
            message: OutboundMessage {
                to: "15550001111".into(),
                group: false,
                reply_to: None,
                content: OutboundContent::Text(TextMessage {
                    body: "here".into(),
                    preview_url: false,
                }),
                callback_data: None,
                template_text: None,
            },
            by: by.map(str::to_owned),
        })
    }

    fn command(id: u128, seconds: i64, action: WorkflowAction) -> ConversationFact {
        ConversationFact::Workflow(WorkflowCommand {
            command_id: Uuid::from_u128(id),
            at: at(seconds),
            by: Some("ana".into()),
            action,
        })
    }

    fn status(status: ConversationStatus, until: Option<i64>) -> WorkflowAction {
        WorkflowAction::Status {
            status,
            snoozed_until: until.map(at),
        }
    }

    fn record(c: &mut Scenario<Conversation>, fact: ConversationFact) -> Vec<ConversationEvent> {
        c.when(fact).events()
    }

    fn status_changes(events: &[ConversationEvent]) -> Vec<&StatusChanged> {
        events
            .iter()
            .filter_map(|e| match e {
                ConversationEvent::StatusChanged(s) => Some(s),
                _ => None,
            })
            .collect()
    }

    fn responses(events: &[ConversationEvent]) -> Vec<&Responded> {
        events
            .iter()
            .filter_map(|e| match e {
                ConversationEvent::Responded(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn resolving_counts_the_open_time_and_a_customer_message_reopens() {
        let mut c: Scenario<Conversation> = given([]);
        record(&mut c, customer("wamid.1", 0));
        let events = record(
            &mut c,
            command(1, 600, status(ConversationStatus::Resolved, None)),
        );
        let resolved = status_changes(&events)[0];
        assert_eq!(
            (resolved.status, resolved.open_secs),
            (ConversationStatus::Resolved, Some(600))
        );
        assert_eq!(resolved.by.as_deref(), Some("ana"));
        // Resolving again changes nothing.
        c.when(command(2, 700, status(ConversationStatus::Resolved, None)))
            .then_nothing();
        let events = record(&mut c, customer("wamid.2", 1_000));
        let reopened = status_changes(&events)[0];
        assert_eq!(
            (
                reopened.status,
                reopened.reason.as_deref(),
                reopened.by.as_deref()
            ),
            (ConversationStatus::Open, Some("customer_wrote"), None)
        );
        // The next resolution counts from the reopening.
        let events = record(
            &mut c,
            command(3, 1_300, status(ConversationStatus::Resolved, None)),
        );
        assert_eq!(status_changes(&events)[0].open_secs, Some(300));
    }

    #[test]
    fn a_snooze_ends_at_its_time_or_at_the_customers_next_message() {
        let mut c: Scenario<Conversation> = given([]);
        record(&mut c, customer("wamid.1", 0));
        record(
            &mut c,
            command(1, 10, status(ConversationStatus::Snoozed, Some(3_600))),
        );
        c.when(command(2, 1_000, WorkflowAction::Wake))
            .then_nothing();
        let events = record(&mut c, command(3, 3_600, WorkflowAction::Wake));
        assert_eq!(
            status_changes(&events)[0].reason.as_deref(),
            Some("snooze_ended")
        );
        // Until the customer writes: only their message ends it.
        record(
            &mut c,
            command(4, 3_700, status(ConversationStatus::Snoozed, None)),
        );
        c.when(command(5, 99_999, WorkflowAction::Wake))
            .then_nothing();
        let events = record(&mut c, customer("wamid.2", 4_000));
        assert_eq!(status_changes(&events)[0].status, ConversationStatus::Open);
        // Pending is not ended by the customer.
        record(
            &mut c,
            command(6, 4_100, status(ConversationStatus::Pending, None)),
        );
        assert!(status_changes(&record(&mut c, customer("wamid.3", 4_200))).is_empty());
    }

    #[test]
    fn a_snooze_in_the_past_or_a_time_for_another_status_is_refused() {
        let mut c: Scenario<Conversation> = given([]);
        c.when(command(
            1,
            100,
            status(ConversationStatus::Snoozed, Some(50)),
        ))
        .then_refused(RefusalCode::InvalidSnooze);
        c.when(command(2, 100, status(ConversationStatus::Open, Some(500))))
            .then_refused(RefusalCode::InvalidSnooze);
        c.when(command(
            3,
            100,
            WorkflowAction::Note {
                text: "  ".into(),
                mentions: vec![],
            },
        ))
        .then_refused(RefusalCode::InvalidNote);
    }

    #[test]
    fn a_reply_to_a_waiting_customer_records_the_wait_and_whether_it_was_the_first() {
        let mut c: Scenario<Conversation> = given([]);
        record(&mut c, customer("wamid.1", 0));
        record(&mut c, customer("wamid.2", 30));
        let events = record(&mut c, agent_sends(1, 90, Some("ana")));
        let r = responses(&events)[0];
        assert_eq!(
            (r.waited_secs, r.first, r.responder.as_str()),
            (90, true, "agent")
        );
        assert_eq!(r.by.as_deref(), Some("ana"));
        // Nobody waits: a second message answers nothing.
        assert!(responses(&record(&mut c, agent_sends(2, 100, Some("ana")))).is_empty());
        // The inbox's own messages (an away message) end no wait.
        record(&mut c, customer("wamid.3", 200));
        assert!(responses(&record(&mut c, agent_sends(3, 210, None))).is_empty());
        let events = record(&mut c, agent_sends(4, 260, Some("bob")));
        assert_eq!(
            (
                responses(&events)[0].waited_secs,
                responses(&events)[0].first
            ),
            (60, false)
        );
        // After a reopening, the next answer is a first answer again.
        record(
            &mut c,
            command(9, 300, status(ConversationStatus::Resolved, None)),
        );
        record(&mut c, customer("wamid.4", 400));
        let events = record(&mut c, agent_sends(5, 410, Some("bob")));
        assert_eq!(
            (
                responses(&events)[0].waited_secs,
                responses(&events)[0].first
            ),
            (10, true)
        );
    }

    #[test]
    fn assignment_labels_and_notes_record_only_changes_and_retries_once() {
        let mut c: Scenario<Conversation> = given([]);
        let assign = |agent: Option<&str>, auto: bool| WorkflowAction::Assign {
            agent: agent.map(str::to_owned),
            team: Some("sales".into()),
            auto,
        };
        let events = record(&mut c, command(1, 10, assign(Some("bob"), false)));
        assert!(
            matches!(&events[0], ConversationEvent::Assigned(a) if a.agent.as_deref() == Some("bob") && a.reason.is_none())
        );
        // The same again, a retry of the same command, or round robin over a person's choice: nothing.
        c.when(command(2, 20, assign(Some("bob"), false)))
            .then_nothing();
        c.when(command(1, 10, assign(Some("bob"), false)))
            .then_nothing();
        c.when(command(3, 30, assign(Some("cy"), true)))
            .then_nothing();
        // The same command id for another action is refused.
        c.when(command(1, 40, assign(Some("cy"), false)))
            .then_refused(RefusalCode::IdempotencyKeyReused);
        let label = |applied| WorkflowAction::Label {
            label: "vip".into(),
            applied,
        };
        assert_eq!(record(&mut c, command(4, 50, label(true))).len(), 1);
        c.when(command(5, 60, label(true))).then_nothing();
        assert_eq!(record(&mut c, command(6, 70, label(false))).len(), 1);
        let note = WorkflowAction::Note {
            text: "Call back after 3pm @bob".into(),
            mentions: vec!["bob".into()],
        };
        let events = record(&mut c, command(7, 80, note.clone()));
        assert!(
            matches!(&events[0], ConversationEvent::NoteAdded(n) if n.mentions == ["bob"] && n.note_id == Uuid::from_u128(7))
        );
        c.when(command(7, 80, note)).then_nothing();
    }

    fn away(id: u128, seconds: i64, period: i64, number_bot_on: bool) -> ConversationFact {
        ConversationFact::Workflow(WorkflowCommand {
            command_id: Uuid::from_u128(id),
            at: at(seconds),
            by: None,
            action: WorkflowAction::Away {
                period: at(period),
                text: "We are closed; we answer from 9:00.".into(),
                to: "15550001111".into(),
                number_bot_on,
            },
        })
    }

    fn away_messages(
        events: &[ConversationEvent],
    ) -> Vec<&crate::conversation::outbound::MessageQueued> {
        events
            .iter()
            .filter_map(|e| match e {
                ConversationEvent::MessageQueued(q) => Some(q),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_away_message_answers_once_per_closed_period() {
        let mut c: Scenario<Conversation> = given([]);
        record(&mut c, customer("wamid.1", 0));
        let events = record(&mut c, away(1, 5, -3_600, false));
        let queued = away_messages(&events);
        assert_eq!(queued.len(), 1);
        assert_eq!(
            (
                queued[0].away_for,
                queued[0].by.as_deref(),
                queued[0].message.to.as_str()
            ),
            (Some(at(-3_600)), None, "15550001111")
        );
        assert_eq!(
            queued[0].message.content.text(),
            Some("We are closed; we answer from 9:00.")
        );
        // The inbox's own message ends no wait.
        assert!(responses(&events).is_empty());
        // A retry, or the customer writing again in the same closed period: nothing more.
        c.when(away(1, 5, -3_600, false)).then_nothing();
        record(&mut c, customer("wamid.2", 60));
        c.when(away(2, 65, -3_600, false)).then_nothing();
        // An earlier period than the one answered: nothing.
        c.when(away(3, 70, -7_200, false)).then_nothing();
        // A customer someone already answered is not told the business is closed.
        record(&mut c, customer("wamid.answered", 500));
        record(&mut c, agent_sends(8, 510, Some("ana")));
        c.when(away(6, 520, 400, false)).then_nothing();
        // The next closed period, once the customer writes in it, is answered again.
        c.when(away(4, 1_000, 900, false)).then_nothing();
        record(&mut c, customer("wamid.3", 1_100));
        let events = record(&mut c, away(5, 1_105, 900, false));
        assert_eq!(away_messages(&events)[0].away_for, Some(at(900)));
    }

    #[test]
    fn no_away_message_outside_the_24_hour_window() {
        let mut c: Scenario<Conversation> = given([]);
        record(&mut c, customer("wamid.1", 0));
        let day = 24 * 3_600;
        c.when(away(1, day + 1, -3_600, false)).then_nothing();
        // Still due inside the window.
        assert_eq!(
            away_messages(&record(&mut c, away(2, day - 1, -3_600, false))).len(),
            1
        );
    }

    #[test]
    fn where_the_bot_answers_no_away_message_is_sent() {
        let mut c: Scenario<Conversation> = given([]);
        record(&mut c, customer("wamid.1", 0));
        // The number's bot is on and the conversation's is not switched off: the bot keeps answering.
        c.when(away(1, 5, -3_600, true)).then_nothing();
        // A person took over (the bot is off here): the away message goes.
        record(&mut c, agent_sends(7, 10, Some("ana")));
        record(&mut c, customer("wamid.2", 20));
        assert_eq!(
            away_messages(&record(&mut c, away(2, 25, -3_600, true))).len(),
            1
        );
    }
}
