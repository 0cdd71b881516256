use super::*;
use crate::conversation::message::MessageContent;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The numbers registered in these tests.
const REGISTERED: &[&str] = &["777"];

fn body(changes: serde_json::Value) -> serde_json::Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "9001", "changes": changes}]})
}

fn messages_change(value: serde_json::Value) -> serde_json::Value {
    let mut v = json!({"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550000", "phone_number_id": "777"}});
    v.as_object_mut()
        .unwrap()
        .extend(value.as_object().unwrap().clone());
    json!([{"field": "messages", "value": v}])
}

#[test]
fn messages_for_several_customers_go_to_their_own_conversations_in_order() {
    let b = body(messages_change(json!({
        "contacts": [{"wa_id": "111", "profile": {"name": "A"}}, {"wa_id": "222", "profile": {"name": "B"}}],
        "messages": [
            {"from": "111", "id": "w1", "timestamp": "1", "type": "text", "text": {"body": "one"}},
            {"from": "222", "id": "w2", "timestamp": "2", "type": "text", "text": {"body": "two"}},
            {"from": "111", "id": "w3", "timestamp": "3", "type": "reaction", "reaction": {"message_id": "w1", "emoji": "👍"}}
        ]
    })));
    let routed = route(&b, REGISTERED);
    assert_eq!(routed.messages, 3);
    let streams: Vec<_> = routed
        .conversations
        .iter()
        .map(|(s, f)| (s.as_str().to_owned(), f.len()))
        .collect();
    assert_eq!(
        streams,
        [
            ("conversation-777-111".to_owned(), 3),
            ("conversation-777-222".to_owned(), 2)
        ]
    );
    let (_, facts) = &routed.conversations[0];
    assert!(
        matches!(&facts[2], ConversationFact::Message(m) if matches!(&m.content, MessageContent::Reaction { message_id, emoji } if message_id == "w1" && emoji.as_deref() == Some("👍")))
    );
}

#[test]
fn a_message_with_only_a_business_scoped_user_id_is_routed_by_it() {
    let b = body(messages_change(json!({
        "messages": [{"from_user_id": "US.42", "id": "w1", "timestamp": "1", "type": "text", "text": {"body": "hi"}}]
    })));
    assert_eq!(
        route(&b, REGISTERED).conversations[0].0.as_str(),
        "conversation-777-US.42"
    );
}

#[test]
fn what_cannot_be_routed_is_kept_on_the_account_stream() {
    let b = body(messages_change(json!({
        "messages": [{"id": "w1", "type": "text", "text": {"body": "no sender"}}],
        "statuses": [{"status": "sent"}],
        "errors": [{"code": 131000, "title": "Something went wrong"}]
    })));
    let routed = route(&b, REGISTERED);
    assert!(routed.conversations.is_empty());
    let (stream, facts) = &routed.accounts[0];
    assert_eq!(stream.as_str(), "account-777");
    let fields: Vec<_> = facts
        .iter()
        .map(|f| match f {
            AccountFact::Change(c) => c.field.clone(),
            _ => String::new(),
        })
        .collect();
    assert_eq!(
        fields,
        ["unroutable_message", "unroutable_status", "messages"]
    );
}

#[test]
fn an_unknown_body_shape_is_kept_whole() {
    let routed = route(&json!({"hello": "world"}), REGISTERED);
    assert_eq!(routed.accounts[0].0.as_str(), UNRECOGNISED_STREAM);
    assert!(
        matches!(&routed.accounts[0].1[0], AccountFact::Change(c) if c.value == json!({"hello": "world"}))
    );
}

#[test]
fn business_account_changes_go_to_the_waba_stream() {
    let routed = route(
        &body(json!([{"field": "account_update", "value": {"event": "ACCOUNT_VIOLATION"}}])),
        REGISTERED,
    );
    assert_eq!(routed.accounts[0].0.as_str(), "waba-9001");
}

/// Whether `needle` is `haystack` or inside it.
fn contains(haystack: &Value, needle: &Value) -> bool {
    haystack == needle
        || match haystack {
            Value::Array(items) => items.iter().any(|v| contains(v, needle)),
            Value::Object(map) => map.values().any(|v| contains(v, needle)),
            _ => false,
        }
}

