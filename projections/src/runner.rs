//! Runs one projection: follows the global log from its checkpoint, applies batches, and stores the view
//! and the checkpoint in one transaction.
//!
//! - Catch-up, then live: an empty read waits on the store's head watch (its NOTIFY), not on a timer.
//! - One runner per projection across all nodes: each holds a session advisory lock on a connection of its
//!   own while it works; the others wait in standby and take over when that connection goes away. The
//!   checkpoint row is also locked (`for update`) in every batch, so even two runners could never apply the
//!   same events twice.
//! - A failure (database down, an event that does not decode) rolls the batch back, is counted and shown
//!   in `/health`, and is retried with exponential back-off; other projections carry on.

use crate::projection::Projection;
use actors::store::EventStore;
use serde::Serialize;
use sqlx::postgres::PgPool;
use sqlx::{Connection, PgConnection};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Events read and applied per transaction.
pub const BATCH: usize = 2000;
/// The advisory lock class of projection runners (the object id is the hash of the projection's name).
const LOCK_CLASS: i32 = 7_460_002;
const STANDBY_RETRY: Duration = Duration::from_secs(2);
/// While events keep arriving, a live runner starts a batch at most this often. A batch has a fixed cost
/// (a transaction, the checkpoint, loading the touched rows) that a handful of events cannot pay back:
/// under a steady webhook load this turns hundreds of tiny batches a second into a few larger ones, at
/// half the CPU per event. A quiet log is not delayed: the first event after a pause is applied at once.
const LIVE_INTERVAL: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What a runner is doing, for `/health` and the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunnerState {
    Starting,
    /// Another node runs this projection.
    Standby,
    /// Behind the head and applying.
    CatchingUp,
    /// Caught up, waiting for new events.
    Live,
    /// The last attempt failed; retrying after a back-off.
    Failing {
        error: String,
    },
    Stopped,
}

/// A runner's progress, shared with health checks and metrics.
#[derive(Debug)]
pub struct RunnerStatus {
    pub name: &'static str,
    position: AtomicU64,
    head: AtomicU64,
    applied: AtomicU64,
    failures: AtomicU64,
    state: Mutex<RunnerState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunnerReport {
    pub name: &'static str,
    pub position: u64,
    pub lag: u64,
    pub events_applied: u64,
    pub failures: u64,
    #[serde(flatten)]
    pub state: RunnerState,
}

impl RunnerStatus {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            position: AtomicU64::new(0),
            head: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            state: Mutex::new(RunnerState::Starting),
        }
    }

    pub fn report(&self) -> RunnerReport {
        let position = self.position.load(Ordering::Relaxed);
        RunnerReport {
            name: self.name,
            position,
            lag: self.head.load(Ordering::Relaxed).saturating_sub(position),
            events_applied: self.applied.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            state: self.state(),
        }
    }

    pub fn state(&self) -> RunnerState {
        self.state
            .lock()
            .map(|s| s.clone())
            .unwrap_or(RunnerState::Starting)
    }

    /// Healthy unless the last attempt failed.
    pub fn healthy(&self) -> bool {
        !matches!(self.state(), RunnerState::Failing { .. })
    }

    fn set_state(&self, state: RunnerState) {
        if let Ok(mut s) = self.state.lock() {
            *s = state;
        }
    }

    fn progressed(&self, position: u64, applied: usize, head: u64) {
        self.position.store(position, Ordering::Relaxed);
        self.head.fetch_max(head.max(position), Ordering::Relaxed);
        self.applied.fetch_add(applied as u64, Ordering::Relaxed);
        let labels = [("projection", self.name)];
        metrics::gauge!("inbox_projection_position", &labels).set(position as f64);
        metrics::gauge!("inbox_projection_lag_events", &labels)
            .set(self.head.load(Ordering::Relaxed).saturating_sub(position) as f64);
        metrics::counter!("inbox_projection_events_applied_total", &labels)
            .increment(applied as u64);
    }

    fn saw_head(&self, head: u64) {
        self.head.fetch_max(head, Ordering::Relaxed);
        let lag = self
            .head
            .load(Ordering::Relaxed)
            .saturating_sub(self.position.load(Ordering::Relaxed));
        metrics::gauge!("inbox_projection_lag_events", "projection" => self.name).set(lag as f64);
    }

    fn failed(&self, error: &anyhow::Error) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("inbox_projection_failures_total", "projection" => self.name)
            .increment(1);
        self.set_state(RunnerState::Failing {
            error: format!("{error:#}"),
        });
    }
}

