//! Gemini's `POST {base_url}/v1beta/models/{model}:generateContent` (`../shared/docs/LLM_APIS.md` §1).
//!
//! The request: the instructions as `systemInstruction`, the turns as `contents` (roles `user` and
//! `model`; audio as base64 `inlineData`), and a `generationConfig` with `maxOutputTokens`, the JSON
//! schema as `responseSchema` when JSON is asked for, and the thinking knob this model family takes
//! (see [`Thinking`]). No sampling parameters: Gemini 3.5+ deprecates them.
//!
//! The answer: the candidate's non-thought text parts, joined, and only when `finishReason` is `STOP` and
//! the text is not empty. Gemini reports most content failures as HTTP 200 (a `promptFeedback.blockReason`
//! without candidates, a candidate without `content` or without `parts`, `MAX_TOKENS` with half a JSON
//! text); each becomes [`LlmError::Blocked`] or [`LlmError::NoAnswer`] with the reason.
//!
//! Errors are Google's `{"error": {"code", "message", "status", "details"}}` (details optional, sometimes
//! list-wrapped, HTML from proxies). A bad key is a 400 (`API_KEY_INVALID`), a retired model a 404, a
//! 429 carries its delay in `RetryInfo.retryDelay` (no `Retry-After` header) and its window in
//! `QuotaFailure` (`...PerDay...` is not worth a retry).

use super::engine::{self, Engine, Failed, HttpAnswer, Reply};
use super::{
    bare_mime, key_header, parse_base_url, schema, ApiKey, BreakerPolicy, ChatAnswer, ChatModel,
    ChatRequest, ConfigError, LlmError, Output, Part, RetryPolicy, Role, Usage,
};
use crate::embeddings::openai::{excerpt, http_client, scrub};
use async_trait::async_trait;
use base64::Engine as _;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::Url;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Google's current GA flash-lite model (`gemini-1.5-flash`, the old default, answers 404 since 2025-09).
pub const DEFAULT_MODEL: &str = "gemini-3.5-flash-lite";
/// Google's Generative Language API.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// The setting a retired-model error tells the operator to change.
const MODEL_SETTING: &str = "GEMINI_MODEL";

/// Where and how to reach Gemini.
#[derive(Debug, Clone)]
pub struct GeminiChatConfig {
    /// `https://generativelanguage.googleapis.com` or an emulator's address; a trailing `/v1beta` is
    /// accepted too.
    pub base_url: String,
    /// Sent in the `x-goog-api-key` header only.
    pub api_key: ApiKey,
    /// A bare model id (`gemini-3.5-flash-lite`); `models/...` is accepted too.
    pub model: String,
    /// For one HTTP attempt, connecting included. Thinking models can take tens of seconds.
    pub timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
}

