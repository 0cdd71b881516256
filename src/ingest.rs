//! Records every fact of a verified webhook body through the stream actors, and says when all of them
//! are durably appended.

use crate::stats::IngestStats;
use actors::account::{Account, AccountFact};
use actors::conversation::Conversation;
use actors::directory::StreamRouter;
use actors::event::{EventMetadata, StreamId};
use actors::stream_actor::{CommandError, RecordOutcome};
use actors::webhook::{self, Registered};
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
    /// Facts that added nothing: the store already had them (see [`crate::stats::IngestCounters`]).
    pub facts_already_known: usize,
    /// Streams whose facts the store refused as invalid data, kept raw instead.
    pub kept_raw: usize,
}

impl BodySummary {
    fn add(&mut self, outcome: RecordOutcome) {
        self.events_appended += outcome.appended;
        self.facts_already_known += outcome.duplicates;
    }
}

impl Ingest {
    /// Routes the body's facts to their streams (`registered` are the numbers of this install), all
    /// streams at once, and waits for every append. A failure of the store fails the whole body: Meta
    /// then redelivers it, and what was already stored is recognised as duplicate. Facts the store
    /// refuses as invalid data are no outage: they are kept raw (see [`webhook::RoutedBody::kept_raw`]).
    pub async fn record_body(
        &self,
        body: &serde_json::Value,
        registered: &(impl Registered + ?Sized),
        request_id: Uuid,
    ) -> Result<BodySummary, CommandError> {
        let routed = webhook::route(body, registered);
        self.stats.messages_received(routed.messages as u64);
        self.stats.statuses_received(routed.statuses as u64);
        let metadata = EventMetadata::webhook(request_id);
        let mut summary = BodySummary {
            streams: routed.conversations.len() + routed.accounts.len(),
            ..BodySummary::default()
        };

        let conversations = routed
            .conversations
            .into_iter()
            .map(|(stream, facts)| async {
                let result = self
                    .conversations
                    .record(stream.clone(), facts, metadata.clone())
                    .await;
                (stream, result)
            });
        let accounts = routed.accounts.into_iter().map(|(stream, facts)| async {
            let result = self
                .accounts
                .record(stream.clone(), facts, metadata.clone())
                .await;
            (stream, result)
        });
        let (a, b) = futures::join!(join_all(conversations), join_all(accounts));

        let mut first_error = None;
        let mut refused = Vec::new();
        for (stream, result) in a.into_iter().chain(b) {
            match result {
                Ok(outcome) => summary.add(outcome),
                Err(CommandError::Invalid(reason)) => refused.push((stream, reason)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            self.count(&summary);
            return Err(e);
        }
        if !refused.is_empty() {
            // Routing is pure: routing the body again gives the refused facts back, so the appends that
            // succeed never pay for a copy of their facts.
            let routed = webhook::route(body, registered);
            for (stream, reason) in &refused {
                let outcome = self.keep_raw(&routed, stream, reason, &metadata).await;
                match outcome {
                    Ok(outcome) => {
                        summary.kept_raw += 1;
                        summary.add(outcome);
                    }
                    Err(e) => {
                        self.count(&summary);
                        return Err(e);
                    }
                }
            }
        }
        self.count(&summary);
        Ok(summary)
    }

    /// Records a refused stream's facts raw; if even that is refused, only which stream and why.
    async fn keep_raw(
        &self,
        routed: &webhook::RoutedBody,
        stream: &StreamId,
        reason: &str,
        metadata: &EventMetadata,
    ) -> Result<RecordOutcome, CommandError> {
        tracing::warn!(%stream, %reason, "the store refused these facts as invalid data; kept raw");
        let (home, fact) = routed.kept_raw(stream, reason);
        match self.record_account(home, fact, metadata).await {
            Err(CommandError::Invalid(again)) => {
                tracing::warn!(%stream, reason = %again, "the raw facts were refused too; only the refusal is kept");
                let (home, note) = webhook::refusal_note(stream, reason);
                self.record_account(home, note, metadata).await
            }
            other => other,
        }
    }

    async fn record_account(
        &self,
        stream: StreamId,
        fact: AccountFact,
        metadata: &EventMetadata,
    ) -> Result<RecordOutcome, CommandError> {
        self.accounts
            .record(stream, vec![fact], metadata.clone())
            .await
    }

    fn count(&self, summary: &BodySummary) {
        self.stats.streams_kept_raw(summary.kept_raw as u64);
        self.stats.events_appended(summary.events_appended as u64);
        self.stats
            .facts_already_known(summary.facts_already_known as u64);
    }
}