/// Starts every projection in its own task; they stop when `shutdown` is cancelled.
pub struct Runners {
    pub statuses: Vec<Arc<RunnerStatus>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Runners {
    pub fn start(
        pool: PgPool,
        store: Arc<dyn EventStore>,
        projections: Vec<Arc<dyn Projection>>,
        shutdown: CancellationToken,
    ) -> Runners {
        let mut statuses = Vec::new();
        let mut tasks = Vec::new();
        for projection in projections {
            let status = Arc::new(RunnerStatus::new(projection.name()));
            statuses.push(status.clone());
            let runner = Runner {
                pool: pool.clone(),
                store: store.clone(),
                projection,
                status,
            };
            tasks.push(tokio::spawn(runner.run(shutdown.clone())));
        }
        Runners { statuses, tasks }
    }

    pub fn status(&self, name: &str) -> Option<Arc<RunnerStatus>> {
        self.statuses.iter().find(|s| s.name == name).cloned()
    }

    /// Waits for the runners to finish their current batch and stop (after `shutdown` was cancelled).
    pub async fn join(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

struct Runner {
    pool: PgPool,
    store: Arc<dyn EventStore>,
    projection: Arc<dyn Projection>,
    status: Arc<RunnerStatus>,
}

impl Runner {
    async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            let outcome = tokio::select! {
                () = shutdown.cancelled() => break,
                outcome = self.serve(&shutdown) => outcome,
            };
            match outcome {
                Ok(()) => backoff = Duration::from_millis(200),
                Err(e) => {
                    tracing::warn!(projection = self.status.name, error = %format!("{e:#}"), "projection failed; retrying");
                    self.status.failed(&e);
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        self.status.set_state(RunnerState::Stopped);
    }

    /// Takes the projection's lock and applies events until shutdown. Returns `Ok` when in standby (the
    /// caller tries again) and on shutdown.
    async fn serve(&self, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let mut conn = PgConnection::connect_with(&self.pool.connect_options()).await?;
        let locked = sqlx::query_scalar!(
            r#"select pg_try_advisory_lock($1, hashtext($2)) as "locked!""#,
            LOCK_CLASS,
            self.projection.name()
        )
        .fetch_one(&mut conn)
        .await?;
        if !locked {
            self.status.set_state(RunnerState::Standby);
            let _ = conn.close().await;
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(STANDBY_RETRY) => {}
            }
            return Ok(());
        }
        let mut position = checkpoint(&mut conn, self.projection.name()).await?;
        self.status.progressed(position, 0, position);
        let mut head = self.store.head();
        let mut last_batch: Option<tokio::time::Instant> = None;
        loop {
            if let Some(started) = last_batch.take() {
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep_until(started + LIVE_INTERVAL) => {}
                }
            }
            head.borrow_and_update();
            let events = self.store.read_all(position, BATCH).await?;
            let Some(last) = events.last().map(|e| e.global_position) else {
                self.status.set_state(RunnerState::Live);
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    changed = tokio::time::timeout(STANDBY_RETRY, head.changed()) => {
                        if let Ok(Ok(())) = changed { self.status.saw_head(*head.borrow()); }
                    }
                }
                continue;
            };
            let started = tokio::time::Instant::now();
            // Normally `last`; the stored checkpoint if another runner moved it meanwhile.
            position = apply_batch(&mut conn, self.projection.as_ref(), position, &events).await?;
            let known_head = (*head.borrow()).max(last);
            self.status.progressed(position, events.len(), known_head);
            if events.len() == BATCH {
                self.status.set_state(RunnerState::CatchingUp);
            } else {
                self.status.set_state(RunnerState::Live);
                last_batch = Some(started);
            }
        }
    }
}

/// Applies one batch and moves the checkpoint, in one transaction. If the stored checkpoint is not where
/// this runner believed (another runner moved it), nothing is applied and the stored one is returned.
pub async fn apply_batch(
    conn: &mut PgConnection,
    projection: &dyn Projection,
    expected: u64,
    events: &[actors::event::RecordedEvent],
) -> anyhow::Result<u64> {
    let mut tx = conn.begin().await?;
    // A view is derived from the log and its checkpoint commits with it, so it need not wait for its own
    // WAL flush: after a crash PostgreSQL loses at most the last few batches *whole* (view and checkpoint
    // together), and they are applied again from the log. The events themselves stay synchronous.
    sqlx::query!("set local synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    let stored = sqlx::query_scalar!(
        "select position from projection_checkpoints where name = $1 for update",
        projection.name()
    )
    .fetch_one(&mut *tx)
    .await?;
    let stored = u64::try_from(stored).unwrap_or(0);
    if stored != expected {
        tx.rollback().await?;
        return Ok(stored);
    }
    let Some(last) = events.last().map(|e| e.global_position) else {
        tx.rollback().await?;
        return Ok(stored);
    };
    projection.apply(&mut tx, events).await?;
    sqlx::query!(
        "update projection_checkpoints set position = $2, updated_at = now() where name = $1",
        projection.name(),
        i64::try_from(last)?
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(last)
}

/// The stored checkpoint of a projection, created at 0 if it has none.
pub async fn checkpoint(conn: &mut PgConnection, name: &str) -> anyhow::Result<u64> {
    sqlx::query!(
        "insert into projection_checkpoints (name) values ($1) on conflict do nothing",
        name
    )
    .execute(&mut *conn)
    .await?;
    let position = sqlx::query_scalar!(
        "select position from projection_checkpoints where name = $1",
        name
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(u64::try_from(position).unwrap_or(0))
}
