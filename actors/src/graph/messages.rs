//! Outbound messages: what an agent (or the bot) can send, checked against Meta's limits before anything
//! is queued, and turned into the body of `POST /{phone-number-id}/messages`.
//!
//! The same types are stored in the `message.queued` event and accepted by the inbox API, so what was asked
//! for, what was stored and what was sent cannot drift apart.

use super::client::{AccessToken, CallError, GraphClient, Success};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[cfg(feature = "openapi")]
use poem_openapi::{Object, Union};

use super::limits::{self, CAPTION as CAPTION_MAX, TEXT as TEXT_MAX};

/// A message to send, as stored and as the API accepts it: `kind` says which.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(Union))]
#[cfg_attr(
    feature = "openapi",
    oai(discriminator_name = "kind", rename_all = "snake_case")
)]
pub enum OutboundContent {
    #[cfg_attr(feature = "openapi", oai(mapping = "text"))]
    Text(TextMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "image"))]
    Image(ImageMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "audio"))]
    Audio(AudioMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "video"))]
    Video(VideoMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "document"))]
    Document(DocumentMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "sticker"))]
    Sticker(StickerMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "location"))]
    Location(LocationMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "contacts"))]
    Contacts(ContactsMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "reaction"))]
    Reaction(ReactionMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "template"))]
    Template(TemplateMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "buttons"))]
    Buttons(ButtonsMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "list"))]
    List(ListMessage),
    #[cfg_attr(feature = "openapi", oai(mapping = "cta_url"))]
    CtaUrl(CtaUrlMessage),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct TextMessage {
    /// Up to 4096 characters.
    pub body: String,
    /// Show a preview of the first URL in the text.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", oai(default))]
    pub preview_url: bool,
}

/// Where a media message's file comes from: a file uploaded to the inbox (`media_id`, from
/// `POST /api/v1/media`; uploaded to Meta when sent) or a public HTTPS `link` Meta fetches itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct MediaSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

macro_rules! media_message {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident),* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(Object))]
        pub struct $name {
            #[serde(flatten)]
            #[cfg_attr(feature = "openapi", oai(flatten))]
            pub source: MediaSource,
            $(
                $(#[$fdoc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<String>,
            )*
        }
    };
}

media_message!(
    /// JPEG or PNG, up to 5 MB.
    ImageMessage { caption }
);
media_message!(
    /// AAC, AMR, MP3, M4A or OGG (Opus), up to 16 MB.
    AudioMessage {}
);
media_message!(
    /// MP4 or 3GPP (H.264 and AAC), up to 16 MB.
    VideoMessage { caption }
);
media_message!(
    /// PDF, text or office documents, up to 100 MB.
    DocumentMessage {
        caption,
        /// The name the customer sees (and its extension).
        filename
    }
);
media_message!(
    /// WebP: static up to 100 KB, animated up to 500 KB.
    StickerMessage {}
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct LocationMessage {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// Contact cards in Meta's format (`name.formatted_name` is required; phones, emails, addresses, org,
/// urls and birthday are passed through).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct ContactsMessage {
    pub contacts: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct ReactionMessage {
    /// The wamid of the message reacted to.
    pub message_id: String,
    /// One emoji; empty removes the reaction.
    pub emoji: String,
}

/// An approved template; the only kind allowed outside the 24-hour window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct TemplateMessage {
    pub name: String,
    /// Language code as approved, such as `en_US`.
    pub language: String,
    /// Header, body and button parameters in Meta's format
    /// (`[{"type":"body","parameters":[{"type":"text","text":"John"}]}]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", oai(default))]
    pub components: Vec<Value>,
}

impl TemplateMessage {
    /// The text the customer reads, given the approved template's `components` as Meta lists them: its
    /// header (when it is text), body and footer, with this message's parameters in place of `{{1}}`,
    /// `{{2}}`, ... or of named ones (`{{first_name}}`). A placeholder without a parameter stays as it is.
    /// `None` when the template has no body text.
    pub fn text_of(&self, template: &[Value]) -> Option<String> {
        let part = |kind: &str| template.iter().find(|c| is_type(c, kind));
        let body = part("BODY")?.get("text")?.as_str()?;
        let header = part("HEADER")
            .filter(|h| {
                h.get("format")
                    .and_then(Value::as_str)
                    .is_none_or(|f| f.eq_ignore_ascii_case("TEXT"))
            })
            .and_then(|h| h.get("text")?.as_str());
        let footer = part("FOOTER").and_then(|f| f.get("text")?.as_str());
        let mut lines = Vec::new();
        if let Some(header) = header {
            lines.push(fill(header, &self.parameters("header")));
        }
        lines.push(fill(body, &self.parameters("body")));
        lines.extend(footer.map(str::to_owned));
        Some(lines.join("\n"))
    }

    /// What the inbox shows when the template's text is not known: its name, language and parameters.
    pub fn label(&self) -> String {
        let mut label = format!("Template {} ({})", self.name, self.language);
        let parameters: Vec<String> = ["header", "body"]
            .iter()
            .flat_map(|kind| self.parameters(kind))
            .map(|(_, text)| text)
            .collect();
        if !parameters.is_empty() {
            label.push_str(": ");
            label.push_str(&parameters.join(", "));
        }
        label
    }

    /// The parameters this message gives the template's `kind` component (`header`, `body`): each with
    /// its name, if named, and its text.
    fn parameters(&self, kind: &str) -> Vec<(Option<&str>, String)> {
        self.components
            .iter()
            .filter(|c| is_type(c, kind))
            .filter_map(|c| c.get("parameters")?.as_array())
            .flatten()
            .map(|p| {
                let name = p.get("parameter_name").and_then(Value::as_str);
                (name, parameter_text(p))
            })
            .collect()
    }
}

fn is_type(component: &Value, kind: &str) -> bool {
    component
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case(kind))
}

