//! The HTTP edge: routes and the state handlers share.

pub mod health;
pub mod listener;
pub mod signature;
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
    pub ingest: Ingest,
    pub conversation_stats: Arc<DirectoryStats>,
    /// How appends were grouped into transactions.
    pub append_stats: Arc<actors::store::GroupCommitStats>,
    pub started: Instant,
    pub pool: PgPool,
    /// Where each projection stands (for live updates and read-your-writes).
    pub checkpoints: Checkpoints,
    /// The projections this node runs (empty when `INBOX_RUN_PROJECTIONS=false`).
    pub projections: Vec<Arc<RunnerStatus>>,
    /// Cancelled when the server stops: ends live streams so shutdown need not wait for them.
    pub stopping: tokio_util::sync::CancellationToken,
    /// The senders of this node's numbers, and the Graph API client they share.
    pub outbox: actors::outbound::Outbox,
    pub media: actors::media_store::MediaStore,
    /// The writer of users, roles, grants and API tokens.
    pub identity: actors::directory::StreamRouter<actors::identity::Identity>,
    /// The WhatsApp accounts, with their secrets opened.
    pub registry: crate::account_registry::AccountRegistry,
    /// The RBAC snapshot every check reads.
    pub access: crate::auth::snapshot::AccessSnapshot,
    /// The external identity provider, when configured.
    pub idp: Option<Arc<crate::auth::idp::IdentityProvider>>,
    pub sign_in_throttle: crate::auth::throttle::SignInThrottle,
}

pub fn routes(state: Arc<AppState>) -> impl poem::Endpoint {
    let api = crate::api::service();
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        // The API's paths carry their `/api/v1` prefix in the spec; it also answers unknown paths, in the
        // API's error shape.
        .nest(
            "/",
            api.into_endpoint()
                .around(limit_body)
                .catch_all_error(|e| async move { crate::api::error::render(e) }),
        )
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        // `/webhook` is the path the second original system used; both stay valid for existing Meta apps.
        .at(
            "/webhook/whatsapp",
            get(webhook::verify).post(webhook::receive),
        )
        .at("/webhook", get(webhook::verify).post(webhook::receive))
        .at("/health", get(health::health))
        .data(state)
}

/// The largest API request: a media upload at Meta's largest size, plus room for the multipart framing.
const API_BODY_LIMIT: u64 = actors::graph::media::MAX_MEDIA_BYTES + 1024 * 1024;

/// Bounds every API request body: a declared length above the limit is refused with 413 before anything is
/// read; an undeclared (chunked) body is cut at the limit, so no request can fill the disk or memory.
async fn limit_body<E: poem::Endpoint>(
    next: Arc<E>,
    mut req: poem::Request,
) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    use tokio::io::AsyncReadExt;
    let declared = req
        .header(poem::http::header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > API_BODY_LIMIT) {
        return Err(poem::Error::from_status(
            poem::http::StatusCode::PAYLOAD_TOO_LARGE,
        ));
    }
    if declared.is_none() {
        let body = req.take_body().into_async_read().take(API_BODY_LIMIT);
        req.set_body(poem::Body::from_async_read(body));
    }
    Ok(next.call(req).await?.into_response())
}
