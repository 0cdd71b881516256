//! Search through the API: words in French and English whatever their accents and endings, references
//! exactly, filters and facets, pages, hostile queries, and never a hit from a number the caller may
//! not read. (Semantic and hybrid search with a real model: `search_semantic.rs`.)

use crate::access::{call, create_user, sign_in, two_accounts, OTHER_ACCOUNT};
use crate::helpers::*;
use serde_json::{json, Value};

const ALICE: &str = "447700900001";
const BOB: &str = "447700900002";
const CAROL: &str = "447700900003";
const DAN: &str = "447700900004";
const ERIN: &str = "447700900005";

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
            "Bonjour, merci pour hier ! Les montres sont arrivées en parfait état",
            200,
        ),
        (
            DAN,
            "Dan",
            "wamid.d1",
            "Vends Omega Speedmaster Moonwatch 311.30.42.30.01.005, 5 200 €",
            300,
        ),
        (
            ERIN,
            "Erin",
            "wamid.e1",
            "Patek Philippe Nautilus 5711/1A dispo, shipping worldwide",
            400,
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

fn hits(page: &Value) -> Vec<&str> {
    page["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits in {page}"))
        .iter()
        .map(|h| h["message_id"].as_str().unwrap())
        .collect()
}

/// The words a hit's highlights mark in its snippet.
fn marked(hit: &Value) -> Vec<String> {
    let snippet: Vec<char> = hit["snippet"].as_str().unwrap().chars().collect();
    hit["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let (s, e) = (
                h["start"].as_u64().unwrap() as usize,
                h["end"].as_u64().unwrap() as usize,
            );
            snippet[s..e].iter().collect()
        })
        .collect()
}

