//! Gemini embeddings: `POST {base_url}/v1beta/models/{model}:batchEmbedContents`
//! (`../shared/docs/LLM_APIS.md` §2).
//!
//! The key travels in the `x-goog-api-key` header, never in the URL (`?key=` ends up in logs). Each
//! request of a batch names the model again (`models/{model}`, required) and asks for
//! `outputDimensionality: 384`; Google shortens gemini-embedding-001's 3072 floats without
//! re-normalising them, which [`checked`] does. Queries are `RETRIEVAL_QUERY` and passages
//! `RETRIEVAL_DOCUMENT`. Google takes at most 100 requests per batch, so longer inputs are split.
//!
//! Errors come as `{"error": {"code", "message", "status", "details"}}` (sometimes list-wrapped, and a
//! proxy may send HTML). Throttling (`429 RESOURCE_EXHAUSTED`) and Google's own failures (5xx:
//! `INTERNAL`, `UNAVAILABLE`, `DEADLINE_EXCEEDED`) are transient; a bad key (which Google answers with
//! `400 INVALID_ARGUMENT`), a missing or leaked one (`403 PERMISSION_DENIED`) and a retired model
//! (`404 NOT_FOUND`) need the configuration changed.
//!
//! The model id stored beside every vector is `gemini:{model}` (e.g. `gemini:gemini-embedding-001`).

use super::openai::{
    body_limit, excerpt, http_client, parse_base_url, redirect, refuse_empty_texts, scrub, send,
};
use super::openai::{ApiKey, ConfigError};
use super::{checked, EmbedError, Embedder, Purpose, DIMENSIONS};
use async_trait::async_trait;
use reqwest::header::HeaderValue;
use reqwest::{StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// Google's Generative Language API, used when no base URL is configured.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// Google's current embeddings model (text-embedding-004 was shut down on 2026-01-14).
pub const DEFAULT_MODEL: &str = "gemini-embedding-001";
/// Google's limit of requests in one `batchEmbedContents`.
pub const MAX_BATCH: usize = 100;

/// Where and how to reach Gemini.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// `https://generativelanguage.googleapis.com`, or an emulator's address.
    pub base_url: String,
    /// Sent in the `x-goog-api-key` header. `Debug` never prints it.
    pub api_key: ApiKey,
    /// A bare model id (`gemini-embedding-001`); `models/gemini-embedding-001` is accepted too.
    pub model: String,
    /// For one whole request, connecting included.
    pub timeout: Duration,
    /// At most this many texts per request, capped at Google's [`MAX_BATCH`].
    pub max_batch: usize,
}

impl GeminiConfig {
    /// Google's API with [`DEFAULT_MODEL`], a 30 s timeout and full batches.
    pub fn new(api_key: ApiKey) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_key,
            model: DEFAULT_MODEL.to_owned(),
            timeout: Duration::from_secs(30),
            max_batch: MAX_BATCH,
        }
    }
}

/// An [`Embedder`] over Gemini's `batchEmbedContents`. `Debug` shows no key.
#[derive(Debug)]
pub struct GeminiEmbedder {
    http: reqwest::Client,
    endpoint: Url,
    api_key: ApiKey,
    /// `models/{model}`, as every request of a batch must name it.
    resource: String,
    id: String,
    timeout: Duration,
    max_batch: usize,
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    requests: Vec<EmbedRequest<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmbedRequest<'a> {
    model: &'a str,
    content: Content<'a>,
    task_type: &'static str,
    output_dimensionality: usize,
}

#[derive(Serialize)]
struct Content<'a> {
    parts: [Part<'a>; 1],
}

#[derive(Serialize)]
struct Part<'a> {
    text: &'a str,
}

/// Proto3 JSON leaves out empty lists, so a missing `embeddings` (or `values`) means none.
#[derive(Deserialize)]
struct BatchResponse {
    #[serde(default)]
    embeddings: Vec<ContentEmbedding>,
}

#[derive(Deserialize)]
struct ContentEmbedding {
    #[serde(default)]
    values: Vec<f32>,
}

impl GeminiEmbedder {
    /// Checks the configuration and builds the HTTP client; no request is made.
    pub fn new(config: GeminiConfig) -> Result<Self, ConfigError> {
        let model = config.model.trim();
        let model = model.strip_prefix("models/").unwrap_or(model);
        // The id goes into the path as is: letters, digits, `-`, `_` and `.` are all Google uses.
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
        if HeaderValue::from_str(config.api_key.expose()).is_err() {
            return Err(ConfigError(
                "the Gemini API key has characters no HTTP header can carry".into(),
            ));
        }
        let base = parse_base_url(&config.base_url)?;
        let root = base.trim_end_matches("/v1beta");
        let endpoint = Url::parse(&format!("{root}/v1beta/models/{model}:batchEmbedContents"))
            .map_err(|e| ConfigError(format!("the Gemini base URL is not a URL: {e}")))?;
        Ok(Self {
            http: http_client(config.timeout)?,
            endpoint,
            api_key: config.api_key,
            resource: format!("models/{model}"),
            id: format!("gemini:{model}"),
            timeout: config.timeout,
            max_batch: config.max_batch.clamp(1, MAX_BATCH),
        })
    }

