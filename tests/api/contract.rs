//! The API's contract: bad input is a 400 with its reason (never an outage), an idempotency key names one
//! request, and `/openapi.json` tells the truth about what the server answers.

use crate::helpers::*;
use crate::sending::World;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

const ALICE: &str = "447700900001";

fn conversation_id() -> String {
    format!("{PHONE_NUMBER_ID}-{ALICE}")
}

/// An inbox where Alice has written once.
async fn app_with_a_conversation() -> TestApp {
    let app = TestApp::spawn().await;
    let answer = app
        .post_signed(&messages_body(
            contact(ALICE, "Alice"),
            json!([text(ALICE, "wamid.1", "hello")]),
        ))
        .await;
    assert_eq!(answer.status(), 200);
    app.settled().await;
    app
}

fn cursor(raw: &str) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

async fn call(app: &TestApp, method: Method, path: &str) -> (u16, Value) {
    let (status, body) = app.api(method, path).await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn text_postgres_cannot_hold_is_refused_in_every_parameter_before_any_query() {
    let app = app_with_a_conversation().await;
    let id = conversation_id();
    let requests = [
        (Method::GET, "/api/v1/conversations?q=Al%00ice".to_owned()),
        (Method::GET, "/api/v1/conversations?account=1%00".to_owned()),
        (Method::GET, "/api/v1/conversations?q=%C3%28".to_owned()),
        (Method::GET, "/api/v1/contacts?q=%00".to_owned()),
        (Method::GET, format!("/api/v1/conversations/{id}%00")),
        (
            Method::GET,
            format!("/api/v1/conversations/{id}%00/messages"),
        ),
        (Method::GET, format!("/api/v1/conversations/{id}%00/events")),
        (Method::POST, format!("/api/v1/conversations/{id}%00/read")),
        (
            Method::PUT,
            format!("/api/v1/conversations/{id}%00/favourite"),
        ),
        (Method::GET, "/api/v1/contacts/%00".to_owned()),
        (Method::GET, "/api/v1/accounts/1%00".to_owned()),
        (Method::GET, "/api/v1/users/%00".to_owned()),
        (Method::GET, "/api/v1/media/%00/info".to_owned()),
    ];
    for (method, path) in requests {
        let (status, body) = call(&app, method.clone(), &path).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_parameter")),
            "{method} {path}: {body}"
        );
    }
    // Nothing was harmed: the conversation still reads.
    app.get_ok(&format!("/api/v1/conversations/{id}")).await;
}

