//! `/v1/chat/completions` and `/v1/models`, as OpenAI and as Ollama.

use super::{read, sim, OPENAI_KEY};
use llm_sim::{Answer, Failure, LlmSim, OpenAiFlavour, Rule, SimConfig};
use serde_json::{json, Value};
use std::time::Duration;

const MINI: &str = "gpt-5.4-mini";

async fn chat(sim: &LlmSim, body: &Value) -> (u16, Value) {
    let (status, body, _) = chat_with_headers(sim, body).await;
    (status, body)
}

async fn chat_with_headers(sim: &LlmSim, body: &Value) -> (u16, Value, reqwest::header::HeaderMap) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", sim.base_url()))
        .bearer_auth(OPENAI_KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    let headers = response.headers().clone();
    let (status, body) = read(response).await;
    (status, body, headers)
}

fn ask(text: &str) -> Value {
    json!({
        "model": MINI,
        "messages": [
            { "role": "system", "content": "You answer customers of Acme Watches. Reply in JSON." },
            { "role": "user", "content": text },
        ],
        "max_completion_tokens": 800,
        "response_format": { "type": "json_schema", "json_schema": { "name": "bot_reply", "strict": true,
            "schema": { "type": "object", "additionalProperties": false,
                "properties": { "reply": { "type": "string" } }, "required": ["reply"] } } },
    })
}

fn bot(reply: &str) -> Answer {
    Answer::Bot {
        reply: reply.into(),
        confidence: 0.8,
        needs_human: false,
        reasons: vec![],
    }
}

fn content(body: &Value) -> &str {
    body["choices"][0]["message"]["content"].as_str().unwrap()
}

#[tokio::test]
async fn a_rule_answers_json_schema_requests_with_the_bot_json_in_openais_shape() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "porto".into(),
        answer: bot("5 EUR."),
    });
    let (status, body) = chat(&sim, &ask("Shipping to Porto?")).await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], MINI);
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert!(body["created"].as_u64().unwrap() > 1_700_000_000);
    let choice = &body["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["message"]["role"], "assistant");
    assert!(choice["message"]["refusal"].is_null());
    let answer: Value = serde_json::from_str(content(&body)).unwrap();
    assert_eq!(answer["reply"], "5 EUR.");
    assert_eq!(answer["needs_human"], false);
    let usage = &body["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
        )
    );
    let request = &sim.wait_for_requests(1, Duration::from_secs(5)).await[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some("<redacted>"));
    assert_eq!(request.body["max_completion_tokens"], 800);
}

#[tokio::test]
async fn without_response_format_the_answer_is_the_reply_text() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: bot("Hello there."),
    });
    let body = json!({ "model": MINI, "messages": [{ "role": "user", "content": "hi" }] });
    let (_, answer) = chat(&sim, &body).await;
    assert_eq!(content(&answer), "Hello there.");
}