impl GeminiChatConfig {
    /// Google's API with [`DEFAULT_MODEL`], a 60 s timeout and the default retries.
    pub fn new(api_key: ApiKey) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key,
            model: DEFAULT_MODEL.to_owned(),
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

/// Which thinking setting a model takes; sending the wrong one (or both) is a 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thinking {
    /// Gemini 3 and later: `thinkingLevel` (`LOW` keeps a short reply quick and leaves the token cap
    /// to the answer).
    Level(&'static str),
    /// Gemini 2.5 Flash and Flash-Lite: `thinkingBudget` in tokens (0 turns thinking off).
    Budget(u32),
    /// Any other model (2.5 Pro cannot turn it off; older models and aliases such as
    /// `gemini-flash-latest` may not take the field): nothing is sent and the model's default applies.
    Default,
}

impl Thinking {
    /// The setting for a model id, from its family: `gemini-{major}[.{minor}]-...`.
    pub fn for_model(model: &str) -> Thinking {
        let Some(rest) = model.strip_prefix("gemini-") else {
            return Thinking::Default;
        };
        let (version, variant) = rest.split_once('-').unwrap_or((rest, ""));
        let (major, minor) = version.split_once('.').unwrap_or((version, "0"));
        match (major.parse::<u32>(), minor.parse::<u32>()) {
            (Ok(major), Ok(_)) if major >= 3 => Thinking::Level("LOW"),
            (Ok(2), Ok(5)) if variant.starts_with("flash") => Thinking::Budget(0),
            _ => Thinking::Default,
        }
    }
}

/// A [`ChatModel`] over Gemini's `generateContent`. `Debug` shows no key.
#[derive(Debug)]
pub struct GeminiChat {
    http: reqwest::Client,
    endpoint: Url,
    api_key: ApiKey,
    key_header: HeaderValue,
    model: String,
    thinking: Thinking,
    timeout: Duration,
    engine: Engine,
}

impl GeminiChat {
    /// Checks the configuration and builds the HTTP client; no request is made.
    pub fn new(config: GeminiChatConfig) -> Result<Self, ConfigError> {
        let model = config.model.trim();
        let model = model.strip_prefix("models/").unwrap_or(model);
        // The id goes into the path as it is: letters, digits, `-`, `_` and `.` are all Google uses.
        if model.is_empty()
            || !model
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(ConfigError(format!(
                "{model:?} is not a Gemini model id (like {DEFAULT_MODEL})"
            )));
        }
        if config.api_key.expose().trim().is_empty() {
            return Err(ConfigError("the Gemini API key is empty".into()));
        }
        let key_header = key_header(config.api_key.expose().to_owned(), "Gemini")?;
        let base = parse_base_url(&config.base_url)?;
        let root = base.trim_end_matches("/v1beta");
        let endpoint = Url::parse(&format!("{root}/v1beta/models/{model}:generateContent"))
            .map_err(|e| ConfigError(format!("the Gemini base URL is not a URL: {e}")))?;
        let http = http_client(config.timeout).map_err(|e| ConfigError(e.0))?;
        Ok(Self {
            http,
            endpoint,
            api_key: config.api_key,
            key_header,
            model: model.to_owned(),
            thinking: Thinking::for_model(model),
            timeout: config.timeout,
            engine: Engine::new("gemini", config.retry),
        })
    }

    /// Replaces the default circuit breaker (5 failed requests in a row pause calls for 30 s).
    pub fn with_breaker(mut self, policy: BreakerPolicy) -> Self {
        self.engine.set_breaker(policy);
        self
    }

    /// The thinking setting sent with every request.
    pub fn thinking(&self) -> Thinking {
        self.thinking
    }

    /// The JSON body for `request`, or why it cannot be sent.
    fn body(&self, request: &ChatRequest) -> Result<Value, LlmError> {
        if request.turns.is_empty() {
            return Err(LlmError::BadRequest {
                message: "a request needs at least one turn".into(),
            });
        }
        let mut contents = Vec::with_capacity(request.turns.len());
        for (i, turn) in request.turns.iter().enumerate() {
            if turn.parts.is_empty() {
                return Err(LlmError::BadRequest {
                    message: format!("turn {i} has no parts"),
                });
            }
            let parts: Vec<Value> = turn
                .parts
                .iter()
                .map(|part| match part {
                    Part::Text(text) => json!({"text": text}),
                    Part::Audio { mime, data } => json!({"inlineData": {
                        "mimeType": bare_mime(mime),
                        "data": base64::engine::general_purpose::STANDARD.encode(data),
                    }}),
                })
                .collect();
            let role = match turn.role {
                Role::User => "user",
                Role::Model => "model",
            };
            contents.push(json!({"role": role, "parts": parts}));
        }
        let mut config = Map::new();
        if request.max_output_tokens > 0 {
            config.insert("maxOutputTokens".into(), request.max_output_tokens.into());
        }
        if let Output::Json { schema, .. } = &request.output {
            let schema = schema::to_gemini(schema).map_err(|reason| LlmError::BadRequest {
                message: format!("the JSON schema cannot be sent to Gemini: {reason}"),
            })?;
            config.insert("responseMimeType".into(), "application/json".into());
            config.insert("responseSchema".into(), schema);
        }
        match self.thinking {
            Thinking::Level(level) => {
                config.insert("thinkingConfig".into(), json!({"thinkingLevel": level}));
            }
            Thinking::Budget(budget) => {
                config.insert("thinkingConfig".into(), json!({"thinkingBudget": budget}));
            }
            Thinking::Default => {}
        }
        let mut body = Map::new();
        if !request.system.trim().is_empty() {
            body.insert(
                "systemInstruction".into(),
                json!({"parts": [{"text": request.system}]}),
            );
        }
        body.insert("contents".into(), Value::Array(contents));
        if !config.is_empty() {
            body.insert("generationConfig".into(), Value::Object(config));
        }
        Ok(Value::Object(body))
    }

