//! The bot as the server runs it: the configured model, and one turn's work from the conversation's
//! history to a verdict. The worker (`workers::bot`) takes turns and records them; the API's preview and
//! "try it" run the same steps without recording or sending anything.

pub mod history;
pub mod knowledge;

use crate::config::{BotModel, BotSettings as ServerBotSettings};
use actors::bot::events::TurnDetails;
use actors::bot::prompt::{self, HistoryMessage, KnownAnswer, Prompt};
use actors::bot::settings::BotSettings;
use actors::bot::{EscalationReason, ModelAnswer, Verdict};
use actors::conversation::message::MessageContent;
use actors::embeddings::openai::ApiKey;
use actors::llm::{self, ChatModel, ChatRequest, LlmError, Output, Part, Role, Turn};
use projections::inbox::view::MessageRow;
use std::sync::Arc;
use std::time::Instant;

/// The longest answer asked of the model (thinking included): a WhatsApp reply plus room to think.
const MAX_OUTPUT_TOKENS: u32 = 2048;

/// The bot's model, shared by the worker and the API.
pub struct BotService {
    model: Option<Arc<dyn ChatModel>>,
    pub settings: ServerBotSettings,
    /// The last model error, for `/health` (cleared by the next good answer).
    last_error: std::sync::Mutex<Option<String>>,
}

impl BotService {
    /// Builds the configured model client; a configuration that cannot work stops start-up.
    pub fn new(settings: ServerBotSettings) -> anyhow::Result<BotService> {
        let model: Option<Arc<dyn ChatModel>> = match &settings.model {
            BotModel::None => None,
            BotModel::Gemini {
                base_url,
                api_key,
                model,
                timeout,
            } => {
                let mut config = llm::gemini::GeminiChatConfig::new(ApiKey::new(api_key.expose()));
                config.base_url = base_url.clone();
                config.model = model.clone();
                config.timeout = *timeout;
                Some(Arc::new(llm::gemini::GeminiChat::new(config)?))
            }
            BotModel::OpenAi {
                base_url,
                api_key,
                model,
                max_tokens_field,
                timeout,
            } => Some(Arc::new(llm::openai::OpenAiChat::new(
                llm::openai::OpenAiChatConfig {
                    base_url: base_url.clone(),
                    api_key: api_key.as_ref().map(|k| ApiKey::new(k.expose())),
                    model: model.clone(),
                    timeout: *timeout,
                    token_limit: match max_tokens_field {
                        true => llm::openai::TokenLimitField::MaxTokens,
                        false => llm::openai::TokenLimitField::MaxCompletionTokens,
                    },
                    retry: llm::RetryPolicy::default(),
                },
            )?)),
        };
        Ok(BotService {
            model,
            settings,
            last_error: Default::default(),
        })
    }

    /// `provider:model`, or none when no model is configured.
    pub fn model_name(&self) -> Option<String> {
        self.model
            .as_ref()
            .map(|m| format!("{}:{}", m.provider(), m.model()))
    }

    /// The configured model, for other work than the bot's turns (reading listings).
    pub fn model(&self) -> Option<Arc<dyn ChatModel>> {
        self.model.clone()
    }

    /// The last model failure, if the latest call failed.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// Asks the model to answer the end of `history`, and judges its answer.
    pub async fn answer(
        &self,
        settings: &BotSettings,
        version: u64,
        history: &[HistoryMessage],
        known: &[KnownAnswer],
    ) -> Judged {
        let prompt = prompt::build(settings, history, known);
        let mut details = TurnDetails {
            playbook_version: version,
            ..Default::default()
        };
        let Some(model) = &self.model else {
            return Judged {
                verdict: Verdict::Escalate(EscalationReason::ModelFailed),
                answer: None,
                error: Some(
                    "no model is configured (set GEMINI_API_KEY or OPENAI_BASE_URL)".into(),
                ),
                details,
                prompt,
            };
        };
        details.model = format!("{}:{}", model.provider(), model.model());
        let started = Instant::now();
        let result = model.generate(&request(&prompt)).await;
        details.latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let answer = match result {
            Ok(answer) => {
                details.input_tokens = answer.usage.input_tokens;
                details.output_tokens = answer.usage.output_tokens + answer.usage.thinking_tokens;
                llm::parse_json_answer(&answer.text)
                    .map_err(|e| e.to_string())
                    .and_then(|v| ModelAnswer::from_json(&v))
            }
            Err(e) => {
                let blocked = matches!(e, LlmError::Blocked { .. });
                self.note(Some(e.to_string()));
                metrics::counter!("inbox_bot_model_failures_total", "kind" => e.code())
                    .increment(1);
                return Judged {
                    verdict: Verdict::Escalate(match blocked {
                        true => EscalationReason::Blocked,
                        false => EscalationReason::ModelFailed,
                    }),
                    answer: None,
                    error: Some(e.to_string()),
                    details,
                    prompt,
                };
            }
        };
        self.note(None);
        match answer {
            Ok(answer) => {
                details.confidence = Some(answer.confidence);
                details.reasons = answer.reasons.clone();
                Judged {
                    verdict: actors::bot::verdict(&answer, settings),
                    answer: Some(answer),
                    error: None,
                    details,
                    prompt,
                }
            }
            Err(e) => Judged {
                verdict: Verdict::Escalate(EscalationReason::ModelFailed),
                answer: None,
                error: Some(e),
                details,
                prompt,
            },
        }
    }

