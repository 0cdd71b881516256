//! Any OpenAI-compatible `POST {base_url}/v1/chat/completions` (OpenAI, Ollama, vLLM, LiteLLM;
//! `../shared/docs/LLM_APIS.md` §3).
//!
//! The request: the instructions as a first `system` message (local servers know no `developer`), the
//! turns as `user` / `assistant` messages (audio as `input_audio` parts, wav or mp3 only), the token cap
//! in the field the server reads ([`TokenLimitField`]: OpenAI's reasoning models refuse `max_tokens`,
//! Ollama ignores `max_completion_tokens`), and JSON as a strict `json_schema` response format. No
//! sampling parameters: reasoning models refuse a non-default temperature.
//!
//! The answer: `choices[0].message.content`, only when `finish_reason` is `stop` and the text is not empty;
//! a `refusal` or `content_filter` is [`LlmError::Blocked`], `length` (the cap was reached, reasoning
//! included) is [`LlmError::NoAnswer`].
//!
//! Errors: the HTTP status decides the class, the body (OpenAI's `{"error": {...}}`, vLLM's integer codes
//! or flat form, a gateway's list-wrapped Google error) the details. `insufficient_quota` is a 429 that no
//! wait pays; other 429s carry their delay in `retry-after-ms` / `retry-after`, and `x-should-retry`
//! overrides the status when a server sends it.

use super::engine::{self, Engine, Failed, HttpAnswer, Reply};
use super::{
    bare_mime, key_header, parse_base_url, schema, ApiKey, BreakerPolicy, ChatAnswer, ChatModel,
    ChatRequest, ConfigError, LlmError, Output, Part, RetryPolicy, Role, Usage,
};
use crate::embeddings::openai::{excerpt, http_client, openai_error, scrub};
use async_trait::async_trait;
use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// OpenAI's API, used when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com";
/// A small current OpenAI model.
pub const DEFAULT_MODEL: &str = "gpt-5.4-mini";
/// The setting a retired-model error tells the operator to change.
const MODEL_SETTING: &str = "OPENAI_MODEL";

/// Which request field carries [`ChatRequest::max_output_tokens`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenLimitField {
    /// `max_completion_tokens`: OpenAI (its reasoning models refuse `max_tokens`).
    #[default]
    MaxCompletionTokens,
    /// `max_tokens`: Ollama and older servers, which ignore `max_completion_tokens`.
    MaxTokens,
}

/// Where and how to reach an OpenAI-compatible chat server.
#[derive(Debug, Clone)]
pub struct OpenAiChatConfig {
    /// The server's root (`https://api.openai.com`, `http://127.0.0.1:11434`), with or without a
    /// trailing `/v1`.
    pub base_url: String,
    /// Sent as a bearer token; local servers need none.
    pub api_key: Option<ApiKey>,
    /// The server's model name (`gpt-5.4-mini`, `qwen3:8b`, ...).
    pub model: String,
    /// For one HTTP attempt, connecting included.
    pub timeout: Duration,
    /// The field that carries the token cap.
    pub token_limit: TokenLimitField,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
}

impl Default for OpenAiChatConfig {
    /// OpenAI's API with [`DEFAULT_MODEL`], no key, a 60 s timeout and the default retries.
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
            model: DEFAULT_MODEL.to_owned(),
            timeout: Duration::from_secs(60),
            token_limit: TokenLimitField::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// A [`ChatModel`] over an OpenAI-compatible chat completions endpoint. `Debug` shows no key.
#[derive(Debug)]
pub struct OpenAiChat {
    http: reqwest::Client,
    endpoint: Url,
    api_key: Option<ApiKey>,
    authorization: Option<HeaderValue>,
    model: String,
    token_limit: TokenLimitField,
    timeout: Duration,
    engine: Engine,
}

impl OpenAiChat {
    /// Checks the configuration and builds the HTTP client; no request is made.
    pub fn new(config: OpenAiChatConfig) -> Result<Self, ConfigError> {
        let model = config.model.trim().to_owned();
        if model.is_empty() {
            return Err(ConfigError(
                "the OpenAI-compatible model name is empty".into(),
            ));
        }
        let base = parse_base_url(&config.base_url)?;
        let root = base.trim_end_matches("/v1");
        let endpoint = Url::parse(&format!("{root}/v1/chat/completions"))
            .map_err(|e| ConfigError(format!("the OpenAI base URL is not a URL: {e}")))?;
        let api_key = config.api_key.filter(|key| !key.expose().trim().is_empty());
        let authorization = api_key
            .as_ref()
            .map(|key| key_header(format!("Bearer {}", key.expose()), "OpenAI"))
            .transpose()?;
        let http = http_client(config.timeout).map_err(|e| ConfigError(e.0))?;
        Ok(Self {
            http,
            endpoint,
            api_key,
            authorization,
            model,
            token_limit: config.token_limit,
            timeout: config.timeout,
            engine: Engine::new("openai", config.retry),
        })
    }

