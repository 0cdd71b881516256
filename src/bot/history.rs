//! "Ask the history": a question answered from the messages search found, citing the ones it used, or
//! saying that they do not answer it.

use super::BotService;
use actors::llm::{ChatRequest, Output, Part, Role, Turn};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

/// How many messages the model is given.
pub const SOURCES: usize = 12;
/// The longest message text given (a long one is cut).
const SOURCE_CHARS: usize = 1500;

/// A message search found.
#[derive(Debug, Clone)]
pub struct Source {
    pub direction: String,
    pub written_at: DateTime<Utc>,
    pub text: String,
}

/// The model's answer: the numbers it cites are the sources' (from 1).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Answered {
    pub answer: String,
    pub supported: bool,
    #[serde(default)]
    pub citations: Vec<u32>,
}

const RULES: &str = "You answer a question of a business's team about its WhatsApp conversations, using \
only the numbered messages below. Cite every message you rely on by its number in the answer, like [2]. \
If the messages do not answer the question, set supported to false and say in one sentence that the \
messages do not say; never guess. Answer in the language of the question, briefly.";

/// The numbered messages, as the model reads them.
pub fn sources_text(sources: &[Source]) -> String {
    sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let who = if s.direction == "inbound" {
                "customer"
            } else {
                "business"
            };
            let text: String = s.text.chars().take(SOURCE_CHARS).collect();
            format!(
                "[{}] {} ({}): {}",
                i + 1,
                who,
                s.written_at.format("%Y-%m-%d"),
                text
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asks the model; with no message found, answers that nothing was found without asking.
pub async fn answer(
    bot: &BotService,
    question: &str,
    sources: &[Source],
) -> Result<Answered, String> {
    if sources.is_empty() {
        return Ok(Answered {
            answer: "No message you may read matches this question.".to_owned(),
            supported: false,
            citations: vec![],
        });
    }
    let request = ChatRequest {
        system: format!("{RULES}\n\n## Messages\n{}", sources_text(sources)),
        turns: vec![Turn {
            role: Role::User,
            parts: vec![Part::Text(question.to_owned())],
        }],
        output: Output::Json {
            name: "history_answer".to_owned(),
            schema: json!({
                "type": "object",
                "properties": {
                    "answer": {"type": "string"},
                    "supported": {"type": "boolean"},
                    "citations": {"type": "array", "items": {"type": "integer"}}
                },
                "required": ["answer", "supported", "citations"]
            }),
        },
        max_output_tokens: 2048,
    };
    let text = bot.generate(&request).await?;
    let value = actors::llm::parse_json_answer(&text).map_err(|e| e.to_string())?;
    let mut answered: Answered = serde_json::from_value(value)
        .map_err(|e| format!("the model's answer is not the JSON asked for: {e}"))?;
    answered
        .citations
        .retain(|n| (1..=sources.len() as u32).contains(n));
    answered.citations.dedup();
    Ok(answered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_numbered_from_one_with_who_and_when() {
        let at = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let text = sources_text(&[
            Source {
                direction: "inbound".into(),
                written_at: at,
                text: "Price for 116610LN?".into(),
            },
            Source {
                direction: "outbound".into(),
                written_at: at,
                text: "9800 EUR".into(),
            },
        ]);
        assert_eq!(
            text,
            "[1] customer (2026-01-01): Price for 116610LN?\n[2] business (2026-01-01): 9800 EUR"
        );
    }
}
