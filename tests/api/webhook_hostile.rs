//! Hostile webhook bodies, as an attacker or a broken sender would post them: ids in every JSON shape,
//! numbers not registered here, fields of the wrong type, times PostgreSQL cannot hold, values the store
//! refuses, nesting near serde_json's limit. None is an outage, none reaches another app's number, and
//! what is acknowledged is stored and reads back. Ends with a property test over random bodies.

use crate::access::{call, OTHER_ACCOUNT};
use crate::helpers::*;
use actors::conversation::Conversation;
use actors::event::StreamId;
use inbox::http::signature;
use serde_json::{json, Value};

const SECRET_B: &str = "app-secret-of-the-second-app";
const WABA_B: &str = "900000000000009";
/// The business account the helpers' bodies name; no account here belongs to it.
const WABA_UNKNOWN: &str = "102290129340398";

/// Adds the second number, of another Meta app (its own app secret and business account).
async fn add_second_app(app: &TestApp) {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/accounts",
        Some(API_TOKEN),
        &json!({"phone_number_id": OTHER_ACCOUNT, "name": "Second app", "business_account_id": WABA_B,
                "app_secret": SECRET_B}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

async fn post(app: &TestApp, body: &[u8], secret: &str) -> reqwest::Response {
    app.post_webhook(body, Some(signature::sign(secret.as_bytes(), body)))
        .await
}

/// A text message body whose `phone_number_id` and `entry[].id` are the JSON texts given, verbatim.
fn text_body(phone_number_id: &str, entry_id: &str, from: &str, wamid: &str) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":{entry_id},"changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550001111","phone_number_id":{phone_number_id}}},"contacts":[{{"wa_id":"{from}","profile":{{"name":"Mallory"}}}}],"messages":[{{"from":"{from}","id":"{wamid}","timestamp":"1700000000","type":"text","text":{{"body":"hi"}}}}]}}}}]}}]}}"#
    )
    .into_bytes()
}

/// Stored events whose stream starts with `prefix`, other than the configuration start-up records.
async fn events_on(app: &TestApp, prefix: &str) -> Vec<(String, i64, String, Value)> {
    app.webhook_events()
        .await
        .into_iter()
        .filter(|e| e.0.starts_with(prefix))
        .collect()
}

