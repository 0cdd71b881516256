//! Runtime counters of the webhook's ingest path, shown by `/health` (as `webhook`) and mirrored to the
//! `metrics` facade. Each says what it counts, so a figure cannot be misread: Meta delivers at least once,
//! so a body, a message or a status may be received more often than it happened.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct IngestStats {
    bodies_received: AtomicU64,
    bodies_refused_signature: AtomicU64,
    bodies_not_stored: AtomicU64,
    messages: AtomicU64,
    statuses: AtomicU64,
    events_appended: AtomicU64,
    facts_already_known: AtomicU64,
    streams_kept_raw: AtomicU64,
}

/// A point-in-time copy of the counters.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IngestCounters {
    /// Every `POST` to the webhook, whatever its answer.
    pub bodies_received: u64,
    /// Answered 401: the signature was missing or did not match; nothing was stored.
    pub bodies_refused_signature: u64,
    /// Answered 503: the store could not take them, so Meta delivers them again later.
    pub bodies_not_stored: u64,
    /// Customers' messages in signed bodies, counted at each delivery (a redelivered one again).
    pub messages_received: u64,
    /// Status reports in signed bodies, counted at each delivery.
    pub statuses_received: u64,
    /// Events written to the store.
    pub events_appended: u64,
    /// Facts in bodies that added nothing, because the store already had them: a redelivered message or
    /// status, a contact's profile as already recorded (every body repeats the sender's profile).
    pub facts_already_known: u64,
    /// Streams whose facts the store refused as invalid data, kept raw on their account instead.
    pub streams_kept_raw: u64,
}

macro_rules! counter_fn {
    ($fn_name:ident, $field:ident, $metric:literal) => {
        pub fn $fn_name(&self, n: u64) {
            if n > 0 {
                self.$field.fetch_add(n, Ordering::Relaxed);
                metrics::counter!($metric).increment(n);
            }
        }
    };
}

impl IngestStats {
    counter_fn!(body_received, bodies_received, "inbox_webhook_bodies_total");
    counter_fn!(messages_received, messages, "inbox_webhook_messages_total");
    counter_fn!(statuses_received, statuses, "inbox_webhook_statuses_total");
    counter_fn!(
        events_appended,
        events_appended,
        "inbox_events_appended_total"
    );
    counter_fn!(
        facts_already_known,
        facts_already_known,
        "inbox_webhook_facts_already_known_total"
    );
    counter_fn!(
        signature_failure,
        bodies_refused_signature,
        "inbox_webhook_signature_failures_total"
    );
    counter_fn!(
        body_not_stored,
        bodies_not_stored,
        "inbox_webhook_bodies_not_stored_total"
    );
    counter_fn!(
        streams_kept_raw,
        streams_kept_raw,
        "inbox_webhook_streams_kept_raw_total"
    );

    pub fn snapshot(&self) -> IngestCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        IngestCounters {
            bodies_received: get(&self.bodies_received),
            bodies_refused_signature: get(&self.bodies_refused_signature),
            bodies_not_stored: get(&self.bodies_not_stored),
            messages_received: get(&self.messages),
            statuses_received: get(&self.statuses),
            events_appended: get(&self.events_appended),
            facts_already_known: get(&self.facts_already_known),
            streams_kept_raw: get(&self.streams_kept_raw),
        }
    }
}
