//! The bot's language models: one [`ChatModel`] trait, with Gemini's `generateContent` ([`gemini`]) and
//! any OpenAI-compatible `/v1/chat/completions` server ([`openai`]: OpenAI, Ollama, vLLM, gateways)
//! behind it. The wire formats and their traps are in `../shared/docs/LLM_APIS.md`; §4 is the checklist
//! these clients follow.
//!
//! What every client guarantees:
//! - an answer is non-empty text the model finished ([`ChatAnswer`]); every other outcome, including the
//!   many "HTTP 200 but no answer" shapes, is a typed [`LlmError`], never a panic and never empty text;
//! - transient failures (408, 409, 429, 5xx, timeouts, lost connections) are retried under a
//!   [`RetryPolicy`], honouring the server's own delay; a delay longer than the policy allows gives up at
//!   once, so a customer never waits minutes for a reply;
//! - a circuit breaker per client ([`BreakerPolicy`]) stops calling a provider that keeps failing, and lets
//!   one trial call through once it has rested;
//! - the API key travels only in its header: never in a URL, a log line, an error or `Debug`;
//! - each call is measured: `inbox_llm_requests_total{provider, outcome}` (outcome `ok` or
//!   [`LlmError::code`]), `inbox_llm_request_seconds{provider}` (the whole call, retries included),
//!   `inbox_llm_tokens_total{provider, kind}` (`input`, `output`, `thinking`; billed tokens of answers
//!   that turned out unusable count too) and `inbox_llm_retries_total{provider}`.

pub mod gemini;
pub mod openai;

mod engine;
mod schema;

pub use crate::embeddings::openai::ApiKey;
pub use engine::BreakerPolicy;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A language model that answers a conversation.
#[async_trait]
pub trait ChatModel: Send + Sync + 'static {
    /// `gemini` or `openai`: the label of this client's metrics and events.
    fn provider(&self) -> &'static str;

    /// The configured model id, as sent to the provider.
    fn model(&self) -> &str;

    /// One answer to `request`, after the retries the client's [`RetryPolicy`] allows.
    async fn generate(&self, request: &ChatRequest) -> Result<ChatAnswer, LlmError>;
}

/// What the model is asked: instructions, the conversation so far, and the form of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The instructions (the playbook); sent as Gemini's `systemInstruction` or OpenAI's first `system`
    /// message. Empty means none.
    pub system: String,
    /// The conversation, oldest first; it should end with a user turn.
    pub turns: Vec<Turn>,
    /// Plain text, or JSON following a schema.
    pub output: Output,
    /// The cap on the answer's tokens. Thinking tokens count against it on both providers, so keep it
    /// generous (1-2k or more) for a short reply.
    pub max_output_tokens: u32,
}

/// The form of the answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Free text.
    Text,
    /// A JSON object following `schema`, a plain JSON Schema (`type`, `properties`, `required`, `enum`,
    /// `items`, `description`, `nullable`/`["string", "null"]`, `anyOf`). The Gemini client turns it into a
    /// `responseSchema` (its property order is `required`'s order, then the remaining properties); the
    /// OpenAI client sends it as a strict `json_schema`. The answer is still text: read it with
    /// [`parse_json_answer`].
    Json {
        /// The schema's name (OpenAI asks for one; letters, digits, `_` and `-`, at most 64).
        name: String,
        /// The JSON Schema.
        schema: serde_json::Value,
    },
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// Who spoke.
    pub role: Role,
    /// What was said, in order.
    pub parts: Vec<Part>,
}

impl Turn {
    /// A turn of plain text.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            parts: vec![Part::Text(text.into())],
        }
    }
}

/// Who spoke a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The customer (OpenAI `user`).
    User,
    /// The model or the business speaking as it (OpenAI `assistant`).
    Model,
}

/// A piece of a turn.
#[derive(Clone, PartialEq)]
pub enum Part {
    /// Text.
    Text(String),
    /// A sound, e.g. a voice note: Gemini takes any `audio/*` type it knows (inline, base64); OpenAI takes
    /// wav and mp3 only (anything else is refused before a call, as [`LlmError::BadRequest`]).
    Audio {
        /// The media type, e.g. `audio/ogg` (parameters such as `; codecs=opus` are dropped).
        mime: String,
        /// The file's bytes.
        data: Vec<u8>,
    },
}

