use crate::helpers::*;
use serde_json::json;
use std::collections::BTreeSet;

#[tokio::test]
async fn the_verification_handshake_answers_the_challenge_only_for_the_right_token() {
    let app = TestApp::spawn().await;
    for path in ["/webhook/whatsapp", "/webhook"] {
        let ok = app
            .client
            .get(app.url(path))
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", VERIFY_TOKEN),
                ("hub.challenge", "1158201444"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert!(ok.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        assert_eq!(ok.text().await.unwrap(), "1158201444");

        for query in [
            vec![
                ("hub.mode", "subscribe"),
                ("hub.verify_token", "wrong"),
                ("hub.challenge", "1"),
            ],
            vec![
                ("hub.mode", "unsubscribe"),
                ("hub.verify_token", VERIFY_TOKEN),
                ("hub.challenge", "1"),
            ],
            vec![("hub.verify_token", VERIFY_TOKEN), ("hub.challenge", "1")],
        ] {
            let refused = app
                .client
                .get(app.url(path))
                .query(&query)
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), 403, "{query:?}");
        }
    }
}

#[tokio::test]
async fn a_missing_or_wrong_signature_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let body = messages_body(
        json!([]),
        json!([text("15550002222", "wamid.sig", "hello")]),
    );
    let missing = app.post_webhook(&body, None).await;
    assert_eq!(missing.status(), 401);
    let error: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(error["error"]["code"], "signature_missing");

    let wrong_key = inbox::http::signature::sign(b"another secret", &body);
    assert_eq!(app.post_webhook(&body, Some(wrong_key)).await.status(), 401);

    // Signed, then altered by one byte on the way.
    let signature = inbox::http::signature::sign(APP_SECRET.as_bytes(), &body);
    let mut altered = body.clone();
    let at = altered.iter().position(|&b| b == b'h').unwrap();
    altered[at] = b'j';
    assert_eq!(
        app.post_webhook(&altered, Some(signature)).await.status(),
        401
    );

    assert_eq!(
        app.post_webhook(&body, Some("sha256=nothex".into()))
            .await
            .status(),
        401
    );
    assert!(app.webhook_events().await.is_empty());
    assert_eq!(app.health().await["webhook"]["bodies_refused_signature"], 4);
}

#[tokio::test]
async fn non_ascii_text_escaped_the_way_meta_escapes_it_verifies_and_is_stored_decoded() {
    let app = TestApp::spawn().await;
    // Meta signs the escaped form: "J'ai mangé des pâtes" travels as \u00e9 and \u00e2.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"1122334455667"},"messages":[{"from":"15550002222","id":"wamid.accent","timestamp":"1700000000","type":"text","text":{"body":"J'ai mang\u00e9 des p\u00e2tes @ 10\u20ac"}}]}}]}]}"#;
    let response = app.post_signed(body).await;
    assert_eq!(response.status(), 200);
    let events = app.webhook_events().await;
    assert_eq!(events[0].3["content"]["body"], "J'ai mangé des pâtes @ 10€");
}

#[tokio::test]
async fn text_holding_a_nul_character_is_stored_with_a_replacement_character() {
    let app = TestApp::spawn().await;
    // Valid JSON that PostgreSQL's jsonb cannot hold as is; refusing it would make Meta redeliver it for a week.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"1122334455667"},"messages":[{"from":"15550002222","id":"wamid.nul","timestamp":"1700000000","type":"text","text":{"body":"before\u0000after"}}]}}]}]}"#;
    let response = app.post_signed(body).await;
    assert_eq!(response.status(), 200);
    let events = app.webhook_events().await;
    assert_eq!(events[0].3["content"]["body"], "before\u{FFFD}after");
    assert_eq!(app.post_signed(body).await.status(), 200);
    assert_eq!(app.webhook_events().await.len(), events.len());
}

