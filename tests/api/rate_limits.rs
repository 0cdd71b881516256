//! `RATE_LIMIT_DEFAULT`, `RATE_LIMIT_AUTH` and `RATE_LIMIT_WEBHOOK`: past the rate, 429 (503 for Meta, so
//! it delivers again) with `Retry-After`, and nothing recorded; other callers are not slowed.

use crate::access::{call, create_user, PASSWORD};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in whole seconds")
}

async fn get(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/v1/conversations"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_user_past_the_api_rate_gets_429_and_others_keep_working() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_DEFAULT", "4/minute")]).await;
    create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
    let ann = crate::access::sign_in(&app, "ann@example.com").await;

    for _ in 0..4 {
        assert_eq!(get(&app, &ann).await.status(), 200);
    }
    let refused = get(&app, &ann).await;
    assert_eq!(refused.status(), 429);
    // One request every 15 s: the next is due within that.
    let wait = retry_after(&refused);
    assert!((1..=15).contains(&wait), "Retry-After {wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");

    // The operator's token has a bucket of its own (its create_user call took one token).
    assert_eq!(get(&app, API_TOKEN).await.status(), 200);

    // Refused credentials count against the client's address: a guesser is slowed to the same rate.
    for _ in 0..4 {
        assert_eq!(get(&app, "inbox_s_not-a-session").await.status(), 401);
    }
    assert_eq!(get(&app, "inbox_s_not-a-session").await.status(), 429);
    // And so do calls without any credentials, in the same bucket: this address has spent it.
    let anonymous = app
        .client
        .get(app.url("/api/v1/auth/setup"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 429);
    assert!(retry_after(&anonymous) >= 1);
}

#[tokio::test]
async fn sign_ins_past_the_auth_rate_get_429_even_with_the_right_password() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_AUTH", "3/minute")]).await;
    create_user(&app, "bob@example.com", json!([{"role": "agent"}])).await;
    let attempt = |password: &'static str| {
        let app = &app;
        async move {
            call(
                app,
                "POST",
                "/api/v1/auth/sign-in",
                None,
                &json!({"email": "bob@example.com", "password": password}),
            )
            .await
        }
    };
    assert_eq!(attempt("wrong-password-1").await.0, 401);
    assert_eq!(attempt("wrong-password-2").await.0, 401);
    assert_eq!(attempt(PASSWORD).await.0, 200);
    let (status, body) = attempt(PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("rate_limited"), "{body}");
    // API calls are not sign-ins: they keep their own limit.
    assert_eq!(app.api(Method::GET, "/api/v1/conversations").await.0, 200);
}

/// Above `RATE_LIMIT_WEBHOOK` the webhook answers 503, which Meta retries; the retried body is stored
/// once, and nothing of the refused delivery was recorded before.
#[tokio::test]
async fn webhook_deliveries_past_the_rate_get_503_and_the_redelivery_is_stored_once() {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_WEBHOOK", "1/3 seconds")]).await;
    let first = messages_body(
        contact("15550003333", "Cy"),
        json!([text(
            "15550003333",
            "wamid.rl1",
            "Is the GMT still available?"
        )]),
    );
    let second = messages_body(
        contact("15550003333", "Cy"),
        json!([text("15550003333", "wamid.rl2", "And the price?")]),
    );
    assert_eq!(app.post_signed(&first).await.status(), 200);
    let refused = app.post_signed(&second).await;
    assert_eq!(refused.status(), 503);
    assert!((1..=3).contains(&retry_after(&refused)));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert_eq!(app.health().await["webhook"]["bodies_not_stored"], 1);

    // Meta delivers the body again until it is taken.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = app.post_signed(&second).await.status();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(Instant::now() < deadline, "the redelivery was never taken");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    app.settled().await;
    let conversation = format!("{PHONE_NUMBER_ID}-15550003333");
    let messages = app
        .get_ok(&format!("/api/v1/conversations/{conversation}/messages"))
        .await;
    let texts: Vec<&str> = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert_eq!(texts.len(), 2, "{messages}");
    assert!(texts.contains(&"And the price?"), "{messages}");
}

#[tokio::test]
async fn cross_origin_calls_are_closed_by_default_and_opened_per_origin() {
    let preflight = |app: &TestApp, origin: &str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/conversations"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let closed = TestApp::spawn().await;
    let answer = preflight(&closed, "https://crm.example.com").await.unwrap();
    assert!(answer
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let open = TestApp::spawn_with(&[("CORS_ORIGINS", "https://crm.example.com")]).await;
    let answer = preflight(&open, "https://crm.example.com").await.unwrap();
    assert_eq!(answer.status(), 204);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        header(&answer, "access-control-allow-origin").as_deref(),
        Some("https://crm.example.com")
    );
    assert!(header(&answer, "access-control-allow-headers")
        .unwrap()
        .contains("authorization"));
    // The session cookie never crosses origins.
    assert_eq!(header(&answer, "access-control-allow-credentials"), None);

    let listed = open
        .client
        .get(open.url("/api/v1/conversations"))
        .header("origin", "https://crm.example.com")
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    assert_eq!(
        header(&listed, "access-control-allow-origin").as_deref(),
        Some("https://crm.example.com")
    );
    // Another origin's script gets nothing that lets its browser hand it the answer.
    let other = preflight(&open, "https://evil.example").await.unwrap();
    assert_eq!(header(&other, "access-control-allow-origin"), None);
    let other = open
        .client
        .get(open.url("/api/v1/conversations"))
        .header("origin", "https://evil.example")
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&other, "access-control-allow-origin"), None);
    // A header the API does not use is refused in the preflight, with a reason.
    let odd = open
        .client
        .request(Method::OPTIONS, open.url("/api/v1/conversations"))
        .header("origin", "https://crm.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-forged")
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), 403);
}