/// A parameter as the customer reads it: its text, the fallback Meta shows for a currency or a date, or
/// the kind of a media parameter.
fn parameter_text(parameter: &Value) -> String {
    let kind = parameter
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("text");
    let text = match kind {
        "text" => parameter.get("text"),
        "currency" | "date_time" => parameter.get(kind).and_then(|v| v.get("fallback_value")),
        _ => None,
    };
    match text.and_then(Value::as_str) {
        Some(text) => text.to_owned(),
        None => format!("[{kind}]"),
    }
}

/// `text` with each `{{key}}` replaced by its parameter: `{{1}}` is the first, `{{first_name}}` the one
/// of that name.
fn fill(text: &str, parameters: &[(Option<&str>, String)]) -> String {
    let mut filled = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(length) = rest[open + 2..].find("}}") else {
            break;
        };
        let placeholder = &rest[open..open + length + 4];
        let key = placeholder[2..placeholder.len() - 2].trim();
        let value = match key.parse::<usize>() {
            Ok(n) => n.checked_sub(1).and_then(|i| parameters.get(i)),
            Err(_) => parameters.iter().find(|(name, _)| *name == Some(key)),
        };
        filled.push_str(&rest[..open]);
        filled.push_str(value.map_or(placeholder, |(_, text)| text.as_str()));
        rest = &rest[open + placeholder.len()..];
    }
    filled.push_str(rest);
    filled
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct ReplyButton {
    /// Up to 256 characters; comes back in the customer's reply.
    pub id: String,
    /// Up to 20 characters.
    pub title: String,
}

/// Up to three reply buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct ButtonsMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    pub buttons: Vec<ReplyButton>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct ListRow {
    /// Up to 200 characters.
    pub id: String,
    /// Up to 24 characters.
    pub title: String,
    /// Up to 72 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct ListSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub rows: Vec<ListRow>,
}

/// A menu: up to ten sections with ten rows in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct ListMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// The button that opens the list, up to 20 characters.
    pub button: String,
    pub sections: Vec<ListSection>,
}

/// A call-to-action button that opens a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct CtaUrlMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// Up to 20 characters.
    pub display_text: String,
    pub url: String,
}

