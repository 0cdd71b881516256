//! `inbox listings redetect [--since]`: runs this build's extractor over the messages in the log and
//! appends a `watch.detected` for each message it reads a listing in, never editing an older one. The
//! event's id comes from the message and the extractor's version, so a second run (or a run by the same
//! version the server already used) appends nothing; the listings projection then uses each message's
//! latest version.

use actors::conversation::events::ConversationEvent;
use actors::conversation::watch_detected;
use actors::event::{DomainEvent, EventMetadata};
use actors::store::{EventStore, ExpectedVersion};
use chrono::{DateTime, Utc};

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Message events read (received, echoed, queued).
    pub messages: u64,
    /// `watch.detected` events appended.
    pub appended: u64,
    /// Readings already in the log (same message and version).
    pub known: u64,
}

/// Reads the whole log in pages; messages written before `since` are left alone. `progress` hears the
/// position reached after each page.
pub async fn redetect(
    store: &dyn EventStore,
    since: Option<DateTime<Utc>>,
    mut progress: impl FnMut(u64, &Report),
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let mut after = 0;
    let metadata = EventMetadata::system("listings redetect");
    loop {
        let page = store.read_all(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.global_position;
        for recorded in &page {
            if !recorded.stream_id.as_str().starts_with("conversation-") {
                continue;
            }
            let Ok(event) = ConversationEvent::from_recorded(recorded) else {
                continue;
            };
            if !matches!(
                event,
                ConversationEvent::MessageReceived(_)
                    | ConversationEvent::MessageEchoed(_)
                    | ConversationEvent::MessageQueued(_)
            ) {
                continue;
            }
            let written = event.occurred_at().unwrap_or(recorded.recorded_at);
            if since.is_some_and(|since| written < since) {
                continue;
            }
            report.messages += 1;
            let Some(watch) = watch_detected(&event) else {
                continue;
            };
            let new = watch.to_new_event(&metadata);
            let outcome = store
                .append(recorded.stream_id.clone(), ExpectedVersion::Any, vec![new])
                .await?;
            if !outcome.appended.is_empty() {
                report.appended += 1;
            } else {
                report.known += 1;
            }
        }
        progress(after, &report);
    }
    Ok(report)
}
