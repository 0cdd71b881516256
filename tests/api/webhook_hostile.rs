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

/// A body naming one app's number and another app's business account would need both apps' signatures:
/// it is refused whichever app signed it, so no app writes into another's business account by adding an
/// entry beside its own number's.
#[tokio::test]
async fn a_business_account_of_another_app_beside_an_own_number_is_refused() {
    let app = TestApp::spawn().await;
    add_second_app(&app).await;
    let own = text_body(
        &format!(r#""{PHONE_NUMBER_ID}""#),
        &format!(r#""{WABA_UNKNOWN}""#),
        "15550002222",
        "wamid.mixed",
    );
    let mut body: Value = serde_json::from_slice(&own).unwrap();
    body["entry"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": WABA_B, "changes": [
        {"field": "account_update", "value": {"event": "DISABLED_UPDATE"}}]}));
    let mixed = serde_json::to_vec(&body).unwrap();
    assert_eq!(post(&app, &mixed, APP_SECRET).await.status(), 401);
    assert_eq!(post(&app, &mixed, SECRET_B).await.status(), 401);
    assert!(app.webhook_events().await.is_empty());
    // Each part, signed by its own app, is accepted.
    assert_eq!(post(&app, &own, APP_SECRET).await.status(), 200);
    body["entry"].as_array_mut().unwrap().remove(0);
    let of_b = serde_json::to_vec(&body).unwrap();
    assert_eq!(post(&app, &of_b, APP_SECRET).await.status(), 401);
    assert_eq!(post(&app, &of_b, SECRET_B).await.status(), 200);
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
    assert_eq!(app.health().await["webhook"]["bodies_not_stored"], 0);
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
    assert_eq!(app.health().await["webhook"]["bodies_not_stored"], 0);
    // Each delivery that kept a stream raw is counted: the first, its redelivery, the venom.
    assert_eq!(app.health().await["webhook"]["streams_kept_raw"], 3);
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
    (0..)
        .find(|&max| !actors::json::depth_exceeds(bytes, max))
        .unwrap_or(usize::MAX)
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

/// The property test of the webhook path: random and hostile bodies (valid envelopes with random
/// changes, ids of every JSON type, out-of-range and odd times, U+0000, fields of the wrong type, unknown
/// fields, nesting around the cap), signed by either app, through the real server and PostgreSQL.
mod property {
    use super::*;
    use actors::account::Account;
    use actors::aggregate::Aggregate;
    use actors::event::{DomainEvent, EventMetadata};
    use proptest::collection::{btree_map, vec};
    use proptest::option;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use sqlx::PgPool;
    use std::collections::BTreeSet;

    /// Cases per run; `WEBHOOK_FUZZ_CASES` asks for more.
    const CASES: u32 = 64;

    fn text() -> BoxedStrategy<String> {
        prop_oneof![
            4 => "\\PC{0,16}",
            1 => Just("nul\u{0}inside".to_owned()),
            1 => "[\u{0}-\u{7f}]{0,8}",
        ]
        .boxed()
    }

    fn key() -> BoxedStrategy<String> {
        prop_oneof![6 => "[a-z_]{1,8}", 1 => Just("k\u{0}".to_owned()), 1 => Just("id".to_owned())]
            .boxed()
    }