    /// Replaces the default circuit breaker (5 failed requests in a row pause calls for 30 s).
    pub fn with_breaker(mut self, policy: BreakerPolicy) -> Self {
        self.engine.set_breaker(policy);
        self
    }

    /// The JSON body for `request`, or why it cannot be sent.
    fn body(&self, request: &ChatRequest) -> Result<Value, LlmError> {
        if request.turns.is_empty() {
            return Err(LlmError::BadRequest {
                message: "a request needs at least one turn".into(),
            });
        }
        let mut messages = Vec::with_capacity(request.turns.len() + 1);
        if !request.system.trim().is_empty() {
            messages.push(json!({"role": "system", "content": request.system}));
        }
        for (i, turn) in request.turns.iter().enumerate() {
            if turn.parts.is_empty() {
                return Err(LlmError::BadRequest {
                    message: format!("turn {i} has no parts"),
                });
            }
            let role = match turn.role {
                Role::User => "user",
                Role::Model => "assistant",
            };
            let has_audio = turn.parts.iter().any(|p| matches!(p, Part::Audio { .. }));
            let content = if !has_audio {
                // Plain text as one string: every compatible server takes that form.
                let texts: Vec<&str> = turn
                    .parts
                    .iter()
                    .filter_map(|p| match p {
                        Part::Text(text) => Some(text.as_str()),
                        Part::Audio { .. } => None,
                    })
                    .collect();
                Value::String(texts.join("\n"))
            } else {
                if turn.role != Role::User {
                    return Err(LlmError::BadRequest {
                        message: format!("turn {i}: only user turns may carry audio"),
                    });
                }
                let parts = turn
                    .parts
                    .iter()
                    .map(|part| match part {
                        Part::Text(text) => Ok(json!({"type": "text", "text": text})),
                        Part::Audio { mime, data } => {
                            Ok(json!({"type": "input_audio", "input_audio": {
                                "data": base64::engine::general_purpose::STANDARD.encode(data),
                                "format": audio_format(mime)?,
                            }}))
                        }
                    })
                    .collect::<Result<Vec<_>, LlmError>>()?;
                Value::Array(parts)
            };
            messages.push(json!({"role": role, "content": content}));
        }
        let mut body = Map::new();
        body.insert("model".into(), Value::String(self.model.clone()));
        body.insert("messages".into(), Value::Array(messages));
        if request.max_output_tokens > 0 {
            let field = match self.token_limit {
                TokenLimitField::MaxCompletionTokens => "max_completion_tokens",
                TokenLimitField::MaxTokens => "max_tokens",
            };
            body.insert(field.into(), request.max_output_tokens.into());
        }
        if let Output::Json { name, schema } = &request.output {
            body.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {
                    "name": schema::openai_name(name),
                    "strict": true,
                    "schema": schema::to_openai_strict(schema),
                }}),
            );
        }
        Ok(Value::Object(body))
    }

    async fn attempt(&self, body: &[u8]) -> Result<Reply, Failed> {
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let answer = engine::send(request, self.timeout).await?;
        if !answer.status.is_success() {
            return Err(self.refusal(&answer));
        }
        let (result, usage) = read_answer(&answer.body, &self.model);
        if let Some(usage) = &usage {
            self.engine.bill(usage);
        }
        result.map_err(|error| {
            Failed::fatal(match error {
                LlmError::Unexpected { message } => LlmError::Unexpected {
                    message: scrub(&message, self.api_key.as_ref()),
                },
                other => other,
            })
        })
    }

    fn refusal(&self, answer: &HttpAnswer) -> Failed {
        if answer.status.is_redirection() {
            return engine::redirect(answer.status);
        }
        let mut failed = classify(
            answer.status.as_u16(),
            &answer.headers,
            &answer.body,
            &self.model,
        );
        match &mut failed.error {
            LlmError::Forbidden { message }
            | LlmError::QuotaExhausted { message }
            | LlmError::Unavailable { message }
            | LlmError::BadRequest { message }
            | LlmError::Unexpected { message } => *message = scrub(message, self.api_key.as_ref()),
            _ => {}
        }
        failed
    }
}

