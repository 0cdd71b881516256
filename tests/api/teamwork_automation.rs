//! Team work the inbox does by itself, end to end: a number's settings (`/accounts/{id}/teamwork`), round
//! robin over a team's available agents, a snooze that ends at its time, and the away message that
//! reaches Meta (wa-sim) once per closed period and never outside the 24-hour window.

use crate::access::{call, create_user, sign_in};
use crate::helpers::*;
use crate::sending::{sim_config, World};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wa_sim as sim;

const DEADLINE: Duration = Duration::from_secs(30);

async fn ok(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
    status: u16,
) -> Value {
    let (got, text) = call(app, method, path, Some(token), &body).await;
    assert_eq!(got, status, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Business hours as the API takes them: `weekly` names Monday's intervals, other days are closed.
fn hours(enabled: bool, monday: Value, away_message: &str) -> Value {
    json!({"enabled": enabled, "time_zone": "UTC",
           "weekly": {"mon": monday, "tue": [], "wed": [], "thu": [], "fri": [], "sat": [], "sun": []},
           "holidays": [], "away_message": away_message})
}

fn teamwork_path() -> String {
    format!("/api/v1/accounts/{PHONE_NUMBER_ID}/teamwork")
}

/// Polls the conversation until `done` holds (a synchronisation point with a deadline).
async fn conversation_until(
    app: &TestApp,
    conversation: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let (status, body) = app
            .api(
                reqwest::Method::GET,
                &format!("/api/v1/conversations/{conversation}"),
            )
            .await;
        if status == 200 && done(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "never reached: {what}; last: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A customer's text message sent now (or `ago` before now).
fn text_now(from: &str, wamid: &str, body: &str, ago: chrono::Duration) -> Value {
    json!({"from": from, "id": wamid, "timestamp": (chrono::Utc::now() - ago).timestamp().to_string(),
           "type": "text", "text": {"body": body}})
}

#[tokio::test]
async fn two_available_agents_get_conversations_in_turn_and_an_away_agent_is_skipped() {
    let app = TestApp::spawn().await;
    let ann = create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
    let bob = create_user(&app, "bob@example.com", json!([{"role": "agent"}])).await;
    let cy = create_user(&app, "cy@example.com", json!([{"role": "agent"}])).await;
    for (email, available) in [
        ("ann@example.com", true),
        ("bob@example.com", true),
        ("cy@example.com", false),
    ] {
        let token = sign_in(&app, email).await;
        ok(
            &app,
            "PUT",
            "/api/v1/me/availability",
            &token,
            json!({ "available": available }),
            200,
        )
        .await;
    }
    let team = ok(
        &app,
        "POST",
        "/api/v1/teams",
        API_TOKEN,
        json!({"name": "Support", "members": [ann, bob, cy], "accounts": [PHONE_NUMBER_ID]}),
        201,
    )
    .await;
    app.settled().await;
    let saved = ok(
        &app,
        "PUT",
        &teamwork_path(),
        API_TOKEN,
        json!({"hours": hours(false, json!([]), ""), "auto_assign": {"team_id": team["id"]}}),
        200,
    )
    .await;
    assert_eq!(saved["auto_assign"]["team_id"], team["id"]);

    let mut assignees = Vec::new();
    for i in 0..4 {
        let customer = format!("4477009000{i:02}");
        let body = messages_body(
            contact(&customer, "Customer"),
            json!([text(&customer, &format!("wamid.rr{i}"), "hello")]),
        );
        assert_eq!(app.post_signed(&body).await.status(), 200);
        let conversation = format!("{PHONE_NUMBER_ID}-{customer}");
        let row = conversation_until(&app, &conversation, "assigned", |c| {
            c["assignee"].is_string()
        })
        .await;
        assert_eq!(row["team_id"], team["id"]);
        assignees.push(row["assignee"].as_str().unwrap().to_owned());
    }
    assert!(!assignees.contains(&cy), "cy is away: {assignees:?}");
    assert_ne!(assignees[0], assignees[1], "{assignees:?}");
    assert_eq!(
        (&assignees[2], &assignees[3]),
        (&assignees[0], &assignees[1]),
        "in turn"
    );
    let mut both = vec![assignees[0].clone(), assignees[1].clone()];
    both.sort();
    let mut expected = vec![ann, bob];
    expected.sort();
    assert_eq!(both, expected);
}

#[tokio::test]
async fn a_snooze_ends_at_its_time() {
    let app = TestApp::spawn().await;
    let body = messages_body(
        contact("447700900111", "Dee"),
        json!([text("447700900111", "wamid.s1", "call me later")]),
    );
    assert_eq!(app.post_signed(&body).await.status(), 200);
    app.settled().await;
    let conversation = format!("{PHONE_NUMBER_ID}-447700900111");
    let until = chrono::Utc::now() + chrono::Duration::seconds(2);
    ok(
        &app,
        "PUT",
        &format!("/api/v1/conversations/{conversation}/status"),
        API_TOKEN,
        json!({"status": "snoozed", "snoozed_until": until}),
        200,
    )
    .await;
    app.settled().await;
    let snoozed = app
        .get_ok(&format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(snoozed["status"], "snoozed", "{snoozed}");
    let woken = conversation_until(&app, &conversation, "the snooze ends", |c| {
        c["status"] == "open"
    })
    .await;
    let at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(woken["status_at"].clone()).unwrap();
    assert!(at >= until, "woken at {at}, before {until}");
    assert_eq!(woken["snoozed_until"], Value::Null);
}

/// The away messages Meta received for `customer`.
fn away_messages_to(w: &World, customer: &str, text: &str) -> usize {
    w.sent_to_meta()
        .iter()
        .filter(|m| m["to"] == customer && m["text"]["body"] == text)
        .count()
}

/// Waits until Meta received `n` away messages for `customer`.
async fn until_away(w: &World, customer: &str, text: &str, n: usize) {
    let deadline = Instant::now() + DEADLINE;
    while away_messages_to(w, customer, text) < n {
        assert!(
            Instant::now() < deadline,
            "{customer} never got {n} away messages; Meta got {:#?}",
            w.sent_to_meta()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_away_message_is_sent_once_per_closed_period_and_never_outside_the_window() {
    let w = World::start(sim_config()).await;
    // The number's configuration at start-up is in the accounts view.
    w.app.settled().await;
    let away = "We are closed; we answer on Monday from 9:00.";
    // Open on Mondays from 00:00 to 00:01 only: closed now, in one period since the last such minute.
    ok(
        &w.app,
        "PUT",
        &teamwork_path(),
        API_TOKEN,
        json!({"hours": hours(true, json!([{"open": "00:00", "close": "00:01"}]), away)}),
        200,
    )
    .await;
    let writes = |from: &'static str, text: &'static str| {
        let state = w.sim.state.clone();
        async move {
            let (_, answer) = sim::webhooks::customer_writes(
                &state,
                from,
                Some("Customer"),
                json!({"type": "text", "text": {"body": text}}),
            )
            .await;
            assert_eq!(answer, 200);
        }
    };
    writes("447700900201", "Hello?").await;
    until_away(&w, "447700900201", away, 1).await;
    // The same customer again, in the same closed period.
    writes("447700900201", "Anyone there?").await;
    w.app.settled().await;
    // A customer whose message is 25 hours old: outside the window.
    let old = messages_body(
        contact("447700900202", "Late"),
        json!([text_now(
            "447700900202",
            "wamid.old",
            "still there?",
            chrono::Duration::hours(25)
        )]),
    );
    assert_eq!(w.app.post_signed(&old).await.status(), 200);
    w.app.settled().await;
    // Another customer writes: once their away message is out, the worker has looked at everything
    // before it.
    writes("447700900203", "Hi").await;
    until_away(&w, "447700900203", away, 1).await;
    assert_eq!(
        away_messages_to(&w, "447700900201", away),
        1,
        "once per period"
    );
    assert_eq!(
        away_messages_to(&w, "447700900202", away),
        0,
        "outside the window"
    );
    // The away message is the inbox's own, recorded on the conversation.
    let messages = w
        .app
        .get_ok(&format!(
            "/api/v1/conversations/{PHONE_NUMBER_ID}-447700900201/messages?limit=50"
        ))
        .await;
    let outbound: Vec<&Value> = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .collect();
    assert_eq!(outbound.len(), 1, "{messages:#}");
    // Operators see what the worker did.
    let metrics = w
        .app
        .client
        .get(w.app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .contains("inbox_teamwork_actions_total{action=\"away_message\",outcome=\"recorded\"}"),
        "no away message counted in /metrics"
    );
    let queued: Vec<Value> = w
        .app
        .events()
        .await
        .into_iter()
        .filter(|e| e.2 == "message.queued")
        .map(|e| e.3)
        .collect();
    assert_eq!(queued.len(), 2, "{queued:#?}");
    assert!(queued
        .iter()
        .all(|q| q["away_for"].is_string() && q.get("by").is_none()));
}

#[tokio::test]
async fn bad_settings_are_refused_with_the_field_and_the_reason() {
    let app = TestApp::spawn().await;
    app.settled().await;
    let other = ok(
        &app,
        "POST",
        "/api/v1/teams",
        API_TOKEN,
        json!({"name": "Elsewhere", "accounts": []}),
        201,
    )
    .await;
    let serving = ok(
        &app,
        "POST",
        "/api/v1/teams",
        API_TOKEN,
        json!({"name": "Here", "accounts": [PHONE_NUMBER_ID]}),
        201,
    )
    .await;
    let refused = |body: Value| {
        let app = &app;
        async move {
            let (status, text) = call(app, "PUT", &teamwork_path(), Some(API_TOKEN), &body).await;
            assert_eq!(status, 422, "{body}: {text}");
            let error: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(
                error["error"]["code"], "invalid_teamwork_settings",
                "{text}"
            );
            (
                error["error"]["details"]["field"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                error["error"]["details"]["reason"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        }
    };
    let mut bad_zone = hours(true, json!([]), "closed");
    bad_zone["time_zone"] = json!("Mars/Olympus");
    let (field, reason) = refused(json!({ "hours": bad_zone })).await;
    assert_eq!(field, "hours.time_zone");
    assert!(reason.contains("IANA"), "{reason}");
    let (field, reason) =
        refused(json!({"hours": hours(true, json!([{"open": "18:00", "close": "09:00"}]), "")}))
            .await;
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("hours.weekly.mon[0]", "closes before it opens")
    );
    let (field, _) =
        refused(json!({"hours": hours(true, json!([{"open": "9h", "close": "18:00"}]), "")})).await;
    assert_eq!(field, "hours.weekly.mon[0].open");
    let (field, _) = refused(json!({"hours": hours(true, json!([
        {"open": "09:00", "close": "13:00"}, {"open": "12:00", "close": "18:00"}]), "")}))
    .await;
    assert_eq!(field, "hours.weekly.mon");
    let (field, reason) = refused(json!({"hours": hours(false, json!([]), ""),
        "auto_assign": {"team_id": uuid::Uuid::new_v4()}}))
    .await;
    assert_eq!(
        (field.as_str(), reason.as_str()),
        ("auto_assign.team_id", "no such team")
    );
    let (field, reason) = refused(json!({"hours": hours(false, json!([]), ""),
        "auto_assign": {"team_id": other["id"]}}))
    .await;
    assert_eq!(field, "auto_assign.team_id");
    assert!(reason.contains("does not serve this number"), "{reason}");
    for capacity in [0, 1001] {
        let (field, reason) = refused(json!({"hours": hours(false, json!([]), ""),
            "auto_assign": {"team_id": serving["id"], "capacity": capacity}}))
        .await;
        assert_eq!(
            (field.as_str(), reason.as_str()),
            ("auto_assign.capacity", "must be from 1 to 1000")
        );
    }
    // Nothing refused was saved; a good save is read back whole.
    let saved = app.get_ok(&teamwork_path()).await;
    assert_eq!(saved["hours"]["enabled"], false);
    assert_eq!(saved["auto_assign"], Value::Null);
    let good = json!({"hours": hours(true, json!([{"open": "09:00", "close": "18:00"}]), "Back at 9."),
                      "auto_assign": {"team_id": serving["id"], "capacity": 5}});
    ok(&app, "PUT", &teamwork_path(), API_TOKEN, good.clone(), 200).await;
    let saved = app.get_ok(&teamwork_path()).await;
    assert_eq!(saved["hours"], good["hours"]);
    assert_eq!(saved["auto_assign"], good["auto_assign"]);
    // A number the caller may not see is not found.
    let (status, _) = call(
        &app,
        "GET",
        "/api/v1/accounts/9999999999/teamwork",
        Some(API_TOKEN),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 404);
}