impl std::fmt::Debug for Part {
    /// Audio shows its type and size, not its bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Part::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Part::Audio { mime, data } => f
                .debug_struct("Audio")
                .field("mime", mime)
                .field("bytes", &data.len())
                .finish(),
        }
    }
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatAnswer {
    /// The answer's text (thoughts left out), never empty. For [`Output::Json`], JSON text to read with
    /// [`parse_json_answer`].
    pub text: String,
    /// The model that answered, as the provider names it (Gemini `modelVersion`, OpenAI `model`); the
    /// configured id when the provider does not say.
    pub model_version: String,
    /// The tokens billed for the answer that succeeded.
    pub usage: Usage,
    /// From the call to the answer, retries and their waits included.
    pub latency: Duration,
    /// How many HTTP calls it took (1 without retries).
    pub attempts: u32,
}

/// Billed tokens. Absent counters are 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// The prompt's tokens.
    pub input_tokens: u64,
    /// The answer's tokens, thinking excluded (Gemini `candidatesTokenCount`; OpenAI
    /// `completion_tokens` minus its reasoning tokens).
    pub output_tokens: u64,
    /// Thinking tokens (Gemini `thoughtsTokenCount`, OpenAI `reasoning_tokens`), billed as output.
    pub thinking_tokens: u64,
}

/// Why a model gave no usable answer. [`LlmError::code`] names the kind for events and metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LlmError {
    /// The provider does not know the model (Gemini 404 NOT_FOUND, OpenAI `model_not_found`, Ollama
    /// "model not found"): models are retired, and only a configuration change helps. `setting` names
    /// the setting to change (`GEMINI_MODEL` or `OPENAI_MODEL`).
    #[error("model {model} is retired or unknown: change {setting}")]
    RetiredModel {
        /// The configured model id.
        model: String,
        /// The configuration setting that names the model.
        setting: String,
    },
    /// The key was refused (Gemini 400 `API_KEY_INVALID`, HTTP 401).
    #[error("the model provider refused the API key")]
    InvalidKey,
    /// The provider refused the caller (HTTP 403: a missing, leaked or restricted key, an API not enabled).
    #[error("the model provider refused access: {message}")]
    Forbidden {
        /// The provider's message.
        message: String,
    },
    /// The provider does not serve the country this server calls from (it depends on the egress IP).
    #[error("the model provider does not serve this server's location")]
    LocationUnsupported,
    /// A quota that no short wait restores: Gemini's per-day quota, OpenAI's `insufficient_quota`
    /// (billing). Never retried.
    #[error("the model quota is exhausted: {message}")]
    QuotaExhausted {
        /// The provider's message.
        message: String,
    },
    /// Still throttled after the retries, or asked to wait longer than the policy allows.
    #[error("the model provider is rate limiting{}", retry_note(.retry_after))]
    RateLimited {
        /// How long the provider asked to wait, when it said.
        #[serde(rename = "retry_after_ms", with = "millis")]
        retry_after: Option<Duration>,
    },
    /// The provider failed or could not be reached (5xx, timeouts, lost connections), after the retries.
    #[error("the model provider is unavailable: {message}")]
    Unavailable {
        /// What happened, without URLs or keys.
        message: String,
    },
    /// The provider blocked the prompt or the answer (`promptFeedback.blockReason`, `SAFETY` and the other
    /// policy finish reasons, an OpenAI refusal or `content_filter`).
    #[error("the model blocked the answer: {reason}")]
    Blocked {
        /// The provider's reason.
        reason: String,
    },
    /// A finished call without a usable answer: cut at the token limit (Gemini `MAX_TOKENS`, OpenAI
    /// `length`), empty text, an unknown finish reason, or JSON text that does not parse.
    #[error("the model gave no usable answer: {reason}")]
    NoAnswer {
        /// Why, for the audit log.
        reason: String,
    },
    /// The request was refused as malformed (HTTP 400 and the like), or could not be sent to this
    /// provider at all (e.g. an audio type it does not take): no retry helps.
    #[error("the model provider refused the request: {message}")]
    BadRequest {
        /// The provider's message, or why no call was made.
        message: String,
    },
    /// An answer that is not the provider's documented shape (or a redirect, which is not followed).
    #[error("the model provider answered unexpectedly: {message}")]
    Unexpected {
        /// What was wrong, with the start of the body.
        message: String,
    },
    /// The provider failed too often lately; no call was made.
    #[error("the model provider is failing; calls are paused for a while")]
    CircuitOpen,
}

