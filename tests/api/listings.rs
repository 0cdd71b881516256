//! Watch listings read in customers' messages: listed with filters, counted, priced, matched, and only
//! within the caller's numbers.

use crate::access::{call, create_user, sign_in, two_accounts, OTHER_ACCOUNT};
use crate::helpers::*;
use serde_json::{json, Value};

const ALICE: &str = "447700900001";
const BOB: &str = "447700900002";
const CAROL: &str = "447700900003";
const DAN: &str = "447700900004";

async fn customers_write(app: &TestApp) {
    for (who, name, wamid, body, at) in [
        (
            ALICE,
            "Alice",
            "wamid.a1",
            "Vends Rolex Submariner 116610LN full set de 2018, 9 800 €",
            0,
        ),
        (
            BOB,
            "Bob",
            "wamid.b1",
            "Cherche Rolex Submariner 116610LN, budget 10 000 €",
            100,
        ),
        (
            CAROL,
            "Carol",
            "wamid.c1",
            "Bonjour, merci pour hier !",
            200,
        ),
        (
            DAN,
            "Dan",
            "wamid.d1",
            "Vends Omega Speedmaster Moonwatch 311.30.42.30.01.005, 5 200 €",
            300,
        ),
    ] {
        app.post_signed(&messages_body(
            contact(who, name),
            json!([text_at(who, wamid, body, at)]),
        ))
        .await;
    }
    app.settled().await;
}

fn listings(page: &Value) -> Vec<(&str, &str, Option<&str>)> {
    page["listings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["message_id"].as_str().unwrap(),
                l["type"].as_str().unwrap(),
                l["brand"].as_str(),
            )
        })
        .collect()
}

