//! The HTTP edge: routes and the state handlers share.

pub mod browser_session;
pub mod cors;
pub mod headers;
pub mod health;
pub mod limits;
pub mod listener;
pub mod prometheus;
pub mod rate_limit;
pub mod signature;
pub mod web_app;
pub mod webhook;

use crate::config::Settings;
use crate::ingest::Ingest;
use actors::directory::DirectoryStats;
use actors::store::EventStore;
use poem::{get, EndpointExt, IntoEndpoint, Route};
use projections::live::Checkpoints;
use projections::runner::RunnerStatus;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Instant;

/// What every handler can reach.
pub struct AppState {
    pub settings: Settings,
    pub store: Arc<dyn EventStore>,
    /// The routers to each stream's actor: every command and every webhook fact is recorded through them.
    pub streams: Ingest,
    pub conversation_stats: Arc<DirectoryStats>,
    /// How appends were grouped into transactions.
    pub append_stats: Arc<actors::store::GroupCommitStats>,
    pub started: Instant,
    pub pool: PgPool,
    /// Where each projection stands (for live updates and read-your-writes).
    pub checkpoints: Checkpoints,
    /// The projections this node runs (empty when `INBOX_RUN_PROJECTIONS=false`).
    pub projections: Vec<Arc<RunnerStatus>>,
    /// What the listings projection found on this node (`/health`'s `watch`).
    pub watch: Arc<projections::listings::counters::WatchCounters>,
    /// The embedding model search uses, and the vectors of recent queries.
    pub search: Arc<crate::search::SearchService>,
    /// What this node's embedding worker is doing (`/health`'s `search`).
    pub embedding: Arc<crate::workers::embedding::EmbedderStatus>,
    /// The bot's model (shared by its worker, the preview and "try it").
    pub bot: Arc<crate::bot::BotService>,
    /// Cancelled when the server stops: ends live streams so shutdown need not wait for them.
    pub stopping: tokio_util::sync::CancellationToken,
    /// Cancelled when the shutdown signal arrives, before `stopping`: `/health/ready` says no from then
    /// on, while requests are still served for `INBOX_SHUTDOWN_DRAIN_SECS`.
    pub draining: tokio_util::sync::CancellationToken,
    /// The work that runs beside requests and actors (sends, downloads, read receipts, the workers),
    /// which shutdown waits for; its stopping signal is `stopping`.
    pub tasks: actors::tasks::Tasks,
    /// The senders of this node's numbers, and the Graph API client they share.
    pub outbox: actors::outbound::Outbox,
    pub media: actors::media_store::MediaStore,
    /// The writer of users, roles, grants and API tokens.
    pub identity: actors::directory::StreamRouter<actors::identity::Identity>,
    /// The writer of teams, labels, canned replies and agents' availability (the `workspace` stream).
    pub workspace: actors::directory::StreamRouter<actors::workspace::Workspace>,
    /// The WhatsApp accounts, with their secrets opened.
    pub registry: crate::account_registry::AccountRegistry,
    /// The RBAC snapshot every check reads.
    pub access: crate::auth::snapshot::AccessSnapshot,
    /// The external identity provider, when configured.
    pub idp: Option<Arc<crate::auth::idp::IdentityProvider>>,
    pub sign_in_throttle: crate::auth::throttle::SignInThrottle,
    /// `RATE_LIMIT_DEFAULT`, `RATE_LIMIT_AUTH` and `RATE_LIMIT_WEBHOOK`, counted on this node.
    pub rate_limits: rate_limit::RateLimits,
}

/// Every route, behind the middlewares that guard all of them: cross-origin calls when
/// `CORS_ORIGINS` opens them ([`cors`]), the browser's session cookie ([`browser_session`]), body limits ([`limits`]) and security headers ([`headers`]); and around them
/// the request metrics ([`prometheus`]).
pub fn routes(state: Arc<AppState>) -> impl poem::Endpoint {
    let api = crate::api::service();
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    let body_timeout = state.settings.http.body_timeout;
    let cors = cors::Cors::new(&state.settings.cors_origins);
    let cross_origin = !state.settings.cors_origins.is_empty();
    let routes = Route::new()
        // The API's paths carry their `/api/v1` prefix in the spec; it also answers unknown paths under
        // `/api`, in the API's error shape.
        .nest_no_strip(
            "/api",
            api.into_endpoint().catch_all_error(|e| async move {
                prometheus::rendered(e, crate::api::error::render)
            }),
        )
        // Everything else is the browser app's.
        .nest("/", web_app::WebApp::new(&state.settings.web_dir))
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        // `/webhook` is the path the second original system used; both stay valid for existing Meta apps.
        .at(
            "/webhook/whatsapp",
            get(webhook::verify).post(webhook::receive),
        )
        .at("/webhook", get(webhook::verify).post(webhook::receive))
        .at("/health", get(health::health))
        .at("/health/live", get(health::live))
        .at("/health/ready", get(health::ready));
    prometheus::serve(routes, &state.settings.metrics)
        .data(state.clone())
        .with(rate_limit::AnonymousApiLimit { state })
        .with_if(cross_origin, cors)
        .with(browser_session::BrowserSession)
        .with(limits::BodyLimits {
            timeout: body_timeout,
        })
        .with(headers::SecurityHeaders)
        .with(prometheus::RequestMetrics::new::<crate::api::Apis>())
}
