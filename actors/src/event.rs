//! The envelope every stored event travels in: ids, stream, versions, times, and who caused it.
//!
//! Domain events (`conversation::events`, `account::events`) are typed Rust enums; the store only sees
//! their wire name, schema version and JSON payload, so a Rust rename never changes what is stored.

use crate::json::{JsonText, StoredJson};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Namespace for name-based (v5) event ids. Changing it would make redelivered webhooks look new.
const EVENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_53c2_8d4e_4b7a_9c0e_2f5d_7e31_a904);

/// A stream name such as `conversation-{phone_number_id}-{contact}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StreamId(String);

impl StreamId {
    /// Longest stream name the store accepts (the `streams` table checks the same).
    pub const MAX_LEN: usize = 512;

    /// The stream of one conversation between a business number and a customer.
    pub fn conversation(phone_number_id: &str, contact: &str) -> Self {
        crate::conversation::id::ConversationId::new(phone_number_id, contact).stream()
    }

    /// The stream of one WhatsApp business number.
    pub fn account(phone_number_id: &str) -> Self {
        Self(format!("account-{phone_number_id}"))
    }

    /// The stream of a WhatsApp Business Account (WABA) for facts that name no phone number
    /// (template reviews, account updates).
    pub fn business_account(waba_id: &str) -> Self {
        Self(format!("waba-{waba_id}"))
    }

    /// The one stream of the install-wide catalogue of team work: teams, labels, canned replies,
    /// agents' availability.
    pub fn workspace() -> Self {
        Self("workspace".to_owned())
    }

    /// Any other stream name (tests, later kinds of streams).
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the first `-`: `conversation`, `account`, `waba`.
    pub fn category(&self) -> &str {
        self.0.split('-').next().unwrap_or("")
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Derives a stable event id from the natural key of a fact (for example `message.received` and a wamid),
/// so the same fact delivered twice gets the same id and is appended once.
pub fn derived_event_id(kind: &str, natural_key: &str) -> Uuid {
    let mut name = String::with_capacity(kind.len() + natural_key.len() + 1);
    name.push_str(kind);
    name.push(':');
    name.push_str(natural_key);
    Uuid::new_v5(&EVENT_ID_NAMESPACE, name.as_bytes())
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CausedBy {
    /// Meta's webhook; `request_id` names the HTTP request (body) that carried the fact.
    Webhook { request_id: String },
    /// A signed-in user of the inbox.
    User { user_id: String },
    /// The bot.
    Bot,
    /// The system itself (start-up, configuration, policies).
    System { reason: String },
}

/// What every event carries besides its payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// Groups all events that stem from one request or one external trigger.
    pub correlation_id: Uuid,
    /// The event or request that directly caused this one.
    pub causation_id: Uuid,
    pub caused_by: CausedBy,
}

impl EventMetadata {
    /// Metadata for facts carried by one webhook body: the body's request id is both correlation and cause.
    pub fn webhook(request_id: Uuid) -> Self {
        Self {
            correlation_id: request_id,
            causation_id: request_id,
            caused_by: CausedBy::Webhook {
                request_id: request_id.to_string(),
            },
        }
    }

    /// Metadata for a user's command; the command id is both correlation and cause.
    pub fn user(user_id: impl Into<String>, command_id: Uuid) -> Self {
        Self {
            correlation_id: command_id,
            causation_id: command_id,
            caused_by: CausedBy::User {
                user_id: user_id.into(),
            },
        }
    }

    /// Metadata for what a policy (the sender, the media fetcher) did about an earlier command or fact:
    /// `correlation_id` ties it to that cause.
    pub fn policy(correlation_id: Uuid, name: impl Into<String>) -> Self {
        Self {
            correlation_id,
            causation_id: correlation_id,
            caused_by: CausedBy::System {
                reason: name.into(),
            },
        }
    }

    /// Metadata for something the system did on its own.
    pub fn system(reason: impl Into<String>) -> Self {
        let id = Uuid::new_v4();
        Self {
            correlation_id: id,
            causation_id: id,
            caused_by: CausedBy::System {
                reason: reason.into(),
            },
        }
    }
}

/// An event ready to be appended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub id: Uuid,
    /// Stable wire name, such as `message.received`.
    pub event_type: String,
    pub schema_version: u32,
    /// Serialised once, straight from the domain event (no `serde_json::Value` tree in between).
    pub payload: JsonText,
    pub metadata: EventMetadata,
    /// When the fact happened according to its source (Meta's timestamp), if it gave one.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    pub id: Uuid,
    pub stream_id: StreamId,
    /// 1-based, gap-free position within the stream.
    pub stream_version: u64,
    /// Position in the global log; increasing in commit order, may have holes.
    pub global_position: u64,
    pub event_type: String,
    pub schema_version: u32,
    /// As the store read it: typed readers decode its text; a tree is parsed only if asked for.
    pub payload: StoredJson,
    pub metadata: EventMetadata,
    pub occurred_at: Option<DateTime<Utc>>,
    pub recorded_at: DateTime<Utc>,
}

/// A stored event with its payload still as JSON text, for readers that decode straight into their own
/// types (a rebuild reads millions; skipping the intermediate JSON tree halves its decoding work).
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecordedEvent {
    pub stream_id: StreamId,
    pub stream_version: u64,
    pub global_position: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub recorded_at: DateTime<Utc>,
}

/// A typed domain event that knows its wire name and schema version.
pub trait DomainEvent: Sized {
    /// The schema version written for new events.
    const SCHEMA_VERSION: u32;

    /// Stable wire name of this event.
    fn event_type(&self) -> &'static str;

    /// The event's natural key, from which its id is derived.
    fn natural_key(&self) -> String;

    /// When the fact happened according to its source.
    fn occurred_at(&self) -> Option<DateTime<Utc>>;

    /// The JSON stored as the event's payload.
    fn payload(&self) -> JsonText;

    /// Wraps the event for appending.
    fn to_new_event(&self, metadata: &EventMetadata) -> NewEvent {
        let event_type = self.event_type();
        NewEvent {
            id: derived_event_id(event_type, &self.natural_key()),
            event_type: event_type.to_owned(),
            schema_version: Self::SCHEMA_VERSION,
            payload: self.payload(),
            metadata: metadata.clone(),
            occurred_at: self.occurred_at(),
        }
    }

    /// Reads a stored event back, upcasting older schema versions.
    fn from_recorded(event: &RecordedEvent) -> Result<Self, DecodeError>;
}

/// A stored event that does not decode into the expected domain type. Readers that must not stop at one
/// (projections, stream actors) find it in an error's chain and set the event aside.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "cannot decode event at position {global_position} ({event_type} v{schema_version}): {reason}"
)]
pub struct DecodeError {
    /// `None` when read without its id (a rebuild's raw pages).
    pub event_id: Option<Uuid>,
    pub global_position: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub reason: String,
}

impl DecodeError {
    pub fn new(event: &RecordedEvent, reason: impl Into<String>) -> Self {
        Self {
            event_id: Some(event.id),
            global_position: event.global_position,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            reason: reason.into(),
        }
    }

    /// For an event read as [`RawRecordedEvent`].
    pub fn raw(event: &RawRecordedEvent, reason: impl Into<String>) -> Self {
        Self {
            event_id: None,
            global_position: event.global_position,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            reason: reason.into(),
        }
    }

    /// The first decode error in an error's chain, if any.
    pub fn find(error: &anyhow::Error) -> Option<&DecodeError> {
        error.chain().find_map(|e| e.downcast_ref::<DecodeError>())
    }
}