#[tokio::test]
async fn cursor_keys_and_times_the_database_cannot_hold_are_bad_input() {
    let app = app_with_a_conversation().await;
    let id = conversation_id();
    let nul_key = cursor("1700000000000000|a\0b");
    let ancient = cursor("-300000000000000000|x");
    let ancient_seq = cursor("-300000000000000000|1");
    let requests = [
        (
            format!("/api/v1/conversations?cursor={nul_key}"),
            "invalid_cursor",
        ),
        (
            format!("/api/v1/contacts?cursor={nul_key}"),
            "invalid_cursor",
        ),
        (
            format!("/api/v1/conversations?cursor={ancient}"),
            "invalid_time",
        ),
        (format!("/api/v1/contacts?cursor={ancient}"), "invalid_time"),
        (
            format!("/api/v1/conversations/{id}/messages?before={ancient_seq}"),
            "invalid_time",
        ),
        (
            format!("/api/v1/conversations/{id}/messages?after={ancient_seq}"),
            "invalid_time",
        ),
        (
            format!("/api/v1/conversations/{id}/events?as_of=-5000-01-01T00:00:00Z"),
            "invalid_time",
        ),
    ];
    for (path, code) in requests {
        let (status, body) = call(&app, Method::GET, &path).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{path}: {body}"
        );
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    // The earliest time the database holds is still a time.
    let (status, body) = call(
        &app,
        Method::GET,
        &format!("/api/v1/conversations/{id}/events?as_of=0001-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_number_or_boolean_where_the_schema_says_string_is_refused() {
    let app = app_with_a_conversation().await;
    let id = conversation_id();
    for (path, body) in [
        (
            "/api/v1/accounts".to_owned(),
            json!({"phone_number_id": 1122334455668_u64}),
        ),
        (
            "/api/v1/accounts".to_owned(),
            json!({"phone_number_id": "1122334455668", "name": true}),
        ),
        (
            format!("/api/v1/conversations/{id}/messages"),
            json!({"content": {"kind": "text", "body": 42}}),
        ),
        (
            format!("/api/v1/conversations/{id}/messages"),
            json!({"content": {"kind": "buttons", "body": "b", "buttons": [{"id": 1, "title": "t"}]}}),
        ),
    ] {
        let response = app
            .client
            .post(app.url(&path))
            .bearer_auth(API_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("must be a string")),
            "{answer}"
        );
    }
    let (status, accounts) = call(&app, Method::GET, "/api/v1/accounts").await;
    assert_eq!((status, accounts.as_array().map(Vec::len)), (200, Some(1)));
}

#[tokio::test]
async fn a_value_the_database_refuses_in_a_read_is_bad_input_not_an_outage() {
    let app = TestApp::spawn().await;
    let pool = app.db.pool().await;
    let refused = sqlx::query("select $1::text")
        .bind("a\0b")
        .fetch_one(&pool)
        .await
        .expect_err("PostgreSQL text cannot hold U+0000");
    pool.close().await;
    let error = inbox::api::error::ApiError::from(refused);
    assert!(
        matches!(error, inbox::api::error::ApiError::BadRequest(_)),
        "{:?}",
        error.code()
    );
    assert_eq!(error.code(), "invalid_value");
}

async fn command(app: &TestApp, method: Method, setting: &str, key: &str) -> (u16, Value) {
    let url = app.url(&format!(
        "/api/v1/conversations/{}/{setting}",
        conversation_id()
    ));
    // The bot is switched with `PUT …/bot {"enabled": …}`: DELETE here stands for switching it off.
    let request = match setting {
        "bot" => app
            .client
            .put(url)
            .json(&json!({"enabled": method != Method::DELETE})),
        _ => app.client.request(method, url),
    };
    let response = request
        .bearer_auth(API_TOKEN)
        .header("Idempotency-Key", key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp, event_type: &str) -> usize {
    app.events()
        .await
        .iter()
        .filter(|e| e.2 == event_type)
        .count()
}

#[tokio::test]
async fn an_idempotency_key_names_one_command_and_is_refused_for_another() {
    let app = app_with_a_conversation().await;
    // The same key and request: the same answer, recorded once.
    let first = command(&app, Method::PUT, "favourite", "key-1").await;
    let again = command(&app, Method::PUT, "favourite", "key-1").await;
    assert_eq!((first.0, again.0), (200, 200));
    assert_eq!(first.1["favourite"], true);
    assert_eq!(again.1["favourite"], true);
    assert_eq!(count(&app, "conversation.favourite_set").await, 1);

    // The same key for any other request: 422, and nothing is recorded.
    let events_before = app.events().await.len();
    for (method, setting) in [
        (Method::DELETE, "favourite"),
        (Method::PUT, "archive"),
        (Method::DELETE, "bot"),
        (Method::POST, "read"),
    ] {
        let (status, body) = command(&app, method.clone(), setting, "key-1").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("idempotency_key_reused")),
            "{method} {setting}: {body}"
        );
    }
    assert_eq!(app.events().await.len(), events_before);
    let now = app
        .get_ok(&format!("/api/v1/conversations/{}", conversation_id()))
        .await;
    assert_eq!(
        (&now["favourite"], &now["archived"], &now["bot_enabled"]),
        (&json!(true), &json!(false), &json!(true)),
        "{now}"
    );

    // A key is bound to its request even when that request changed nothing.
    assert_eq!(command(&app, Method::PUT, "bot", "key-2").await.0, 200);
    let (status, body) = command(&app, Method::DELETE, "bot", "key-2").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );

    // Keys are 1 to 200 characters.
    for key in [String::new(), "k".repeat(201)] {
        let (status, body) = command(&app, Method::PUT, "archive", &key).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_idempotency_key")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_message_queues_nothing() {
    let w = World::start(crate::sending::sim_config()).await;
    let (conversation, _) = w.customer_writes("hello").await;
    let send = |body: &'static str| {
        let request = w
            .app
            .client
            .post(
                w.app
                    .url(&format!("/api/v1/conversations/{conversation}/messages")),
            )
            .bearer_auth(API_TOKEN)
            .header("Idempotency-Key", "reply-1")
            .json(&json!({"content": {"kind": "text", "body": body}}));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (first, queued) = send("the first answer").await;
    let (again, requeued) = send("the first answer").await;
    assert_eq!((first, again), (202, 202));
    assert_eq!(queued["message_id"], requeued["message_id"]);

    let (status, body) = send("a different answer").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("idempotency_key_reused")),
        "{body}"
    );
    w.app.settled().await;
    let outbound = w.outbound(&conversation).await;
    let bodies: Vec<&Value> = outbound.iter().map(|m| &m["body"]).collect();
    assert_eq!(bodies, [&json!("the first answer")]);
    assert_eq!(count(&w.app, "message.queued").await, 1);
}

