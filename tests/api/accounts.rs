//! Several WhatsApp accounts on one install: managed through the API, each with its own Meta app secret
//! and verify token, their secrets encrypted at rest.

use crate::access::{call, OTHER_ACCOUNT};
use crate::helpers::*;
use inbox::http::signature;
use serde_json::{json, Value};

const SECRET_B: &str = "app-secret-of-the-second-app";
const VERIFY_B: &str = "verify-token-of-the-second-app";
const TOKEN_B: &str = "EAAG-plain-access-token-of-b";
const WABA_B: &str = "900000000000009";

async fn add_second_account(app: &TestApp) -> Value {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/accounts",
        Some(API_TOKEN),
        &json!({
            "phone_number_id": OTHER_ACCOUNT,
            "name": "Second shop",
            "business_account_id": WABA_B,
            "access_token": TOKEN_B,
            "verify_token": VERIFY_B,
            "app_secret": SECRET_B,
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn message_for(account: &str, wamid: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": account},
            "contacts": [{"wa_id": "15550000009", "profile": {"name": "Cy"}}],
            "messages": [{"from": "15550000009", "id": wamid, "timestamp": "1700000000", "type": "text",
                          "text": {"body": "hi"}}]
        }}]}]
    }))
    .unwrap()
}

async fn post(app: &TestApp, body: &[u8], secret: &str) -> u16 {
    app.post_webhook(body, Some(signature::sign(secret.as_bytes(), body)))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn two_accounts_receive_webhooks_signed_by_their_own_apps_and_nothing_else() {
    let app = TestApp::spawn().await;
    let account = add_second_account(&app).await;
    assert_eq!(account["name"], "Second shop");
    assert_eq!(account["has_app_secret"], true);

    assert_eq!(
        post(&app, &message_for(PHONE_NUMBER_ID, "wamid.a"), APP_SECRET).await,
        200
    );
    assert_eq!(
        post(&app, &message_for(OTHER_ACCOUNT, "wamid.b"), SECRET_B).await,
        200
    );
    // One app cannot write into the other's number, nor into both at once.
    assert_eq!(
        post(&app, &message_for(OTHER_ACCOUNT, "wamid.x"), APP_SECRET).await,
        401
    );
    assert_eq!(
        post(&app, &message_for(PHONE_NUMBER_ID, "wamid.y"), SECRET_B).await,
        401
    );
    let mut both: Value = serde_json::from_slice(&message_for(PHONE_NUMBER_ID, "wamid.z")).unwrap();
    let second: Value = serde_json::from_slice(&message_for(OTHER_ACCOUNT, "wamid.w")).unwrap();
    both["entry"]
        .as_array_mut()
        .unwrap()
        .push(second["entry"][0].clone());
    let both = serde_json::to_vec(&both).unwrap();
    assert_eq!(post(&app, &both, APP_SECRET).await, 401);
    assert_eq!(post(&app, &both, SECRET_B).await, 401);

    // A template review names only the business account: its account's app must have signed it.
    let review = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_B, "time": 1700000000, "changes": [{"field": "message_template_status_update",
            "value": {"event": "APPROVED", "message_template_id": 1, "message_template_name": "hello",
                      "message_template_language": "en"}}]}]
    }))
    .unwrap();
    assert_eq!(post(&app, &review, APP_SECRET).await, 401);
    assert_eq!(post(&app, &review, SECRET_B).await, 200);

    app.settled().await;
    let received: Vec<String> = app
        .webhook_events()
        .await
        .into_iter()
        .filter(|(_, _, kind, _)| kind == "message.received")
        .map(|(stream, _, _, payload)| {
            format!(
                "{stream} {}",
                payload["wamid"]
                    .as_str()
                    .or(payload["id"].as_str())
                    .unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        received.len(),
        2,
        "only the two rightly signed messages: {received:?}"
    );
    assert!(received[0].starts_with(&format!("conversation-{PHONE_NUMBER_ID}-")));
    assert!(received[1].starts_with(&format!("conversation-{OTHER_ACCOUNT}-")));

    // Meta's verification handshake matches either account's verify token.
    for token in [VERIFY_TOKEN, VERIFY_B] {
        let response = app
            .client
            .get(app.url(&format!(
                "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=42"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "42");
    }
    let response = app
        .client
        .get(app.url("/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn tokens_and_secrets_are_encrypted_at_rest_never_returned_and_need_the_master_key() {
    let app = TestApp::spawn().await;
    add_second_account(&app).await;
    assert!(app.state.outbox.can_send(OTHER_ACCOUNT));
    app.settled().await;

    let pool = app.db.pool().await;
    let everything: Vec<String> = sqlx::query_scalar(
        "select payload::text from events union all select to_jsonb(a)::text from inbox_accounts a",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    let everything = everything.join("\n");
    for secret in [TOKEN_B, SECRET_B, VERIFY_B, APP_SECRET, VERIFY_TOKEN] {
        assert!(
            !everything.contains(secret),
            "{secret} is readable in the database"
        );
    }
    assert!(everything.contains("ciphertext"));
    let (status, body) = call(
        &app,
        "GET",
        "/api/v1/accounts",
        Some(API_TOKEN),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    for secret in [TOKEN_B, SECRET_B, VERIFY_B, APP_SECRET] {
        assert!(!body.contains(secret));
    }

    // After a restart the secrets open again from the database...
    let app = app.restart_with(&[]).await;
    assert!(app.state.outbox.can_send(OTHER_ACCOUNT));
    assert_eq!(
        post(&app, &message_for(OTHER_ACCOUNT, "wamid.b2"), SECRET_B).await,
        200
    );
    // ...but not under another master key: the account can neither send nor receive.
    let other_key = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    let app = app.restart_with(&[("INBOX_MASTER_KEY", other_key)]).await;
    assert!(!app.state.outbox.can_send(OTHER_ACCOUNT));
    assert_eq!(
        post(&app, &message_for(OTHER_ACCOUNT, "wamid.b3"), SECRET_B).await,
        401
    );
    // The environment's own account is sealed again under the new key at start, and keeps working.
    assert_eq!(
        post(&app, &message_for(PHONE_NUMBER_ID, "wamid.a3"), APP_SECRET).await,
        200
    );
}

#[tokio::test]
async fn accounts_are_changed_through_the_api_except_what_the_environment_sets() {
    let app = TestApp::spawn().await;
    assert!(!app.state.outbox.can_send(PHONE_NUMBER_ID));
    let path = format!("/api/v1/accounts/{PHONE_NUMBER_ID}");
    let (status, body) = call(
        &app,
        "PATCH",
        &path,
        Some(API_TOKEN),
        &json!({"access_token": "EAAG-token-set-later", "name": "Main"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let account: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            account["name"].as_str(),
            account["has_access_token"].as_bool()
        ),
        (Some("Main"), Some(true))
    );
    assert!(app.state.outbox.can_send(PHONE_NUMBER_ID));

    let (status, body) = call(
        &app,
        "PATCH",
        &path,
        Some(API_TOKEN),
        &json!({"app_secret": "another-secret"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("set_by_environment"));
    let (status, _) = call(
        &app,
        "PATCH",
        &path,
        Some(API_TOKEN),
        &json!({"access_token": "short"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/accounts",
        Some(API_TOKEN),
        &json!({"phone_number_id": PHONE_NUMBER_ID}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/accounts",
        Some(API_TOKEN),
        &json!({"phone_number_id": "not-digits"}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &app,
        "PATCH",
        "/api/v1/accounts/999",
        Some(API_TOKEN),
        &json!({"name": "x"}),
    )
    .await;
    assert_eq!(status, 404);

    // Removing the token (an empty string) stops sending; the change names who made it.
    let (status, _) = call(
        &app,
        "PATCH",
        &path,
        Some(API_TOKEN),
        &json!({"access_token": ""}),
    )
    .await;
    assert_eq!(status, 200);
    assert!(!app.state.outbox.can_send(PHONE_NUMBER_ID));
    let pool = app.db.pool().await;
    let causes: Vec<Value> = sqlx::query_scalar(
        "select metadata from events where stream_id = $1 order by stream_version",
    )
    .bind(format!("account-{PHONE_NUMBER_ID}"))
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(causes.len(), 3, "{causes:?}");
    assert_eq!(
        causes[2]["caused_by"],
        json!({"kind": "user", "user_id": "api-token"})
    );
}
