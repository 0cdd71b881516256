//! One actor per stream: it rebuilds its aggregate from the stream, decides events from facts, and
//! appends them with the expected version. Its directory decides when it is idle and passivates it.
//!
//! The actor is the one writer of its stream inside a node. Across nodes the expected-version check
//! decides: on a conflict the actor reloads its stream and decides again. When the store fails, the
//! outcome of the append is unknown, so the actor replies with the error and stops as failed; the
//! directory then rebuilds it from the stream on the next fact.

use crate::aggregate::{Aggregate, Refusal};
use crate::event::{DecodeError, DomainEvent, EventMetadata, StreamId};
use crate::store::{read_whole_stream, AppendError, EventStore, ExpectedVersion, StoreError};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::sync::Arc;

/// How many times a conflicting append is reloaded and decided again before giving up.
const CONFLICT_RETRIES: usize = 3;

/// What recording facts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordOutcome {
    /// Events written.
    pub appended: usize,
    /// Facts that changed nothing (already recorded), plus events the store already held.
    pub duplicates: usize,
    /// The stream's version afterwards.
    pub version: u64,
    /// The global position of the last event written, if any: a reader can wait for projections to reach it.
    pub last_position: Option<u64>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum CommandError {
    /// The event store failed; nothing can be said about whether the events were stored.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
    /// Other writers kept changing the stream.
    #[error("stream {0} kept changing under concurrent writers")]
    Conflict(StreamId),
    /// The request was refused (for example an invalid stream name).
    #[error("{0}")]
    Invalid(String),
    /// A rule refused the command; nothing was recorded.
    #[error(transparent)]
    Refused(Refusal),
    /// The actor stopped before answering (failed or passivated with the fact still queued).
    #[error("the stream actor stopped before answering")]
    Interrupted,
    /// No answer in time.
    #[error("no answer from the stream actor in time")]
    Timeout,
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        CommandError::Unavailable(format!("{:#}", e.0))
    }
}

pub enum StreamMsg<A: Aggregate> {
    /// Record facts; the reply comes after the resulting events are durably appended.
    Record {
        facts: Vec<A::Fact>,
        metadata: EventMetadata,
        reply: RpcReplyPort<Result<RecordOutcome, CommandError>>,
    },
    /// A copy of the current state and version (loading it if needed).
    Inspect(RpcReplyPort<Result<(A, u64), CommandError>>),
    /// From the directory, after it has stopped routing to this actor: stop now. Everything the directory
    /// routed here earlier is already handled, since its messages arrive in order.
    Passivate,
}

pub struct StreamActor<A>(std::marker::PhantomData<fn() -> A>);

impl<A> Default for StreamActor<A> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

pub struct StreamActorArgs {
    pub stream: StreamId,
    pub store: Arc<dyn EventStore>,
}

pub struct StreamState<A: Aggregate> {
    stream: StreamId,
    store: Arc<dyn EventStore>,
    /// `None` until the first message: loading happens in the actor's own task, so spawning never
    /// blocks the directory.
    loaded: Option<(A, u64)>,
}

impl<A: Aggregate> Actor for StreamActor<A> {
    type Msg = StreamMsg<A>;
    type State = StreamState<A>;
    type Arguments = StreamActorArgs;

    async fn pre_start(
        &self,
        _: ActorRef<Self::Msg>,
        args: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(StreamState {
            stream: args.stream,
            store: args.store,
            loaded: None,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            StreamMsg::Record {
                facts,
                metadata,
                reply,
            } => {
                let result = state.record(&facts, &metadata).await;
                let failed = matches!(&result, Err(CommandError::Unavailable(_)));
                let _ = reply.send(result.clone());
                if failed {
                    // Our in-memory state may be ahead of (or behind) the stream: start over from it.
                    return Err(Box::new(result.err().unwrap_or(CommandError::Interrupted)));
                }
            }
            StreamMsg::Inspect(reply) => {
                let result = state.ensure_loaded().await.map(|(a, v)| (a.clone(), *v));
                let _ = reply.send(result);
            }
            StreamMsg::Passivate => myself.stop(Some("passivated".into())),
        }
        Ok(())
    }
}

impl<A: Aggregate> StreamState<A> {
    async fn ensure_loaded(&mut self) -> Result<&mut (A, u64), CommandError> {
        if self.loaded.is_none() {
            self.loaded = Some(load::<A>(self.store.as_ref(), &self.stream).await?);
        }
        // Just filled above when it was empty.
        self.loaded.as_mut().ok_or(CommandError::Interrupted)
    }

    async fn record(
        &mut self,
        facts: &[A::Fact],
        metadata: &EventMetadata,
    ) -> Result<RecordOutcome, CommandError> {
        for _ in 0..CONFLICT_RETRIES {
            let stream = self.stream.clone();
            let (aggregate, version) = self.ensure_loaded().await?;
            let expected = *version;
            let decided =
                crate::aggregate::record(aggregate, facts).map_err(CommandError::Refused)?;
            let unchanged = decided.unchanged;
            let events: Vec<_> = decided
                .events
                .iter()
                .map(|event| event.to_new_event(metadata))
                .collect();
            if events.is_empty() {
                return Ok(RecordOutcome {
                    appended: 0,
                    duplicates: unchanged,
                    version: expected,
                    last_position: None,
                });
            }
            let expected_version = if expected == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(expected)
            };
            match self
                .store
                .append(stream.clone(), expected_version, events)
                .await
            {
                Ok(outcome) => {
                    if outcome.duplicates > 0
                        || outcome.version != expected + outcome.appended.len() as u64
                    {
                        // Another writer stored some of these events: our state no longer matches the stream.
                        self.loaded = None;
                    } else if let Some((_, v)) = self.loaded.as_mut() {
                        *v = outcome.version;
                    }
                    return Ok(RecordOutcome {
                        appended: outcome.appended.len(),
                        duplicates: unchanged + outcome.duplicates,
                        version: outcome.version,
                        last_position: outcome.appended.iter().map(|a| a.global_position).max(),
                    });
                }
                Err(AppendError::Conflict { .. }) => {
                    tracing::info!(%stream, "stream changed under us; reloading and deciding again");
                    self.loaded = None;
                }
                Err(AppendError::Invalid { reason, .. }) => {
                    self.loaded = None;
                    return Err(CommandError::Invalid(reason));
                }
                Err(AppendError::Unavailable(e)) => return Err(e.into()),
            }
        }
        Err(CommandError::Conflict(self.stream.clone()))
    }
}

/// Rebuilds an aggregate from its stream. An event that does not decode is left out of the fold (logged
/// and counted in `inbox_stream_events_undecodable_total`) but still counts for the stream's version: the
/// actor can go on deciding and appending, rather than answering every new fact of that customer with an
/// error for ever. The projections set the same event aside in their quarantine.
pub async fn load<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamId,
) -> Result<(A, u64), CommandError> {
    let events = read_whole_stream(store, stream).await?;
    let mut aggregate = A::default();
    let mut version = 0;
    for recorded in &events {
        match A::Event::from_recorded(recorded) {
            Ok(event) => aggregate.apply(&event),
            Err(e) => {
                let e: DecodeError = e;
                tracing::error!(%stream, error = %e, "stored event cannot be decoded; left out of the stream's state");
                metrics::counter!("inbox_stream_events_undecodable_total", "category" => stream.category().to_owned())
                    .increment(1);
            }
        }
        version = recorded.stream_version;
    }
    Ok((aggregate, version))
}