/// `q` as a query string value: every byte but letters and digits percent-encoded.
pub(crate) fn encoded(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn search(q: &str) -> String {
    format!("/api/v1/search?mode=keyword&q={}", encoded(q))
}

#[tokio::test]
async fn a_reference_finds_exactly_the_messages_that_name_it() {
    let app = TestApp::spawn().await;
    customers_write(&app).await;

    let page = app.get_ok(&search("116610LN")).await;
    assert_eq!(hits(&page), ["wamid.b1", "wamid.a1"], "{page}");
    assert_eq!(page["hits"][0]["scores"]["exact"], true);
    assert_eq!(page["total"], 2);

    // Written in lower case, or without its separators, it is the same reference.
    for q in ["5711/1a", "57111A"] {
        assert_eq!(hits(&app.get_ok(&search(q)).await), ["wamid.e1"], "{q}");
    }
    let page = app.get_ok(&search("311.30.42.30.01.005")).await;
    assert_eq!(hits(&page), ["wamid.d1"], "{page}");
    // A number that is only part of a reference finds nothing exactly.
    assert!(hits(&app.get_ok(&search("116610")).await).is_empty());
}

#[tokio::test]
async fn words_are_found_whatever_their_accents_and_endings_and_are_highlighted() {
    let app = TestApp::spawn().await;
    customers_write(&app).await;

    for q in ["montre", "MONTRES", "arrivees", "état"] {
        let page = app.get_ok(&search(q)).await;
        assert_eq!(hits(&page), ["wamid.c1"], "{q}: {page}");
    }
    let page = app.get_ok(&search("montre etat")).await;
    let hit = &page["hits"][0];
    assert_eq!(marked(hit), ["montres", "état"]);
    assert_eq!(hit["conversation_id"], format!("{PHONE_NUMBER_ID}-{CAROL}"));
    assert_eq!(hit["direction"], "inbound");
    // English stems too.
    assert_eq!(hits(&app.get_ok(&search("ships")).await), ["wamid.e1"]);
}

#[tokio::test]
async fn filters_narrow_and_facets_count_the_results() {
    let app = TestApp::spawn().await;
    customers_write(&app).await;

    let page = app.get_ok(&search("rolex")).await;
    assert_eq!(page["total"], 2);
    assert_eq!(
        page["facets"]["type"],
        json!([{"value": "sale", "count": 1}, {"value": "wanted", "count": 1}])
    );
    assert_eq!(
        page["facets"]["brand"],
        json!([{"value": "Rolex", "count": 2}])
    );
    assert_eq!(
        page["facets"]["account"],
        json!([{"value": PHONE_NUMBER_ID, "count": 2}])
    );
    assert_eq!(page["hits"][0]["models"], json!(["Submariner"]));

    let wanted = app
        .get_ok(&format!("{}&type=wanted", search("rolex")))
        .await;
    assert_eq!(hits(&wanted), ["wamid.b1"]);
    let cheap = app
        .get_ok("/api/v1/search?mode=keyword&max_price=6000&currency=EUR")
        .await;
    assert_eq!(hits(&cheap), ["wamid.d1"], "{cheap}");
    let in_time = app
        .get_ok("/api/v1/search?since=2023-11-14T22:15:00Z&until=2023-11-14T22:16:41Z")
        .await;
    assert_eq!(hits(&in_time), ["wamid.c1", "wamid.b1"], "{in_time}");
}

#[tokio::test]
async fn without_words_every_message_is_listed_newest_first_in_pages() {
    let app = TestApp::spawn().await;
    customers_write(&app).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/search?limit=2".to_owned();
    loop {
        let page = app.get_ok(&path).await;
        assert_eq!(page["total"], 5);
        seen.extend(hits(&page).into_iter().map(str::to_owned));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/search?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["wamid.e1", "wamid.d1", "wamid.c1", "wamid.b1", "wamid.a1"]
    );
}

#[tokio::test]
async fn an_edited_message_is_found_by_its_new_words_and_a_deleted_one_not_at_all() {
    let app = TestApp::spawn().await;
    customers_write(&app).await;
    let edit = json!({
        "from": ALICE, "id": "wamid.a2", "timestamp": "1700000500", "type": "edit",
        "edit": {"original_message_id": "wamid.a1",
                 "message": {"type": "text", "text": {"body": "Vends Rolex Daytona 116500LN"}}}
    });
    let revoke = json!({
        "from": DAN, "id": "wamid.d2", "timestamp": "1700000600", "type": "revoke",
        "revoke": {"original_message_id": "wamid.d1"}
    });
    app.post_signed(&messages_body(contact(ALICE, "Alice"), json!([edit])))
        .await;
    app.post_signed(&messages_body(contact(DAN, "Dan"), json!([revoke])))
        .await;
    app.settled().await;

    assert_eq!(hits(&app.get_ok(&search("daytona")).await), ["wamid.a1"]);
    assert_eq!(hits(&app.get_ok(&search("116610LN")).await), ["wamid.b1"]);
    assert!(hits(&app.get_ok(&search("speedmaster")).await).is_empty());
}

#[tokio::test]
async fn a_user_of_another_number_finds_nothing_here_not_even_a_count() {
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
    for path in [
        search("rolex"),
        "/api/v1/search".to_owned(),
        format!("/api/v1/search?account={PHONE_NUMBER_ID}"),
        format!("/api/v1/search?q=rolex&conversation={PHONE_NUMBER_ID}-{ALICE}"),
    ] {
        let (status, body) = call(&app, "GET", &path, Some(&other), &Value::Null).await;
        assert_eq!(status, 200, "{body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        // Only what was said on their own number: the one message two_accounts wrote there.
        for hit in body["hits"].as_array().unwrap() {
            assert_eq!(hit["account_id"], OTHER_ACCOUNT, "{path}: {body}");
        }
        assert!(body["total"].as_i64().unwrap() <= 1, "{path}: {body}");
        assert!(
            !body.to_string().contains(PHONE_NUMBER_ID),
            "{path}: {body}"
        );
    }
    let (_, body) = call(&app, "GET", &search("rolex"), Some(&other), &Value::Null).await;
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["total"], 0);
}

#[tokio::test]
async fn hostile_queries_get_results_or_a_reason_never_a_server_error() {
    let app = TestApp::spawn().await;
    customers_write(&app).await;
    for q in [
        "& | ! : * ( )",
        "rolex & | !",
        "' or 1=1 --",
        "\"unclosed",
        "a:* | (b <-> c)",
        "\\",
        "🙂🙂🙂",
        "\u{202e}116610LN",
        "<script>alert(1)</script>",
        &"montre ".repeat(142),
        &format!("{}rolex", "- ".repeat(40)),
        &"-".repeat(200),
    ] {
        for mode in ["keyword", "hybrid"] {
            let path = format!("/api/v1/search?mode={mode}&q={}", encoded(q));
            let (status, body) = call(&app, "GET", &path, Some(API_TOKEN), &Value::Null).await;
            assert_eq!(status, 200, "{q:?}: {body}");
        }
    }
    for (query, code) in [
        (format!("q={}", "x".repeat(1001)), "invalid_query"),
        ("mode=fuzzy".to_owned(), "invalid_request"),
        ("limit=101".to_owned(), "invalid_limit"),
        ("cursor=not-a-cursor".to_owned(), "invalid_cursor"),
        ("min_price=-1".to_owned(), "invalid_price"),
        ("direction=sideways".to_owned(), "invalid_direction"),
        ("q=rolex&mode=semantic".to_owned(), "semantic_unavailable"),
    ] {
        let (status, body) = call(
            &app,
            "GET",
            &format!("/api/v1/search?{query}"),
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
    // Hybrid without a model says it searched by words only.
    let page = app.get_ok("/api/v1/search?q=rolex").await;
    assert_eq!(page["mode"], "keyword");
    assert!(page["notice"]
        .as_str()
        .unwrap()
        .contains("keyword results only"));
    assert_eq!(hits(&page), ["wamid.b1", "wamid.a1"]);
}
