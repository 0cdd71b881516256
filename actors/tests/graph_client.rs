//! The Graph API client against a local HTTP server that records each request and answers as scripted:
//! for every endpoint family, the request's shape, the decoded success, and how errors are classified.

use actors::graph::management::{CodeMethod, NewTemplate, ProfileUpdate, TemplateQuery};
use actors::graph::messages::{
    ButtonsMessage, ImageMessage, MediaSource, ReplyButton, TextMessage,
};
use actors::graph::{
    AccessToken, CallError, ErrorClass, GraphClient, GraphConfig, OutboundContent, OutboundMessage,
};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{handler, Body, EndpointExt, Request, Response, Route};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Seen {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn query_has(&self, pair: &str) -> bool {
        self.query.split('&').any(|p| p == pair)
    }
}

#[derive(Clone)]
struct Answer {
    status: u16,
    body: String,
    delay: Duration,
}

#[derive(Default)]
struct Script {
    answers: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<Seen>>,
}

#[handler]
async fn record(req: &Request, body: Body, Data(script): Data<&Arc<Script>>) -> Response {
    let header = |name: &str| req.header(name).map(str::to_owned);
    let seen = Seen {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().unwrap_or("").to_owned(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: body.into_vec().await.unwrap(),
    };
    script.seen.lock().unwrap().push(seen);
    let answer = script
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Answer {
            status: 200,
            body: r#"{"success":true}"#.into(),
            delay: Duration::ZERO,
        });
    tokio::time::sleep(answer.delay).await;
    Response::builder()
        .status(poem::http::StatusCode::from_u16(answer.status).unwrap())
        .content_type("application/json")
        .body(answer.body)
}

struct Server {
    script: Arc<Script>,
    client: GraphClient,
    base: String,
    token: AccessToken,
}

impl Server {
    async fn start() -> Server {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let address = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let script = Arc::new(Script::default());
        let app = Route::new().at("/*path", record).data(script.clone());
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
        let base = format!("http://{address}");
        let client = GraphClient::new(GraphConfig {
            base_url: base.clone(),
            version: "v25.0".into(),
            timeout: Duration::from_millis(500),
        })
        .unwrap();
        Server {
            script,
            client,
            base,
            token: AccessToken::new("EAAG-test-token"),
        }
    }

    fn answer(&self, status: u16, body: Value) {
        self.script.answers.lock().unwrap().push_back(Answer {
            status,
            body: body.to_string(),
            delay: Duration::ZERO,
        });
    }

    fn answer_late(&self, delay: Duration) {
        self.script.answers.lock().unwrap().push_back(Answer {
            status: 200,
            body: r#"{"success":true}"#.into(),
            delay,
        });
    }

    fn last(&self) -> Seen {
        self.script.seen.lock().unwrap().last().cloned().unwrap()
    }

    fn bearer(&self) -> Option<String> {
        Some(format!("Bearer {}", self.token.expose()))
    }
}

fn meta_error(code: i64, message: &str) -> Value {
    json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": format!("details of {code}")},
        "fbtrace_id": "AbCdEf"}})
}

fn message(content: OutboundContent) -> OutboundMessage {
    OutboundMessage {
        to: "447700900123".into(),
        group: false,
        reply_to: Some("wamid.quoted".into()),
        content,
        callback_data: Some("order-7".into()),
        template_text: None,
    }
}