#[async_trait]
impl ChatModel for OpenAiChat {
    fn provider(&self) -> &'static str {
        "openai"
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn generate(&self, request: &ChatRequest) -> Result<ChatAnswer, LlmError> {
        let body = self.body(request).map_err(|e| self.engine.refuse(e))?;
        let bytes = serde_json::to_vec(&body).map_err(|e| {
            self.engine.refuse(LlmError::BadRequest {
                message: format!("the request cannot be written as JSON: {e}"),
            })
        })?;
        self.engine.run(|| self.attempt(&bytes)).await
    }
}

/// The `input_audio.format` for a media type: chat completions take wav and mp3 only.
fn audio_format(mime: &str) -> Result<&'static str, LlmError> {
    match bare_mime(mime).as_str() {
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => Ok("wav"),
        "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg-3" => Ok("mp3"),
        other => Err(LlmError::BadRequest {
            message: format!(
                "OpenAI-compatible models take wav or mp3 audio, not {other}: convert it first or use Gemini"
            ),
        }),
    }
}

/// Reads a `chat.completion`: the result, and the billed tokens whatever it was.
fn read_answer(body: &[u8], configured_model: &str) -> (Result<Reply, LlmError>, Option<Usage>) {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(value @ Value::Object(_)) => value,
        _ => {
            return (
                Err(LlmError::Unexpected {
                    message: format!("not a chat completion: {}", excerpt(body)),
                }),
                None,
            )
        }
    };
    // Lenient: local servers leave out the details, some OpenAI-likes send odd shapes.
    let usage = parsed.get("usage").filter(|u| u.is_object()).map(|u| {
        let count = |pointer: &str| u.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
        let reasoning = count("/completion_tokens_details/reasoning_tokens");
        Usage {
            input_tokens: count("/prompt_tokens"),
            output_tokens: count("/completion_tokens").saturating_sub(reasoning),
            thinking_tokens: reasoning,
        }
    });
    (
        decide(&parsed, usage.unwrap_or_default(), configured_model),
        usage,
    )
}

fn decide(parsed: &Value, usage: Usage, configured_model: &str) -> Result<Reply, LlmError> {
    let Some(choice) = parsed
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return Err(LlmError::NoAnswer {
            reason: "no choices".into(),
        });
    };
    let message = choice.get("message");
    if let Some(refusal) = message
        .and_then(|m| m.get("refusal"))
        .and_then(Value::as_str)
        .filter(|r| !r.trim().is_empty())
    {
        return Err(LlmError::Blocked {
            reason: format!("the model refused: {refusal}"),
        });
    }
    // A string, or (some servers) a list of text parts.
    let text: String = match message.and_then(|m| m.get("content")) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    };
    let finish = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .unwrap_or("none");
    match finish {
        "stop" => {}
        "content_filter" => {
            return Err(LlmError::Blocked {
                reason: "finish_reason content_filter".into(),
            })
        }
        "length" => {
            return Err(LlmError::NoAnswer {
                reason: format!(
                    "finish_reason length: cut at the token limit (reasoning used {} tokens)",
                    usage.thinking_tokens
                ),
            })
        }
        other => {
            return Err(LlmError::NoAnswer {
                reason: format!("finish_reason {other}"),
            })
        }
    }
    if text.trim().is_empty() {
        return Err(LlmError::NoAnswer {
            reason: "an empty answer".into(),
        });
    }
    Ok(Reply {
        text,
        model_version: parsed
            .get("model")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .unwrap_or(configured_model)
            .to_owned(),
        usage,
    })
}

/// The delay an OpenAI-compatible server asks for: `retry-after-ms`, then `retry-after` (seconds or an
/// HTTP date), then the words of the message ("Please try again in 45.19s.").
fn server_delay(headers: &HeaderMap, message: &str) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms.min(1e9) / 1000.0));
        }
    }
    if let Some(value) = header("retry-after") {
        if let Ok(seconds) = value.parse::<f64>() {
            if seconds.is_finite() && seconds >= 0.0 {
                return Some(Duration::from_secs_f64(seconds.min(1e9)));
            }
        }
        if let Ok(date) = chrono::DateTime::parse_from_rfc2822(value) {
            let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
            return Some(wait.to_std().unwrap_or(Duration::ZERO));
        }
    }
    engine::delay_in_message(message)
}