impl OutboundContent {
    /// Meta's message type for this content.
    pub fn graph_type(&self) -> &'static str {
        match self {
            OutboundContent::Text(_) => "text",
            OutboundContent::Image(_) => "image",
            OutboundContent::Audio(_) => "audio",
            OutboundContent::Video(_) => "video",
            OutboundContent::Document(_) => "document",
            OutboundContent::Sticker(_) => "sticker",
            OutboundContent::Location(_) => "location",
            OutboundContent::Contacts(_) => "contacts",
            OutboundContent::Reaction(_) => "reaction",
            OutboundContent::Template(_) => "template",
            OutboundContent::Buttons(_) | OutboundContent::List(_) | OutboundContent::CtaUrl(_) => {
                "interactive"
            }
        }
    }

    /// Our name for the kind (`text`, `buttons`, `cta_url`, ...), as in the API and the inbox view.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboundContent::Buttons(_) => "buttons",
            OutboundContent::List(_) => "list",
            OutboundContent::CtaUrl(_) => "cta_url",
            other => other.graph_type(),
        }
    }

    /// Templates may be sent at any time; everything else only within 24 hours of the customer's last
    /// message. Reactions count as free-form messages too.
    pub fn needs_open_window(&self) -> bool {
        !matches!(self, OutboundContent::Template(_))
    }

    /// The media file this message carries, if any.
    pub fn media(&self) -> Option<&MediaSource> {
        match self {
            OutboundContent::Image(m) => Some(&m.source),
            OutboundContent::Audio(m) => Some(&m.source),
            OutboundContent::Video(m) => Some(&m.source),
            OutboundContent::Document(m) => Some(&m.source),
            OutboundContent::Sticker(m) => Some(&m.source),
            _ => None,
        }
    }

    /// The words an agent wrote in it (a template's text is the template's, not theirs).
    pub fn text(&self) -> Option<&str> {
        match self {
            OutboundContent::Text(t) => Some(&t.body),
            OutboundContent::Image(m) => m.caption.as_deref(),
            OutboundContent::Video(m) => m.caption.as_deref(),
            OutboundContent::Document(m) => m.caption.as_deref(),
            OutboundContent::Buttons(b) => Some(&b.body),
            OutboundContent::List(l) => Some(&l.body),
            OutboundContent::CtaUrl(c) => Some(&c.body),
            _ => None,
        }
    }

    /// The text an inbox shows for it.
    pub fn preview(&self) -> Option<String> {
        match self {
            OutboundContent::Text(t) => Some(t.body.clone()),
            OutboundContent::Image(m) => m.caption.clone(),
            OutboundContent::Video(m) => m.caption.clone(),
            OutboundContent::Document(m) => m.caption.clone().or_else(|| m.filename.clone()),
            OutboundContent::Location(l) => l.name.clone().or_else(|| l.address.clone()),
            OutboundContent::Template(t) => Some(t.label()),
            OutboundContent::Buttons(b) => Some(b.body.clone()),
            OutboundContent::List(l) => Some(l.body.clone()),
            OutboundContent::CtaUrl(c) => Some(c.body.clone()),
            OutboundContent::Audio(_)
            | OutboundContent::Sticker(_)
            | OutboundContent::Contacts(_)
            | OutboundContent::Reaction(_) => None,
        }
    }

    /// Checks Meta's documented limits, so a message that Meta would refuse is refused before it is queued.
    /// The error says which field and why.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            OutboundContent::Text(t) => {
                non_empty("body", &t.body)?;
                at_most("body", &t.body, TEXT_MAX)
            }
            OutboundContent::Image(m) => {
                source(&m.source)?;
                opt_at_most("caption", &m.caption, CAPTION_MAX)
            }
            OutboundContent::Video(m) => {
                source(&m.source)?;
                opt_at_most("caption", &m.caption, CAPTION_MAX)
            }
            OutboundContent::Document(m) => {
                source(&m.source)?;
                opt_at_most("caption", &m.caption, CAPTION_MAX)?;
                opt_at_most("filename", &m.filename, limits::FILENAME)
            }
            OutboundContent::Audio(m) => source(&m.source),
            OutboundContent::Sticker(m) => source(&m.source),
            OutboundContent::Location(l) => {
                if !(-90.0..=90.0).contains(&l.latitude) || !(-180.0..=180.0).contains(&l.longitude)
                {
                    return Err("latitude must be within ±90 and longitude within ±180".into());
                }
                Ok(())
            }
            OutboundContent::Contacts(c) => {
                if c.contacts.is_empty() {
                    return Err("contacts must hold at least one contact".into());
                }
                for (i, contact) in c.contacts.iter().enumerate() {
                    let name = contact
                        .pointer("/name/formatted_name")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if name.trim().is_empty() {
                        return Err(format!("contacts[{i}].name.formatted_name is required"));
                    }
                }
                Ok(())
            }
            OutboundContent::Reaction(r) => {
                non_empty("message_id", &r.message_id)?;
                if r.emoji.chars().count() > 10 {
                    return Err("emoji must be a single emoji, or empty to remove".into());
                }
                Ok(())
            }
            OutboundContent::Template(t) => {
                non_empty("name", &t.name)?;
                non_empty("language", &t.language)?;
                if t.components.iter().any(|c| !c.is_object()) {
                    return Err("components must be objects in Meta's format".into());
                }
                Ok(())
            }
            OutboundContent::Buttons(b) => {
                interactive_texts(&b.header, &b.body, &b.footer)?;
                if b.buttons.is_empty() || b.buttons.len() > limits::BUTTONS {
                    return Err(format!(
                        "buttons must hold 1 to {} buttons",
                        limits::BUTTONS
                    ));
                }
                let mut ids = std::collections::HashSet::new();
                for (i, button) in b.buttons.iter().enumerate() {
                    non_empty(&format!("buttons[{i}].id"), &button.id)?;
                    at_most(&format!("buttons[{i}].id"), &button.id, limits::BUTTON_ID)?;
                    non_empty(&format!("buttons[{i}].title"), &button.title)?;
                    at_most(
                        &format!("buttons[{i}].title"),
                        &button.title,
                        limits::BUTTON_TITLE,
                    )?;
                    if !ids.insert(button.id.as_str()) {
                        return Err(format!("buttons[{i}].id repeats another button's id"));
                    }
                }
                Ok(())
            }
            OutboundContent::List(l) => {
                interactive_texts(&l.header, &l.body, &l.footer)?;
                non_empty("button", &l.button)?;
                at_most("button", &l.button, limits::LIST_BUTTON)?;
                if l.sections.is_empty() || l.sections.len() > limits::LIST_SECTIONS {
                    return Err(format!(
                        "sections must hold 1 to {} sections",
                        limits::LIST_SECTIONS
                    ));
                }
                let rows: usize = l.sections.iter().map(|s| s.rows.len()).sum();
                if rows == 0 || rows > limits::LIST_ROWS {
                    return Err(format!(
                        "the sections must hold 1 to {} rows in all",
                        limits::LIST_ROWS
                    ));
                }
                for (s, section) in l.sections.iter().enumerate() {
                    if l.sections.len() > 1 && section.title.as_deref().unwrap_or("").is_empty() {
                        return Err(format!(
                            "sections[{s}].title is required when there are several sections"
                        ));
                    }
                    opt_at_most(
                        &format!("sections[{s}].title"),
                        &section.title,
                        limits::LIST_SECTION_TITLE,
                    )?;
                    for (r, row) in section.rows.iter().enumerate() {
                        let at = format!("sections[{s}].rows[{r}]");
                        non_empty(&format!("{at}.id"), &row.id)?;
                        at_most(&format!("{at}.id"), &row.id, limits::LIST_ROW_ID)?;
                        non_empty(&format!("{at}.title"), &row.title)?;
                        at_most(&format!("{at}.title"), &row.title, limits::LIST_ROW_TITLE)?;
                        opt_at_most(
                            &format!("{at}.description"),
                            &row.description,
                            limits::LIST_ROW_DESCRIPTION,
                        )?;
                    }
                }
                Ok(())
            }
            OutboundContent::CtaUrl(c) => {
                interactive_texts(&c.header, &c.body, &c.footer)?;
                non_empty("display_text", &c.display_text)?;
                at_most("display_text", &c.display_text, limits::CTA_DISPLAY_TEXT)?;
                if !(c.url.starts_with("https://") || c.url.starts_with("http://")) {
                    return Err("url must be an http(s) URL".into());
                }
                Ok(())
            }
        }
    }

    /// The `{type}` object of Meta's request body. `uploaded` is Meta's media id for a file uploaded from
    /// the inbox's media store (`None` when the message has no such file).
    pub fn graph_object(&self, uploaded: Option<&str>) -> Value {
        let media = |source: &MediaSource, extra: &[(&str, &Option<String>)]| {
            let mut object = Map::new();
            match (uploaded, &source.link) {
                (Some(id), _) => {
                    object.insert("id".into(), json!(id));
                }
                (None, Some(link)) => {
                    object.insert("link".into(), json!(link));
                }
                (None, None) => {}
            }
            for (key, value) in extra {
                if let Some(value) = value {
                    object.insert((*key).into(), json!(value));
                }
            }
            Value::Object(object)
        };
        let interactive = |kind: &str,
                           header: &Option<String>,
                           body: &str,
                           footer: &Option<String>,
                           action: Value| {
            let mut object = json!({ "type": kind, "body": { "text": body }, "action": action });
            if let Some(h) = header {
                object["header"] = json!({ "type": "text", "text": h });
            }
            if let Some(f) = footer {
                object["footer"] = json!({ "text": f });
            }
            object
        };
        match self {
            OutboundContent::Text(t) => json!({ "body": t.body, "preview_url": t.preview_url }),
            OutboundContent::Image(m) => media(&m.source, &[("caption", &m.caption)]),
            OutboundContent::Audio(m) => media(&m.source, &[]),
            OutboundContent::Video(m) => media(&m.source, &[("caption", &m.caption)]),
            OutboundContent::Document(m) => media(
                &m.source,
                &[("caption", &m.caption), ("filename", &m.filename)],
            ),
            OutboundContent::Sticker(m) => media(&m.source, &[]),
            OutboundContent::Location(l) => serde_json::to_value(l).unwrap_or(Value::Null),
            OutboundContent::Contacts(c) => Value::Array(c.contacts.clone()),
            OutboundContent::Reaction(r) => json!({ "message_id": r.message_id, "emoji": r.emoji }),
            OutboundContent::Template(t) => {
                let mut object = json!({
                    "name": t.name,
                    "language": { "code": t.language, "policy": "deterministic" },
                });
                if !t.components.is_empty() {
                    object["components"] = Value::Array(t.components.clone());
                }
                object
            }
            OutboundContent::Buttons(b) => interactive(
                "button",
                &b.header,
                &b.body,
                &b.footer,
                json!({ "buttons": b.buttons.iter().map(|button| json!({
                    "type": "reply",
                    "reply": { "id": button.id, "title": button.title },
                })).collect::<Vec<_>>() }),
            ),
            OutboundContent::List(l) => interactive(
                "list",
                &l.header,
                &l.body,
                &l.footer,
                json!({ "button": l.button, "sections": l.sections }),
            ),
            OutboundContent::CtaUrl(c) => interactive(
                "cta_url",
                &c.header,
                &c.body,
                &c.footer,
                json!({
                    "name": "cta_url",
                    "parameters": { "display_text": c.display_text, "url": c.url },
                }),
            ),
        }
    }
}

