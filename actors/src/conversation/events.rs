//! The facts recorded on a conversation's stream.

use super::message::{EchoedMessage, InboundMessage};
use super::status::StatusReport;
use crate::event::{DecodeError, DomainEvent, RecordedEvent};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
}

impl ConversationEvent {
    pub const MESSAGE_RECEIVED: &'static str = "message.received";
    pub const MESSAGE_ECHOED: &'static str = "message.echoed";
    pub const MESSAGE_STATUS_CHANGED: &'static str = "message.status_changed";
    pub const CONTACT_PROFILE_SEEN: &'static str = "contact.profile_seen";
}

impl DomainEvent for ConversationEvent {
    const SCHEMA_VERSION: u32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            ConversationEvent::MessageReceived(_) => Self::MESSAGE_RECEIVED,
            ConversationEvent::MessageEchoed(_) => Self::MESSAGE_ECHOED,
            ConversationEvent::MessageStatusChanged(_) => Self::MESSAGE_STATUS_CHANGED,
            ConversationEvent::ContactProfileSeen(_) => Self::CONTACT_PROFILE_SEEN,
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
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match self {
            ConversationEvent::MessageReceived(m) => m.timestamp,
            ConversationEvent::MessageEchoed(m) => m.timestamp,
            ConversationEvent::MessageStatusChanged(s) => s.timestamp,
            ConversationEvent::ContactProfileSeen(_) => None,
        }
    }

    fn payload(&self) -> serde_json::Value {
        let value = match self {
            ConversationEvent::MessageReceived(m) => serde_json::to_value(m),
            ConversationEvent::MessageEchoed(m) => serde_json::to_value(m),
            ConversationEvent::MessageStatusChanged(s) => serde_json::to_value(s),
            ConversationEvent::ContactProfileSeen(c) => serde_json::to_value(c),
        };
        // These types have only string keys, so serialising them cannot fail.
        value.unwrap_or_default()
    }

    fn from_recorded(event: &RecordedEvent) -> Result<Self, DecodeError> {
        let payload = event.payload.clone();
        let decoded = match (event.event_type.as_str(), event.schema_version) {
            (Self::MESSAGE_RECEIVED, 1) => {
                serde_json::from_value(payload).map(ConversationEvent::MessageReceived)
            }
            (Self::MESSAGE_ECHOED, 1) => {
                serde_json::from_value(payload).map(ConversationEvent::MessageEchoed)
            }
            (Self::MESSAGE_STATUS_CHANGED, 1) => {
                serde_json::from_value(payload).map(ConversationEvent::MessageStatusChanged)
            }
            (Self::CONTACT_PROFILE_SEEN, 1) => {
                serde_json::from_value(payload).map(ConversationEvent::ContactProfileSeen)
            }
            _ => {
                return Err(DecodeError::new(
                    event,
                    "unknown event type or schema version",
                ))
            }
        };
        decoded.map_err(|e| DecodeError::new(event, e.to_string()))
    }
}