/// An error answer as a failure.
fn classify(status: u16, headers: &HeaderMap, body: &[u8], model: &str) -> Failed {
    let (code, text) = openai_error(body);
    let code = code.unwrap_or_default();
    let kind = error_type(body);
    let message = format!("HTTP {status}: {text}");
    // The server's own verdict, when it gives one (OpenAI sends `x-should-retry`).
    let should_retry = headers
        .get("x-should-retry")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.eq_ignore_ascii_case("true"));
    let failed = match status {
        401 => Failed::fatal(LlmError::InvalidKey),
        403 if code == "unsupported_country_region_territory" => {
            Failed::fatal(LlmError::LocationUnsupported)
        }
        403 => Failed::fatal(LlmError::Forbidden { message }),
        404 => Failed::fatal(LlmError::RetiredModel {
            model: model.to_owned(),
            setting: MODEL_SETTING.to_owned(),
        }),
        429 if code == "insufficient_quota" || kind == "insufficient_quota" => {
            // Billing: no wait pays the bill.
            return Failed::fatal(LlmError::QuotaExhausted { message });
        }
        429 => {
            let delay = server_delay(headers, &text);
            Failed::transient(LlmError::RateLimited { retry_after: delay }, delay)
        }
        408 | 409 | 500..=599 => {
            Failed::transient(LlmError::Unavailable { message }, server_delay(headers, ""))
        }
        // The prompt itself was flagged: a block, like Gemini's promptFeedback, not a malformed request.
        400 if code == "invalid_prompt" || code == "content_policy_violation" => {
            Failed::fatal(LlmError::Blocked {
                reason: format!("the prompt was blocked ({code}): {text}"),
            })
        }
        400..=499 => Failed::fatal(LlmError::BadRequest { message }),
        _ => Failed::fatal(LlmError::Unexpected { message }),
    };
    match should_retry {
        Some(retry) => Failed { retry, ..failed },
        None => failed,
    }
}

