//! Messages the business sends through the inbox: queued by a command, then attempted, sent or failed by
//! the account's sender. Every step is an event on the conversation's stream, so an auditor sees who
//! asked for what, each attempt, and Meta's answer.
//!
//! Rules:
//! - free-form messages only within 24 hours of the customer's last message; templates at any time;
//! - a reaction or reply must name a message of this conversation;
//! - a message is attempted by one sender at a time: an attempt is claimed by appending it, and another
//!   sender may claim a new one only after the claim's lease ran out (the first sender died);
//! - the first outcome recorded (sent, or failed for good) is final.

use crate::graph::{CallError, OutboundMessage};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long the customer's last message keeps free-form replies open.
pub const SERVICE_WINDOW: Duration = Duration::hours(24);

/// The customer service window: free-form replies are allowed from the customer's last message until
/// the moment it closes, that moment excluded. The one place the rule is written; the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceWindow {
    pub closes_at: DateTime<Utc>,
}

impl ServiceWindow {
    /// The window the customer's last message opened, if they ever wrote.
    pub fn after(last_inbound_at: Option<DateTime<Utc>>) -> Option<Self> {
        last_inbound_at.map(|last| ServiceWindow {
            closes_at: last + SERVICE_WINDOW,
        })
    }

    pub fn is_open_at(&self, at: DateTime<Utc>) -> bool {
        at < self.closes_at
    }
}

/// An inbox user (or the bot) asked to send a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageQueued {
    /// Our id for the message, known before Meta assigns its wamid.
    pub message_id: Uuid,
    pub at: DateTime<Utc>,
    pub message: OutboundMessage,
    /// The user who sent it; `None` for the bot and the inbox's own messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// For an away message: the closed period (by when it began) it answers; one per period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_for: Option<DateTime<Utc>>,
}

/// A sender claimed an attempt to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendAttempted {
    pub message_id: Uuid,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub at: DateTime<Utc>,
}

/// An attempt failed with an error worth retrying; the next attempt comes at `retry_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptFailed {
    pub message_id: Uuid,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub error: CallError,
    pub retry_at: DateTime<Utc>,
}

/// Meta accepted the message; its statuses follow by webhook under `wamid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSent {
    pub message_id: Uuid,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub wamid: String,
    /// The recipient as Meta normalised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
}

/// The message will not be sent: Meta refused it for good, or the retries ran out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendFailed {
    pub message_id: Uuid,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub error: CallError,
    /// What someone has to do about it, when that is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

/// A send command: queue this message.
#[derive(Debug, Clone, PartialEq)]
pub struct SendCommand {
    pub message_id: Uuid,
    pub at: DateTime<Utc>,
    pub message: OutboundMessage,
    /// The user sending it; `None` for the inbox's own messages (the bot's summaries, away messages).
    pub by: Option<String>,
}

/// What a sender reports about a queued message.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryFact {
    /// Claim the next attempt, unless another sender holds a live claim (younger than `lease`).
    Attempt {
        message_id: Uuid,
        at: DateTime<Utc>,
        lease: Duration,
    },
    Sent(MessageSent),
    AttemptFailed(AttemptFailed),
    Failed(SendFailed),
}

/// A queued message that is not finished yet, as the conversation keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub message: OutboundMessage,
    pub queued_at: DateTime<Utc>,
    /// Attempts claimed so far.
    pub attempts: u32,
    /// When the latest attempt was claimed, while its outcome is not recorded.
    pub in_flight_since: Option<DateTime<Utc>>,
    /// Not before this time (after a retryable failure).
    pub retry_at: Option<DateTime<Utc>>,
}

/// Why a send command is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendRefusal {
    /// Free-form message outside the 24-hour window.
    WindowClosed {
        last_inbound_at: Option<DateTime<Utc>>,
    },
    /// A reaction or reply names a message this conversation does not hold.
    UnknownMessage(String),
    /// The content breaks one of Meta's limits.
    Invalid(String),
}

impl std::fmt::Display for SendRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendRefusal::WindowClosed {
                last_inbound_at: Some(at),
            } => write!(
                f,
                "the customer last wrote at {}, more than 24 hours ago: only a template message can be sent now",
                at.to_rfc3339()
            ),
            SendRefusal::WindowClosed {
                last_inbound_at: None,
            } => f.write_str(
                "the customer has not written yet: only a template message can start the conversation",
            ),
            SendRefusal::UnknownMessage(wamid) => {
                write!(f, "message {wamid} is not part of this conversation")
            }
            SendRefusal::Invalid(reason) => f.write_str(reason),
        }
    }
}

/// A media file of a message (either direction) was fetched from Meta and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaStored {
    pub wamid: String,
    /// Meta's media id it was fetched by.
    pub media_id: String,
    pub at: DateTime<Utc>,
    pub file: crate::media_store::StoredMedia,
}

/// A media file could not be fetched, for good (expired, deleted, too large).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaFailed {
    pub wamid: String,
    pub media_id: String,
    pub at: DateTime<Utc>,
    pub error: CallError,
}

/// What the media fetcher reports.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaFact {
    Stored(MediaStored),
    Failed(MediaFailed),
}

impl MediaFact {
    pub fn wamid(&self) -> &str {
        match self {
            MediaFact::Stored(s) => &s.wamid,
            MediaFact::Failed(f) => &f.wamid,
        }
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    #[test]
    fn the_window_closes_exactly_24_hours_after_the_customer_wrote() {
        let wrote = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let window = ServiceWindow::after(Some(wrote)).unwrap();
        assert_eq!(window.closes_at - wrote, Duration::hours(24));
        assert!(window.is_open_at(wrote));
        assert!(window.is_open_at(window.closes_at - Duration::milliseconds(1)));
        assert!(!window.is_open_at(window.closes_at));
        assert_eq!(ServiceWindow::after(None), None);
    }
}
