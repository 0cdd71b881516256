//! The bot's configuration for one number: what it knows (the business profile, the playbook, free
//! knowledge, custom fields) and how it behaves (its phrases, when it hands over, to whom). Recorded whole
//! on the account stream as `bot.configured`, so each change is versioned, attributed and replayable.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use poem_openapi::Object;

/// What the bot says when it hands over (the original system's phrase).
pub const DEFAULT_FALLBACK_PHRASE: &str =
    "Je me renseigne auprès d'un collègue et je reviens vers vous au plus vite.";
/// What the bot says to a file, a picture, a sticker or a location it cannot read.
pub const DEFAULT_ATTACHMENT_PHRASE: &str =
    "Je ne peux pas lire ce type de contenu, peux-tu me l'écrire ?";
/// Below this confidence the bot hands over instead of answering.
pub const DEFAULT_CONFIDENCE_THRESHOLD: f64 = 0.72;
/// How many earlier messages of the conversation go with each question.
pub const DEFAULT_HISTORY_MESSAGES: u32 = 12;
/// More replies than this within [`DEFAULT_REPLY_WINDOW_MINUTES`] and the bot hands over: a customer
/// the bot answers that often is not being helped.
pub const DEFAULT_MAX_REPLIES: u32 = 6;
/// See [`DEFAULT_MAX_REPLIES`].
pub const DEFAULT_REPLY_WINDOW_MINUTES: u32 = 10;

/// The longest text of any one field.
pub const FIELD_MAX: usize = 20_000;
/// The longest playbook, knowledge and fields together: what goes into every prompt.
pub const TOTAL_MAX: usize = 100_000;
/// The most custom fields.
pub const CUSTOM_FIELDS_MAX: usize = 50;
/// The most earlier messages sent with a question.
pub const HISTORY_MAX: u32 = 50;

/// The business as the bot introduces it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(Object),
    oai(rename = "BotBusinessProfile")
)]
#[serde(default)]
pub struct BusinessProfile {
    pub name: String,
    pub description: String,
    pub address: String,
    pub opening_hours: String,
}

/// The playbook in the original system's ten sections. Empty sections are left out of the prompt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object), oai(rename = "BotPlaybook"))]
#[serde(default)]
pub struct Playbook {
    /// Role, mission, language, tone, style, security.
    pub system_rules: String,
    pub company_information: String,
    /// Offers by category.
    pub offers: String,
    /// Conditions and required documents.
    pub conditions: String,
    /// Simplified procedures.
    pub procedures: String,
    pub faq: String,
    /// Special cases and their standard answers.
    pub special_cases: String,
    pub useful_links: String,
    /// When and how a person takes over.
    pub escalation_procedure: String,
    /// Rules for the bot itself.
    pub bot_rules: String,
    /// A free text instead of (or besides) the sections.
    pub pitch: String,
}

