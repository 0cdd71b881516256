//! The facts recorded on account streams.

use super::sealed::Sealed;
use crate::conversation::message::str_at;
use crate::event::{DecodeError, DomainEvent, RecordedEvent};
use crate::json::{from_stored_str, JsonText};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A WhatsApp business number as configured by the operator (from the environment at start-up, or
/// through the API). Each event holds the whole configuration; secrets are sealed under the master key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountConfigured {
    pub phone_number_id: String,
    /// The number as people dial it (`WHATSAPP_PHONE_NUMBER`).
    pub phone_number: Option<String>,
    pub meta_app_id: Option<String>,
    /// What the inbox calls this number ("Shop", "Support").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The WhatsApp Business Account the number belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_account_id: Option<String>,
    /// The Graph API access token the number sends with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<Sealed>,
    /// The token Meta's verification request must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<Sealed>,
    /// The secret of the Meta app whose webhooks carry this number's messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_secret: Option<Sealed>,
}

impl AccountConfigured {
    /// A configuration with only the number's id.
    pub fn new(phone_number_id: impl Into<String>) -> Self {
        AccountConfigured {
            phone_number_id: phone_number_id.into(),
            phone_number: None,
            meta_app_id: None,
            name: None,
            business_account_id: None,
            access_token: None,
            verify_token: None,
            app_secret: None,
        }
    }

    /// Where a secret field of this account is sealed for (what binds the ciphertext to its place).
    pub fn context(phone_number_id: &str, field: &str) -> String {
        format!("account/{phone_number_id}/{field}")
    }
}

/// One change of a webhook body that is about an account rather than a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountChange {
    /// The webhook field (`account_update`, `message_template_status_update`, `calls`, ...), or a name of
    /// ours for things that are not a change (`unrecognised_body`, `unroutable_message`, `errors`).
    pub field: String,
    /// The WhatsApp Business Account id (`entry[].id`), when the body had one.
    pub waba_id: Option<String>,
    /// `entry[].time`, or the change's own timestamp.
    pub time: Option<DateTime<Utc>>,
    /// The change's `value` (or the whole body) exactly as Meta sent it.
    pub value: Value,
}

impl AccountChange {
    /// A string field of the change's value.
    pub fn str(&self, key: &str) -> Option<String> {
        str_at(&self.value, key)
    }
}

/// The number's bot settings, whole, as someone saved them. `version` counts the saves from 1: it is
/// the playbook version each bot turn names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotConfigured {
    /// The save's own id (the event id derives from it).
    pub save_id: uuid::Uuid,
    pub version: u64,
    pub settings: crate::bot::settings::BotSettings,
    pub at: DateTime<Utc>,
}

/// A question and answer of the bot's knowledge base, added or changed. The bot retrieves the ones
/// closest to a customer's message into its prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotQaSaved {
    pub qa_id: uuid::Uuid,
    pub question: String,
    pub answer: String,
    /// The conversation it was proposed from, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_conversation: Option<String>,
    pub at: DateTime<Utc>,
    /// The save's own id (the event id derives from it).
    pub save_id: uuid::Uuid,
}

/// A question and answer removed from the bot's knowledge base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotQaRemoved {
    pub qa_id: uuid::Uuid,
    pub at: DateTime<Utc>,
}

/// The number's team-work settings (business hours, away message, automatic assignment), whole, as
/// someone saved them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamworkConfigured {
    /// The save's own id (the event id derives from it).
    pub save_id: uuid::Uuid,
    pub settings: crate::teamwork::TeamworkSettings,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AccountEvent {
    Configured(AccountConfigured),
    /// `phone_number_quality_update`: the number's quality or messaging limit changed.
    QualityUpdated(AccountChange),
    /// `message_template_status_update`: a template was approved, rejected, paused, ...
    TemplateStatusUpdated(AccountChange),
    /// `account_update`: violations, restrictions, partner changes, ...
    AccountUpdated(AccountChange),
    /// Any other change, kept raw.
    ChangeRecorded(AccountChange),
    /// Someone saved the number's bot settings.
    BotConfigured(BotConfigured),
    BotQaSaved(BotQaSaved),
    BotQaRemoved(BotQaRemoved),
    /// Someone saved the number's team-work settings.
    TeamworkConfigured(TeamworkConfigured),
}

impl AccountEvent {
    pub const CONFIGURED: &'static str = "account.configured";
    pub const QUALITY_UPDATED: &'static str = "account.quality_updated";
    pub const TEMPLATE_STATUS_UPDATED: &'static str = "account.template_status_updated";
    pub const ACCOUNT_UPDATED: &'static str = "account.updated";
    pub const CHANGE_RECORDED: &'static str = "account.change_recorded";
    pub const BOT_CONFIGURED: &'static str = "bot.configured";
    pub const BOT_QA_SAVED: &'static str = "bot.qa_saved";
    pub const BOT_QA_REMOVED: &'static str = "bot.qa_removed";
    pub const TEAMWORK_CONFIGURED: &'static str = "teamwork.configured";