fn non_empty(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err(format!("{field} must not be empty"))
    } else {
        Ok(())
    }
}

fn at_most(field: &str, value: &str, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n > max {
        Err(format!("{field} has {n} characters; Meta allows {max}"))
    } else {
        Ok(())
    }
}

fn opt_at_most(field: &str, value: &Option<String>, max: usize) -> Result<(), String> {
    value.as_deref().map_or(Ok(()), |v| at_most(field, v, max))
}

fn interactive_texts(
    header: &Option<String>,
    body: &str,
    footer: &Option<String>,
) -> Result<(), String> {
    opt_at_most("header", header, limits::INTERACTIVE_HEADER)?;
    non_empty("body", body)?;
    at_most("body", body, limits::INTERACTIVE_BODY)?;
    opt_at_most("footer", footer, limits::INTERACTIVE_FOOTER)
}

fn source(source: &MediaSource) -> Result<(), String> {
    match (&source.media_id, &source.link) {
        (Some(_), Some(_)) => Err("give either media_id or link, not both".into()),
        (None, None) => Err("a media message needs media_id (an uploaded file) or link".into()),
        (Some(id), None) => non_empty("media_id", id),
        (None, Some(link)) if link.starts_with("https://") || link.starts_with("http://") => Ok(()),
        (None, Some(_)) => Err("link must be an http(s) URL".into()),
    }
}

