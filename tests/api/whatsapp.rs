//! Managing the number through the inbox API, against wa-sim: profile, templates, phone numbers,
//! registration, webhook subscription, token debugging; Meta's refusals and failures; the token CLI.

use crate::helpers::{TestApp, API_TOKEN, PHONE_NUMBER_ID};
use crate::sending::{sim_config, World};
use reqwest::Method;
use serde_json::{json, Value};
use std::process::{Command, Stdio};

async fn call(w: &World, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = w
        .app
        .client
        .request(
            method,
            w.app
                .url(&format!("/api/v1/accounts/{PHONE_NUMBER_ID}{path}")),
        )
        .bearer_auth(API_TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn fail(w: &World, rule: Value) {
    w.sim
        .state
        .world()
        .failures
        .push_back(serde_json::from_value(rule).unwrap());
}

#[tokio::test]
async fn the_business_profile_is_read_and_changed() {
    let w = World::start(sim_config()).await;
    let (status, profile) = call(&w, Method::GET, "/profile", None).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["vertical"], "RETAIL");
    let (status, profile) = call(
        &w,
        Method::PATCH,
        "/profile",
        Some(json!({"about": "Vintage watches, serviced", "websites": ["https://shop.example"]})),
    )
    .await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["about"], "Vintage watches, serviced");
    assert_eq!(
        profile["email"], "shop@example.com",
        "untouched fields stay"
    );
    let (status, body) = call(
        &w,
        Method::PATCH,
        "/profile",
        Some(json!({"about": "x".repeat(140)})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_profile"))
    );
    // Meta failing is not the caller's fault: 502 with Meta's error.
    fail(&w, json!({"code": 1, "path": "/whatsapp_business_profile"}));
    let (status, body) = call(&w, Method::GET, "/profile", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("meta_unavailable")),
        "{body}"
    );
}