#[tokio::test]
async fn a_method_a_path_does_not_serve_is_answered_405_with_allow() {
    let app = app_with_a_conversation().await;
    let id = conversation_id();
    for (method, path, allow) in [
        (
            "TRACE",
            "/api/v1/conversations".to_owned(),
            "GET, HEAD, POST, OPTIONS",
        ),
        (
            "DELETE",
            "/api/v1/conversations".to_owned(),
            "GET, HEAD, POST, OPTIONS",
        ),
        (
            "PATCH",
            format!("/api/v1/conversations/{id}/messages"),
            "GET, HEAD, POST, OPTIONS",
        ),
        (
            "GET",
            format!("/api/v1/conversations/{id}/read"),
            "POST, OPTIONS",
        ),
        ("PUT", "/api/v1/auth/sign-in".to_owned(), "POST, OPTIONS"),
    ] {
        let response = app
            .client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                app.url(&path),
            )
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(
            response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/roles"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("GET, HEAD, POST, OPTIONS")
    );
}

/// The spec's schema at `reference` (`#/components/schemas/Name`), or `schema` itself.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &spec["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// Every object schema reachable from `schema`, by name or JSON path, once each.
fn objects<'a>(
    spec: &'a Value,
    schema: &'a Value,
    seen: &mut Vec<*const Value>,
    out: &mut Vec<&'a Value>,
) {
    let schema = resolve(spec, schema);
    if seen.contains(&(schema as *const Value)) {
        return;
    }
    seen.push(schema);
    if schema["properties"].is_object() {
        out.push(schema);
    }
    for property in schema["properties"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        objects(spec, property, seen, out);
    }
    for key in ["items", "additionalProperties"] {
        if schema[key].is_object() {
            objects(spec, &schema[key], seen, out);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for inner in schema[key].as_array().into_iter().flatten() {
            objects(spec, inner, seen, out);
        }
    }
}

async fn spec(app: &TestApp) -> Value {
    app.client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_response_field_that_can_be_null_is_documented_nullable() {
    let app = TestApp::spawn().await;
    let spec = spec(&app).await;
    let mut seen = Vec::new();
    let mut response_objects = Vec::new();
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            for (status, response) in operation["responses"].as_object().unwrap() {
                let contents = response["content"].as_object().into_iter().flatten();
                // JSON bodies; an event stream's fields are absent, never null.
                for (media, content) in contents.filter(|(m, _)| m.starts_with("application/json"))
                {
                    assert!(
                        content["schema"].is_object(),
                        "{method} {path} {status} {media}"
                    );
                    objects(&spec, &content["schema"], &mut seen, &mut response_objects);
                }
            }
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                for status in ["401", "403"] {
                    assert!(
                        operation["responses"][status].is_object(),
                        "{method} {path} does not document {status}"
                    );
                }
            }
        }
    }
    assert!(operations > 40 && response_objects.len() > 30);
    let mut checked: Vec<String> = Vec::new();
    for object in &response_objects {
        let required: Vec<&str> = object["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (name, property) in object["properties"].as_object().unwrap() {
            // Absent from `required`: the server writes `null` when it has no value.
            if required.contains(&name.as_str()) {
                continue;
            }
            checked.push(format!(
                "{}.{name}",
                object["title"].as_str().unwrap_or_default()
            ));
            assert_eq!(
                property["nullable"], true,
                "{} . {name} can be null but is not nullable: {property}",
                object["title"]
            );
            if property.get("allOf").is_some() {
                assert!(
                    property["type"].is_string(),
                    "{name}: nullable needs a type beside it"
                );
            }
        }
    }
    // The fields the issue found declared non-nullable are among those checked.
    for field in [
        "User.name",
        "Message.body",
        "Conversation.read_at",
        "ConversationPage.next_cursor",
    ] {
        assert!(
            checked.iter().any(|c| c == field),
            "{field} not checked: {checked:?}"
        );
    }
}

