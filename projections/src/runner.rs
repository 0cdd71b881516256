//! Runs one projection: follows the global log from its checkpoint, applies batches, and stores the view
//! and the checkpoint in one transaction.
//!
//! - Catch-up, then live: a runner behind reads the log itself from its checkpoint; once at the end, it
//!   follows the node's [`Feed`], which reads each page once for every runner (an idle feed waits on the
//!   store's head watch, its NOTIFY, not on a timer).
//! - One runner per projection across all nodes: each holds a session advisory lock on a connection of its
//!   own while it works; the others wait in standby and take over when that connection goes away. The
//!   checkpoint row is also claimed (a conditional update, which locks it) in every batch, so even two
//!   runners could never apply the same events twice.
//! - A failure (database down, a bug) rolls the batch back, is counted and shown in `/health`, and is
//!   retried with exponential back-off; other projections carry on.
//! - An event the projection cannot decode is not a failure to retry for ever: it is set aside in
//!   `projection_quarantine` (in the batch's transaction), counted, and the projection goes on without it.

use crate::feed::{Batch, Feed, FeedReport, Take};
use crate::projection::{Interest, Projection};
use crate::typed::TypedEvent;
use actors::event::DecodeError;
use actors::store::EventStore;
use serde::Serialize;
use sqlx::postgres::PgPool;
use sqlx::{Connection, Executor, PgConnection};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Events read and applied per transaction.
pub const BATCH: usize = 2000;
/// The advisory lock class of projection runners (the object id is the hash of the projection's name).
pub const LOCK_CLASS: i32 = 7_460_002;
const STANDBY_RETRY: Duration = Duration::from_secs(2);
/// While events keep arriving, a live runner starts a batch at most this often. A batch has a fixed cost
/// (a transaction, the checkpoint, loading the touched rows) that a handful of events cannot pay back:
/// under a steady webhook load this turns hundreds of tiny batches a second into a few larger ones, at
/// half the CPU per event. A quiet log is not delayed: the first event after a pause is applied at once.
const LIVE_INTERVAL: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The sizes and pace of the runners and their feed ([`Tuning::default`] in production; tests shrink the
/// feed's memory to see runners fall behind it).
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Events per read of the log, and at most per batch.
    pub batch: usize,
    /// How many of the latest events the feed keeps for runners a little behind it. A runner further
    /// behind reads on its own; more would cost memory for pages nobody takes.
    pub feed_events: usize,
    /// While events keep arriving, a runner starts a batch (and the feed a read) at most this often.
    pub live_interval: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            batch: BATCH,
            feed_events: 2 * BATCH,
            live_interval: LIVE_INTERVAL,
        }
    }
}

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
    quarantined: AtomicU64,
    /// Events taken from the node's feed, and read from the store by this runner itself.
    from_feed: AtomicU64,
    read_alone: AtomicU64,
    state: Mutex<RunnerState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunnerReport {
    pub name: &'static str,
    pub position: u64,
    pub lag: u64,
    pub events_applied: u64,
    pub failures: u64,
    /// Events set aside because they could not be decoded (`inbox projections quarantine` lists them).
    pub quarantined: u64,
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
            quarantined: AtomicU64::new(0),
            from_feed: AtomicU64::new(0),
            read_alone: AtomicU64::new(0),
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
            quarantined: self.quarantined.load(Ordering::Relaxed),
            state: self.state(),
        }
    }

    pub fn state(&self) -> RunnerState {
        self.state
            .lock()
            .map(|s| s.clone())
            .unwrap_or(RunnerState::Starting)
    }

    /// Events this runner took from the node's feed.
    pub fn events_from_feed(&self) -> u64 {
        self.from_feed.load(Ordering::Relaxed)
    }

    /// Events this runner read from the store itself (while behind the feed).
    pub fn events_read_alone(&self) -> u64 {
        self.read_alone.load(Ordering::Relaxed)
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

    fn took(&self, covered: usize, source: Source) {
        let (counter, label) = match source {
            Source::Feed => (&self.from_feed, "feed"),
            Source::Store => (&self.read_alone, "store"),
        };
        counter.fetch_add(covered as u64, Ordering::Relaxed);
        metrics::counter!("inbox_projection_batches_total", "projection" => self.name, "source" => label)
            .increment(1);
    }

    fn saw_head(&self, head: u64) {
        self.head.fetch_max(head, Ordering::Relaxed);
        let lag = self
            .head
            .load(Ordering::Relaxed)
            .saturating_sub(self.position.load(Ordering::Relaxed));
        metrics::gauge!("inbox_projection_lag_events", "projection" => self.name).set(lag as f64);
    }

    fn set_quarantined(&self, total: u64) {
        self.quarantined.store(total, Ordering::Relaxed);
        metrics::gauge!("inbox_projection_quarantined_events", "projection" => self.name)
            .set(total as f64);
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

/// Where a batch came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Feed,
    Store,
}

/// Starts every projection in its own task, fed by one reader of the log; they stop when `shutdown` is
/// cancelled.
pub struct Runners {
    /// One per projection, in the order given.
    pub statuses: Vec<Arc<RunnerStatus>>,
    feed: Feed,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Runners {
    /// Starts the feed and a runner per projection (on this node: each runs where it gets its lock).
    pub fn start(
        pool: PgPool,
        store: Arc<dyn EventStore>,
        projections: Vec<Arc<dyn Projection>>,
        shutdown: CancellationToken,
    ) -> Runners {
        Self::start_tuned(pool, store, projections, shutdown, Tuning::default())
    }

    /// [`Runners::start`] with other sizes or pace.
    pub fn start_tuned(
        pool: PgPool,
        store: Arc<dyn EventStore>,
        projections: Vec<Arc<dyn Projection>>,
        shutdown: CancellationToken,
        tuning: Tuning,
    ) -> Runners {
        let feed = Feed::new(tuning.feed_events);
        let mut statuses = Vec::new();
        let mut tasks = vec![tokio::spawn(feed.clone().run(
            store.clone(),
            tuning.batch,
            tuning.live_interval,
            shutdown.clone(),
        ))];
        for projection in projections {
            let status = Arc::new(RunnerStatus::new(projection.name()));
            statuses.push(status.clone());
            let runner = Runner {
                pool: pool.clone(),
                store: store.clone(),
                interest: projection.interest(),
                projection,
                status,
                feed: feed.clone(),
                tuning,
            };
            tasks.push(tokio::spawn(runner.run(shutdown.clone())));
        }
        Runners {
            statuses,
            feed,
            tasks,
        }
    }

    /// What the node's log reader has read.
    pub fn feed(&self) -> FeedReport {
        self.feed.report()
    }

    /// The status of the named projection's runner.
    pub fn status(&self, name: &str) -> Option<Arc<RunnerStatus>> {
        self.statuses.iter().find(|s| s.name == name).cloned()
    }

    /// Waits for the runners to finish their current batch and stop, and for the feed (after `shutdown` was
    /// cancelled).
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
    interest: Interest,
    status: Arc<RunnerStatus>,
    feed: Feed,
    tuning: Tuning,
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
        let serving_since = chrono::Utc::now();
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
        // A view is derived from the log and its checkpoint commits with it, so it need not wait for its
        // own WAL flush: after a crash PostgreSQL loses at most the last few batches *whole* (view and
        // checkpoint together), and they are applied again from the log. The events themselves stay
        // synchronous. Set once for this connection of the runner's own, not in every batch.
        conn.execute("set synchronous_commit = off").await?;
        let following = self.feed.follow();
        let mut moved = self.feed.moved();
        let mut position = checkpoint(&mut conn, self.projection.name()).await?;
        self.status.progressed(position, 0, position);
        self.status
            .set_quarantined(quarantined_count(&mut conn, self.projection.name()).await?);
        let mut head = self.store.head();
        let mut last_batch: Option<tokio::time::Instant> = None;
        // Since when the runner has waited on a feed that did not move (reset by every read).
        let mut waiting_since: Option<tokio::time::Instant> = None;
        loop {
            if let Some(started) = last_batch.take() {
                tokio::select! {
                    () = shutdown.cancelled() => return Ok(()),
                    () = tokio::time::sleep_until(started + self.tuning.live_interval) => {}
                }
            }
            head.borrow_and_update();
            moved.borrow_and_update();
            following.stands_at(position);
            let fed = match self.feed.take(position, self.tuning.batch, self.interest) {
                Take::Fed(batch) => Some(batch),
                Take::Behind => None,
                Take::Waiting => {
                    let since = *waiting_since.get_or_insert_with(tokio::time::Instant::now);
                    let deadline = since + STANDBY_RETRY;
                    if tokio::time::Instant::now() < deadline {
                        self.status.set_state(RunnerState::Live);
                        tokio::select! {
                            () = shutdown.cancelled() => return Ok(()),
                            _ = moved.changed() => {}
                            _ = head.changed() => {}
                            () = tokio::time::sleep_until(deadline) => {}
                        }
                        self.status.saw_head(*head.borrow());
                        continue;
                    }
                    // The feed has not moved for a while: look at the store itself (a missed
                    // notification, or a failing database that the runner's health must show).
                    None
                }
            };
            waiting_since = None;
            let (batch, source, full) = match fed {
                Some(batch) => {
                    let full = batch.covered >= self.tuning.batch;
                    (batch, Source::Feed, full)
                }
                None => {
                    let events = self.store.read_all(position, self.tuning.batch).await?;
                    let full = events.len() >= self.tuning.batch;
                    match Batch::read(events, self.interest) {
                        Some(batch) => {
                            if !full {
                                // Caught up on its own: an idle feed starts from here.
                                self.feed.start_at(batch.to);
                            }
                            (batch, Source::Store, full)
                        }
                        None => {
                            self.feed.start_at(position);
                            self.status.set_state(RunnerState::Live);
                            tokio::select! {
                                () = shutdown.cancelled() => return Ok(()),
                                _ = moved.changed() => {}
                                changed = tokio::time::timeout(STANDBY_RETRY, head.changed()) => {
                                    if let Ok(Ok(())) = changed { self.status.saw_head(*head.borrow()); }
                                }
                            }
                            continue;
                        }
                    }
                }
            };
            let started = tokio::time::Instant::now();
            // Normally `batch.to`; the stored checkpoint if another runner moved it meanwhile.
            let (applied, set_aside) = apply_batch(
                &mut conn,
                self.projection.as_ref(),
                position,
                batch.to,
                batch.events(),
            )
            .await?;
            if applied == batch.to {
                record_visibility_delay(self.projection.name(), serving_since, batch.events());
            }
            position = applied;
            if set_aside > 0 {
                self.status
                    .set_quarantined(quarantined_count(&mut conn, self.projection.name()).await?);
            }
            let known_head = (*head.borrow()).max(batch.to);
            self.status.progressed(position, batch.covered, known_head);
            self.status.took(batch.covered, source);
            if full {
                self.status.set_state(RunnerState::CatchingUp);
            } else {
                self.status.set_state(RunnerState::Live);
                last_batch = Some(started);
            }
        }
    }
}

/// How long after it was recorded each event became visible in the view
/// (`inbox_projection_visibility_seconds`): the append's transaction starts just before the webhook is
/// acknowledged, so for the inbox view this is the wait between a 200 to Meta and the message in the API,
/// slightly over-counted by the append's own commit. Events appended before this runner began serving
/// (the backlog of a restart, a take-over or a failure, which `inbox_projection_lag_events` and the
/// failure counters show) are left out, so a catch-up does not read as slow live traffic.
fn record_visibility_delay(
    projection: &'static str,
    serving_since: chrono::DateTime<chrono::Utc>,
    events: &[TypedEvent],
) {
    let now = chrono::Utc::now();
    let histogram =
        metrics::histogram!("inbox_projection_visibility_seconds", "projection" => projection);
    for event in events.iter().filter(|e| e.recorded_at >= serving_since) {
        let delay = (now - event.recorded_at).to_std().unwrap_or_default();
        histogram.record(delay.as_secs_f64());
    }
}

/// An event a projection could not decode, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    pub projection: String,
    pub global_position: u64,
    pub event_id: Option<uuid::Uuid>,
    pub stream_id: String,
    pub event_type: String,
    pub schema_version: u32,
    pub error: String,
    pub quarantined_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Applies events inside the caller's transaction. When the projection fails on an event it cannot
/// decode, that event is set aside (recorded in `projection_quarantine`, in the same transaction) and the
/// rest is applied again, so one poison event never stops the view. Returns how many were set aside.
/// Each attempt runs in a savepoint; the live runner's [`apply_batch`] does without (see there).
pub async fn apply_setting_aside(
    conn: &mut PgConnection,
    projection: &dyn Projection,
    events: &[TypedEvent],
) -> anyhow::Result<usize> {
    let mut set_aside: Vec<Quarantined> = Vec::new();
    loop {
        let kept = without(events, &set_aside);
        // A savepoint, so a failed attempt leaves the caller's transaction usable.
        let mut attempt = conn.begin().await?;
        let error = match projection.apply(&mut attempt, &kept).await {
            Ok(()) => {
                attempt.commit().await?;
                break;
            }
            Err(e) => e,
        };
        attempt.rollback().await?;
        set_aside.push(poison(projection, &kept, error)?);
    }
    record_quarantined(conn, &set_aside).await?;
    count_quarantined(projection, &set_aside);
    Ok(set_aside.len())
}

/// The events not set aside (all of them, shared, when none is).
fn without<'a>(
    events: &'a [TypedEvent],
    set_aside: &[Quarantined],
) -> std::borrow::Cow<'a, [TypedEvent]> {
    if set_aside.is_empty() {
        return std::borrow::Cow::Borrowed(events);
    }
    events
        .iter()
        .filter(|e| {
            set_aside
                .iter()
                .all(|q| q.global_position != e.global_position)
        })
        .cloned()
        .collect()
}

