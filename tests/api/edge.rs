//! The HTTP edge, through real sockets: connection cap and timeouts (slow, idle and trickling clients), body
//! limits by route, JSON depth, how media files are served, and the security headers of every response.

use crate::helpers::{TestApp, API_TOKEN, PHONE_NUMBER_ID, VERIFY_TOKEN};
use crate::sending::{sim_config, World};
use serde_json::{json, Value};
use sha2::Digest;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wa_sim as sim;

/// An upper bound for waits that end on an event (a close, an answer): reached only when the event never
/// comes.
const NEVER: Duration = Duration::from_secs(30);

/// Reads until the server closes the connection; returns what it sent. A reset counts as a close.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(NEVER, async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server kept the connection open; it sent {:?}",
        String::from_utf8_lossy(&received)
    );
    received
}

/// Sends `request` on a new connection and returns everything the server sent until it closed it.
async fn exchange(app: &TestApp, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(app.address).await.unwrap();
    stream.write_all(request).await.unwrap();
    String::from_utf8_lossy(&read_until_closed(&mut stream).await).into_owned()
}

async fn health_answers(app: &TestApp) {
    let client = reqwest::Client::builder().timeout(NEVER).build().unwrap();
    let response = client.get(app.url("/health")).send().await;
    let status = response.map(|r| r.status().as_u16());
    assert!(matches!(status, Ok(200)), "/health: {status:?}");
}

#[tokio::test]
async fn past_the_connection_cap_idle_connections_make_room_and_health_still_answers() {
    const CAP: usize = 50;
    const IDLE: usize = 300;
    // Timeouts far beyond the test: only the cap can close these connections.
    let app = TestApp::spawn_with(&[
        ("INBOX_HTTP_MAX_CONNECTIONS", "50"),
        ("INBOX_HTTP_HEADER_TIMEOUT_SECS", "3600"),
        ("INBOX_HTTP_IDLE_TIMEOUT_SECS", "3600"),
    ])
    .await;
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(app.address).await.unwrap());
    }
    // Connected after all of them, so accepted after all of them.
    health_answers(&app).await;
    let reads = idle.iter_mut().map(|stream| async move {
        let mut byte = [0u8; 1];
        // An open connection never answers here: it sent no request.
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte)).await;
        matches!(read, Ok(Ok(0)) | Ok(Err(_)))
    });
    let closed = futures::future::join_all(reads)
        .await
        .into_iter()
        .filter(|closed| *closed)
        .count();
    assert!(
        closed >= IDLE - CAP,
        "{closed} of {IDLE} idle connections were closed; at most {CAP} may stay open"
    );
    // And the oldest went first: the first connection is among the closed.
    let mut byte = [0u8; 1];
    assert!(matches!(
        tokio::time::timeout(NEVER, idle[0].read(&mut byte)).await,
        Ok(Ok(0)) | Ok(Err(_))
    ));
    health_answers(&app).await;
}