/// One message to one recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// The customer's WhatsApp id (or phone number with `+`), or a group id.
    pub to: String,
    #[serde(default)]
    pub group: bool,
    /// Quote this message (a wamid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    pub content: OutboundContent,
    /// Echoed back by Meta in this message's status webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_data: Option<String>,
    /// A template's text as the customer reads it ([`TemplateMessage::text_of`]), when the inbox knew the
    /// approved template as it queued the message; the inbox shows it instead of the template's name.
    /// Never sent to Meta.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_text: Option<String>,
}

impl OutboundMessage {
    /// The body of `POST /{phone-number-id}/messages`.
    pub fn graph_body(&self, uploaded_media: Option<&str>) -> Value {
        let kind = self.content.graph_type();
        let mut body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": if self.group { "group" } else { "individual" },
            "to": self.to,
            "type": kind,
        });
        body[kind] = self.content.graph_object(uploaded_media);
        if let Some(reply_to) = &self.reply_to {
            body["context"] = json!({ "message_id": reply_to });
        }
        if let Some(data) = &self.callback_data {
            body["biz_opaque_callback_data"] = json!(data);
        }
        body
    }
}

/// Meta's answer to a send: it accepted the message (delivery is reported later by webhook).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResponse {
    /// The message's id (`wamid....`), the key of its status webhooks.
    pub wamid: String,
    /// The recipient's WhatsApp id as Meta normalised it (may differ from what was sent).
    pub wa_id: Option<String>,
    /// Pacing state for templates (`accepted`, `held_for_quality_assessment`, ...).
    pub message_status: Option<String>,
}