    /// Asks the model for a voice note's words.
    pub async fn transcribe(&self, mime: &str, audio: Vec<u8>) -> Result<(String, String), String> {
        let Some(model) = &self.model else {
            return Err("no model is configured".into());
        };
        let request = ChatRequest {
            system: "Transcribe the customer's voice message word for word, in its own language. \
                     Answer with the words only."
                .to_owned(),
            turns: vec![Turn {
                role: Role::User,
                parts: vec![Part::Audio {
                    mime: mime.to_owned(),
                    data: audio,
                }],
            }],
            output: Output::Text,
            max_output_tokens: MAX_OUTPUT_TOKENS,
        };
        let answer = model.generate(&request).await.map_err(|e| e.to_string())?;
        let text = answer.text.trim().to_owned();
        match text.is_empty() {
            true => Err("the model heard no words".into()),
            false => Ok((text, format!("{}:{}", model.provider(), model.model()))),
        }
    }

    /// The model's text for any request (for answers that are not a bot turn).
    pub async fn generate(&self, request: &ChatRequest) -> Result<String, String> {
        let Some(model) = &self.model else {
            return Err("no model is configured".into());
        };
        match model.generate(request).await {
            Ok(answer) => {
                self.note(None);
                Ok(answer.text)
            }
            Err(e) => {
                self.note(Some(e.to_string()));
                Err(e.to_string())
            }
        }
    }

    fn note(&self, error: Option<String>) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = error;
        }
    }
}

/// A turn's answer and what to do with it.
#[derive(Debug, Clone)]
pub struct Judged {
    pub verdict: Verdict,
    pub answer: Option<ModelAnswer>,
    pub error: Option<String>,
    pub details: TurnDetails,
    pub prompt: Prompt,
}

fn request(prompt: &Prompt) -> ChatRequest {
    ChatRequest {
        system: prompt.system.clone(),
        turns: prompt
            .turns
            .iter()
            .map(|t| Turn {
                role: match t.from_customer {
                    true => Role::User,
                    false => Role::Model,
                },
                parts: vec![Part::Text(t.text.clone())],
            })
            .collect(),
        output: Output::Json {
            name: "bot_reply".to_owned(),
            schema: prompt.schema.clone(),
        },
        max_output_tokens: MAX_OUTPUT_TOKENS,
    }
}

/// A private note of the team: part of the timeline, never of what the model reads.
pub fn is_note(row: &MessageRow) -> bool {
    row.direction.as_deref() == Some("note")
}

/// A message of the inbox view as the prompt shows it: its words, its transcript, or a mark of its kind.
pub fn history_message(row: &MessageRow, transcript: Option<&str>) -> HistoryMessage {
    let from_customer = row.direction.as_deref() == Some("inbound");
    let kind = row.kind.as_deref().unwrap_or("message");
    let text = match (transcript, row.body.as_deref()) {
        (Some(t), _) => t.to_owned(),
        (None, Some(body)) if !body.trim().is_empty() => body.to_owned(),
        _ => format!("[{kind}]"),
    };
    HistoryMessage {
        from_customer,
        text,
    }
}

/// What the bot makes of a customer message of the inbox view.
pub fn reading(row: &MessageRow) -> actors::bot::Reading {
    row.content
        .as_ref()
        .and_then(|c| serde_json::from_value::<MessageContent>(c.clone()).ok())
        .map(|c| actors::bot::read(&c))
        .unwrap_or(actors::bot::Reading::Attachment)
}
