//! Group commit: appends of many streams, made at the same moment by different actors, share one
//! transaction.
//!
//! Every append in PostgreSQL ends in a durable commit (a WAL flush) taken under the global append lock,
//! so one commit per conversation caps the whole node at what the disk flushes per second, whatever the
//! number of conversations. Here each append joins a queue; a few writer tasks each take everything
//! queued (up to a limit) and hand it to the backend's `append_batch`, which checks every request on its
//! own and commits all the successful ones together. While one batch commits, the next one fills, so the
//! batch size follows the load by itself: one request when the node is quiet (no added wait), hundreds
//! under load.
//!
//! Nothing changes for the caller: an append is answered only after its own transaction committed, with
//! its own outcome (a conflict on one stream does not fail the others).

use super::{AppendError, AppendOutcome, AppendRequest, EventStore, StoreError};
use crate::event::{RecordedEvent, StreamId};
use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio::task::JoinHandle;

/// How a group-committing store batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommitConfig {
    /// Writer tasks, i.e. batches in flight at once. One gives the largest batches and the least work per
    /// event; a second overlaps one batch's preparation with the other's commit, which measured no faster
    /// on two cores (`bench/RESULTS.md`); more only queue on the append lock.
    pub writers: usize,
    /// A batch closes at this many events (a few hundred kB of rows).
    pub max_events: usize,
}

impl Default for GroupCommitConfig {
    fn default() -> Self {
        Self {
            writers: 1,
            max_events: 2000,
        }
    }
}

/// Counters of a group-committing store (for metrics and benchmarks).
#[derive(Debug, Default)]
pub struct GroupCommitStats {
    /// Transactions (batches) sent to the backend.
    pub batches: AtomicU64,
    /// Append requests they carried.
    pub requests: AtomicU64,
}

struct Pending {
    request: AppendRequest,
    reply: oneshot::Sender<Result<AppendOutcome, AppendError>>,
}

/// An [`EventStore`] that batches the appends of concurrent callers into shared transactions of `inner`.
/// Reads go straight to `inner`.
pub struct GroupCommitStore {
    inner: Arc<dyn EventStore>,
    queue: mpsc::UnboundedSender<Pending>,
    writers: Vec<JoinHandle<()>>,
    stats: Arc<GroupCommitStats>,
}

impl GroupCommitStore {
    /// Starts the writer tasks (on the current Tokio runtime).
    pub fn new(inner: Arc<dyn EventStore>, config: GroupCommitConfig) -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        let receiver = Arc::new(Mutex::new(receiver));
        let stats = Arc::new(GroupCommitStats::default());
        let writers = (0..config.writers.max(1))
            .map(|_| {
                tokio::spawn(write_batches(
                    inner.clone(),
                    receiver.clone(),
                    config.max_events.max(1),
                    stats.clone(),
                ))
            })
            .collect();
        Self {
            inner,
            queue,
            writers,
            stats,
        }
    }

    pub fn stats(&self) -> Arc<GroupCommitStats> {
        self.stats.clone()
    }
}

impl Drop for GroupCommitStore {
    fn drop(&mut self) {
        for writer in &self.writers {
            writer.abort();
        }
    }
}

/// One writer: takes the first queued append (waiting for it), everything else already queued up to
/// the limit, and appends them as one batch.
async fn write_batches(
    store: Arc<dyn EventStore>,
    receiver: Arc<Mutex<mpsc::UnboundedReceiver<Pending>>>,
    max_events: usize,
    stats: Arc<GroupCommitStats>,
) {
    loop {
        let batch = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut events = first.request.events.len();
            let mut batch = vec![first];
            while events < max_events {
                match receiver.try_recv() {
                    Ok(next) => {
                        events += next.request.events.len();
                        batch.push(next);
                    }
                    Err(_) => break,
                }
            }
            batch
        };
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats
            .requests
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        metrics::histogram!("inbox_event_store_batch_requests").record(batch.len() as f64);

        let (requests, replies): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|p| (p.request, p.reply)).unzip();
        let mut results = store.append_batch(requests).await.into_iter();
        for reply in replies {
            let result = results.next().unwrap_or_else(|| {
                Err(AppendError::Unavailable(StoreError(anyhow::anyhow!(
                    "the backend returned no result"
                ))))
            });
            // A caller that gave up waiting is not an error: its events are stored or not, as said.
            let _ = reply.send(result);
        }
    }
}

#[async_trait]
impl EventStore for GroupCommitStore {
    async fn append_batch(
        &self,
        requests: Vec<AppendRequest>,
    ) -> Vec<Result<AppendOutcome, AppendError>> {
        let mut waiting = Vec::with_capacity(requests.len());
        for request in requests {
            let (reply, answer) = oneshot::channel();
            let queued = self.queue.send(Pending { request, reply });
            waiting.push(queued.ok().map(|_| answer));
        }
        let mut results = Vec::with_capacity(waiting.len());
        for answer in waiting {
            let result = match answer {
                Some(answer) => answer.await.unwrap_or_else(|_| Err(stopped())),
                None => Err(stopped()),
            };
            results.push(result);
        }
        results
    }

    async fn read_stream(
        &self,
        stream_id: &StreamId,
        after_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner
            .read_stream(stream_id, after_version, limit)
            .await
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(after_position, limit).await
    }

    async fn stream_version(&self, stream_id: &StreamId) -> Result<u64, StoreError> {
        self.inner.stream_version(stream_id).await
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.inner.head()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

/// The writers are gone (the store is shutting down): whether the append happened is unknown.
fn stopped() -> AppendError {
    AppendError::Unavailable(StoreError(anyhow::anyhow!(
        "the event store's writers stopped"
    )))
}
