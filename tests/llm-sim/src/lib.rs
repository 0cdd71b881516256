//! `llm-sim`: a local stand-in for Google's Gemini API (v1beta) and the OpenAI-compatible chat and
//! embeddings API, so the bot can be run and tested without a key, a network or a bill.
//!
//! It speaks both dialects at their HTTP boundary, with the real request validation, response shapes
//! and error bodies of `docs/LLM_APIS.md` §1-5:
//! - [`gemini`]: `/v1beta/models/{model}:generateContent`, `:streamGenerateContent`, `:embedContent`,
//!   `:batchEmbedContents`, `GET /v1beta/models`;
//! - [`openai`]: `/v1/chat/completions`, `/v1/embeddings`, `GET /v1/models` (OpenAI or Ollama flavour);
//! - [`control`]: `/_sim/...`, the same knobs as [`LlmSim`]'s methods, for the binary and scripts.
//!
//! What the model "says" is scripted: [`Rule`]s match the last user message and give an [`Answer`];
//! [`Failure`]s queued with [`LlmSim::fail_next`] (or named for one request by its
//! [`SCENARIO_HEADER`]) make the next model calls fail in one of the ways the real services do.

pub mod control;
pub mod embed;
pub mod gemini;
pub mod openai;

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Route};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How the emulator behaves: keys, which models exist, and the OpenAI-compatible server it plays.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The key the Gemini routes accept (`x-goog-api-key` or `?key=`).
    pub gemini_key: String,
    /// The bearer token the OpenAI routes accept.
    pub openai_key: String,
    /// Models that answer (both dialects look them up here).
    pub active_models: Vec<String>,
    /// Models that were shut down: they answer 404 as the real services do.
    pub retired_models: Vec<String>,
    /// OpenAI models that refuse `max_tokens` (and a non-default `temperature`), as reasoning models do.
    pub reasoning_models: Vec<String>,
    /// Which OpenAI-compatible server `/v1` plays.
    pub openai_flavour: OpenAiFlavour,
    /// Added to every model call.
    pub latency: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        let ids = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect();
        Self {
            gemini_key: "sim-gemini-key".into(),
            openai_key: "sim-openai-key".into(),
            active_models: ids(&[
                "gemini-3.5-flash-lite",
                "gemini-3.8-flash",
                "gemini-embedding-001",
                "gpt-5.4-mini",
                "text-embedding-3-small",
            ]),
            retired_models: ids(&["gemini-1.5-flash", "gemini-2.0-flash", "text-embedding-004"]),
            reasoning_models: ids(&["gpt-5.4-mini"]),
            openai_flavour: OpenAiFlavour::OpenAi,
            latency: Duration::ZERO,
        }
    }
}

/// The OpenAI-compatible server `/v1` plays: their errors and parameters differ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenAiFlavour {
    /// api.openai.com: bearer auth, `model_not_found`, reasoning models refuse `max_tokens`.
    #[default]
    OpenAi,
    /// Ollama's `/v1`: no auth, 404 `model 'x' not found` (`not_found_error`), `max_tokens` only.
    Ollama,
}

/// What a rule answers. When the request asks for JSON (Gemini `responseMimeType: application/json`;
/// OpenAI `response_format` `json_schema`/`json_object`) the answer is the JSON text; otherwise plain text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// The bot's structured answer: JSON `{"reply","confidence","needs_human","reasons"}` or, as text, `reply`.
    Bot {
        /// What the customer would read.
        reply: String,
        /// 0.0-1.0.
        confidence: f64,
        /// Whether a human should take over.
        needs_human: bool,
        /// Why (for the audit log).
        #[serde(default)]
        reasons: Vec<String>,
    },
    /// Any JSON value (e.g. for other structured prompts); as text, its serialisation.
    Json(Value),
    /// Plain text (in JSON mode the text itself, which then may not parse: that is the test's point).
    Text(String),
}

impl Answer {
    /// What the model says: the JSON text in JSON mode, plain text otherwise.
    pub fn render(&self, json_mode: bool) -> String {
        match self {
            Answer::Bot {
                reply,
                confidence,
                needs_human,
                reasons,
            } => {
                if json_mode {
                    json!({
                        "reply": reply,
                        "confidence": confidence,
                        "needs_human": needs_human,
                        "reasons": reasons,
                    })
                    .to_string()
                } else {
                    reply.clone()
                }
            }
            Answer::Json(value) => value.to_string(),
            Answer::Text(text) => text.clone(),
        }
    }

