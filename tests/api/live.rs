//! Live updates over Server-Sent Events.

use crate::helpers::*;
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

const ALICE: &str = "447700900001";

/// One received SSE event.
#[derive(Debug, Clone)]
pub(crate) struct Sse {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Value,
}

pub(crate) struct SseClient {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl SseClient {
    async fn connect(app: &TestApp, last_event_id: Option<&str>) -> SseClient {
        Self::connect_as(app, API_TOKEN, last_event_id).await
    }

    pub(crate) async fn connect_as(
        app: &TestApp,
        token: &str,
        last_event_id: Option<&str>,
    ) -> SseClient {
        let mut request = app.client.get(app.url("/api/v1/stream")).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        SseClient {
            stream: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next event (comments and keep-alives skipped). Gives up after a minute so a broken stream
    /// fails the test instead of hanging it.
    pub(crate) async fn next(&mut self) -> Sse {
        self.next_or_end().await.expect("stream open")
    }

    /// The next event, or `None` when the server ended the stream.
    pub(crate) async fn next_or_end(&mut self) -> Option<Sse> {
        tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut sse = Sse {
                        id: None,
                        event: None,
                        data: Value::Null,
                    };
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(v) = line.strip_prefix("id:") {
                            sse.id = Some(v.trim().to_owned());
                        } else if let Some(v) = line.strip_prefix("event:") {
                            sse.event = Some(v.trim().to_owned());
                        } else if let Some(v) = line.strip_prefix("data:") {
                            data.push_str(v.trim());
                        }
                    }
                    if data.is_empty() {
                        continue;
                    }
                    sse.data = serde_json::from_str(&data).unwrap();
                    // An event without a name is a `message` event (the SSE default).
                    sse.event.get_or_insert_with(|| "message".to_owned());
                    return Some(sse);
                }
                let chunk = match self.stream.next().await {
                    Some(Ok(chunk)) => chunk,
                    Some(Err(_)) | None => return None,
                };
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .expect("an event arrives, or the stream ends, within a minute")
    }
}

#[tokio::test]
async fn changes_arrive_after_the_view_shows_them_and_resume_without_gaps() {
    let app = TestApp::spawn().await;
    app.settled().await;
    let mut client = SseClient::connect(&app, None).await;

    app.post_signed(&messages_body(
        contact(ALICE, "Alice"),
        json!([text(ALICE, "wamid.1", "hello")]),
    ))
    .await;
    // The profile, then the message.
    let first = client.next().await;
    assert_eq!(first.event.as_deref(), Some("conversation"));
    assert_eq!(first.data["event_type"], "contact.profile_seen");
    let second = client.next().await;
    assert_eq!(second.event.as_deref(), Some("message"));
    assert_eq!(second.data["message_id"], "wamid.1");
    assert_eq!(
        second.data["conversation_id"],
        format!("{PHONE_NUMBER_ID}-{ALICE}")
    );
    assert_eq!(
        second.id.as_deref().unwrap(),
        second.data["position"].to_string()
    );
    // Told about it, a client reads it at once.
    let page = app
        .get_ok(&format!(
            "/api/v1/conversations/{PHONE_NUMBER_ID}-{ALICE}/messages"
        ))
        .await;
    assert_eq!(page["messages"][0]["id"], "wamid.1");
    drop(client);

    // While disconnected, more happens; reconnecting with the last id gets exactly that.
    let last_id = second.id.unwrap();
    app.post_signed(&messages_body(
        json!([]),
        json!([
            text_at(ALICE, "wamid.2", "two", 1),
            text_at(ALICE, "wamid.3", "three", 2)
        ]),
    ))
    .await;
    app.post_signed(&statuses_body(json!([{"id": "wamid.out", "status": "sent", "timestamp": "1700000100", "recipient_id": ALICE}])))
        .await;
    app.settled().await;
    let mut resumed = SseClient::connect(&app, Some(&last_id)).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(
            resumed.next().await.data["message_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(got, ["wamid.2", "wamid.3", "wamid.out"]);

    // And it stays live.
    app.api(
        reqwest::Method::PUT,
        &format!("/api/v1/conversations/{PHONE_NUMBER_ID}-{ALICE}/favourite"),
    )
    .await;
    let favourite = resumed.next().await;
    assert_eq!(favourite.data["event_type"], "conversation.favourite_set");
}

#[tokio::test]
async fn the_stream_requires_the_token_and_a_valid_last_event_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = app
        .client
        .get(app.url("/api/v1/stream"))
        .bearer_auth(API_TOKEN)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_last_event_id");
}

#[tokio::test]
async fn health_reports_each_projection() {
    let app = TestApp::spawn().await;
    app.post_signed(&messages_body(
        json!([]),
        json!([text(ALICE, "wamid.1", "hello")]),
    ))
    .await;
    app.settled().await;
    let health = app.health().await;
    let projections = health["projections"].as_array().unwrap();
    let names: Vec<&str> = projections
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "inbox",
            "contacts",
            "accounts",
            "rbac",
            "listings",
            "search",
            "bot",
            "workspace",
            "reports"
        ]
    );
    for p in projections {
        assert_eq!(p["state"], "live", "{p}");
        assert_eq!(p["failures"], 0);
        assert!(p["position"].as_u64().unwrap() > 0);
    }
}