impl Playbook {
    /// Each section with its title, in the playbook's order (the titles the prompt and the editor show).
    pub fn sections(&self) -> [(&'static str, &str); 11] {
        [
            ("System rules", &self.system_rules),
            ("Company information", &self.company_information),
            ("Offers", &self.offers),
            ("Conditions and required documents", &self.conditions),
            ("Procedures", &self.procedures),
            ("Frequently asked questions", &self.faq),
            ("Special cases", &self.special_cases),
            ("Useful links", &self.useful_links),
            ("Human escalation procedure", &self.escalation_procedure),
            ("Bot rules", &self.bot_rules),
            ("Pitch", &self.pitch),
        ]
    }
}

/// A named fact the business wants the bot to know ("Delivery time": "2 to 3 days").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object), oai(rename = "BotCustomField"))]
pub struct CustomField {
    pub name: String,
    pub value: String,
}

/// The whole configuration of one number's bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
#[serde(default)]
pub struct BotSettings {
    /// Whether the bot answers this number's customers at all (each conversation can still be switched
    /// off on its own). Off until someone turns it on.
    pub enabled: bool,
    pub profile: BusinessProfile,
    pub playbook: Playbook,
    /// Free knowledge: anything else the bot may answer from.
    pub knowledge: String,
    pub custom_fields: Vec<CustomField>,
    /// Sent when the bot hands over to a person.
    pub fallback_phrase: String,
    /// Sent for messages the bot cannot read (images, video, documents, stickers, locations).
    pub attachment_phrase: String,
    /// The WhatsApp number that gets a summary of each hand-over; when empty, the server's
    /// `HUMAN_BACKUP_NUMBER` (if set).
    pub escalation_number: Option<String>,
    /// Below this confidence (0 to 1) the bot hands over.
    pub confidence_threshold: f64,
    /// How many earlier messages go with each question (0 to 50).
    pub history_messages: u32,
    /// More replies than this within `reply_window_minutes` and the bot hands over.
    pub max_replies: u32,
    pub reply_window_minutes: u32,
    /// The model to ask, when not the server's default (`GEMINI_MODEL` / `OPENAI_MODEL`).
    pub model: Option<String>,
}

impl Default for BotSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            profile: BusinessProfile::default(),
            playbook: Playbook::default(),
            knowledge: String::new(),
            custom_fields: Vec::new(),
            fallback_phrase: DEFAULT_FALLBACK_PHRASE.to_owned(),
            attachment_phrase: DEFAULT_ATTACHMENT_PHRASE.to_owned(),
            escalation_number: None,
            confidence_threshold: DEFAULT_CONFIDENCE_THRESHOLD,
            history_messages: DEFAULT_HISTORY_MESSAGES,
            max_replies: DEFAULT_MAX_REPLIES,
            reply_window_minutes: DEFAULT_REPLY_WINDOW_MINUTES,
            model: None,
        }
    }
}

/// A setting that cannot be accepted, with the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidSetting {
    pub field: String,
    pub reason: String,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> InvalidSetting {
    InvalidSetting {
        field: field.into(),
        reason: reason.into(),
    }
}

