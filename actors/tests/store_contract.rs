//! The event-store contract, run against every backend: in-memory and PostgreSQL.

use actors::event::{EventMetadata, NewEvent, StreamId};
use actors::store::{
    subscribe, AppendError, AppendRequest, EventStore, ExpectedVersion, GroupCommitConfig,
    GroupCommitStore, InMemoryEventStore, PostgresEventStore,
};
use actors::testing::TestDatabase;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

fn event(n: u64) -> NewEvent {
    NewEvent {
        id: Uuid::new_v4(),
        event_type: "test.happened".into(),
        schema_version: 1,
        payload: serde_json::json!({"n": n}).into(),
        metadata: EventMetadata::system("contract test"),
        occurred_at: None,
    }
}

fn stream() -> StreamId {
    StreamId::new(format!("test-{}", Uuid::new_v4().simple()))
}

/// Runs a contract case against both backends. The PostgreSQL one gets a database of its own.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod in_memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case(std::sync::Arc::new(actors::store::InMemoryEventStore::new())).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let db = actors::testing::TestDatabase::create().await;
                super::$case(std::sync::Arc::new(actors::store::PostgresEventStore::new(db.pool().await))).await;
            })*
        }
        mod group_commit_over_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let db = actors::testing::TestDatabase::create().await;
                let backend = std::sync::Arc::new(actors::store::PostgresEventStore::new(db.pool().await));
                super::$case(std::sync::Arc::new(actors::store::GroupCommitStore::new(backend, Default::default()))).await;
            })*
        }
    };
}

contract!(
    appends_read_back_in_order,
    a_wrong_expected_version_is_a_typed_conflict,
    known_event_ids_are_skipped_without_error,
    each_request_of_a_batch_succeeds_or_fails_on_its_own,
    an_id_in_two_requests_of_one_batch_is_stored_once,
    reads_page_through_streams_and_the_global_log,
    a_follower_sees_every_event_of_concurrent_writers_exactly_once_in_order,
    a_payload_too_deep_to_read_back_is_refused_and_nothing_of_its_request_is_stored,
    a_stream_twice_in_one_batch_is_decided_request_by_request,
    an_id_of_a_refused_request_stays_free_for_a_later_one,
);

/// `[[...[1]...]]`, `levels` deep.
fn nested(levels: usize) -> serde_json::Value {
    (0..levels).fold(serde_json::json!(1), |inner, _| serde_json::json!([inner]))
}

fn event_with(payload: serde_json::Value) -> NewEvent {
    NewEvent {
        payload: payload.into(),
        ..event(0)
    }
}

async fn a_payload_too_deep_to_read_back_is_refused_and_nothing_of_its_request_is_stored(
    store: Arc<dyn EventStore>,
) {
    let deepest = actors::json::MAX_STORED_DEPTH;
    let (fits, too_deep) = (stream(), stream());
    let results = store
        .append_batch(vec![
            AppendRequest {
                stream_id: fits.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![event_with(nested(deepest))],
            },
            AppendRequest {
                stream_id: too_deep.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![
                    event(1),
                    event_with(serde_json::json!({"a": nested(deepest)})),
                ],
            },
        ])
        .await;
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(&results[1], Err(AppendError::Invalid { reason, .. }) if reason.contains("deeper")),
        "{:?}",
        results[1]
    );
    assert_eq!(store.stream_version(&too_deep).await.unwrap(), 0);
    let read = store.read_stream(&fits, 0, 10).await.unwrap();
    assert_eq!(read[0].payload, nested(deepest));
    let all = store.read_all(0, 10).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].payload, nested(deepest));
}

