use super::*;
use crate::conversation::message::MessageContent;
use serde_json::json;

fn body(changes: serde_json::Value) -> serde_json::Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "waba1", "changes": changes}]})
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
    let routed = route(&b);
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
        route(&b).conversations[0].0.as_str(),
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
    let routed = route(&b);
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
    let routed = route(&json!({"hello": "world"}));
    assert_eq!(routed.accounts[0].0.as_str(), UNRECOGNISED_STREAM);
    assert!(
        matches!(&routed.accounts[0].1[0], AccountFact::Change(c) if c.value == json!({"hello": "world"}))
    );
}

#[test]
fn business_account_changes_go_to_the_waba_stream() {
    let routed = route(&body(
        json!([{"field": "account_update", "value": {"event": "ACCOUNT_VIOLATION"}}]),
    ));
    assert_eq!(routed.accounts[0].0.as_str(), "waba-waba1");
}

/// Every body of the shared conformance corpus routes, and nothing in it is dropped: each message and
/// status becomes a conversation fact or an account fact, and every non-conversational change an account fact.
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
        let value: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let routed = route(&value);
        let facts: usize = routed
            .conversations
            .iter()
            .map(|(_, f)| f.len())
            .sum::<usize>()
            + routed.accounts.iter().map(|(_, f)| f.len()).sum::<usize>();
        assert!(facts > 0, "{} produced no fact", path.display());
        let mut items = 0;
        for e in value["entry"].as_array().unwrap() {
            for c in e["changes"].as_array().unwrap() {
                let v = &c["value"];
                let n = ["messages", "message_echoes", "statuses"]
                    .iter()
                    .map(|k| v[k].as_array().map_or(0, Vec::len))
                    .sum::<usize>();
                items += if matches!(c["field"].as_str(), Some("messages" | "smb_message_echoes")) {
                    n
                } else {
                    1
                };
            }
        }
        assert!(
            facts >= items,
            "{}: {facts} facts for {items} items",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 78, "only {checked} fixtures found");
}