#[tokio::test]
async fn oversized_and_non_json_bodies_get_precise_errors() {
    let app = TestApp::spawn().await;
    let mut big = messages_body(json!([]), json!([text("15550002222", "wamid.big", "x")]));
    big.extend(std::iter::repeat_n(b' ', 3 * 1024 * 1024));
    let response = app.post_signed(&big).await;
    assert_eq!(response.status(), 413);

    let response = app.post_signed(b"this is not json").await;
    assert_eq!(response.status(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "invalid_json");
    assert!(app.webhook_events().await.is_empty());
}

#[tokio::test]
async fn signed_json_of_an_unknown_shape_is_accepted_and_kept_raw() {
    let app = TestApp::spawn().await;
    let body = br#"{"object":"instagram","entry":[{"id":"9","messaging":[{"x":1}]}]}"#;
    assert_eq!(app.post_signed(body).await.status(), 200);
    let events = app.webhook_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "webhook-unrecognised");
    assert_eq!(
        events[0].3["value"],
        serde_json::from_slice::<serde_json::Value>(body).unwrap()
    );
}

#[tokio::test]
async fn one_body_with_several_conversations_records_each_in_its_own_stream() {
    let app = TestApp::spawn().await;
    let body = messages_body(
        json!([{"wa_id": "15550002222", "profile": {"name": "Ann"}}, {"wa_id": "15550003333", "profile": {"name": "Bob"}}]),
        json!([
            text("15550002222", "wamid.a1", "one"),
            text("15550003333", "wamid.b1", "two"),
            text("15550002222", "wamid.a2", "three")
        ]),
    );
    let response = app.post_signed(&body).await;
    assert_eq!(response.status(), 200);
    let events = app.webhook_events().await;
    let ann: Vec<_> = events
        .iter()
        .filter(|e| e.0 == "conversation-1122334455667-15550002222")
        .map(|e| (e.1, e.2.as_str()))
        .collect();
    let bob: Vec<_> = events
        .iter()
        .filter(|e| e.0 == "conversation-1122334455667-15550003333")
        .map(|e| (e.1, e.2.as_str()))
        .collect();
    assert_eq!(
        ann,
        [
            (1, "contact.profile_seen"),
            (2, "message.received"),
            (3, "message.received")
        ]
    );
    assert_eq!(bob, [(1, "contact.profile_seen"), (2, "message.received")]);
    let counters = &app.health().await["webhook"];
    assert_eq!(counters["messages_received"], 3);
    assert_eq!(counters["events_appended"], 5);
}

fn bodies() -> Vec<Vec<u8>> {
    vec![
        messages_body(
            json!([{"wa_id": "15550002222", "profile": {"name": "Ann"}}]),
            json!([text("15550002222", "wamid.r1", "first")]),
        ),
        messages_body(
            json!([]),
            json!([
                text("15550002222", "wamid.r2", "second"),
                text("15550004444", "wamid.r3", "other")
            ]),
        ),
        statuses_body(
            json!([{"id": "wamid.out1", "status": "read", "timestamp": "1700000100", "recipient_id": "15550002222"}]),
        ),
        statuses_body(
            json!([{"id": "wamid.out1", "status": "delivered", "timestamp": "1700000050", "recipient_id": "15550002222"}]),
        ),
        statuses_body(
            json!([{"id": "wamid.out1", "status": "sent", "timestamp": "1700000010", "recipient_id": "15550002222"}]),
        ),
    ]
}

/// The set of facts stored, without positions (which depend on arrival order).
async fn stored_facts(app: &TestApp) -> BTreeSet<(String, String, String)> {
    app.webhook_events()
        .await
        .into_iter()
        .map(|(s, _, t, p)| (s, t, p.to_string()))
        .collect()
}