async fn appends_read_back_in_order(store: Arc<dyn EventStore>) {
    let s = stream();
    let first = store
        .append(
            s.clone(),
            ExpectedVersion::NoStream,
            vec![event(1), event(2)],
        )
        .await
        .unwrap();
    assert_eq!(first.version, 2);
    let second = store
        .append(s.clone(), ExpectedVersion::Exact(2), vec![event(3)])
        .await
        .unwrap();
    assert_eq!(second.version, 3);
    let events = store.read_stream(&s, 0, 100).await.unwrap();
    assert_eq!(
        events.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(
        events
            .iter()
            .map(|e| e.payload["n"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(events
        .windows(2)
        .all(|w| w[0].global_position < w[1].global_position));
    assert_eq!(
        events[2].global_position,
        second.appended[0].global_position
    );
    assert_eq!(store.stream_version(&s).await.unwrap(), 3);
    assert_eq!(store.stream_version(&stream()).await.unwrap(), 0);
}

async fn a_wrong_expected_version_is_a_typed_conflict(store: Arc<dyn EventStore>) {
    let s = stream();
    store
        .append(s.clone(), ExpectedVersion::NoStream, vec![event(1)])
        .await
        .unwrap();
    for expected in [
        ExpectedVersion::NoStream,
        ExpectedVersion::Exact(0),
        ExpectedVersion::Exact(5),
    ] {
        match store.append(s.clone(), expected, vec![event(2)]).await {
            Err(AppendError::Conflict { actual: 1, .. }) => {}
            other => panic!("expected a conflict for {expected:?}, got {other:?}"),
        }
    }
    assert_eq!(
        store.read_stream(&s, 0, 10).await.unwrap().len(),
        1,
        "a conflict writes nothing"
    );
    assert_eq!(
        store
            .append(s.clone(), ExpectedVersion::Any, vec![event(2)])
            .await
            .unwrap()
            .version,
        2
    );
}

async fn known_event_ids_are_skipped_without_error(store: Arc<dyn EventStore>) {
    let s = stream();
    let (a, b, c) = (event(1), event(2), event(3));
    store
        .append(
            s.clone(),
            ExpectedVersion::NoStream,
            vec![a.clone(), b.clone()],
        )
        .await
        .unwrap();
    // The same events again, even with a stale expected version: nothing appended, no error.
    let again = store
        .append(
            s.clone(),
            ExpectedVersion::NoStream,
            vec![a.clone(), b.clone()],
        )
        .await
        .unwrap();
    assert_eq!(
        (again.appended.len(), again.duplicates, again.version),
        (0, 2, 2)
    );
    // A mix: only the new one is appended; a repeat inside the request counts once.
    let mixed = store
        .append(
            s.clone(),
            ExpectedVersion::Exact(2),
            vec![b.clone(), c.clone(), c.clone()],
        )
        .await
        .unwrap();
    assert_eq!(
        (mixed.appended.len(), mixed.duplicates, mixed.version),
        (1, 2, 3)
    );
    let ids: Vec<_> = store
        .read_stream(&s, 0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [a.id, b.id, c.id]);
}

async fn each_request_of_a_batch_succeeds_or_fails_on_its_own(store: Arc<dyn EventStore>) {
    let (s1, s2, s3) = (stream(), stream(), stream());
    store
        .append(s2.clone(), ExpectedVersion::NoStream, vec![event(0)])
        .await
        .unwrap();
    let results = store
        .append_batch(vec![
            AppendRequest {
                stream_id: s1.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![event(1)],
            },
            AppendRequest {
                stream_id: s2.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![event(2)],
            },
            AppendRequest {
                stream_id: StreamId::new("x".repeat(600)),
                expected: ExpectedVersion::Any,
                events: vec![event(3)],
            },
            AppendRequest {
                stream_id: s3.clone(),
                expected: ExpectedVersion::Any,
                events: vec![event(4), event(5)],
            },
        ])
        .await;
    assert!(matches!(results[0], Ok(ref o) if o.version == 1));
    assert!(matches!(results[1], Err(AppendError::Conflict { .. })));
    assert!(matches!(results[2], Err(AppendError::Invalid { .. })));
    assert!(matches!(results[3], Ok(ref o) if o.version == 2));
    assert_eq!(store.stream_version(&s2).await.unwrap(), 1);
}

async fn an_id_in_two_requests_of_one_batch_is_stored_once(store: Arc<dyn EventStore>) {
    let (s1, s2) = (stream(), stream());
    let shared = event(1);
    let results = store
        .append_batch(vec![
            AppendRequest {
                stream_id: s1.clone(),
                expected: ExpectedVersion::Any,
                events: vec![shared.clone()],
            },
            AppendRequest {
                stream_id: s2.clone(),
                expected: ExpectedVersion::Any,
                events: vec![shared.clone(), event(2)],
            },
        ])
        .await;
    assert!(matches!(results[0], Ok(ref o) if o.appended.len() == 1 && o.duplicates == 0));
    assert!(matches!(results[1], Ok(ref o) if o.appended.len() == 1 && o.duplicates == 1));
    assert_eq!(store.read_stream(&s1, 0, 10).await.unwrap().len(), 1);
    let second = store.read_stream(&s2, 0, 10).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].id, shared.id);
}

async fn a_stream_twice_in_one_batch_is_decided_request_by_request(store: Arc<dyn EventStore>) {
    let s = stream();
    let results = store
        .append_batch(vec![
            AppendRequest {
                stream_id: s.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![event(1), event(2)],
            },
            AppendRequest {
                stream_id: s.clone(),
                expected: ExpectedVersion::Exact(2),
                events: vec![event(3)],
            },
            AppendRequest {
                stream_id: s.clone(),
                expected: ExpectedVersion::Exact(2),
                events: vec![event(4)],
            },
            AppendRequest {
                stream_id: s.clone(),
                expected: ExpectedVersion::Any,
                events: vec![event(5)],
            },
        ])
        .await;
    let versions: Vec<Vec<u64>> = results
        .iter()
        .map(|r| {
            r.as_ref()
                .map(|o| o.appended.iter().map(|a| a.stream_version).collect())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(versions, vec![vec![1, 2], vec![3], vec![], vec![4]]);
    assert!(
        matches!(results[2], Err(AppendError::Conflict { actual: 3, .. })),
        "{:?}",
        results[2]
    );
    let stored: Vec<u64> = store
        .read_stream(&s, 0, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.payload["n"].as_u64().unwrap())
        .collect();
    assert_eq!(stored, vec![1, 2, 3, 5]);
    let positions: Vec<u64> = results
        .iter()
        .flatten()
        .flat_map(|o| o.appended.iter().map(|a| a.global_position))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "a stream's events take increasing positions in version order: {positions:?}"
    );
}

async fn an_id_of_a_refused_request_stays_free_for_a_later_one(store: Arc<dyn EventStore>) {
    let (refused, taker, late) = (stream(), stream(), stream());
    let shared = event(1);
    let results = store
        .append_batch(vec![
            AppendRequest {
                stream_id: refused.clone(),
                expected: ExpectedVersion::Exact(5),
                events: vec![shared.clone()],
            },
            AppendRequest {
                stream_id: taker.clone(),
                expected: ExpectedVersion::Any,
                events: vec![shared.clone(), shared.clone(), event(2)],
            },
            AppendRequest {
                stream_id: late.clone(),
                expected: ExpectedVersion::Exact(3),
                events: vec![shared.clone()],
            },
        ])
        .await;
    assert!(matches!(results[0], Err(AppendError::Conflict { .. })));
    assert!(
        matches!(results[1], Ok(ref o) if o.appended.len() == 2 && o.duplicates == 1 && o.appended[0].id == shared.id),
        "{:?}",
        results[1]
    );
    assert!(
        matches!(results[2], Ok(ref o) if o.appended.is_empty() && o.duplicates == 1 && o.version == 0),
        "a request holding only stored ids succeeds whatever it expects: {:?}",
        results[2]
    );
    assert_eq!(store.stream_version(&refused).await.unwrap(), 0);
    assert_eq!(store.read_stream(&taker, 0, 10).await.unwrap().len(), 2);
    assert_eq!(store.stream_version(&late).await.unwrap(), 0);
}

async fn reads_page_through_streams_and_the_global_log(store: Arc<dyn EventStore>) {
    let s = stream();
    store
        .append(
            s.clone(),
            ExpectedVersion::Any,
            (1..=7).map(event).collect(),
        )
        .await
        .unwrap();
    let page = store.read_stream(&s, 3, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        [4, 5]
    );
    let whole = actors::store::read_whole_stream(store.as_ref(), &s)
        .await
        .unwrap();
    assert_eq!(whole.len(), 7);
    let all = store.read_all(0, 1000).await.unwrap();
    assert!(all
        .windows(2)
        .all(|w| w[0].global_position < w[1].global_position));
    let tail = store.read_all(all[2].global_position, 2).await.unwrap();
    assert_eq!(
        tail.iter().map(|e| e.id).collect::<Vec<_>>(),
        all[3..5].iter().map(|e| e.id).collect::<Vec<_>>()
    );
}

/// Many writers commit concurrently (out of sequence order, as transactions do) while a subscriber follows
/// the global log from a checkpoint: it must see every event exactly once, in increasing position order.
async fn a_follower_sees_every_event_of_concurrent_writers_exactly_once_in_order(
    store: Arc<dyn EventStore>,
) {
    const WRITERS: u64 = 8;
    const APPENDS: u64 = 25;
    let start = store
        .read_all(0, 100_000)
        .await
        .unwrap()
        .last()
        .map_or(0, |e| e.global_position);
    let mut follower = subscribe(store.clone(), start);
    let reader = tokio::spawn(async move {
        let mut seen = Vec::new();
        while seen.len() < (WRITERS * APPENDS * 2) as usize {
            let batch = tokio::time::timeout(Duration::from_secs(30), follower.next_batch())
                .await
                .expect("follower stalled")
                .unwrap();
            seen.extend(batch.into_iter().map(|e| (e.global_position, e.id)));
        }
        seen
    });
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..APPENDS {
                let events = vec![event(w * 1000 + i), event(w * 1000 + i)];
                ids.extend(events.iter().map(|e| e.id));
                // Half the writers share one stream per pair, so conflicts and retries happen too.
                let s = StreamId::new(format!("test-writer-{w}-{}", i % 3));
                store.append(s, ExpectedVersion::Any, events).await.unwrap();
            }
            ids
        }));
    }
    let mut written = HashSet::new();
    for w in writers {
        written.extend(w.await.unwrap());
    }
    let seen = reader.await.unwrap();
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "positions handed out in increasing order"
    );
    let seen_ids: HashSet<_> = seen.iter().map(|(_, id)| *id).collect();
    assert_eq!(seen_ids.len(), seen.len(), "no event delivered twice");
    assert_eq!(seen_ids, written, "every event delivered");
}