/// Every stored payload's JSON: conversation facts by their raw form, account changes by their value.
fn kept(routed: &RoutedBody) -> Vec<Value> {
    let conversations = routed
        .conversations
        .iter()
        .flat_map(|(_, f)| f.iter().map(raw_conversation_fact));
    let accounts = routed.accounts.iter().flat_map(|(_, facts)| {
        facts.iter().map(|f| match f {
            AccountFact::Change(c) => c.value.clone(),
            _ => Value::Null,
        })
    });
    conversations.chain(accounts).collect()
}

/// Every body of the shared conformance corpus routes (its numbers registered), and nothing in it is
/// dropped: each message, status and change is a fact of its own or inside a change kept whole.
#[test]
fn every_shared_fixture_routes_without_loss() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/meta-webhooks");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("{} not present; the corpus run is skipped", dir.display());
        return;
    };
    let mut checked = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let value: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let changes: Vec<&Value> = value["entry"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e["changes"].as_array().unwrap())
            .collect();
        let registered: BTreeSet<String> = changes
            .iter()
            .filter_map(|c| phone_number_id(&c["value"]).decimal().map(str::to_owned))
            .collect();
        let routed = route(&value, &registered);
        let stored = kept(&routed);
        let recorded = |item: &Value| stored.iter().any(|s| contains(s, item));
        for c in changes {
            let v = &c["value"];
            if matches!(c["field"].as_str(), Some("messages" | "smb_message_echoes")) {
                for item in ["messages", "message_echoes", "statuses"]
                    .iter()
                    .flat_map(|k| v[k].as_array().into_iter().flatten())
                {
                    assert!(recorded(item), "{}: {item} dropped", path.display());
                }
            } else {
                assert!(recorded(v), "{}: {} dropped", path.display(), c["field"]);
            }
        }
        checked += 1;
    }
    assert!(checked >= 78, "only {checked} fixtures found");
}

fn streams(routed: &RoutedBody) -> Vec<String> {
    routed
        .conversations
        .iter()
        .map(|(s, _)| s.as_str().to_owned())
        .chain(routed.accounts.iter().map(|(s, _)| s.as_str().to_owned()))
        .collect()
}

fn fields(facts: &[AccountFact]) -> Vec<&str> {
    facts
        .iter()
        .map(|f| match f {
            AccountFact::Change(c) => c.field.as_str(),
            _ => "",
        })
        .collect()
}

fn text_change(phone_number_id: Value) -> Value {
    json!([{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000", "phone_number_id": phone_number_id},
        "messages": [{"from": "111", "id": "w1", "timestamp": "1", "type": "text", "text": {"body": "hi"}}]
    }}])
}

#[test]
fn only_a_non_empty_string_of_digits_is_a_decimal_id() {
    let id = |v: Value| {
        let value = json!({"metadata": {"phone_number_id": v}});
        phone_number_id(&value).decimal().map(str::to_owned)
    };
    assert_eq!(id(json!("777")), Some("777".to_owned()));
    for shape in [
        json!(777),
        json!(777.0),
        json!(7.77e2),
        json!(-777),
        json!(" 777"),
        json!("777 "),
        json!("+777"),
        json!("-777"),
        json!("7e2"),
        json!(""),
        json!("７７７"),
        json!(null),
        json!(["777"]),
        json!({"id": "777"}),
    ] {
        assert_eq!(id(shape.clone()), None, "{shape}");
    }
    assert_eq!(phone_number_id(&json!({})), Id::Absent);
    assert_eq!(phone_number_id(&json!({"metadata": 1})), Id::Absent);
    assert_eq!(
        business_account_id(&json!({"id": "9"})).decimal(),
        Some("9")
    );
    assert_eq!(
        business_account_id(&json!({"id": 9})),
        Id::Malformed(&json!(9))
    );
}

#[test]
fn a_malformed_id_reads_as_every_number_it_could_be_taken_for() {
    let readings = |v: Value| Id::Malformed(&v).readings();
    assert!(readings(json!(1122334455667_u64)).contains("1122334455667"));
    assert!(readings(json!(1.122334455667e12)).contains("1122334455667"));
    assert!(readings(json!(" 1122334455667")).contains("1122334455667"));
    assert!(readings(json!(" 1122334455667")).contains(" 1122334455667"));
    assert_eq!(Id::Absent.readings().len(), 0);
    assert_eq!(
        Id::Decimal("5").readings().into_iter().collect::<Vec<_>>(),
        ["5"]
    );
}

