//! Runtime counters of the ingest path, shown by `/health` and mirrored to the `metrics` facade.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct IngestStats {
    webhook_bodies: AtomicU64,
    messages: AtomicU64,
    statuses: AtomicU64,
    events_appended: AtomicU64,
    duplicates_ignored: AtomicU64,
    signature_failures: AtomicU64,
    errors: AtomicU64,
    kept_raw: AtomicU64,
}

/// A point-in-time copy of the counters.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct IngestCounters {
    pub webhook_bodies_received: u64,
    pub messages_received: u64,
    pub statuses_received: u64,
    pub events_appended: u64,
    pub duplicates_ignored: u64,
    pub signature_failures: u64,
    pub errors: u64,
    /// Streams whose facts the store refused as invalid data, kept raw on their account instead.
    pub facts_kept_raw: u64,
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
    counter_fn!(body_received, webhook_bodies, "inbox_webhook_bodies_total");
    counter_fn!(messages_received, messages, "inbox_webhook_messages_total");
    counter_fn!(statuses_received, statuses, "inbox_webhook_statuses_total");
    counter_fn!(
        events_appended,
        events_appended,
        "inbox_events_appended_total"
    );
    counter_fn!(
        duplicates_ignored,
        duplicates_ignored,
        "inbox_duplicates_ignored_total"
    );
    counter_fn!(
        signature_failure,
        signature_failures,
        "inbox_webhook_signature_failures_total"
    );
    counter_fn!(error, errors, "inbox_webhook_errors_total");
    counter_fn!(kept_raw, kept_raw, "inbox_webhook_facts_kept_raw_total");

    pub fn snapshot(&self) -> IngestCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        IngestCounters {
            webhook_bodies_received: get(&self.webhook_bodies),
            messages_received: get(&self.messages),
            statuses_received: get(&self.statuses),
            events_appended: get(&self.events_appended),
            duplicates_ignored: get(&self.duplicates_ignored),
            signature_failures: get(&self.signature_failures),
            errors: get(&self.errors),
            facts_kept_raw: get(&self.kept_raw),
        }
    }
}
