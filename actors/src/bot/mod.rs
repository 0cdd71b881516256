//! The bot: what it answers, and when it hands a conversation over to a person. Pure decisions only; the
//! worker that takes turns (`src/workers/bot.rs`) asks the model and records the outcome through the
//! conversation's actor, which accepts one outcome per claimed turn.
//!
//! - [`settings`]: one number's bot configuration (recorded on the account stream);
//! - [`prompt`]: the exact prompt a turn sends, built from the settings and the conversation;
//! - here: how a customer message is read, whether a model's answer is good enough to send, the reply
//!   limit, and the hand-over summary.

pub mod events;
pub mod prompt;
pub mod settings;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use settings::BotSettings;

use crate::conversation::message::MessageContent;

/// What a customer message asks of the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Words to answer: a text, a button or list choice, a caption.
    Words(String),
    /// Something it cannot read (a picture without words, a video, a document, a sticker, a location, a
    /// contact card, an order, a poll): it answers with the attachment phrase.
    Attachment,
    /// A voice note or audio file: transcribed first, then answered as words.
    Audio,
    /// Not a message to answer: a reaction, an edit, a deletion, a system notice.
    Nothing,
}

/// What the bot makes of a customer message.
pub fn read(content: &MessageContent) -> Reading {
    let words = |s: &str| {
        let s = s.trim();
        match s.is_empty() {
            true => Reading::Attachment,
            false => Reading::Words(s.to_owned()),
        }
    };
    match content {
        MessageContent::Text { body } => match body.trim().is_empty() {
            true => Reading::Nothing,
            false => Reading::Words(body.trim().to_owned()),
        },
        MessageContent::ButtonReply { title, .. } => words(title),
        MessageContent::ListReply { title, .. } => words(title),
        MessageContent::TemplateButton { text, payload } => {
            words(text.as_deref().or(payload.as_deref()).unwrap_or(""))
        }
        MessageContent::Image { media }
        | MessageContent::Video { media }
        | MessageContent::Document { media } => words(media.caption.as_deref().unwrap_or("")),
        MessageContent::Audio { .. } => Reading::Audio,
        MessageContent::Sticker { .. }
        | MessageContent::Location { .. }
        | MessageContent::Contacts { .. }
        | MessageContent::Order { .. }
        | MessageContent::FlowReply { .. }
        | MessageContent::Unsupported { .. }
        | MessageContent::Unknown { .. } => Reading::Attachment,
        MessageContent::Reaction { .. }
        | MessageContent::Edit { .. }
        | MessageContent::Revoke { .. }
        | MessageContent::System { .. } => Reading::Nothing,
    }
}

/// The answer the model is asked for (see [`prompt::answer_schema`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelAnswer {
    pub reply: String,
    pub confidence: f64,
    pub needs_human: bool,
    #[serde(default)]
    pub reasons: Vec<String>,
}

impl ModelAnswer {
    /// Reads the model's JSON. Anything else than the four fields with sensible values is refused, with
    /// what was wrong: a turn with such an answer hands over.
    pub fn from_json(value: &Value) -> Result<ModelAnswer, String> {
        let answer: ModelAnswer = serde_json::from_value(value.clone())
            .map_err(|e| format!("the model's answer is not the JSON asked for: {e}"))?;
        if !answer.confidence.is_finite() || !(0.0..=1.0).contains(&answer.confidence) {
            return Err(format!(
                "the model's confidence {} is not between 0 and 1",
                answer.confidence
            ));
        }
        Ok(ModelAnswer {
            reply: answer.reply.trim().to_owned(),
            reasons: answer
                .reasons
                .into_iter()
                .map(|r| r.trim().chars().take(500).collect::<String>())
                .filter(|r| !r.is_empty())
                .take(10)
                .collect(),
            ..answer
        })
    }
}

/// Why a turn handed the conversation over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationReason {
    /// The model was less sure than the number's threshold.
    LowConfidence,
    /// The model said a person should answer.
    NeedsHuman,
    /// The model could not be asked, or gave no usable answer.
    ModelFailed,
    /// The provider blocked the prompt or the answer.
    Blocked,
    /// The bot already answered too often in a short time.
    TooManyReplies,
    /// A voice note could not be transcribed.
    NotTranscribed,
}

impl EscalationReason {
    /// The reason as the API and the events write it.
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationReason::LowConfidence => "low_confidence",
            EscalationReason::NeedsHuman => "needs_human",
            EscalationReason::ModelFailed => "model_failed",
            EscalationReason::Blocked => "blocked",
            EscalationReason::TooManyReplies => "too_many_replies",
            EscalationReason::NotTranscribed => "not_transcribed",
        }
    }
}

/// What a turn does with the model's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Reply(String),
    Escalate(EscalationReason),
}

/// Sends the model's reply only when it is sure enough, does not ask for a person, and said something.
pub fn verdict(answer: &ModelAnswer, settings: &BotSettings) -> Verdict {
    if answer.needs_human {
        Verdict::Escalate(EscalationReason::NeedsHuman)
    } else if answer.confidence < settings.confidence_threshold {
        Verdict::Escalate(EscalationReason::LowConfidence)
    } else if answer.reply.is_empty() {
        Verdict::Escalate(EscalationReason::ModelFailed)
    } else if answer.reply.chars().count() > crate::graph::limits::TEXT {
        // Longer than WhatsApp carries: better a person than a cut sentence.
        Verdict::Escalate(EscalationReason::ModelFailed)
    } else {
        Verdict::Reply(answer.reply.clone())
    }
}