/// D2: however a registered number is spelt, only the decimal string routes into its conversations;
/// any other form keeps the change raw on the business account's stream.
#[test]
fn a_number_id_in_any_form_but_a_decimal_string_is_kept_raw_under_no_account() {
    let registered: &[&str] = &["777", "7"];
    for shape in [
        json!(777),
        json!(777.0),
        json!(7.77e2),
        json!(" 777"),
        json!("-777"),
        json!(-777),
        json!(""),
        json!(null),
    ] {
        let routed = route(&body(text_change(shape.clone())), registered);
        assert!(routed.conversations.is_empty(), "{shape}");
        assert_eq!(streams(&routed), ["waba-9001"], "{shape}");
        assert_eq!(fields(&routed.accounts[0].1), ["messages"], "{shape}");
    }
    let routed = route(&body(text_change(json!("777"))), registered);
    assert_eq!(streams(&routed), ["conversation-777-111"]);
}

/// D13: a number not registered here gets no conversation and no account stream.
#[test]
fn a_change_for_an_unregistered_number_is_kept_raw_on_its_business_account() {
    let routed = route(&body(text_change(json!("888"))), REGISTERED);
    assert_eq!(streams(&routed), ["waba-9001"]);
    assert!(
        matches!(&routed.accounts[0].1[0], AccountFact::Change(c) if c.value["metadata"]["phone_number_id"] == "888")
    );

    let quality =
        json!([{"field": "calls", "value": {"metadata": {"phone_number_id": "888"}, "calls": []}}]);
    assert_eq!(
        streams(&route(&body(quality.clone()), REGISTERED)),
        ["waba-9001"]
    );
    assert_eq!(
        streams(&route(&body(quality), &["888"][..])),
        ["account-888"]
    );

    let no_business = json!({"object": "whatsapp_business_account", "entry": [{"changes": text_change(json!("888"))}]});
    assert_eq!(
        streams(&route(&no_business, REGISTERED)),
        [UNRECOGNISED_STREAM]
    );
}

#[test]
fn an_entry_whose_id_is_not_a_decimal_string_is_kept_whole_on_the_unrecognised_stream() {
    for id in [json!(12345), json!("waba1"), json!(" 1"), json!("")] {
        let b = json!({"object": "whatsapp_business_account", "entry": [{"id": id, "changes": text_change(json!("777"))}]});
        let routed = route(&b, REGISTERED);
        assert_eq!(streams(&routed), [UNRECOGNISED_STREAM], "{id}");
        assert!(
            matches!(&routed.accounts[0].1[0], AccountFact::Change(c) if c.field == "unrecognised_entry" && c.value == b["entry"][0])
        );
    }
}

/// D12: a routed key that is not an array keeps the whole change; the arrays beside it still route.
#[test]
fn a_routed_key_that_is_not_an_array_keeps_the_change_raw() {
    for (key, odd) in [
        ("messages", json!({"id": "w9"})),
        ("statuses", json!("read")),
        ("contacts", json!(5)),
        ("message_echoes", json!(null)),
    ] {
        let mut value = json!({"metadata": {"phone_number_id": "777"},
            "statuses": [{"id": "out1", "status": "read", "recipient_id": "111"}]});
        value[key] = odd.clone();
        let b = body(json!([{"field": "messages", "value": value}]));
        let routed = route(&b, REGISTERED);
        let (stream, facts) = &routed.accounts[0];
        assert_eq!(stream.as_str(), "account-777", "{key}");
        assert!(
            matches!(&facts[..], [AccountFact::Change(c)] if c.field == "messages" && c.value[key] == odd),
            "{key}"
        );
        let statuses_routed = key != "statuses";
        assert_eq!(!routed.conversations.is_empty(), statuses_routed, "{key}");
    }
}