/// The event of `batch` that `error` says could not be decoded, to set aside; any other error is returned
/// as it is (a failure to retry, not a poison event).
fn poison(
    projection: &dyn Projection,
    batch: &[TypedEvent],
    error: anyhow::Error,
) -> anyhow::Result<Quarantined> {
    let found = DecodeError::find(&error).and_then(|d| {
        let event = batch
            .iter()
            .find(|e| e.global_position == d.global_position)?;
        Some(Quarantined {
            projection: projection.name().to_owned(),
            global_position: event.global_position,
            event_id: Some(event.id),
            stream_id: event.stream_id.to_string(),
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            error: d.to_string(),
            quarantined_at: None,
        })
    });
    let Some(poison) = found else {
        return Err(error);
    };
    tracing::error!(
        projection = projection.name(),
        position = poison.global_position,
        stream = %poison.stream_id,
        error = %poison.error,
        "event cannot be decoded; set aside in projection_quarantine"
    );
    Ok(poison)
}

fn count_quarantined(projection: &dyn Projection, set_aside: &[Quarantined]) {
    if !set_aside.is_empty() {
        metrics::counter!("inbox_projection_quarantined_total", "projection" => projection.name())
            .increment(set_aside.len() as u64);
    }
}

/// Applies one batch and moves the checkpoint to `to` (the last position of the range the events come
/// from: a projection may want none of them), in one transaction. If the stored checkpoint is not where
/// this runner believed (another runner moved it), nothing is applied and the stored one is returned.
/// Also returns how many events were set aside.
///
/// Every view pays this for every page of the feed, so it takes as few round trips as it can: `begin`,
/// the checkpoint claimed and moved in one conditional update (which also locks its row until the
/// commit), the projection's own statements, `commit`. A poison event rolls the whole attempt back and it
/// starts again without that event, rather than paying a savepoint on every batch for the rare failure.
/// The runner's connection has `synchronous_commit` off (see [`Runner::serve`]).
async fn apply_batch(
    conn: &mut PgConnection,
    projection: &dyn Projection,
    expected: u64,
    to: u64,
    events: &[TypedEvent],
) -> anyhow::Result<(u64, usize)> {
    let mut set_aside: Vec<Quarantined> = Vec::new();
    loop {
        let mut tx = conn.begin().await?;
        let claimed = sqlx::query_scalar!(
            "update projection_checkpoints set position = $3, updated_at = now()
             where name = $1 and position = $2 and position < $3
             returning position",
            projection.name(),
            i64::try_from(expected)?,
            i64::try_from(to)?
        )
        .fetch_optional(&mut *tx)
        .await?;
        if claimed.is_none() {
            tx.rollback().await?;
            let stored = sqlx::query_scalar!(
                "select position from projection_checkpoints where name = $1",
                projection.name()
            )
            .fetch_one(&mut *conn)
            .await?;
            return Ok((u64::try_from(stored).unwrap_or(0), 0));
        }
        let kept = without(events, &set_aside);
        let outcome = if kept.is_empty() {
            Ok(())
        } else {
            projection.apply(&mut tx, &kept).await
        };
        match outcome {
            Ok(()) => {
                record_quarantined(&mut tx, &set_aside).await?;
                tx.commit().await?;
                count_quarantined(projection, &set_aside);
                return Ok((to, set_aside.len()));
            }
            Err(error) => {
                tx.rollback().await?;
                set_aside.push(poison(projection, &kept, error)?);
            }
        }
    }
}

