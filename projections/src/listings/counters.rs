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
    /// Messages (received, echoed, sent) the extractor looked at.
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
    /// Counts messages the extractor looked at (received, echoed, sent; their text read when they have one).
    pub fn analysed(&self, messages: u64) {
        if messages > 0 {
            self.messages_analysed
                .fetch_add(messages, Ordering::Relaxed);
            metrics::counter!("inbox_watch_messages_analysed_total").increment(messages);
        }
    }

    /// Counts the readings of a batch of the log as the projection applies it.
    pub fn count(&self, events: &[&InboxEvent]) {
        for e in events {
            let ConversationEvent::WatchDetected(w) = &e.event else {
                continue;
            };
            // An edit's reading is of a message already counted.
            if w.via.is_some() {
                continue;
            }
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
