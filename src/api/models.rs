//! What the API returns, as documented in the OpenAPI spec, and how read-model rows map onto it.

use actors::conversation::outbound::ServiceWindow;
use actors::conversation::status::{MediaState, MessageStatus};
use actors::conversation::workflow::ConversationStatus;
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use projections::accounts::queries::AccountWithQuality;
use projections::contacts::ContactRow;
use projections::inbox::view::{ConversationRow, MessageRow};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Object)]
pub struct Contact {
    pub contact_id: String,
    pub wa_id: Option<String>,
    /// Business-scoped user id (`US.…`).
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct LastMessage {
    pub message_id: String,
    pub at: DateTime<Utc>,
    pub preview: Option<String>,
    pub kind: Option<String>,
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct Conversation {
    /// `{account_id}-{contact_id}`.
    pub id: String,
    /// The business number's phone number id.
    pub account_id: String,
    pub contact: Contact,
    pub is_group: bool,
    pub last_message: Option<LastMessage>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// Whether a free-form reply is allowed now (within 24 hours of the customer's last message).
    pub reply_window_open: bool,
    pub reply_window_closes_at: Option<DateTime<Utc>>,
    pub unread_count: i32,
    pub read_at: Option<DateTime<Utc>>,
    pub favourite: bool,
    pub archived: bool,
    pub bot_enabled: bool,
    pub message_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Where the conversation stands: `open`, `pending`, `snoozed` or `resolved`.
    pub status: ConversationStatus,
    /// When the status last changed.
    pub status_at: Option<DateTime<Utc>>,
    /// A snoozed conversation reopens then; absent for a snooze until the customer writes.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// The agent (user id) it is assigned to.
    pub assignee: Option<String>,
    /// The team (team id) it is assigned to.
    pub team_id: Option<String>,
    pub assigned_at: Option<DateTime<Utc>>,
    /// The label ids applied to it.
    pub labels: Vec<String>,
}

impl Conversation {
    pub fn from_row(row: ConversationRow, now: DateTime<Utc>) -> Self {
        let window = ServiceWindow::after(row.last_inbound_at);
        Conversation {
            id: row.conversation_id,
            account_id: row.account_id,
            contact: Contact {
                contact_id: row.contact_id,
                wa_id: row.contact_wa_id,
                user_id: row.contact_user_id,
                name: row.contact_name,
                username: row.contact_username,
            },
            is_group: row.is_group,
            last_message: match (row.last_message_id, row.last_message_at) {
                (Some(message_id), Some(at)) => Some(LastMessage {
                    message_id,
                    at,
                    preview: row.last_message_preview,
                    kind: row.last_message_kind,
                    direction: row.last_message_direction,
                }),
                _ => None,
            },
            last_inbound_at: row.last_inbound_at,
            reply_window_open: window.is_some_and(|w| w.is_open_at(now)),
            reply_window_closes_at: window.map(|w| w.closes_at),
            unread_count: row.unread_count,
            read_at: row.read_at,
            favourite: row.favourite,
            archived: row.archived,
            bot_enabled: row.bot_enabled,
            message_count: row.message_count,
            created_at: row.created_at,
            updated_at: row.updated_at,
            status: row.status,
            status_at: row.status_at,
            snoozed_until: row.snoozed_until,
            assignee: row.assignee,
            team_id: row.team_id,
            assigned_at: row.assigned_at,
            labels: row.labels,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct Reaction {
    /// Who reacted: the customer's wa_id, or `business`.
    pub from: String,
    pub emoji: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Object)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    /// `inbound` (from the customer), `outbound`, or `note` (a private note of the team, never sent; its
    /// `sender` is the user who wrote it and `content.mentions` the users it names).
    pub direction: Option<String>,
    /// Meta's message type (`text`, `image`, `interactive`, ...).
    pub kind: Option<String>,
    /// The text or caption, after edits; absent once revoked.
    pub body: Option<String>,
    /// Media reference (Meta's media id, MIME type, SHA-256, file name).
    pub media: Option<Value>,
    /// The typed content as recorded (`content_type` tells which).
    pub content: Option<Value>,
    /// The message this one replies to.
    pub reply_to: Option<String>,
    pub forwarded: bool,
    pub sender: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Current status of an outbound message. Before Meta reports anything, how far the inbox got
    /// sending it (`queued`, `sending`, `retrying`, `accepted`); then Meta's `sent`, `delivered`, `read`,
    /// `played`; or `failed`.
    pub status: Option<MessageStatus>,
    /// Meta's id of a message sent through the inbox (`id` is then the inbox's own id).
    pub wamid: Option<String>,
    /// Attempts made to send it through the inbox.
    pub attempts: i32,
    /// When the next attempt comes, while it is retrying.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// For files from Meta: `pending` until fetched, then `stored` or `failed`.
    pub media_state: Option<MediaState>,
    /// The stored file: `id`, `mime_type`, `size`, and `url` (`/api/v1/media/{id}`) to download it; or
    /// `error` when it could not be fetched.
    pub media_file: Option<Value>,
    /// When each status was first reported.
    pub statuses: BTreeMap<String, DateTime<Utc>>,
    /// Meta's errors when the message failed.
    pub failure: Option<Value>,
    pub reactions: Vec<Reaction>,
    pub edited_at: Option<DateTime<Utc>>,
    /// Earlier versions of an edited message, oldest first.
    pub edits: Vec<Value>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// A voice note's words, as a model heard them (when the bot transcribed it).
    pub transcript: Option<MessageTranscript>,
}

/// A voice note's words.
#[derive(Debug, Clone, Object)]
pub struct MessageTranscript {
    pub text: String,
    /// The model that heard them (`provider:model`).
    pub model: String,
    /// When they were heard.
    pub at: DateTime<Utc>,
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        Message {
            id: row.message_id,
            conversation_id: row.conversation_id,
            direction: row.direction,
            kind: row.kind,
            body: row.body,
            media: row.media,
            content: row.content,
            reply_to: row.reply_to,
            forwarded: row.forwarded,
            sender: row.sender,
            sent_at: row.sent_at,
            status: row.status,
            wamid: row.wamid,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            media_state: row.media_state,
            media_file: row.media_file.map(|mut file| {
                if let Some(id) = file.get("id").and_then(Value::as_str).map(str::to_owned) {
                    file["url"] = Value::String(format!("/api/v1/media/{id}"));
                }
                file
            }),
            statuses: row.statuses.0,
            failure: row.failure,
            reactions: row
                .reactions
                .0
                .into_iter()
                .map(|r| Reaction {
                    from: r.from,
                    emoji: r.emoji,
                    at: r.at,
                })
                .collect(),
            edited_at: row.edited_at,
            edits: row.edits.0,
            revoked_at: row.revoked_at,
            transcript: row.transcript.map(|t| MessageTranscript {
                text: t.0.text,
                model: t.0.model,
                at: t.0.at,
            }),
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct ConversationPage {
    pub conversations: Vec<Conversation>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct MessagePage {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// Pass as `before` for older messages; absent when there are none.
    pub older_cursor: Option<String>,
    /// Pass as `after` for newer messages (also later, to fetch what arrived since).
    pub newer_cursor: Option<String>,
    pub has_newer: bool,
}

#[derive(Debug, Clone, Object)]
pub struct ContactDetail {
    pub contact_id: String,
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl From<ContactRow> for ContactDetail {
    fn from(row: ContactRow) -> Self {
        ContactDetail {
            contact_id: row.contact_id,
            wa_id: row.wa_id,
            user_id: row.user_id,
            name: row.name,
            username: row.username,
            first_seen_at: row.first_seen_at,
            last_seen_at: row.last_seen_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct ContactPage {
    pub contacts: Vec<ContactDetail>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct ContactWithConversations {
    pub contact: ContactDetail,
    /// The contact's conversations on every account, most recent first.
    pub conversations: Vec<Conversation>,
}

#[derive(Debug, Clone, Object)]
pub struct Account {
    /// Meta's phone number id.
    pub id: String,
    pub phone_number: Option<String>,
    /// The business name Meta approved for the number.
    pub display_name: Option<String>,
    pub meta_app_id: Option<String>,
    /// Configured by the operator, as opposed to only seen in webhooks.
    pub configured: bool,
    pub waba_id: Option<String>,
    /// Meta's latest quality or throughput event for the number (`FLAGGED`, `UNFLAGGED`, `UPGRADE`,
    /// `THROUGHPUT_UPGRADE`, ...).
    pub quality_event: Option<String>,
    /// The messaging limit tier Meta last reported (`TIER_1K`, ...).
    pub messaging_limit: Option<String>,
    pub quality_reported_at: Option<DateTime<Utc>>,
    pub first_seen_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the inbox calls this number.
    pub name: Option<String>,
    /// The WhatsApp Business Account the number belongs to, as configured.
    pub business_account_id: Option<String>,
    /// Whether an access token is stored (the token itself is never returned).
    pub has_access_token: bool,
    pub has_verify_token: bool,
    pub has_app_secret: bool,
}

impl From<AccountWithQuality> for Account {
    fn from(
        AccountWithQuality {
            account: row,
            quality,
        }: AccountWithQuality,
    ) -> Self {
        let quality = quality.as_ref();
        Account {
            id: row.account_id,
            phone_number: row.phone_number,
            display_name: quality.and_then(|q| q.display_name.clone()),
            meta_app_id: row.meta_app_id,
            configured: row.configured,
            waba_id: quality.and_then(|q| q.waba_id.clone()),
            quality_event: quality.and_then(|q| q.quality_event.clone()),
            messaging_limit: quality.and_then(|q| q.messaging_limit.clone()),
            quality_reported_at: quality.and_then(|q| q.reported_at),
            first_seen_at: row.first_seen_at,
            updated_at: row.updated_at,
            name: row.name,
            business_account_id: row.business_account_id,
            has_access_token: row.access_token.is_some(),
            has_verify_token: row.verify_token.is_some(),
            has_app_secret: row.app_secret.is_some(),
        }
    }
}

/// One stored event, as an auditor reads it.
#[derive(Debug, Clone, Object)]
pub struct AuditEvent {
    pub event_id: String,
    pub stream_id: String,
    pub stream_version: u64,
    pub global_position: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub payload: Value,
    /// Correlation and causation ids, and who caused it (`caused_by`).
    pub metadata: Value,
    /// When it happened according to its source (Meta, or the user's command).
    pub occurred_at: Option<DateTime<Utc>>,
    /// When it was stored.
    pub recorded_at: DateTime<Utc>,
    /// SHA-256 chaining this event to the previous one of the stream (hex).
    pub hash: String,
}

#[derive(Debug, Clone, Object)]
pub struct ConversationState {
    pub conversation: Conversation,
    /// Oldest first.
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Object)]
pub struct AuditTrail {
    pub conversation_id: String,
    pub stream_id: String,
    /// In stream order.
    pub events: Vec<AuditEvent>,
    /// Pass as `after_version` for the next page; absent on the last page.
    pub next_after_version: Option<u64>,
    /// With `as_of`: the moment asked for.
    pub as_of: Option<DateTime<Utc>>,
    /// With `as_of`: the conversation and its messages as they stood then, rebuilt from the events.
    pub state: Option<ConversationState>,
    /// The users who caused this page's events, so an auditor reads who acted by name (without needing
    /// to manage users). A user since deleted from the install is absent.
    pub people: Vec<AuditPerson>,
}

/// A user named in an audit trail.
#[derive(Debug, Clone, Object)]
pub struct AuditPerson {
    pub user_id: String,
    /// Their name, else their email.
    pub name: String,
}