/// Appends made at the same moment by many callers share transactions, and each is answered with its own
/// outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_shares_transactions_between_concurrent_appends() {
    const CALLERS: usize = 300;
    let db = TestDatabase::create().await;
    let backend = Arc::new(PostgresEventStore::new(db.pool().await));
    let grouped = Arc::new(GroupCommitStore::new(backend, GroupCommitConfig::default()));
    let taken = stream();
    grouped
        .append(taken.clone(), ExpectedVersion::NoStream, vec![event(0)])
        .await
        .unwrap();
    let store: Arc<dyn EventStore> = grouped.clone();
    let mut callers = Vec::new();
    for n in 0..CALLERS {
        let store = store.clone();
        let taken = taken.clone();
        callers.push(tokio::spawn(async move {
            // Every tenth caller expects a new stream that already exists: its conflict is its own.
            let (s, expected) = match n % 10 {
                0 => (taken, ExpectedVersion::NoStream),
                _ => (stream(), ExpectedVersion::NoStream),
            };
            let outcome = store
                .append(s.clone(), expected, vec![event(n as u64)])
                .await;
            (n, s, outcome)
        }));
    }
    for caller in callers {
        let (n, s, outcome) = caller.await.unwrap();
        if n % 10 == 0 {
            assert!(
                matches!(outcome, Err(AppendError::Conflict { .. })),
                "{outcome:?}"
            );
        } else {
            assert_eq!(outcome.unwrap().version, 1);
            let stored = store.read_stream(&s, 0, 10).await.unwrap();
            assert_eq!(stored[0].payload, serde_json::json!({"n": n}));
        }
    }
    assert_eq!(store.stream_version(&taken).await.unwrap(), 1);
    let stats = grouped.stats();
    let batches = stats.batches.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        stats.requests.load(std::sync::atomic::Ordering::Relaxed),
        CALLERS as u64 + 1
    );
    assert!(
        batches < CALLERS as u64 / 2,
        "{CALLERS} concurrent appends took {batches} transactions"
    );
}