#[tokio::test]
async fn a_silent_connection_a_trickled_head_and_an_idle_kept_alive_connection_are_closed() {
    let app = TestApp::spawn_with(&[
        ("INBOX_HTTP_HEADER_TIMEOUT_SECS", "1"),
        ("INBOX_HTTP_IDLE_TIMEOUT_SECS", "2"),
    ])
    .await;

    // Opens and says nothing.
    let mut silent = TcpStream::connect(app.address).await.unwrap();
    assert!(read_until_closed(&mut silent).await.is_empty());

    // Slowloris: a header line every 100 ms, for ever; the server must cut it before the head ends.
    let mut slow = TcpStream::connect(app.address).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: inbox\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = slow.split();
    let trickle = async {
        for i in 0.. {
            let line = format!("X-Slow-{i}: 1\r\n");
            if writer.write_all(line.as_bytes()).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let mut received = Vec::new();
    let closed = async {
        let mut buf = [0u8; 1024];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    };
    let cut = tokio::time::timeout(NEVER, async {
        tokio::select! {
            () = closed => {},
            () = trickle => {},
        }
    })
    .await;
    assert!(cut.is_ok(), "a trickled head was never cut");
    assert!(
        received.is_empty(),
        "a request whose head never ended was answered: {}",
        String::from_utf8_lossy(&received)
    );

    // One request answered, then nothing: closed after the idle timeout.
    let answered = exchange(
        &app,
        b"GET /health HTTP/1.1\r\nHost: inbox\r\nConnection: keep-alive\r\n\r\n",
    )
    .await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");

    // Through all this, others are served.
    health_answers(&app).await;
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_answered_408() {
    let app = TestApp::spawn_with(&[("INBOX_HTTP_BODY_TIMEOUT_SECS", "1")]).await;
    let answer = exchange(
        &app,
        b"POST /api/v1/auth/sign-in HTTP/1.1\r\nHost: inbox\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"email\":",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");

    // The media upload streams its body; it may not pause longer either.
    let upload = format!(
        "POST /api/v1/media HTTP/1.1\r\nHost: inbox\r\nAuthorization: Bearer {API_TOKEN}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n\
         --x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.4"
    );
    let answer = exchange(&app, upload.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    let uploads: i64 = sqlx::query_scalar("select count(*) from media_uploads")
        .fetch_one(&app.db.pool().await)
        .await
        .unwrap();
    assert_eq!(uploads, 0);
}

#[tokio::test]
async fn sign_in_and_setup_take_64_kib_declared_or_chunked_and_media_still_takes_megabytes() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/auth/sign-in", "/api/v1/auth/setup"] {
        // Declared: refused from the head alone, before a byte of the body is sent.
        let answer = exchange(
            &app,
            format!(
                "POST {path} HTTP/1.1\r\nHost: inbox\r\nContent-Type: application/json\r\n\
                 Content-Length: 65537\r\n\r\n"
            )
            .as_bytes(),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.contains("payload_too_large"), "{path}: {answer}");

        // Chunked: cut at the limit, 413 rather than a parse error.
        let padding = "x".repeat(80 * 1024);
        let body = json!({"email": "a@example.com", "password": padding, "name": "A"}).to_string();
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
            .into_bytes()
            .chunks(4096)
            .map(|c| Ok(c.to_vec()))
            .collect();
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "payload_too_large");
    }
    // Just under the limit is read and judged by the route.
    let under = json!({"email": "a@example.com", "password": "x".repeat(60 * 1024)});
    let response = app
        .client
        .post(app.url("/api/v1/auth/sign-in"))
        .json(&under)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let file = vec![b'%'; 3 * 1024 * 1024];
    let part = reqwest::multipart::Part::bytes(file)
        .file_name("big.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let response = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(API_TOKEN)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let media: Value = response.json().await.unwrap();
    assert_eq!(media["size"], 3 * 1024 * 1024);
}

/// A template whose first body parameter carries a field nested `arrays` deep.
fn template_nested(arrays: usize) -> String {
    let nested = format!("{}{}", "[".repeat(arrays), "]".repeat(arrays));
    format!(
        r#"{{"content": {{"kind": "template", "name": "hello_world", "language": "en_US",
             "components": [{{"type": "body", "parameters": [{{"type": "text", "text": "Ann", "x": {nested}}}]}}]}}}}"#
    )
}

/// How deep a JSON text nests (up to serde_json's limit of 128).
fn depth(text: &str) -> usize {
    fn of(value: &Value) -> usize {
        match value {
            Value::Array(items) => 1 + items.iter().map(of).max().unwrap_or(0),
            Value::Object(map) => 1 + map.values().map(of).max().unwrap_or(0),
            _ => 0,
        }
    }
    of(&serde_json::from_str(text).unwrap())
}

