//! In-memory backend for unit tests: the same contract, no I/O.

use super::{
    validate, without_known_ids, AppendError, AppendOutcome, AppendRequest, AppendedEvent,
    EventStore, StoreError,
};
use crate::event::{RecordedEvent, StreamId};
use async_trait::async_trait;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use tokio::sync::watch;
use uuid::Uuid;

#[derive(Default)]
struct Inner {
    log: Vec<RecordedEvent>,
    /// Indexes into `log`, per stream, in version order.
    streams: HashMap<StreamId, Vec<usize>>,
    ids: HashSet<Uuid>,
}

/// Keeps every event in process memory. A std `Mutex` is enough: no lock is held across an await.
pub struct InMemoryEventStore {
    inner: Mutex<Inner>,
    head: watch::Sender<u64>,
}

impl Default for InMemoryEventStore {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            head: watch::channel(0).0,
        }
    }
}

impl InMemoryEventStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-updated (appends push in one step),
        // so a poisoned lock is still safe to use.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl EventStore for InMemoryEventStore {
    async fn append_batch(
        &self,
        requests: Vec<AppendRequest>,
    ) -> Vec<Result<AppendOutcome, AppendError>> {
        let mut inner = self.lock();
        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            if let Err(e) = validate(&request) {
                results.push(Err(e));
                continue;
            }
            let current = inner
                .streams
                .get(&request.stream_id)
                .map_or(0, |v| v.len() as u64);
            let (fresh, duplicates) =
                without_known_ids(request.events, |id| inner.ids.contains(id));
            if fresh.is_empty() {
                results.push(Ok(AppendOutcome {
                    version: current,
                    appended: vec![],
                    duplicates,
                }));
                continue;
            }
            if !request.expected.admits(current) {
                results.push(Err(AppendError::Conflict {
                    stream_id: request.stream_id,
                    expected: request.expected,
                    actual: current,
                }));
                continue;
            }
            let mut appended = Vec::with_capacity(fresh.len());
            let now = chrono::Utc::now();
            for (offset, event) in fresh.into_iter().enumerate() {
                let index = inner.log.len();
                let recorded = RecordedEvent {
                    id: event.id,
                    stream_id: request.stream_id.clone(),
                    stream_version: current + 1 + offset as u64,
                    global_position: index as u64 + 1,
                    event_type: event.event_type,
                    schema_version: event.schema_version,
                    payload: event.payload.into(),
                    metadata: event.metadata,
                    occurred_at: event.occurred_at,
                    recorded_at: now,
                };
                appended.push(AppendedEvent {
                    id: recorded.id,
                    stream_version: recorded.stream_version,
                    global_position: recorded.global_position,
                });
                inner.ids.insert(recorded.id);
                inner
                    .streams
                    .entry(request.stream_id.clone())
                    .or_default()
                    .push(index);
                inner.log.push(recorded);
            }
            let version = current + appended.len() as u64;
            results.push(Ok(AppendOutcome {
                version,
                appended,
                duplicates,
            }));
        }
        let head = inner.log.len() as u64;
        drop(inner);
        self.head.send_if_modified(|h| {
            let moved = *h != head;
            *h = head;
            moved
        });
        results
    }

    async fn read_stream(
        &self,
        stream_id: &StreamId,
        after_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.lock();
        let Some(indexes) = inner.streams.get(stream_id) else {
            return Ok(vec![]);
        };
        Ok(indexes
            .iter()
            .skip(after_version as usize)
            .take(limit)
            .map(|&i| inner.log[i].clone())
            .collect())
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .log
            .iter()
            .skip(after_position as usize)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn stream_version(&self, stream_id: &StreamId) -> Result<u64, StoreError> {
        Ok(self
            .lock()
            .streams
            .get(stream_id)
            .map_or(0, |v| v.len() as u64))
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
