//! The HTTP side of the Graph API: one `reqwest` client, the base URL and version, the bearer token, and
//! turning every response into either the typed body or a [`CallError`].
//!
//! Secrets stay out of errors and logs: reqwest's errors name the URL (which can carry `client_secret` in
//! the token exchange), so the URL is stripped from every transport error.

use super::error::{ErrorClass, GraphError};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Meta's Graph API version used when none is configured.
pub const DEFAULT_VERSION: &str = "v25.0";
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";

/// An access token (or an app token `app-id|app-secret`). `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The app token Meta accepts for `debug_token`: `{app-id}|{app-secret}`.
    pub fn app(app_id: &str, app_secret: &str) -> Self {
        Self(format!("{app_id}|{app_secret}"))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// `https://graph.facebook.com`, or the emulator's address.
    pub base_url: String,
    /// `v25.0`.
    pub version: String,
    /// For one whole call, connecting included.
    pub timeout: Duration,
}

impl Default for GraphConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            version: DEFAULT_VERSION.to_owned(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Why a call did not give its typed answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallError {
    /// Meta answered with an error.
    #[error(transparent)]
    Api(Box<GraphError>),
    /// No answer in time: Meta may or may not have acted on the request.
    #[error("the Graph API did not answer within {seconds} s")]
    Timeout { seconds: u64 },
    /// The connection failed before an answer.
    #[error("cannot reach the Graph API: {message}")]
    Transport { message: String },
    /// A success status with a body that is not what Meta documents.
    #[error("unexpected answer from the Graph API: {message}")]
    Unexpected { message: String },
    /// Refused before calling Meta (for example a file over Meta's size limit).
    #[error("{message}")]
    Refused { message: String },
}

impl CallError {
    pub fn class(&self) -> ErrorClass {
        match self {
            CallError::Api(e) => e.class(),
            CallError::Timeout { .. } | CallError::Transport { .. } => ErrorClass::Retryable,
            CallError::Unexpected { .. } | CallError::Refused { .. } => ErrorClass::Permanent,
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.class() == ErrorClass::Retryable
    }

    /// Meta's error code, when Meta gave one.
    pub fn code(&self) -> Option<i64> {
        match self {
            CallError::Api(e) => Some(e.code),
            _ => None,
        }
    }
}

/// `{"success": true}`, Meta's answer to most changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Success {
    pub success: bool,
}

/// A client for one Graph API base URL and version. Cheap to clone.
#[derive(Clone, Debug)]
pub struct GraphClient {
    http: reqwest::Client,
    /// `{base_url}/{version}`, without a trailing slash.
    root: String,
    timeout: Duration,
}

impl GraphClient {
    pub fn new(config: GraphConfig) -> Result<Self, CallError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            // Meta's media host has refused downloads without one.
            .user_agent(concat!("inbox/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| transport(&e))?;
        let base = config.base_url.trim_end_matches('/');
        let version = config.version.trim_matches('/');
        Ok(Self {
            http,
            root: format!("{base}/{version}"),
            timeout: config.timeout,
        })
    }

    /// `{base_url}/{version}/{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.root, path.trim_start_matches('/'))
    }

    pub(crate) fn request(
        &self,
        method: Method,
        path: &str,
        token: &AccessToken,
    ) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(token.expose())
    }

    /// A request to an absolute URL (media downloads).
    pub(crate) fn request_absolute(
        &self,
        method: Method,
        url: &str,
        token: &AccessToken,
    ) -> RequestBuilder {
        self.http.request(method, url).bearer_auth(token.expose())
    }

    /// A request without a token (the token exchange carries its credentials as parameters).
    pub(crate) fn request_anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// Sends and decodes a JSON answer.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, CallError> {
        let response = self.send(request).await?;
        let bytes = response.bytes().await.map_err(|e| self.failure(&e))?;
        serde_json::from_slice(&bytes).map_err(|e| CallError::Unexpected {
            message: format!("{e}"),
        })
    }

    /// Sends and checks the status; the caller reads the body. Every Graph call passes here, so this is where
    /// they are measured (`inbox_graph_request_seconds`, `inbox_graph_requests_total{outcome}` with the HTTP
    /// status, `timeout` or `transport`).
    pub(crate) async fn send(
        &self,
        request: RequestBuilder,
    ) -> Result<reqwest::Response, CallError> {
        let started = std::time::Instant::now();
        let sent = request.send().await;
        metrics::histogram!("inbox_graph_request_seconds").record(started.elapsed().as_secs_f64());
        let outcome = match &sent {
            Ok(response) => response.status().as_str().to_owned(),
            Err(e) if e.is_timeout() => "timeout".to_owned(),
            Err(_) => "transport".to_owned(),
        };
        metrics::counter!("inbox_graph_requests_total", "outcome" => outcome).increment(1);
        let response = sent.map_err(|e| self.failure(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(CallError::Api(Box::new(GraphError::from_response(
            status.as_u16(),
            &body,
        ))))
    }

    pub(crate) fn failure(&self, e: &reqwest::Error) -> CallError {
        if e.is_timeout() {
            CallError::Timeout {
                seconds: self.timeout.as_secs(),
            }
        } else {
            transport(e)
        }
    }
}

fn transport(e: &reqwest::Error) -> CallError {
    // Without the URL: it may carry credentials (the token exchange) and it is not the user's concern.
    let mut message = e.to_string();
    if let Some(url) = e.url() {
        message = message.replace(url.as_str(), "<url>");
    }
    let source = std::error::Error::source(e).map(|s| s.to_string());
    if let Some(source) = source.filter(|s| !message.contains(s.as_str())) {
        message = format!("{message}: {source}");
    }
    CallError::Transport { message }
}

/// Whether an HTTP status means "not found" (media URLs expire after five minutes).
pub(crate) fn is_not_found(e: &CallError) -> bool {
    matches!(e, CallError::Api(g) if g.http_status == StatusCode::NOT_FOUND.as_u16())
}