    pub fn from_change(change: AccountChange) -> AccountEvent {
        match change.field.as_str() {
            "phone_number_quality_update" => AccountEvent::QualityUpdated(change),
            "message_template_status_update" => AccountEvent::TemplateStatusUpdated(change),
            "account_update" => AccountEvent::AccountUpdated(change),
            _ => AccountEvent::ChangeRecorded(change),
        }
    }

    fn change(&self) -> Option<&AccountChange> {
        match self {
            AccountEvent::Configured(_)
            | AccountEvent::BotConfigured(_)
            | AccountEvent::BotQaSaved(_)
            | AccountEvent::BotQaRemoved(_)
            | AccountEvent::TeamworkConfigured(_) => None,
            AccountEvent::QualityUpdated(c)
            | AccountEvent::TemplateStatusUpdated(c)
            | AccountEvent::AccountUpdated(c)
            | AccountEvent::ChangeRecorded(c) => Some(c),
        }
    }
}

impl DomainEvent for AccountEvent {
    const SCHEMA_VERSION: u32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            AccountEvent::Configured(_) => Self::CONFIGURED,
            AccountEvent::QualityUpdated(_) => Self::QUALITY_UPDATED,
            AccountEvent::TemplateStatusUpdated(_) => Self::TEMPLATE_STATUS_UPDATED,
            AccountEvent::AccountUpdated(_) => Self::ACCOUNT_UPDATED,
            AccountEvent::ChangeRecorded(_) => Self::CHANGE_RECORDED,
            AccountEvent::BotConfigured(_) => Self::BOT_CONFIGURED,
            AccountEvent::BotQaSaved(_) => Self::BOT_QA_SAVED,
            AccountEvent::BotQaRemoved(_) => Self::BOT_QA_REMOVED,
            AccountEvent::TeamworkConfigured(_) => Self::TEAMWORK_CONFIGURED,
        }
    }

    fn natural_key(&self) -> String {
        // serde_json sorts object keys, so the same change always serialises to the same text.
        match self {
            AccountEvent::Configured(c) => serde_json::to_string(c).unwrap_or_default(),
            AccountEvent::BotConfigured(b) => b.save_id.to_string(),
            AccountEvent::BotQaSaved(q) => q.save_id.to_string(),
            AccountEvent::TeamworkConfigured(t) => t.save_id.to_string(),
            // Removed once: removing it again changes nothing.
            AccountEvent::BotQaRemoved(q) => format!("qa-removed:{}", q.qa_id),
            other => other
                .change()
                .and_then(|c| serde_json::to_string(c).ok())
                .unwrap_or_default(),
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        match self {
            AccountEvent::BotConfigured(b) => Some(b.at),
            AccountEvent::BotQaSaved(q) => Some(q.at),
            AccountEvent::BotQaRemoved(q) => Some(q.at),
            AccountEvent::TeamworkConfigured(t) => Some(t.at),
            other => other.change().and_then(|c| c.time),
        }
    }

    fn payload(&self) -> JsonText {
        match self {
            AccountEvent::Configured(c) => JsonText::of(c),
            AccountEvent::BotConfigured(b) => JsonText::of(b),
            AccountEvent::BotQaSaved(q) => JsonText::of(q),
            AccountEvent::BotQaRemoved(q) => JsonText::of(q),
            AccountEvent::TeamworkConfigured(t) => JsonText::of(t),
            other => JsonText::of(&other.change()),
        }
    }

    fn from_recorded(event: &RecordedEvent) -> Result<Self, DecodeError> {
        let payload = event.payload.text();
        let change = || from_stored_str::<AccountChange>(payload);
        let decoded = match (event.event_type.as_str(), event.schema_version) {
            (Self::CONFIGURED, 1) => from_stored_str(payload).map(AccountEvent::Configured),
            (Self::QUALITY_UPDATED, 1) => change().map(AccountEvent::QualityUpdated),
            (Self::TEMPLATE_STATUS_UPDATED, 1) => change().map(AccountEvent::TemplateStatusUpdated),
            (Self::ACCOUNT_UPDATED, 1) => change().map(AccountEvent::AccountUpdated),
            (Self::CHANGE_RECORDED, 1) => change().map(AccountEvent::ChangeRecorded),
            (Self::BOT_CONFIGURED, 1) => from_stored_str(payload).map(AccountEvent::BotConfigured),
            (Self::BOT_QA_SAVED, 1) => from_stored_str(payload).map(AccountEvent::BotQaSaved),
            (Self::BOT_QA_REMOVED, 1) => from_stored_str(payload).map(AccountEvent::BotQaRemoved),
            (Self::TEAMWORK_CONFIGURED, 1) => {
                from_stored_str(payload).map(AccountEvent::TeamworkConfigured)
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
