//! Delivery statuses of messages the business sent, and the rule that they only move forward.
//!
//! Meta delivers status webhooks at least once and in any order: `read` before `delivered`, a late `sent`
//! after `read`, `delivered` never at all when the customer had the chat open. A message's state is
//! therefore the *set* of statuses reported for it, each with its time, and its current status is the
//! highest of them. Folding a set is order-independent, so any arrival order ends in the same state.
//! `failed` is a flag of its own: it is kept even if a later status arrives.

use super::message::{str_at, timestamp_at, MetaError};
use crate::json::JsonText;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A status Meta reports for an outbound message, in the order they can only move forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Read,
    /// A voice message was played (implies read).
    Played,
    Failed,
}

impl DeliveryStatus {
    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        Some(match s {
            "sent" => DeliveryStatus::Sent,
            "delivered" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Read,
            "played" => DeliveryStatus::Played,
            "failed" => DeliveryStatus::Failed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Played => "played",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// One element of a webhook's `statuses[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The outbound message's wamid.
    pub wamid: String,
    /// Meta's status string as given (`sent`, `delivered`, `read`, `played`, `failed`, or a newer one).
    pub status: String,
    pub timestamp: Option<DateTime<Utc>>,
    /// The customer (or group) the message went to.
    pub recipient_id: Option<String>,
    pub recipient_user_id: Option<String>,
    /// `individual` or `group`.
    pub recipient_type: Option<String>,
    pub errors: Vec<MetaError>,
    /// The string given when sending, echoed back by Meta.
    pub biz_opaque_callback_data: Option<String>,
    pub pricing: Option<Value>,
    pub conversation: Option<Value>,
    /// As Meta sent it, as text (see [`super::message::InboundMessage::raw`]).
    pub raw: JsonText,
}

impl StatusReport {
    pub fn parse(raw: &Value) -> Option<StatusReport> {
        Some(StatusReport {
            wamid: str_at(raw, "id").filter(|s| !s.is_empty())?,
            status: str_at(raw, "status")?,
            timestamp: timestamp_at(raw, "timestamp"),
            recipient_id: str_at(raw, "recipient_id"),
            recipient_user_id: str_at(raw, "recipient_user_id"),
            recipient_type: str_at(raw, "recipient_type"),
            errors: MetaError::parse_list(raw.get("errors")),
            biz_opaque_callback_data: str_at(raw, "biz_opaque_callback_data"),
            pricing: raw.get("pricing").cloned(),
            conversation: raw.get("conversation").cloned(),
            raw: JsonText::of(raw),
        })
    }

    pub fn delivery_status(&self) -> Option<DeliveryStatus> {
        DeliveryStatus::parse(&self.status)
    }
}

/// Everything known about the delivery of one outbound message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
    pub played_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    /// Why it failed, as Meta said; kept even if a later status arrives.
    pub failure: Vec<MetaError>,
    /// Which statuses were reported at all (a status may come without a timestamp).
    reported: Vec<DeliveryStatus>,
}

impl Delivery {
    /// Adds one reported status. Order-independent: applying the same reports in any order gives the
    /// same `Delivery`.
    pub fn record(
        &mut self,
        status: DeliveryStatus,
        at: Option<DateTime<Utc>>,
        errors: &[MetaError],
    ) {
        let slot = match status {
            DeliveryStatus::Sent => &mut self.sent_at,
            DeliveryStatus::Delivered => &mut self.delivered_at,
            DeliveryStatus::Read => &mut self.read_at,
            DeliveryStatus::Played => &mut self.played_at,
            DeliveryStatus::Failed => &mut self.failed_at,
        };
        // Keep the earliest time a status was reported at.
        *slot = match (*slot, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if status == DeliveryStatus::Failed {
            for e in errors {
                if !self.failure.contains(e) {
                    self.failure.push(e.clone());
                }
            }
        }
        if let Err(i) = self.reported.binary_search(&status) {
            self.reported.insert(i, status);
        }
    }

    pub fn has(&self, status: DeliveryStatus) -> bool {
        self.reported.binary_search(&status).is_ok()
    }

    /// The furthest the message got: played > read > delivered > sent. `None` if only `failed` (or
    /// nothing) was reported.
    pub fn progress(&self) -> Option<DeliveryStatus> {
        self.reported
            .iter()
            .rev()
            .copied()
            .find(|s| *s != DeliveryStatus::Failed)
    }

    pub fn failed(&self) -> bool {
        self.has(DeliveryStatus::Failed)
    }

    /// What an agent sees: `failed` wins, since a failure is never undone by a later status.
    pub fn current(&self) -> Option<DeliveryStatus> {
        if self.failed() {
            Some(DeliveryStatus::Failed)
        } else {
            self.progress()
        }
    }
}

crate::text_enum! {
    /// How far the inbox got sending a message of its own, before and besides what Meta reports.
    pub enum SendState {
        /// Recorded; no attempt yet.
        Queued = "queued",
        /// An attempt is under way.
        Sending = "sending",
        /// An attempt failed in a way worth retrying; the next one is scheduled.
        Retrying = "retrying",
        /// Meta accepted it and gave its wamid.
        Accepted = "accepted",
        /// Given up: Meta refused it, or every attempt failed.
        Failed = "failed",
    }
}

impl SendState {
    /// Still the inbox's to send (a sender picks it up).
    pub const UNFINISHED: &'static [SendState] =
        &[SendState::Queued, SendState::Sending, SendState::Retrying];