/// `error.type` of OpenAI's error object, when there is one.
fn error_type(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/type")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Turn;

    fn client(token_limit: TokenLimitField) -> OpenAiChat {
        OpenAiChat::new(OpenAiChatConfig {
            base_url: "http://127.0.0.1:9/v1/".into(),
            api_key: Some(ApiKey::new("sk-unit-secret")),
            token_limit,
            ..OpenAiChatConfig::default()
        })
        .unwrap()
    }

    fn request(output: Output) -> ChatRequest {
        ChatRequest {
            system: "You answer customers of Acme Watches.".into(),
            turns: vec![
                Turn::text(Role::User, "Do you ship to Porto?"),
                Turn::text(Role::Model, "Yes, in 2-3 business days."),
                Turn::text(Role::User, "How much?"),
            ],
            output,
            max_output_tokens: 800,
        }
    }

    #[test]
    fn the_body_puts_the_system_first_and_the_cap_in_the_configured_field() {
        let body = client(TokenLimitField::MaxCompletionTokens)
            .body(&request(Output::Text))
            .unwrap();
        assert_eq!(
            body,
            json!({
                "model": DEFAULT_MODEL,
                "messages": [
                    {"role": "system", "content": "You answer customers of Acme Watches."},
                    {"role": "user", "content": "Do you ship to Porto?"},
                    {"role": "assistant", "content": "Yes, in 2-3 business days."},
                    {"role": "user", "content": "How much?"}
                ],
                "max_completion_tokens": 800
            })
        );
        let ollama = client(TokenLimitField::MaxTokens)
            .body(&request(Output::Text))
            .unwrap();
        assert_eq!(ollama["max_tokens"], json!(800));
        assert!(ollama.get("max_completion_tokens").is_none());
    }

    #[test]
    fn json_output_is_a_strict_json_schema() {
        let body = client(TokenLimitField::MaxCompletionTokens)
            .body(&request(Output::Json {
                name: "bot reply".into(),
                schema: json!({"type": "object", "properties": {"reply": {"type": "string"}}, "required": ["reply"]}),
            }))
            .unwrap();
        assert_eq!(
            body["response_format"],
            json!({"type": "json_schema", "json_schema": {"name": "bot_reply", "strict": true,
                "schema": {"type": "object", "properties": {"reply": {"type": "string"}}, "required": ["reply"], "additionalProperties": false}}})
        );
    }

    #[test]
    fn audio_goes_as_input_audio_in_wav_or_mp3_only() {
        let openai = client(TokenLimitField::MaxCompletionTokens);
        let mut voice = request(Output::Text);
        voice.turns[2].parts.push(Part::Audio {
            mime: "audio/mpeg".into(),
            data: b"abc".to_vec(),
        });
        let body = openai.body(&voice).unwrap();
        assert_eq!(
            body["messages"][3]["content"],
            json!([{"type": "text", "text": "How much?"}, {"type": "input_audio", "input_audio": {"data": "YWJj", "format": "mp3"}}])
        );
        voice.turns[2].parts[1] = Part::Audio {
            mime: "audio/ogg; codecs=opus".into(),
            data: b"abc".to_vec(),
        };
        let refused = openai.body(&voice).unwrap_err();
        assert_eq!(refused.code(), "bad_request");
        assert!(refused.to_string().contains("audio/ogg"), "{refused}");
        let mut spoken_by_model = request(Output::Text);
        spoken_by_model.turns[1].parts.push(Part::Audio {
            mime: "audio/wav".into(),
            data: vec![1],
        });
        assert_eq!(
            openai.body(&spoken_by_model).unwrap_err().code(),
            "bad_request"
        );
    }

    #[test]
    fn the_base_url_works_with_or_without_v1_and_debug_hides_the_key() {
        for base in [
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/",
            "http://127.0.0.1:9/v1",
            "http://127.0.0.1:9/v1/",
        ] {
            let built = OpenAiChat::new(OpenAiChatConfig {
                base_url: base.into(),
                ..OpenAiChatConfig::default()
            })
            .unwrap();
            assert_eq!(
                built.endpoint.as_str(),
                "http://127.0.0.1:9/v1/chat/completions",
                "{base}"
            );
        }
        let shown = format!("{:?}", client(TokenLimitField::MaxTokens));
        assert!(!shown.contains("sk-unit-secret"), "{shown}");
        assert!(OpenAiChat::new(OpenAiChatConfig {
            model: " ".into(),
            ..OpenAiChatConfig::default()
        })
        .is_err());
    }

    fn read(body: Value) -> Result<Reply, LlmError> {
        read_answer(body.to_string().as_bytes(), "configured").0
    }

    #[test]
    fn a_stopped_answer_is_its_content_with_usage_split_from_reasoning() {
        let reply = read(json!({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-5.4-mini-2026-08-01",
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": null,
                "message": {"role": "assistant", "content": "{\"reply\":\"5 EUR.\"}", "refusal": null, "annotations": []}}],
            "usage": {"prompt_tokens": 19, "completion_tokens": 30, "total_tokens": 49,
                "completion_tokens_details": {"reasoning_tokens": 20}}}))
        .unwrap();
        assert_eq!(reply.text, "{\"reply\":\"5 EUR.\"}");
        assert_eq!(reply.model_version, "gpt-5.4-mini-2026-08-01");
        assert_eq!(
            reply.usage,
            Usage {
                input_tokens: 19,
                output_tokens: 10,
                thinking_tokens: 20
            }
        );
        let odd_usage = read(json!({"model": "", "choices": [{"finish_reason": "stop", "message": {"content": "Hi"}}], "usage": "n/a"})).unwrap();
        assert_eq!(
            (odd_usage.model_version.as_str(), odd_usage.usage),
            ("configured", Usage::default())
        );
    }

    #[test]
    fn each_200_without_an_answer_is_a_typed_failure() {
        for (body, code, words) in [
            (
                json!({"choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."}}]}),
                "blocked",
                "can't help",
            ),
            (
                json!({"choices": [{"finish_reason": "length", "message": {"content": "{\"reply\":\"Sh"}}], "usage": {"completion_tokens": 800, "completion_tokens_details": {"reasoning_tokens": 790}}}),
                "no_answer",
                "reasoning used 790",
            ),
            (
                json!({"choices": [{"finish_reason": "stop", "message": {"content": ""}}]}),
                "no_answer",
                "empty",
            ),
            (
                json!({"choices": [{"finish_reason": "content_filter", "message": {"content": null}}]}),
                "blocked",
                "content_filter",
            ),
            (
                json!({"choices": [{"finish_reason": "tool_calls", "message": {"content": null}}]}),
                "no_answer",
                "tool_calls",
            ),
            (json!({"choices": []}), "no_answer", "no choices"),
        ] {
            let error = read(body.clone()).unwrap_err();
            assert_eq!(error.code(), code, "{body}");
            assert!(error.to_string().contains(words), "{error}");
        }
        assert_eq!(
            read_answer(b"<html/>", "m").0.unwrap_err().code(),
            "unexpected"
        );
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn throttling_reads_retry_after_ms_then_retry_after_then_the_message() {
        let body = json!({"error": {"message": "Rate limit reached for gpt-4o-mini in organization org-X on tokens per min (TPM). Please try again in 45.19s.", "type": "tokens", "param": null, "code": "rate_limit_exceeded"}}).to_string();
        let both = classify(
            429,
            &headers(&[("retry-after", "46"), ("retry-after-ms", "45190")]),
            body.as_bytes(),
            "m",
        );
        assert_eq!(
            (both.retry, both.after),
            (true, Some(Duration::from_millis(45_190)))
        );
        let seconds = classify(429, &headers(&[("retry-after", "2")]), body.as_bytes(), "m");
        assert_eq!(seconds.after, Some(Duration::from_secs(2)));
        let words = classify(429, &HeaderMap::new(), body.as_bytes(), "m");
        assert_eq!(words.after, Some(Duration::from_millis(45_190)));
        let past_date = classify(
            429,
            &headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]),
            b"{}",
            "m",
        );
        assert_eq!(past_date.after, Some(Duration::ZERO));
        assert_eq!(
            past_date.error,
            LlmError::RateLimited {
                retry_after: Some(Duration::ZERO)
            }
        );
    }

    #[test]
    fn openai_errors_are_classified_by_status_then_code() {
        let quota = classify(429, &headers(&[("retry-after", "1")]), br#"{"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}"#, "m");
        assert_eq!(
            (quota.retry, quota.error.code()),
            (false, "quota_exhausted")
        );
        let key = classify(401, &HeaderMap::new(), br#"{"error": {"message": "Incorrect API key provided: sk-not-a*****.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#, "m");
        assert_eq!(key.error, LlmError::InvalidKey);
        let retired = classify(404, &HeaderMap::new(), br#"{"error": {"message": "The model `gpt-3` does not exist or you do not have access to it.", "type": "invalid_request_error", "param": null, "code": "model_not_found"}}"#, "gpt-3");
        assert_eq!(
            retired.error.to_string(),
            "model gpt-3 is retired or unknown: change OPENAI_MODEL"
        );
        let ollama = classify(404, &HeaderMap::new(), br#"{"error": {"message": "model 'qwen9' not found", "type": "not_found_error", "param": null, "code": null}}"#, "qwen9");
        assert_eq!(ollama.error.code(), "retired_model");
        let unsupported = classify(400, &HeaderMap::new(), br#"{"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}"#, "m");
        assert!(!unsupported.retry);
        assert!(unsupported
            .error
            .to_string()
            .contains("max_completion_tokens"));
        let region = classify(403, &HeaderMap::new(), br#"{"error": {"message": "Country, region, or territory not supported", "type": "request_forbidden", "param": null, "code": "unsupported_country_region_territory"}}"#, "m");
        assert_eq!(region.error, LlmError::LocationUnsupported);
        for status in [408, 409, 500, 502, 503, 504] {
            let failed = classify(status, &HeaderMap::new(), b"<html>Bad Gateway</html>", "m");
            assert!(
                failed.retry && failed.error.code() == "unavailable",
                "{status}"
            );
        }
        let told_not_to = classify(503, &headers(&[("x-should-retry", "false")]), b"{}", "m");
        assert!(!told_not_to.retry);
        let told_to = classify(400, &headers(&[("x-should-retry", "true")]), b"{}", "m");
        assert!(told_to.retry);
        let flagged = classify(400, &HeaderMap::new(), br#"{"error": {"message": "Invalid prompt: your prompt was flagged as potentially violating our usage policy.", "type": "invalid_request_error", "param": null, "code": "invalid_prompt"}}"#, "m");
        assert_eq!((flagged.retry, flagged.error.code()), (false, "blocked"));
        let gateway = classify(429, &HeaderMap::new(), br#"[{"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}}]"#, "m");
        assert_eq!(
            (gateway.retry, gateway.error.code()),
            (true, "rate_limited")
        );
    }
}