    fn junk() -> BoxedStrategy<Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            text().prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(Value::Array),
                btree_map(key(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
        .boxed()
    }

    /// Arrays nested `depth` deep.
    fn nested(depth: usize) -> Value {
        (1..depth).fold(json!([]), |inner, _| json!([inner]))
    }

    /// Nesting that puts a message's body around the cap of 48.
    fn deep() -> BoxedStrategy<Value> {
        (28usize..44).prop_map(nested).boxed()
    }

    fn id() -> BoxedStrategy<Value> {
        prop_oneof![
            6 => Just(json!(PHONE_NUMBER_ID)),
            3 => Just(json!(OTHER_ACCOUNT)),
            2 => "[0-9]{1,16}".prop_map(Value::from),
            1 => Just(json!(1122334455667_u64)),
            1 => Just(json!(1.122334455667e12)),
            1 => Just(json!(" 1122334455667")),
            1 => Just(json!(-1122334455667_i64)),
            1 => Just(json!("")),
            1 => Just(Value::Null),
            1 => Just(json!("1122334455667\u{0}")),
            1 => any::<i64>().prop_map(Value::from),
            1 => any::<f64>().prop_map(Value::from),
            1 => text().prop_map(Value::from),
        ]
        .boxed()
    }

    fn business() -> BoxedStrategy<Value> {
        prop_oneof![3 => Just(json!(WABA_B)), 3 => Just(json!(WABA_UNKNOWN)), 2 => id()].boxed()
    }

    fn timestamp() -> BoxedStrategy<Value> {
        prop_oneof![
            4 => (1_600_000_000_i64..1_800_000_000).prop_map(|t| json!(t.to_string())),
            1 => any::<i64>().prop_map(|t| json!(t.to_string())),
            1 => any::<i64>().prop_map(Value::from),
            1 => Just(json!("-8000000000000")),
            1 => any::<f64>().prop_map(Value::from),
            1 => text().prop_map(Value::from),
            1 => Just(Value::Null),
        ]
        .boxed()
    }

    fn customer() -> BoxedStrategy<Value> {
        prop_oneof![6 => "1555000[0-9]{2}".prop_map(Value::from), 1 => "US\\.[0-9]{1,4}".prop_map(Value::from), 1 => id()]
            .boxed()
    }

    fn wamid() -> BoxedStrategy<Value> {
        prop_oneof![6 => "wamid\\.[a-z0-9]{1,6}".prop_map(Value::from), 1 => id()].boxed()
    }

    fn message() -> BoxedStrategy<Value> {
        let kind = prop_oneof![4 => Just("text".to_owned()), 1 => Just("reaction".to_owned()),
                               1 => Just("image".to_owned()), 1 => "[a-z]{1,8}"];
        (
            customer(),
            wamid(),
            timestamp(),
            kind,
            text(),
            option::of(junk()),
            option::weighted(0.2, deep()),
        )
            .prop_map(|(from, id, timestamp, kind, body, extra, deep)| {
                let mut m = json!({"from": from, "id": id, "timestamp": timestamp, "type": kind});
                m[kind.as_str()] = json!({"body": body, "emoji": body, "message_id": id});
                if let Some(extra) = extra {
                    m["unknown_field"] = extra;
                }
                if let Some(deep) = deep {
                    m[kind.as_str()]["deep"] = deep;
                }
                m
            })
            .boxed()
    }

    fn status() -> BoxedStrategy<Value> {
        let state = prop_oneof![
            Just("sent"),
            Just("delivered"),
            Just("read"),
            Just("failed"),
            Just("played"),
            Just("odd")
        ];
        (wamid(), state, timestamp(), customer(), option::of(junk()))
            .prop_map(|(id, status, timestamp, recipient, errors)| {
                let mut s = json!({"id": id, "status": status, "timestamp": timestamp, "recipient_id": recipient});
                if let Some(errors) = errors {
                    s["errors"] = errors;
                }
                s
            })
            .boxed()
    }

    fn contact() -> BoxedStrategy<Value> {
        (customer(), text())
            .prop_map(|(wa_id, name)| json!({"wa_id": wa_id, "profile": {"name": name}}))
            .boxed()
    }

    /// Absent, an array of `item`, or anything else.
    fn list(item: BoxedStrategy<Value>) -> BoxedStrategy<Option<Value>> {
        prop_oneof![
            2 => Just(None),
            6 => vec(item, 0..4).prop_map(|v| Some(Value::Array(v))),
            1 => junk().prop_map(Some),
        ]
        .boxed()
    }

    fn change() -> BoxedStrategy<Value> {
        let field = prop_oneof![6 => Just("messages".to_owned()), 1 => Just("smb_message_echoes".to_owned()),
                                1 => Just("account_update".to_owned()), 1 => "[a-z_]{1,10}"];
        let value = (
            id(),
            list(contact()),
            list(message()),
            list(status()),
            list(message()),
            option::weighted(0.2, (key(), junk())),
        )
            .prop_map(|(number, contacts, messages, statuses, echoes, extra)| {
                let mut v = json!({"messaging_product": "whatsapp",
                                   "metadata": {"display_phone_number": "15550001111", "phone_number_id": number}});
                for (k, list) in [("contacts", contacts), ("messages", messages), ("statuses", statuses),
                                  ("message_echoes", echoes)] {
                    if let Some(list) = list {
                        v[k] = list;
                    }
                }
                if let Some((k, junk)) = extra {
                    v[k.as_str()] = junk;
                }
                v
            });
        prop_oneof![
            8 => (field, value).prop_map(|(field, value)| json!({"field": field, "value": value})),
            1 => junk(),
        ]
        .boxed()
    }

    fn entry() -> BoxedStrategy<Value> {
        prop_oneof![
            8 => (business(), option::weighted(0.3, timestamp()), vec(change(), 0..3)).prop_map(
                |(id, time, changes)| {
                    let mut e = json!({"id": id, "changes": changes});
                    if let Some(time) = time {
                        e["time"] = time;
                    }
                    e
                }
            ),
            1 => junk(),
        ]
        .boxed()
    }

    fn body() -> BoxedStrategy<Value> {
        let object = prop_oneof![9 => Just(json!("whatsapp_business_account")), 1 => junk()];
        prop_oneof![
            10 => (object, vec(entry(), 0..3), option::weighted(0.1, junk())).prop_map(
                |(object, entries, extra)| {
                    let mut b = json!({"object": object, "entry": entries});
                    if let Some(extra) = extra {
                        b["extra"] = extra;
                    }
                    b
                }
            ),
            1 => junk(),
        ]
        .boxed()
    }

    async fn count(pool: &PgPool) -> i64 {
        sqlx::query_scalar("select count(*) from events")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    /// `stream` reads back and holds its facts. Event ids are unique across the whole store, so a fact
    /// whose event is already stored under the same id on another stream (the same wamid, or the same
    /// profile, in another conversation) adds nothing here: then every one of its events must be stored.
    async fn held<A: Aggregate>(
        app: &TestApp,
        pool: &PgPool,
        stream: &StreamId,
        facts: &[A::Fact],
    ) -> Result<(), TestCaseError> {
        let (_, version) = actors::stream_actor::load::<A>(app.state.store.as_ref(), stream)
            .await
            .map_err(|e| TestCaseError::fail(format!("{stream}: {e}")))?;
        if version > 0 {
            return Ok(());
        }
        let metadata = EventMetadata::webhook(uuid::Uuid::nil());
        // What the stream's actor decides for these facts, by the same path.
        let decided = actors::aggregate::record(&mut A::default(), facts).map_err(|refusal| {
            TestCaseError::fail(format!("{stream}: a fact from Meta was refused: {refusal}"))
        })?;
        let ids: BTreeSet<uuid::Uuid> = decided
            .events
            .iter()
            .map(|event| event.to_new_event(&metadata).id)
            .collect();
        let ids: Vec<uuid::Uuid> = ids.into_iter().collect();
        let stored: i64 =
            sqlx::query_scalar("select count(*) from events where event_id = any($1)")
                .bind(&ids)
                .fetch_one(pool)
                .await
                .unwrap();
        prop_assert_eq!(
            stored as usize,
            ids.len(),
            "{} holds nothing of its facts",
            stream
        );
        Ok(())
    }

    /// Posts one body and checks what the server did with it.
    async fn check(
        app: &TestApp,
        pool: &PgPool,
        body: &Value,
        by_second_app: bool,
    ) -> Result<u16, TestCaseError> {
        let bytes = serde_json::to_vec(body).unwrap();
        let secret = if by_second_app { SECRET_B } else { APP_SECRET };
        let before = count(pool).await;
        let response = post(app, &bytes, secret).await;
        let status = response.status().as_u16();
        prop_assert!(matches!(status, 200 | 400 | 401), "answered {}", status);
        // 400 is for nesting past the cap only (after the signature: a wrong one is 401 first).
        let too_deep = depth_of(&bytes) > 48;
        prop_assert_eq!(
            status == 400,
            too_deep && status != 401,
            "answered {}",
            status
        );
        if status != 200 {
            prop_assert_eq!(count(pool).await, before, "a refused body stored something");
            return Ok(status);
        }
        let request_id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let answer: Value = response.json().await.unwrap();
        let appended = answer["events_appended"].as_u64().unwrap();
        let already_known = answer["facts_already_known"].as_u64().unwrap();

        // What was acknowledged is stored: every event the answer counts, under this request.
        let mine: Vec<(String, String)> = sqlx::query_as(
            "select stream_id, event_type from events where metadata->>'correlation_id' = $1",
        )
        .bind(&request_id)
        .fetch_all(pool)
        .await
        .unwrap();
        prop_assert_eq!(mine.len() as u64, appended);
        // Events decided beside a fact's own: a watch listing read in its text, and the bot's hand-over
        // when a person writes from the WhatsApp Business app (an echo).
        let beside = mine
            .iter()
            .filter(|(_, t)| t == "watch.detected" || t == "conversation.bot_set")
            .count() as u64;
        // Neither app wrote into the other's number.
        let other = if by_second_app {
            PHONE_NUMBER_ID
        } else {
            OTHER_ACCOUNT
        };
        for (stream, _) in &mine {
            prop_assert!(
                !stream.starts_with(&format!("conversation-{other}-"))
                    && stream != &format!("account-{other}"),
                "signed by one app, written into the other's number: {}",
                stream
            );
        }
        // Every fact routed is stored now or was before (each decides at most one event), and every stream
        // it went to reads back.
        let mut value = body.clone();
        actors::webhook::replace_nul(&mut value);
        let routed = actors::webhook::route(&value, &[PHONE_NUMBER_ID, OTHER_ACCOUNT][..]);
        let facts = routed
            .conversations
            .iter()
            .map(|(_, f)| f.len())
            .sum::<usize>()
            + routed.accounts.iter().map(|(_, f)| f.len()).sum::<usize>();
        prop_assert_eq!(
            appended - beside + already_known,
            facts as u64,
            "{}",
            answer
        );
        for (stream, facts) in &routed.conversations {
            held::<Conversation>(app, pool, stream, facts).await?;
        }
        for (stream, facts) in &routed.accounts {
            held::<Account>(app, pool, stream, facts).await?;
        }
        // No number but the two registered has a conversation or an account stream.
        let numbered: Vec<(String,)> = sqlx::query_as(
            "select stream_id from streams where stream_id like 'conversation-%' or stream_id like 'account-%'",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        for (stream,) in numbered {
            let registered = [PHONE_NUMBER_ID, OTHER_ACCOUNT].iter().any(|n| {
                stream.starts_with(&format!("conversation-{n}-"))
                    || stream == format!("account-{n}")
            });
            prop_assert!(
                registered,
                "a stream for a number not registered: {}",
                stream
            );
        }
        Ok(status)
    }

    #[test]
    fn random_and_hostile_bodies_are_never_an_outage_and_what_is_acknowledged_reads_back() {
        let cases = std::env::var("WEBHOOK_FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(CASES);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (app, pool) = rt.block_on(async {
            let app = TestApp::spawn().await;
            add_second_app(&app).await;
            let pool = app.db.pool().await;
            (app, pool)
        });
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let stored = std::cell::Cell::new(0_u32);
        let outcome = runner.run(&(body(), any::<bool>()), |(body, by_second_app)| {
            let status = rt.block_on(check(&app, &pool, &body, by_second_app))?;
            stored.set(stored.get() + u32::from(status == 200));
            Ok(())
        });
        rt.block_on(async {
            if outcome.is_ok() {
                // About three in four bodies are stored; far fewer means the generator went astray.
                let stored = stored.get();
                assert!(
                    stored >= cases / 3,
                    "only {stored} of {cases} bodies stored"
                );
                // The projections read back every stored event.
                app.settled().await;
                assert_eq!(app.health().await["webhook"]["bodies_not_stored"], 0);
            }
            pool.close().await;
            app.stop().await.expect("the app stops cleanly");
        });
        if let Err(e) = outcome {
            panic!("{e}");
        }
    }
}
