//! The bot end to end: customers write through wa-sim (Meta's side), the bot asks llm-sim (Gemini's
//! side) and answers through the normal sending path; hand-overs send the fallback phrase and a summary
//! to the escalation number, and an agent's reply stops the bot.

use crate::helpers::{TestApp, API_TOKEN, PHONE_NUMBER_ID};
use crate::sending::{as_overrides, sending_settings, sim_config};
use llm_sim::{Answer, Failure, LlmSim, Rule, SimConfig as LlmConfig};
use serde_json::{json, Value};
use std::time::Duration;
use wa_sim::{self as sim, SimHandle};

const CUSTOMER: &str = "447700900111";
const OTHER_CUSTOMER: &str = "447700900222";
/// The colleague who gets hand-over summaries.
const BACKUP: &str = "447700900999";
const FALLBACK: &str = "Je me renseigne auprès d'un collègue et je reviens vers vous au plus vite.";

struct BotWorld {
    app: TestApp,
    sim: SimHandle,
    llm: LlmSim,
}

impl BotWorld {
    async fn start(extra: &[(&'static str, &str)]) -> BotWorld {
        let llm = LlmSim::start(LlmConfig::default())
            .await
            .expect("llm-sim starts");
        let sim = sim::start(sim_config(), "127.0.0.1:0".parse().unwrap())
            .await
            .expect("wa-sim starts");
        let mut settings = sending_settings(&sim);
        settings.extend([
            ("GEMINI_API_KEY", LlmConfig::default().gemini_key),
            ("GEMINI_BASE_URL", llm.base_url()),
            ("INBOX_BOT_DEBOUNCE_MS", "300".to_owned()),
            // The listing reader asks the same model: off unless a test is about it, so the requests a
            // test counts are the bot's.
            ("INBOX_LISTINGS_MODEL_BELOW", "0".to_owned()),
        ]);
        settings.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let app = TestApp::spawn_with(&as_overrides(&settings)).await;
        sim.set_inbox(app.url("/webhook/whatsapp"));
        // The number configured at start-up is in the accounts view.
        app.settled().await;
        BotWorld { app, sim, llm }
    }

    /// Saves the number's bot settings: on, with a small playbook, summaries to `BACKUP`.
    async fn configure(&self, extra: Value) -> Value {
        let mut settings = settings_with(json!({
            "enabled": true,
            "profile": {"name": "Montres Ana", "opening_hours": "Tue-Sat 10-19"},
            "playbook": {"faq": "We ship to Portugal in 2 days for 15 EUR.", "offers": "Rolex, Omega, Tudor."},
            "escalation_number": format!("+{BACKUP}"),
        }));
        if let (Some(s), Some(e)) = (settings.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        let response = self
            .app
            .client
            .put(
                self.app
                    .url(&format!("/api/v1/accounts/{PHONE_NUMBER_ID}/bot")),
            )
            .bearer_auth(API_TOKEN)
            .json(&json!({ "settings": settings }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn writes(&self, from: &str, message: Value) -> String {
        let (wamid, answer) =
            sim::webhooks::customer_writes(&self.sim.state, from, Some("Ann"), message).await;
        assert_eq!(answer, 200);
        wamid
    }

    async fn says(&self, from: &str, text: &str) -> String {
        self.writes(from, json!({"type": "text", "text": {"body": text}}))
            .await
    }

    /// Texts the business sent to `to` through Meta, in order.
    fn sent_to(&self, to: &str) -> Vec<String> {
        self.sim
            .state
            .world()
            .sent
            .iter()
            .filter(|m| m["to"] == to)
            .map(|m| m["text"]["body"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// Waits until `to` received `n` texts (a synchronisation point: it fails only if they never come).
    async fn until_sent(&self, to: &str, n: usize) -> Vec<String> {
        for _ in 0..600 {
            let sent = self.sent_to(to);
            if sent.len() >= n {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{to} never received {n} messages: {:?}", self.sent_to(to));
    }

    async fn bot_of(&self, customer: &str) -> Value {
        self.app.settled().await;
        self.app
            .get_ok(&format!(
                "/api/v1/conversations/{PHONE_NUMBER_ID}-{customer}/bot"
            ))
            .await
    }

    /// Waits until the conversation's bot has no customer message left to answer and no turn under
    /// way.
    async fn until_answered(&self, customer: &str) -> Value {
        for _ in 0..600 {
            let bot = self.bot_of(customer).await;
            let under_way = bot["turns"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t["outcome"] == "claimed"));
            if bot["waiting_message_id"].is_null() && !under_way && bot["turns"] != json!([]) {
                return bot;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the bot never answered {customer}: {}",
            self.bot_of(customer).await
        );
    }
}

/// Whole bot settings (the API takes them whole): the defaults with `changes` laid over them.
pub(crate) fn settings_with(changes: Value) -> Value {
    fn merge(base: &mut Value, changes: &Value) {
        match (base, changes) {
            (Value::Object(b), Value::Object(c)) => {
                for (k, v) in c {
                    merge(b.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
            (b, c) => *b = c.clone(),
        }
    }
    let mut settings = serde_json::to_value(actors::bot::settings::BotSettings::default()).unwrap();
    merge(&mut settings, &changes);
    settings
}

fn rule(pattern: &str, reply: &str, confidence: f64) -> Rule {
    Rule {
        pattern: pattern.into(),
        answer: Answer::Bot {
            reply: reply.into(),
            confidence,
            needs_human: false,
            reasons: vec!["from the FAQ".into()],
        },
    }
}

#[tokio::test]
async fn a_covered_question_gets_the_bots_reply_with_its_turn_recorded() {
    let w = BotWorld::start(&[]).await;
    w.configure(json!({})).await;
    w.llm.add_rule(rule(
        "ship",
        "Oui, 2 jours pour 15 EUR vers le Portugal.",
        0.93,
    ));
    w.says(CUSTOMER, "Do you ship to Porto?").await;

    let sent = w.until_sent(CUSTOMER, 1).await;
    assert_eq!(sent, ["Oui, 2 jours pour 15 EUR vers le Portugal."]);
    let bot = w.until_answered(CUSTOMER).await;
    let turn = &bot["turns"][0];
    assert_eq!(turn["outcome"], "replied");
    assert_eq!(turn["kind"], "answer");
    assert_eq!(turn["confidence"], 0.93);
    assert_eq!(turn["playbook_version"], 1);
    assert_eq!(turn["model"], "gemini:gemini-3.5-flash-lite");
    assert_eq!(turn["reasons"], json!(["from the FAQ"]));
    assert_eq!(bot["enabled"], true);

    // What the model was sent: the playbook as the system instruction, the question as the last turn.
    let requests = w.llm.requests();
    assert_eq!(requests.len(), 1);
    let body = &requests[0].body;
    let system = body["systemInstruction"]["parts"][0]["text"]
        .as_str()
        .unwrap();
    assert!(system.contains("We ship to Portugal in 2 days"), "{system}");
    assert!(system.contains("Montres Ana"), "{system}");
    let last = body["contents"].as_array().unwrap().last().unwrap();
    assert_eq!(last["role"], "user");
    assert_eq!(last["parts"][0]["text"], "Do you ship to Porto?");
}

#[tokio::test]
async fn an_uncovered_question_hands_over_with_the_fallback_phrase_and_a_summary() {
    let w = BotWorld::start(&[]).await;
    // The colleague wrote to the number today, so WhatsApp lets the summary through. (Before the bot was
    // on: the bot answers only what customers write after it is switched on.)
    w.says(BACKUP, "I'm the backup for today").await;
    w.app.settled().await;
    w.configure(json!({})).await;
    w.llm.add_rule(Rule {
        pattern: "tudor".into(),
        answer: Answer::Bot {
            reply: "Peut-être".into(),
            confidence: 0.35,
            needs_human: false,
            reasons: vec!["prices are not in the playbook".into()],
        },
    });
    w.says(CUSTOMER, "How much for a Tudor Black Bay 58?").await;

    let sent = w.until_sent(CUSTOMER, 1).await;
    assert_eq!(sent, [FALLBACK]);
    let bot = w.until_answered(CUSTOMER).await;
    assert_eq!(bot["enabled"], false);
    assert_eq!(bot["off_reason"], "escalated");
    assert_eq!(bot["last_escalation_reason"], "low_confidence");
    assert_eq!(bot["turns"][0]["would_have_replied"], "Peut-être");
    assert_eq!(bot["turns"][0]["escalation_number"], BACKUP);

    let summary = w.until_sent(BACKUP, 1).await;
    for part in [
        CUSTOMER,
        "Tudor Black Bay 58",
        "low confidence",
        "0.35",
        "Peut-être",
        "prices are not in the playbook",
    ] {
        assert!(
            summary[0].contains(part),
            "{part} missing from {}",
            summary[0]
        );
    }

    // Handed over: the customer's next message waits for a person (while another customer, who wrote
    // after, is answered).
    w.llm.add_rule(rule("ship", "Yes.", 0.9));
    w.says(CUSTOMER, "Hello?").await;
    w.says(OTHER_CUSTOMER, "Do you ship?").await;
    w.until_sent(OTHER_CUSTOMER, 1).await;
    assert_eq!(w.sent_to(CUSTOMER), [FALLBACK]);
}

#[tokio::test]
async fn an_image_gets_the_attachment_phrase_without_asking_the_model() {
    let w = BotWorld::start(&[]).await;
    w.configure(json!({"attachment_phrase": "Je ne peux pas lire ce type de contenu, peux-tu me l'écrire ?"}))
        .await;
    let media = w
        .sim
        .state
        .add_media(b"\xff\xd8\xff\xe0 a jpeg".to_vec(), "image/jpeg");
    w.writes(
        CUSTOMER,
        json!({"type": "image", "image": {"id": media, "mime_type": "image/jpeg"}}),
    )
    .await;
    let sent = w.until_sent(CUSTOMER, 1).await;
    assert_eq!(
        sent,
        ["Je ne peux pas lire ce type de contenu, peux-tu me l'écrire ?"]
    );
    let bot = w.until_answered(CUSTOMER).await;
    assert_eq!(bot["turns"][0]["kind"], "attachment");
    assert!(
        w.llm.requests().is_empty(),
        "the model is not asked about a picture"
    );
}

#[tokio::test]
async fn a_voice_note_is_transcribed_and_answered() {
    let w = BotWorld::start(&[]).await;
    w.configure(json!({})).await;
    w.llm.add_rule(rule("ship", "Yes, in 2 days.", 0.9));
    // llm-sim hears an "audio" file made of a sentence's bytes as that sentence.
    let media = w
        .sim
        .state
        .add_media(b"Do you ship to Lisbon?".to_vec(), "audio/ogg");
    w.writes(
        CUSTOMER,
        json!({"type": "audio", "audio": {"id": media, "mime_type": "audio/ogg", "voice": true}}),
    )
    .await;
    let sent = w.until_sent(CUSTOMER, 1).await;
    assert_eq!(sent, ["Yes, in 2 days."]);
    let bot = w.until_answered(CUSTOMER).await;
    assert_eq!(bot["transcripts"][0]["text"], "Do you ship to Lisbon?");
    let requests = w.llm.requests();
    assert_eq!(requests.len(), 2, "one transcription, one answer");
    let audio = &requests[0].body["contents"][0]["parts"][0]["inlineData"];
    assert_eq!(audio["mimeType"], "audio/ogg");

    // The agents read the words under the voice note, and find the note by them.
    w.app.settled().await;
    let page = w
        .app
        .get_ok(&format!(
            "/api/v1/conversations/{PHONE_NUMBER_ID}-{CUSTOMER}/messages"
        ))
        .await;
    let note = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "audio")
        .unwrap_or_else(|| panic!("no voice note in {page}"));
    assert_eq!(note["transcript"]["text"], "Do you ship to Lisbon?");
    assert!(note["transcript"]["model"]
        .as_str()
        .unwrap()
        .starts_with("gemini:"));
    let found = w.app.get_ok("/api/v1/search?mode=keyword&q=lisbon").await;
    assert_eq!(found["hits"][0]["message_id"], note["id"], "{found}");
    assert_eq!(found["hits"][0]["kind"], "audio");

    // Operators see how long customers wait for the bot.
    let metrics = w
        .app
        .client
        .get(w.app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("inbox_bot_reply_lag_seconds_count{outcome=\"replied\"}"),
        "no reply lag in /metrics"
    );
}

/// The model calls that read text (not voice notes, not embeddings), with the text each read.
fn texts_read(llm: &LlmSim) -> Vec<String> {
    llm.requests()
        .iter()
        .filter(|r| r.path.contains("generateContent"))
        .filter_map(|r| {
            r.body["contents"][0]["parts"][0]["text"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn listings_the_rules_are_unsure_of_are_read_by_the_model() {
    // Every reading under 0.99 goes to the model; the bot itself stays off.
    let w = BotWorld::start(&[("INBOX_LISTINGS_MODEL_BELOW", "0.99")]).await;
    let reading = json!({"type": "sale", "language": "fr", "confidence": 0.93, "listings": [{
        "brand": "rolex", "model": "Submariner", "reference": "16610LV", "price": 11000,
        "currency": "eur", "price_type": "asking", "condition": null, "box": null, "papers": null,
        "year": 2008, "size_mm": null, "movement": null}]});
    w.llm.add_rule(Rule {
        pattern: "sub LV".into(),
        answer: Answer::Json(reading),
    });
    // The model's answer about this one is not a reading (llm-sim's answer without a rule).
    let unread = w.says(CUSTOMER, "Cherche Daytona").await;
    for _ in 0..600 {
        if !texts_read(&w.llm).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(texts_read(&w.llm), ["Cherche Daytona"]);
    let read = w.says(CUSTOMER, "Vends sub LV de 2008, 11k").await;

    let listing_of = |page: &Value, wamid: &str| {
        page["listings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["message_id"] == wamid)
            .cloned()
    };
    let listings = format!("/api/v1/listings?conversation={PHONE_NUMBER_ID}-{CUSTOMER}");
    let mut page = Value::Null;
    for _ in 0..600 {
        w.app.settled().await;
        page = w.app.get_ok(&listings).await;
        if listing_of(&page, &read).is_some_and(|l| l["method"] == "llm") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let by_model = listing_of(&page, &read).unwrap_or_else(|| panic!("{page}"));
    assert_eq!(by_model["method"], "llm", "{page}");
    assert!(by_model["read_by"].as_str().unwrap().starts_with("gemini:"));
    assert_eq!(
        (
            &by_model["brand"],
            &by_model["model"],
            &by_model["reference"]
        ),
        (&json!("Rolex"), &json!("Submariner"), &json!("16610LV"))
    );
    assert_eq!(
        (&by_model["price"], &by_model["currency"], &by_model["year"]),
        (&json!(11000.0), &json!("EUR"), &json!(2008))
    );
    // The rules' reading of the other stays: the model's answer was no reading.
    let by_rules = listing_of(&page, &unread).unwrap_or_else(|| panic!("{page}"));
    assert_eq!(by_rules["method"], "rules");
    assert_eq!(by_rules["type"], "wanted");
    // Each message was read once, with the answer's schema asked for.
    assert_eq!(
        texts_read(&w.llm),
        ["Cherche Daytona", "Vends sub LV de 2008, 11k"]
    );
    let asked = w
        .llm
        .requests()
        .into_iter()
        .find(|r| r.body["contents"][0]["parts"][0]["text"] == "Vends sub LV de 2008, 11k")
        .unwrap()
        .body;
    assert_eq!(
        asked["generationConfig"]["responseMimeType"],
        "application/json"
    );
    assert!(asked["generationConfig"]["responseSchema"]["properties"]["listings"].is_object());
    // Search filters by what the model read.
    let found = w.app.get_ok("/api/v1/search?mode=keyword&q=16610LV").await;
    assert_eq!(found["hits"][0]["message_id"], read.as_str(), "{found}");
}

#[tokio::test]
async fn an_agents_reply_stops_the_bot_and_a_burst_gets_one_answer() {
    let w = BotWorld::start(&[("INBOX_BOT_DEBOUNCE_MS", "1500")]).await;
    w.llm
        .add_rule(rule("", "Bonjour, que puis-je faire pour vous ?", 0.95));
    // Before the bot is on: the customer writes and an agent answers.
    w.says(CUSTOMER, "Hello").await;
    w.app.settled().await;
    let response = w
        .app
        .client
        .post(w.app.url(&format!(
            "/api/v1/conversations/{PHONE_NUMBER_ID}-{CUSTOMER}/messages"
        )))
        .bearer_auth(API_TOKEN)
        .json(&json!({"content": {"kind": "text", "body": "Hi, Marc here"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    w.configure(json!({})).await;

    // A burst of three from another customer: one answer, to all three.
    for text in [
        "Hi",
        "I am looking for a Submariner",
        "no date, 2020 or newer",
    ] {
        w.says(OTHER_CUSTOMER, text).await;
    }
    // The first customer writes again: the agent has the conversation, the bot stays quiet.
    w.says(CUSTOMER, "Are you there?").await;
    let sent = w.until_sent(OTHER_CUSTOMER, 1).await;
    assert_eq!(sent, ["Bonjour, que puis-je faire pour vous ?"]);
    let bot = w.until_answered(OTHER_CUSTOMER).await;
    assert_eq!(bot["turns"].as_array().unwrap().len(), 1);
    let requests = w.llm.requests();
    assert_eq!(requests.len(), 1, "one model call for the burst");
    let last = requests[0].body["contents"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["parts"][0]["text"],
        "Hi\nI am looking for a Submariner\nno date, 2020 or newer"
    );

    let first = w.bot_of(CUSTOMER).await;
    assert_eq!(first["enabled"], false);
    assert_eq!(first["off_reason"], "agent_replied");
    assert_eq!(first["turns"], json!([]));
    assert_eq!(w.sent_to(CUSTOMER), ["Hi, Marc here"]);
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_and_a_retired_model_hands_over_with_a_clear_error() {
    let w = BotWorld::start(&[]).await;
    w.configure(json!({})).await;
    w.llm
        .add_rule(rule("open", "Tuesday to Saturday, 10 to 19.", 0.9));
    w.llm.fail_next(
        Failure::RateLimited {
            retry_delay: Duration::from_millis(700),
        },
        1,
    );
    w.says(CUSTOMER, "When are you open?").await;
    assert_eq!(
        w.until_sent(CUSTOMER, 1).await,
        ["Tuesday to Saturday, 10 to 19."]
    );
    assert_eq!(w.llm.requests().len(), 2, "asked again after the delay");
    w.app.stop().await.unwrap();

    let w = BotWorld::start(&[("GEMINI_MODEL", "gemini-1.5-flash")]).await;
    w.configure(json!({})).await;
    w.says(CUSTOMER, "When are you open?").await;
    assert_eq!(w.until_sent(CUSTOMER, 1).await, [FALLBACK]);
    let bot = w.until_answered(CUSTOMER).await;
    assert_eq!(bot["turns"][0]["kind"], "model_failed");
    let error = bot["turns"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("retired") && error.contains("GEMINI_MODEL"),
        "{error}"
    );
    let health = w.app.health().await;
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["bot"]["healthy"], false);
    assert!(health["bot"]["last_error"]
        .as_str()
        .unwrap()
        .contains("GEMINI_MODEL"));
}

#[tokio::test]
async fn settings_are_versioned_validated_and_previewed_exactly() {
    let w = BotWorld::start(&[]).await;
    let defaults = w
        .app
        .get_ok(&format!("/api/v1/accounts/{PHONE_NUMBER_ID}/bot"))
        .await;
    assert_eq!(defaults["version"], 0);
    assert_eq!(defaults["settings"]["fallback_phrase"], FALLBACK);
    assert_eq!(defaults["settings"]["confidence_threshold"], 0.72);
    assert_eq!(defaults["server_model"], "gemini:gemini-3.5-flash-lite");

    let saved = w.configure(json!({})).await;
    assert_eq!(saved["version"], 1);
    let again = w.configure(json!({})).await;
    assert_eq!(again["version"], 1, "an unchanged save records nothing");

    let put = |body: Value| {
        w.app
            .client
            .put(
                w.app
                    .url(&format!("/api/v1/accounts/{PHONE_NUMBER_ID}/bot")),
            )
            .bearer_auth(API_TOKEN)
            .json(&body)
            .send()
    };
    // The settings are taken whole: a partial object is refused by its shape.
    let partial = put(json!({"settings": {"knowledge": "new"}}))
        .await
        .unwrap();
    assert_eq!(partial.status(), 400);
    let stale = put(json!({"settings": settings_with(json!({"knowledge": "new"})), "version": 0}))
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);
    assert_eq!(
        stale.json::<Value>().await.unwrap()["error"]["code"],
        "stale_settings"
    );
    for (bad, field) in [
        (json!({"confidence_threshold": 1.5}), "confidence_threshold"),
        (json!({"escalation_number": "call me"}), "escalation_number"),
        (json!({"fallback_phrase": "   "}), "fallback_phrase"),
        (json!({"history_messages": 500}), "history_messages"),
    ] {
        let response = put(json!({ "settings": settings_with(bad.clone()) }))
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["details"]["field"], field, "{body}");
    }

    let preview = w
        .app
        .get_ok(&format!(
            "/api/v1/accounts/{PHONE_NUMBER_ID}/bot/preview?message=Do%20you%20ship%3F"
        ))
        .await;
    assert_eq!(
        preview["sections"],
        json!(["Business", "Offers", "Frequently asked questions"])
    );
    let system = preview["system"].as_str().unwrap();
    assert!(system.contains("## Frequently asked questions\nWe ship to Portugal"));
    assert!(!system.contains("## Pitch") && !system.contains("## Special cases"));
    assert_eq!(
        preview["turns"],
        json!([{"from": "customer", "text": "Do you ship?"}])
    );

    // "Try it" asks the model and sends nothing.
    w.llm.add_rule(rule("ship", "Yes, 2 days.", 0.88));
    let tried: Value = w
        .app
        .client
        .post(
            w.app
                .url(&format!("/api/v1/accounts/{PHONE_NUMBER_ID}/bot/try")),
        )
        .bearer_auth(API_TOKEN)
        .json(&json!({"message": "Do you ship to Faro?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tried["outcome"], "reply");
    assert_eq!(tried["reply"], "Yes, 2 days.");
    assert_eq!(tried["confidence"], 0.88);
    assert!(w.sim.state.world().sent.is_empty());
}

#[tokio::test]
async fn the_knowledge_base_is_proposed_from_past_answers_and_retrieved_into_the_prompt() {
    let w = BotWorld::start(&[]).await;
    // A customer asked and an agent answered, before the bot was on.
    w.says(CUSTOMER, "Do you buy Tudor watches?").await;
    w.app.settled().await;
    let response = w
        .app
        .client
        .post(w.app.url(&format!(
            "/api/v1/conversations/{PHONE_NUMBER_ID}-{CUSTOMER}/messages"
        )))
        .bearer_auth(API_TOKEN)
        .json(
            &json!({"content": {"kind": "text", "body": "Yes, Tudor from 2015 on, with papers."}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    w.app.settled().await;

    let base = format!("/api/v1/accounts/{PHONE_NUMBER_ID}/bot");
    let suggestions = w.app.get_ok(&format!("{base}/qa-suggestions")).await;
    assert_eq!(suggestions[0]["question"], "Do you buy Tudor watches?");
    assert_eq!(
        suggestions[0]["answer"],
        "Yes, Tudor from 2015 on, with papers."
    );

    let add = |body: Value| {
        w.app
            .client
            .post(w.app.url(&format!("{base}/qa")))
            .bearer_auth(API_TOKEN)
            .json(&body)
            .send()
    };
    let created = add(json!({
        "question": suggestions[0]["question"],
        "answer": suggestions[0]["answer"],
        "source_conversation": suggestions[0]["conversation_id"],
    }))
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    let entry: Value = created.json().await.unwrap();
    let blank = add(json!({"question": "  ", "answer": "x"})).await.unwrap();
    assert_eq!(blank.status(), 400);
    add(json!({"question": "What are your opening hours?", "answer": "Tue-Sat 10-19."}))
        .await
        .unwrap();

    let listed = w.app.get_ok(&format!("{base}/qa")).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let suggestions = w.app.get_ok(&format!("{base}/qa-suggestions")).await;
    assert_eq!(
        suggestions,
        json!([]),
        "a question already in the base is not proposed again"
    );

    // Without an embedding model the entries sharing the most words are retrieved.
    let preview = w
        .app
        .get_ok(&format!(
            "{base}/preview?message=Would%20you%20buy%20my%20Tudor%3F"
        ))
        .await;
    let system = preview["system"].as_str().unwrap();
    assert!(
        system.contains("Q: Do you buy Tudor watches?\nA: Yes, Tudor from 2015 on"),
        "{system}"
    );
    assert!(!system.contains("opening hours"), "{system}");

    let id = entry["id"].as_str().unwrap();
    let (status, _) = w
        .app
        .api(reqwest::Method::DELETE, &format!("{base}/qa/{id}"))
        .await;
    assert_eq!(status, 204);
    let (status, _) = w
        .app
        .api(reqwest::Method::DELETE, &format!("{base}/qa/{id}"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        w.app
            .get_ok(&format!("{base}/qa"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_history_answers_with_citations_or_says_it_does_not_know() {
    let w = BotWorld::start(&[]).await;
    w.says(CUSTOMER, "Je cherche une Nautilus 5711, budget 90k")
        .await;
    w.says(OTHER_CUSTOMER, "Do you have a Daytona?").await;
    w.app.settled().await;
    w.llm.add_rule(Rule {
        pattern: "nautilus".into(),
        answer: Answer::Json(json!({
            "answer": "Ann was looking for a Nautilus 5711 with a 90k budget [1].",
            "supported": true,
            "citations": [1, 7]
        })),
    });
    w.llm.add_rule(Rule {
        pattern: "daytona".into(),
        answer: Answer::Json(json!({
            "answer": "The messages do not say what was quoted.",
            "supported": false,
            "citations": []
        })),
    });
    let ask = |q: &str| {
        w.app
            .client
            .post(w.app.url("/api/v1/search/answer"))
            .bearer_auth(API_TOKEN)
            .json(&json!({ "q": q }))
            .send()
    };
    let answered: Value = ask("Nautilus 5711").await.unwrap().json().await.unwrap();
    assert_eq!(answered["supported"], true, "{answered}");
    assert_eq!(answered["considered"], 1);
    // Only the message it was given: a number beyond the sources is dropped.
    let citations = answered["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 1);
    assert_eq!(
        citations[0]["conversation_id"],
        format!("{PHONE_NUMBER_ID}-{CUSTOMER}")
    );
    assert_eq!(
        citations[0]["text"],
        "Je cherche une Nautilus 5711, budget 90k"
    );
    let system = &w.llm.requests()[0].body["systemInstruction"]["parts"][0]["text"];
    assert!(
        system.as_str().unwrap().contains("[1] customer"),
        "{system}"
    );

    let unsupported: Value = ask("Daytona").await.unwrap().json().await.unwrap();
    assert_eq!(unsupported["supported"], false);
    assert_eq!(unsupported["citations"], json!([]));

    let nothing: Value = ask("Speedmaster").await.unwrap().json().await.unwrap();
    assert_eq!(nothing["supported"], false);
    assert_eq!(nothing["considered"], 0);
    assert_eq!(
        w.llm.requests().len(),
        2,
        "nothing found: the model is not asked"
    );
}

#[tokio::test]
async fn a_server_killed_mid_turn_answers_exactly_once_after_its_restart() {
    use crate::helpers::{APP_SECRET, MASTER_KEY, VERIFY_TOKEN};
    use crate::shutdown::{until, Inbox};
    let llm = LlmSim::start(LlmConfig::default()).await.unwrap();
    let sim = sim::start(sim_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let db = actors::testing::TestDatabase::create().await;
    let dir = std::env::temp_dir().join(format!("inbox-bot-kill-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut settings = sending_settings(&sim);
    settings.extend([
        ("DATABASE_URL", db.url.clone()),
        ("INBOX_LISTEN", "127.0.0.1:0".to_owned()),
        ("WHATSAPP_PHONE_ID", PHONE_NUMBER_ID.to_owned()),
        ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN.to_owned()),
        ("META_APP_SECRET", APP_SECRET.to_owned()),
        ("INBOX_API_TOKEN", API_TOKEN.to_owned()),
        ("INBOX_MASTER_KEY", MASTER_KEY.to_owned()),
        ("INBOX_EMBEDDINGS", "none".to_owned()),
        ("GEMINI_API_KEY", LlmConfig::default().gemini_key),
        ("GEMINI_BASE_URL", llm.base_url()),
        ("INBOX_BOT_DEBOUNCE_MS", "200".to_owned()),
        // A turn whose node died is taken over 4 s after it was claimed.
        ("INBOX_LLM_TIMEOUT_SECS", "3".to_owned()),
        ("INBOX_BOT_TURN_LEASE_SECS", "4".to_owned()),
    ]);
    let inbox = Inbox::start(&settings, &dir).await;
    sim.set_inbox(inbox.url("/webhook/whatsapp"));
    let saved = reqwest::Client::new()
        .put(inbox.url(&format!("/api/v1/accounts/{PHONE_NUMBER_ID}/bot")))
        .bearer_auth(API_TOKEN)
        .json(&json!({"settings": settings_with(json!({"enabled": true, "playbook": {"faq": "The Speedmaster is sold."}}))}))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    llm.add_rule(rule("speedmaster", "Sorry, it was sold yesterday.", 0.9));
    // The model takes its time: the node dies while it waits for the answer.
    llm.fail_next(Failure::Slow(Duration::from_secs(30)), 1);
    let (_, answer) = sim::webhooks::customer_writes(
        &sim.state,
        CUSTOMER,
        Some("Ann"),
        json!({"type": "text", "text": {"body": "Is the Speedmaster still available?"}}),
    )
    .await;
    assert_eq!(answer, 200);
    llm.wait_for_requests(1, Duration::from_secs(60)).await;
    drop(inbox); // SIGKILL: nothing more is recorded by this node.

    let inbox = Inbox::start(&settings, &dir).await;
    sim.set_inbox(inbox.url("/webhook/whatsapp"));
    let path = format!("/api/v1/conversations/{PHONE_NUMBER_ID}-{CUSTOMER}/bot");
    let bot = until("the restarted node answers", || async {
        let (_, bot) = inbox.get(&path).await;
        (bot["waiting_message_id"].is_null() && bot["replies"] == 1).then_some(bot)
    })
    .await;
    let outcomes: Vec<&str> = bot["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["replied", "claimed"],
        "the dead node's claim, then the answer"
    );
    until("Meta received the reply", || async {
        (!sim.state.world().sent.is_empty()).then_some(())
    })
    .await;
    let sent: Vec<Value> = sim.state.world().sent.clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["text"]["body"], "Sorry, it was sold yesterday.");
}