    async fn attempt(&self, body: &[u8]) -> Result<Reply, Failed> {
        let request = self
            .http
            .post(self.endpoint.clone())
            .header("x-goog-api-key", self.key_header.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        let answer = engine::send(request, self.timeout).await?;
        if !answer.status.is_success() {
            return Err(self.refusal(&answer));
        }
        let reading = read_answer(&answer.body, &self.model);
        if let Some(usage) = &reading.usage {
            self.engine.bill(usage);
        }
        if let Some(stage) = &reading.model_stage {
            tracing::warn!(model = %self.model, stage = %stage, "the Gemini model is being retired: plan a change of GEMINI_MODEL");
        }
        reading.result.map_err(|error| {
            Failed::fatal(match error {
                LlmError::Unexpected { message } => LlmError::Unexpected {
                    message: scrub(&message, Some(&self.api_key)),
                },
                other => other,
            })
        })
    }

    /// An error status as a typed failure, retryable or not.
    fn refusal(&self, answer: &HttpAnswer) -> Failed {
        if answer.status.is_redirection() {
            return engine::redirect(answer.status);
        }
        let mut failed = classify(answer.status.as_u16(), &answer.body, &self.model);
        let scrub_in = |text: &mut String| *text = scrub(text, Some(&self.api_key));
        match &mut failed.error {
            LlmError::Forbidden { message }
            | LlmError::QuotaExhausted { message }
            | LlmError::Unavailable { message }
            | LlmError::BadRequest { message }
            | LlmError::Unexpected { message } => scrub_in(message),
            _ => {}
        }
        failed
    }
}

#[async_trait]
impl ChatModel for GeminiChat {
    fn provider(&self) -> &'static str {
        "gemini"
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

/// What a 200 answer said: the result, and what to log and bill whatever it was.
#[derive(Debug)]
struct Reading {
    result: Result<Reply, LlmError>,
    usage: Option<Usage>,
    /// `modelStatus.modelStage` when the model is on its way out (LEGACY, DEPRECATED).
    model_stage: Option<String>,
}

/// The finish reasons that mean a policy stopped the answer (the rest mean it was cut or failed).
const BLOCKING_FINISH_REASONS: &[&str] = &[
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
];

/// Reads a `GenerateContentResponse` by the client rule of LLM_APIS.md §1.7: the non-thought text of the
/// first candidate, only when it finished with `STOP` and is not empty.
fn read_answer(body: &[u8], configured_model: &str) -> Reading {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(value @ Value::Object(_)) => value,
        _ => {
            return Reading {
                result: Err(LlmError::Unexpected {
                    message: format!("not a generateContent answer: {}", excerpt(body)),
                }),
                usage: None,
                model_stage: None,
            }
        }
    };
    let usage = parsed.get("usageMetadata").map(|u| {
        let count = |key: &str| u.get(key).and_then(Value::as_u64).unwrap_or(0);
        Usage {
            input_tokens: count("promptTokenCount"),
            output_tokens: count("candidatesTokenCount"),
            thinking_tokens: count("thoughtsTokenCount"),
        }
    });
    let model_stage = parsed
        .pointer("/modelStatus/modelStage")
        .and_then(Value::as_str)
        .filter(|stage| matches!(*stage, "LEGACY" | "DEPRECATED" | "RETIRED"))
        .map(str::to_owned);
    let result = decide(&parsed, usage.unwrap_or_default(), configured_model);
    Reading {
        result,
        usage,
        model_stage,
    }
}

fn decide(parsed: &Value, usage: Usage, configured_model: &str) -> Result<Reply, LlmError> {
    if let Some(reason) = parsed
        .pointer("/promptFeedback/blockReason")
        .and_then(Value::as_str)
    {
        return Err(LlmError::Blocked {
            reason: format!("the prompt was blocked ({reason})"),
        });
    }
    let Some(candidate) = parsed
        .get("candidates")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return Err(LlmError::NoAnswer {
            reason: "no candidates".into(),
        });
    };
    let text: String = candidate
        .pointer("/content/parts")
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter(|part| part.get("thought").and_then(Value::as_bool) != Some(true))
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let finish = candidate
        .get("finishReason")
        .and_then(Value::as_str)
        .unwrap_or("none");
    let message = candidate
        .get("finishMessage")
        .and_then(Value::as_str)
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    if BLOCKING_FINISH_REASONS.contains(&finish) {
        return Err(LlmError::Blocked {
            reason: format!("finishReason {finish}{message}"),
        });
    }
    if finish != "STOP" {
        let what = if text.trim().is_empty() {
            format!(
                "without text (thinking used {} tokens)",
                usage.thinking_tokens
            )
        } else {
            "with an unfinished text".to_owned()
        };
        return Err(LlmError::NoAnswer {
            reason: format!("finishReason {finish} {what}{message}"),
        });
    }
    if text.trim().is_empty() {
        return Err(LlmError::NoAnswer {
            reason: "an empty answer".into(),
        });
    }
    Ok(Reply {
        text,
        model_version: parsed
            .get("modelVersion")
            .and_then(Value::as_str)
            .unwrap_or(configured_model)
            .to_owned(),
        usage,
    })
}

