//! The prompt of one bot turn, built from the number's settings and the conversation: the system
//! instruction (rules, then every filled-in part of the profile and playbook, then retrieved Q&A), and the
//! recent history as turns ending with the customer. `GET …/bot/preview` shows exactly this.

use super::settings::BotSettings;
use serde::Serialize;
use serde_json::{json, Value};

/// One earlier message of the conversation, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryMessage {
    /// The customer wrote it (otherwise the business did: the bot or a person).
    pub from_customer: bool,
    /// Its words, or a short mark like `[image]` for a message without words.
    pub text: String,
}

/// A question and answer of the number's knowledge base, retrieved for this turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownAnswer {
    pub question: String,
    pub answer: String,
}

/// A turn of the prompt: who speaks, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptTurn {
    pub from_customer: bool,
    pub text: String,
}

/// Everything sent to the model for one turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prompt {
    pub system: String,
    pub turns: Vec<PromptTurn>,
    /// The JSON Schema the answer must follow.
    pub schema: Value,
}

/// The answer every turn asks for: exactly these four fields.
pub fn answer_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "reply": {"type": "string", "description": "The message to send to the customer, in their language. Empty when a person must answer."},
            "confidence": {"type": "number", "description": "From 0 to 1: how sure you are that the reply is correct and fully supported by the business information."},
            "needs_human": {"type": "boolean", "description": "True when the business information does not answer the customer, or the customer asks for a person."},
            "reasons": {"type": "array", "items": {"type": "string"}, "description": "Short notes for the team: which part of the information the reply relies on, or what is missing."}
        },
        "required": ["reply", "confidence", "needs_human", "reasons"]
    })
}

const RULES: &str = "You are the WhatsApp assistant of the business described below. Answer the customer's \
last message using only the information below and the conversation. Never invent prices, stock, dates, \
links or promises. If the information does not answer the question, or the customer asks for a person, \
set needs_human to true and leave reply empty. Write in the customer's language, briefly, as in a chat, \
without Markdown headings. Answer with JSON only: reply, confidence (0 to 1), needs_human, reasons.";

/// The system instruction and turns for a turn answering the end of `history`.
pub fn build(settings: &BotSettings, history: &[HistoryMessage], known: &[KnownAnswer]) -> Prompt {
    let mut system = vec![RULES.to_owned()];
    let p = &settings.profile;
    let profile: Vec<String> = [
        ("Name", &p.name),
        ("Description", &p.description),
        ("Address", &p.address),
        ("Opening hours", &p.opening_hours),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}: {v}"))
    .collect();
    if !profile.is_empty() {
        system.push(format!("## Business\n{}", profile.join("\n")));
    }
    for (title, text) in settings.playbook.sections() {
        if !text.is_empty() {
            system.push(format!("## {title}\n{text}"));
        }
    }
    if !settings.knowledge.is_empty() {
        system.push(format!("## Knowledge\n{}", settings.knowledge));
    }
    if !settings.custom_fields.is_empty() {
        let fields: Vec<String> = settings
            .custom_fields
            .iter()
            .map(|f| format!("- {}: {}", f.name, f.value))
            .collect();
        system.push(format!("## Details\n{}", fields.join("\n")));
    }
    if !known.is_empty() {
        let qa: Vec<String> = known
            .iter()
            .map(|k| format!("Q: {}\nA: {}", k.question, k.answer))
            .collect();
        system.push(format!(
            "## Answers given before to similar questions\n{}",
            qa.join("\n\n")
        ));
    }
    Prompt {
        system: system.join("\n\n"),
        turns: turns(history),
        schema: answer_schema(),
    }
}

/// The history as alternating turns (consecutive messages of one side joined), starting and ending with
/// the customer: providers refuse a conversation that ends with the model, and an opening from the
/// business has no question to answer.
fn turns(history: &[HistoryMessage]) -> Vec<PromptTurn> {
    let mut turns: Vec<PromptTurn> = Vec::new();
    for m in history.iter().filter(|m| !m.text.trim().is_empty()) {
        match turns.last_mut() {
            Some(last) if last.from_customer == m.from_customer => {
                last.text.push('\n');
                last.text.push_str(m.text.trim());
            }
            _ => turns.push(PromptTurn {
                from_customer: m.from_customer,
                text: m.text.trim().to_owned(),
            }),
        }
    }
    while turns.last().is_some_and(|t| !t.from_customer) {
        turns.pop();
    }
    let first_customer = turns
        .iter()
        .position(|t| t.from_customer)
        .unwrap_or(turns.len());
    turns.drain(..first_customer);
    turns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::settings::{CustomField, Playbook};

    fn said(from_customer: bool, text: &str) -> HistoryMessage {
        HistoryMessage {
            from_customer,
            text: text.into(),
        }
    }

    #[test]
    fn the_prompt_holds_every_filled_section_and_no_empty_one() {
        let settings = BotSettings {
            playbook: Playbook {
                faq: "Shipping: 2 days.".into(),
                offers: "Rolex, Omega.".into(),
                ..Default::default()
            },
            custom_fields: vec![CustomField {
                name: "Warranty".into(),
                value: "2 years".into(),
            }],
            ..Default::default()
        };
        let p = build(&settings, &[said(true, "Hello")], &[]);
        assert!(p
            .system
            .contains("## Frequently asked questions\nShipping: 2 days."));
        assert!(p.system.contains("## Offers\nRolex, Omega."));
        assert!(p.system.contains("- Warranty: 2 years"));
        for absent in [
            "## Business",
            "## Pitch",
            "## Knowledge",
            "## Special cases",
        ] {
            assert!(!p.system.contains(absent), "{absent} should not be there");
        }
    }

    #[test]
    fn turns_alternate_and_end_with_the_customer() {
        let history = [
            said(false, "Welcome!"),
            said(true, "Hi"),
            said(true, "Do you ship?"),
            said(false, "Yes"),
            said(true, "To Porto?"),
            said(false, "[note that slipped in]"),
        ];
        let t = turns(&history);
        assert_eq!(t.len(), 3);
        assert!(t[0].from_customer && t[0].text == "Hi\nDo you ship?");
        assert!(!t[1].from_customer);
        assert!(t[2].from_customer && t[2].text == "To Porto?");
    }
}