/// A request PostgreSQL refuses (jsonb cannot hold U+0000) fails alone, as invalid input rather than an
/// outage; the requests that shared its transaction are stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_request_the_database_refuses_fails_alone() {
    let db = TestDatabase::create().await;
    let store = PostgresEventStore::new(db.pool().await);
    let (good, bad, other) = (stream(), stream(), stream());
    let mut poison = event(2);
    poison.payload = serde_json::json!({"text": "nul \u{0} inside"}).into();
    let results = store
        .append_batch(vec![
            AppendRequest {
                stream_id: good.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![event(1)],
            },
            AppendRequest {
                stream_id: bad.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![poison],
            },
            AppendRequest {
                stream_id: other.clone(),
                expected: ExpectedVersion::NoStream,
                events: vec![event(3)],
            },
        ])
        .await;
    assert!(matches!(results[0], Ok(ref o) if o.version == 1));
    assert!(
        matches!(results[1], Err(AppendError::Invalid { ref reason, .. }) if reason.contains("Unicode")),
        "{:?}",
        results[1]
    );
    assert!(matches!(results[2], Ok(ref o) if o.version == 1));
    assert_eq!(store.stream_version(&good).await.unwrap(), 1);
    assert_eq!(store.stream_version(&bad).await.unwrap(), 0);
    assert_eq!(store.stream_version(&other).await.unwrap(), 1);
}

