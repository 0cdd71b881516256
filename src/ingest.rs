//! Records every fact of a verified webhook body through the stream actors, and says when all of them
//! are durably appended.

use crate::stats::IngestStats;
use actors::account::Account;
use actors::conversation::Conversation;
use actors::directory::StreamRouter;
use actors::event::EventMetadata;
use actors::stream_actor::{CommandError, RecordOutcome};
use actors::webhook;
use futures::future::join_all;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Clone)]
pub struct Ingest {
    pub conversations: StreamRouter<Conversation>,
    pub accounts: StreamRouter<Account>,
    pub stats: Arc<IngestStats>,
}

/// What one body led to.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct BodySummary {
    pub streams: usize,
    pub events_appended: usize,
    pub duplicates_ignored: usize,
}

impl Ingest {
    /// Routes the body's facts to their streams, all streams at once, and waits for every append.
    /// Any failure fails the whole body: Meta then redelivers it, and what was already stored is
    /// recognised as duplicate.
    pub async fn record_body(
        &self,
        body: &serde_json::Value,
        request_id: Uuid,
    ) -> Result<BodySummary, CommandError> {
        let routed = webhook::route(body);
        self.stats.messages_received(routed.messages as u64);
        self.stats.statuses_received(routed.statuses as u64);
        let metadata = EventMetadata::webhook(request_id);
        let streams = routed.conversations.len() + routed.accounts.len();

        let conversations = routed
            .conversations
            .into_iter()
            .map(|(stream, facts)| self.conversations.record(stream, facts, metadata.clone()));
        let accounts = routed
            .accounts
            .into_iter()
            .map(|(stream, facts)| self.accounts.record(stream, facts, metadata.clone()));
        let (a, b) = futures::join!(join_all(conversations), join_all(accounts));

        let mut summary = BodySummary {
            streams,
            ..BodySummary::default()
        };
        let mut first_error = None;
        for result in a.into_iter().chain(b) {
            match result {
                Ok(RecordOutcome {
                    appended,
                    duplicates,
                    ..
                }) => {
                    summary.events_appended += appended;
                    summary.duplicates_ignored += duplicates;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        self.stats.events_appended(summary.events_appended as u64);
        self.stats
            .duplicates_ignored(summary.duplicates_ignored as u64);
        match first_error {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }
}