/// Every `null` in `value` sits where `schema` allows it.
fn nulls_are_allowed(spec: &Value, schema: &Value, value: &Value, at: &str) {
    let schema = resolve(spec, schema);
    let parts: Vec<&Value> = schema["allOf"].as_array().into_iter().flatten().collect();
    for part in parts {
        nulls_are_allowed(spec, part, value, at);
    }
    match value {
        Value::Object(fields) => {
            for (name, field) in fields {
                let Some(property) = schema["properties"].get(name) else {
                    continue;
                };
                if field.is_null() {
                    assert!(
                        property["nullable"] == true || resolve(spec, property) == &json!({}),
                        "{at}.{name} is null, but its schema does not allow null: {property}"
                    );
                }
                nulls_are_allowed(spec, property, field, &format!("{at}.{name}"));
            }
        }
        Value::Array(items) if schema["items"].is_object() => {
            for (i, item) in items.iter().enumerate() {
                nulls_are_allowed(spec, &schema["items"], item, &format!("{at}[{i}]"));
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_nulls_the_server_writes_are_the_nulls_the_spec_allows() {
    let app = app_with_a_conversation().await;
    let spec = spec(&app).await;
    let id = conversation_id();
    for (path, template) in [
        ("/api/v1/conversations".to_owned(), "/api/v1/conversations"),
        (
            format!("/api/v1/conversations/{id}"),
            "/api/v1/conversations/{id}",
        ),
        (
            format!("/api/v1/conversations/{id}/messages"),
            "/api/v1/conversations/{id}/messages",
        ),
        (
            format!("/api/v1/conversations/{id}/events?as_of=2100-01-01T00:00:00Z"),
            "/api/v1/conversations/{id}/events",
        ),
        ("/api/v1/accounts".to_owned(), "/api/v1/accounts"),
        ("/api/v1/contacts".to_owned(), "/api/v1/contacts"),
        ("/api/v1/auth/me".to_owned(), "/api/v1/auth/me"),
    ] {
        let body = app.get_ok(&path).await;
        let schema = &spec["paths"][template]["get"]["responses"]["200"]["content"]
            ["application/json; charset=utf-8"]["schema"];
        assert!(schema.is_object(), "{template}");
        nulls_are_allowed(&spec, schema, &body, template);
    }
}
