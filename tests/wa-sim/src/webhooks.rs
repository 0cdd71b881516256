//! Webhooks to the inbox, signed with the app secret exactly as Meta signs them: statuses of sent
//! messages, and customers' messages.

use super::{FailureRule, PostedWebhook, SimState};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::Arc;

/// The envelope of every `messages` webhook.
pub fn envelope(state: &SimState, value: Value) -> Value {
    let mut value = value;
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({
        "display_phone_number": state.config.display_phone_number,
        "phone_number_id": state.config.phone_number_id,
    });
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": state.config.business_account_id,
            "changes": [{ "field": "messages", "value": value }],
        }],
    })
}

fn now_seconds() -> String {
    chrono::Utc::now().timestamp().to_string()
}

/// A status webhook body.
pub fn status_body(
    state: &SimState,
    wamid: &str,
    recipient: &str,
    status: &str,
    errors: Option<Value>,
) -> Value {
    let mut report = json!({
        "id": wamid,
        "status": status,
        "timestamp": now_seconds(),
        "recipient_id": recipient,
    });
    if status == "sent" {
        report["pricing"] = json!({ "billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service" });
    }
    if let Some(errors) = errors {
        report["errors"] = errors;
    }
    envelope(state, json!({ "statuses": [report] }))
}

/// Posts a body to the inbox, signed. Returns the inbox's HTTP status (0 when unreachable or unset).
pub async fn post(state: &SimState, body: &Value) -> u16 {
    let Some(url) = state.inbox_webhook() else {
        return 0;
    };
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let signed = sign(state.config.app_secret.as_bytes(), &bytes);
    match state
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signed)
        .body(bytes)
        .send()
        .await
    {
        Ok(response) => response.status().as_u16(),
        Err(e) => {
            tracing::warn!(error = %e.without_url(), "wa-sim cannot reach the inbox");
            0
        }
    }
}

/// After a send: `sent`, `delivered` and `read` (or `failed` for a failure told to come later), each after
/// the configured delay, in order or shuffled, some twice when duplicates are on. Like Meta, it retries a
/// delivery the inbox did not acknowledge.
pub fn after_send(
    state: Arc<SimState>,
    wamid: String,
    recipient: String,
    failure: Option<FailureRule>,
) {
    tokio::spawn(async move {
        let mut statuses: Vec<(&str, Option<Value>)> = match &failure {
            Some(rule) => {
                let code = rule.code.unwrap_or(131026);
                let (_, title, details) = super::graph::describe(code);
                vec![
                    ("sent", None),
                    (
                        "failed",
                        Some(json!([{
                            "code": code,
                            "title": title,
                            "message": title,
                            "error_data": { "details": details },
                            "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                        }])),
                    ),
                ]
            }
            None => vec![("sent", None), ("delivered", None), ("read", None)],
        };
        if state.config.reorder {
            shuffle(&mut statuses);
        }
        if state.config.duplicates {
            let again = statuses[random_below(statuses.len())].clone();
            let at = random_below(statuses.len() + 1);
            statuses.insert(at, again);
        }
        for (status, errors) in statuses {
            tokio::time::sleep(state.config.status_delay).await;
            let body = status_body(&state, &wamid, &recipient, status, errors);
            let answer = deliver(&state, &body).await;
            state.world().webhooks.push(PostedWebhook {
                kind: "status".into(),
                wamid: wamid.clone(),
                status: Some(status.to_owned()),
                answer,
            });
        }
    });
}

/// Posts until the inbox answers 200, a few times with growing pauses, as Meta retries.
async fn deliver(state: &SimState, body: &Value) -> u16 {
    let mut pause = std::time::Duration::from_millis(200);
    let mut answer = 0;
    for _ in 0..5 {
        answer = post(state, body).await;
        if answer == 200 {
            break;
        }
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
    answer
}

/// A customer's message: `message` is Meta's message object (any type) without `from`, `id` and
/// `timestamp`, which are filled in. Returns the body and the message's wamid.
pub fn customer_body(
    state: &SimState,
    from: &str,
    name: Option<&str>,
    message: Value,
) -> (Value, String) {
    let wamid = format!(
        "wamid.SIMIN{:016}{}",
        state.next_id(),
        uuid::Uuid::new_v4().simple()
    );
    let mut message = message;
    message["from"] = json!(from);
    message["id"] = json!(wamid);
    if message.get("timestamp").is_none() {
        message["timestamp"] = json!(now_seconds());
    }
    let contact = json!({
        "profile": { "name": name.unwrap_or("Customer") },
        "wa_id": from,
    });
    let body = envelope(
        state,
        json!({ "contacts": [contact], "messages": [message] }),
    );
    (body, wamid)
}

/// Plays a customer writing: records the time (the 24-hour window) and posts the message.
pub async fn customer_writes(
    state: &SimState,
    from: &str,
    name: Option<&str>,
    message: Value,
) -> (String, u16) {
    let (body, wamid) = customer_body(state, from, name, message);
    state
        .world()
        .last_inbound
        .insert(from.to_owned(), chrono::Utc::now());
    let answer = post(state, &body).await;
    state.world().webhooks.push(PostedWebhook {
        kind: "message".into(),
        wamid: wamid.clone(),
        status: None,
        answer,
    });
    (wamid, answer)
}

fn random_below(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    (uuid::Uuid::new_v4().as_u128() % n as u128) as usize
}

fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, random_below(i + 1));
    }
}

/// `X-Hub-Signature-256` as Meta sends it: `sha256=` and the hex HMAC-SHA256 of the body under the app
/// secret. Written here rather than borrowed from the inbox, so the emulator checks the inbox's reading of it.
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