/// Google's error object, read leniently: every part is optional.
#[derive(Debug, Default, PartialEq)]
struct GoogleError {
    status: Option<String>,
    message: String,
    /// `ErrorInfo.reason`, e.g. `API_KEY_INVALID`.
    reason: Option<String>,
    /// `QuotaFailure.violations[].quotaId`, e.g. `GenerateRequestsPerMinutePerProjectPerModel-FreeTier`.
    quota_ids: Vec<String>,
    /// `RetryInfo.retryDelay`.
    retry_delay: Option<Duration>,
}

fn google_error(body: &[u8]) -> GoogleError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let parsed = match parsed {
        Some(Value::Array(mut items)) if !items.is_empty() => Some(items.swap_remove(0)),
        other => other,
    };
    let Some(error) = parsed.as_ref().and_then(|v| v.get("error")) else {
        return GoogleError {
            message: excerpt(body),
            ..GoogleError::default()
        };
    };
    let mut read = GoogleError {
        status: error
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_owned),
        message: error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| excerpt(body)),
        ..GoogleError::default()
    };
    let details = error.get("details").and_then(Value::as_array);
    for detail in details.into_iter().flatten() {
        let kind = detail.get("@type").and_then(Value::as_str).unwrap_or("");
        if kind.ends_with("google.rpc.ErrorInfo") {
            read.reason = detail
                .get("reason")
                .and_then(Value::as_str)
                .map(str::to_owned);
        } else if kind.ends_with("google.rpc.QuotaFailure") {
            let violations = detail.get("violations").and_then(Value::as_array);
            read.quota_ids.extend(
                violations
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.get("quotaId").and_then(Value::as_str))
                    .map(str::to_owned),
            );
        } else if kind.ends_with("google.rpc.RetryInfo") {
            read.retry_delay = detail
                .get("retryDelay")
                .and_then(Value::as_str)
                .and_then(engine::parse_proto_duration);
        }
    }
    read
}