#[tokio::test]
async fn offers_and_requests_are_listed_newest_first_with_what_was_read() {
    let app = TestApp::spawn().await;
    customers_write(&app).await;

    // What /health counts: four messages read, two offers worth 15,000 € in all, one request.
    assert_eq!(
        app.health().await["watch"],
        json!({"messages_analysed": 4, "sales": 2, "wanted": 1, "questions": 0, "trades": 0,
               "value_detected": {"EUR": 15000.0}})
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "inbox_watch_messages_analysed_total",
        "inbox_watch_messages_total{type=\"sale\"}",
        "inbox_watch_value_total{currency=\"EUR\"}",
    ] {
        assert!(metrics.contains(name), "{name} is not in /metrics");
    }

    let page = app.get_ok("/api/v1/listings").await;
    assert_eq!(
        listings(&page),
        [
            ("wamid.d1", "sale", Some("Omega")),
            ("wamid.b1", "wanted", Some("Rolex")),
            ("wamid.a1", "sale", Some("Rolex")),
        ],
        "{page}"
    );
    let alice = &page["listings"][2];
    assert_eq!(
        alice["conversation_id"],
        format!("{PHONE_NUMBER_ID}-{ALICE}")
    );
    assert_eq!(alice["model"], "Submariner");
    assert_eq!(alice["reference"], "116610LN");
    assert_eq!(
        (alice["price"].as_f64(), alice["currency"].as_str()),
        (Some(9800.0), Some("EUR"))
    );
    assert_eq!(alice["year"], 2018);
    assert_eq!(
        (alice["box"].as_bool(), alice["papers"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(alice["direction"], "inbound");
    // The span of the brand is where "Rolex" is in the text.
    let span = &alice["spans"]["brand"];
    let text: Vec<char> = "Vends Rolex Submariner 116610LN full set de 2018, 9 800 €"
        .chars()
        .collect();
    let (start, end) = (
        span["start"].as_u64().unwrap() as usize,
        span["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(text[start..end].iter().collect::<String>(), "Rolex");

    // Filters, each alone.
    for (query, expected) in [
        ("brand=rolex", vec!["wamid.b1", "wamid.a1"]),
        ("type=wanted", vec!["wamid.b1"]),
        ("model=Speedmaster", vec!["wamid.d1"]),
        ("reference=116610 ln", vec!["wamid.b1", "wamid.a1"]),
        (
            "min_price=6000&max_price=9900&currency=eur",
            vec!["wamid.a1"],
        ),
        ("q=speed", vec!["wamid.d1"]),
        ("since=2023-11-14T22:15:00Z", vec!["wamid.d1", "wamid.b1"]),
        (
            &format!("conversation={PHONE_NUMBER_ID}-{DAN}"),
            vec!["wamid.d1"],
        ),
    ] {
        let page = app.get_ok(&format!("/api/v1/listings?{query}")).await;
        let ids: Vec<&str> = listings(&page).into_iter().map(|l| l.0).collect();
        assert_eq!(ids, expected, "{query}: {page}");
    }

    // Pages follow on without repeats.
    let first = app.get_ok("/api/v1/listings?limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = app
        .get_ok(&format!("/api/v1/listings?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(listings(&rest), [("wamid.a1", "sale", Some("Rolex"))]);
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn a_request_matches_the_offers_within_its_price_and_an_offer_the_requests_it_answers() {
    let app = TestApp::spawn().await;
    customers_write(&app).await;
    let bob = format!("{PHONE_NUMBER_ID}-{BOB}");
    let matched = app
        .get_ok(&format!(
            "/api/v1/listings/matches?conversation={bob}&message=wamid.b1"
        ))
        .await;
    assert_eq!(matched["listing"]["type"], "wanted");
    let ids: Vec<&str> = matched["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["wamid.a1"], "{matched}");

    let alice = format!("{PHONE_NUMBER_ID}-{ALICE}");
    let matched = app
        .get_ok(&format!(
            "/api/v1/listings/matches?conversation={alice}&message=wamid.a1&index=0"
        ))
        .await;
    let ids: Vec<&str> = matched["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["wamid.b1"], "{matched}");

    let (status, body) = call(
        &app,
        "GET",
        &format!("/api/v1/listings/matches?conversation={alice}&message=wamid.nope"),
        Some(API_TOKEN),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn statistics_count_by_type_brand_and_family_and_spread_asking_prices() {
    let app = TestApp::spawn().await;
    customers_write(&app).await;
    let stats = app
        .get_ok("/api/v1/listings/stats?since=2023-01-01T00:00:00Z&until=2024-01-01T00:00:00Z")
        .await;
    assert_eq!(
        stats["by_type"],
        json!([{"name": "sale", "count": 2}, {"name": "wanted", "count": 1}])
    );
    assert_eq!(stats["by_brand"][0], json!({"name": "Rolex", "count": 2}));
    let sub = stats["prices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["model"] == "Submariner")
        .unwrap();
    assert_eq!(
        (sub["count"].as_i64(), sub["median"].as_f64()),
        (Some(1), Some(9800.0))
    );
    assert_eq!(sub["currency"], "EUR");
    let days: i64 = stats["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["count"].as_i64().unwrap())
        .sum();
    assert_eq!(days, 3);
}

#[tokio::test]
async fn a_user_of_another_number_sees_none_of_these_listings() {
    let app = TestApp::spawn().await;
    two_accounts(&app).await;
    customers_write(&app).await;
    create_user(
        &app,
        "other@example.com",
        json!([{"role": "agent", "account": OTHER_ACCOUNT}]),
    )
    .await;
    let other = sign_in(&app, "other@example.com").await;
    for path in ["/api/v1/listings", "/api/v1/listings/stats"] {
        let (status, body) = call(&app, "GET", path, Some(&other), &Value::Null).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            !body.contains(PHONE_NUMBER_ID) && !body.contains("Rolex"),
            "{path}: {body}"
        );
    }
    let alice = format!("{PHONE_NUMBER_ID}-{ALICE}");
    let (status, _) = call(
        &app,
        "GET",
        &format!("/api/v1/listings/matches?conversation={alice}&message=wamid.a1"),
        Some(&other),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_filters_are_refused_with_a_reason() {
    let app = TestApp::spawn().await;
    for (query, code) in [
        ("min_price=-1", "invalid_price"),
        ("max_price=NaN", "invalid_price"),
        ("limit=0", "invalid_limit"),
        ("cursor=not-a-cursor", "invalid_cursor"),
        ("type=sold", "invalid_request"),
        (&format!("brand={}", "x".repeat(101)), "invalid_query"),
    ] {
        let (status, body) = call(
            &app,
            "GET",
            &format!("/api/v1/listings?{query}"),
            Some(API_TOKEN),
            &Value::Null,
        )
        .await;
        let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{query}: {body}"
        );
    }
}

/// A message recorded before the extractor read it (an older build, or one whose reading a newer version
/// improves) gets its reading from `inbox listings redetect`; a second run appends nothing.
#[tokio::test]
async fn redetect_reads_the_messages_the_log_holds_without_a_reading_and_only_once() {
    use actors::conversation::events::ConversationEvent;
    use actors::conversation::message::InboundMessage;
    use actors::event::{DomainEvent, EventMetadata, StreamId};
    use actors::store::ExpectedVersion;
    let app = TestApp::spawn().await;
    customers_write(&app).await;
    // Eve's offer as an older build recorded it: the message alone.
    let eve = "447700900005";
    let raw = text_at(
        eve,
        "wamid.e1",
        "Vends Tudor Black Bay 58 bleue, 3 200 €",
        400,
    );
    let message = ConversationEvent::MessageReceived(InboundMessage::parse(&raw).unwrap());
    let stream = StreamId::new(format!("conversation-{PHONE_NUMBER_ID}-{eve}"));
    app.state
        .store
        .append(
            stream,
            ExpectedVersion::Any,
            vec![message.to_new_event(&EventMetadata::system("an older build"))],
        )
        .await
        .unwrap();

    let run = || inbox::listings::redetect::redetect(app.state.store.as_ref(), None, |_, _| {});
    let first = run().await.unwrap();
    assert_eq!(
        (first.messages, first.appended, first.known),
        (5, 1, 3),
        "{first:?}"
    );
    let again = run().await.unwrap();
    assert_eq!((again.appended, again.known), (0, 4), "{again:?}");
    // Only what was written since a moment, when asked.
    let since = chrono::DateTime::from_timestamp(1_700_000_300, 0);
    let recent = inbox::listings::redetect::redetect(app.state.store.as_ref(), since, |_, _| {})
        .await
        .unwrap();
    assert_eq!(recent.messages, 2, "{recent:?}");

    app.settled().await;
    let page = app.get_ok("/api/v1/listings?brand=tudor").await;
    assert_eq!(
        listings(&page),
        [("wamid.e1", "sale", Some("Tudor"))],
        "{page}"
    );
    assert_eq!(page["listings"][0]["model"], "Black Bay");
}