/// PostgreSQL only: a transaction that took its position first but commits last must not be skipped by a
/// reader that already saw a later writer's commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_reader_never_skips_a_transaction_that_commits_late() {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let store = Arc::new(PostgresEventStore::new(pool.clone()));
    store
        .append(
            StreamId::new("test-late"),
            ExpectedVersion::Any,
            vec![event(0)],
        )
        .await
        .unwrap();
    let checkpoint = store
        .read_all(0, 10)
        .await
        .unwrap()
        .last()
        .unwrap()
        .global_position;

    // T1: takes its position (the insert fires the append lock) and stays open.
    let mut t1 = pool.begin().await.unwrap();
    let late_id = Uuid::new_v4();
    sqlx::query("insert into events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata) values ($1, 'test-late', 2, 'test.happened', 1, '{}', $2)")
        .bind(late_id)
        .bind(serde_json::to_value(EventMetadata::system("t1")).unwrap())
        .execute(&mut *t1)
        .await
        .unwrap();

    // T2: a concurrent append through the store. It must wait for T1, not commit a higher position first.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append(
                    StreamId::new("test-other"),
                    ExpectedVersion::Any,
                    vec![event(2)],
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !writer.is_finished(),
        "T2 committed while T1, which holds an earlier position, is still open"
    );
    assert!(
        store.read_all(checkpoint, 10).await.unwrap().is_empty(),
        "nothing is visible past the checkpoint yet"
    );

    t1.commit().await.unwrap();
    let t2 = writer.await.unwrap().unwrap();
    let after = store.read_all(checkpoint, 10).await.unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].id, late_id, "T1's event comes first");
    assert_eq!(after[1].global_position, t2.appended[0].global_position);
}

/// PostgreSQL only: another node's append wakes this node's subscribers through NOTIFY, not through polling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_append_on_another_node_wakes_subscribers() {
    let db = TestDatabase::create().await;
    let node_a = PostgresEventStore::new(db.pool().await);
    let node_b = PostgresEventStore::new(db.pool().await);
    let mut head = node_a.head();
    head.borrow_and_update();
    // Node A's listener connects in the background; append on node B until a notification reaches A.
    for _ in 0..100 {
        let appended = node_b
            .append(stream(), ExpectedVersion::Any, vec![event(1)])
            .await
            .unwrap();
        let woke = tokio::time::timeout(Duration::from_millis(200), head.changed())
            .await
            .is_ok();
        // The head carries the notified position: only node B's NOTIFY can have moved it this far.
        if woke && *head.borrow_and_update() >= appended.appended[0].global_position {
            return;
        }
    }
    panic!("no notification reached node A");
}

/// Stored events cannot be edited or deleted, even with direct SQL.
/// An event an older version stored deeper than serde_json's default limit of 128 (before inputs were
/// capped) still reads back, through the stream and through the global log.
#[tokio::test]
async fn postgres_a_payload_stored_deeper_than_serde_jsons_limit_still_reads_back() {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let store = PostgresEventStore::new(pool.clone());
    let s = stream();
    store
        .append(s.clone(), ExpectedVersion::NoStream, vec![event(1)])
        .await
        .unwrap();
    // As the store once wrote it: a 127-deep webhook body inside an account change.
    let text = format!(
        r#"{{"field": "unrecognised_body", "value": {}1{}}}"#,
        "[".repeat(127),
        "]".repeat(127)
    );
    sqlx::query(
        "insert into events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata)
         select $1, $2, 2, 'account.change_recorded', 1, $3::jsonb, metadata from events where stream_id = $2",
    )
    .bind(Uuid::new_v4())
    .bind(s.as_str())
    .bind(&text)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("update streams set version = 2 where stream_id = $1")
        .bind(s.as_str())
        .execute(&pool)
        .await
        .unwrap();
    let read = store.read_stream(&s, 0, 10).await.unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(actors::json::depth(&read[1].payload), 128);
    let all = store.read_all(0, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].payload, read[1].payload);
}

#[tokio::test]
async fn postgres_stored_events_are_immutable() {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let store = PostgresEventStore::new(pool.clone());
    store
        .append(stream(), ExpectedVersion::Any, vec![event(1)])
        .await
        .unwrap();
    for statement in [
        "update events set payload = '{}'",
        "delete from events",
        "truncate events cascade",
    ] {
        let err = sqlx::query(statement)
            .execute(&pool)
            .await
            .expect_err(statement);
        assert!(err.to_string().contains("immutable"), "{statement}: {err}");
    }
}

#[tokio::test]
async fn in_memory_store_reports_its_head() {
    let store = InMemoryEventStore::new();
    let mut head = store.head();
    store
        .append(stream(), ExpectedVersion::Any, vec![event(1), event(2)])
        .await
        .unwrap();
    head.changed().await.unwrap();
    assert_eq!(*head.borrow(), 2);
}