    async fn embed_batch(
        &self,
        purpose: Purpose,
        texts: &[String],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let task_type = match purpose {
            Purpose::Query => "RETRIEVAL_QUERY",
            Purpose::Passage => "RETRIEVAL_DOCUMENT",
        };
        let body = BatchRequest {
            requests: texts
                .iter()
                .map(|text| EmbedRequest {
                    model: &self.resource,
                    content: Content {
                        parts: [Part { text }],
                    },
                    task_type,
                    output_dimensionality: DIMENSIONS,
                })
                .collect(),
        };
        let mut key =
            HeaderValue::from_str(self.api_key.expose()).map_err(|_| EmbedError::Refused {
                message: "the Gemini API key cannot be sent in a header".into(),
            })?;
        key.set_sensitive(true);
        let request = self
            .http
            .post(self.endpoint.clone())
            .header("x-goog-api-key", key)
            .json(&body);
        let (status, bytes) =
            send("gemini", request, self.timeout, body_limit(texts.len())).await?;
        if !status.is_success() {
            return Err(self.refusal(status, &bytes));
        }
        let answer: BatchResponse =
            serde_json::from_slice(&bytes).map_err(|e| EmbedError::Unexpected {
                message: format!("not a batchEmbedContents answer: {e}"),
            })?;
        // Google answers in request order; checked() makes sure there is one vector per text.
        checked(
            texts.len(),
            answer.embeddings.into_iter().map(|e| e.values).collect(),
        )
    }

    fn refusal(&self, status: StatusCode, body: &[u8]) -> EmbedError {
        if status.is_redirection() {
            return redirect(status);
        }
        let (google_status, message) = google_error(body);
        let mut text = format!("HTTP {}", status.as_u16());
        if let Some(google_status) = google_status {
            text = format!("{text} {google_status}");
        }
        text = format!("{text}: {message}");
        if status == StatusCode::NOT_FOUND {
            text.push_str(" (the model may be retired: configure another one)");
        }
        let message = scrub(&text, Some(&self.api_key));
        if matches!(status.as_u16(), 408 | 429) || status.is_server_error() {
            EmbedError::Unavailable { message }
        } else if status.is_client_error() {
            EmbedError::Refused { message }
        } else {
            EmbedError::Unexpected { message }
        }
    }
}

#[async_trait]
impl Embedder for GeminiEmbedder {
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

/// `(status, message)` from Google's error object, list-wrapped or not; the body's start otherwise.
fn google_error(body: &[u8]) -> (Option<String>, String) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let parsed = match parsed {
        Some(Value::Array(mut items)) if !items.is_empty() => Some(items.swap_remove(0)),
        other => other,
    };
    let Some(error) = parsed.as_ref().and_then(|v| v.get("error")) else {
        return (None, excerpt(body));
    };
    let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_owned);
    (
        text("status"),
        text("message").unwrap_or_else(|| excerpt(body)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_that_would_change_the_path_are_refused() {
        let config = |model: &str| GeminiConfig {
            model: model.into(),
            ..GeminiConfig::new(ApiKey::new("AIza-test"))
        };
        let built = GeminiEmbedder::new(config("models/gemini-embedding-001")).unwrap();
        assert_eq!(built.id, "gemini:gemini-embedding-001");
        assert_eq!(built.resource, "models/gemini-embedding-001");
        for bad in ["", "../v1/secrets", "gemini embedding", "a?key=1"] {
            assert!(GeminiEmbedder::new(config(bad)).is_err(), "{bad}");
        }
        let empty_key = GeminiConfig::new(ApiKey::new(" "));
        assert!(GeminiEmbedder::new(empty_key).is_err());
    }

    #[test]
    fn googles_error_object_gives_its_status_and_message() {
        let body = br#"{"error": {"code": 403, "message": "Method doesn't allow unregistered callers.", "status": "PERMISSION_DENIED"}}"#;
        assert_eq!(
            google_error(body),
            (
                Some("PERMISSION_DENIED".into()),
                "Method doesn't allow unregistered callers.".into()
            )
        );
        let wrapped =
            br#"[{"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}]"#;
        assert_eq!(
            google_error(wrapped),
            (Some("INVALID_ARGUMENT".into()), "bad".into())
        );
        assert_eq!(google_error(b"<html>Bad Gateway</html>").0, None);
    }
}
