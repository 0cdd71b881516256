//! Whatever the store accepts, it reads back: random and hostile payloads (deep nesting around the cap,
//! odd strings and keys, extreme numbers) through the real append and read paths of PostgreSQL.

use actors::event::{EventMetadata, NewEvent, StreamId};
use actors::json::{depth, MAX_STORED_DEPTH};
use actors::store::{AppendError, EventStore, ExpectedVersion, PostgresEventStore};
use actors::testing::TestDatabase;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::String),
        prop_oneof![
            Just("\u{0}"),
            Just("a\u{0}b"),
            Just("\u{FFFF}\u{10FFFF}"),
            Just("\\u0000"),
            Just("\"]}]}"),
            Just("'; drop table events; --"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

/// Random trees (bushy, shallow) or one leaf under a chain of arrays and objects as deep as the cap and
/// past it.
fn payload() -> impl Strategy<Value = Value> {
    let tree = leaf().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    });
    let chain = (
        leaf(),
        prop::collection::vec(any::<bool>(), 0..=MAX_STORED_DEPTH + 40),
    )
        .prop_map(|(leaf, levels)| {
            levels
                .into_iter()
                .fold(leaf, |inner, as_array| match as_array {
                    true => json!([inner]),
                    false => json!({ "k": inner }),
                })
        });
    prop_oneof![tree, chain]
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// The same JSON, number for number. PostgreSQL keeps a jsonb number as a decimal, so a float with an
/// integral value (`2.2217351935353275e18`) reads back written as an integer (`2221735193535327500`): the
/// same number, which decodes to the same `f64` (and to an integer type, where a float would not); and a
/// decimal has no negative zero (`-0.0` reads back `0`, which `f64` compares equal). Any other
/// difference, one unit in the last place included, is a change.
fn same(read: &Value, written: &Value) -> bool {
    match (read, written) {
        (Value::Number(r), Value::Number(w)) => match (r.is_f64(), w.is_f64()) {
            (false, false) => r == w,
            _ => r.as_f64() == w.as_f64(),
        },
        (Value::Array(r), Value::Array(w)) => {
            r.len() == w.len() && r.iter().zip(w).all(|(r, w)| same(r, w))
        }
        (Value::Object(r), Value::Object(w)) => {
            r.len() == w.len() && r.iter().all(|(k, v)| w.get(k).is_some_and(|w| same(v, w)))
        }
        (r, w) => r == w,
    }
}

#[test]
fn every_accepted_payload_reads_back_unchanged_and_the_rest_is_refused_as_invalid() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (db, store) = runtime.block_on(async {
        let db = TestDatabase::create().await;
        let store = PostgresEventStore::new(db.pool().await);
        (db, store)
    });
    let config = ProptestConfig {
        cases: 96,
        ..ProptestConfig::default()
    };
    proptest!(config, |(payload in payload())| {
        let stream = StreamId::new(format!("test-{}", uuid::Uuid::new_v4().simple()));
        let event = NewEvent {
            id: uuid::Uuid::new_v4(),
            event_type: "test.happened".into(),
            schema_version: 1,
            payload: payload.clone().into(),
            metadata: EventMetadata::system("property test"),
            occurred_at: None,
        };
        let appended = runtime.block_on(store.append(stream.clone(), ExpectedVersion::NoStream, vec![event]));
        if depth(&payload) > MAX_STORED_DEPTH || holds_nul(&payload) {
            prop_assert!(matches!(appended, Err(AppendError::Invalid { .. })), "{appended:?}");
            prop_assert_eq!(runtime.block_on(store.stream_version(&stream)).unwrap(), 0);
        } else {
            let position = appended.unwrap().appended[0].global_position;
            let read = runtime.block_on(store.read_stream(&stream, 0, 1)).unwrap();
            prop_assert!(same(&read[0].payload, &payload), "{} read back as {}", payload, read[0].payload);
            let all = runtime.block_on(store.read_all(position - 1, 1)).unwrap();
            prop_assert!(same(&all[0].payload, &payload), "{} read back as {}", payload, all[0].payload);
        }
    });
    drop(store);
    drop(db);
}
