//! `wa-sim`: a local stand-in for Meta's WhatsApp Cloud API, so the inbox can be run, shown and tested
//! without a Meta account.
//!
//! - [`graph`]: the Graph API endpoints the inbox uses, with Meta's request and response shapes and error
//!   objects, keeping state (wamids, media, templates, profile, numbers, subscription);
//! - [`webhooks`]: signed webhooks to the inbox: statuses after each send (sent → delivered → read, with
//!   delays, reordering and duplicates as configured) and customers' messages of every kind;
//! - [`control`]: `/sim/...`, to make it fail (throttling, 24-hour window, 5xx, timeouts, latency), to
//!   play customers, one message at a time or as load, and to see what it received.

pub mod control;
pub mod graph;
pub mod webhooks;

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Route};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The access token the Graph endpoints accept.
    pub token: String,
    /// Signs the webhooks (`X-Hub-Signature-256`), as Meta does with the app secret.
    pub app_secret: String,
    pub app_id: String,
    pub phone_number_id: String,
    /// As webhooks show it (digits only).
    pub display_phone_number: String,
    pub business_account_id: String,
    /// Where webhooks go (the inbox's `/webhook/whatsapp`); set later with [`SimHandle::set_inbox`].
    pub inbox_webhook: Option<String>,
    /// Between a send and its `sent` status, and between each further status.
    pub status_delay: Duration,
    /// Deliver each message's statuses in a random order.
    pub reorder: bool,
    /// Deliver some statuses twice.
    pub duplicates: bool,
    /// Added to every Graph call.
    pub latency: Duration,
    /// Refuse free-form messages to customers who have not written within 24 hours (131047), as Meta
    /// does. Customers the emulator played count as having written.
    pub enforce_window: bool,
    /// The base URL the inbox reaches the emulator at, for the media URLs it hands out (default
    /// `http://{the address it listens on}`); set it when that address is not reachable from the inbox,
    /// such as `0.0.0.0:8900` in a container reached as `http://wa-sim:8900`.
    pub public_url: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            token: "sim-token".into(),
            app_secret: "sim-app-secret".into(),
            app_id: "100000000000001".into(),
            phone_number_id: "1122334455667".into(),
            display_phone_number: "15550001234".into(),
            business_account_id: "2233445566778".into(),
            inbox_webhook: None,
            status_delay: Duration::from_millis(100),
            reorder: false,
            duplicates: false,
            latency: Duration::ZERO,
            enforce_window: false,
            public_url: None,
        }
    }
}

/// A failure the next matching Graph calls answer with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailureRule {
    /// Meta's error code (130429, 131047, 131056, 131026, 190, 1, ...).
    #[serde(default)]
    pub code: Option<i64>,
    /// HTTP status of the error answer (default: 400, or 500 for code 1/2, 401 for 190).
    #[serde(default)]
    pub http_status: Option<u16>,
    /// How many calls fail this way (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// Only calls whose path contains this (default `/messages`).
    #[serde(default)]
    pub path: Option<String>,
    /// Only sends to this recipient.
    #[serde(default)]
    pub to: Option<String>,
    /// Answer after this long (longer than the client waits: a timeout).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Accept the send (200 and a wamid) and report the error later as a `failed` status, as Meta does
    /// for many errors.
    #[serde(default)]
    pub asynchronous: bool,
}

fn one() -> u32 {
    1
}

/// Sends accepted at once but answered late: Meta being slow, or the inbox stopping while it waits.
#[derive(Debug, Clone, Deserialize)]
pub struct SlowAnswer {
    /// How long after accepting the send the answer comes.
    pub ms: u64,
    /// How many sends are answered this late (default 1).
    #[serde(default = "one")]
    pub times: u32,
}

/// A file uploaded to the emulator.
#[derive(Debug, Clone)]
pub struct SimMedia {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    pub sha256: String,
}

/// A webhook the emulator posted, and what the inbox answered.
#[derive(Debug, Clone, Serialize)]
pub struct PostedWebhook {
    /// `status` or `message`.
    pub kind: String,
    /// The wamid it is about.
    pub wamid: String,
    /// For statuses: `sent`, `delivered`, `read`, `failed`.
    pub status: Option<String>,
    /// The inbox's HTTP status, or 0 when it could not be reached.
    pub answer: u16,
}