/// Every shape an id can take in JSON, as the raw text put into the body, and whether a reader could
/// take it for the first app's number (then only the first app may sign it).
const SHAPES: &[(&str, bool)] = &[
    (r#""1122334455667""#, true),
    ("1122334455667", true),
    ("1.122334455667e12", true),
    ("1122334455667.0", true),
    (r#"" 1122334455667""#, true),
    (r#""1122334455667 ""#, true),
    (r#""+1122334455667""#, false),
    (r#""01122334455667""#, false),
    ("-1122334455667", false),
    (r#""-1122334455667""#, false),
    (r#""""#, false),
    ("null", false),
    (r#"["1122334455667"]"#, false),
    (r#"{"id":"1122334455667"}"#, false),
    (r#""1122334455667\u0000""#, false),
];

/// D2: the first app's number in any JSON shape, signed by the second app, never reaches the first
/// app's conversations: a shape that reads as the number needs the first app's signature (401), any
/// other is kept raw under no account. Signed by the first app, only the decimal string is routed.
#[tokio::test]
async fn a_number_id_in_any_json_shape_never_lets_another_app_into_a_number() {
    let app = TestApp::spawn().await;
    add_second_app(&app).await;
    let waba = format!(r#""{WABA_UNKNOWN}""#);
    for (i, (shape, reads_as_the_number)) in SHAPES.iter().enumerate() {
        let body = text_body(shape, &waba, "15550009999", &format!("wamid.b.{i}"));
        let status = post(&app, &body, SECRET_B).await.status();
        let expected = if *reads_as_the_number { 401 } else { 200 };
        assert_eq!(status, expected, "{shape} signed by the second app");
        if status == 200 {
            let mut value: Value = serde_json::from_slice(&body).unwrap();
            actors::webhook::replace_nul(&mut value);
            let change = &value["entry"][0]["changes"][0]["value"];
            let kept = events_on(&app, &format!("waba-{WABA_UNKNOWN}")).await;
            assert!(
                kept.iter().any(|e| &e.3["value"] == change),
                "{shape}: not kept raw"
            );
        }
        let own = text_body(shape, &waba, "15550009999", &format!("wamid.a.{i}"));
        assert_eq!(post(&app, &own, APP_SECRET).await.status(), 200, "{shape}");
    }

    let routed: Vec<(String, Value)> = app
        .webhook_events()
        .await
        .into_iter()
        .filter(|e| e.0.starts_with("conversation-") && e.2 == "message.received")
        .map(|e| (e.0, e.3["wamid"].clone()))
        .collect();
    // Only the decimal string, signed by its own app.
    assert_eq!(
        routed,
        [(
            format!("conversation-{PHONE_NUMBER_ID}-15550009999"),
            json!("wamid.a.0")
        )],
        "{routed:?}"
    );
    let streams: Vec<String> = app
        .webhook_events()
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert!(
        streams.iter().all(|s| s == &format!("waba-{WABA_UNKNOWN}")
            || s.starts_with(&format!("conversation-{PHONE_NUMBER_ID}-"))),
        "{streams:?}"
    );
    app.settled().await;
    let conversations = app.get_ok("/api/v1/conversations").await;
    assert_eq!(conversations["conversations"].as_array().unwrap().len(), 1);
    let accounts = app.get_ok("/api/v1/accounts").await;
    assert_eq!(accounts.as_array().unwrap().len(), 2, "{accounts}");
}

/// The business account id (`entry[].id`) is read by the same reader: as a JSON number it still names
/// the second app's business account for the check, and it is never routed.
#[tokio::test]
async fn a_business_account_id_in_any_json_shape_is_checked_as_named_and_kept_raw() {
    let app = TestApp::spawn().await;
    add_second_app(&app).await;
    let review = |id: &str| {
        format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":{id},"time":1700000000,"changes":[{{"field":"message_template_status_update","value":{{"event":"APPROVED","message_template_id":1,"message_template_name":"hello","message_template_language":"en"}}}}]}}]}}"#
        )
        .into_bytes()
    };
    for id in [
        format!(r#""{WABA_B}""#),
        WABA_B.to_owned(),
        format!(r#"" {WABA_B}""#),
        format!("{WABA_B}.0"),
    ] {
        assert_eq!(
            post(&app, &review(&id), APP_SECRET).await.status(),
            401,
            "{id}"
        );
        assert_eq!(
            post(&app, &review(&id), SECRET_B).await.status(),
            200,
            "{id}"
        );
    }
    let on_b = events_on(&app, &format!("waba-{WABA_B}")).await;
    assert_eq!(on_b.len(), 1, "only the decimal string routes: {on_b:?}");
    let raw = events_on(&app, "webhook-unrecognised").await;
    assert_eq!(raw.len(), 3, "{raw:?}");
    assert!(raw.iter().all(|e| e.3["field"] == "unrecognised_entry"));
}

/// D13: a body for a number not registered here creates no number and no conversation; it is kept raw on
/// its business account's stream, and the number receives messages once it is registered.
#[tokio::test]
async fn a_body_for_an_unregistered_number_creates_nothing_until_the_number_is_registered() {
    let app = TestApp::spawn().await;
    add_second_app(&app).await;
    let unknown = "5550000000001";
    let body = text_body(
        &format!(r#""{unknown}""#),
        &format!(r#""{WABA_UNKNOWN}""#),
        "15550002222",
        "wamid.phantom",
    );
    // Names no known number and no known business account: any account's app may have signed it.
    for secret in [APP_SECRET, SECRET_B] {
        assert_eq!(post(&app, &body, secret).await.status(), 200);
    }
    let kept = app.webhook_events().await;
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].0, format!("waba-{WABA_UNKNOWN}"));
    assert_eq!(kept[0].2, "account.change_recorded");
    assert_eq!(kept[0].3["value"]["metadata"]["phone_number_id"], unknown);

    // Naming the second app's business account, it must be the second app's.
    let of_b = text_body(
        &format!(r#""{unknown}""#),
        &format!(r#""{WABA_B}""#),
        "15550002222",
        "wamid.phantom2",
    );
    assert_eq!(post(&app, &of_b, APP_SECRET).await.status(), 401);
    assert_eq!(post(&app, &of_b, SECRET_B).await.status(), 200);
    // No business account at all: the unrecognised stream.
    let none = br#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"5550000000001"},"messages":[{"from":"1","id":"wamid.p3","type":"text","text":{"body":"x"}}]}}]}]}"#;
    assert_eq!(app.post_signed(none).await.status(), 200);

    app.settled().await;
    let streams: Vec<String> = app
        .webhook_events()
        .await
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(
        streams,
        [
            format!("waba-{WABA_UNKNOWN}"),
            format!("waba-{WABA_B}"),
            "webhook-unrecognised".to_owned()
        ]
    );
    let accounts = app.get_ok("/api/v1/accounts").await;
    let ids: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&unknown), "{accounts}");
    let conversations = app.get_ok("/api/v1/conversations").await;
    assert_eq!(conversations["conversations"], json!([]));

    // Registered (for the first app), the number's next message is routed; the earlier one stays raw.
    let (status, created) = call(
        &app,
        "POST",
        "/api/v1/accounts",
        Some(API_TOKEN),
        &json!({"phone_number_id": unknown, "name": "Late", "app_secret": APP_SECRET}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let later = text_body(
        &format!(r#""{unknown}""#),
        &format!(r#""{WABA_UNKNOWN}""#),
        "15550002222",
        "wamid.later",
    );
    assert_eq!(post(&app, &later, SECRET_B).await.status(), 401);
    assert_eq!(post(&app, &later, APP_SECRET).await.status(), 200);
    let conversation = events_on(&app, &format!("conversation-{unknown}-")).await;
    let wamids: Vec<&Value> = conversation.iter().map(|e| &e.3["wamid"]).collect();
    assert!(wamids.contains(&&json!("wamid.later")), "{conversation:?}");
    assert!(
        !wamids.contains(&&json!("wamid.phantom")),
        "{conversation:?}"
    );
}

/// D12: `messages`, `statuses`, `contacts` or `message_echoes` present but not an array: the change is
/// kept raw, and the arrays beside it are still routed.
#[tokio::test]
async fn a_routed_field_that_is_not_an_array_is_kept_raw() {
    let app = TestApp::spawn().await;
    for (i, key) in ["messages", "statuses", "contacts", "message_echoes"]
        .iter()
        .enumerate()
    {
        for (j, odd) in [
            json!({"id": "wamid.o"}),
            json!("read"),
            json!(7),
            json!(null),
        ]
        .into_iter()
        .enumerate()
        {
            let customer = format!("155500100{i}{j}");
            let mut value = json!({
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
                "contacts": [{"wa_id": customer, "profile": {"name": "Odd"}}],
                "messages": [text(&customer, &format!("wamid.odd.{i}.{j}"), "beside")],
            });
            value[*key] = odd.clone();
            let body = serde_json::to_vec(&json!({"object": "whatsapp_business_account",
                "entry": [{"id": WABA_UNKNOWN, "changes": [{"field": "messages", "value": value}]}]}))
            .unwrap();
            let response = app.post_signed(&body).await;
            assert_eq!(response.status(), 200, "{key}: {odd}");
            let kept = events_on(&app, &format!("account-{PHONE_NUMBER_ID}")).await;
            assert!(
                kept.iter().any(|e| e.3["value"] == value),
                "{key}: {odd} not kept raw"
            );
            if *key != "messages" {
                let routed =
                    events_on(&app, &format!("conversation-{PHONE_NUMBER_ID}-{customer}")).await;
                assert!(
                    routed.iter().any(|e| e.2 == "message.received"),
                    "{key}: {odd}: the message beside it was not routed"
                );
            }
        }
    }
}

/// D8: a time PostgreSQL cannot hold is not read (the raw message keeps it), the rest of the batch is
/// stored, and the answer is 200, also on every redelivery.
#[tokio::test]
async fn a_time_postgresql_cannot_hold_is_kept_raw_and_answered_200() {
    let app = TestApp::spawn().await;
    let times = [
        json!("-8000000000000"),
        json!(-8000000000000_i64),
        json!("8000000000000"),
        json!(i64::MAX.to_string()),
        json!(i64::MIN),
        json!(1.7e9),
    ];
    for (i, time) in times.iter().enumerate() {
        let odd = json!({"from": "15550002222", "id": format!("wamid.t{i}"), "timestamp": time,
                         "type": "text", "text": {"body": "when?"}});
        let body = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [
            {"id": WABA_UNKNOWN, "time": time, "changes": [
                {"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID},
                    "messages": [odd, text("15550003333", &format!("wamid.ok{i}"), "fine")],
                    "statuses": [{"id": format!("wamid.s{i}"), "status": "read", "timestamp": time,
                                  "recipient_id": "15550002222"}]}},
                {"field": "message_template_status_update", "value": {"event": "APPROVED",
                    "message_template_name": "t", "message_template_language": "en"}}]}]}))
        .unwrap();
        let response = app.post_signed(&body).await;
        assert_eq!(response.status(), 200, "{time}");
        let before = app.events().await.len();
        assert_eq!(app.post_signed(&body).await.status(), 200, "{time} again");
        assert_eq!(
            app.events().await.len(),
            before,
            "{time}: redelivery stored more"
        );

        let received =
            events_on(&app, &format!("conversation-{PHONE_NUMBER_ID}-15550002222")).await;
        let message = received
            .iter()
            .find(|e| e.3["wamid"] == format!("wamid.t{i}"))
            .unwrap_or_else(|| panic!("{time}: message not stored"));
        assert_eq!(message.3["timestamp"], Value::Null, "{time}");
        assert_eq!(&message.3["raw"]["timestamp"], time);
        assert!(
            received
                .iter()
                .any(|e| e.2 == "message.status_changed"
                    && e.3["raw"]["id"] == format!("wamid.s{i}")),
            "{time}: status not stored: {received:?}"
        );
        let other = events_on(&app, &format!("conversation-{PHONE_NUMBER_ID}-15550003333")).await;
        assert!(other.iter().any(|e| e.3["wamid"] == format!("wamid.ok{i}")));
    }
    app.settled().await;
    let page = app
        .get_ok(&format!(
            "/api/v1/conversations/{PHONE_NUMBER_ID}-15550002222/messages"
        ))
        .await;
    assert_eq!(
        page["messages"].as_array().unwrap().len(),
        times.len(),
        "{page}"
    );
    assert_eq!(app.health().await["counters"]["errors"], 0);
}

/// D8, the class: whatever value the store refuses as invalid data (SQLSTATE 22), the facts are kept raw
/// and the answer is 200; the other streams of the body are stored as usual. A trigger stands in for any
/// such value.
#[tokio::test]
async fn facts_the_store_refuses_as_invalid_data_are_kept_raw_and_never_an_outage() {
    let app = TestApp::spawn().await;
    let pool = app.db.pool().await;
    sqlx::raw_sql(
        r#"create function refuse_for_test() returns trigger language plpgsql as $$
           begin
             if (new.event_type = 'message.received' and new.payload::text like '%poison%')
                or new.payload::text like '%venom%' then
               raise exception 'a value the test refuses' using errcode = '22023';
             end if;
             return new;
           end $$;
           create trigger refuse_for_test before insert on events
             for each row execute function refuse_for_test();"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let body = messages_body(
        json!([]),
        json!([
            text("15550002222", "wamid.poison", "poison"),
            text("15550003333", "wamid.fine", "fine")
        ]),
    );
    let response = app.post_signed(&body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["events_appended"], 2, "{answer}");
    let events = app.webhook_events().await;
    let fine = format!("conversation-{PHONE_NUMBER_ID}-15550003333");
    assert!(events
        .iter()
        .any(|e| e.0 == fine && e.2 == "message.received"));
    assert!(!events.iter().any(|e| e.0.ends_with("-15550002222")));
    let kept = events
        .iter()
        .find(|e| e.3["field"] == "refused_by_store")
        .expect("the refused facts are kept");
    assert_eq!(kept.0, format!("account-{PHONE_NUMBER_ID}"));
    assert_eq!(
        kept.3["value"]["stream"],
        format!("conversation-{PHONE_NUMBER_ID}-15550002222")
    );
    assert_eq!(kept.3["value"]["facts"][0]["id"], "wamid.poison");
    assert!(kept.3["value"]["reason"]
        .as_str()
        .unwrap()
        .contains("a value the test refuses"));

    // Redelivered: the same, nothing more.
    let before = app.events().await.len();
    assert_eq!(app.post_signed(&body).await.status(), 200);
    assert_eq!(app.events().await.len(), before);

    // Refused even raw: only which stream and why is kept.
    let venom = messages_body(json!([]), json!([text("15550004444", "wamid.v", "venom")]));
    assert_eq!(app.post_signed(&venom).await.status(), 200);
    let note = events_on(&app, "webhook-unrecognised").await;
    assert_eq!(note.len(), 1, "{note:?}");
    assert_eq!(note[0].3["field"], "refused_by_store");
    assert_eq!(
        note[0].3["value"]["stream"],
        format!("conversation-{PHONE_NUMBER_ID}-15550004444")
    );
    app.settled().await;
    assert_eq!(app.health().await["counters"]["errors"], 0);
}

/// A text message body for our number whose text object carries a field nested so that the whole body
/// is `depth` deep.
fn nested_body(depth: usize, wamid: &str) -> Vec<u8> {
    // {entry [{changes [{value {messages [{text { = 9 levels around the field.
    let inner = depth - 9;
    let field = format!("{}{}", "[".repeat(inner), "]".repeat(inner));
    let body = messages_body(
        json!([]),
        json!([{"from": "15550002222", "id": wamid, "timestamp": "1700000000", "type": "text",
                 "text": {"body": "deep", "x": 0}}]),
    );
    let text = String::from_utf8(body)
        .unwrap()
        .replace(r#""x":0"#, &format!(r#""x":{field}"#));
    assert_eq!(depth_of(text.as_bytes()), depth);
    text.into_bytes()
}

fn depth_of(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Part of D1: a body nested deeper than 48 is refused (after the signature), so nothing is stored that
/// cannot be read back; 48 is stored and reads back through the projections, the API and the actor.
#[tokio::test]
async fn a_signed_body_nested_deeper_than_48_is_refused_and_48_reads_back() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.post_signed(&nested_body(48, "wamid.d48"))
            .await
            .status(),
        200
    );

    let too_deep = nested_body(49, "wamid.d49");
    let response = app.post_signed(&too_deep).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "too_deep", "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("48"));

    let brackets = format!("{}{}", "[".repeat(127), "]".repeat(127)).into_bytes();
    let beyond_serde = format!("{}{}", "[".repeat(200), "]".repeat(200)).into_bytes();
    for body in [&brackets, &beyond_serde] {
        let response = app.post_signed(body).await;
        assert_eq!(response.status(), 400);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "too_deep", "{error}");
        assert_eq!(app.post_webhook(body, None).await.status(), 401);
    }

    let events = app.webhook_events().await;
    assert_eq!(events.len(), 1, "only the body of depth 48: {events:?}");
    app.settled().await;
    let id = format!("{PHONE_NUMBER_ID}-15550002222");
    let page = app
        .get_ok(&format!("/api/v1/conversations/{id}/messages"))
        .await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1, "{page}");
    let trail = app
        .get_ok(&format!("/api/v1/conversations/{id}/events"))
        .await;
    assert!(depth_of(trail["events"][0]["payload"].to_string().as_bytes()) > 39);
    let stream = StreamId::conversation(PHONE_NUMBER_ID, "15550002222");
    let (conversation, version) =
        actors::stream_actor::load::<Conversation>(app.state.store.as_ref(), &stream)
            .await
            .expect("the stream reads back");
    assert_eq!(version, 1);
    assert!(conversation.knows_message("wamid.d48"));
}