impl BotSettings {
    /// Checks every field and returns the settings as they are stored: texts trimmed, an empty
    /// escalation number or model taken as none, the escalation number made into its WhatsApp id (read
    /// in the country of `home`, the business's own number, when written without a country code).
    pub fn validated(mut self, home: Option<&str>) -> Result<BotSettings, InvalidSetting> {
        let mut total = 0usize;
        let mut text = |field: &str, value: &mut String| -> Result<(), InvalidSetting> {
            *value = value.trim().to_owned();
            let chars = value.chars().count();
            if chars > FIELD_MAX {
                return Err(invalid(
                    field,
                    format!("is {chars} characters long; at most {FIELD_MAX} are accepted"),
                ));
            }
            if value
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
            {
                return Err(invalid(field, "contains control characters"));
            }
            total += chars;
            Ok(())
        };
        let p = &mut self.profile;
        text("profile.name", &mut p.name)?;
        text("profile.description", &mut p.description)?;
        text("profile.address", &mut p.address)?;
        text("profile.opening_hours", &mut p.opening_hours)?;
        let b = &mut self.playbook;
        for (field, value) in [
            ("playbook.system_rules", &mut b.system_rules),
            ("playbook.company_information", &mut b.company_information),
            ("playbook.offers", &mut b.offers),
            ("playbook.conditions", &mut b.conditions),
            ("playbook.procedures", &mut b.procedures),
            ("playbook.faq", &mut b.faq),
            ("playbook.special_cases", &mut b.special_cases),
            ("playbook.useful_links", &mut b.useful_links),
            ("playbook.escalation_procedure", &mut b.escalation_procedure),
            ("playbook.bot_rules", &mut b.bot_rules),
            ("playbook.pitch", &mut b.pitch),
        ] {
            text(field, value)?;
        }
        text("knowledge", &mut self.knowledge)?;
        if self.custom_fields.len() > CUSTOM_FIELDS_MAX {
            return Err(invalid(
                "custom_fields",
                format!("at most {CUSTOM_FIELDS_MAX} fields are accepted"),
            ));
        }
        for (i, f) in self.custom_fields.iter_mut().enumerate() {
            text(&format!("custom_fields[{i}].name"), &mut f.name)?;
            text(&format!("custom_fields[{i}].value"), &mut f.value)?;
            if f.name.is_empty() {
                return Err(invalid(
                    format!("custom_fields[{i}].name"),
                    "must not be empty",
                ));
            }
        }
        for (field, value) in [
            ("fallback_phrase", &mut self.fallback_phrase),
            ("attachment_phrase", &mut self.attachment_phrase),
        ] {
            text(field, value)?;
            if value.is_empty() {
                return Err(invalid(
                    field,
                    "must not be empty: it is what the customer receives",
                ));
            }
            if value.chars().count() > crate::graph::limits::TEXT {
                return Err(invalid(
                    field,
                    "is longer than a WhatsApp text message may be",
                ));
            }
        }
        if total > TOTAL_MAX {
            return Err(invalid(
                "playbook",
                format!(
                    "the profile, playbook, knowledge and fields hold {total} characters together; \
                     at most {TOTAL_MAX} are accepted"
                ),
            ));
        }
        self.escalation_number = match self
            .escalation_number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            None => None,
            Some(n) => Some(
                crate::conversation::phone::whatsapp_id(n, home)
                    .map_err(|e| invalid("escalation_number", e.to_string()))?,
            ),
        };
        self.model = self
            .model
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        if let Some(model) = &self.model {
            let fine = model.len() <= 100
                && model
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._:/".contains(c));
            if !fine {
                return Err(invalid(
                    "model",
                    "must be a model id (letters, digits, - . _ : /; at most 100)",
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.confidence_threshold) {
            return Err(invalid("confidence_threshold", "must be between 0 and 1"));
        }
        if self.history_messages > HISTORY_MAX {
            return Err(invalid(
                "history_messages",
                format!("must be at most {HISTORY_MAX}"),
            ));
        }
        if self.max_replies == 0 {
            return Err(invalid("max_replies", "must be at least 1"));
        }
        if !(1..=24 * 60).contains(&self.reply_window_minutes) {
            return Err(invalid(
                "reply_window_minutes",
                "must be between 1 and 1440",
            ));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_original_systems_phrases_and_threshold() {
        let s = BotSettings::default();
        assert!(!s.enabled);
        assert_eq!(s.fallback_phrase, DEFAULT_FALLBACK_PHRASE);
        assert_eq!(s.confidence_threshold, 0.72);
        assert!(s.clone().validated(None).is_ok());
    }

    #[test]
    fn bad_values_name_their_field() {
        let mut s = BotSettings {
            confidence_threshold: 1.5,
            ..Default::default()
        };
        assert_eq!(
            s.clone().validated(None).unwrap_err().field,
            "confidence_threshold"
        );
        s.confidence_threshold = 0.5;
        s.fallback_phrase = "  ".into();
        assert_eq!(
            s.clone().validated(None).unwrap_err().field,
            "fallback_phrase"
        );
        s.fallback_phrase = "ok".into();
        s.escalation_number = Some("not a number".into());
        assert_eq!(
            s.clone().validated(None).unwrap_err().field,
            "escalation_number"
        );
        s.escalation_number = Some("+33 6 12 34 56 78".into());
        assert_eq!(
            s.clone()
                .validated(None)
                .unwrap()
                .escalation_number
                .as_deref(),
            Some("33612345678")
        );
        s.playbook.faq = "x".repeat(FIELD_MAX + 1);
        assert_eq!(s.validated(None).unwrap_err().field, "playbook.faq");
    }

    #[test]
    fn settings_written_before_a_field_existed_still_read() {
        let s: BotSettings = serde_json::from_str(r#"{"enabled":true}"#).unwrap();
        assert!(s.enabled);
        assert_eq!(s.attachment_phrase, DEFAULT_ATTACHMENT_PHRASE);
    }
}
