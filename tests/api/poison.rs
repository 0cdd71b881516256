//! One event no reader can decode (written by a buggy or newer version, or altered by hand) must never stop
//! the read side or a customer's conversation: projections set it aside and go on, the stream's actor
//! still decides, a restart and a rebuild both get past it.

use crate::helpers::*;
use actors::event::{EventMetadata, NewEvent, StreamId};
use actors::store::ExpectedVersion;
use serde_json::json;

const CUSTOMER: &str = "447700900123";

fn undecodable(event_type: &str) -> NewEvent {
    NewEvent {
        id: uuid::Uuid::new_v4(),
        event_type: event_type.into(),
        schema_version: 1,
        payload: json!({"wamid": ["not", "a", "string"], "type": 42}).into(),
        metadata: EventMetadata::system("poison test"),
        occurred_at: None,
    }
}

async fn message_bodies(app: &TestApp) -> Vec<String> {
    let page = app
        .get_ok(&format!(
            "/api/v1/conversations/{PHONE_NUMBER_ID}-{CUSTOMER}/messages"
        ))
        .await;
    let mut bodies: Vec<String> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str().map(str::to_owned))
        .collect();
    bodies.sort();
    bodies
}

#[tokio::test]
async fn an_undecodable_event_is_set_aside_and_nothing_stops() {
    let app = TestApp::spawn().await;
    // Given a conversation with a message,
    let first = messages_body(
        contact(CUSTOMER, "Ann"),
        json!([text_at(CUSTOMER, "wamid.first", "first", 0)]),
    );
    assert_eq!(app.post_signed(&first).await.status(), 200);
    app.settled().await;
    // and an event in its stream, and one in the identity stream, that no version of the code can decode.
    let conversation = StreamId::conversation(PHONE_NUMBER_ID, CUSTOMER);
    let version = app.state.store.stream_version(&conversation).await.unwrap();
    app.state
        .store
        .append(
            conversation.clone(),
            ExpectedVersion::Exact(version),
            vec![undecodable("message.received")],
        )
        .await
        .unwrap();
    app.state
        .store
        .append(
            StreamId::new("identity"),
            ExpectedVersion::Any,
            vec![undecodable("identity.user_registered")],
        )
        .await
        .unwrap();

    // When the customer writes again,
    let second = messages_body(
        contact(CUSTOMER, "Ann"),
        json!([text_at(CUSTOMER, "wamid.second", "second", 60)]),
    );
    assert_eq!(app.post_signed(&second).await.status(), 200);

    // then every projection reaches the head, the message is readable, and the poison is set aside.
    app.settled().await;
    assert_eq!(message_bodies(&app).await, ["first", "second"]);
    let health = app.health().await;
    assert_eq!(health["status"], "ok", "{health}");
    for projection in health["projections"].as_array().unwrap() {
        let expected = match projection["name"].as_str().unwrap() {
            // The contacts, search, bot and reports views read conversation messages too; the
            // accounts view only their stream names, the listings view only watch readings.
            "inbox" | "contacts" | "search" | "bot" | "reports" | "rbac" => 1,
            _ => 0,
        };
        assert_eq!(projection["quarantined"], expected, "{projection}");
        assert_eq!(projection["state"], "live", "{projection}");
    }
    let pool = app.db.pool().await;
    let set_aside = projections::runner::quarantined(&pool).await.unwrap();
    let listed: Vec<(&str, &str)> = set_aside
        .iter()
        .map(|q| (q.projection.as_str(), q.stream_id.as_str()))
        .collect();
    assert!(
        listed.contains(&("inbox", conversation.as_str())),
        "{listed:?}"
    );
    assert!(
        listed.contains(&("contacts", conversation.as_str())),
        "{listed:?}"
    );
    assert!(
        listed.contains(&("search", conversation.as_str())),
        "{listed:?}"
    );
    assert!(
        listed.contains(&("reports", conversation.as_str())),
        "{listed:?}"
    );
    assert!(listed.contains(&("rbac", "identity")), "{listed:?}");
    assert!(set_aside.iter().all(|q| q.error.contains("cannot decode")));

    // And users can still be created: the identity stream's actor decides past the poison.
    let (status, body) = {
        let response = app
            .client
            .post(app.url("/api/v1/users"))
            .bearer_auth(API_TOKEN)
            .json(&json!({"email": "bea@example.com", "password": "a long enough password", "name": "Bea"}))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    assert_eq!(status, 201, "{body}");

    // After a restart the conversation's actor loads its stream and takes new messages,
    let app = app.restart_with(&[]).await;
    let third = messages_body(
        contact(CUSTOMER, "Ann"),
        json!([text_at(CUSTOMER, "wamid.third", "third", 120)]),
    );
    assert_eq!(app.post_signed(&third).await.status(), 200);
    app.settled().await;
    assert_eq!(message_bodies(&app).await, ["first", "second", "third"]);

    // and a rebuild of every projection gets past the poison too, listing it once per projection.
    inbox::audit::rebuild(&pool, &[], true).await.unwrap();
    let after_rebuild = projections::runner::quarantined(&pool).await.unwrap();
    assert_eq!(after_rebuild.len(), 6, "{after_rebuild:?}");
    assert_eq!(message_bodies(&app).await, ["first", "second", "third"]);
    pool.close().await;
}
