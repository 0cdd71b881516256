//! Reports through the HTTP API: a scripted history (signed webhooks, an agent's replies through the
//! inbox) gives the figures a person would count by hand, bad parameters are refused with the reason,
//! a caller sees only the numbers they may, and a rebuild gives the same figures.
//!
//! Resolution times and business hours are not driven here: the routes that resolve a conversation and
//! save a number's hours are not served yet; the projection's own tests cover them
//! (`projections/src/reports/tests.rs`).

use crate::access::{call, create_user, sign_in, two_accounts, OTHER_ACCOUNT};
use crate::helpers::*;
use crate::sending::{sim_config, World};
use chrono::Utc;
use serde_json::{json, Value};

const ANN_CUSTOMER: &str = "447700900111";
const OTHER_CUSTOMER: &str = "447700900222";

/// A customer's text, written `ago` seconds before now (as Meta stamps it).
async fn customer_writes(app: &TestApp, from: &str, wamid: &str, ago: i64) {
    let timestamp = Utc::now().timestamp() - ago;
    let message = json!({"from": from, "id": wamid, "timestamp": timestamp.to_string(),
                         "type": "text", "text": {"body": "is it still available?"}});
    let body = messages_body(contact(from, "Customer"), json!([message]));
    assert_eq!(app.post_signed(&body).await.status(), 200);
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = call(app, "GET", path, Some(token), &Value::Null).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn an_agents_answers_are_counted_with_the_wait_they_ended() {
    let world = World::start(sim_config()).await;
    let app = &world.app;
    let ann = create_user(app, "ann@example.com", json!([{"role": "admin"}])).await;
    let token = sign_in(app, "ann@example.com").await;

    let started = Utc::now();
    customer_writes(app, ANN_CUSTOMER, "wamid.R1", 600).await;
    customer_writes(app, OTHER_CUSTOMER, "wamid.R2", 300).await;
    app.settled().await;
    let conversation = format!("{PHONE_NUMBER_ID}-{ANN_CUSTOMER}");
    for text in ["Yes, it is", "Shall I hold it for you?"] {
        let (status, body) = call(
            app,
            "POST",
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&token),
            &json!({"content": {"kind": "text", "body": text}}),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    app.settled().await;
    // The wait ran from the customer's message (600 s before `started`) to the answer, made by now.
    let longest = 600 + (Utc::now() - started).num_seconds() + 1;

    let summary = get(app, "/api/v1/reports/summary", &token).await;
    let f = &summary["figures"];
    assert_eq!(f["inbound"], 2, "{summary}");
    assert_eq!(f["outbound"], 2);
    assert_eq!(f["outbound_agents"], 2);
    assert_eq!(f["conversations"], 2);
    // The second answer ended no wait: one first response, for the first customer only.
    assert_eq!(f["first_responses"], 1);
    let median = f["first_response_median_secs"].as_f64().unwrap();
    assert!((600.0..=longest as f64).contains(&median), "{median}");
    assert_eq!(
        f["first_response_p90_secs"],
        f["first_response_median_secs"]
    );
    assert_eq!(
        (f["resolutions"].clone(), f["bot_replies"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(f["resolved_by_bot_share"], Value::Null);
    // Without business hours, the number is always open: the same figure.
    let business = get(app, "/api/v1/reports/summary?business_hours=true", &token).await;
    assert_eq!(
        business["figures"]["first_response_median_secs"],
        f["first_response_median_secs"]
    );
    assert_eq!(business["range"]["business_hours"], true);

    let agents = get(app, "/api/v1/reports/agents", &token).await;
    let rows = agents["agents"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{agents}");
    assert_eq!(rows[0]["agent"], ann.as_str());
    assert_eq!(
        (
            rows[0]["conversations"].clone(),
            rows[0]["messages"].clone()
        ),
        (json!(1), json!(2))
    );
    assert_eq!(rows[0]["first_responses"], 1);
    assert_eq!(
        rows[0]["first_response_median_secs"],
        f["first_response_median_secs"]
    );

    let accounts = get(app, "/api/v1/reports/accounts", &token).await;
    let groups = accounts["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["key"], PHONE_NUMBER_ID);
    assert_eq!(groups[0]["figures"]["inbound"], 2);
    // No conversation holds a label: nothing per label, and nothing with a label filter.
    let labels = get(app, "/api/v1/reports/labels", &token).await;
    assert_eq!(labels["groups"], json!([]));
    let vip = get(app, "/api/v1/reports/summary?label=vip", &token).await;
    assert_eq!(vip["figures"]["inbound"], 0);

    let volume = get(app, "/api/v1/reports/volume?tz=Pacific/Auckland", &token).await;
    let cells = volume["heat_map"].as_array().unwrap();
    assert_eq!(cells.len(), 168);
    let sum =
        |list: &[Value], field: &str| list.iter().map(|c| c[field].as_i64().unwrap()).sum::<i64>();
    assert_eq!((sum(cells, "inbound"), sum(cells, "outbound")), (2, 2));
    let days = volume["per_day"].as_array().unwrap();
    assert_eq!((sum(days, "inbound"), sum(days, "outbound")), (2, 2));
    assert_eq!(volume["range"]["tz"], "Pacific/Auckland");

    // The same report as CSV, header first.
    let response = app
        .client
        .get(app.url("/api/v1/reports/agents/csv"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("agent,conversations,messages,"),
        "{text}"
    );
    assert!(lines[1].starts_with(&format!("{ann},1,2,1,")), "{text}");
    let (status, summary_csv) = call(
        app,
        "GET",
        "/api/v1/reports/summary/csv",
        Some(&token),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let header: Vec<&str> = summary_csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = summary_csv.lines().nth(1).unwrap().split(',').collect();
    let column = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!((column("inbound"), column("outbound_agents")), ("2", "2"));

    // Labelled and resolved through the API: one resolution, counted from the customer's first message,
    // and the label's own figures.
    let vip = call(
        app,
        "POST",
        "/api/v1/labels",
        Some(&token),
        &json!({"name": "VIP", "colour": "#112233"}),
    )
    .await;
    assert_eq!(vip.0, 201, "{}", vip.1);
    let vip = serde_json::from_str::<Value>(&vip.1).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = format!("/api/v1/conversations/{conversation}");
    let (status, body) = call(
        app,
        "PUT",
        &format!("{c}/labels/{vip}"),
        Some(&token),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let resolve = json!({"status": "resolved"});
    let (status, body) = call(app, "PUT", &format!("{c}/status"), Some(&token), &resolve).await;
    assert_eq!(status, 200, "{body}");
    app.settled().await;
    let longest = 600 + (Utc::now() - started).num_seconds() + 1;
    let summary = get(app, "/api/v1/reports/summary", &token).await;
    let f = &summary["figures"];
    assert_eq!(
        (f["resolutions"].clone(), f["resolved_by_bot"].clone()),
        (json!(1), json!(0))
    );
    let resolution = f["resolution_median_secs"].as_f64().unwrap();
    assert!(
        (600.0..=longest as f64).contains(&resolution),
        "{resolution}"
    );
    let labelled = get(app, "/api/v1/reports/labels", &token).await;
    assert_eq!(labelled["groups"][0]["key"], json!(vip), "{labelled}");
    assert_eq!(labelled["groups"][0]["figures"]["inbound"], 1);
    assert_eq!(labelled["groups"][0]["figures"]["resolutions"], 1);

    // A rebuild of the view gives the same figures.
    let today = Utc::now().date_naive();
    let range = format!(
        "from={}&to={}",
        today.pred_opt().unwrap(),
        today.succ_opt().unwrap()
    );
    let before = get(app, &format!("/api/v1/reports/agents?{range}"), &token).await;
    assert_eq!(before["agents"], agents["agents"]);
    let pool = app.db.pool().await;
    inbox::audit::rebuild(&pool, &["reports".to_owned()], false)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(
        get(app, &format!("/api/v1/reports/agents?{range}"), &token).await,
        before
    );
}

#[tokio::test]
async fn bad_report_parameters_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    for (query, code) in [
        ("tz=Mars/Olympus", "invalid_time_zone"),
        ("from=2027-02-01&to=2027-01-01", "invalid_range"),
        ("from=2020-01-01&to=2027-01-01", "range_too_long"),
        ("from=yesterday", "invalid_time"),
        ("to=2027-13-01", "invalid_time"),
        ("from=2027-01-01T25:00:00Z", "invalid_time"),
    ] {
        for report in [
            "summary",
            "volume",
            "agents",
            "accounts",
            "labels",
            "labels/csv",
        ] {
            let (status, body) = app
                .api(
                    reqwest::Method::GET,
                    &format!("/api/v1/reports/{report}?{query}"),
                )
                .await;
            assert_eq!(status, 400, "{report}?{query}: {body}");
            assert_eq!(body["error"]["code"], code, "{report}?{query}: {body}");
        }
    }
    let (_, body) = app
        .api(reqwest::Method::GET, "/api/v1/reports/summary?from=soon")
        .await;
    assert_eq!(body["error"]["details"]["parameter"], "from");
    for path in [
        "/api/v1/reports/summary?business_hours=maybe",
        "/api/v1/reports/everything/csv",
    ] {
        let (status, body) = app.api(reqwest::Method::GET, path).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    // A range of exactly one day, and dates with a time zone, are fine.
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            "/api/v1/reports/summary?from=2027-01-04&to=2027-01-04&tz=Europe/Paris",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["range"]["from"], "2027-01-03T23:00:00+00:00");
    assert_eq!(body["range"]["to"], "2027-01-04T23:00:00+00:00");
}

#[tokio::test]
async fn a_user_of_another_number_sees_no_figure_of_the_first() {
    let app = TestApp::spawn().await;
    // One customer message on each number, on 2023-11-14.
    two_accounts(&app).await;
    create_user(
        &app,
        "other@example.com",
        json!([{"role": "admin", "account": OTHER_ACCOUNT}]),
    )
    .await;
    let other = sign_in(&app, "other@example.com").await;
    let range = "from=2023-11-01&to=2023-11-30";

    let all = get(&app, &format!("/api/v1/reports/summary?{range}"), API_TOKEN).await;
    assert_eq!(all["figures"]["inbound"], 2);
    let mine = get(&app, &format!("/api/v1/reports/summary?{range}"), &other).await;
    assert_eq!(mine["figures"]["inbound"], 1);
    let asked = get(
        &app,
        &format!("/api/v1/reports/summary?{range}&account={PHONE_NUMBER_ID}"),
        &other,
    )
    .await;
    assert_eq!(asked["figures"]["inbound"], 0);
    assert_eq!(asked["figures"]["conversations"], 0);
    for report in ["accounts", "accounts/csv", "volume", "agents"] {
        let (status, body) = call(
            &app,
            "GET",
            &format!("/api/v1/reports/{report}?{range}"),
            Some(&other),
            &Value::Null,
        )
        .await;
        assert_eq!(status, 200, "{report}: {body}");
        assert!(!body.contains(PHONE_NUMBER_ID), "{report}: {body}");
    }
    let accounts = get(&app, &format!("/api/v1/reports/accounts?{range}"), &other).await;
    let keys: Vec<&str> = accounts["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, [OTHER_ACCOUNT]);
    let volume = get(&app, &format!("/api/v1/reports/volume?{range}"), &other).await;
    let inbound: i64 = volume["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["inbound"].as_i64().unwrap())
        .sum();
    assert_eq!(inbound, 1);
}
