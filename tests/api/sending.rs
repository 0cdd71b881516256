//! Sending through the inbox, end to end: the API queues, the number's sender calls wa-sim (the emulated
//! Graph API) over HTTP, and wa-sim's signed status webhooks come back through the inbox's webhook.

use crate::helpers::{TestApp, APP_SECRET, PHONE_NUMBER_ID};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use wa_sim::{self as sim, SimConfig, SimHandle};

const CUSTOMER: &str = "447700900321";

/// An inbox and an emulator that know each other.
pub(crate) struct World {
    pub app: TestApp,
    pub sim: SimHandle,
}

pub(crate) fn sim_config() -> SimConfig {
    SimConfig {
        app_secret: APP_SECRET.into(),
        phone_number_id: PHONE_NUMBER_ID.into(),
        status_delay: Duration::from_millis(20),
        ..SimConfig::default()
    }
}

/// Settings that make the inbox send through the emulator, retrying quickly.
pub(crate) fn sending_settings(sim: &SimHandle) -> Vec<(&'static str, String)> {
    vec![
        ("WHATSAPP_TOKEN", sim.state.config.token.clone()),
        ("WHATSAPP_GRAPH_URL", sim.url()),
        (
            "WHATSAPP_BUSINESS_ACCOUNT_ID",
            sim.state.config.business_account_id.clone(),
        ),
        ("INBOX_SEND_RETRY_BASE_MS", "50".into()),
        ("INBOX_SEND_GAP_MS", "1".into()),
        ("WHATSAPP_GRAPH_TIMEOUT_SECS", "2".into()),
        (
            "INBOX_MEDIA_DIR",
            std::env::temp_dir()
                .join(format!("inbox-media-{}", uuid::Uuid::new_v4().simple()))
                .display()
                .to_string(),
        ),
    ]
}