#[tokio::test]
async fn templates_are_listed_created_refused_and_deleted() {
    let w = World::start(sim_config()).await;
    let (status, list) = call(&w, Method::GET, "/templates", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["templates"][0]["name"], "hello_world");
    assert_eq!(list["templates"][0]["status"], "APPROVED");
    let template = json!({
        "name": "order_ready", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}, your watch is ready.", "example": {"body_text": [["Ann"]]}}]
    });
    let (status, created) = call(&w, Method::POST, "/templates", Some(template.clone())).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["status"], "PENDING");
    // Meta refuses a second template of that name and language: 422 with Meta's code and details.
    let (status, body) = call(&w, Method::POST, "/templates", Some(template)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("meta_refused")),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["code"], 100);
    assert!(body["error"]["details"]["trace_id"].as_str().is_some());
    // Refused before Meta sees it.
    let (status, body) = call(
        &w,
        Method::POST,
        "/templates",
        Some(
            json!({"name": "Bad Name", "language": "en", "category": "UTILITY", "components": []}),
        ),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_template"))
    );
    let (status, list) = call(&w, Method::GET, "/templates?status=PENDING", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["templates"].as_array().unwrap().len(), 1);
    let (status, _) = call(&w, Method::DELETE, "/templates/order_ready", None).await;
    assert_eq!(status, 200);
    let (_, list) = call(&w, Method::GET, "/templates?name=order_ready", None).await;
    assert!(list["templates"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_number_is_inspected_registered_and_verified() {
    let w = World::start(sim_config()).await;
    let (status, number) = call(&w, Method::GET, "/phone-number", None).await;
    assert_eq!(status, 200, "{number}");
    assert_eq!(number["quality_rating"], "GREEN");
    assert_eq!(number["throughput"]["level"], "STANDARD");
    let (status, list) = call(&w, Method::GET, "/phone-numbers", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["phone_numbers"][0]["id"], PHONE_NUMBER_ID);
    assert_eq!(call(&w, Method::POST, "/deregister", None).await.0, 200);
    let (_, number) = call(&w, Method::GET, "/phone-number", None).await;
    assert_eq!(number["status"], "DISCONNECTED");
    let (status, body) = call(&w, Method::POST, "/register", Some(json!({"pin": "12"}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    assert_eq!(
        call(
            &w,
            Method::POST,
            "/register",
            Some(json!({"pin": "123456"}))
        )
        .await
        .0,
        200
    );
    let (_, number) = call(&w, Method::GET, "/phone-number", None).await;
    assert_eq!(number["status"], "CONNECTED");
    assert_eq!(
        call(
            &w,
            Method::POST,
            "/verification-code",
            Some(json!({"method": "SMS"}))
        )
        .await
        .0,
        200
    );
    let (status, _) = call(
        &w,
        Method::POST,
        "/verification-code",
        Some(json!({"method": "PIGEON"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        call(
            &w,
            Method::POST,
            "/verification-code/verify",
            Some(json!({"code": "654321"}))
        )
        .await
        .0,
        200
    );
    let (status, account) = call(&w, Method::GET, "/business-account", None).await;
    assert_eq!(status, 200);
    assert_eq!(account["currency"], "USD");
}

#[tokio::test]
async fn the_webhook_subscription_is_checked_for_this_app() {
    let w = World::start(sim_config()).await;
    let (status, sub) = call(&w, Method::GET, "/subscription", None).await;
    assert_eq!(status, 200, "{sub}");
    assert!(sub["apps"].as_array().unwrap().is_empty());
    // Meta's own rule: an override needs the plain subscription first.
    let (status, body) = call(
        &w,
        Method::PUT,
        "/subscription",
        Some(json!({"override_callback_uri": "https://x.example/webhook", "verify_token": "v"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("meta_refused")),
        "{body}"
    );
    assert_eq!(
        call(&w, Method::PUT, "/subscription", Some(json!({})))
            .await
            .0,
        200
    );
    let (_, sub) = call(&w, Method::GET, "/subscription", None).await;
    assert_eq!(
        sub["apps"][0]["whatsapp_business_api_data"]["id"],
        w.sim.state.config.app_id.as_str()
    );
    assert_eq!(call(&w, Method::DELETE, "/subscription", None).await.0, 200);
    let (_, sub) = call(&w, Method::GET, "/subscription", None).await;
    assert!(sub["apps"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_token_is_described_never_returned_and_an_expired_one_says_what_to_do() {
    let w = World::start(sim_config()).await;
    let (status, info) = call(&w, Method::GET, "/token", None).await;
    // META_APP_ID is not set in the tests' settings.
    assert_eq!(
        (status, info["error"]["code"].as_str()),
        (409, Some("app_not_configured"))
    );
    let settings = crate::sending::sending_settings(&w.sim);
    let mut overrides = crate::sending::as_overrides(&settings);
    overrides.push(("META_APP_ID", w.sim.state.config.app_id.as_str()));
    let app = TestApp::spawn_with(&overrides).await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/accounts/{PHONE_NUMBER_ID}/token")))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let info: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(info["is_valid"], true);
    assert_eq!(info["expires_at"], 0);
    assert!(info["scopes"]
        .as_array()
        .unwrap()
        .contains(&json!("whatsapp_business_messaging")));
    assert!(
        !text.contains(&w.sim.state.config.token),
        "the token never leaves the server"
    );

    fail(
        &w,
        json!({"code": 190, "path": "/whatsapp_business_profile"}),
    );
    let (status, body) = call(&w, Method::GET, "/profile", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("meta_refused"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("WHATSAPP_TOKEN"),
        "{body}"
    );
}

#[tokio::test]
async fn numbers_the_inbox_cannot_manage_say_why() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .api(
            Method::GET,
            &format!("/api/v1/accounts/{PHONE_NUMBER_ID}/profile"),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (409, Some("account_not_connected"))
    );
    let (status, _) = app.api(Method::GET, "/api/v1/accounts/999/profile").await;
    assert_eq!(status, 404);
    let (status, _) = app
        .client
        .get(app.url(&format!("/api/v1/accounts/{PHONE_NUMBER_ID}/profile")))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, 401);
    // With a token but no business account id: templates cannot be found.
    let sim = wa_sim::start(sim_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let app = TestApp::spawn_with(&[
        ("WHATSAPP_TOKEN", "sim-token"),
        ("WHATSAPP_GRAPH_URL", &sim.url()),
    ])
    .await;
    let (status, body) = app
        .api(
            Method::GET,
            &format!("/api/v1/accounts/{PHONE_NUMBER_ID}/templates"),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (409, Some("business_account_not_configured"))
    );
}

#[tokio::test]
async fn the_token_cli_exchanges_and_generates_without_logging_secrets() {
    let sim = wa_sim::start(sim_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let config = &sim.state.config;
    let mut child = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .args(["token", "exchange"])
        .env("META_APP_ID", &config.app_id)
        .env("META_APP_SECRET", &config.app_secret)
        .env("INBOX_MASTER_KEY", crate::helpers::MASTER_KEY)
        .env("WHATSAPP_GRAPH_URL", sim.url())
        .env("RUST_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "{}", config.token).unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stdout.trim(),
        config.token,
        "the long-lived token alone, on standard output"
    );
    assert!(stderr.contains("expires_in_days=59"), "{stderr}");
    assert!(
        !stderr.contains(&config.token) && !stderr.contains(&config.app_secret),
        "{stderr}"
    );

    let wrong = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .args(["token", "exchange", "--short-lived-token", "not-a-token"])
        .env("META_APP_ID", &config.app_id)
        .env("META_APP_SECRET", "wrong-secret")
        .env("INBOX_MASTER_KEY", crate::helpers::MASTER_KEY)
        .env("WHATSAPP_GRAPH_URL", sim.url())
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(!stderr.contains("wrong-secret"), "{stderr}");

    let generate = || {
        let out = Command::new(env!("CARGO_BIN_EXE_inbox"))
            .args(["token", "generate-verify"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let (a, b) = (generate(), generate());
    assert_eq!(a.len(), 64);
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a, b);
}