#[tokio::test]
async fn json_nested_deeper_than_48_is_refused_before_any_handler_and_nothing_is_stored() {
    let w = World::start(sim_config()).await;
    let (conversation, _) = w.customer_writes("hello").await;
    let send = |body: String| {
        let request = w
            .app
            .client
            .post(
                w.app
                    .url(&format!("/api/v1/conversations/{conversation}/messages")),
            )
            .bearer_auth(API_TOKEN)
            .header("content-type", "application/json")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let before = w.app.events().await.len();
    // The reproduction: 121 arrays deep.
    for arrays in [121, 43] {
        let body = template_nested(arrays);
        assert!(depth(&body) > 48);
        let (status, answer) = send(body).await;
        assert_eq!(status, 400, "{arrays}: {answer}");
        assert_eq!(answer["error"]["code"], "too_deep");
    }
    assert_eq!(
        w.app.events().await.len(),
        before,
        "a refused body stored nothing"
    );

    let body = template_nested(42);
    assert_eq!(depth(&body), 48);
    let (status, answer) = send(body).await;
    assert_eq!(status, 202, "{answer}");
}

#[tokio::test]
async fn a_customers_html_document_is_served_as_an_opaque_attachment_and_an_image_inline() {
    let w = World::start(sim_config()).await;
    let html = b"<html><script>fetch('/api/v1/api-tokens')</script></html>".to_vec();
    let media_id = w.sim.state.add_media(html.clone(), "text/html");
    let (wamid, answer) = sim::webhooks::customer_writes(
        &w.sim.state,
        "447700900555",
        Some("Mallory"),
        json!({"type": "document", "document": {"id": media_id, "mime_type": "text/html", "filename": "invoice.html"}}),
    )
    .await;
    assert_eq!(answer, 200);
    let conversation = format!("{PHONE_NUMBER_ID}-447700900555");
    let mut stored = Value::Null;
    for _ in 0..600 {
        w.app.settled().await;
        let page = w
            .app
            .get_ok(&format!("/api/v1/conversations/{conversation}/messages"))
            .await;
        stored = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == wamid.as_str())
            .cloned()
            .unwrap_or(Value::Null);
        if stored["media_state"] != "pending" && !stored.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stored["media_state"], "stored", "{stored}");
    let url = stored["media_file"]["url"].as_str().unwrap();
    let response = w
        .app
        .client
        .get(w.app.url(url))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/octet-stream");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-security-policy"], "sandbox");
    assert_eq!(response.bytes().await.unwrap().as_ref(), html.as_slice());

    let png = b"\x89PNG\r\n\x1a\n a watch".to_vec();
    let part = reqwest::multipart::Part::bytes(png.clone())
        .file_name("watch.png")
        .mime_str("image/png")
        .unwrap();
    let uploaded: Value = w
        .app
        .client
        .post(w.app.url("/api/v1/media"))
        .bearer_auth(API_TOKEN)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response = w
        .app
        .client
        .get(w.app.url(&format!(
            "/api/v1/media/{}",
            uploaded["id"].as_str().unwrap()
        )))
        .bearer_auth(API_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "image/png");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline;"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-security-policy"], "sandbox");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let client = &app.client;
    let verify = format!(
        "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=42"
    );
    let responses = [
        ("webhook verification", client.get(app.url(&verify))),
        (
            "unsigned webhook",
            client.post(app.url("/webhook/whatsapp")).body("{}"),
        ),
        (
            "API",
            client
                .get(app.url("/api/v1/conversations"))
                .bearer_auth(API_TOKEN),
        ),
        (
            "API without a token",
            client.get(app.url("/api/v1/api-tokens")),
        ),
        (
            "sign-in",
            client
                .post(app.url("/api/v1/auth/sign-in"))
                .json(&json!({"email": "a@example.com", "password": "nope"})),
        ),
        ("health", client.get(app.url("/health"))),
        ("openapi", client.get(app.url("/openapi.json"))),
        ("docs", client.get(app.url("/docs"))),
        ("unknown path", client.get(app.url("/no/such/path"))),
    ];
    for (what, request) in responses {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{what}");
        assert_eq!(header("cache-control"), "no-store", "{what}");
        let policy = header("content-security-policy");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{what}: {policy}"
        );
        if what == "unknown path" {
            assert_eq!(status, 404);
        }
        if what != "docs" {
            assert!(policy.starts_with("default-src 'none'"), "{what}: {policy}");
            continue;
        }
        // Swagger UI loads: each of its inline scripts is allowed by hash, and nothing from elsewhere.
        assert_eq!(status, 200);
        let page = response.text().await.unwrap();
        let mut rest = page.as_str();
        let mut scripts = 0;
        while let Some(open) = rest.find("<script") {
            let after = &rest[open..];
            let start = after.find('>').unwrap() + 1;
            let len = after[start..].find("</script>").unwrap();
            let hash = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                sha2::Sha256::digest(&after.as_bytes()[start..start + len]),
            );
            assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
            scripts += 1;
            rest = &after[start + len..];
        }
        assert!(
            scripts >= 2,
            "the page has its bundle and its start-up script"
        );
        assert!(
            !policy.contains("unsafe-eval") && !policy.contains("script-src 'unsafe-inline'"),
            "{policy}"
        );
        assert!(
            !policy.contains("http"),
            "nothing from another origin: {policy}"
        );
    }
}