#[tokio::test]
async fn messages_are_posted_in_metas_shape_and_the_wamid_comes_back() {
    let s = Server::start().await;
    s.answer(
        200,
        json!({"messaging_product": "whatsapp", "contacts": [{"input": "447700900123", "wa_id": "447700900123"}],
               "messages": [{"id": "wamid.HBgL"}]}),
    );
    let text = message(OutboundContent::Text(TextMessage {
        body: "Hello".into(),
        preview_url: true,
    }));
    let sent = s
        .client
        .send_message(&s.token, "1122", &text, None)
        .await
        .unwrap();
    assert_eq!(sent.wamid, "wamid.HBgL");
    assert_eq!(sent.wa_id.as_deref(), Some("447700900123"));
    let seen = s.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v25.0/1122/messages")
    );
    assert_eq!(seen.authorization, s.bearer());
    assert_eq!(
        seen.json(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "447700900123",
               "type": "text", "text": {"body": "Hello", "preview_url": true},
               "context": {"message_id": "wamid.quoted"}, "biz_opaque_callback_data": "order-7"})
    );

    s.answer(200, json!({"messages": [{"id": "wamid.2"}]}));
    let image = message(OutboundContent::Image(ImageMessage {
        source: MediaSource {
            media_id: Some("local-file".into()),
            link: None,
        },
        caption: Some("the dial".into()),
    }));
    s.client
        .send_message(&s.token, "1122", &image, Some("1234567"))
        .await
        .unwrap();
    assert_eq!(
        s.last().json()["image"],
        json!({"id": "1234567", "caption": "the dial"})
    );

    s.answer(200, json!({"messages": [{"id": "wamid.3"}]}));
    let buttons = message(OutboundContent::Buttons(ButtonsMessage {
        header: Some("Speedmaster".into()),
        body: "Interested?".into(),
        footer: None,
        buttons: vec![ReplyButton {
            id: "yes".into(),
            title: "Yes".into(),
        }],
    }));
    s.client
        .send_message(&s.token, "1122", &buttons, None)
        .await
        .unwrap();
    assert_eq!(
        s.last().json()["interactive"],
        json!({"type": "button", "header": {"type": "text", "text": "Speedmaster"}, "body": {"text": "Interested?"},
               "action": {"buttons": [{"type": "reply", "reply": {"id": "yes", "title": "Yes"}}]}})
    );

    s.answer(200, json!({"success": true}));
    assert!(
        s.client
            .mark_read(&s.token, "1122", "wamid.in", true)
            .await
            .unwrap()
            .success
    );
    assert_eq!(
        s.last().json(),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.in", "typing_indicator": {"type": "text"}})
    );

    // A 200 without a message id is not a success.
    s.answer(200, json!({"messaging_product": "whatsapp"}));
    let e = s
        .client
        .send_message(&s.token, "1122", &text, None)
        .await
        .unwrap_err();
    assert!(matches!(e, CallError::Unexpected { .. }), "{e:?}");
    assert_eq!(e.class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn errors_are_typed_and_classified() {
    let s = Server::start().await;
    let text = message(OutboundContent::Text(TextMessage {
        body: "Hi".into(),
        preview_url: false,
    }));
    let cases = [
        (
            400,
            meta_error(130429, "(#130429) Rate limit hit"),
            130429,
            ErrorClass::Retryable,
        ),
        (
            400,
            meta_error(131056, "pair rate limit"),
            131056,
            ErrorClass::Retryable,
        ),
        (
            400,
            meta_error(80007, "WABA rate limit"),
            80007,
            ErrorClass::Retryable,
        ),
        (
            500,
            meta_error(1, "An unknown error occurred"),
            1,
            ErrorClass::Retryable,
        ),
        (
            400,
            meta_error(131047, "Re-engagement message"),
            131047,
            ErrorClass::Permanent,
        ),
        (
            400,
            meta_error(131026, "Message undeliverable"),
            131026,
            ErrorClass::Permanent,
        ),
        (
            401,
            meta_error(190, "Error validating access token"),
            190,
            ErrorClass::Permanent,
        ),
        (
            400,
            meta_error(132001, "Template name does not exist"),
            132001,
            ErrorClass::Permanent,
        ),
    ];
    for (status, body, code, class) in cases {
        s.answer(status, body);
        let e = s
            .client
            .send_message(&s.token, "1122", &text, None)
            .await
            .unwrap_err();
        let CallError::Api(graph) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            (graph.code, graph.http_status, e.class()),
            (code, status, class),
            "{graph:?}"
        );
        assert_eq!(
            graph.details.as_deref(),
            Some(format!("details of {code}").as_str())
        );
        assert_eq!(graph.trace_id.as_deref(), Some("AbCdEf"));
    }
    // A gateway's HTML page: still an error with the status, retryable as a 5xx.
    s.script.answers.lock().unwrap().push_back(Answer {
        status: 502,
        body: "<html>Bad Gateway</html>".into(),
        delay: Duration::ZERO,
    });
    let e = s
        .client
        .send_message(&s.token, "1122", &text, None)
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn a_slow_or_absent_server_is_a_retryable_timeout_or_transport_error() {
    let s = Server::start().await;
    s.answer_late(Duration::from_secs(2));
    let e = s.client.phone_number(&s.token, "1122").await.unwrap_err();
    assert!(matches!(e, CallError::Timeout { .. }), "{e:?}");
    assert!(e.is_retryable());

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let client = GraphClient::new(GraphConfig {
        base_url: format!("http://{address}"),
        ..GraphConfig::default()
    })
    .unwrap();
    let e = client
        .exchange_token(
            "app",
            &AccessToken::new("app-secret-value"),
            &AccessToken::new("short-token-value"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, CallError::Transport { .. }), "{e:?}");
    assert!(e.is_retryable());
    let shown = format!("{e} {e:?}");
    assert!(
        !shown.contains("app-secret-value") && !shown.contains("short-token-value"),
        "{shown}"
    );
}

#[tokio::test]
async fn media_is_uploaded_looked_up_downloaded_with_the_token_and_deleted() {
    let s = Server::start().await;
    s.answer(200, json!({"id": "998877"}));
    let id = s
        .client
        .upload_media(
            &s.token,
            "1122",
            b"\x89PNG data".to_vec(),
            "image/png",
            "dial.png",
        )
        .await
        .unwrap();
    assert_eq!(id, "998877");
    let seen = s.last();
    assert_eq!(seen.path, "/v25.0/1122/media");
    assert!(seen
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("multipart/form-data"));
    let body = String::from_utf8_lossy(&seen.body);
    assert!(
        body.contains("name=\"messaging_product\"\r\n\r\nwhatsapp"),
        "{body}"
    );
    assert!(
        body.contains("name=\"file\"; filename=\"dial.png\"\r\nContent-Type: image/png"),
        "{body}"
    );

    let url = format!("{}/lookaside/file?mid=1", s.base);
    s.answer(
        200,
        json!({"messaging_product": "whatsapp", "url": url, "mime_type": "image/png",
                         "sha256": "abc", "file_size": "9", "id": "998877"}),
    );
    s.script.answers.lock().unwrap().push_back(Answer {
        status: 200,
        body: "file-bytes".into(),
        delay: Duration::ZERO,
    });
    let (info, file) = s
        .client
        .fetch_media(&s.token, "998877", 1024)
        .await
        .unwrap();
    assert_eq!(
        (info.file_size, info.mime_type.as_deref()),
        (Some(9), Some("image/png"))
    );
    assert_eq!(file.bytes, b"file-bytes");
    let download = s.last();
    assert_eq!(
        (download.path.as_str(), download.authorization.clone()),
        ("/lookaside/file", s.bearer())
    );

    // An expired download URL (404) is looked up once more.
    s.answer(200, json!({"url": url, "id": "998877"}));
    s.answer(404, json!({}));
    s.answer(200, json!({"url": url, "id": "998877"}));
    s.script.answers.lock().unwrap().push_back(Answer {
        status: 200,
        body: "fresh".into(),
        delay: Duration::ZERO,
    });
    let (_, file) = s
        .client
        .fetch_media(&s.token, "998877", 1024)
        .await
        .unwrap();
    assert_eq!(file.bytes, b"fresh");

    // Larger than allowed: refused, not stored.
    s.answer(200, json!({"url": url, "id": "998877"}));
    s.script.answers.lock().unwrap().push_back(Answer {
        status: 200,
        body: "x".repeat(2048),
        delay: Duration::ZERO,
    });
    let e = s
        .client
        .fetch_media(&s.token, "998877", 1024)
        .await
        .unwrap_err();
    assert!(matches!(e, CallError::Refused { .. }), "{e:?}");

    s.answer(200, json!({"success": true}));
    assert!(
        s.client
            .delete_media(&s.token, "998877")
            .await
            .unwrap()
            .success
    );
    assert_eq!(
        (s.last().method.as_str(), s.last().path.as_str()),
        ("DELETE", "/v25.0/998877")
    );

    s.answer(400, meta_error(100, "Object does not exist"));
    let e = s.client.media_info(&s.token, "gone").await.unwrap_err();
    assert_eq!((e.code(), e.class()), (Some(100), ErrorClass::Permanent));
}

#[tokio::test]
async fn phone_numbers_are_listed_read_registered_and_verified() {
    let s = Server::start().await;
    s.answer(200, json!({"data": [{"id": "1122", "display_phone_number": "+1 555-0100", "verified_name": "Shop",
        "quality_rating": "GREEN", "status": "CONNECTED", "new_field": 1}], "paging": {"cursors": {"after": "x"}}}));
    let page = s.client.phone_numbers(&s.token, "waba-1").await.unwrap();
    assert_eq!(page.data[0].quality_rating.as_deref(), Some("GREEN"));
    assert_eq!(
        page.data[0].extra["new_field"], 1,
        "fields Meta adds are kept"
    );
    let seen = s.last();
    assert_eq!(seen.path, "/v25.0/waba-1/phone_numbers");
    assert!(
        seen.query.contains("fields=id%2Cdisplay_phone_number"),
        "{}",
        seen.query
    );

    s.answer(200, json!({"id": "1122", "throughput": {"level": "HIGH"}}));
    let number = s.client.phone_number(&s.token, "1122").await.unwrap();
    assert_eq!(number.throughput, Some(json!({"level": "HIGH"})));

    assert!(
        s.client
            .register(&s.token, "1122", "123456")
            .await
            .unwrap()
            .success
    );
    assert_eq!(
        s.last().json(),
        json!({"messaging_product": "whatsapp", "pin": "123456"})
    );
    assert_eq!(s.last().path, "/v25.0/1122/register");
    let e = s
        .client
        .register(&s.token, "1122", "12ab")
        .await
        .unwrap_err();
    assert!(matches!(e, CallError::Refused { .. }));
    assert!(s.client.deregister(&s.token, "1122").await.unwrap().success);
    assert_eq!(s.last().path, "/v25.0/1122/deregister");
    assert!(
        s.client
            .request_code(&s.token, "1122", CodeMethod::Voice, "en_US")
            .await
            .unwrap()
            .success
    );
    assert_eq!(
        s.last().json(),
        json!({"code_method": "VOICE", "language": "en_US"})
    );
    assert!(
        s.client
            .verify_code(&s.token, "1122", "654321")
            .await
            .unwrap()
            .success
    );
    assert_eq!(s.last().json(), json!({"code": "654321"}));
    s.answer(400, meta_error(133016, "too many registration attempts"));
    let e = s
        .client
        .register(&s.token, "1122", "123456")
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn the_business_profile_is_read_and_updated() {
    let s = Server::start().await;
    s.answer(200, json!({"data": [{"messaging_product": "whatsapp", "about": "Watches", "websites": ["https://a"], "vertical": "RETAIL"}]}));
    let profile = s.client.business_profile(&s.token, "1122").await.unwrap();
    assert_eq!(profile.about.as_deref(), Some("Watches"));
    // The specification's shape: the fields under `business_profile`.
    s.answer(200, json!({"data": [{"business_profile": {"messaging_product": "whatsapp", "about": "Nested", "email": "a@b.c"}}]}));
    let profile = s.client.business_profile(&s.token, "1122").await.unwrap();
    assert_eq!(
        (profile.about.as_deref(), profile.email.as_deref()),
        (Some("Nested"), Some("a@b.c"))
    );
    assert!(
        s.last().query.contains("fields=about%2Caddress"),
        "{}",
        s.last().query
    );
    let update = ProfileUpdate {
        about: Some("Serviced watches".into()),
        ..ProfileUpdate::default()
    };
    assert!(
        s.client
            .update_business_profile(&s.token, "1122", &update)
            .await
            .unwrap()
            .success
    );
    assert_eq!(
        s.last().json(),
        json!({"messaging_product": "whatsapp", "about": "Serviced watches"})
    );
    let too_many = ProfileUpdate {
        websites: Some(vec!["a".into(), "b".into(), "c".into()]),
        ..ProfileUpdate::default()
    };
    assert!(matches!(
        s.client
            .update_business_profile(&s.token, "1122", &too_many)
            .await,
        Err(CallError::Refused { .. })
    ));
}

#[tokio::test]
async fn templates_are_listed_created_and_deleted() {
    let s = Server::start().await;
    s.answer(200, json!({"data": [{"id": "1", "name": "hello", "language": "en_US", "status": "APPROVED", "category": "UTILITY", "components": []}],
                         "paging": {"cursors": {"after": "NEXT"}, "next": "https://graph/next"}}));
    let query = TemplateQuery {
        status: Some("APPROVED".into()),
        limit: Some(10),
        ..TemplateQuery::default()
    };
    let page = s
        .client
        .templates(&s.token, "waba-1", &query)
        .await
        .unwrap();
    assert_eq!(
        (page.data[0].name.as_str(), page.after()),
        ("hello", Some("NEXT"))
    );
    let seen = s.last();
    assert_eq!(seen.path, "/v25.0/waba-1/message_templates");
    assert!(
        seen.query_has("status=APPROVED") && seen.query_has("limit=10"),
        "{}",
        seen.query
    );

    s.answer(
        200,
        json!({"id": "77", "status": "PENDING", "category": "UTILITY"}),
    );
    let template = NewTemplate {
        name: "order_ready".into(),
        language: "en_US".into(),
        category: "UTILITY".into(),
        components: vec![json!({"type": "BODY", "text": "Ready"})],
    };
    let created = s
        .client
        .create_template(&s.token, "waba-1", &template)
        .await
        .unwrap();
    assert_eq!(created.status.as_deref(), Some("PENDING"));
    assert_eq!(s.last().json()["name"], "order_ready");
    let no_body = NewTemplate {
        components: vec![],
        ..template
    };
    assert!(matches!(
        s.client.create_template(&s.token, "waba-1", &no_body).await,
        Err(CallError::Refused { .. })
    ));

    assert!(
        s.client
            .delete_template(&s.token, "waba-1", "order_ready", Some("77"))
            .await
            .unwrap()
            .success
    );
    let seen = s.last();
    assert_eq!(seen.method, "DELETE");
    assert!(
        seen.query_has("name=order_ready") && seen.query_has("hsm_id=77"),
        "{}",
        seen.query
    );
    s.answer(400, meta_error(2388019, "Message template limit exceeded"));
    let e = s
        .client
        .create_template(
            &s.token,
            "waba-1",
            &NewTemplate {
                name: "another".into(),
                language: "en_US".into(),
                category: "MARKETING".into(),
                components: vec![json!({"type": "BODY", "text": "x"})],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.class()),
        (Some(2388019), ErrorClass::Permanent)
    );
}

#[tokio::test]
async fn the_webhook_subscription_business_account_and_tokens() {
    let s = Server::start().await;
    s.answer(
        200,
        json!({"data": [{"whatsapp_business_api_data": {"id": "app-1", "name": "Inbox"}}]}),
    );
    let apps = s.client.subscribed_apps(&s.token, "waba-1").await.unwrap();
    assert_eq!(apps.data[0].app_id(), Some("app-1"));
    assert!(
        s.client
            .subscribe_app(&s.token, "waba-1", Some(("https://x/webhook", "vt")))
            .await
            .unwrap()
            .success
    );
    let seen = s.last();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v25.0/waba-1/subscribed_apps")
    );
    assert_eq!(
        seen.json(),
        json!({"override_callback_uri": "https://x/webhook", "verify_token": "vt"})
    );
    assert!(
        s.client
            .unsubscribe_app(&s.token, "waba-1")
            .await
            .unwrap()
            .success
    );
    assert_eq!(s.last().method, "DELETE");

    s.answer(
        200,
        json!({"id": "waba-1", "name": "Shop", "currency": "EUR"}),
    );
    let account = s.client.business_account(&s.token, "waba-1").await.unwrap();
    assert_eq!(account.currency.as_deref(), Some("EUR"));

    s.answer(200, json!({"data": {"app_id": "app-1", "type": "SYSTEM_USER", "is_valid": true, "expires_at": 0,
        "scopes": ["whatsapp_business_messaging"], "granular_scopes": [{"scope": "whatsapp_business_messaging", "target_ids": ["waba-1"]}]}}));
    let app_token = AccessToken::app("app-1", "app-secret");
    let info = s.client.debug_token(&app_token, &s.token).await.unwrap();
    assert!(info.is_valid);
    assert_eq!(info.token_type.as_deref(), Some("SYSTEM_USER"));
    let seen = s.last();
    assert_eq!(seen.path, "/v25.0/debug_token");
    assert_eq!(
        seen.authorization.as_deref(),
        Some("Bearer app-1|app-secret")
    );
    assert!(
        seen.query_has("input_token=EAAG-test-token"),
        "{}",
        seen.query
    );

    s.answer(
        200,
        json!({"access_token": "EAAG-long", "token_type": "bearer", "expires_in": 5183944}),
    );
    let long = s
        .client
        .exchange_token(
            "app-1",
            &AccessToken::new("app-secret"),
            &AccessToken::new("EAAG-short"),
        )
        .await
        .unwrap();
    assert_eq!(
        (long.access_token.as_str(), long.expires_in),
        ("EAAG-long", Some(5183944))
    );
    assert!(
        !format!("{long:?}").contains("EAAG-long"),
        "Debug hides the token"
    );
    let seen = s.last();
    assert_eq!(seen.path, "/v25.0/oauth/access_token");
    assert_eq!(seen.authorization, None);
    for pair in [
        "grant_type=fb_exchange_token",
        "client_id=app-1",
        "client_secret=app-secret",
        "fb_exchange_token=EAAG-short",
    ] {
        assert!(seen.query_has(pair), "{pair} in {}", seen.query);
    }
    s.answer(400, meta_error(101, "Error validating application"));
    let e = s
        .client
        .exchange_token(
            "app-1",
            &AccessToken::new("wrong"),
            &AccessToken::new("EAAG-short"),
        )
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.class()), (Some(101), ErrorClass::Permanent));
}
