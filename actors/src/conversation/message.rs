//! What a customer (or the business app, for echoes) said, as recorded on conversation events.
//!
//! Parsed from Meta's message objects. Every kind Meta documents has a typed variant; anything else is
//! kept as [`MessageContent::Unknown`]. The raw message JSON is always kept beside the parsed form, so a
//! later schema can re-read what we did not model.

use crate::json::JsonText;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message a customer sent to the business.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Meta's message id (`wamid...`).
    pub wamid: String,
    /// The sender's WhatsApp id (phone number without `+`); may be absent for username-only users.
    pub from: Option<String>,
    /// The sender's business-scoped user id (`US.…`).
    pub from_user_id: Option<String>,
    /// The group the message was sent in, for group conversations.
    pub group_id: Option<String>,
    /// When Meta says the message was sent.
    pub timestamp: Option<DateTime<Utc>>,
    /// Meta's `type` as given (`text`, `image`, `interactive`, ...).
    pub kind: String,
    pub content: MessageContent,
    pub context: MessageContext,
    /// Problems Meta reports with this message (for example 131051 for unsupported types).
    pub errors: Vec<MetaError>,
    /// The message object exactly as Meta sent it, kept as text: it is only ever written back out.
    pub raw: JsonText,
}

/// A message the business sent from the WhatsApp Business app (coexistence `smb_message_echoes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EchoedMessage {
    pub wamid: String,
    /// The customer it was sent to.
    pub to: Option<String>,
    pub to_user_id: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    pub kind: String,
    pub content: MessageContent,
    /// As Meta sent it, as text (see [`InboundMessage::raw`]).
    pub raw: JsonText,
}

/// Where a message points: the message it replies to, whether it was forwarded, the ad it came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageContext {
    /// The message this one replies to (or the message whose button was tapped).
    pub reply_to: Option<String>,
    pub forwarded: bool,
    pub frequently_forwarded: bool,
    /// The catalogue product the customer asked about.
    pub referred_product: Option<Value>,
    /// The ad or post that started the conversation (click-to-WhatsApp).
    pub referral: Option<Referral>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    pub source_url: Option<String>,
    pub source_id: Option<String>,
    pub source_type: Option<String>,
    pub headline: Option<String>,
    pub body: Option<String>,
    pub media_type: Option<String>,
    pub ctwa_clid: Option<String>,
}

/// A media attachment as Meta describes it; the file itself is fetched later by a policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Media {
    pub media_id: Option<String>,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub caption: Option<String>,
    pub filename: Option<String>,
    /// Newer webhooks carry a (short-lived) download URL.
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "content_type", rename_all = "snake_case")]
pub enum MessageContent {
    Text {
        body: String,
    },
    Image {
        media: Media,
    },
    Audio {
        media: Media,
        voice: bool,
    },
    Video {
        media: Media,
    },
    Document {
        media: Media,
    },
    Sticker {
        media: Media,
        animated: bool,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
        url: Option<String>,
    },
    /// Contact cards, kept as Meta sent them.
    Contacts {
        contacts: Vec<Value>,
    },
    /// A tap on an interactive reply button.
    ButtonReply {
        id: String,
        title: String,
    },
    /// A choice from an interactive list.
    ListReply {
        id: String,
        title: String,
        description: Option<String>,
    },
    /// A completed WhatsApp Flow; `response_json` is the flow's answer as Meta sent it (a JSON string).
    FlowReply {
        name: Option<String>,
        body: Option<String>,
        response_json: Option<String>,
    },
    /// A tap on a template's quick-reply button.
    TemplateButton {
        payload: Option<String>,
        text: Option<String>,
    },
    /// A reaction to another message; `emoji: None` removes the reaction.
    Reaction {
        message_id: String,
        emoji: Option<String>,
    },
    Order {
        catalog_id: Option<String>,
        text: Option<String>,
        product_items: Vec<Value>,
    },
    /// A system notice, such as `user_changed_number` (with the new wa_id) or `customer_identity_changed`.
    System {
        system_type: Option<String>,
        body: Option<String>,
        new_wa_id: Option<String>,
    },
    /// The customer edited an earlier message; `content` is the new version.
    Edit {
        original_message_id: String,
        content: Box<MessageContent>,
    },
    /// The customer deleted an earlier message for everyone.
    Revoke {
        original_message_id: String,
    },
    /// Meta could not show us this message (`type: unsupported`), e.g. polls.
    Unsupported {
        unsupported_type: Option<String>,
    },
    /// A kind we do not model, or a known kind whose fields were missing; the raw message has it all.
    Unknown {
        kind: String,
    },
}

