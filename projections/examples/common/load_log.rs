//! The log a webhook load writes, for the read side's benchmarks: bodies in `bench/load`'s mix (70 % one
//! text asking about a watch, 10 % two to five texts, 5 % each an image, a reaction, a button reply, and
//! three statuses of an outbound message), routed by the webhook code and decided by the conversation
//! aggregate, so the events (and their watch readings) are the ones the store holds.

// Shared by two benchmarks, each using a part.
#![allow(dead_code)]

use actors::aggregate::Aggregate;
use actors::conversation::Conversation;
use actors::event::{DomainEvent, EventMetadata, NewEvent, RecordedEvent, StreamId};
use actors::json::StoredJson;
use serde_json::{json, Value};
use std::collections::HashMap;

pub(crate) const PHONE_NUMBER_ID: &str = "106540352242922";

/// A small deterministic generator (the page must be the same in every run and build).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Webhook bodies in `bench/load`'s mix.
pub(crate) fn bodies(count: usize) -> Vec<Value> {
    let mut rng = Lcg(7);
    let conversations = count.div_ceil(5).max(1) as u64;
    (0..count)
        .map(|n| {
            let customer = format!("1555{:07}", rng.below(conversations));
            let timestamp = (1_700_000_000 + n as u64).to_string();
            let wamid = |i: u64| format!("wamid.load.bench.{n}.{i}");
            let text = |i: u64, words: &str| {
                json!({"from": customer, "id": wamid(i), "timestamp": timestamp, "type": "text",
                       "text": {"body": format!("{words} {n}")}})
            };
            let (messages, statuses): (Vec<Value>, Vec<Value>) = match rng.below(100) {
                0..=69 => (
                    vec![text(0, "Is the Submariner 126610LN still for sale?")],
                    vec![],
                ),
                70..=79 => (
                    (0..2 + rng.below(4))
                        .map(|i| text(i, "and another question"))
                        .collect(),
                    vec![],
                ),
                80..=84 => (
                    vec![json!({"from": customer, "id": wamid(0), "timestamp": timestamp, "type": "image",
                                "image": {"id": format!("media.{n}"), "mime_type": "image/jpeg",
                                          "sha256": "abc", "caption": "wrist shot"}})],
                    vec![],
                ),
                85..=89 => (
                    vec![json!({"from": customer, "id": wamid(0), "timestamp": timestamp, "type": "reaction",
                                "reaction": {"message_id": format!("wamid.load.bench.out.{n}"), "emoji": "👍"}})],
                    vec![],
                ),
                90..=94 => (
                    vec![json!({"from": customer, "id": wamid(0), "timestamp": timestamp, "type": "interactive",
                                "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}})],
                    vec![],
                ),
                _ => (
                    vec![],
                    ["sent", "delivered", "read"]
                        .iter()
                        .enumerate()
                        .map(|(i, status)| {
                            json!({"id": format!("wamid.load.bench.out.{n}"), "status": status,
                                   "timestamp": (1_700_000_000 + n as u64 + i as u64).to_string(),
                                   "recipient_id": customer})
                        })
                        .collect(),
                ),
            };
            let mut value = json!({
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
            });
            if !messages.is_empty() {
                value["contacts"] =
                    json!([{"wa_id": customer, "profile": {"name": format!("Customer {customer}")}}]);
                value["messages"] = Value::Array(messages);
            }
            if !statuses.is_empty() {
                value["statuses"] = Value::Array(statuses);
            }
            json!({
                "object": "whatsapp_business_account",
                "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]
            })
        })
        .collect()
}

/// What each body appends: per stream, its new events (the actor's decisions), in order.
pub(crate) fn appends(count: usize) -> Vec<Vec<(StreamId, Vec<NewEvent>)>> {
    let registered: &[&str] = &[PHONE_NUMBER_ID];
    let mut states: HashMap<StreamId, Conversation> = HashMap::new();
    bodies(count)
        .into_iter()
        .map(|body| {
            let metadata = EventMetadata::webhook(uuid::Uuid::new_v4());
            actors::webhook::route(&body, registered)
                .conversations
                .into_iter()
                .map(|(stream, facts)| {
                    let state = states.entry(stream.clone()).or_default();
                    let mut events = Vec::new();
                    for fact in facts {
                        for event in state.decide(&fact) {
                            state.apply(&event);
                            events.push(event.to_new_event(&metadata));
                        }
                    }
                    (stream, events)
                })
                .collect()
        })
        .collect()
}

/// The events the bodies lead to as the store reads them back, in log order, each with its payload as the
/// stored JSON text.
pub(crate) fn page(count: usize) -> Vec<(RecordedEvent, String)> {
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    let mut page = Vec::new();
    for (stream, events) in appends(count).into_iter().flatten() {
        for new in events {
            let version = versions.entry(stream.clone()).or_default();
            *version += 1;
            // As PostgreSQL gives it back: keys reordered, so not the text that was written.
            let text = serde_json::to_string(&new.payload.to_value()).expect("JSON");
            let recorded = RecordedEvent {
                id: new.id,
                stream_id: stream.clone(),
                stream_version: *version,
                global_position: page.len() as u64 + 1,
                event_type: new.event_type,
                schema_version: new.schema_version,
                payload: StoredJson::from_text(text.clone()),
                metadata: new.metadata,
                occurred_at: new.occurred_at,
                recorded_at: chrono::Utc::now(),
            };
            page.push((recorded, text));
        }
    }
    page
}
