//! `/sim/...`: telling the emulator what to do, and asking it what happened.
//!
//! - `POST /sim/failures` `{"code":130429,"times":2}` (or a list): the next matching Graph calls fail like
//!   that (`http_status`, `path`, `to`, `delay_ms` for a slow answer or a timeout, `asynchronous` to
//!   accept and report a `failed` status later); `DELETE /sim/failures` clears them;
//! - `POST /sim/slow` `{"ms":1500,"times":1}`: the next sends are accepted at once (they show in
//!   `/sim/sent`) but answered only after `ms`;
//! - `POST /sim/customers/{wa_id}/messages` `{"text":"Hi","name":"Ann"}` or `{"message":{"type":"image",
//!   "image":{...}}}`: a customer writes (any message type);
//! - `POST /sim/media` (the file as body): a file a customer can then send by its id;
//! - `POST /sim/load` `{"messages":1000,"conversations":50,"concurrency":8}`: many customers write;
//! - `GET /sim/sent`, `GET /sim/webhooks`, `GET /sim/state`: what the inbox sent, what was posted back,
//!   and the emulated account.

use super::webhooks::customer_writes;
use super::{FailureRule, SimState, SlowAnswer};
use poem::http::StatusCode;
use poem::web::{Data, Json, Path};
use poem::{get, handler, post, IntoResponse, Response, Route};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

pub fn routes() -> Route {
    Route::new()
        .at("/failures", post(add_failures).delete(clear_failures))
        .at("/slow", post(add_slow))
        .at("/customers/:wa_id/messages", post(customer_message))
        .at("/media", post(add_media))
        .at("/load", post(load))
        .at("/sent", get(sent))
        .at("/webhooks", get(webhooks))
        .at("/state", get(state_of))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Failures {
    One(FailureRule),
    Many(Vec<FailureRule>),
}

#[handler]
fn add_failures(Json(failures): Json<Failures>, Data(state): Data<&Arc<SimState>>) -> Response {
    let rules = match failures {
        Failures::One(rule) => vec![rule],
        Failures::Many(rules) => rules,
    };
    let mut world = state.world();
    world.failures.extend(rules);
    Json(json!({ "pending": world.failures.len() })).into_response()
}

#[handler]
fn add_slow(Json(slow): Json<SlowAnswer>, Data(state): Data<&Arc<SimState>>) -> Response {
    let mut world = state.world();
    world.slow_answers.push_back(slow);
    Json(json!({ "pending": world.slow_answers.len() })).into_response()
}

#[handler]
fn clear_failures(Data(state): Data<&Arc<SimState>>) -> Response {
    state.world().failures.clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct CustomerMessage {
    name: Option<String>,
    text: Option<String>,
    /// Meta's message object (`{"type": "...", "<type>": {...}}`).
    message: Option<Value>,
}

#[handler]
async fn customer_message(
    Path(wa_id): Path<String>,
    Json(body): Json<CustomerMessage>,
    Data(state): Data<&Arc<SimState>>,
) -> Response {
    if wa_id.is_empty() || !wa_id.chars().all(|c| c.is_ascii_digit()) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "wa_id must be digits" })),
        )
            .into_response();
    }
    let message = match (body.message, body.text) {
        (Some(m), _) if m.get("type").and_then(Value::as_str).is_some() => m,
        (Some(_), _) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "message needs a type" })),
            )
                .into_response()
        }
        (None, Some(text)) => json!({ "type": "text", "text": { "body": text } }),
        (None, None) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "give text or message" })),
            )
                .into_response()
        }
    };
    let (wamid, answer) = customer_writes(state, &wa_id, body.name.as_deref(), message).await;
    Json(json!({ "wamid": wamid, "inbox_status": answer })).into_response()
}

/// A file a customer is about to send: the body is the file, its Content-Type the MIME type. Returns
/// the media id to use in a customer's media message.
#[handler]
async fn add_media(
    req: &poem::Request,
    body: poem::Body,
    Data(state): Data<&Arc<SimState>>,
) -> Response {
    let mime = req
        .content_type()
        .unwrap_or("application/octet-stream")
        .to_owned();
    let bytes = body.into_vec().await.unwrap_or_default();
    let id = state.add_media(bytes, &mime);
    Json(json!({ "id": id })).into_response()
}

#[derive(Deserialize)]
struct Load {
    messages: usize,
    #[serde(default = "default_conversations")]
    conversations: usize,
    #[serde(default = "default_concurrency")]
    concurrency: usize,
}

fn default_conversations() -> usize {
    10
}

fn default_concurrency() -> usize {
    4
}

#[handler]
async fn load(Json(load): Json<Load>, Data(state): Data<&Arc<SimState>>) -> Response {
    let started = Instant::now();
    let conversations = load.conversations.max(1);
    let concurrency = load.concurrency.clamp(1, 256);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (state, next, accepted) = (state.clone(), next.clone(), accepted.clone());
        let total = load.messages;
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let customer = format!("4477009{:05}", i % conversations);
                let message =
                    json!({ "type": "text", "text": { "body": format!("load message {i}") } });
                let (_, answer) = customer_writes(&state, &customer, Some("Load"), message).await;
                if answer == 200 {
                    accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }));
    }
    for worker in workers {
        let _ = worker.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let accepted = accepted.load(std::sync::atomic::Ordering::Relaxed);
    Json(json!({
        "posted": load.messages,
        "accepted": accepted,
        "failed": load.messages - accepted,
        "seconds": seconds,
        "per_second": load.messages as f64 / seconds.max(1e-9),
    }))
    .into_response()
}

#[handler]
fn sent(Data(state): Data<&Arc<SimState>>) -> Json<Value> {
    Json(Value::Array(state.world().sent.clone()))
}

#[handler]
fn webhooks(Data(state): Data<&Arc<SimState>>) -> Json<Value> {
    Json(serde_json::to_value(&state.world().webhooks).unwrap_or(Value::Null))
}

#[handler]
fn state_of(Data(state): Data<&Arc<SimState>>) -> Json<Value> {
    let world = state.world();
    Json(json!({
        "numbers": world.numbers,
        "templates": world.templates,
        "profile": world.profile,
        "subscribed_apps": world.subscribed.iter().collect::<Vec<_>>(),
        "media": world.media.len(),
        "pending_failures": world.failures.len(),
        "read_receipts": world.read_receipts,
    }))
}