impl MessageContent {
    /// The words the customer wrote: a text, a file's caption, or an edit's new text.
    pub fn text(&self) -> Option<&str> {
        match self {
            MessageContent::Text { body } => Some(body),
            MessageContent::Image { media }
            | MessageContent::Video { media }
            | MessageContent::Document { media } => media.caption.as_deref(),
            MessageContent::Edit { content, .. } => content.text(),
            _ => None,
        }
    }

    /// Whether the message stands on its own in the conversation. Reactions, edits and revocations only
    /// change another message; they are not shown (or counted as unread) by themselves.
    pub fn is_standalone(&self) -> bool {
        !matches!(
            self,
            MessageContent::Reaction { .. }
                | MessageContent::Edit { .. }
                | MessageContent::Revoke { .. }
        )
    }
}

/// Meta's error object, as found in webhooks (`errors[]`) and Graph API responses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaError {
    pub code: Option<i64>,
    pub title: Option<String>,
    pub message: Option<String>,
    pub details: Option<String>,
    pub href: Option<String>,
}

impl MetaError {
    pub fn parse_list(value: Option<&Value>) -> Vec<MetaError> {
        value
            .and_then(Value::as_array)
            .map(|a| a.iter().map(MetaError::parse).collect())
            .unwrap_or_default()
    }

    fn parse(value: &Value) -> MetaError {
        MetaError {
            code: value.get("code").and_then(Value::as_i64),
            title: str_at(value, "title"),
            message: str_at(value, "message"),
            details: value.get("error_data").and_then(|d| str_at(d, "details")),
            href: str_at(value, "href"),
        }
    }
}

