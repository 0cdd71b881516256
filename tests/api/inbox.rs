//! The inbox API: conversations, messages, commands, contacts and accounts, as an agent's browser uses them.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

const ALICE: &str = "447700900001";
const BOB: &str = "447700900002";

fn conversation_id(wa_id: &str) -> String {
    format!("{PHONE_NUMBER_ID}-{wa_id}")
}

#[tokio::test]
async fn the_api_refuses_calls_without_the_token_in_one_error_shape() {
    let app = TestApp::spawn().await;
    for (token, why, code) in [
        (None, "no token", "unauthorized"),
        (Some("wrong-token-0123456789"), "bad token", "invalid_token"),
    ] {
        let mut request = app.client.get(app.url("/api/v1/conversations"));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{why}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{why}: {body}");
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn without_an_operator_token_only_users_get_in() {
    let app = TestApp::spawn_with(&[("INBOX_API_TOKEN", "")]).await;
    let (status, body) = app.api(Method::GET, "/api/v1/conversations").await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (401, Some("invalid_token"))
    );
    let setup = json!({"email": "owner@example.com", "password": crate::access::PASSWORD});
    let (status, body) =
        crate::access::call(&app, "POST", "/api/v1/auth/setup", None, &setup).await;
    assert_eq!(status, 201, "{body}");
    let session: Value = serde_json::from_str(&body).unwrap();
    let (status, _) = crate::access::call(
        &app,
        "GET",
        "/api/v1/conversations",
        session["token"].as_str(),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_requests_get_precise_errors() {
    let app = TestApp::spawn().await;
    let cases = [
        ("/api/v1/conversations?limit=0", 400, "invalid_limit"),
        ("/api/v1/conversations?limit=abc", 400, "invalid_request"),
        (
            "/api/v1/conversations?cursor=not-a-cursor",
            400,
            "invalid_cursor",
        ),
        (
            "/api/v1/conversations?unread=perhaps",
            400,
            "invalid_request",
        ),
        ("/api/v1/conversations/1-2", 404, "not_found"),
        ("/api/v1/conversations/1-2/messages", 404, "not_found"),
        ("/api/v1/conversations/1-2/events", 404, "not_found"),
        ("/api/v1/contacts/nobody", 404, "not_found"),
        ("/api/v1/accounts/999", 404, "not_found"),
        ("/api/v1/no-such-thing", 404, "not_found"),
        (
            "/api/v1/conversations/1-2/events?as_of=yesterday",
            400,
            "invalid_request",
        ),
    ];
    for (path, status, code) in cases {
        let (got, body) = app.api(Method::GET, path).await;
        assert_eq!(got.as_u16(), status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
    }
}

#[tokio::test]
async fn a_new_message_shows_as_an_unread_conversation_with_its_contact_and_preview() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let message = json!({"from": ALICE, "id": "wamid.A1", "timestamp": now.to_string(), "type": "text",
                         "text": {"body": "Is the Submariner 126610LN still available?"}});
    assert_eq!(
        app.post_signed(&messages_body(contact(ALICE, "Alice"), json!([message])))
            .await
            .status(),
        200
    );
    app.settled().await;

    let page = app.get_ok("/api/v1/conversations").await;
    let conversations = page["conversations"].as_array().unwrap();
    assert_eq!(conversations.len(), 1, "{page}");
    let c = &conversations[0];
    assert_eq!(c["id"], conversation_id(ALICE));
    assert_eq!(c["account_id"], PHONE_NUMBER_ID);
    assert_eq!(c["contact"]["name"], "Alice");
    assert_eq!(c["contact"]["wa_id"], ALICE);
    assert_eq!(c["unread_count"], 1);
    assert_eq!(c["reply_window_open"], true);
    assert_eq!(
        c["last_message"]["preview"],
        "Is the Submariner 126610LN still available?"
    );
    assert_eq!(c["last_message"]["direction"], "inbound");
    assert_eq!(c["bot_enabled"], true);
    assert!(page["next_cursor"].is_null());

    let one = app
        .get_ok(&format!("/api/v1/conversations/{}", conversation_id(ALICE)))
        .await;
    assert_eq!(one["id"], c["id"]);

    let accounts = app.get_ok("/api/v1/accounts").await;
    assert_eq!(accounts[0]["id"], PHONE_NUMBER_ID, "{accounts}");
    assert_eq!(accounts[0]["configured"], true);
    let contacts = app.get_ok("/api/v1/contacts?q=ali").await;
    assert_eq!(contacts["contacts"][0]["contact_id"], ALICE, "{contacts}");
    let detail = app.get_ok(&format!("/api/v1/contacts/{ALICE}")).await;
    assert_eq!(detail["contact"]["name"], "Alice");
    assert_eq!(detail["conversations"][0]["id"], conversation_id(ALICE));
}

#[tokio::test]
async fn an_old_last_message_closes_the_reply_window() {
    let app = TestApp::spawn().await;
    app.post_signed(&messages_body(
        contact(ALICE, "Alice"),
        json!([text(ALICE, "wamid.old", "hi")]),
    ))
    .await;
    app.settled().await;
    let c = app
        .get_ok(&format!("/api/v1/conversations/{}", conversation_id(ALICE)))
        .await;
    assert_eq!(c["reply_window_open"], false, "{c}");
    assert_eq!(c["reply_window_closes_at"], "2023-11-15T22:13:20+00:00");
}

#[tokio::test]
async fn commands_are_recorded_as_events_and_show_in_the_view() {
    let app = TestApp::spawn().await;
    app.post_signed(&messages_body(
        contact(ALICE, "Alice"),
        json!([
            text(ALICE, "wamid.1", "one"),
            text_at(ALICE, "wamid.2", "two", 5)
        ]),
    ))
    .await;
    app.settled().await;
    let base = format!("/api/v1/conversations/{}", conversation_id(ALICE));
    assert_eq!(app.get_ok(&base).await["unread_count"], 2);

    let (status, c) = app.api(Method::POST, &format!("{base}/read")).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["unread_count"], 0);
    assert!(c["read_at"].is_string());
    let (_, c) = app.api(Method::PUT, &format!("{base}/favourite")).await;
    assert_eq!(c["favourite"], true);
    let (_, c) = app.api(Method::PUT, &format!("{base}/archive")).await;
    assert_eq!(c["archived"], true);
    let c: Value = app
        .client
        .put(app.url(&format!("{base}/bot")))
        .bearer_auth(crate::helpers::API_TOKEN)
        .json(&json!({"enabled": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c["bot_enabled"], false);
    // Asking again for what is already so records nothing.
    let (status, c) = app.api(Method::PUT, &format!("{base}/favourite")).await;
    assert_eq!((status.as_u16(), &c["favourite"]), (200, &json!(true)));

    let commands: Vec<(String, Value)> = {
        let pool = app.db.pool().await;
        let rows = sqlx::query_as("select event_type, metadata from events where event_type like 'conversation.%' order by global_position")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        rows
    };
    let types: Vec<&str> = commands.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "conversation.read_marked",
            "conversation.favourite_set",
            "conversation.archived_set",
            "conversation.bot_set"
        ]
    );
    for (_, metadata) in &commands {
        assert_eq!(
            metadata["caused_by"],
            json!({"kind": "user", "user_id": "api-token"})
        );
    }

    let favourites = app
        .get_ok("/api/v1/conversations?favourite=true&archived=true&bot=false")
        .await;
    assert_eq!(favourites["conversations"].as_array().unwrap().len(), 1);
    let unread = app.get_ok("/api/v1/conversations?unread=true").await;
    assert!(unread["conversations"].as_array().unwrap().is_empty());

    // The customer writing again brings the conversation back from the archive, unread.
    app.post_signed(&messages_body(
        json!([]),
        json!([text_at(ALICE, "wamid.3", "three", 60)]),
    ))
    .await;
    app.settled().await;
    let c = app.get_ok(&base).await;
    assert_eq!(
        (c["archived"].clone(), c["unread_count"].clone()),
        (json!(false), json!(1)),
        "{c}"
    );
}

#[tokio::test]
async fn a_command_with_the_same_idempotency_key_is_recorded_once() {
    let app = TestApp::spawn().await;
    app.post_signed(&messages_body(
        json!([]),
        json!([text(ALICE, "wamid.1", "one")]),
    ))
    .await;
    app.settled().await;
    let url = app.url(&format!(
        "/api/v1/conversations/{}/favourite",
        conversation_id(ALICE)
    ));
    for method in [Method::PUT, Method::DELETE, Method::PUT] {
        let response = app
            .client
            .request(method.clone(), &url)
            .bearer_auth(API_TOKEN)
            .header("Idempotency-Key", format!("key-{method}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let favourite_events = app
        .events()
        .await
        .into_iter()
        .filter(|e| e.2 == "conversation.favourite_set")
        .count();
    // PUT, DELETE, then a PUT retried with the first PUT's key: only two changes happened.
    assert_eq!(favourite_events, 2);
}

#[tokio::test]
async fn messages_page_both_ways_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let messages: Vec<Value> = (0..7)
        .map(|i| {
            text_at(
                ALICE,
                &format!("wamid.{i}"),
                &format!("message {i}"),
                i * 10,
            )
        })
        .collect();
    app.post_signed(&messages_body(json!([]), Value::Array(messages)))
        .await;
    app.settled().await;
    let base = format!("/api/v1/conversations/{}/messages", conversation_id(ALICE));

    let mut seen = Vec::new();
    let mut page = app.get_ok(&format!("{base}?limit=3")).await;
    let newest_cursor = page["newer_cursor"].as_str().unwrap().to_owned();
    assert_eq!(page["has_newer"], false);
    loop {
        let bodies: Vec<String> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect();
        seen.splice(0..0, bodies);
        match page["older_cursor"].as_str() {
            Some(c) => page = app.get_ok(&format!("{base}?limit=3&before={c}")).await,
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).map(|i| format!("message {i}")).collect();
    assert_eq!(seen, expected);

    // Forward from the oldest message.
    let first = app
        .get_ok(&format!("{base}?limit=1&before={}", {
            let p = app.get_ok(&format!("{base}?limit=1")).await;
            p["older_cursor"].as_str().unwrap().to_owned()
        }))
        .await;
    assert_eq!(first["messages"][0]["body"], "message 5");
    let newer = app
        .get_ok(&format!(
            "{base}?limit=10&after={}",
            first["newer_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(newer["messages"].as_array().unwrap().len(), 1);
    assert_eq!(newer["messages"][0]["body"], "message 6");
    assert_eq!(newer["has_newer"], false);

    // Nothing newer yet; a message arriving later appears after the newest cursor.
    let empty = app.get_ok(&format!("{base}?after={newest_cursor}")).await;
    assert!(empty["messages"].as_array().unwrap().is_empty());
    app.post_signed(&messages_body(
        json!([]),
        json!([text_at(ALICE, "wamid.7", "message 7", 100)]),
    ))
    .await;
    app.settled().await;
    let later = app.get_ok(&format!("{base}?after={newest_cursor}")).await;
    assert_eq!(later["messages"][0]["body"], "message 7");
}

#[tokio::test]
async fn conversation_pages_are_stable_while_new_conversations_arrive() {
    let app = TestApp::spawn().await;
    let first: Vec<Value> = (0..5)
        .map(|i| {
            text_at(
                &format!("4477009100{i:02}"),
                &format!("wamid.c{i}"),
                "hello",
                i * 10,
            )
        })
        .collect();
    app.post_signed(&messages_body(json!([]), Value::Array(first)))
        .await;
    app.settled().await;

    let page1 = app.get_ok("/api/v1/conversations?limit=2").await;
    let cursor = page1["next_cursor"].as_str().unwrap().to_owned();
    // New conversations arrive between two page reads: they go to the top, never into later pages.
    let newcomers: Vec<Value> = (5..8)
        .map(|i| {
            text_at(
                &format!("4477009100{i:02}"),
                &format!("wamid.c{i}"),
                "hello",
                1000 + i,
            )
        })
        .collect();
    app.post_signed(&messages_body(json!([]), Value::Array(newcomers)))
        .await;
    app.settled().await;

    let mut ids: Vec<String> = Vec::new();
    let mut page = page1;
    let mut next = Some(cursor);
    loop {
        ids.extend(
            page["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        match next.take() {
            Some(c) => {
                page = app
                    .get_ok(&format!("/api/v1/conversations?limit=2&cursor={c}"))
                    .await;
                next = page["next_cursor"].as_str().map(str::to_owned);
            }
            None => break,
        }
    }
    let expected: Vec<String> = (0..5)
        .rev()
        .map(|i| conversation_id(&format!("4477009100{i:02}")))
        .collect();
    assert_eq!(ids, expected);

    let search = app.get_ok("/api/v1/conversations?q=910003").await;
    assert_eq!(
        search["conversations"].as_array().unwrap().len(),
        1,
        "{search}"
    );
    let by_account = app.get_ok("/api/v1/conversations?account=999").await;
    assert!(by_account["conversations"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn reactions_edits_revocations_and_statuses_fold_onto_their_messages() {
    let app = TestApp::spawn().await;
    let echo = json!({"from": "15550001111", "to": ALICE, "id": "wamid.out", "timestamp": "1700000005",
                      "type": "text", "text": {"body": "We have it in stock"}});
    let echo_body = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "smb_message_echoes", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
            "message_echoes": [echo]}}]}]
    }))
    .unwrap();
    // Statuses arrive before the message they are about, and out of order.
    let status = |s: &str, t: i64| json!({"id": "wamid.out", "status": s, "timestamp": (1_700_000_000 + t).to_string(), "recipient_id": ALICE});
    app.post_signed(&statuses_body(json!([
        status("read", 30),
        status("delivered", 20)
    ])))
    .await;
    app.post_signed(&echo_body).await;
    app.post_signed(&statuses_body(json!([status("sent", 10)])))
        .await;
    let reaction = json!({"from": ALICE, "id": "wamid.r", "timestamp": "1700000040", "type": "reaction",
                          "reaction": {"message_id": "wamid.out", "emoji": "👍"}});
    let edit = json!({"from": ALICE, "id": "wamid.e", "timestamp": "1700000050", "type": "edit",
                      "edit": {"original_message_id": "wamid.in", "message": {"type": "text", "text": {"body": "Is it the blue one?"}}}});
    let revoke = json!({"from": ALICE, "id": "wamid.v", "timestamp": "1700000060", "type": "revoke",
                        "revoke": {"original_message_id": "wamid.gone"}});
    app.post_signed(&messages_body(
        json!([]),
        json!([
            text_at(ALICE, "wamid.in", "Is it the green one?", 1),
            text_at(ALICE, "wamid.gone", "my card number is ...", 2),
            reaction,
            edit,
            revoke
        ]),
    ))
    .await;
    app.settled().await;

    let page = app
        .get_ok(&format!(
            "/api/v1/conversations/{}/messages",
            conversation_id(ALICE)
        ))
        .await;
    let messages = page["messages"].as_array().unwrap();
    let ids: Vec<&str> = messages.iter().map(|m| m["id"].as_str().unwrap()).collect();
    // Reactions, edits and revocations are not messages of their own.
    assert_eq!(ids, ["wamid.in", "wamid.gone", "wamid.out"], "{page}");
    let by_id = |id: &str| messages.iter().find(|m| m["id"] == id).unwrap();

    let out = by_id("wamid.out");
    assert_eq!(out["direction"], "outbound");
    assert_eq!(out["status"], "read");
    assert_eq!(out["statuses"].as_object().unwrap().len(), 3, "{out}");
    assert_eq!(
        out["reactions"],
        json!([{"from": ALICE, "emoji": "👍", "at": "2023-11-14T22:14:00+00:00"}])
    );

    let edited = by_id("wamid.in");
    assert_eq!(edited["body"], "Is it the blue one?");
    assert_eq!(edited["edits"], json!(["Is it the green one?"]));
    assert!(edited["edited_at"].is_string());

    let revoked = by_id("wamid.gone");
    assert!(revoked["body"].is_null(), "{revoked}");
    assert!(revoked["revoked_at"].is_string());

    let c = app
        .get_ok(&format!("/api/v1/conversations/{}", conversation_id(ALICE)))
        .await;
    assert_eq!(c["message_count"], 3);
    assert_eq!(c["unread_count"], 2);
    assert_eq!(c["last_message"]["message_id"], "wamid.out");
}

#[tokio::test]
async fn a_failed_status_keeps_metas_error() {
    let app = TestApp::spawn().await;
    app.post_signed(&messages_body(
        json!([]),
        json!([text(BOB, "wamid.b", "hi")]),
    ))
    .await;
    let failed = json!({"id": "wamid.b", "status": "failed", "timestamp": "1700000100", "recipient_id": BOB,
                        "errors": [{"code": 131047, "title": "Re-engagement message", "message": "Re-engagement message",
                                    "error_data": {"details": "More than 24 hours have passed"}}]});
    app.post_signed(&statuses_body(json!([failed]))).await;
    app.settled().await;
    let page = app
        .get_ok(&format!(
            "/api/v1/conversations/{}/messages",
            conversation_id(BOB)
        ))
        .await;
    let m = &page["messages"][0];
    assert_eq!(m["status"], "failed", "{page}");
    assert_eq!(m["failure"][0]["code"], 131047);
    assert_eq!(m["failure"][0]["details"], "More than 24 hours have passed");
}

#[tokio::test]
async fn the_openapi_spec_and_its_ui_are_served() {
    let app = TestApp::spawn().await;
    let spec: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/api/v1/conversations",
        "/api/v1/conversations/{id}",
        "/api/v1/conversations/{id}/messages",
        "/api/v1/conversations/{id}/read",
        "/api/v1/conversations/{id}/events",
        "/api/v1/contacts",
        "/api/v1/accounts",
        "/api/v1/stream",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the spec");
    }
    // Every operation is protected by the bearer scheme, except signing in and setting up.
    for (path, operations) in paths {
        for (method, op) in operations.as_object().unwrap() {
            let public = inbox::api::permissions::ROUTES.iter().any(|(m, p, need)| {
                m.eq_ignore_ascii_case(method)
                    && p == path
                    && *need == inbox::api::permissions::Need::Public
            });
            assert_eq!(
                op["security"].is_array(),
                !public,
                "{method} {path}: security requirement"
            );
        }
    }
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn accounts_show_what_meta_reports_about_the_number() {
    let app = TestApp::spawn_with(&[("WHATSAPP_PHONE_NUMBER", "+1 555-000-1111")]).await;
    let change = |field: &str, value: Value| {
        serde_json::to_vec(
            &json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
            "time": 1700000000, "changes": [{"field": field, "value": value}]}]}),
        )
        .unwrap()
    };
    app.post_signed(&change(
        "phone_number_quality_update",
        json!({
        "display_phone_number": "15550001111", "event": "FLAGGED", "current_limit": "TIER_10K"}),
    ))
    .await;
    app.post_signed(&change("phone_number_name_update", json!({
        "display_phone_number": "15550001111", "decision": "APPROVED", "requested_verified_name": "Chrono Traders"}))).await;
    app.settled().await;
    let account = app
        .get_ok(&format!("/api/v1/accounts/{PHONE_NUMBER_ID}"))
        .await;
    assert_eq!(account["phone_number"], "+1 555-000-1111");
    assert_eq!(account["display_name"], "Chrono Traders", "{account}");
    assert_eq!(account["quality_event"], "FLAGGED");
    assert_eq!(account["messaging_limit"], "TIER_10K");
    assert_eq!(account["waba_id"], "102290129340398");
}

#[tokio::test]
async fn an_unknown_setting_or_conversation_is_refused_and_records_nothing() {
    let app = TestApp::spawn().await;
    app.post_signed(&messages_body(
        json!([]),
        json!([text(ALICE, "wamid.1", "one")]),
    ))
    .await;
    app.settled().await;
    let before = app.events().await.len();
    let (status, body) = app
        .api(
            Method::PUT,
            &format!("/api/v1/conversations/{}/pinned", conversation_id(ALICE)),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request");
    let (status, body) = app
        .api(Method::PUT, "/api/v1/conversations/1-2/favourite")
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = app
        .api(Method::POST, "/api/v1/conversations/1-2/read")
        .await;
    assert_eq!(status, 404);
    assert_eq!(app.events().await.len(), before);
}