#[tokio::test]
async fn redelivering_bodies_any_number_of_times_in_any_order_stores_what_one_delivery_did() {
    let once = TestApp::spawn().await;
    for body in bodies() {
        assert_eq!(once.post_signed(&body).await.status(), 200);
    }
    let expected = stored_facts(&once).await;
    let count = once.webhook_events().await.len();
    assert_eq!(expected.len(), count);

    let again = TestApp::spawn().await;
    let b = bodies();
    for i in [4, 2, 0, 3, 1, 0, 4, 4, 2, 1, 3, 0] {
        assert_eq!(again.post_signed(&b[i]).await.status(), 200);
    }
    assert_eq!(again.webhook_events().await.len(), count, "no duplicates");
    assert_eq!(stored_facts(&again).await, expected);
    assert!(
        again.health().await["webhook"]["facts_already_known"]
            .as_u64()
            .unwrap()
            > 0
    );

    // Concurrent redelivery of the same body: still once.
    let futures: Vec<_> = (0..8).map(|_| again.post_signed(&b[1])).collect();
    for r in futures::future::join_all(futures).await {
        assert_eq!(r.status(), 200);
    }
    assert_eq!(again.webhook_events().await.len(), count);
}

#[tokio::test]
async fn the_database_going_down_answers_503_and_the_server_recovers_by_itself() {
    let app = TestApp::spawn().await;
    let first = messages_body(
        json!([]),
        json!([text("15550002222", "wamid.d1", "before")]),
    );
    assert_eq!(app.post_signed(&first).await.status(), 200);

    app.db.take_offline().await;
    let during = messages_body(
        json!([]),
        json!([text("15550002222", "wamid.d2", "during")]),
    );
    let response = app.post_signed(&during).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(app.health().await["database"]["reachable"], false);

    app.db.bring_online().await;
    // Meta redelivers: now it is stored, exactly once.
    let mut status = 0;
    for _ in 0..50 {
        status = app.post_signed(&during).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(status, 200, "the server did not recover");
    let texts: Vec<_> = app
        .webhook_events()
        .await
        .into_iter()
        .map(|e| {
            e.3["content"]["body"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(texts, ["before", "during"]);
    assert_eq!(app.health().await["database"]["reachable"], true);
}

#[tokio::test]
async fn an_idle_conversation_actor_is_passivated_and_rebuilt_from_its_stream() {
    let app = TestApp::spawn_with(&[("INBOX_ACTOR_IDLE_SECS", "1")]).await;
    let body = messages_body(
        json!([{"wa_id": "15550002222", "profile": {"name": "Ann"}}]),
        json!([text("15550002222", "wamid.p1", "hi")]),
    );
    assert_eq!(app.post_signed(&body).await.status(), 200);

    let mut passivated = false;
    for _ in 0..100 {
        let health = app.health().await;
        if health["conversation_actors"]["live"] == 0
            && health["conversation_actors"]["passivated"] == 1
        {
            passivated = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(passivated, "the idle actor was not stopped");

    // A fresh actor rebuilds the conversation from its stream.
    let stream = actors::event::StreamId::conversation(PHONE_NUMBER_ID, "15550002222");
    let (conversation, version) = app
        .state
        .streams
        .conversations
        .inspect(stream)
        .await
        .unwrap();
    assert_eq!(version, 2);
    assert!(conversation.knows_message("wamid.p1"));
    assert_eq!(
        conversation.contact().and_then(|c| c.name.as_deref()),
        Some("Ann")
    );

    // The redelivered body is recognised; a new message continues the stream.
    assert_eq!(app.post_signed(&body).await.status(), 200);
    let next = messages_body(json!([]), json!([text("15550002222", "wamid.p2", "again")]));
    assert_eq!(app.post_signed(&next).await.status(), 200);
    let versions: Vec<_> = app.webhook_events().await.iter().map(|e| e.1).collect();
    assert_eq!(versions, [1, 2, 3]);
    assert_eq!(app.health().await["conversation_actors"]["spawned"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_acknowledged_before_a_stop_is_stored_and_readable_after_it() {
    let app = TestApp::spawn().await;
    let customer = "15550002222";
    // Bodies in flight while the server stops: each is either acknowledged (and then must be stored) or
    // refused or cut off (Meta retries those).
    let posts: Vec<_> = (0..100)
        .map(|i| {
            let body = messages_body(
                contact(customer, "Ann"),
                json!([text(
                    customer,
                    &format!("wamid.stop.{i}"),
                    &format!("bye {i}")
                )]),
            );
            let request = app
                .client
                .post(app.url("/webhook/whatsapp"))
                .header("content-type", "application/json")
                .header(
                    "x-hub-signature-256",
                    inbox::http::signature::sign(APP_SECRET.as_bytes(), &body),
                )
                .body(body);
            tokio::spawn(async move {
                let acknowledged = request.send().await.is_ok_and(|r| r.status() == 200);
                (format!("wamid.stop.{i}"), acknowledged)
            })
        })
        .collect();
    let first = messages_body(
        contact(customer, "Ann"),
        json!([text(customer, "wamid.stop.first", "first")]),
    );
    assert_eq!(app.post_signed(&first).await.status(), 200);
    let (state, db) = (app.state.clone(), app.db.clone());
    app.stop().await.expect("the app stops cleanly");
    let mut acknowledged = BTreeSet::from(["wamid.stop.first".to_owned()]);
    for post in posts {
        let (wamid, ok) = post.await.unwrap();
        if ok {
            acknowledged.insert(wamid);
        }
    }

    // The actors are gone: nothing answers for the conversation any more.
    let stream = actors::event::StreamId::conversation(PHONE_NUMBER_ID, customer);
    assert!(state.streams.conversations.inspect(stream).await.is_err());
    assert!(state.streams.conversations.live_count().await.is_err());

    // Every acknowledged message is in the store, once, and readable through the API after a restart.
    let app = TestApp::spawn_on(db, &[]).await;
    let stored: Vec<String> = app
        .webhook_events()
        .await
        .into_iter()
        .filter(|e| e.2 == "message.received")
        .map(|e| e.3["wamid"].as_str().unwrap_or_default().to_owned())
        .collect();
    let unique: BTreeSet<String> = stored.iter().cloned().collect();
    assert_eq!(unique.len(), stored.len(), "stored once each: {stored:?}");
    assert!(
        unique.is_superset(&acknowledged),
        "acknowledged but not stored: {:?}",
        acknowledged.difference(&unique).collect::<Vec<_>>()
    );
    app.settled().await;
    let page = app
        .get_ok(&format!(
            "/api/v1/conversations/{PHONE_NUMBER_ID}-{customer}/messages?limit=200"
        ))
        .await;
    let readable: BTreeSet<String> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(readable, unique);
}

#[tokio::test]
async fn past_the_live_actor_cap_the_least_recently_used_conversation_is_passivated() {
    let app = TestApp::spawn_with(&[("INBOX_MAX_LIVE_ACTORS", "2")]).await;
    let customers = ["15550003331", "15550003332", "15550003333"];
    let first = |c: &str| {
        messages_body(
            json!([{"wa_id": c, "profile": {"name": "Cap"}}]),
            json!([text(c, &format!("wamid.cap.{c}.1"), "hi")]),
        )
    };
    for c in customers {
        assert_eq!(app.post_signed(&first(c)).await.status(), 200);
    }
    let actors = &app.health().await["conversation_actors"];
    assert_eq!(actors["live"], 2, "{actors}");
    assert_eq!(actors["spawned"], 3);
    assert_eq!(actors["evicted"], 1);

    // The evicted (first) conversation comes back from its stream: the redelivery is recognised and a new
    // message continues its stream; the cap holds.
    assert_eq!(app.post_signed(&first(customers[0])).await.status(), 200);
    let next = messages_body(
        json!([]),
        json!([text(customers[0], "wamid.cap.again", "again")]),
    );
    assert_eq!(app.post_signed(&next).await.status(), 200);
    let stream = format!("conversation-{PHONE_NUMBER_ID}-{}", customers[0]);
    let versions: Vec<_> = app
        .webhook_events()
        .await
        .into_iter()
        .filter(|e| e.0 == stream)
        .map(|e| e.1)
        .collect();
    assert_eq!(versions, [1, 2, 3]);
    let actors = &app.health().await["conversation_actors"];
    assert_eq!(actors["live"], 2, "{actors}");
    assert_eq!(actors["evicted"], 2);
}