    /// Neither accepted nor failed: a later attempt's outcome may still change it.
    pub fn is_final(self) -> bool {
        matches!(self, SendState::Accepted | SendState::Failed)
    }
}

crate::text_enum! {
    /// Where the file of a received media message stands.
    pub enum MediaState {
        /// Meta announced a file; it is not fetched yet.
        Pending = "pending",
        /// Fetched and kept by the inbox.
        Stored = "stored",
        /// Could not be fetched (Meta keeps media for a limited time).
        Failed = "failed",
    }
}

crate::text_enum! {
    /// The one status an outbound message shows: before Meta reports anything, how far the inbox got
    /// sending it; then the furthest status Meta reported; `failed` wins over everything.
    pub enum MessageStatus {
        Queued = "queued",
        Sending = "sending",
        Retrying = "retrying",
        Accepted = "accepted",
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        /// A voice message was played.
        Played = "played",
        Failed = "failed",
    }
}

impl MessageStatus {
    /// What a message shows, from how far the inbox got sending it and the furthest status Meta reported.
    pub fn shown(
        send: Option<SendState>,
        reported: Option<DeliveryStatus>,
    ) -> Option<MessageStatus> {
        if send == Some(SendState::Failed) || reported == Some(DeliveryStatus::Failed) {
            return Some(MessageStatus::Failed);
        }
        match (reported, send) {
            (Some(status), _) => Some(status.into()),
            (None, state) => state.map(Into::into),
        }
    }
}

impl From<DeliveryStatus> for MessageStatus {
    fn from(status: DeliveryStatus) -> Self {
        match status {
            DeliveryStatus::Sent => MessageStatus::Sent,
            DeliveryStatus::Delivered => MessageStatus::Delivered,
            DeliveryStatus::Read => MessageStatus::Read,
            DeliveryStatus::Played => MessageStatus::Played,
            DeliveryStatus::Failed => MessageStatus::Failed,
        }
    }
}

impl From<SendState> for MessageStatus {
    fn from(state: SendState) -> Self {
        match state {
            SendState::Queued => MessageStatus::Queued,
            SendState::Sending => MessageStatus::Sending,
            SendState::Retrying => MessageStatus::Retrying,
            SendState::Accepted => MessageStatus::Accepted,
            SendState::Failed => MessageStatus::Failed,
        }
    }
}