/// Whether the bot already sent `max_replies` replies within the last `reply_window_minutes`.
pub fn too_many_replies(replies: &[DateTime<Utc>], now: DateTime<Utc>, s: &BotSettings) -> bool {
    let since = now - Duration::minutes(i64::from(s.reply_window_minutes));
    let recent = replies.iter().filter(|at| **at > since).count();
    recent >= s.max_replies as usize
}

/// What the escalation number receives when the bot hands a conversation over.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary<'a> {
    /// The number's name as the inbox shows it.
    pub number: &'a str,
    pub customer: &'a str,
    pub customer_name: Option<&'a str>,
    pub last_message: &'a str,
    pub reason: EscalationReason,
    pub confidence: Option<f64>,
    pub would_have_replied: Option<&'a str>,
    pub reasons: &'a [String],
}

impl Summary<'_> {
    /// The WhatsApp text, cut to what one message may carry.
    pub fn text(&self) -> String {
        let mut lines = vec![format!("🤖 Hand-over on {}", self.number)];
        lines.push(match self.customer_name {
            Some(name) => format!("Customer: {name} (+{})", self.customer),
            None => format!("Customer: +{}", self.customer),
        });
        lines.push(format!("Last message: {}", clip(self.last_message, 600)));
        lines.push(format!("Why: {}", self.reason.as_str().replace('_', " ")));
        if let Some(c) = self.confidence {
            lines.push(format!("Confidence: {c:.2}"));
        }
        if let Some(r) = self.would_have_replied.filter(|r| !r.is_empty()) {
            lines.push(format!("Bot would have said: {}", clip(r, 1200)));
        }
        if !self.reasons.is_empty() {
            lines.push(format!("Reasons: {}", clip(&self.reasons.join("; "), 800)));
        }
        clip(&lines.join("\n"), crate::graph::limits::TEXT)
    }
}

fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((at, _)) if s.chars().count() > max => format!("{}…", &s[..at]),
        _ => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::message::Media;

    fn answer(reply: &str, confidence: f64, needs_human: bool) -> ModelAnswer {
        ModelAnswer {
            reply: reply.into(),
            confidence,
            needs_human,
            reasons: vec![],
        }
    }

    #[test]
    fn a_sure_answer_is_sent_and_anything_else_hands_over() {
        let s = BotSettings::default();
        assert_eq!(
            verdict(&answer("Yes", 0.9, false), &s),
            Verdict::Reply("Yes".into())
        );
        assert_eq!(
            verdict(&answer("Yes", 0.71, false), &s),
            Verdict::Escalate(EscalationReason::LowConfidence)
        );
        assert_eq!(
            verdict(&answer("Yes", 0.99, true), &s),
            Verdict::Escalate(EscalationReason::NeedsHuman)
        );
        assert_eq!(
            verdict(&answer("", 0.99, false), &s),
            Verdict::Escalate(EscalationReason::ModelFailed)
        );
    }

    #[test]
    fn an_answer_out_of_shape_is_refused_with_the_reason() {
        let bad = serde_json::json!({"reply": "x", "confidence": 7, "needs_human": false});
        assert!(ModelAnswer::from_json(&bad)
            .unwrap_err()
            .contains("between 0 and 1"));
        let missing = serde_json::json!({"reply": "x"});
        assert!(ModelAnswer::from_json(&missing).is_err());
        let fine = serde_json::json!({"reply": " x ", "confidence": 0.8, "needs_human": false,
            "reasons": ["  ", "from the FAQ"]});
        let a = ModelAnswer::from_json(&fine).unwrap();
        assert_eq!((a.reply.as_str(), a.reasons.len()), ("x", 1));
    }

    #[test]
    fn media_gets_the_attachment_phrase_and_reactions_nothing() {
        let image = MessageContent::Image {
            media: Media::default(),
        };
        assert_eq!(read(&image), Reading::Attachment);
        let captioned = MessageContent::Image {
            media: Media {
                caption: Some("Is this one available?".into()),
                ..Default::default()
            },
        };
        assert_eq!(
            read(&captioned),
            Reading::Words("Is this one available?".into())
        );
        let reaction = MessageContent::Reaction {
            message_id: "wamid.1".into(),
            emoji: Some("👍".into()),
        };
        assert_eq!(read(&reaction), Reading::Nothing);
        let voice = MessageContent::Audio {
            media: Media::default(),
            voice: true,
        };
        assert_eq!(read(&voice), Reading::Audio);
    }

    #[test]
    fn the_reply_limit_counts_only_the_window() {
        let s = BotSettings {
            max_replies: 2,
            reply_window_minutes: 10,
            ..Default::default()
        };
        let now = DateTime::from_timestamp(100_000, 0).unwrap();
        let old = now - Duration::minutes(11);
        let recent = now - Duration::minutes(1);
        assert!(!too_many_replies(&[old, old, recent], now, &s));
        assert!(too_many_replies(&[old, recent, recent], now, &s));
    }

    #[test]
    fn the_summary_names_the_customer_the_reason_and_the_draft() {
        let reasons = vec!["not in the playbook".to_owned()];
        let text = Summary {
            number: "Shop",
            customer: "33612345678",
            customer_name: Some("Ana"),
            last_message: "Do you buy Tudor?",
            reason: EscalationReason::LowConfidence,
            confidence: Some(0.3),
            would_have_replied: Some("Maybe"),
            reasons: &reasons,
        }
        .text();
        for part in [
            "Ana (+33612345678)",
            "Do you buy Tudor?",
            "low confidence",
            "0.30",
            "Maybe",
            "not in the playbook",
        ] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
        assert_eq!(clip("abcdef", 3), "ab…");
    }
}
