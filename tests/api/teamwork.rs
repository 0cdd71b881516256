//! Team work on a conversation through the HTTP API, with the emulated Graph API: an agent assigned a
//! conversation finds it in "mine", labels and notes show in the conversation and its counts, a note
//! never reaches WhatsApp, resolving hides it from the open view until the customer writes again, and
//! bad requests are refused with their reason.

use crate::access::{call, create_user, sign_in};
use crate::sending::{sim_config, World};
use serde_json::{json, Value};

async fn ok(w: &World, method: &str, path: &str, token: &str, body: Value, status: u16) -> Value {
    let (got, text) = call(&w.app, method, path, Some(token), &body).await;
    assert_eq!(got, status, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn refused(w: &World, method: &str, path: &str, token: &str, body: Value) -> (u16, String) {
    let (status, text) = call(&w.app, method, path, Some(token), &body).await;
    let code = serde_json::from_str::<Value>(&text).unwrap_or(Value::Null)["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (status, code)
}

fn ids(page: &Value) -> Vec<String> {
    page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_assigned_labelled_and_noted_conversation_is_found_in_its_views_and_resolves() {
    let w = World::start(sim_config()).await;
    let (conversation, _) = w.customer_writes("Is the Daytona still available?").await;
    let ann = create_user(&w.app, "ann@example.com", json!([{"role": "agent"}])).await;
    let bob = create_user(&w.app, "bob@example.com", json!([{"role": "agent"}])).await;
    let nobody = create_user(&w.app, "nobody@example.com", json!([])).await;
    let ann_token = sign_in(&w.app, "ann@example.com").await;
    let bob_token = sign_in(&w.app, "bob@example.com").await;
    let admin = crate::helpers::API_TOKEN;
    let c = format!("/api/v1/conversations/{conversation}");

    // A new conversation is open and nobody's.
    let counts = ok(
        &w,
        "GET",
        "/api/v1/conversation-counts",
        &ann_token,
        Value::Null,
        200,
    )
    .await;
    assert_eq!(
        (&counts["open"], &counts["unassigned"], &counts["mine"]),
        (&json!(1), &json!(1), &json!(0))
    );

    // Ann assigns it to Bob: Bob finds it in "mine", Ann does not.
    let assigned = ok(
        &w,
        "PUT",
        &format!("{c}/assignee"),
        &ann_token,
        json!({"agent": bob}),
        200,
    )
    .await;
    assert_eq!(assigned["assignee"], json!(bob));
    let mine = "/api/v1/conversations?status=open&assignee=me";
    assert_eq!(
        ids(&ok(&w, "GET", mine, &bob_token, Value::Null, 200).await),
        [conversation.as_str()]
    );
    assert!(ids(&ok(&w, "GET", mine, &ann_token, Value::Null, 200).await).is_empty());
    let unassigned = "/api/v1/conversations?assignee=none";
    assert!(ids(&ok(&w, "GET", unassigned, &ann_token, Value::Null, 200).await).is_empty());
    let counts = ok(
        &w,
        "GET",
        "/api/v1/conversation-counts",
        &bob_token,
        Value::Null,
        200,
    )
    .await;
    assert_eq!(
        (&counts["mine"], &counts["unassigned"]),
        (&json!(1), &json!(0))
    );
    // Nobody may not read the number: assigning to them would show them the conversation.
    assert_eq!(
        refused(
            &w,
            "PUT",
            &format!("{c}/assignee"),
            &ann_token,
            json!({"agent": nobody})
        )
        .await,
        (422, "invalid_assignee".to_owned())
    );
    assert_eq!(
        refused(
            &w,
            "PUT",
            &format!("{c}/assignee"),
            &ann_token,
            json!({"team": "no-such-team"})
        )
        .await,
        (422, "unknown_team".to_owned())
    );

    // A label: applied, filtered by, counted, removed.
    let vip = ok(
        &w,
        "POST",
        "/api/v1/labels",
        admin,
        json!({"name": "VIP", "colour": "#aa3300"}),
        201,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let labelled = ok(
        &w,
        "PUT",
        &format!("{c}/labels/{vip}"),
        &bob_token,
        Value::Null,
        200,
    )
    .await;
    assert_eq!(labelled["labels"], json!([vip]));
    let by_label = format!("/api/v1/conversations?label={vip}");
    assert_eq!(
        ids(&ok(&w, "GET", &by_label, &bob_token, Value::Null, 200).await),
        [conversation.as_str()]
    );
    let counts = ok(
        &w,
        "GET",
        "/api/v1/conversation-counts",
        &bob_token,
        Value::Null,
        200,
    )
    .await;
    assert_eq!(counts["labels"], json!([{"id": vip, "count": 1}]));
    assert_eq!(
        refused(
            &w,
            "PUT",
            &format!("{c}/labels/not-a-label"),
            &bob_token,
            Value::Null
        )
        .await,
        (422, "unknown_label".to_owned())
    );

    // A private note: in the timeline, searchable, but not the conversation's last message, not
    // unread, and never sent.
    let note = ok(
        &w,
        "POST",
        &format!("{c}/notes"),
        &bob_token,
        json!({"text": "Collector, wants the box and papers. Ask Ann about the price.", "mentions": [ann]}),
        201,
    )
    .await;
    assert_eq!(
        (
            &note["direction"],
            &note["sender"],
            &note["content"]["mentions"]
        ),
        (&json!("note"), &json!(bob), &json!([ann]))
    );
    assert_eq!(
        refused(
            &w,
            "POST",
            &format!("{c}/notes"),
            &bob_token,
            json!({"text": "  "})
        )
        .await,
        (400, "invalid_note".to_owned())
    );
    assert_eq!(
        refused(
            &w,
            "POST",
            &format!("{c}/notes"),
            &bob_token,
            json!({"text": "hi", "mentions": [nobody]})
        )
        .await,
        (422, "invalid_mention".to_owned())
    );
    let shown = ok(&w, "GET", &c, &bob_token, Value::Null, 200).await;
    assert_eq!(
        shown["last_message"]["preview"],
        json!("Is the Daytona still available?")
    );
    let (status, _) = w
        .send(
            &conversation,
            json!({"content": {"kind": "text", "body": "It is, yes."}}),
        )
        .await;
    assert_eq!(status, 202);
    w.until(&conversation, "the reply is accepted by Meta", |m| {
        m.len() == 1 && m[0]["wamid"].is_string()
    })
    .await;
    let sent: Vec<String> = w.sent_to_meta().iter().map(|m| m.to_string()).collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("It is, yes."), "{sent:?}");
    w.app.settled().await;
    let found = ok(
        &w,
        "GET",
        "/api/v1/search?q=papers&mode=keyword&direction=note",
        &ann_token,
        Value::Null,
        200,
    )
    .await;
    assert_eq!(found["hits"][0]["message_id"], note["id"], "{found}");

    // Resolved: out of the open view until the customer writes again.
    let resolved = ok(
        &w,
        "PUT",
        &format!("{c}/status"),
        &bob_token,
        json!({"status": "resolved"}),
        200,
    )
    .await;
    assert_eq!(resolved["status"], json!("resolved"));
    assert!(ids(&ok(&w, "GET", mine, &bob_token, Value::Null, 200).await).is_empty());
    let counts = ok(
        &w,
        "GET",
        "/api/v1/conversation-counts",
        &bob_token,
        Value::Null,
        200,
    )
    .await;
    assert_eq!(
        (&counts["open"], &counts["resolved"]),
        (&json!(0), &json!(1))
    );
    w.customer_writes("One more question").await;
    let reopened = ok(&w, "GET", &c, &bob_token, Value::Null, 200).await;
    assert_eq!(
        (&reopened["status"], &reopened["assignee"]),
        (&json!("open"), &json!(bob))
    );

    // Snoozes: a time in the past, or a time without a snooze, is refused; until a time, it shows.
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let later = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
    assert_eq!(
        refused(
            &w,
            "PUT",
            &format!("{c}/status"),
            &bob_token,
            json!({"status": "snoozed", "snoozed_until": past})
        )
        .await,
        (400, "invalid_snooze".to_owned())
    );
    assert_eq!(
        refused(
            &w,
            "PUT",
            &format!("{c}/status"),
            &bob_token,
            json!({"status": "open", "snoozed_until": later})
        )
        .await,
        (400, "invalid_snooze".to_owned())
    );
    assert_eq!(
        refused(
            &w,
            "PUT",
            &format!("{c}/status"),
            &bob_token,
            json!({"status": "closed"})
        )
        .await
        .0,
        400
    );
    let snoozed = ok(
        &w,
        "PUT",
        &format!("{c}/status"),
        &bob_token,
        json!({"status": "snoozed", "snoozed_until": later}),
        200,
    )
    .await;
    assert_eq!(snoozed["status"], json!("snoozed"));
    assert!(snoozed["snoozed_until"].is_string());

    // Every change names who made it.
    let events = ok(&w, "GET", &format!("{c}/events"), admin, Value::Null, 200).await;
    let by_type = |t: &str| -> Vec<Value> {
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event_type"] == t)
            .map(|e| e["payload"]["by"].clone())
            .collect()
    };
    assert_eq!(by_type("conversation.assigned"), [json!(ann)]);
    assert_eq!(by_type("conversation.label_set"), [json!(bob)]);
    assert_eq!(by_type("note.added"), [json!(bob)]);
}
