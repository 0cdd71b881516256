//! Property: for random valid histories, the inbox view maintained live (batch by batch, as events
//! arrive) equals the view a rebuild produces from the same events (stream by stream, bulk-loaded).

use actors::conversation::events::{ContactProfile, ConversationEvent, ReadMarked, SettingChanged};
use actors::conversation::message::{EchoedMessage, InboundMessage};
use actors::conversation::outbound::{
    AttemptFailed, MediaStored, MessageQueued, MessageSent, SendAttempted, SendFailed,
};
use actors::conversation::status::StatusReport;
use actors::event::{DomainEvent, EventMetadata, StreamId};
use actors::graph::messages::TextMessage;
use actors::graph::{CallError, OutboundContent, OutboundMessage};
use actors::media_store::StoredMedia;
use actors::store::{EventStore, ExpectedVersion, PostgresEventStore};
use actors::testing::TestDatabase;
use projections::inbox::view::{ConversationRow, MessageRow};
use projections::inbox::InboxProjection;
use projections::projection::Projection;
use projections::runner::Runners;
use proptest::prelude::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
}

fn outbound_id(i: usize) -> uuid::Uuid {
    uuid::Uuid::from_u128(0xb000 + i as u128)
}

fn inbound(raw: serde_json::Value) -> ConversationEvent {
    ConversationEvent::MessageReceived(InboundMessage::parse(&raw).unwrap())
}

fn event() -> impl Strategy<Value = (usize, ConversationEvent)> {
    let wamid = (0..6usize).prop_map(|i| format!("wamid.{i}"));
    let t = 0..1000i64;
    let kind = prop_oneof![
        (wamid.clone(), t.clone()).prop_map(|(w, a)| inbound(json!({"from": "447700900001", "id": w,
            "timestamp": (1_700_000_000 + a).to_string(), "type": "text", "text": {"body": format!("\"quoted\", {a}")}}))),
        (wamid.clone(), t.clone(), prop_oneof![Just(""), Just("👍")]).prop_map(|(w, a, e)| inbound(json!({
            "from": "447700900001", "id": format!("r{a}"), "timestamp": (1_700_000_000 + a).to_string(),
            "type": "reaction", "reaction": {"message_id": w, "emoji": e}}))),
        (wamid.clone(), t.clone()).prop_map(|(w, a)| inbound(json!({"from": "447700900001", "id": format!("e{a}"),
            "timestamp": (1_700_000_000 + a).to_string(), "type": "edit",
            "edit": {"original_message_id": w, "message": {"type": "text", "text": {"body": format!("edit {a}")}}}}))),
        (wamid.clone(), t.clone()).prop_map(|(w, a)| inbound(json!({"from": "447700900001", "id": format!("v{a}"),
            "timestamp": (1_700_000_000 + a).to_string(), "type": "revoke", "revoke": {"original_message_id": w}}))),
        (wamid.clone(), t.clone()).prop_map(|(w, a)| ConversationEvent::MessageEchoed(EchoedMessage::parse(&json!({
            "to": "447700900001", "id": w, "timestamp": (1_700_000_000 + a).to_string(), "type": "image",
            "image": {"id": "media-1", "mime_type": "image/jpeg", "caption": "a, b\nc"}})).unwrap())),
        (wamid, t.clone(), prop_oneof![Just("sent"), Just("delivered"), Just("read"), Just("failed")]).prop_map(|(w, a, s)| {
            ConversationEvent::MessageStatusChanged(StatusReport::parse(&json!({"id": w, "status": s,
                "timestamp": (1_700_000_000 + a).to_string(), "errors": [{"code": 131026, "title": "Undeliverable"}]})).unwrap())
        }),
        prop_oneof![Just("Alice"), Just("Bob")].prop_map(|n| ConversationEvent::ContactProfileSeen(ContactProfile {
            wa_id: Some("447700900001".into()), name: Some(n.into()), ..ContactProfile::default() })),
        t.clone().prop_map(|a| ConversationEvent::ReadMarked(ReadMarked { command_id: uuid::Uuid::new_v4(), at: at(a), through: None })),
        (any::<bool>(), t.clone()).prop_map(|(v, a)| ConversationEvent::FavouriteSet(SettingChanged { command_id: uuid::Uuid::new_v4(), at: at(a), value: v, reason: None })),
        (any::<bool>(), t.clone()).prop_map(|(v, a)| ConversationEvent::BotSet(SettingChanged { command_id: uuid::Uuid::new_v4(), at: at(a), value: v, reason: None })),
        // Messages sent through the inbox: the i-th gets wamid.{i + 4}, which statuses and reactions above name.
        (0..2usize, t.clone()).prop_map(|(i, a)| ConversationEvent::MessageQueued(MessageQueued {
            message_id: outbound_id(i), at: at(a),
            message: OutboundMessage { to: "447700900001".into(), group: false, reply_to: None, callback_data: None, template_text: None,
                content: OutboundContent::Text(TextMessage { body: format!("reply {i}"), preview_url: false }) }, by: None, away_for: None })),
        (0..2usize, t.clone()).prop_map(|(i, a)| ConversationEvent::SendAttempted(SendAttempted { message_id: outbound_id(i), attempt: 1, at: at(a) })),
        (0..2usize, t.clone()).prop_map(|(i, a)| ConversationEvent::AttemptFailed(AttemptFailed { message_id: outbound_id(i), attempt: 1,
            at: at(a), retry_at: at(a + 3), error: CallError::Timeout { seconds: 30 } })),
        (0..2usize, t.clone()).prop_map(|(i, a)| ConversationEvent::MessageSent(MessageSent { message_id: outbound_id(i), attempt: 1,
            at: at(a), wamid: format!("wamid.{}", i + 4), wa_id: None })),
        (0..2usize, t.clone()).prop_map(|(i, a)| ConversationEvent::SendFailed(SendFailed { message_id: outbound_id(i), attempt: 2,
            at: at(a), remedy: None, error: CallError::Refused { message: "no".into() } })),
        (0..6usize, t).prop_map(|(i, a)| ConversationEvent::MediaStored(MediaStored { wamid: format!("wamid.{i}"), media_id: "media-1".into(),
            at: at(a), file: StoredMedia { id: "ab".repeat(32), mime_type: "image/jpeg".into(), size: 3, filename: None } })),
    ];
    (0..3usize, kind)
}

