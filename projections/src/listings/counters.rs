//! The watch counters `/health` shows (as `watch`) and `/metrics` exports: what the listings projection
//! applied on this node since it started. Only the node running the projection counts, once per event
//! applied (a batch retried after a failure, or a message read again by `inbox listings redetect`, counts
//! again).

use crate::inbox::view::InboxEvent;
use actors::conversation::events::ConversationEvent;
use actors::listings::MessageType;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct WatchCounters {
    messages_analysed: AtomicU64,
    sales: AtomicU64,
    wanted: AtomicU64,
    questions: AtomicU64,
    trades: AtomicU64,
    value: Mutex<BTreeMap<String, f64>>,
}

/// A point-in-time copy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchSnapshot {
    /// Messages with text (received, echoed, sent) the extractor read.
    pub messages_analysed: u64,
    /// Messages read as offers, requests, questions and trades.
    pub sales: u64,
    pub wanted: u64,
    pub questions: u64,
    pub trades: u64,
    /// The prices of the watches offered, summed per currency (ISO 4217).
    pub value_detected: BTreeMap<String, f64>,
}

impl WatchCounters {
    /// Counts a batch of the log as the projection applies it.
    pub fn count(&self, events: &[InboxEvent]) {
        for e in events {
            match &e.event {
                ConversationEvent::MessageReceived(_)
                | ConversationEvent::MessageEchoed(_)
                | ConversationEvent::MessageQueued(_)
                    if message_text(&e.event) =>
                {
                    self.messages_analysed.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("inbox_watch_messages_analysed_total").increment(1);
                }
                ConversationEvent::WatchDetected(w) if w.via.is_none() => {
                    let x = &w.extraction;
                    let (counter, name) = match x.kind {
                        MessageType::Sale => (&self.sales, "sale"),
                        MessageType::Wanted => (&self.wanted, "wanted"),
                        MessageType::Question => (&self.questions, "question"),
                        MessageType::Trade => (&self.trades, "trade"),
                        MessageType::General => continue,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("inbox_watch_messages_total", "type" => name).increment(1);
                    if x.kind != MessageType::Sale {
                        continue;
                    }
                    let mut value = self.value.lock().unwrap_or_else(|e| e.into_inner());
                    for l in &x.listings {
                        if let (Some(price), Some(currency)) = (l.price, &l.currency) {
                            *value.entry(currency.clone()).or_default() += price;
                            metrics::counter!("inbox_watch_value_total", "currency" => currency.clone())
                                .increment(price.round() as u64);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    pub fn snapshot(&self) -> WatchSnapshot {
        WatchSnapshot {
            messages_analysed: self.messages_analysed.load(Ordering::Relaxed),
            sales: self.sales.load(Ordering::Relaxed),
            wanted: self.wanted.load(Ordering::Relaxed),
            questions: self.questions.load(Ordering::Relaxed),
            trades: self.trades.load(Ordering::Relaxed),
            value_detected: self.value.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }
}

/// Whether a message event carries text the extractor reads.
fn message_text(event: &ConversationEvent) -> bool {
    match event {
        ConversationEvent::MessageReceived(m) => m.content.text().is_some(),
        ConversationEvent::MessageEchoed(m) => m.content.text().is_some(),
        ConversationEvent::MessageQueued(q) => q.message.content.text().is_some(),
        _ => false,
    }
}