/// An error answer as a failure: the HTTP status decides the class, the body the details.
fn classify(status: u16, body: &[u8], model: &str) -> Failed {
    let error = google_error(body);
    let google_status = error.status.as_deref().unwrap_or("");
    let message = match &error.status {
        Some(s) => format!("HTTP {status} {s}: {}", error.message),
        None => format!("HTTP {status}: {}", error.message),
    };
    match status {
        400 if error.reason.as_deref() == Some("API_KEY_INVALID")
            || error.message.contains("API key not valid") =>
        {
            Failed::fatal(LlmError::InvalidKey)
        }
        400 if google_status == "FAILED_PRECONDITION"
            && (error.message.contains("location") || error.message.contains("country")) =>
        {
            Failed::fatal(LlmError::LocationUnsupported)
        }
        401 => Failed::fatal(LlmError::InvalidKey),
        403 => Failed::fatal(LlmError::Forbidden { message }),
        404 => Failed::fatal(LlmError::RetiredModel {
            model: model.to_owned(),
            setting: MODEL_SETTING.to_owned(),
        }),
        429 => {
            let per_day = error.quota_ids.iter().any(|id| id.contains("PerDay"));
            if per_day {
                // Resets at midnight Pacific: no wait within a conversation helps.
                return Failed::fatal(LlmError::QuotaExhausted { message });
            }
            let delay = error
                .retry_delay
                .or_else(|| engine::delay_in_message(&error.message));
            Failed::transient(LlmError::RateLimited { retry_after: delay }, delay)
        }
        408 | 409 => Failed::transient(LlmError::Unavailable { message }, None),
        500..=599 => Failed::transient(LlmError::Unavailable { message }, None),
        400..=499 => Failed::fatal(LlmError::BadRequest { message }),
        _ => Failed::fatal(LlmError::Unexpected { message }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Turn;

    fn client(model: &str) -> GeminiChat {
        GeminiChat::new(GeminiChatConfig {
            model: model.into(),
            ..GeminiChatConfig::new(ApiKey::new("AIza-unit-key"))
        })
        .unwrap()
    }

    fn request(output: Output) -> ChatRequest {
        ChatRequest {
            system: "You answer customers of Acme Watches.".into(),
            turns: vec![
                Turn::text(Role::User, "Do you ship to Porto?"),
                Turn::text(Role::Model, "Yes, in 2-3 business days."),
                Turn {
                    role: Role::User,
                    parts: vec![
                        Part::Text("How much?".into()),
                        Part::Audio {
                            mime: "audio/ogg; codecs=opus".into(),
                            data: b"how much".to_vec(),
                        },
                    ],
                },
            ],
            output,
            max_output_tokens: 2048,
        }
    }

    #[test]
    fn the_body_has_instructions_roles_audio_and_no_sampling_parameters() {
        let body = client("gemini-3.5-flash-lite")
            .body(&request(Output::Text))
            .unwrap();
        assert_eq!(
            body,
            json!({
                "systemInstruction": {"parts": [{"text": "You answer customers of Acme Watches."}]},
                "contents": [
                    {"role": "user", "parts": [{"text": "Do you ship to Porto?"}]},
                    {"role": "model", "parts": [{"text": "Yes, in 2-3 business days."}]},
                    {"role": "user", "parts": [
                        {"text": "How much?"},
                        {"inlineData": {"mimeType": "audio/ogg", "data": "aG93IG11Y2g="}}
                    ]}
                ],
                "generationConfig": {"maxOutputTokens": 2048, "thinkingConfig": {"thinkingLevel": "LOW"}}
            })
        );
    }

    #[test]
    fn json_output_sends_the_converted_schema() {
        let schema = json!({"type": "object", "properties": {"reply": {"type": "string"}}, "required": ["reply"], "additionalProperties": false});
        let body = client("gemini-2.5-flash")
            .body(&request(Output::Json {
                name: "bot_reply".into(),
                schema,
            }))
            .unwrap();
        assert_eq!(
            body["generationConfig"],
            json!({
                "maxOutputTokens": 2048,
                "responseMimeType": "application/json",
                "responseSchema": {"type": "OBJECT", "properties": {"reply": {"type": "STRING"}},
                                   "required": ["reply"], "propertyOrdering": ["reply"]},
                "thinkingConfig": {"thinkingBudget": 0}
            })
        );
        let refused = client("gemini-2.5-flash").body(&request(Output::Json {
            name: "x".into(),
            schema: json!({"$ref": "#/x"}),
        }));
        assert_eq!(refused.unwrap_err().code(), "bad_request");
    }

    #[test]
    fn each_model_family_gets_its_own_thinking_knob() {
        for (model, want) in [
            ("gemini-3.5-flash-lite", Thinking::Level("LOW")),
            ("gemini-3.8-flash", Thinking::Level("LOW")),
            ("gemini-3-flash-preview", Thinking::Level("LOW")),
            ("gemini-10.1-pro", Thinking::Level("LOW")),
            ("gemini-2.5-flash", Thinking::Budget(0)),
            ("gemini-2.5-flash-lite", Thinking::Budget(0)),
            ("gemini-2.5-pro", Thinking::Default),
            ("gemini-2.0-flash", Thinking::Default),
            ("gemini-flash-latest", Thinking::Default),
            ("gemma-3-27b-it", Thinking::Default),
        ] {
            assert_eq!(Thinking::for_model(model), want, "{model}");
        }
        let body = client("gemini-2.5-pro")
            .body(&request(Output::Text))
            .unwrap();
        assert!(body["generationConfig"].get("thinkingConfig").is_none());
    }

    #[test]
    fn requests_that_cannot_be_sent_are_refused_before_a_call() {
        let gemini = client(DEFAULT_MODEL);
        let mut empty = request(Output::Text);
        empty.turns.clear();
        assert_eq!(gemini.body(&empty).unwrap_err().code(), "bad_request");
        let mut no_parts = request(Output::Text);
        no_parts.turns[0].parts.clear();
        assert_eq!(gemini.body(&no_parts).unwrap_err().code(), "bad_request");
    }

    #[test]
    fn configurations_that_cannot_work_are_refused_and_debug_hides_the_key() {
        let with = |model: &str, key: &str, base: &str| {
            GeminiChat::new(GeminiChatConfig {
                model: model.into(),
                base_url: base.into(),
                ..GeminiChatConfig::new(ApiKey::new(key))
            })
        };
        let ok = with(
            "models/gemini-3.8-flash",
            "AIza-secret",
            "http://127.0.0.1:9/v1beta/",
        )
        .unwrap();
        assert_eq!(ok.model(), "gemini-3.8-flash");
        assert_eq!(
            ok.endpoint.as_str(),
            "http://127.0.0.1:9/v1beta/models/gemini-3.8-flash:generateContent"
        );
        assert!(!format!("{ok:?}").contains("AIza-secret"));
        assert!(with("../x", "k", DEFAULT_BASE_URL).is_err());
        assert!(with("gemini-3.8-flash", " ", DEFAULT_BASE_URL).is_err());
        assert!(with("gemini-3.8-flash", "bad\nkey", DEFAULT_BASE_URL).is_err());
        let in_url = with("gemini-3.8-flash", "k", "https://example.org/?key=abc").unwrap_err();
        assert!(in_url.to_string().contains("model base URL"), "{in_url}");
    }

    fn read(body: Value) -> Result<Reply, LlmError> {
        read_answer(body.to_string().as_bytes(), "configured").result
    }

    #[test]
    fn a_finished_answer_is_its_non_thought_text_with_usage() {
        let reply = read(json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "Let me think about shipping.", "thought": true},
                {"text": "{\"reply\":"}, {"text": "\"5 EUR\"}"}
            ]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 182, "candidatesTokenCount": 21, "thoughtsTokenCount": 44, "totalTokenCount": 247},
            "modelVersion": "gemini-3.5-flash-lite-001"
        }))
        .unwrap();
        assert_eq!(reply.text, "{\"reply\":\"5 EUR\"}");
        assert_eq!(reply.model_version, "gemini-3.5-flash-lite-001");
        assert_eq!(
            reply.usage,
            Usage {
                input_tokens: 182,
                output_tokens: 21,
                thinking_tokens: 44
            }
        );
        let bare = read(json!({"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}]})).unwrap();
        assert_eq!(
            (bare.model_version.as_str(), bare.usage),
            ("configured", Usage::default())
        );
    }

    #[test]
    fn every_200_without_an_answer_is_a_typed_failure() {
        let cases = [
            (
                json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 638}}),
                "blocked",
                "PROHIBITED_CONTENT",
            ),
            (
                json!({"candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": true}]}]}),
                "blocked",
                "SAFETY",
            ),
            (
                json!({"candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS", "index": 0}], "usageMetadata": {"promptTokenCount": 39236, "thoughtsTokenCount": 3071}}),
                "no_answer",
                "MAX_TOKENS without text (thinking used 3071 tokens)",
            ),
            (
                json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "{\"reply\":\"Ship"}]}, "finishReason": "MAX_TOKENS"}]}),
                "no_answer",
                "unfinished",
            ),
            (
                json!({"candidates": [{"content": {"parts": []}, "finishReason": "RECITATION"}]}),
                "blocked",
                "RECITATION",
            ),
            (
                json!({"candidates": [{"content": {"parts": [{"text": "  "}]}, "finishReason": "STOP"}]}),
                "no_answer",
                "empty",
            ),
            (
                json!({"candidates": [{"content": {"parts": [{"text": "thinking only", "thought": true}]}, "finishReason": "STOP"}]}),
                "no_answer",
                "empty",
            ),
            (
                json!({"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "FUTURE_REASON"}]}),
                "no_answer",
                "FUTURE_REASON",
            ),
            (
                json!({"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}),
                "no_answer",
                "finishReason none",
            ),
            (json!({"candidates": []}), "no_answer", "no candidates"),
            (
                json!({"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": ""}}]}, "finishReason": "STOP"}]}),
                "no_answer",
                "empty",
            ),
        ];
        for (body, code, words) in cases {
            let error = read(body.clone()).unwrap_err();
            assert_eq!(error.code(), code, "{body}");
            assert!(error.to_string().contains(words), "{error} for {body}");
        }
        let not_json = read_answer(b"<html>oops</html>", "m").result.unwrap_err();
        assert_eq!(not_json.code(), "unexpected");
    }

    #[test]
    fn billed_tokens_of_an_unusable_answer_are_still_read() {
        let reading = read_answer(
            br#"{"candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS"}], "usageMetadata": {"promptTokenCount": 10, "thoughtsTokenCount": 90}, "modelStatus": {"modelStage": "DEPRECATED"}}"#,
            "m",
        );
        assert!(reading.result.is_err());
        assert_eq!(
            reading.usage,
            Some(Usage {
                input_tokens: 10,
                output_tokens: 0,
                thinking_tokens: 90
            })
        );
        assert_eq!(reading.model_stage.as_deref(), Some("DEPRECATED"));
    }

    fn classify_json(status: u16, body: Value) -> Failed {
        classify(status, body.to_string().as_bytes(), "gemini-1.5-flash")
    }

    #[test]
    fn google_errors_are_classified_by_status_then_body() {
        let bad_key = classify_json(
            400,
            json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}}),
        );
        assert_eq!(
            (bad_key.error, bad_key.retry),
            (LlmError::InvalidKey, false)
        );

        let retired = classify_json(
            404,
            json!({"error": {"code": 404, "message": "models/gemini-1.5-flash is not found for API version v1beta, or is not supported for generateContent.", "status": "NOT_FOUND"}}),
        );
        assert_eq!(
            retired.error.to_string(),
            "model gemini-1.5-flash is retired or unknown: change GEMINI_MODEL"
        );
        assert!(!retired.retry);

        let location = classify_json(
            400,
            json!({"error": {"code": 400, "message": "User location is not supported for the API use.", "status": "FAILED_PRECONDITION"}}),
        );
        assert_eq!(location.error, LlmError::LocationUnsupported);

        let missing_key = classify_json(
            403,
            json!({"error": {"code": 403, "message": "Method doesn't allow unregistered callers", "status": "PERMISSION_DENIED"}}),
        );
        assert_eq!(missing_key.error.code(), "forbidden");

        let role = classify_json(
            400,
            json!({"error": {"code": 400, "message": "Please use a valid role: user, model.", "status": "INVALID_ARGUMENT"}}),
        );
        assert_eq!(
            role.error,
            LlmError::BadRequest {
                message: "HTTP 400 INVALID_ARGUMENT: Please use a valid role: user, model.".into()
            }
        );

        for status in [408, 409, 500, 502, 503, 504] {
            let failed = classify(status, b"<html><body>Bad gateway</body></html>", "m");
            assert!(
                failed.retry && failed.error.code() == "unavailable",
                "{status}"
            );
        }
        let overloaded = classify_json(
            503,
            json!({"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}),
        );
        assert!(overloaded.error.to_string().contains("overloaded"));
    }

    #[test]
    fn throttling_waits_for_retry_info_but_a_daily_quota_is_final() {
        let per_minute = classify_json(
            429,
            json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
            "message": "You exceeded your current quota, please check your plan and billing details. Please retry in 26.660853464s.",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
                {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]}}),
        );
        assert!(per_minute.retry);
        assert_eq!(per_minute.after, Some(Duration::from_millis(1500)));
        assert_eq!(
            per_minute.error,
            LlmError::RateLimited {
                retry_after: Some(Duration::from_millis(1500))
            }
        );

        // Without RetryInfo, the delay written in the message.
        let in_words = classify_json(
            429,
            json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded. Please retry in 26.660853464s."}}),
        );
        assert_eq!(in_words.after, Some(Duration::new(26, 660_853_464)));
        let bare = classify_json(
            429,
            json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Resource has been exhausted (e.g. check quota)."}}),
        );
        assert_eq!((bare.retry, bare.after), (true, None));

        let per_day = classify_json(
            429,
            json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "You exceeded your current quota",
            "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},
                        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3600s"}]}}),
        );
        assert!(!per_day.retry);
        assert_eq!(per_day.error.code(), "quota_exhausted");
    }

    #[test]
    fn list_wrapped_and_detail_less_errors_read_too() {
        let wrapped = google_error(
            br#"[{"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}]"#,
        );
        assert_eq!(
            (wrapped.status.as_deref(), wrapped.message.as_str()),
            (Some("INVALID_ARGUMENT"), "bad")
        );
        let html = google_error(b"<html>502 Bad Gateway</html>");
        assert_eq!(
            (html.status, html.message.as_str()),
            (None, "<html>502 Bad Gateway</html>")
        );
    }
}