#[tokio::test]
async fn a_missing_or_wrong_bearer_token_is_401() {
    let sim = sim().await;
    let client = reqwest::Client::new();
    let (status, body) = read(
        client
            .post(format!("{}/v1/chat/completions", sim.base_url()))
            .json(&ask("hi"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["code"].is_null());

    let (status, body) = read(
        client
            .post(format!("{}/v1/chat/completions", sim.base_url()))
            .bearer_auth("sk-not-a-real-key-000")
            .json(&ask("hi"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("Incorrect API key provided: sk-not-a"));
    assert!(
        !message.contains("sk-not-a-real-key-000"),
        "the key is masked"
    );
    assert!(body["error"]["param"].is_null());
}

#[tokio::test]
async fn max_tokens_on_a_reasoning_model_is_400_unsupported_parameter() {
    let sim = sim().await;
    let mut body = ask("hi");
    body.as_object_mut()
        .unwrap()
        .remove("max_completion_tokens");
    body["max_tokens"] = json!(800);
    let (status, answer) = chat(&sim, &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "unsupported_parameter");
    assert_eq!(answer["error"]["param"], "max_tokens");
    assert_eq!(
        answer["error"]["message"],
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
    );
    // A model not flagged as reasoning takes it.
    let sim = LlmSim::start(SimConfig {
        reasoning_models: vec![],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let (status, _) = chat(&sim, &body).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_non_default_temperature_on_a_reasoning_model_is_400() {
    let sim = sim().await;
    let mut body = ask("hi");
    body["temperature"] = json!(0.3);
    let (status, answer) = chat(&sim, &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["code"], "unsupported_value");
}

#[tokio::test]
async fn json_object_needs_the_word_json_in_the_messages() {
    let sim = sim().await;
    let body = json!({ "model": MINI, "messages": [{ "role": "user", "content": "hi" }],
        "response_format": { "type": "json_object" } });
    let (status, answer) = chat(&sim, &body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
    );
    let body = json!({ "model": MINI, "messages": [{ "role": "system", "content": "Answer in JSON." },
        { "role": "user", "content": "hi" }], "response_format": { "type": "json_object" } });
    let (status, answer) = chat(&sim, &body).await;
    assert_eq!(status, 200);
    let parsed: Value = serde_json::from_str(content(&answer)).unwrap();
    assert_eq!(parsed["needs_human"], true);
}

#[tokio::test]
async fn bad_roles_unknown_arguments_and_empty_messages_are_400() {
    let sim = sim().await;
    let body = json!({ "model": MINI, "messages": [{ "role": "model", "content": "hi" }] });
    let (status, answer) = chat(&sim, &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["param"], "messages[0].role");

    let mut body = ask("hi");
    body["thinking_budget"] = json!(0);
    let (status, answer) = chat(&sim, &body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Unrecognized request argument supplied: thinking_budget"
    );

    let (status, _) = chat(&sim, &json!({ "model": MINI, "messages": [] })).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn retired_and_unknown_models_are_404_model_not_found() {
    let sim = sim().await;
    let mut body = ask("hi");
    body["model"] = json!("gpt-3.5-turbo-0301");
    let (status, answer) = chat(&sim, &body).await;
    assert_eq!(status, 404);
    assert_eq!(answer["error"]["code"], "model_not_found");
    assert_eq!(
        answer["error"]["message"],
        "The model `gpt-3.5-turbo-0301` does not exist or you do not have access to it."
    );
}

#[tokio::test]
async fn rate_limited_is_429_with_retry_headers() {
    let sim = sim().await;
    sim.fail_next(
        Failure::RateLimited {
            retry_delay: Duration::from_millis(1500),
        },
        1,
    );
    let (status, body, headers) = chat_with_headers(&sim, &ask("hi")).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(headers["retry-after"], "2");
    assert_eq!(headers["retry-after-ms"], "1500");
    assert_eq!(headers["x-ratelimit-remaining-requests"], "0");
    assert!(headers.contains_key("x-request-id"));
    assert_eq!(chat(&sim, &ask("hi")).await.0, 200);
}

#[tokio::test]
async fn insufficient_quota_is_a_429_without_retry_headers() {
    let sim = sim().await;
    sim.fail_next(Failure::DailyQuota, 1);
    let (status, body, headers) = chat_with_headers(&sim, &ask("hi")).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["code"], "insufficient_quota");
    assert_eq!(body["error"]["type"], "insufficient_quota");
    assert!(!headers.contains_key("retry-after"));
}

#[tokio::test]
async fn server_errors_location_and_proxy_pages() {
    let sim = sim().await;
    for (failure, status) in [
        (Failure::Internal, 500),
        (Failure::Overloaded, 503),
        (Failure::GatewayTimeout, 504),
        (Failure::LocationUnsupported, 403),
        (Failure::PromptBlocked, 400),
    ] {
        sim.fail_next(failure, 1);
        let (got, body) = chat(&sim, &ask("hi")).await;
        assert_eq!(got, status);
        assert!(body["error"]["message"].is_string());
    }
    sim.fail_next(Failure::Internal, 1);
    assert_eq!(
        chat(&sim, &ask("hi")).await.1["error"]["type"],
        "server_error"
    );
    sim.fail_next(Failure::NonJson502, 1);
    let (status, body) = chat(&sim, &ask("hi")).await;
    assert_eq!((status, body), (502, Value::Null));
}

#[tokio::test]
async fn slow_and_dropped_answers() {
    let sim = sim().await;
    sim.fail_next(Failure::Slow(Duration::from_secs(3)), 1);
    sim.fail_next(Failure::DropConnection, 1);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let send = || {
        client
            .post(format!("{}/v1/chat/completions", sim.base_url()))
            .bearer_auth(OPENAI_KEY)
            .json(&ask("hi"))
            .send()
    };
    assert!(send().await.unwrap_err().is_timeout());
    let dropped = send().await.unwrap_err();
    assert!(!dropped.is_timeout());
    assert_eq!(send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn refusal_length_content_filter_and_empty_answers() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: bot("Shipping is 5 EUR."),
    });
    sim.fail_next(Failure::Refusal, 1);
    let (_, body) = chat(&sim, &ask("hi")).await;
    assert!(body["choices"][0]["message"]["content"].is_null());
    assert!(body["choices"][0]["message"]["refusal"].is_string());

    sim.fail_next(Failure::TruncatedJson, 1);
    let (_, body) = chat(&sim, &ask("hi")).await;
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    assert!(serde_json::from_str::<Value>(content(&body)).is_err());

    sim.fail_next(Failure::MaxTokensNoText, 1);
    let (_, body) = chat(&sim, &ask("hi")).await;
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    assert_eq!(content(&body), "");
    assert_eq!(
        body["usage"]["completion_tokens"],
        body["usage"]["completion_tokens_details"]["reasoning_tokens"]
    );

    sim.fail_next(Failure::SafetyBlocked, 1);
    let (_, body) = chat(&sim, &ask("hi")).await;
    assert_eq!(body["choices"][0]["finish_reason"], "content_filter");

    sim.fail_next(Failure::EmptyAnswer, 1);
    let (_, body) = chat(&sim, &ask("hi")).await;
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(content(&body), "");
}

#[tokio::test]
async fn a_small_completion_cap_is_spent_on_reasoning() {
    let sim = sim().await;
    let mut body = ask("hi");
    body["max_completion_tokens"] = json!(40);
    body["reasoning_effort"] = json!("medium");
    let (status, answer) = chat(&sim, &body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["choices"][0]["finish_reason"], "length");
    assert_eq!(content(&answer), "");
    body["reasoning_effort"] = json!("minimal");
    let (_, answer) = chat(&sim, &body).await;
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn streaming_sends_chunks_then_done() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: Answer::Text("Shipping is 5 EUR.".into()),
    });
    let body = json!({ "model": MINI, "messages": [{ "role": "user", "content": "hi" }],
        "stream": true, "stream_options": { "include_usage": true } });
    let response = reqwest::Client::new()
        .post(format!("{}/v1/chat/completions", sim.base_url()))
        .bearer_auth(OPENAI_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let text = response.text().await.unwrap();
    let events: Vec<&str> = text
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").unwrap())
        .collect();
    assert_eq!(*events.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let joined: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(joined, "Shipping is 5 EUR.");
    let usage_chunk = chunks.last().unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert!(usage_chunk["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn a_voice_note_in_input_audio_is_transcribed() {
    use base64::Engine;
    let sim = sim().await;
    let audio = base64::engine::general_purpose::STANDARD.encode("Where is my parcel?");
    let body = json!({ "model": MINI, "messages": [{ "role": "user", "content": [
        { "type": "text", "text": "Transcribe this." },
        { "type": "input_audio", "input_audio": { "data": audio, "format": "wav" } },
    ]}]});
    let (status, answer) = chat(&sim, &body).await;
    assert_eq!(status, 200);
    assert_eq!(content(&answer), "Where is my parcel?");
}

#[tokio::test]
async fn ollama_has_no_auth_takes_max_tokens_and_says_model_not_found_its_way() {
    let sim = LlmSim::start(SimConfig {
        openai_flavour: OpenAiFlavour::Ollama,
        active_models: vec!["llama3.2".into()],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let (status, body) = read(
        client
            .post(format!("{}/v1/chat/completions", sim.base_url()))
            .json(&json!({ "model": "llama3.2", "max_tokens": 500,
                "messages": [{ "role": "user", "content": "hi" }] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["system_fingerprint"], "fp_ollama");
    let (status, body) = read(
        client
            .post(format!("{}/v1/chat/completions", sim.base_url()))
            .json(&json!({ "model": "gpt-5.4-mini", "messages": [{ "role": "user", "content": "hi" }] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["message"], "model 'gpt-5.4-mini' not found");
    assert_eq!(body["error"]["type"], "not_found_error");
    assert!(body["error"]["code"].is_null());
}

#[tokio::test]
async fn v1_models_lists_the_active_models() {
    let sim = sim().await;
    let (status, body) = read(
        reqwest::Client::new()
            .get(format!("{}/v1/models", sim.base_url()))
            .bearer_auth(OPENAI_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&MINI) && ids.contains(&"text-embedding-3-small"));
}