    /// The answer when no rule matches.
    pub fn no_rule() -> Answer {
        Answer::Bot {
            reply: String::new(),
            confidence: 0.0,
            needs_human: true,
            reasons: vec!["the emulator has no rule for this message".into()],
        }
    }
}

/// A scripted answer: the first rule whose pattern is in the last user message answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Case-insensitive substring of the last user message's text (Gemini: the last `contents` item with
    /// role user, its non-thought text parts joined; OpenAI: the last message with role user). An empty
    /// pattern matches everything. Rules are tried in the order they were added; the first match answers.
    #[serde(default)]
    pub pattern: String,
    /// What the model says.
    pub answer: Answer,
}

/// A failure the next model calls answer with (queued; each applies to `times` calls).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// Gemini: 429 RESOURCE_EXHAUSTED with QuotaFailure (PerMinute quotaId), Help and RetryInfo (`"1.5s"`);
    /// OpenAI: 429 `rate_limit_exceeded` with `retry-after`/`retry-after-ms` and `x-ratelimit-*` headers.
    RateLimited {
        /// What RetryInfo / the headers tell the client to wait.
        #[serde(rename = "retry_delay_ms", with = "millis")]
        retry_delay: Duration,
    },
    /// Gemini: 429 with a PerDay quotaId; OpenAI: 429 `insufficient_quota`. Not worth retrying.
    DailyQuota,
    /// 500.
    Internal,
    /// 503 "The model is overloaded. Please try again later."
    Overloaded,
    /// 504.
    GatewayTimeout,
    /// A proxy's HTML 502 page.
    NonJson502,
    /// Answers normally, but only after this delay (client timeout tests).
    Slow(#[serde(with = "millis")] Duration),
    /// Closes the connection without an answer.
    DropConnection,
    /// 200, `promptFeedback.blockReason` PROHIBITED_CONTENT, no candidates (OpenAI: 400 `invalid_prompt`).
    PromptBlocked,
    /// 200, candidate `finishReason` SAFETY without content (OpenAI: `content_filter`, content null).
    SafetyBlocked,
    /// 200, content `{"role":"model"}` without parts and `thoughtsTokenCount`, MAX_TOKENS (OpenAI: `length`,
    /// content "", all tokens reasoning).
    MaxTokensNoText,
    /// 200, MAX_TOKENS with half the answer's text (OpenAI: `finish_reason` `length`).
    TruncatedJson,
    /// 200, STOP with empty text (OpenAI: content "").
    EmptyAnswer,
    /// OpenAI: `message.refusal` set, content null (Gemini: like SafetyBlocked).
    Refusal,
    /// Gemini: 400 FAILED_PRECONDITION "User location is not supported for the API use."; OpenAI: 403
    /// `unsupported_country_region_territory`.
    LocationUnsupported,
    /// 429 without any details or retry headers ("Resource has been exhausted (e.g. check quota).").
    RateLimitedBare,
    /// 200, `finishReason` RECITATION with a content without parts (OpenAI: `content_filter`).
    Recitation,
    /// 200, the answer with a finish reason the client cannot know (`FUTURE_REASON`; OpenAI `future_reason`).
    UnknownFinishReason,
    /// 200, the answer wrapped in a ```` ```json ```` fence.
    FencedJson,
    /// 200, a `thought: true` part before the answer (OpenAI: `message.reasoning`, as Ollama sends).
    WithThoughts,
    /// 200, the answer with `modelStatus` LEGACY and a retirement time (Gemini only).
    LegacyModel,
}

impl Failure {
    /// Whether it also applies to embedding calls (the content-shaped failures do not).
    pub fn applies_to_embeddings(&self) -> bool {
        matches!(
            self,
            Failure::RateLimited { .. }
                | Failure::DailyQuota
                | Failure::Internal
                | Failure::Overloaded
                | Failure::GatewayTimeout
                | Failure::NonJson502
                | Failure::Slow(_)
                | Failure::DropConnection
                | Failure::LocationUnsupported
                | Failure::RateLimitedBare
        )
    }
}

/// Durations as whole milliseconds in JSON.
mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// A request the emulator received on a model route, as a test asserts on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `POST`, `GET`.
    pub method: String,
    /// The path and query, without the query's `key`.
    pub path: String,
    /// Every header; the values of `x-goog-api-key` and `authorization` are replaced by `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// Whether the Gemini key came as `?key=` (it then shows in URLs and logs).
    pub key_in_query: bool,
    /// The body, or `Value::Null` when it is not JSON.
    pub body: Value,
}