/// Everything the emulator remembers.
#[derive(Debug, Default)]
pub struct World {
    /// Bodies of `POST /{phone-number-id}/messages`, in order (read receipts apart).
    pub sent: Vec<Value>,
    /// Wamids the business marked read.
    pub read_receipts: Vec<String>,
    pub media: HashMap<String, SimMedia>,
    pub templates: Vec<Value>,
    pub profile: Value,
    pub numbers: Vec<Value>,
    pub subscribed: Option<Value>,
    pub failures: VecDeque<FailureRule>,
    pub slow_answers: VecDeque<SlowAnswer>,
    pub webhooks: Vec<PostedWebhook>,
    /// When each customer last wrote (for the 24-hour rule).
    pub last_inbound: HashMap<String, chrono::DateTime<chrono::Utc>>,
}

pub struct SimState {
    pub config: SimConfig,
    pub inbox: RwLock<Option<String>>,
    pub world: Mutex<World>,
    pub counter: AtomicU64,
    pub http: reqwest::Client,
    /// The emulator's own address, for media URLs.
    pub address: SocketAddr,
}

impl SimState {
    /// Locks the world; a panic elsewhere never makes the emulator unusable.
    pub fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn next_id(&self) -> u64 {
        self.counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1
    }

    /// Keeps a file as Meta would (uploaded by the business, or sent by a customer); returns its id.
    pub fn add_media(&self, bytes: Vec<u8>, mime_type: &str) -> String {
        use sha2::Digest;
        let id = format!("{}", 7_000_000_000_000u64 + self.next_id());
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        self.world().media.insert(
            id.clone(),
            SimMedia {
                bytes,
                mime_type: mime_type.to_owned(),
                sha256,
            },
        );
        id
    }

    /// Where the inbox reaches the emulator: [`SimConfig::public_url`], else the address it listens on.
    pub fn public_url(&self) -> String {
        match &self.config.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.address),
        }
    }

    pub fn inbox_webhook(&self) -> Option<String> {
        self.inbox.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A running emulator.
pub struct SimHandle {
    pub address: SocketAddr,
    pub state: Arc<SimState>,
    server: tokio::task::JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl SimHandle {
    /// `http://{address}`: the inbox's `WHATSAPP_GRAPH_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Where webhooks go from now on.
    pub fn set_inbox(&self, webhook_url: impl Into<String>) {
        *self.state.inbox.write().unwrap_or_else(|e| e.into_inner()) = Some(webhook_url.into());
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.server).await;
    }
}

/// Starts the emulator on `listen` (port 0 picks a free port).
pub async fn start(config: SimConfig, listen: SocketAddr) -> anyhow::Result<SimHandle> {
    let acceptor = TcpListener::bind(listen).into_acceptor().await?;
    let address = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| anyhow::anyhow!("the listener has no address"))?;
    let world = World {
        profile: serde_json::json!({
            "messaging_product": "whatsapp",
            "about": "Emulated business",
            "address": "1 Loopback Lane",
            "description": "A business that exists only on this machine",
            "email": "shop@example.com",
            "websites": ["https://example.com"],
            "vertical": "RETAIL",
        }),
        numbers: vec![serde_json::json!({
            "id": config.phone_number_id,
            "display_phone_number": format!("+{}", config.display_phone_number),
            "verified_name": "Emulated Shop",
            "quality_rating": "GREEN",
            "status": "CONNECTED",
            "code_verification_status": "VERIFIED",
            "name_status": "APPROVED",
            "platform_type": "CLOUD_API",
            "throughput": { "level": "STANDARD" },
        })],
        templates: vec![serde_json::json!({
            "id": "9000000000001",
            "name": "hello_world",
            "language": "en_US",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [{ "type": "BODY", "text": "Hello {{1}}, thanks for your order." }],
        })],
        ..World::default()
    };
    let state = Arc::new(SimState {
        inbox: RwLock::new(config.inbox_webhook.clone()),
        config,
        world: Mutex::new(world),
        counter: AtomicU64::new(0),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
        address,
    });
    let app = Route::new()
        .nest("/sim", control::routes())
        .nest("/", graph::routes())
        .data(state.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let result = poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async {
                    let _ = stopped.await;
                },
                Some(Duration::from_secs(2)),
            )
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "wa-sim stopped with an error");
        }
    });
    Ok(SimHandle {
        address,
        state,
        server,
        stop: Some(stop),
    })
}
