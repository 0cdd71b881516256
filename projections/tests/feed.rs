//! One reader of the log for every runner of a node, against a real PostgreSQL: the runners follow its
//! pages, and one that falls behind them (failing for a while, or taking over late) reads on its own
//! until it reaches them again, without losing or repeating an event.

use actors::event::{EventMetadata, NewEvent, StreamId};
use actors::store::{EventStore, ExpectedVersion, PostgresEventStore};
use actors::testing::TestDatabase;
use async_trait::async_trait;
use projections::projection::Projection;
use projections::rows::Table;
use projections::runner::{RunnerState, RunnerStatus, Runners, Tuning, LOCK_CLASS};
use projections::typed::TypedEvent;
use serde_json::json;
use sqlx::{Connection, PgConnection, PgPool};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A projection that writes down, in its batch's transaction, every position it is handed: the table's
/// key refuses a position handed twice, and comparing it with the log shows any position lost. It fails
/// every batch while `failing` is set.
struct Recorder {
    name: &'static str,
    failing: Arc<AtomicBool>,
}

impl Recorder {
    fn new(name: &'static str) -> Arc<Recorder> {
        Arc::new(Recorder {
            name,
            failing: Arc::default(),
        })
    }
}

#[async_trait]
impl Projection for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }
    fn tables(&self) -> &'static [Table] {
        &[]
    }
    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            anyhow::bail!("{} is broken for now", self.name);
        }
        let positions: Vec<i64> = events
            .iter()
            .map(|e| i64::try_from(e.global_position))
            .collect::<Result<_, _>>()?;
        sqlx::query("insert into seen (projection, position) select $1, unnest($2::bigint[])")
            .bind(self.name)
            .bind(&positions)
            .execute(conn)
            .await?;
        Ok(())
    }
}

struct Node {
    db: TestDatabase,
    pool: PgPool,
    store: Arc<dyn EventStore>,
    stream: StreamId,
    version: u64,
}

impl Node {
    async fn new() -> Node {
        let db = TestDatabase::create().await;
        let pool = db.pool().await;
        sqlx::query("create table seen (projection text, position bigint, primary key (projection, position))")
            .execute(&pool)
            .await
            .unwrap();
        let store: Arc<dyn EventStore> = Arc::new(PostgresEventStore::new(pool.clone()));
        Node {
            db,
            pool,
            store,
            stream: StreamId::conversation("1122", "447700900001"),
            version: 0,
        }
    }

    fn start(&self, projections: Vec<Arc<dyn Projection>>, stop: &CancellationToken) -> Runners {
        // A feed that keeps few events, so a runner a little behind already reads on its own.
        let tuning = Tuning {
            feed_events: 10,
            ..Tuning::default()
        };
        Runners::start_tuned(
            self.pool.clone(),
            self.store.clone(),
            projections,
            stop.clone(),
            tuning,
        )
    }

    /// Appends `count` events in one append; returns the head of the log.
    async fn append(&mut self, count: u32) -> u64 {
        let events = (0..count)
            .map(|i| NewEvent {
                id: uuid::Uuid::new_v4(),
                event_type: "test.happened".into(),
                schema_version: 1,
                payload: json!({ "n": i }).into(),
                metadata: EventMetadata::system("test"),
                occurred_at: None,
            })
            .collect();
        let outcome = self
            .store
            .append(
                self.stream.clone(),
                ExpectedVersion::Exact(self.version),
                events,
            )
            .await
            .unwrap();
        self.version = outcome.version;
        self.head().await
    }

    /// Appends `appends` times `count` events, each append read by the feed before the next is made (so
    /// each is a page of its own).
    async fn append_pages(&mut self, runners: &Runners, appends: u32, count: u32) -> u64 {
        let mut head = 0;
        for _ in 0..appends {
            head = self.append(count).await;
            wait_until("the feed reads the append", || {
                runners.feed().position >= Some(head)
            })
            .await;
        }
        head
    }

    async fn head(&self) -> u64 {
        let head: i64 = sqlx::query_scalar("select max(global_position) from events")
            .fetch_one(&self.pool)
            .await
            .unwrap();
        u64::try_from(head).unwrap()
    }

    /// Every position of the log, and every position `projection` was handed, each in order.
    async fn seen(&self, projection: &str) -> (Vec<i64>, Vec<i64>) {
        let log = sqlx::query_scalar("select global_position from events order by 1")
            .fetch_all(&self.pool)
            .await
            .unwrap();
        let seen = sqlx::query_scalar("select position from seen where projection = $1 order by 1")
            .bind(projection)
            .fetch_all(&self.pool)
            .await
            .unwrap();
        (log, seen)
    }

    async fn stop(self, runners: Runners, stop: CancellationToken) {
        stop.cancel();
        runners.join().await;
        self.pool.close().await;
        drop(self.db);
    }
}

/// Waits for a condition on the runners' statuses, for a minute at most.
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let reached = tokio::time::timeout(Duration::from_secs(60), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(reached.is_ok(), "timed out waiting until {what}");
}

fn at(status: &RunnerStatus, position: u64) -> bool {
    status.report().position >= position
}