pub(crate) fn str_at(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Meta's timestamps are Unix seconds, usually as strings. Only years 1 to 9999 are read: PostgreSQL's
/// `timestamptz` holds 4713 BC to 294276 AD, and a time it cannot hold would make the store refuse the
/// whole fact. Any other value gives `None`; the raw message keeps what Meta sent.
pub(crate) fn timestamp_at(value: &Value, key: &str) -> Option<DateTime<Utc>> {
    let seconds = match value.get(key)? {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    DateTime::from_timestamp(seconds, 0).filter(|t| (1..=9999).contains(&t.year()))
}

impl InboundMessage {
    /// Reads one element of a webhook's `messages[]`. `None` when it has no id (then it cannot be told
    /// apart from its redeliveries, and the caller records it raw instead).
    pub fn parse(raw: &Value) -> Option<InboundMessage> {
        let wamid = str_at(raw, "id").filter(|s| !s.is_empty())?;
        let kind = str_at(raw, "type").unwrap_or_else(|| "unknown".to_owned());
        let context = raw.get("context");
        Some(InboundMessage {
            wamid,
            from: str_at(raw, "from"),
            from_user_id: str_at(raw, "from_user_id"),
            group_id: str_at(raw, "group_id"),
            timestamp: timestamp_at(raw, "timestamp"),
            content: MessageContent::parse(&kind, raw),
            context: MessageContext {
                reply_to: context.and_then(|c| str_at(c, "id")),
                forwarded: context
                    .and_then(|c| c.get("forwarded"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                frequently_forwarded: context
                    .and_then(|c| c.get("frequently_forwarded"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                referred_product: context.and_then(|c| c.get("referred_product")).cloned(),
                referral: raw.get("referral").map(Referral::parse),
            },
            errors: MetaError::parse_list(raw.get("errors")),
            kind,
            raw: JsonText::of(raw),
        })
    }
}

impl EchoedMessage {
    pub fn parse(raw: &Value) -> Option<EchoedMessage> {
        let wamid = str_at(raw, "id").filter(|s| !s.is_empty())?;
        let kind = str_at(raw, "type").unwrap_or_else(|| "unknown".to_owned());
        Some(EchoedMessage {
            wamid,
            to: str_at(raw, "to"),
            to_user_id: str_at(raw, "to_user_id"),
            timestamp: timestamp_at(raw, "timestamp"),
            content: MessageContent::parse(&kind, raw),
            kind,
            raw: JsonText::of(raw),
        })
    }
}

impl Referral {
    fn parse(raw: &Value) -> Referral {
        Referral {
            source_url: str_at(raw, "source_url"),
            source_id: str_at(raw, "source_id"),
            source_type: str_at(raw, "source_type"),
            headline: str_at(raw, "headline"),
            body: str_at(raw, "body"),
            media_type: str_at(raw, "media_type"),
            ctwa_clid: str_at(raw, "ctwa_clid"),
        }
    }
}

impl Media {
    fn parse(raw: &Value) -> Media {
        Media {
            media_id: str_at(raw, "id"),
            mime_type: str_at(raw, "mime_type"),
            sha256: str_at(raw, "sha256"),
            caption: str_at(raw, "caption"),
            filename: str_at(raw, "filename"),
            url: str_at(raw, "url"),
        }
    }
}

impl MessageContent {
    /// Reads the content of a message object whose `type` is `kind`.
    pub fn parse(kind: &str, message: &Value) -> MessageContent {
        Self::try_parse(kind, message).unwrap_or_else(|| MessageContent::Unknown {
            kind: kind.to_owned(),
        })
    }

    fn try_parse(kind: &str, message: &Value) -> Option<MessageContent> {
        let body = message.get(kind);
        let flag = |key: &str| {
            body.and_then(|b| b.get(key))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        Some(match kind {
            "text" => MessageContent::Text {
                body: str_at(body?, "body")?,
            },
            "image" => MessageContent::Image {
                media: Media::parse(body?),
            },
            "audio" => MessageContent::Audio {
                media: Media::parse(body?),
                voice: flag("voice"),
            },
            "voice" => MessageContent::Audio {
                media: Media::parse(body?),
                voice: true,
            },
            "video" => MessageContent::Video {
                media: Media::parse(body?),
            },
            "document" => MessageContent::Document {
                media: Media::parse(body?),
            },
            "sticker" => MessageContent::Sticker {
                media: Media::parse(body?),
                animated: flag("animated"),
            },
            "location" => {
                let b = body?;
                MessageContent::Location {
                    latitude: b.get("latitude")?.as_f64()?,
                    longitude: b.get("longitude")?.as_f64()?,
                    name: str_at(b, "name"),
                    address: str_at(b, "address"),
                    url: str_at(b, "url"),
                }
            }
            "contacts" => MessageContent::Contacts {
                contacts: body?.as_array()?.clone(),
            },
            "interactive" => Self::parse_interactive(body?)?,
            "button" => {
                let b = body?;
                MessageContent::TemplateButton {
                    payload: str_at(b, "payload"),
                    text: str_at(b, "text"),
                }
            }
            "reaction" => {
                let b = body?;
                MessageContent::Reaction {
                    message_id: str_at(b, "message_id")?,
                    // An empty or missing emoji means the reaction was removed.
                    emoji: str_at(b, "emoji").filter(|e| !e.is_empty()),
                }
            }
            "order" => {
                let b = body?;
                MessageContent::Order {
                    catalog_id: str_at(b, "catalog_id"),
                    text: str_at(b, "text").filter(|t| !t.is_empty()),
                    product_items: b
                        .get("product_items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                }
            }
            "system" => {
                let b = body?;
                MessageContent::System {
                    system_type: str_at(b, "type"),
                    body: str_at(b, "body"),
                    new_wa_id: str_at(b, "wa_id"),
                }
            }
            "edit" => {
                let b = body?;
                let inner = b.get("message")?;
                let inner_kind = str_at(inner, "type")?;
                MessageContent::Edit {
                    original_message_id: str_at(b, "original_message_id")?,
                    content: Box::new(MessageContent::parse(&inner_kind, inner)),
                }
            }
            "revoke" => MessageContent::Revoke {
                original_message_id: str_at(body?, "original_message_id")?,
            },
            "unsupported" => MessageContent::Unsupported {
                unsupported_type: body.and_then(|b| str_at(b, "type")),
            },
            _ => return None,
        })
    }

    fn parse_interactive(body: &Value) -> Option<MessageContent> {
        let kind = str_at(body, "type")?;
        let reply = body.get(&kind)?;
        Some(match kind.as_str() {
            "button_reply" => MessageContent::ButtonReply {
                id: str_at(reply, "id")?,
                title: str_at(reply, "title")?,
            },
            "list_reply" => MessageContent::ListReply {
                id: str_at(reply, "id")?,
                title: str_at(reply, "title")?,
                description: str_at(reply, "description"),
            },
            "nfm_reply" => MessageContent::FlowReply {
                name: str_at(reply, "name"),
                body: str_at(reply, "body"),
                response_json: str_at(reply, "response_json"),
            },
            _ => return None,
        })
    }
}