/// Every row of the inbox's tables, in key order. Read as JSON into the row types (whose serde names are
/// the columns), so the test needs no compile-time query data of its own.
async fn snapshot(pool: &sqlx::PgPool) -> (Vec<ConversationRow>, Vec<MessageRow>) {
    async fn rows<T: serde::de::DeserializeOwned>(pool: &sqlx::PgPool, sql: &str) -> Vec<T> {
        let values: Vec<serde_json::Value> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
        values
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect()
    }
    (
        rows(
            pool,
            "select to_jsonb(t) from inbox_conversations t order by conversation_id",
        )
        .await,
        rows(
            pool,
            "select to_jsonb(t) from inbox_messages t order by conversation_id, message_id",
        )
        .await,
    )
}

async fn live_equals_rebuilt(history: Vec<(usize, ConversationEvent)>, batches: Vec<usize>) {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let store = Arc::new(PostgresEventStore::new(pool.clone()));
    let dyn_store: Arc<dyn EventStore> = store.clone();
    let stop = CancellationToken::new();
    let projections: Vec<Arc<dyn Projection>> = vec![Arc::new(InboxProjection)];
    let runners = Runners::start(pool.clone(), dyn_store.clone(), projections, stop.clone());

    // Append in batches of several conversations at once, as the ingest path does, while the runner runs.
    let metadata = EventMetadata::system("property test");
    let mut rest = &history[..];
    for size in batches.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (batch, tail) = rest.split_at((*size).min(rest.len()));
        rest = tail;
        for (c, e) in batch {
            let stream = StreamId::conversation("1122", &format!("44770090000{c}"));
            dyn_store
                .append(
                    stream,
                    ExpectedVersion::Any,
                    vec![e.to_new_event(&metadata)],
                )
                .await
                .unwrap();
        }
    }
    let head = projections::rebuild::last_position(&pool).await.unwrap();
    let status = runners.status("inbox").unwrap();
    tokio::time::timeout(Duration::from_secs(60), async {
        while status.report().position < head {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the live projection catches up");
    let live = snapshot(&pool).await;

    projections::rebuild::rebuild(&pool, store.clone(), &InboxProjection, |_| {})
        .await
        .unwrap();
    let rebuilt = snapshot(&pool).await;
    stop.cancel();
    runners.join().await;
    store.shutdown();
    pool.close().await;
    assert_eq!(rebuilt, live);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn a_rebuilt_inbox_equals_the_live_one(
        history in proptest::collection::vec(event(), 1..80),
        batches in proptest::collection::vec(1..12usize, 1..8),
    ) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(live_equals_rebuilt(history, batches));
    }
}
