//! The projection runner against a real PostgreSQL: checkpoints, one runner per projection across nodes,
//! and failures that stay contained.

use actors::event::{EventMetadata, NewEvent, StreamId};
use actors::store::{EventStore, ExpectedVersion, PostgresEventStore};
use actors::testing::TestDatabase;
use async_trait::async_trait;
use projections::inbox::InboxProjection;
use projections::projection::Projection;
use projections::rows::Table;
use projections::runner::{RunnerState, Runners};
use projections::typed::TypedEvent;
use serde_json::json;
use sqlx::PgConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn message(i: u32) -> NewEvent {
    NewEvent {
        id: uuid::Uuid::new_v4(),
        event_type: "message.received".into(),
        schema_version: 1,
        payload: json!({
            "wamid": format!("wamid.{i}"), "from": "447700900001", "timestamp": "2023-11-14T22:13:20Z",
            "kind": "text", "content": {"content_type": "text", "body": format!("message {i}")},
            "context": {"forwarded": false, "frequently_forwarded": false}, "errors": [], "raw": {}
        })
        .into(),
        metadata: EventMetadata::system("test"),
        occurred_at: None,
    }
}

/// A projection that fails on every batch, to show it does not hold the others back.
struct Broken;

#[async_trait]
impl Projection for Broken {
    fn name(&self) -> &'static str {
        "broken"
    }
    fn tables(&self) -> &'static [Table] {
        &[]
    }
    async fn apply(&self, _: &mut PgConnection, _: &[TypedEvent]) -> anyhow::Result<()> {
        anyhow::bail!("this projection cannot apply anything")
    }
}

async fn wait_until(mut done: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the runners made progress");
}

#[tokio::test]
async fn each_projection_runs_on_one_node_and_a_failing_one_holds_nobody_back() {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let store: Arc<dyn EventStore> = Arc::new(PostgresEventStore::new(pool.clone()));
    let stream = StreamId::conversation("1122", "447700900001");
    store
        .append(
            stream.clone(),
            ExpectedVersion::NoStream,
            (0..5).map(message).collect(),
        )
        .await
        .unwrap();

    // Two "nodes", each running the inbox projection and a broken one.
    let node = |stop: &CancellationToken| {
        let projections: Vec<Arc<dyn Projection>> =
            vec![Arc::new(Broken), Arc::new(InboxProjection)];
        Runners::start(pool.clone(), store.clone(), projections, stop.clone())
    };
    let (stop_a, stop_b) = (CancellationToken::new(), CancellationToken::new());
    let (a, b) = (node(&stop_a), node(&stop_b));
    let inbox = [a.status("inbox").unwrap(), b.status("inbox").unwrap()];
    let broken = [a.status("broken").unwrap(), b.status("broken").unwrap()];

    wait_until(|| inbox.iter().any(|s| s.report().position >= 5)).await;
    wait_until(|| inbox.iter().any(|s| s.state() == RunnerState::Standby)).await;
    let states: Vec<RunnerState> = inbox.iter().map(|s| s.state()).collect();
    assert!(
        states.contains(&RunnerState::Live) && states.contains(&RunnerState::Standby),
        "{states:?}"
    );
    wait_until(|| broken.iter().any(|s| s.report().failures >= 2)).await;
    assert!(broken.iter().any(|s| !s.healthy()));
    assert!(inbox.iter().all(|s| s.healthy()));

    // Live: new events are applied without restarting anything.
    store
        .append(stream.clone(), ExpectedVersion::Exact(5), vec![message(5)])
        .await
        .unwrap();
    wait_until(|| inbox.iter().any(|s| s.report().position >= 6)).await;
    let count: i32 = sqlx::query_scalar("select message_count from inbox_conversations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 6);
    let checkpoint: i64 =
        sqlx::query_scalar("select position from projection_checkpoints where name = 'inbox'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(checkpoint, 6);
    let broken_checkpoint: i64 =
        sqlx::query_scalar("select position from projection_checkpoints where name = 'broken'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(broken_checkpoint, 0, "a failed batch moves nothing");

    // When the active node goes away, the standby takes over.
    let (active, standby, stop_active, stop_standby) = if inbox[0].state() == RunnerState::Live {
        (a, b, stop_a, stop_b)
    } else {
        (b, a, stop_b, stop_a)
    };
    stop_active.cancel();
    active.join().await;
    store
        .append(stream, ExpectedVersion::Exact(6), vec![message(6)])
        .await
        .unwrap();
    let survivor = standby.status("inbox").unwrap();
    wait_until(|| survivor.report().position >= 7).await;
    stop_standby.cancel();
    standby.join().await;
    pool.close().await;
}

/// Every projection of the build on one node, live: the feed's pages (and each event's typed form) are
/// shared by all runners, yet an event that does not decode is set aside by exactly the projections that
/// fold its kind, and every projection goes on past it.
#[tokio::test]
async fn an_undecodable_event_in_a_shared_page_is_set_aside_by_the_projections_that_fold_it_only() {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let store: Arc<dyn EventStore> = Arc::new(PostgresEventStore::new(pool.clone()));
    let stop = CancellationToken::new();
    let runners = Runners::start(
        pool.clone(),
        store.clone(),
        projections::projection::all(),
        stop.clone(),
    );
    wait_until(|| {
        runners
            .statuses
            .iter()
            .all(|s| s.state() == RunnerState::Live)
    })
    .await;

    // Appended while the runners follow the feed: a message, one that no version can decode, another.
    let mut poison = message(1);
    poison.payload = json!({"wamid": ["not", "a", "string"], "type": 42}).into();
    let outcome = store
        .append(
            StreamId::conversation("1122", "447700900001"),
            ExpectedVersion::NoStream,
            vec![message(0), poison, message(2)],
        )
        .await
        .unwrap();
    let head = outcome.appended.last().unwrap().global_position;
    wait_until(|| runners.statuses.iter().all(|s| s.report().position >= head)).await;

    let mut set_aside: Vec<String> = projections::runner::quarantined(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|q| {
            assert_eq!(q.global_position, head - 1);
            q.projection
        })
        .collect();
    set_aside.sort();
    // The views that fold customer messages; accounts reads only the stream's name, listings only watch
    // readings, rbac and workspace other streams.
    assert_eq!(set_aside, ["bot", "contacts", "inbox", "reports", "search"]);
    for status in &runners.statuses {
        let report = status.report();
        assert!(status.healthy(), "{report:?}");
        let expected = u64::from(set_aside.contains(&report.name.to_owned()));
        assert_eq!(report.quarantined, expected, "{report:?}");
    }
    let count: i32 = sqlx::query_scalar("select message_count from inbox_conversations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 2, "the messages on both sides of the poison");
    let documents: i64 = sqlx::query_scalar("select count(*) from search_documents")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(documents, 2);
    stop.cancel();
    runners.join().await;
    pool.close().await;
}
