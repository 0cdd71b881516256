//! `/_sim/...`: the same knobs over HTTP.

use super::{read, sim, FLASH_LITE, GEMINI_KEY};
use serde_json::{json, Value};

async fn ask(base: &str, text: &str) -> (u16, Value) {
    read(
        reqwest::Client::new()
            .post(format!("{base}/v1beta/models/{FLASH_LITE}:generateContent"))
            .header("x-goog-api-key", GEMINI_KEY)
            .json(&json!({ "contents": [{ "role": "user", "parts": [{ "text": text }] }] }))
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn text(body: &Value) -> &str {
    body["candidates"][0]["content"]["parts"][0]["text"]
        .as_str()
        .unwrap()
}

#[tokio::test]
async fn rules_failures_and_requests_over_http() {
    let sim = sim().await;
    let base = sim.base_url();
    let client = reqwest::Client::new();
    let added = client
        .post(format!("{base}/_sim/rules"))
        .json(&json!({ "pattern": "porto", "answer": { "text": "5 EUR" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
    let (_, body) = ask(&base, "Porto?").await;
    assert_eq!(text(&body), "5 EUR");

    let failed = client
        .post(format!("{base}/_sim/fail"))
        .json(&json!({ "failure": { "rate_limited": { "retry_delay_ms": 2500 } }, "times": 2 }))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 200);
    client
        .post(format!("{base}/_sim/fail"))
        .json(&json!({ "failure": "overloaded" }))
        .send()
        .await
        .unwrap();
    let (status, body) = ask(&base, "Porto?").await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["details"][2]["retryDelay"], "2.5s");
    assert_eq!(ask(&base, "Porto?").await.0, 429);
    assert_eq!(ask(&base, "Porto?").await.0, 503);

    let cleared = client
        .delete(format!("{base}/_sim/rules"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    let (_, body) = ask(&base, "Porto?").await;
    assert_eq!(text(&body), "");

    let (status, requests) = read(
        client
            .get(format!("{base}/_sim/requests"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let requests = requests.as_array().unwrap();
    assert_eq!(requests.len(), 5, "control calls are not recorded");
    assert_eq!(
        requests[0]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "x-goog-api-key")
            .unwrap()[1],
        "<redacted>"
    );
}

#[test]
fn rules_and_failures_read_and_write_the_agreed_json() {
    use llm_sim::{Answer, Failure, Rule};
    use std::time::Duration;
    let failure: Failure =
        serde_json::from_value(json!({ "rate_limited": { "retry_delay_ms": 1500 } })).unwrap();
    assert_eq!(
        failure,
        Failure::RateLimited {
            retry_delay: Duration::from_millis(1500)
        }
    );
    assert_eq!(
        serde_json::to_value(Failure::Slow(Duration::from_secs(2))).unwrap(),
        json!({ "slow": 2000 })
    );
    assert_eq!(
        serde_json::to_value(Failure::DropConnection).unwrap(),
        json!("drop_connection")
    );
    let rule: Rule = serde_json::from_value(json!({ "pattern": "x", "answer": { "bot": {
        "reply": "hi", "confidence": 0.5, "needs_human": false, "reasons": ["r"] } } }))
    .unwrap();
    assert_eq!(
        rule.answer,
        Answer::Bot {
            reply: "hi".into(),
            confidence: 0.5,
            needs_human: false,
            reasons: vec!["r".into()]
        }
    );
}

#[tokio::test]
async fn the_scenario_header_picks_a_failure_for_one_request() {
    let sim = sim().await;
    let client = reqwest::Client::new();
    let url = format!(
        "{}/v1beta/models/{FLASH_LITE}:generateContent",
        sim.base_url()
    );
    let body = json!({ "contents": [{ "role": "user", "parts": [{ "text": "hi" }] }] });
    let send = |scenario: &str| {
        client
            .post(&url)
            .header("x-goog-api-key", GEMINI_KEY)
            .header(llm_sim::SCENARIO_HEADER, scenario)
            .json(&body)
            .send()
    };
    assert_eq!(send("overloaded").await.unwrap().status(), 503);
    let (status, answer) = read(
        send(r#"{"rate_limited":{"retry_delay_ms":250}}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(answer["error"]["details"][2]["retryDelay"], "0.25s");
    let (status, answer) = read(send("prompt_blocked").await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["promptFeedback"]["blockReason"],
        "PROHIBITED_CONTENT"
    );
    assert_eq!(send("no_such_failure").await.unwrap().status(), 400);
    // Without the header, nothing is queued: a normal answer.
    assert_eq!(ask(&sim.base_url(), "hi").await.0, 200);
}