#[test]
fn changes_and_entries_not_of_meta_s_shape_are_kept_whole() {
    let b = json!({"object": "whatsapp_business_account", "extra": 1, "entry": [
        {"id": "9001", "changes": [1, {"field": "messages"}, {"field": "x", "value": {}, "odd": true}]},
        {"id": "9001", "time": "later", "changes": []},
        "not an entry"
    ]});
    let routed = route(&b, REGISTERED);
    let all: Vec<(String, &str)> = routed
        .accounts
        .iter()
        .flat_map(|(s, f)| fields(f).into_iter().map(|f| (s.as_str().to_owned(), f)))
        .collect();
    let expected = [
        (UNRECOGNISED_STREAM, "unrecognised_body"),
        (UNRECOGNISED_STREAM, "unrecognised_entry"),
        ("waba-9001", "unrecognised_change"),
        ("waba-9001", "unrecognised_change"),
        ("waba-9001", "unrecognised_change"),
        ("waba-9001", "x"),
        ("waba-9001", "unrecognised_entry"),
    ];
    let mut all_sorted = all.clone();
    all_sorted.sort();
    let mut expected: Vec<(String, &str)> =
        expected.iter().map(|(s, f)| (s.to_string(), *f)).collect();
    expected.sort();
    assert_eq!(all_sorted, expected);
}

/// D8: a time PostgreSQL cannot hold is not read; the raw message keeps it.
#[test]
fn times_outside_years_1_to_9999_are_not_read_and_the_raw_keeps_them() {
    for ts in [
        json!("-8000000000000"),
        json!(-8000000000000_i64),
        json!("8000000000000"),
        json!(i64::MAX),
        json!(i64::MIN),
        json!("-62135596801"),
        json!("253402300800"),
        json!(1.5),
        json!("soon"),
    ] {
        let b = body(messages_change(json!({
            "messages": [{"from": "111", "id": "w1", "timestamp": ts, "type": "text", "text": {"body": "x"}}]
        })));
        let routed = route(&b, REGISTERED);
        let ConversationFact::Message(m) = &routed.conversations[0].1[0] else {
            panic!("not a message")
        };
        assert_eq!(m.timestamp, None, "{ts}");
        assert_eq!(m.raw.to_value()["timestamp"], ts);
    }
    let edge = |ts: &str| {
        let b = body(messages_change(json!({
            "messages": [{"from": "111", "id": "w1", "timestamp": ts, "type": "text", "text": {"body": "x"}}]
        })));
        match &route(&b, REGISTERED).conversations[0].1[0] {
            ConversationFact::Message(m) => m.timestamp.map(|t| t.to_rfc3339()),
            _ => None,
        }
    };
    assert_eq!(
        edge("-62135596800").as_deref(),
        Some("0001-01-01T00:00:00+00:00")
    );
    assert_eq!(
        edge("253402300799").as_deref(),
        Some("9999-12-31T23:59:59+00:00")
    );

    let bad_time = json!({"object": "whatsapp_business_account", "entry": [{"id": "9001", "time": -8000000000000_i64,
        "changes": [{"field": "account_update", "value": {"event": "X"}}]}]});
    let routed = route(&bad_time, REGISTERED);
    assert_eq!(
        fields(&routed.accounts[0].1),
        ["unrecognised_entry", "account_update"]
    );
}

#[test]
fn facts_the_store_refuses_are_kept_raw_on_the_number_s_account_stream() {
    let b = body(messages_change(json!({
        "contacts": [{"wa_id": "111", "profile": {"name": "A"}}],
        "messages": [{"from": "111", "id": "w1", "timestamp": "1", "type": "text", "text": {"body": "x"}}]
    })));
    let routed = route(&b, REGISTERED);
    let stream = StreamId::new("conversation-777-111");
    let (home, fact) = routed.kept_raw(&stream, "out of range");
    assert_eq!(home.as_str(), "account-777");
    let AccountFact::Change(change) = fact else {
        panic!("not a change")
    };
    assert_eq!(change.field, "refused_by_store");
    assert_eq!(change.time, None);
    assert_eq!(change.value["stream"], "conversation-777-111");
    assert_eq!(change.value["reason"], "out of range");
    assert_eq!(change.value["facts"][0]["wa_id"], "111");
    assert_eq!(change.value["facts"][1]["id"], "w1");

    let (home, _) = routed.kept_raw(&StreamId::account("777"), "r");
    assert_eq!(home.as_str(), "account-777");
    let (home, note) = refusal_note(&stream, "r");
    assert_eq!(home.as_str(), UNRECOGNISED_STREAM);
    assert!(
        matches!(note, AccountFact::Change(c) if c.value == json!({"stream": "conversation-777-111", "reason": "r"}))
    );
}