impl LlmError {
    /// Whether the same request may succeed if tried again a little later (throttling, outages, an open
    /// breaker). A quota, a refusal or a configuration error needs something else to change first.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            LlmError::RateLimited { .. } | LlmError::Unavailable { .. } | LlmError::CircuitOpen
        )
    }

    /// The kind, in snake_case, for events and the `outcome` label of the metrics.
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::RetiredModel { .. } => "retired_model",
            LlmError::InvalidKey => "invalid_key",
            LlmError::Forbidden { .. } => "forbidden",
            LlmError::LocationUnsupported => "location_unsupported",
            LlmError::QuotaExhausted { .. } => "quota_exhausted",
            LlmError::RateLimited { .. } => "rate_limited",
            LlmError::Unavailable { .. } => "unavailable",
            LlmError::Blocked { .. } => "blocked",
            LlmError::NoAnswer { .. } => "no_answer",
            LlmError::BadRequest { .. } => "bad_request",
            LlmError::Unexpected { .. } => "unexpected",
            LlmError::CircuitOpen => "circuit_open",
        }
    }
}

/// " (retry after N ms)" when the provider said how long to wait.
fn retry_note(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (retry after {} ms)", d.as_millis()),
        None => String::new(),
    }
}

/// `Option<Duration>` as whole milliseconds in events.
mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(super) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

/// Reads a JSON answer: strips Markdown fences (```` ```json ... ``` ````, which models add when
/// they were not held to a schema), then parses. Anything but a JSON object, or JSON nested deeper than
/// [`crate::json::MAX_INPUT_DEPTH`], is [`LlmError::NoAnswer`].
pub fn parse_json_answer(text: &str) -> Result<serde_json::Value, LlmError> {
    let body = strip_fences(text);
    if crate::json::depth_exceeds(body.as_bytes(), crate::json::MAX_INPUT_DEPTH) {
        return Err(LlmError::NoAnswer {
            reason: "the JSON answer nests too deeply".into(),
        });
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        Ok(_) => Err(LlmError::NoAnswer {
            reason: "the answer is JSON but not an object".into(),
        }),
        Err(e) => Err(LlmError::NoAnswer {
            reason: format!("the answer is not JSON ({e})"),
        }),
    }
}

/// The text inside a Markdown code fence, or the trimmed text when it is not fenced.
fn strip_fences(text: &str) -> &str {
    let text = text.trim();
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    // The opening fence's line may name a language (```json); the content starts on the next line.
    let rest = match rest.find('\n') {
        Some(newline) => &rest[newline + 1..],
        None => rest,
    };
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}

/// How hard a client tries before giving up on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// HTTP calls per request, the first included (at least 1).
    pub max_attempts: u32,
    /// The first back-off; it doubles on each retry, with jitter.
    pub base_delay: Duration,
    /// The longest back-off of our own choosing (a server's requested delay may be longer).
    pub max_delay: Duration,
    /// The most one request may spend waiting between attempts. A wait that would pass it ends the
    /// request at once (a 429 asking for 60 s is [`LlmError::RateLimited`] without waiting).
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 0.5 s doubling up to 8 s, at most 20 s of waiting.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_total_wait: Duration::from_secs(20),
        }
    }
}

/// A client configuration that cannot work (an empty model id, a base URL that is not http(s), a key
/// no header can carry), found when the client is built rather than at the first call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid model configuration: {0}")]
pub struct ConfigError(pub String);

/// The base URL checked as the embeddings clients check theirs (http(s), no query, no credentials),
/// without a trailing slash.
fn parse_base_url(base_url: &str) -> Result<String, ConfigError> {
    crate::embeddings::openai::parse_base_url(base_url)
        .map_err(|e| ConfigError(e.0.replace("the embeddings base URL", "the model base URL")))
}