impl RecordedRequest {
    /// The value of a header (names are compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Everything the emulator is told and remembers.
pub(crate) struct SimState {
    pub(crate) config: SimConfig,
    pub(crate) rules: Mutex<Vec<Rule>>,
    pub(crate) failures: Mutex<VecDeque<(Failure, u32)>>,
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
    received: tokio::sync::watch::Sender<usize>,
    counter: AtomicU64,
}

/// Locks a mutex; a panic elsewhere (a dropped connection is one) never makes the emulator unusable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl SimState {
    pub(crate) fn next_id(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The text of the first rule matching `user_text`, or the no-rule answer.
    pub(crate) fn answer_for(&self, user_text: &str) -> Answer {
        let text = user_text.to_lowercase();
        lock(&self.rules)
            .iter()
            .find(|rule| text.contains(&rule.pattern.to_lowercase()))
            .map(|rule| rule.answer.clone())
            .unwrap_or_else(Answer::no_rule)
    }

    /// The failure this call answers with: the request's `x-emulator-scenario`, else the first queued
    /// one (for an embedding call, only failures that apply to embeddings).
    pub(crate) fn take_failure(
        &self,
        scenario: Option<Failure>,
        embedding: bool,
    ) -> Option<Failure> {
        if let Some(failure) = scenario {
            return (!embedding || failure.applies_to_embeddings()).then_some(failure);
        }
        let mut failures = lock(&self.failures);
        let (failure, times) = failures.front_mut()?;
        if embedding && !failure.applies_to_embeddings() {
            return None;
        }
        let failure = failure.clone();
        *times = times.saturating_sub(1);
        if *times == 0 {
            failures.pop_front();
        }
        Some(failure)
    }

    /// Keeps what a test will want to see of a request on a model route.
    pub(crate) fn record(&self, req: &poem::Request, body: &[u8]) {
        let mut key_in_query = false;
        let query: Vec<&str> = req
            .original_uri()
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let is_key = pair.split('=').next() == Some("key");
                key_in_query |= is_key;
                !is_key
            })
            .collect();
        let mut path = req.original_uri().path().to_owned();
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let headers = req
            .headers()
            .iter()
            .map(|(name, value)| {
                let name = name.as_str().to_owned();
                let value = if name == "x-goog-api-key" || name == "authorization" {
                    "<redacted>".to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name, value)
            })
            .collect();
        let recorded = RecordedRequest {
            method: req.method().as_str().to_owned(),
            path,
            headers,
            key_in_query,
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
        };
        let count = {
            let mut requests = lock(&self.requests);
            requests.push(recorded);
            requests.len()
        };
        self.received.send_replace(count);
    }

    /// Whether the model answers: it is active and not retired (a retired id wins, so a test can retire
    /// an active model).
    pub(crate) fn is_active(&self, model: &str) -> bool {
        self.config.active_models.iter().any(|m| m == model)
            && !self.config.retired_models.iter().any(|m| m == model)
    }

    /// Waits the configured latency, then the failure's delay if it is `Slow`.
    pub(crate) async fn delay(&self, failure: Option<&Failure>) {
        if !self.config.latency.is_zero() {
            tokio::time::sleep(self.config.latency).await;
        }
        if let Some(Failure::Slow(delay)) = failure {
            tokio::time::sleep(*delay).await;
        }
    }
}

/// The header that picks a failure for one request, instead of the queue: a failure's name
/// (`overloaded`) or its JSON (`{"rate_limited":{"retry_delay_ms":1500}}`).
pub const SCENARIO_HEADER: &str = "x-emulator-scenario";

/// The failure a request's `x-emulator-scenario` header asks for; `Err` is the emulator's own 400 for
/// a header it cannot read.
pub(crate) fn scenario(req: &poem::Request) -> Result<Option<Failure>, Box<poem::Response>> {
    let Some(value) = req.header(SCENARIO_HEADER).map(str::trim) else {
        return Ok(None);
    };
    let json = if value.starts_with('{') || value.starts_with('"') {
        value.to_owned()
    } else {
        format!("\"{value}\"")
    };
    serde_json::from_str(&json).map(Some).map_err(|e| {
        Box::new(
            poem::Response::builder()
                .status(poem::http::StatusCode::BAD_REQUEST)
                .content_type("text/plain")
                .body(format!(
                    "llm-sim: {SCENARIO_HEADER} {value:?} is no failure it knows: {e}"
                )),
        )
    })
}

/// Ends this connection without an answer: the connection task unwinds (without a panic message) and
/// the socket is closed, as when a proxy or the service drops it.
pub(crate) fn drop_connection() -> ! {
    std::panic::resume_unwind(Box::new("llm-sim drops this connection"))
}