#[derive(Deserialize)]
struct RawSendResponse {
    #[serde(default)]
    contacts: Vec<RawContact>,
    #[serde(default)]
    messages: Vec<RawMessageId>,
}

#[derive(Deserialize)]
struct RawContact {
    wa_id: Option<String>,
}

#[derive(Deserialize)]
struct RawMessageId {
    id: String,
    message_status: Option<String>,
}

impl GraphClient {
    /// `POST /{phone-number-id}/messages`.
    pub async fn send_message(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
        message: &OutboundMessage,
        uploaded_media: Option<&str>,
    ) -> Result<SendResponse, CallError> {
        let request = self
            .request(Method::POST, &format!("{phone_number_id}/messages"), token)
            .json(&message.graph_body(uploaded_media));
        let raw: RawSendResponse = self.call(request).await?;
        let first = raw
            .messages
            .into_iter()
            .next()
            .ok_or_else(|| CallError::Unexpected {
                message: "the answer names no message id".into(),
            })?;
        Ok(SendResponse {
            wamid: first.id,
            wa_id: raw.contacts.into_iter().next().and_then(|c| c.wa_id),
            message_status: first.message_status,
        })
    }

    /// Marks a customer's message (and the ones before it) read; optionally shows "typing…" for up to 25 s.
    pub async fn mark_read(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
        wamid: &str,
        typing: bool,
    ) -> Result<Success, CallError> {
        let mut body =
            json!({ "messaging_product": "whatsapp", "status": "read", "message_id": wamid });
        if typing {
            body["typing_indicator"] = json!({ "type": "text" });
        }
        let request = self
            .request(Method::POST, &format!("{phone_number_id}/messages"), token)
            .json(&body);
        self.call(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(components: Value) -> TemplateMessage {
        serde_json::from_value(json!({
            "name": "order_update",
            "language": "en_US",
            "components": components,
        }))
        .unwrap()
    }

    #[test]
    fn a_templates_text_has_its_parameters_in_place() {
        let approved = json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
            {"type": "BODY", "text": "Hello {{1}}, your {{2}} ships on {{3}} for {{4}}. {{5}}"},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Thanks"}]}
        ]);
        let message = template(json!([
            {"type": "header", "parameters": [{"type": "text", "text": "#1234"}]},
            {"type": "body", "parameters": [
                {"type": "text", "text": "Ann"},
                {"type": "text", "text": "Speedmaster"},
                {"type": "date_time", "date_time": {"fallback_value": "12 May"}},
                {"type": "currency", "currency": {"fallback_value": "€9,500", "code": "EUR", "amount_1000": 9500000}}
            ]}
        ]));
        assert_eq!(
            message.text_of(approved.as_array().unwrap()).as_deref(),
            Some(
                "Order #1234\nHello Ann, your Speedmaster ships on 12 May for €9,500. {{5}}\n\
                 Reply STOP to opt out"
            )
        );
    }

    #[test]
    fn named_parameters_fill_their_names_and_a_media_header_is_left_out() {
        let approved = json!([
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Hi {{first_name}}, {{ first_name }}!"}
        ]);
        let message = template(json!([
            {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/a.jpg"}}]},
            {"type": "body", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "Ann"}]}
        ]));
        assert_eq!(
            message.text_of(approved.as_array().unwrap()).as_deref(),
            Some("Hi Ann, Ann!")
        );
        assert_eq!(message.text_of(&[]), None, "no body, no text");
    }

    #[test]
    fn without_its_text_a_template_shows_its_name_language_and_parameters() {
        let bare = template(json!([]));
        assert_eq!(
            OutboundContent::Template(bare).preview().as_deref(),
            Some("Template order_update (en_US)")
        );
        let message = template(json!([
            {"type": "header", "parameters": [{"type": "image", "image": {"id": "1"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Ann"}, {"type": "text", "text": "#1234"}]}
        ]));
        assert_eq!(
            message.label(),
            "Template order_update (en_US): [image], Ann, #1234"
        );
    }
}
