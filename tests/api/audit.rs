//! Audit: the raw history of a conversation, replay as of a moment, hash-chain verification, rebuilds.

use crate::helpers::*;
use serde_json::{json, Value};
use std::process::Command;

const ALICE: &str = "447700900001";

fn conversation(wa_id: &str) -> String {
    format!("{PHONE_NUMBER_ID}-{wa_id}")
}

#[tokio::test]
async fn the_history_lists_every_event_with_its_place_times_and_cause() {
    let app = TestApp::spawn().await;
    app.post_signed(&messages_body(
        contact(ALICE, "Alice"),
        json!([text(ALICE, "wamid.1", "hello")]),
    ))
    .await;
    app.settled().await;
    app.api(
        reqwest::Method::POST,
        &format!("/api/v1/conversations/{}/read", conversation(ALICE)),
    )
    .await;

    let trail = app
        .get_ok(&format!(
            "/api/v1/conversations/{}/events",
            conversation(ALICE)
        ))
        .await;
    let events = trail["events"].as_array().unwrap();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "contact.profile_seen",
            "message.received",
            "conversation.read_marked"
        ]
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["stream_version"], i as u64 + 1);
        assert!(e["global_position"].as_u64().unwrap() > 0);
        assert!(e["recorded_at"].is_string());
        assert_eq!(e["hash"].as_str().unwrap().len(), 64);
    }
    assert_eq!(events[1]["occurred_at"], "2023-11-14T22:13:20+00:00");
    assert_eq!(events[1]["metadata"]["caused_by"]["kind"], "webhook");
    assert_eq!(
        events[2]["metadata"]["caused_by"],
        json!({"kind": "user", "user_id": "api-token"})
    );
    assert_eq!(events[1]["payload"]["content"]["body"], "hello");

    let page = app
        .get_ok(&format!(
            "/api/v1/conversations/{}/events?limit=2",
            conversation(ALICE)
        ))
        .await;
    assert_eq!(page["next_after_version"], 2);
    let rest = app
        .get_ok(&format!(
            "/api/v1/conversations/{}/events?after_version=2",
            conversation(ALICE)
        ))
        .await;
    assert_eq!(rest["events"][0]["event_type"], "conversation.read_marked");
    assert!(rest["next_after_version"].is_null());
}

/// An auditor who may not manage users still reads who acted by name: the trail names its people.
#[tokio::test]
async fn the_trail_names_the_users_who_acted_for_an_auditor() {
    use crate::access::{call, create_user, sign_in};
    let app = TestApp::spawn().await;
    app.post_signed(&messages_body(
        contact(ALICE, "Alice"),
        json!([text(ALICE, "wamid.1", "hello")]),
    ))
    .await;
    app.settled().await;
    let agent = create_user(&app, "agent@example.com", json!([{"role": "agent"}])).await;
    let agent_token = sign_in(&app, "agent@example.com").await;
    let read = format!("/api/v1/conversations/{}/read", conversation(ALICE));
    let (status, _) = call(&app, "POST", &read, Some(&agent_token), &Value::Null).await;
    assert_eq!(status, 200);
    create_user(&app, "auditor@example.com", json!([{"role": "supervisor"}])).await;
    let auditor = sign_in(&app, "auditor@example.com").await;
    let (status, users) = call(&app, "GET", "/api/v1/users", Some(&auditor), &Value::Null).await;
    assert_eq!(status, 403, "{users}");

    let events = format!("/api/v1/conversations/{}/events", conversation(ALICE));
    let (status, trail) = call(&app, "GET", &events, Some(&auditor), &Value::Null).await;
    assert_eq!(status, 200, "{trail}");
    let trail: Value = serde_json::from_str(&trail).unwrap();
    assert_eq!(
        trail["events"][2]["metadata"]["caused_by"],
        json!({"kind": "user", "user_id": agent})
    );
    assert_eq!(
        trail["people"],
        json!([{"user_id": agent, "name": "agent@example.com"}])
    );
}

#[tokio::test]
async fn as_of_shows_the_conversation_as_it_stood_then() {
    let app = TestApp::spawn().await;
    app.post_signed(&messages_body(
        contact(ALICE, "Alice"),
        json!([text(ALICE, "wamid.1", "first")]),
    ))
    .await;
    app.settled().await;
    let between = {
        let pool = app.db.pool().await;
        let t: chrono::DateTime<chrono::Utc> =
            sqlx::query_scalar("select max(recorded_at) from events")
                .fetch_one(&pool)
                .await
                .unwrap();
        // The database's clock stamps `recorded_at` (a transaction's start): once it has passed `between`,
        // every event appended from now on is recorded strictly later.
        while !sqlx::query_scalar::<_, bool>("select clock_timestamp() > $1")
            .bind(t)
            .fetch_one(&pool)
            .await
            .unwrap()
        {}
        pool.close().await;
        t
    };
    app.post_signed(&messages_body(
        json!([]),
        json!([text_at(ALICE, "wamid.2", "second", 5)]),
    ))
    .await;
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/conversations/{}/favourite", conversation(ALICE)),
    )
    .await;
    app.settled().await;

    let as_of = between.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let then = app
        .get_ok(&format!(
            "/api/v1/conversations/{}/events?as_of={}",
            conversation(ALICE),
            as_of.replace('+', "%2B")
        ))
        .await;
    assert_eq!(then["events"].as_array().unwrap().len(), 2, "{then}");
    let state = &then["state"];
    assert_eq!(state["conversation"]["favourite"], false);
    assert_eq!(state["conversation"]["unread_count"], 1);
    let bodies: Vec<&str> = state["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["first"]);

    let now = app
        .get_ok(&format!("/api/v1/conversations/{}", conversation(ALICE)))
        .await;
    assert_eq!(
        (now["favourite"].clone(), now["unread_count"].clone()),
        (json!(true), json!(2))
    );
}

