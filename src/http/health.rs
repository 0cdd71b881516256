//! `GET /health`: liveness, database reachability, the webhook's counters, each projection's progress and
//! the watch listings found, whether the search index's embedding model works, and the bot's model.

use super::AppState;
use poem::handler;
use poem::web::{Data, Json};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[handler]
pub(crate) async fn health(state: Data<&Arc<AppState>>) -> Json<Value> {
    let started = Instant::now();
    let database = tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await;
    let (reachable, error) = match database {
        Ok(Ok(())) => (true, None),
        Ok(Err(e)) => (
            false,
            Some(
                format!("{:#}", e.0)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            ),
        ),
        Err(_) => (false, Some("no answer within 2 s".to_owned())),
    };
    let conversations_live = state.streams.conversations.live_count().await.ok();
    let actors = &state.conversation_stats;
    let projections: Vec<_> = state.projections.iter().map(|p| p.report()).collect();
    let projections_healthy = state.projections.iter().all(|p| p.healthy());
    let embedder_healthy = state.embedding.healthy();
    let bot_error = state.bot.last_error();
    Json(json!({
        "status": if reachable && projections_healthy && embedder_healthy && bot_error.is_none() { "ok" } else { "degraded" },
        "uptime_seconds": state.started.elapsed().as_secs(),
        "database": {
            "reachable": reachable,
            "latency_ms": started.elapsed().as_secs_f64() * 1000.0,
            "error": error,
        },
        "webhook": state.streams.stats.snapshot(),
        "conversation_actors": {
            "live": conversations_live,
            "spawned": actors.spawned.load(Ordering::Relaxed),
            "passivated": actors.passivated.load(Ordering::Relaxed),
            "evicted": actors.evicted.load(Ordering::Relaxed),
            "failed": actors.failed.load(Ordering::Relaxed),
        },
        "event_store": {
            "transactions": state.append_stats.batches.load(Ordering::Relaxed),
            "appends": state.append_stats.requests.load(Ordering::Relaxed),
        },
        "projections": projections,
        // Counted by the node that runs the listings projection, since it started.
        "watch": state.watch.snapshot(),
        // The embedding worker of this node: a failing model leaves ingest and keyword search working.
        "search": state.embedding.report(state.search.embedder.model()),
        // The bot's model: a failing one hands conversations over to people, and says why here.
        "bot": {
            "model": state.bot.model_name(),
            "healthy": bot_error.is_none(),
            "last_error": bot_error,
        },
    }))
}
