//! The HTTP edge: routes and the state handlers share.

pub mod health;
pub mod signature;
pub mod webhook;

use crate::config::Settings;
use crate::ingest::Ingest;
use actors::directory::DirectoryStats;
use actors::store::EventStore;
use poem::{get, EndpointExt, Route};
use std::sync::Arc;
use std::time::Instant;

/// What every handler can reach.
pub struct AppState {
    pub settings: Settings,
    pub store: Arc<dyn EventStore>,
    pub ingest: Ingest,
    pub conversation_stats: Arc<DirectoryStats>,
    pub started: Instant,
}

pub fn routes(state: Arc<AppState>) -> impl poem::Endpoint {
    Route::new()
        // `/webhook` is the path the second original system used; both stay valid for existing Meta apps.
        .at(
            "/webhook/whatsapp",
            get(webhook::verify).post(webhook::receive),
        )
        .at("/webhook", get(webhook::verify).post(webhook::receive))
        .at("/health", get(health::health))
        .data(state)
}