fn verify(url: &str, stream: Option<&str>) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_inbox"));
    command
        .args(["audit", "verify"])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "error");
    if let Some(s) = stream {
        command.args(["--stream", s]);
    }
    let output = command.output().expect("inbox runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test]
async fn verify_catches_an_event_edited_directly_in_postgresql() {
    let app = TestApp::spawn().await;
    let messages: Vec<Value> = (0..3)
        .map(|i| text_at(ALICE, &format!("wamid.{i}"), "price is 9500 EUR", i))
        .collect();
    app.post_signed(&messages_body(
        contact(ALICE, "Alice"),
        Value::Array(messages),
    ))
    .await;
    app.post_signed(&messages_body(
        json!([]),
        json!([
            text("447700900002", "wamid.b1", "untouched"),
            text_at("447700900002", "wamid.b2", "untouched", 1)
        ]),
    ))
    .await;

    let (intact, out) = verify(&app.db.url, None);
    assert!(intact, "{out}");
    assert!(out.contains("all chains intact"), "{out}");

    // Someone with database access rewrites a price, bypassing the immutability trigger.
    let pool = app.db.pool().await;
    let stream = format!("conversation-{}", conversation(ALICE));
    sqlx::query("alter table events disable trigger events_immutable")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "update events set payload = jsonb_set(payload, '{content,body}', '\"price is 5900 EUR\"')
         where stream_id = $1 and stream_version = 3",
    )
    .bind(&stream)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("alter table events enable trigger events_immutable")
        .execute(&pool)
        .await
        .unwrap();

    let (intact, out) = verify(&app.db.url, None);
    assert!(!intact, "verify must fail: {out}");
    assert!(
        out.contains(&format!("ALTERED  {stream} version 3")),
        "{out}"
    );
    assert!(
        out.contains("1 broken"),
        "the other conversation is intact: {out}"
    );

    let (intact, _) = verify(&app.db.url, Some("conversation-1122334455667-447700900002"));
    assert!(intact);

    // Removing an event is caught too.
    sqlx::query("alter table events disable trigger events_immutable")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("delete from events where stream_id = $1 and stream_version = 1")
        .bind("conversation-1122334455667-447700900002")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("alter table events enable trigger events_immutable")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (intact, out) = verify(&app.db.url, Some("conversation-1122334455667-447700900002"));
    assert!(!intact);
    assert!(
        out.contains("MISSING  conversation-1122334455667-447700900002 version 1: found version 2"),
        "a removed event is reported: {out}"
    );
}

/// Every row of the inbox and contacts views, for comparing a rebuild with the live views.
async fn views(app: &TestApp) -> Vec<Value> {
    let pool = app.db.pool().await;
    let mut all = Vec::new();
    for table in [
        "inbox_conversations",
        "inbox_messages",
        "inbox_contacts",
        "inbox_accounts",
    ] {
        let rows: Vec<Value> = sqlx::query_scalar(&format!(
            "select to_jsonb(t) from {table} t order by 1::text"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut rows: Vec<String> = rows.iter().map(Value::to_string).collect();
        rows.sort();
        all.push(json!({ "table": table, "rows": rows }));
    }
    pool.close().await;
    all
}

#[tokio::test]
async fn a_rebuild_reproduces_the_live_views_and_swaps_them_in() {
    let app = TestApp::spawn().await;
    // A varied history from several bodies: messages, a status, a reaction, commands.
    for i in 0..4 {
        let from = format!("44770090010{i}");
        app.post_signed(&messages_body(
            contact(&from, &format!("Customer {i}")),
            json!([
                text_at(&from, &format!("wamid.{i}.a"), "hello", i),
                text_at(&from, &format!("wamid.{i}.b"), "again", i + 30)
            ]),
        ))
        .await;
    }
    app.post_signed(&statuses_body(json!([{"id": "wamid.x", "status": "delivered", "timestamp": "1700000200", "recipient_id": "447700900100"}]))).await;
    app.api(
        reqwest::Method::PUT,
        &format!(
            "/api/v1/conversations/{}/favourite",
            conversation("447700900101")
        ),
    )
    .await;
    app.settled().await;
    let live = views(&app).await;

    let output = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .args(["projections", "rebuild", "--all"])
        .env("DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "error")
        .output()
        .expect("inbox runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("inbox: rebuilt from"), "{stdout}");

    assert_eq!(views(&app).await, live);
    // The swapped-in tables keep serving, and keep being maintained live.
    app.post_signed(&messages_body(
        json!([]),
        json!([text_at(
            "447700900100",
            "wamid.new",
            "after the rebuild",
            500
        )]),
    ))
    .await;
    app.settled().await;
    let c = app
        .get_ok(&format!(
            "/api/v1/conversations/{}",
            conversation("447700900100")
        ))
        .await;
    assert_eq!(c["last_message"]["preview"], "after the rebuild");
    let pool = app.db.pool().await;
    let indexes: Vec<String> = sqlx::query_scalar(
        "select indexname::text from pg_indexes where tablename = 'inbox_messages' order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(
        indexes,
        [
            "inbox_messages_media_file_idx",
            "inbox_messages_media_pending_idx",
            "inbox_messages_media_sent_idx",
            "inbox_messages_order_idx",
            "inbox_messages_pkey",
            "inbox_messages_unsent_idx",
            "inbox_messages_wamid_idx"
        ]
    );
    let unknown = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .args(["projections", "rebuild", "nonsense"])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no projection named"));
}