/// Rough token count of a text (a token is about four characters), as usage figures need one.
pub(crate) fn tokens(text: &str) -> u64 {
    let chars = text.chars().count() as u64;
    chars.div_ceil(4)
}

/// The text "heard" in an audio part: its data is base64 of UTF-8 text.
pub(crate) fn heard(data: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(data.trim()))
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// The OpenAI key shown masked in error messages, as OpenAI does.
pub(crate) fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 12))
}

/// Seconds since the epoch.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

struct Running {
    state: Arc<SimState>,
    address: SocketAddr,
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(server) = lock(&self.server).take() {
            server.abort();
        }
    }
}

/// A running emulator. Clones share it; it serves until the last clone is dropped.
#[derive(Clone)]
pub struct LlmSim {
    running: Arc<Running>,
}

impl LlmSim {
    /// Binds 127.0.0.1 on a free port and serves until dropped.
    pub async fn start(config: SimConfig) -> anyhow::Result<LlmSim> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `listen` (port 0 picks a free port) and serves until dropped: what the binary runs.
    pub async fn start_on(config: SimConfig, listen: SocketAddr) -> anyhow::Result<LlmSim> {
        let acceptor = TcpListener::bind(listen).into_acceptor().await?;
        let address = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().copied())
            .ok_or_else(|| anyhow::anyhow!("the listener has no address"))?;
        let state = Arc::new(SimState {
            config,
            rules: Mutex::new(Vec::new()),
            failures: Mutex::new(VecDeque::new()),
            requests: Mutex::new(Vec::new()),
            received: tokio::sync::watch::Sender::new(0),
            counter: AtomicU64::new(0),
        });
        let app = Route::new()
            .nest("/_sim", control::routes())
            .nest("/v1beta", gemini::routes())
            .nest("/v1", openai::routes())
            .data(state.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = poem::Server::new_with_acceptor(acceptor).run(app).await {
                tracing::error!(error = %e, "llm-sim stopped with an error");
            }
        });
        Ok(LlmSim {
            running: Arc::new(Running {
                state,
                address,
                server: Mutex::new(Some(server)),
            }),
        })
    }

    fn state(&self) -> &SimState {
        &self.running.state
    }

    /// Stops serving, for every clone (calls in flight are cut off), and returns once the port is
    /// closed: a service that went away.
    pub async fn stop(&self) {
        let server = lock(&self.running.server).take();
        if let Some(server) = server {
            server.abort();
            let _ = server.await;
        }
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.running.address
    }

    /// e.g. `http://127.0.0.1:41234` (no trailing slash). Gemini base = this; OpenAI base = this + `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.running.address)
    }

    /// Adds a rule after the existing ones.
    pub fn add_rule(&self, rule: Rule) {
        lock(&self.state().rules).push(rule);
    }

    /// Forgets every rule: each call gets the no-rule answer.
    pub fn clear_rules(&self) {
        lock(&self.state().rules).clear();
    }

    /// The next `times` model calls (at least one) fail this way, after the failures already queued.
    pub fn fail_next(&self, failure: Failure, times: u32) {
        lock(&self.state().failures).push_back((failure, times.max(1)));
    }

    /// Forgets the queued failures.
    pub fn clear_failures(&self) {
        lock(&self.state().failures).clear();
    }

    /// Every request received on the model routes, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state().requests).clone()
    }

    /// Waits until at least `n` model calls were received (or the timeout passes), then returns them:
    /// tests synchronise on it.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let mut received = self.state().received.subscribe();
        let _ = tokio::time::timeout(timeout, received.wait_for(|count| *count >= n)).await;
        self.requests()
    }
}

/// Query parameters of a request (no percent-decoding: the values the emulator reads are plain).
pub(crate) fn query_param<'a>(req: &'a poem::Request, name: &str) -> Option<&'a str> {
    req.original_uri().query()?.split('&').find_map(|pair| {
        let mut it = pair.splitn(2, '=');
        (it.next() == Some(name)).then(|| it.next().unwrap_or(""))
    })
}

/// A JSON response with this status.
pub(crate) fn json_response(status: u16, body: &Value) -> poem::Response {
    poem::Response::builder()
        .status(poem::http::StatusCode::from_u16(status).unwrap_or(poem::http::StatusCode::OK))
        .content_type("application/json; charset=UTF-8")
        .body(body.to_string())
}

/// The HTML page a proxy in front of the service answers with when it fails.
pub(crate) fn html_502() -> poem::Response {
    poem::Response::builder()
        .status(poem::http::StatusCode::BAD_GATEWAY)
        .content_type("text/html")
        .body(
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
             <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
             </body>\r\n</html>\r\n",
        )
}
