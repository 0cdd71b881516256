//! The event store: the contract every backend keeps, and the backends.
//!
//! The contract (tested against every backend by `tests/store_contract.rs`):
//! - an append names the version it expects the stream to be at; a mismatch is [`AppendError::Conflict`];
//! - an event id the store already holds is skipped: appending only known ids is a successful no-op;
//! - a stream reads back in version order, the global log in one total order;
//! - a reader following the global log from a checkpoint never skips an event, even when concurrent
//!   appends commit out of order;
//! - a subscription delivers new events as soon as they are committed, without polling delay.
//!
//! The shapes follow EventStoreDB's (expected revisions, event ids, `$all` positions), so its backend can
//! implement the same trait.

pub mod chain;
mod group_commit;
mod memory;
mod postgres;
mod subscription;

pub use group_commit::{GroupCommitConfig, GroupCommitStats, GroupCommitStore};
pub use memory::InMemoryEventStore;
pub use postgres::PostgresEventStore;
pub use subscription::Subscription;

use crate::event::{NewEvent, RecordedEvent, StreamId};
use async_trait::async_trait;
use tokio::sync::watch;

/// The schema migrations (`migrations/` at the workspace root), embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The version a stream is expected to be at when appending (the number of events it holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream holds.
    Any,
    /// The stream must hold no event yet.
    NoStream,
    /// The stream must hold exactly this many events.
    Exact(u64),
}

impl ExpectedVersion {
    fn admits(self, current: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(v) => current == v,
        }
    }
}

/// One stream's part of an append.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub stream_id: StreamId,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// What an append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The stream's version after the append.
    pub version: u64,
    /// Events actually written; events whose ids were already stored are not among them.
    pub appended: Vec<AppendedEvent>,
    /// How many events were skipped because their ids were already stored.
    pub duplicates: usize,
}

/// Where one newly written event landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendedEvent {
    pub id: uuid::Uuid,
    pub stream_version: u64,
    pub global_position: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The stream was not at the expected version: someone else wrote to it. Reload and decide again.
    #[error("stream {stream_id} is at version {actual}, expected {expected:?}")]
    Conflict {
        stream_id: StreamId,
        expected: ExpectedVersion,
        actual: u64,
    },
    /// The request itself is invalid (for example an over-long stream name).
    #[error("invalid append to {stream_id}: {reason}")]
    Invalid { stream_id: StreamId, reason: String },
    /// The store could not be reached or failed; the outcome of the append is unknown.
    #[error(transparent)]
    Unavailable(#[from] StoreError),
}

/// The store failed (connection lost, database down, ...).
#[derive(Debug, thiserror::Error)]
#[error("event store unavailable: {0}")]
pub struct StoreError(#[source] pub anyhow::Error);

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError(anyhow::Error::new(e))
    }
}

/// An event store backend.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends events to several streams at once. Each request succeeds or fails on its own; on backends
    /// that support it (PostgreSQL) all successful requests commit in one transaction, which is how the
    /// ingest path batches appends across conversations.
    async fn append_batch(
        &self,
        requests: Vec<AppendRequest>,
    ) -> Vec<Result<AppendOutcome, AppendError>>;

    /// Appends events to one stream.
    async fn append(
        &self,
        stream_id: StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, AppendError> {
        let mut results = self
            .append_batch(vec![AppendRequest {
                stream_id,
                expected,
                events,
            }])
            .await;
        results.pop().unwrap_or_else(|| {
            Err(AppendError::Unavailable(StoreError(anyhow::anyhow!(
                "the backend returned no result"
            ))))
        })
    }

    /// Reads up to `limit` events of a stream with versions above `after_version`, in version order.
    async fn read_stream(
        &self,
        stream_id: &StreamId,
        after_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Reads up to `limit` events of the global log with positions above `after_position`, in order.
    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The version of a stream (0 when it holds no event).
    async fn stream_version(&self, stream_id: &StreamId) -> Result<u64, StoreError>;

    /// A watch that changes whenever new events may have been committed (carrying the highest position
    /// known to be committed). Subscriptions wait on it instead of polling.
    fn head(&self) -> watch::Receiver<u64>;

    /// Checks that the store answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Reads a whole stream, in pages.
pub async fn read_whole_stream(
    store: &dyn EventStore,
    stream_id: &StreamId,
) -> Result<Vec<RecordedEvent>, StoreError> {
    const PAGE: usize = 1000;
    let mut all = Vec::new();
    loop {
        let after = all
            .last()
            .map(|e: &RecordedEvent| e.stream_version)
            .unwrap_or(0);
        let page = store.read_stream(stream_id, after, PAGE).await?;
        let done = page.len() < PAGE;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// Subscribes to the global log from a checkpoint: catches up, then follows live.
pub fn subscribe(store: std::sync::Arc<dyn EventStore>, after_position: u64) -> Subscription {
    Subscription::new(store, after_position)
}

/// Splits a request's events into those not yet stored, given the ids already stored; also drops repeats
/// of an id within the request. Shared by the backends so they skip duplicates the same way.
fn without_known_ids(
    events: Vec<NewEvent>,
    is_known: impl Fn(&uuid::Uuid) -> bool,
) -> (Vec<NewEvent>, usize) {
    let total = events.len();
    let mut seen = std::collections::HashSet::with_capacity(total);
    let fresh: Vec<NewEvent> = events
        .into_iter()
        .filter(|e| !is_known(&e.id) && seen.insert(e.id))
        .collect();
    let duplicates = total - fresh.len();
    (fresh, duplicates)
}

/// What every backend refuses before storing anything: a stream name out of bounds, or a payload nested
/// deeper than [`crate::json::MAX_STORED_DEPTH`] (it could be stored but never read back by serde_json's
/// usual readers; see [`crate::json`]).
fn validate(request: &AppendRequest) -> Result<(), AppendError> {
    let stream_id = &request.stream_id;
    let invalid = |reason: String| {
        Err(AppendError::Invalid {
            stream_id: stream_id.clone(),
            reason,
        })
    };
    let len = stream_id.as_str().len();
    if len == 0 || len > StreamId::MAX_LEN {
        return invalid(format!(
            "stream names are 1 to {} bytes long",
            StreamId::MAX_LEN
        ));
    }
    if let Some(event) = request.events.iter().find(|e| {
        crate::json::depth_exceeds(e.payload.as_str().as_bytes(), crate::json::MAX_STORED_DEPTH)
    }) {
        return invalid(format!(
            "the payload of {} nests deeper than {} levels",
            event.event_type,
            crate::json::MAX_STORED_DEPTH
        ));
    }
    Ok(())
}