/// Borrowed pairs, as `TestApp::spawn_with` takes them.
pub(crate) fn as_overrides<'a>(
    settings: &'a [(&'static str, String)],
) -> Vec<(&'static str, &'a str)> {
    settings.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

impl World {
    pub(crate) async fn start(config: SimConfig) -> World {
        let sim = sim::start(config, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("wa-sim starts");
        let settings = sending_settings(&sim);
        let overrides = as_overrides(&settings);
        let app = TestApp::spawn_with(&overrides).await;
        sim.set_inbox(app.url("/webhook/whatsapp"));
        World { app, sim }
    }

    /// A customer writes through the emulator; returns the conversation id and the message's wamid.
    pub(crate) async fn customer_writes(&self, text: &str) -> (String, String) {
        let (wamid, answer) = sim::webhooks::customer_writes(
            &self.sim.state,
            CUSTOMER,
            Some("Ann"),
            json!({"type": "text", "text": {"body": text}}),
        )
        .await;
        assert_eq!(answer, 200, "the inbox acknowledges the customer's message");
        self.app.settled().await;
        (format!("{PHONE_NUMBER_ID}-{CUSTOMER}"), wamid)
    }

    pub(crate) async fn send(
        &self,
        conversation: &str,
        body: Value,
    ) -> (reqwest::StatusCode, Value) {
        let response = self
            .app
            .client
            .post(
                self.app
                    .url(&format!("/api/v1/conversations/{conversation}/messages")),
            )
            .bearer_auth(crate::helpers::API_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The conversation's messages sent through the inbox, by id.
    pub(crate) async fn outbound(&self, conversation: &str) -> Vec<Value> {
        let page = self
            .app
            .get_ok(&format!(
                "/api/v1/conversations/{conversation}/messages?limit=200"
            ))
            .await;
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "outbound")
            .cloned()
            .collect()
    }

    /// Waits until the outbound messages satisfy `done` (a synchronisation point: it fails only when
    /// they never do).
    pub(crate) async fn until(
        &self,
        conversation: &str,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        for _ in 0..600 {
            let messages = self.outbound(conversation).await;
            if done(&messages) {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "never reached: {what}; messages: {:#}",
            Value::Array(self.outbound(conversation).await)
        );
    }

    pub(crate) fn sent_to_meta(&self) -> Vec<Value> {
        self.sim.state.world().sent.clone()
    }
}

fn text(body: &str) -> Value {
    json!({"content": {"kind": "text", "body": body}})
}

fn all_in(messages: &[Value], n: usize, status: &str) -> bool {
    messages.len() == n && messages.iter().all(|m| m["status"] == status)
}

async fn upload(
    app: &TestApp,
    bytes: &[u8],
    mime: &str,
    name: &str,
) -> (reqwest::StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec())
        .file_name(name.to_owned())
        .mime_str(mime)
        .unwrap();
    let response = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(crate::helpers::API_TOKEN)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_kind_of_message_is_sent_and_ends_read() {
    let w = World::start(sim_config()).await;
    let (conversation, customer_wamid) = w.customer_writes("Do you have the Speedmaster?").await;
    let (status, photo) = upload(
        &w.app,
        b"\xff\xd8\xff\xe0 a jpeg",
        "image/jpeg",
        "watch.jpg",
    )
    .await;
    assert_eq!(status, 201, "{photo}");
    let (_, invoice) = upload(
        &w.app,
        b"%PDF-1.4 invoice",
        "application/pdf",
        "invoice.pdf",
    )
    .await;
    let bodies = [
        json!({"content": {"kind": "text", "body": "Yes, here it is https://example.com", "preview_url": true}, "reply_to": customer_wamid}),
        json!({"content": {"kind": "image", "media_id": photo["id"], "caption": "Speedmaster 311.30"}}),
        json!({"content": {"kind": "document", "media_id": invoice["id"], "filename": "invoice.pdf"}}),
        json!({"content": {"kind": "audio", "link": "https://example.com/note.ogg"}}),
        json!({"content": {"kind": "video", "link": "https://example.com/wrist.mp4", "caption": "on the wrist"}}),
        json!({"content": {"kind": "sticker", "link": "https://example.com/thumbs.webp"}}),
        json!({"content": {"kind": "location", "latitude": 46.2, "longitude": 6.14, "name": "Shop"}}),
        json!({"content": {"kind": "contacts", "contacts": [{"name": {"formatted_name": "Watch desk"}, "phones": [{"phone": "+41 22 000 00 00"}]}]}}),
        json!({"content": {"kind": "reaction", "message_id": customer_wamid, "emoji": "👍"}}),
        json!({"content": {"kind": "template", "name": "hello_world", "language": "en_US",
               "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}]}}),
        json!({"content": {"kind": "buttons", "body": "Interested?", "buttons": [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}]}}),
        json!({"content": {"kind": "list", "body": "Pick a size", "button": "Sizes",
               "sections": [{"title": "Cases", "rows": [{"id": "39", "title": "39 mm"}, {"id": "42", "title": "42 mm", "description": "classic"}]}]}}),
        json!({"content": {"kind": "cta_url", "body": "See all photos", "display_text": "Open gallery", "url": "https://example.com/g"}}),
    ];
    for body in &bodies {
        let (status, queued) = w.send(&conversation, body.clone()).await;
        assert_eq!(status, 202, "{body}: {queued}");
        assert_eq!(queued["status"], "queued");
    }
    let messages = w
        .until(&conversation, "every message read", |m| {
            all_in(m, bodies.len(), "read")
        })
        .await;
    assert!(messages
        .iter()
        .all(|m| m["wamid"].as_str().is_some_and(|w| w.starts_with("wamid."))));

    let sent = w.sent_to_meta();
    let types: Vec<&str> = sent.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "text",
            "image",
            "document",
            "audio",
            "video",
            "sticker",
            "location",
            "contacts",
            "reaction",
            "template",
            "interactive",
            "interactive",
            "interactive"
        ]
    );
    assert!(sent
        .iter()
        .all(|b| b["to"] == CUSTOMER && b["messaging_product"] == "whatsapp"));
    assert_eq!(sent[0]["context"]["message_id"], customer_wamid.as_str());
    assert_eq!(sent[0]["text"]["preview_url"], true);
    // Files from the inbox were uploaded to Meta first, and sent by Meta's media id.
    let image_id = sent[1]["image"]["id"].as_str().expect("sent by id");
    assert_eq!(
        w.sim.state.world().media[image_id].bytes,
        b"\xff\xd8\xff\xe0 a jpeg"
    );
    assert_eq!(sent[1]["image"]["caption"], "Speedmaster 311.30");
    assert_eq!(sent[2]["document"]["filename"], "invoice.pdf");
    assert_eq!(sent[3]["audio"]["link"], "https://example.com/note.ogg");
    assert_eq!(sent[9]["template"]["language"]["code"], "en_US");
    assert_eq!(sent[10]["interactive"]["type"], "button");
    assert_eq!(
        sent[10]["interactive"]["action"]["buttons"][1]["reply"]["id"],
        "no"
    );
    assert_eq!(
        sent[11]["interactive"]["action"]["sections"][0]["rows"][1]["description"],
        "classic"
    );
    assert_eq!(
        sent[12]["interactive"]["action"]["parameters"]["url"],
        "https://example.com/g"
    );

    // The conversation shows the last message sent, and the audit trail every step of every message.
    let c = w
        .app
        .get_ok(&format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(c["last_message"]["direction"], "outbound");
    let types: Vec<String> = w.app.events().await.into_iter().map(|e| e.2).collect();
    for t in ["message.queued", "message.send_attempted", "message.sent"] {
        assert_eq!(
            types.iter().filter(|x| *x == t).count(),
            bodies.len(),
            "{t}"
        );
    }
}

#[tokio::test]
async fn statuses_out_of_order_and_twice_still_end_right() {
    let w = World::start(SimConfig {
        reorder: true,
        duplicates: true,
        ..sim_config()
    })
    .await;
    let (conversation, _) = w.customer_writes("hello").await;
    for i in 0..6 {
        let (status, _) = w.send(&conversation, text(&format!("reply {i}"))).await;
        assert_eq!(status, 202);
    }
    // Wait for every webhook wa-sim posted (sent, delivered, read and a duplicate per message).
    for _ in 0..600 {
        if w.sim
            .state
            .world()
            .webhooks
            .iter()
            .filter(|h| h.kind == "status")
            .count()
            == 6 * 4
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let posted = w.sim.state.world().webhooks.clone();
    assert!(posted.iter().all(|h| h.answer == 200), "{posted:?}");
    w.app.settled().await;
    let messages = w.outbound(&conversation).await;
    assert!(all_in(&messages, 6, "read"), "{messages:#?}");
    for m in &messages {
        let statuses: Vec<&String> = m["statuses"].as_object().unwrap().keys().collect();
        assert_eq!(statuses, ["delivered", "read", "sent"], "{m}");
    }
}

#[tokio::test]
async fn throttling_is_retried_until_it_succeeds() {
    let w = World::start(sim_config()).await;
    let (conversation, _) = w.customer_writes("hello").await;
    w.sim
        .state
        .world()
        .failures
        .push_back(serde_json::from_value(json!({"code": 130429, "times": 2})).unwrap());
    let (status, queued) = w.send(&conversation, text("after the rush")).await;
    assert_eq!(status, 202);
    let messages = w
        .until(&conversation, "the message is read", |m| {
            all_in(m, 1, "read")
        })
        .await;
    assert_eq!(messages[0]["id"], queued["message_id"]);
    assert_eq!(messages[0]["attempts"], 3);
    assert_eq!(w.sent_to_meta().len(), 1, "sent once");
    let steps: Vec<(String, Value)> = w
        .app
        .events()
        .await
        .into_iter()
        .filter(|e| {
            e.2.starts_with("message.")
                && e.2 != "message.received"
                && e.2 != "message.status_changed"
        })
        .map(|e| (e.2, e.3))
        .collect();
    let names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "message.queued",
            "message.send_attempted",
            "message.attempt_failed",
            "message.send_attempted",
            "message.attempt_failed",
            "message.send_attempted",
            "message.sent"
        ]
    );
    assert_eq!(steps[2].1["error"]["code"], 130429);
    assert_eq!(steps[2].1["error"]["kind"], "api");
}

#[tokio::test]
async fn outside_the_24_hour_window_meta_refuses_for_good_with_a_clear_reason() {
    let w = World::start(sim_config()).await;
    let (conversation, _) = w.customer_writes("hello").await;
    // Meta's clock and ours can disagree: Meta's 131047 must end the message, not be retried.
    w.sim
        .state
        .world()
        .failures
        .push_back(serde_json::from_value(json!({"code": 131047})).unwrap());
    let (status, _) = w.send(&conversation, text("are you still there?")).await;
    assert_eq!(status, 202);
    let messages = w
        .until(&conversation, "the message failed", |m| {
            all_in(m, 1, "failed")
        })
        .await;
    let failure = &messages[0]["failure"];
    assert_eq!(failure["code"], 131047);
    assert!(
        failure["remedy"].as_str().unwrap().contains("template"),
        "{failure}"
    );
    assert!(
        failure["details"].as_str().unwrap().contains("24 hours"),
        "{failure}"
    );
    assert_eq!(messages[0]["attempts"], 1, "not retried");
    assert!(w.sent_to_meta().is_empty());
}

/// Meta refuses a template whose parameters do not match the approved one (132000): the message fails
/// for good at the first attempt, saying why.
#[tokio::test]
async fn a_template_missing_its_parameters_fails_for_good_with_metas_reason() {
    let w = World::start(sim_config()).await;
    let (conversation, _) = w.customer_writes("hello").await;
    let (status, _) = w
        .send(
            &conversation,
            json!({"content": {"kind": "template", "name": "hello_world", "language": "en_US"}}),
        )
        .await;
    assert_eq!(status, 202);
    let messages = w
        .until(&conversation, "the template failed", |m| {
            all_in(m, 1, "failed")
        })
        .await;
    let failure = &messages[0]["failure"];
    assert_eq!(failure["code"], 132000, "{failure}");
    assert!(
        failure["details"]
            .as_str()
            .unwrap()
            .contains("expected number of params (1)"),
        "{failure}"
    );
    assert!(
        failure["remedy"].as_str().unwrap().contains("parameters"),
        "{failure}"
    );
    assert_eq!(messages[0]["attempts"], 1, "not retried");
    assert!(w.sent_to_meta().is_empty());
}

#[tokio::test]
async fn the_inbox_itself_refuses_free_form_messages_after_24_hours() {
    let w = World::start(sim_config()).await;
    let (wamid, answer) = sim::webhooks::customer_writes(
        &w.sim.state,
        CUSTOMER,
        Some("Ann"),
        json!({"type": "text", "text": {"body": "old"}, "timestamp": (chrono::Utc::now().timestamp() - 25 * 3600).to_string()}),
    )
    .await;
    assert_eq!(answer, 200, "{wamid}");
    w.app.settled().await;
    let conversation = format!("{PHONE_NUMBER_ID}-{CUSTOMER}");
    let (status, body) = w.send(&conversation, text("hello again")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "window_closed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("template"),
        "{body}"
    );
    let (status, _) = w
        .send(
            &conversation,
            json!({"content": {"kind": "template", "name": "hello_world", "language": "en_US"}}),
        )
        .await;
    assert_eq!(status, 202);
    assert!(
        w.outbound(&conversation)
            .await
            .iter()
            .all(|m| m["kind"] == "template"),
        "the refused message left no trace"
    );
}

/// A template reads in the inbox as the customer reads it: the approved text Meta lists for the business
/// account, with the parameters in place. One Meta does not list shows its name and parameters.
#[tokio::test]
async fn a_template_shows_its_text_with_its_parameters() {
    let w = World::start(sim_config()).await;
    let (conversation, _) = w.customer_writes("Is it still available?").await;
    let template = |name: &str| {
        json!({"content": {"kind": "template", "name": name, "language": "en_US",
               "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}]}})
    };
    let (status, _) = w.send(&conversation, template("hello_world")).await;
    assert_eq!(status, 202);
    w.app.settled().await;
    let shown = w.outbound(&conversation).await;
    assert_eq!(shown[0]["kind"], "template");
    assert_eq!(shown[0]["body"], "Hello Ann, thanks for your order.");
    let listed = w.app.get_ok("/api/v1/conversations").await;
    assert_eq!(
        listed["conversations"][0]["last_message"]["preview"],
        "Hello Ann, thanks for your order."
    );

    let (status, _) = w.send(&conversation, template("order_update")).await;
    assert_eq!(status, 202);
    w.app.settled().await;
    let shown = w.outbound(&conversation).await;
    assert_eq!(shown[1]["body"], "Template order_update (en_US): Ann");
}

#[tokio::test]
async fn bad_messages_are_refused_before_anything_is_queued() {
    let w = World::start(sim_config()).await;
    let (conversation, _) = w.customer_writes("hello").await;
    let cases = [
        (
            json!({"content": {"kind": "text", "body": ""}}),
            400,
            "invalid_message",
        ),
        (
            json!({"content": {"kind": "text", "body": "x".repeat(4097)}}),
            400,
            "invalid_message",
        ),
        (
            json!({"content": {"kind": "buttons", "body": "b", "buttons": []}}),
            400,
            "invalid_message",
        ),
        (
            json!({"content": {"kind": "image", "media_id": "0".repeat(64)}}),
            422,
            "unknown_media",
        ),
        (
            json!({"content": {"kind": "reaction", "message_id": "wamid.unknown", "emoji": "👍"}}),
            422,
            "unknown_message",
        ),
        (
            // Valid JSON that the event store cannot hold: the caller's input, not an outage (503).
            json!({"content": {"kind": "text", "body": "nul \u{0} inside"}}),
            422,
            "invalid_command",
        ),
        (
            json!({"content": {"kind": "carrier_pigeon"}}),
            400,
            "invalid_request",
        ),
        (
            json!({"content": {"kind": "text", "body": "hi"}, "reply_to": "wamid.elsewhere"}),
            422,
            "unknown_message",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = w.send(&conversation, body.clone()).await;
        assert_eq!(
            (got.as_u16(), answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}: {answer}"
        );
    }
    let (status, answer) = w.send("1122334455667-000", text("hi")).await;
    assert_eq!(
        (status.as_u16(), answer["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    // A file of a type WhatsApp does not take, and one too big for an image.
    let (status, answer) = upload(&w.app, b"MZ", "application/x-msdownload", "a.exe").await;
    assert_eq!(
        (status.as_u16(), answer["error"]["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let big = vec![0u8; 5 * 1024 * 1024 + 1];
    let (status, big) = upload(&w.app, &big, "image/png", "big.png").await;
    assert_eq!(status, 201);
    let (status, answer) = w
        .send(
            &conversation,
            json!({"content": {"kind": "image", "media_id": big["id"]}}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), answer["error"]["code"].as_str()),
        (422, Some("media_too_large"))
    );
    w.app.settled().await;
    assert!(w.outbound(&conversation).await.is_empty());
    let types: Vec<String> = w.app.events().await.into_iter().map(|e| e.2).collect();
    assert!(!types.iter().any(|t| t == "message.queued"));
    assert!(w.sent_to_meta().is_empty());
}

/// The limits the browser app reads are the ones sending enforces: at each limit a message is queued, one
/// past it is refused.
#[tokio::test]
async fn the_published_limits_are_the_ones_sending_enforces() {
    let w = World::start(sim_config()).await;
    let (conversation, _) = w.customer_writes("hello").await;
    let limits = w.app.get_ok("/api/v1/limits").await;
    let n = |v: &Value| v.as_u64().unwrap() as usize;
    let i = &limits["interactive"];
    let buttons = |count: usize, title_len: usize| {
        let buttons: Vec<Value> = (0..count)
            .map(|k| json!({"id": format!("b{k}"), "title": format!("{k}{}", "é".repeat(title_len - 1))}))
            .collect();
        json!({"content": {"kind": "buttons", "body": "Which one?", "buttons": buttons}})
    };
    let list = |rows: usize, title_len: usize| {
        let rows: Vec<Value> = (0..rows)
            .map(|k| json!({"id": format!("r{k}"), "title": format!("{k}{}", "x".repeat(title_len - 1))}))
            .collect();
        json!({"content": {"kind": "list", "body": "Pick", "button": "Menu", "sections": [{"rows": rows}]}})
    };
    let text_of = |len: usize| text(&"é".repeat(len));
    let cases = [
        (buttons(n(&i["buttons"]), n(&i["button_title"])), 202),
        (buttons(n(&i["buttons"]) + 1, 3), 400),
        (buttons(1, n(&i["button_title"]) + 1), 400),
        (list(n(&i["list_rows"]), n(&i["list_row_title"])), 202),
        (list(n(&i["list_rows"]) + 1, 3), 400),
        (list(1, n(&i["list_row_title"]) + 1), 400),
        (text_of(n(&limits["text"])), 202),
        (text_of(n(&limits["text"]) + 1), 400),
    ];
    for (body, status) in cases {
        let (got, answer) = w.send(&conversation, body.clone()).await;
        assert_eq!(got.as_u16(), status, "{answer}");
    }
    let image = limits["media"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "image")
        .unwrap();
    assert!(image["types"]
        .as_array()
        .unwrap()
        .contains(&json!("image/png")));
    let big = vec![0u8; n(&image["max_bytes"]) + 1];
    let (status, big) = upload(&w.app, &big, "image/png", "big.png").await;
    assert_eq!(status, 201);
    let (status, answer) = w
        .send(
            &conversation,
            json!({"content": {"kind": "image", "media_id": big["id"]}}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), answer["error"]["code"].as_str()),
        (422, Some("media_too_large"))
    );
}

#[tokio::test]
async fn an_idempotency_key_queues_a_retried_request_once() {
    let w = World::start(sim_config()).await;
    let (conversation, _) = w.customer_writes("hello").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let response = w
            .app
            .client
            .post(
                w.app
                    .url(&format!("/api/v1/conversations/{conversation}/messages")),
            )
            .bearer_auth(crate::helpers::API_TOKEN)
            .header("Idempotency-Key", "reply-1")
            .json(&text("only once"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        ids.push(response.json::<Value>().await.unwrap()["message_id"].clone());
    }
    assert!(ids.windows(2).all(|p| p[0] == p[1]));
    w.until(&conversation, "read", |m| all_in(m, 1, "read"))
        .await;
    assert_eq!(w.sent_to_meta().len(), 1);
}

#[tokio::test]
async fn messages_queued_before_a_restart_are_sent_after_it() {
    // First run: Meta cannot be reached, so the messages stay queued (retrying).
    let sim = sim::start(sim_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut settings = sending_settings(&sim);
    for (k, v) in settings.iter_mut() {
        match *k {
            "WHATSAPP_GRAPH_URL" => *v = dead.clone(),
            // Long enough that the retries are not used up before the restart.
            "INBOX_SEND_RETRY_BASE_MS" => *v = "1000".into(),
            _ => {}
        }
    }
    let overrides = as_overrides(&settings);
    let app = TestApp::spawn_with(&overrides).await;
    sim.set_inbox(app.url("/webhook/whatsapp"));
    let w = World { app, sim };
    let (conversation, _) = w.customer_writes("hello").await;
    for i in 0..3 {
        assert_eq!(
            w.send(&conversation, text(&format!("queued {i}"))).await.0,
            202
        );
    }
    // Messages to one customer go in order: the first is retried, the others wait behind it.
    let waiting = w
        .until(&conversation, "the first message tried", |m| {
            m.len() == 3 && m.iter().any(|m| m["status"] == "retrying")
        })
        .await;
    let status_of = |body: &str| {
        let message = waiting.iter().find(|m| m["body"] == body);
        message.map(|m| m["status"].clone())
    };
    assert_eq!(
        [
            status_of("queued 0"),
            status_of("queued 1"),
            status_of("queued 2")
        ],
        [
            Some(json!("retrying")),
            Some(json!("queued")),
            Some(json!("queued"))
        ],
        "{waiting:#?}"
    );
    assert!(waiting
        .iter()
        .all(|m| m["failure"].is_null() || m["status"] == "retrying"));
    let World { app, sim } = w;

    // Second run, Meta reachable again: everything queued is sent, once each.
    let settings = sending_settings(&sim);
    let overrides = as_overrides(&settings);
    let app = app.restart_with(&overrides).await;
    sim.set_inbox(app.url("/webhook/whatsapp"));
    let w = World { app, sim };
    let messages = w
        .until(&conversation, "every message read", |m| {
            all_in(m, 3, "read")
        })
        .await;
    // Meta received each once, in the order they were queued.
    let bodies: Vec<String> = w
        .sent_to_meta()
        .iter()
        .map(|b| b["text"]["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(bodies, ["queued 0", "queued 1", "queued 2"]);
    assert!(messages.iter().all(|m| m["failure"].is_null()));
}

#[tokio::test]
async fn a_number_without_an_access_token_cannot_send() {
    let app = TestApp::spawn().await;
    app.post_signed(&crate::helpers::messages_body(
        crate::helpers::contact(CUSTOMER, "Ann"),
        json!([crate::helpers::text_at(
            CUSTOMER,
            "wamid.a",
            "hi",
            chrono::Utc::now().timestamp() - 1_700_000_000
        )]),
    ))
    .await;
    app.settled().await;
    let (status, body) = app
        .api(
            Method::GET,
            &format!("/api/v1/conversations/{PHONE_NUMBER_ID}-{CUSTOMER}"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let response = app
        .client
        .post(app.url(&format!(
            "/api/v1/conversations/{PHONE_NUMBER_ID}-{CUSTOMER}/messages"
        )))
        .bearer_auth(crate::helpers::API_TOKEN)
        .json(&text("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "account_not_connected");
}

#[tokio::test]
async fn a_customers_photo_is_fetched_stored_and_served() {
    let w = World::start(sim_config()).await;
    let photo = b"\xff\xd8\xff\xe0 the customer's watch".to_vec();
    let media_id = w.sim.state.add_media(photo.clone(), "image/jpeg");
    let (wamid, answer) = sim::webhooks::customer_writes(
        &w.sim.state,
        CUSTOMER,
        Some("Ann"),
        json!({"type": "image", "image": {"id": media_id, "mime_type": "image/jpeg", "caption": "is it real?"}}),
    )
    .await;
    assert_eq!(answer, 200);
    // A file Meta no longer has (ids from webhooks expire after seven days).
    let (gone, _) = sim::webhooks::customer_writes(
        &w.sim.state,
        CUSTOMER,
        Some("Ann"),
        json!({"type": "image", "image": {"id": "7999999999999", "mime_type": "image/jpeg"}}),
    )
    .await;
    let conversation = format!("{PHONE_NUMBER_ID}-{CUSTOMER}");
    let mut messages = Vec::new();
    for _ in 0..600 {
        w.app.settled().await;
        let page = w
            .app
            .get_ok(&format!("/api/v1/conversations/{conversation}/messages"))
            .await;
        messages = page["messages"].as_array().unwrap().clone();
        if messages.len() == 2 && messages.iter().all(|m| m["media_state"] != "pending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = messages.iter().find(|m| m["id"] == wamid.as_str()).unwrap();
    assert_eq!(stored["media_state"], "stored", "{stored}");
    assert_eq!(stored["media_file"]["size"], photo.len());
    assert_eq!(stored["media_file"]["mime_type"], "image/jpeg");
    let url = stored["media_file"]["url"].as_str().unwrap();
    let failed = messages.iter().find(|m| m["id"] == gone.as_str()).unwrap();
    assert_eq!(failed["media_state"], "failed", "{failed}");
    assert_eq!(failed["media_file"]["error"]["code"], 100);

    let response = w
        .app
        .client
        .get(w.app.url(url))
        .bearer_auth(crate::helpers::API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(response.bytes().await.unwrap().as_ref(), photo.as_slice());
    let anonymous = w.app.client.get(w.app.url(url)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let (status, body) = w
        .app
        .api(Method::GET, "/api/v1/media/..%2F..%2Fetc%2Fpasswd")
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let types: Vec<String> = w.app.events().await.into_iter().map(|e| e.2).collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "message.media_stored")
            .count(),
        1
    );
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "message.media_failed")
            .count(),
        1
    );
}

#[tokio::test]
async fn reading_a_conversation_sends_a_read_receipt_to_meta() {
    let w = World::start(sim_config()).await;
    let (conversation, first) = w.customer_writes("one").await;
    let (_, last) = w.customer_writes("two").await;
    let (status, body) = w
        .app
        .api(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/read"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for _ in 0..600 {
        if !w.sim.state.world().read_receipts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Marking the latest message read marks the earlier ones read too.
    assert_eq!(w.sim.state.world().read_receipts, [last]);
    assert_ne!(first, w.sim.state.world().read_receipts[0]);
}

/// A test's files go to a folder of its own, never into the `media/` folder a real install uses (the
/// default of `INBOX_MEDIA_DIR`, relative to the working directory the tests run in).
#[tokio::test]
async fn a_test_apps_uploads_stay_in_its_own_folder() {
    let app = TestApp::spawn().await;
    let bytes = format!("%PDF-1.4 {}", uuid::Uuid::new_v4());
    let (status, media) = upload(&app, bytes.as_bytes(), "application/pdf", "quote.pdf").await;
    assert_eq!(status, 201, "{media}");
    let id = media["id"].as_str().unwrap();
    let stored = |root: &std::path::Path| root.join(&id[..2]).join(id);
    assert_eq!(
        std::fs::read(stored(&app.media_dir())).unwrap(),
        bytes.as_bytes()
    );
    assert!(!stored(std::path::Path::new("media")).exists());
}

#[tokio::test]
async fn an_upload_declared_larger_than_any_whatsapp_file_is_refused_before_it_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let request = format!(
        "POST /api/v1/media HTTP/1.1\r\nHost: inbox\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 200000000\r\n\r\n",
        crate::helpers::API_TOKEN
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
}

/// An agent writes first to a customer who never wrote: the typed number becomes the customer's
/// WhatsApp id, a template opens the conversation (Meta delivers nothing else outside the window), and
/// the conversation then lives like any other.
#[tokio::test]
async fn an_agent_writes_first_to_a_number_that_never_wrote() {
    let w = World::start(sim_config()).await;
    w.app.settled().await;
    let start = |account: &str, to: &str, content: Value| {
        let request = w
            .app
            .client
            .post(w.app.url("/api/v1/conversations"))
            .bearer_auth(crate::helpers::API_TOKEN)
            .json(&json!({ "account_id": account, "to": to, "content": content }));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let template = json!({"kind": "template", "name": "hello_world", "language": "en_US",
                          "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}]});

    // An impossible number, or one without its country (this number's own is not known), is refused.
    for to in ["+44 12", "call me", "07700 900456"] {
        let (status, body) = start(PHONE_NUMBER_ID, to, template.clone()).await;
        assert_eq!(status, 422, "{to}: {body}");
        assert_eq!(body["error"]["code"], "invalid_phone_number", "{to}");
    }
    // Free-form text cannot open a conversation.
    let (status, body) = start(
        PHONE_NUMBER_ID,
        "+44 7700 900456",
        json!({"kind": "text", "body": "hello"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "window_closed");
    // A number the caller cannot write from is not found.
    let (status, _) = start("999000999000", "+44 7700 900456", template.clone()).await;
    assert_eq!(status, 404);
    assert!(w.sent_to_meta().is_empty(), "nothing refused was sent");

    let (status, body) = start(PHONE_NUMBER_ID, "+44 7700 900456", template.clone()).await;
    assert_eq!(status, 202, "{body}");
    let conversation = format!("{PHONE_NUMBER_ID}-447700900456");
    assert_eq!(body["conversation_id"], conversation.as_str());
    assert_eq!(body["status"], "queued");
    w.app.settled().await;
    let messages = w
        .until(&conversation, "the template is delivered", |m| {
            all_in(m, 1, "delivered") || all_in(m, 1, "read")
        })
        .await;
    assert_eq!(messages[0]["body"], "Hello Ann, thanks for your order.");
    let sent = w.sent_to_meta();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["to"], "447700900456");
    assert_eq!(sent[0]["type"], "template");
    let listed = w.app.get_ok("/api/v1/conversations").await;
    assert_eq!(listed["conversations"][0]["id"], conversation.as_str());
}