#[tokio::test]
async fn two_projections_fed_by_one_reader_both_reach_the_head() {
    // Given a log of 10 events and a node running two projections, both caught up.
    let mut node = Node::new().await;
    let start = node.append(10).await;
    let stop = CancellationToken::new();
    let runners = node.start(vec![Recorder::new("a"), Recorder::new("b")], &stop);
    let (a, b) = (runners.status("a").unwrap(), runners.status("b").unwrap());
    wait_until("both caught up", || at(&a, start) && at(&b, start)).await;
    wait_until("the feed started", || runners.feed().position.is_some()).await;
    let read_before = runners.feed().events_read;

    // When 5 appends of 20 events arrive.
    let head = node.append_pages(&runners, 5, 20).await;

    // Then both projections reach the head, each handed every event exactly once...
    wait_until("both reach the head", || at(&a, head) && at(&b, head)).await;
    for name in ["a", "b"] {
        let (log, seen) = node.seen(name).await;
        assert_eq!(seen, log, "{name} was handed every event once");
    }
    // ...and the new events were read from the store once, by the feed, for both.
    assert_eq!(runners.feed().events_read - read_before, 100);
    assert!(a.events_from_feed() > 0 && b.events_from_feed() > 0);
    assert_eq!(a.report().events_applied, head);
    assert_eq!(b.report().events_applied, head);
    node.stop(runners, stop).await;
}

#[tokio::test]
async fn a_projection_that_failed_for_a_while_catches_up_alone_then_follows_the_feed_again() {
    // Given a node running a steady projection and a flaky one, both caught up.
    let mut node = Node::new().await;
    let start = node.append(10).await;
    let stop = CancellationToken::new();
    let flaky = Recorder::new("flaky");
    let runners = node.start(vec![Recorder::new("steady"), flaky.clone()], &stop);
    let (steady, flaky_status) = (
        runners.status("steady").unwrap(),
        runners.status("flaky").unwrap(),
    );
    wait_until("both caught up", || {
        at(&steady, start) && at(&flaky_status, start)
    })
    .await;

    // When the flaky one fails while 60 events arrive...
    flaky.failing.store(true, Ordering::SeqCst);
    let head = node.append_pages(&runners, 6, 10).await;
    wait_until("the flaky one failed", || {
        flaky_status.report().failures >= 1
    })
    .await;

    // ...the steady one keeps going, fed by the reader; the flaky one stays where it was.
    wait_until("the steady one reaches the head", || at(&steady, head)).await;
    assert!(!flaky_status.healthy());
    assert_eq!(flaky_status.report().position, start);
    let (read_alone, fed) = (
        flaky_status.events_read_alone(),
        flaky_status.events_from_feed(),
    );

    // When it works again, it catches up on its own reads (the feed no longer holds what it missed)...
    flaky.failing.store(false, Ordering::SeqCst);
    wait_until("the flaky one catches up", || at(&flaky_status, head)).await;
    assert!(flaky_status.healthy());
    assert!(flaky_status.events_read_alone() >= read_alone + 50);

    // ...then follows the feed again with the others.
    let head = node.append_pages(&runners, 3, 10).await;
    wait_until("both reach the new head", || {
        at(&steady, head) && at(&flaky_status, head)
    })
    .await;
    assert!(flaky_status.events_from_feed() > fed);
    for name in ["steady", "flaky"] {
        let (log, seen) = node.seen(name).await;
        assert_eq!(seen, log, "{name} was handed every event once");
    }
    node.stop(runners, stop).await;
}

#[tokio::test]
async fn a_runner_that_takes_over_late_catches_up_alone_then_follows_the_feed() {
    // Given another node holding the "late" projection's lock, and this node running it and another one.
    let mut node = Node::new().await;
    let mut other_node = PgConnection::connect_with(&node.pool.connect_options())
        .await
        .unwrap();
    let locked: bool = sqlx::query_scalar("select pg_try_advisory_lock($1, hashtext('late'))")
        .bind(LOCK_CLASS)
        .fetch_one(&mut other_node)
        .await
        .unwrap();
    assert!(locked);
    let start = node.append(10).await;
    let stop = CancellationToken::new();
    let runners = node.start(vec![Recorder::new("early"), Recorder::new("late")], &stop);
    let (early, late) = (
        runners.status("early").unwrap(),
        runners.status("late").unwrap(),
    );
    wait_until("the early one caught up", || at(&early, start)).await;
    wait_until("the late one stands by", || {
        late.state() == RunnerState::Standby
    })
    .await;

    // When 50 events arrive, and then the other node goes away.
    let head = node.append_pages(&runners, 5, 10).await;
    assert_eq!(late.report().position, 0);
    other_node.close().await.unwrap();

    // Then the late one takes over and catches up from its checkpoint on its own reads...
    wait_until("the late one catches up", || at(&late, head)).await;
    assert!(late.events_read_alone() >= 50);

    // ...and then follows the feed.
    let head = node.append_pages(&runners, 3, 10).await;
    wait_until("both reach the new head", || {
        at(&early, head) && at(&late, head)
    })
    .await;
    assert!(late.events_from_feed() > 0);
    for name in ["early", "late"] {
        let (log, seen) = node.seen(name).await;
        assert_eq!(seen, log, "{name} was handed every event once");
    }
    node.stop(runners, stop).await;
}
