//! Health, for people and for orchestrators:
//! - `GET /health`: database reachability, the webhook's counters, each projection's progress and the
//!   watch listings found, whether the search index's embedding model works, and the bot's model; with
//!   `components` (each `up` or `down`) and `counters`, the shape the original system's `/health` had;
//! - `GET /health/live`: the process answers (restart it when it does not);
//! - `GET /health/ready`: this node should be sent traffic: the database answers, every migration this
//!   binary knows is applied, its projections are within `INBOX_READY_MAX_LAG_EVENTS` of the log, and it
//!   is not shutting down. 503 with the reasons otherwise.

use super::AppState;
use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::IntoResponse;
use projections::runner::RunnerState;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[handler]
pub(crate) async fn health(state: Data<&Arc<AppState>>) -> Json<Value> {
    let started = Instant::now();
    let (reachable, error) = database(&state).await;
    let conversations_live = state.streams.conversations.live_count().await.ok();
    let actors = &state.conversation_stats;
    let projections: Vec<_> = state.projections.iter().map(|p| p.report()).collect();
    let projections_healthy = state.projections.iter().all(|p| p.healthy());
    let embedder_healthy = state.embedding.healthy();
    let bot_error = state.bot.last_error();
    let up = |ok: bool| json!({ "status": if ok { "up" } else { "down" } });
    let webhook = state.streams.stats.snapshot();
    Json(json!({
        "status": if reachable && projections_healthy && embedder_healthy && bot_error.is_none() { "ok" } else { "degraded" },
        "uptime_seconds": state.started.elapsed().as_secs(),
        "components": {
            "database": up(reachable),
            "projections": up(projections_healthy),
            "search": up(embedder_healthy),
            "bot": up(bot_error.is_none()),
        },
        "counters": webhook,
        "database": {
            "reachable": reachable,
            "latency_ms": started.elapsed().as_secs_f64() * 1000.0,
            "error": error,
        },
        "webhook": webhook,
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

/// `GET /health/live`: answered by the process alone, whatever its dependencies say, so that an
/// orchestrator restarts only a process that no longer answers.
#[handler]
pub(crate) async fn live() -> Json<Value> {
    Json(json!({ "status": "live" }))
}

/// `GET /health/ready`: 200 when this node should receive traffic, else 503 with every reason.
#[handler]
pub(crate) async fn ready(state: Data<&Arc<AppState>>) -> poem::Response {
    let mut reasons: Vec<String> = Vec::new();
    if state.draining.is_cancelled() {
        reasons.push("shutting down".to_owned());
    }
    let (reachable, error) = database(&state).await;
    if !reachable {
        reasons.push(format!(
            "database unreachable: {}",
            error.unwrap_or_default()
        ));
    } else {
        match crate::startup::pending_migrations(&state.pool).await {
            Ok(pending) if pending.is_empty() => {}
            Ok(pending) => reasons.push(format!("migrations not applied: {pending:?}")),
            Err(e) => reasons.push(format!("migrations unknown: {e}")),
        }
    }
    let max_lag = state.settings.ready_max_lag_events;
    for report in state.projections.iter().map(|p| p.report()) {
        match report.state {
            // Another node applies it: its lag is that node's readiness.
            RunnerState::Standby | RunnerState::Stopped => {}
            RunnerState::Starting => {
                reasons.push(format!("projection {} is starting", report.name))
            }
            _ if report.lag > max_lag => reasons.push(format!(
                "projection {} is {} events behind (INBOX_READY_MAX_LAG_EVENTS is {max_lag})",
                report.name, report.lag
            )),
            _ => {}
        }
    }
    let ready = reasons.is_empty();
    let body = Json(json!({
        "status": if ready { "ready" } else { "not_ready" },
        "reasons": reasons,
    }));
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body).into_response()
}

/// Whether the database answers within 2 s, and the first line of why not.
async fn database(state: &AppState) -> (bool, Option<String>) {
    let database = tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await;
    match database {
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
    }
}

/// How often [`watch_database`] pings.
const DATABASE_PING_EVERY: Duration = Duration::from_secs(10);

/// Sets `inbox_database_up` (1 or 0) every 10 s, so an alert sees an unreachable database even on a
/// node that neither writes nor runs projections. Ends when the server stops.
pub(crate) async fn watch_database(state: Arc<AppState>) {
    loop {
        let (reachable, _) = database(&state).await;
        metrics::gauge!("inbox_database_up").set(if reachable { 1.0 } else { 0.0 });
        tokio::select! {
            _ = state.stopping.cancelled() => return,
            _ = tokio::time::sleep(DATABASE_PING_EVERY) => {}
        }
    }
}
