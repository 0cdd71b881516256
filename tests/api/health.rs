use crate::helpers::*;
use serde_json::{json, Value};

/// Each webhook counter moves by exactly what the traffic did: new messages, a redelivery, a repeated
/// status and a forged body. What the answers to Meta counted adds up to the same figures.
#[tokio::test]
async fn health_counts_exactly_what_the_webhook_received_stored_and_recognised() {
    let app = TestApp::spawn().await;
    let health = app.health().await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"]["reachable"], true);

    let first = messages_body(
        contact("15550002222", "Ann"),
        json!([text(
            "15550002222",
            "wamid.h1",
            "Is the Speedmaster still there?"
        )]),
    );
    let second = messages_body(
        contact("15550002222", "Ann"),
        json!([text("15550002222", "wamid.h2", "And its box?")]),
    );
    let status = statuses_body(
        json!([{"id": "wamid.out1", "status": "delivered", "timestamp": "1700000050", "recipient_id": "15550002222"}]),
    );
    let mut appended = 0;
    let mut already_known = 0;
    // (body, events it adds, facts in it the store already has)
    for (body, adds, known) in [
        (&first, 3, 0), // Ann's profile, her message, and the watch she asks about (watch.detected)
        (&second, 2, 1), // her next message (a question: read as one); her profile as already recorded
        (&first, 0, 2),  // Meta redelivers the first body: nothing new in it
        (&status, 1, 0), // a status of a message sent earlier
        (&status, 0, 1), // the same status again
    ] {
        let response = app.post_signed(body).await;
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["events_appended"], adds, "{answer}");
        assert_eq!(answer["facts_already_known"], known, "{answer}");
        appended += adds;
        already_known += known;
    }
    let forged = app.post_webhook(&second, Some("sha256=00".into())).await;
    assert_eq!(forged.status(), 401);

    let counters = app.health().await["webhook"].clone();
    assert_eq!(
        counters,
        json!({
            "bodies_received": 6,
            "bodies_refused_signature": 1,
            "bodies_not_stored": 0,
            "messages_received": 3,
            "statuses_received": 2,
            "events_appended": appended,
            "facts_already_known": already_known,
            "streams_kept_raw": 0,
        })
    );
    assert_eq!((appended, already_known), (6, 4));
    // The store holds what was counted as appended.
    assert_eq!(app.webhook_events().await.len(), appended);
}

/// The real binary: SIGTERM stops it with exit code 0.
#[tokio::test]
async fn the_binary_exits_zero_on_sigterm() {
    let db = actors::testing::TestDatabase::create().await;
    let port = 20000 + (std::process::id() % 20000) as u16;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_inbox"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("INBOX_LISTEN", format!("127.0.0.1:{port}"))
        .env("WHATSAPP_PHONE_ID", PHONE_NUMBER_ID)
        .env("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
        .env("META_APP_SECRET", APP_SECRET)
        .env("INBOX_MASTER_KEY", crate::helpers::MASTER_KEY)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not start");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

/// A missing setting stops start-up with one line naming it.
#[test]
fn a_missing_setting_is_named_in_one_line() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_inbox"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("WHATSAPP_PHONE_ID", PHONE_NUMBER_ID)
        .env("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("META_APP_SECRET is not set"), "{stderr}");
}

/// `/health/ready` is what an orchestrator routes by: ready once the projections are live on a migrated
/// database; not ready, with the reason, when the database lacks a migration this binary knows.
#[tokio::test]
async fn ready_means_migrated_and_caught_up_and_says_why_not() {
    let app = TestApp::spawn().await;
    app.settled().await;
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body, json!({"status": "ready", "reasons": []}));
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);

    // The components in the original system's shape, beside the details.
    let health = app.health().await;
    assert_eq!(health["components"]["database"]["status"], "up", "{health}");
    assert_eq!(health["counters"], health["webhook"]);

    // A database one migration behind this binary (as when an older deployment migrated it).
    let pool = app.db.pool().await;
    let newest: i64 = sqlx::query_scalar("select max(version) from _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query("delete from _sqlx_migrations where version = $1")
        .bind(newest)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let not_ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(not_ready.status(), 503);
    let body: Value = not_ready.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(
        body["reasons"],
        json!([format!("migrations not applied: [{newest}]")]),
        "{body}"
    );
}

/// A node told to run some views runs those and no others: the conversation is in the inbox, and the
/// search view, left to another node, has not moved.
#[tokio::test]
async fn a_node_runs_only_the_views_it_is_told_to() {
    let app = TestApp::spawn_with(&[("INBOX_RUN_PROJECTIONS", "contacts,inbox")]).await;
    app.post_signed(&messages_body(
        json!([contact("33611111111", "Alice")]),
        json!([text("33611111111", "wamid.only-some", "hello")]),
    ))
    .await;
    app.settled().await;
    let health = app.health().await;
    let names: Vec<&str> = health["projections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["inbox", "contacts"]);
    let page = app.get_ok("/api/v1/conversations").await;
    assert_eq!(page["conversations"].as_array().unwrap().len(), 1, "{page}");
    let pool = app.db.pool().await;
    let search: i64 =
        sqlx::query_scalar("select position from projection_checkpoints where name = 'search'")
            .fetch_optional(&pool)
            .await
            .unwrap()
            .unwrap_or(0);
    assert_eq!(search, 0, "the search view runs on another node");
}