/// A key as a header value, marked sensitive so that no `Debug` of a request shows it.
fn key_header(value: String, provider: &str) -> Result<reqwest::header::HeaderValue, ConfigError> {
    let mut header = reqwest::header::HeaderValue::from_str(&value).map_err(|_| {
        ConfigError(format!(
            "the {provider} API key has characters no HTTP header can carry"
        ))
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// A media type without its parameters, lower case: `audio/ogg; codecs=opus` is `audio/ogg`.
fn bare_mime(mime: &str) -> String {
    mime.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fenced_and_bare_json_answers_parse() {
        let want = json!({"reply": "5 EUR", "needs_human": false});
        for text in [
            r#"{"reply": "5 EUR", "needs_human": false}"#,
            "  {\"reply\": \"5 EUR\", \"needs_human\": false}\n",
            "```json\n{\"reply\": \"5 EUR\", \"needs_human\": false}\n```",
            "```\n{\"reply\": \"5 EUR\", \"needs_human\": false}\n```\n",
            "```JSON\r\n{\"reply\": \"5 EUR\", \"needs_human\": false}\r\n```",
            // An unclosed fence (the answer was cut after the JSON) still gives the object.
            "```json\n{\"reply\": \"5 EUR\", \"needs_human\": false}",
        ] {
            assert_eq!(parse_json_answer(text), Ok(want.clone()), "{text:?}");
        }
    }

    #[test]
    fn json_that_is_not_an_object_or_not_json_is_no_answer() {
        for text in [
            "",
            "```json\n```",
            "[1, 2]",
            "\"just a string\"",
            "{\"reply\": \"Ship",
            "Sure! Here is the JSON you asked for.",
        ] {
            let error = parse_json_answer(text).unwrap_err();
            assert_eq!(error.code(), "no_answer", "{text:?}");
        }
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(60), "]".repeat(60));
        assert_eq!(parse_json_answer(&deep).unwrap_err().code(), "no_answer");
    }

    #[test]
    fn errors_say_what_to_change_and_serialise_by_kind() {
        let retired = LlmError::RetiredModel {
            model: "gemini-1.5-flash".into(),
            setting: "GEMINI_MODEL".into(),
        };
        assert_eq!(
            retired.to_string(),
            "model gemini-1.5-flash is retired or unknown: change GEMINI_MODEL"
        );
        assert_eq!(
            serde_json::to_value(&retired).unwrap(),
            json!({"kind": "retired_model", "model": "gemini-1.5-flash", "setting": "GEMINI_MODEL"})
        );
        let limited = LlmError::RateLimited {
            retry_after: Some(Duration::from_millis(1500)),
        };
        assert_eq!(
            serde_json::to_value(&limited).unwrap(),
            json!({"kind": "rate_limited", "retry_after_ms": 1500})
        );
        assert_eq!(
            serde_json::from_value::<LlmError>(
                json!({"kind": "rate_limited", "retry_after_ms": 1500})
            )
            .unwrap(),
            limited
        );
        assert!(limited.to_string().ends_with("(retry after 1500 ms)"));
        assert!(limited.is_transient());
        assert!(LlmError::CircuitOpen.is_transient());
        for permanent in [
            LlmError::InvalidKey,
            LlmError::QuotaExhausted {
                message: "per day".into(),
            },
            LlmError::NoAnswer {
                reason: "MAX_TOKENS".into(),
            },
        ] {
            assert!(!permanent.is_transient(), "{permanent:?}");
        }
        assert_eq!(
            serde_json::to_value(LlmError::CircuitOpen).unwrap()["kind"],
            LlmError::CircuitOpen.code()
        );
    }

    #[test]
    fn audio_parts_debug_without_their_bytes_and_mime_loses_parameters() {
        let part = Part::Audio {
            mime: "audio/ogg; codecs=opus".into(),
            data: vec![7; 5000],
        };
        let shown = format!("{part:?}");
        assert!(shown.contains("5000") && !shown.contains("7, 7"), "{shown}");
        assert_eq!(bare_mime("Audio/OGG; codecs=opus"), "audio/ogg");
    }
}