/// Records events set aside (inside the caller's transaction); one already recorded gets the new error and
/// time (a rebuild then knows it met it again).
pub async fn record_quarantined(
    conn: &mut PgConnection,
    set_aside: &[Quarantined],
) -> anyhow::Result<()> {
    for q in set_aside {
        sqlx::query!(
            "insert into projection_quarantine
                 (projection, global_position, event_id, stream_id, event_type, schema_version, error)
             values ($1, $2, $3, $4, $5, $6, $7)
             on conflict (projection, global_position)
             do update set error = excluded.error, quarantined_at = now()",
            q.projection,
            i64::try_from(q.global_position)?,
            q.event_id,
            q.stream_id,
            q.event_type,
            i32::try_from(q.schema_version).unwrap_or(i32::MAX),
            q.error,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How many events a projection has set aside.
pub async fn quarantined_count(conn: &mut PgConnection, name: &str) -> anyhow::Result<u64> {
    let count = sqlx::query_scalar!(
        r#"select count(*) as "count!" from projection_quarantine where projection = $1"#,
        name
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Every event set aside, by projection then position (for the CLI).
pub async fn quarantined(pool: &PgPool) -> anyhow::Result<Vec<Quarantined>> {
    let rows = sqlx::query!(
        "select projection, global_position, event_id, stream_id, event_type, schema_version, error,
                quarantined_at
         from projection_quarantine
         order by projection, global_position"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Quarantined {
            projection: r.projection,
            global_position: u64::try_from(r.global_position).unwrap_or(0),
            event_id: r.event_id,
            stream_id: r.stream_id,
            event_type: r.event_type,
            schema_version: u32::try_from(r.schema_version).unwrap_or(0),
            error: r.error,
            quarantined_at: Some(r.quarantined_at),
        })
        .collect())
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
