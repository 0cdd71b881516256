//! `/v1beta/models/{model}:generateContent` and `:streamGenerateContent`.

use super::{read, sim, FLASH_LITE, GEMINI_KEY};
use llm_sim::{Answer, Failure, LlmSim, Rule};
use serde_json::{json, Value};
use std::time::Duration;

fn url(sim: &LlmSim, model: &str, method: &str) -> String {
    format!("{}/v1beta/models/{model}:{method}", sim.base_url())
}

async fn generate(sim: &LlmSim, model: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url(sim, model, "generateContent"))
        .header("x-goog-api-key", GEMINI_KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    read(response).await
}

fn ask(text: &str) -> Value {
    json!({ "contents": [{ "role": "user", "parts": [{ "text": text }] }] })
}

fn ask_json(text: &str) -> Value {
    json!({
        "systemInstruction": { "parts": [{ "text": "You answer customers of Acme Watches." }] },
        "contents": [{ "role": "user", "parts": [{ "text": text }] }],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseSchema": {
                "type": "OBJECT",
                "properties": { "reply": { "type": "STRING" }, "needs_human": { "type": "BOOLEAN" } },
                "required": ["reply", "needs_human"],
                "propertyOrdering": ["reply", "needs_human"],
            },
            "thinkingConfig": { "thinkingLevel": "low" },
        },
    })
}

fn text_of(body: &Value) -> String {
    body["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["thought"] != json!(true))
        .map(|p| p["text"].as_str().unwrap())
        .collect()
}

fn bot(reply: &str) -> Answer {
    Answer::Bot {
        reply: reply.into(),
        confidence: 0.9,
        needs_human: false,
        reasons: vec!["playbook: shipping".into()],
    }
}

#[tokio::test]
async fn a_rule_answers_as_text_with_the_key_in_the_header_and_the_request_is_recorded() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "PORTO".into(),
        answer: bot("Shipping to Porto is 5 EUR."),
    });
    let (status, body) = generate(&sim, FLASH_LITE, &ask("Do you ship to Porto?")).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&body), "Shipping to Porto is 5 EUR.");
    assert_eq!(body["candidates"][0]["finishReason"], "STOP");
    assert_eq!(body["candidates"][0]["content"]["role"], "model");
    assert_eq!(body["modelVersion"], FLASH_LITE);
    assert!(body["responseId"].as_str().is_some_and(|id| !id.is_empty()));
    let usage = &body["usageMetadata"];
    let sum = [
        "promptTokenCount",
        "candidatesTokenCount",
        "thoughtsTokenCount",
    ]
    .iter()
    .map(|k| usage[k].as_u64().unwrap_or(0))
    .sum::<u64>();
    assert_eq!(usage["totalTokenCount"].as_u64(), Some(sum));
    // Flash-Lite does not think by default: the zero count is left out, as Google does.
    assert!(usage.get("thoughtsTokenCount").is_none());

    let requests = sim.wait_for_requests(1, Duration::from_secs(5)).await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        format!("/v1beta/models/{FLASH_LITE}:generateContent")
    );
    assert_eq!(request.header("x-goog-api-key"), Some("<redacted>"));
    assert!(!request.key_in_query);
    assert_eq!(request.body, ask("Do you ship to Porto?"));
}

#[tokio::test]
async fn the_key_is_also_taken_from_the_query_and_kept_out_of_the_recorded_path() {
    let sim = sim().await;
    let response = reqwest::Client::new()
        .post(format!(
            "{}?key={GEMINI_KEY}",
            url(&sim, FLASH_LITE, "generateContent")
        ))
        .json(&ask("hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request = &sim.requests()[0];
    assert!(request.key_in_query);
    assert_eq!(
        request.path,
        format!("/v1beta/models/{FLASH_LITE}:generateContent")
    );
}

#[tokio::test]
async fn a_missing_key_is_403_and_a_wrong_one_is_400_api_key_invalid() {
    let sim = sim().await;
    let client = reqwest::Client::new();
    let (status, body) = read(
        client
            .post(url(&sim, FLASH_LITE, "generateContent"))
            .json(&ask("hi"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Method doesn't allow unregistered callers"));

    let (status, body) = read(
        client
            .post(url(&sim, FLASH_LITE, "generateContent"))
            .header("x-goog-api-key", "AIza-wrong")
            .json(&ask("hi"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 400);
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        body["error"]["message"],
        "API key not valid. Please pass a valid API key."
    );
    let details = body["error"]["details"].as_array().unwrap();
    assert_eq!(details[0]["reason"], "API_KEY_INVALID");
    assert_eq!(
        details[1]["@type"],
        "type.googleapis.com/google.rpc.LocalizedMessage"
    );
}

#[tokio::test]
async fn json_mode_answers_the_bot_json_as_text_and_the_no_rule_answer_hands_off() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "how much".into(),
        answer: bot("5 EUR."),
    });
    let (status, body) = generate(&sim, FLASH_LITE, &ask_json("And how much is it?")).await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&text_of(&body)).unwrap();
    assert_eq!(answer["reply"], "5 EUR.");
    assert_eq!(answer["confidence"], 0.9);
    assert_eq!(answer["needs_human"], false);
    assert_eq!(answer["reasons"], json!(["playbook: shipping"]));
    // thinkingLevel low: some thinking, counted apart from the answer.
    assert!(
        body["usageMetadata"]["thoughtsTokenCount"]
            .as_u64()
            .unwrap()
            > 0
    );

    let (_, body) = generate(
        &sim,
        FLASH_LITE,
        &ask_json("Something nobody wrote a rule for"),
    )
    .await;
    let answer: Value = serde_json::from_str(&text_of(&body)).unwrap();
    assert_eq!(answer["reply"], "");
    assert_eq!(answer["needs_human"], true);
    assert_eq!(
        answer["reasons"],
        json!(["the emulator has no rule for this message"])
    );
}

#[tokio::test]
async fn response_json_schema_also_means_json_and_any_json_value_can_be_the_answer() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: String::new(),
        answer: Answer::Json(json!({ "intent": "shipping", "score": 3 })),
    });
    let body = json!({
        "contents": [{ "role": "user", "parts": [{ "text": "classify this" }] }],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": { "type": "object", "additionalProperties": false,
                "properties": { "intent": { "type": "string" } } },
        },
    });
    let (status, body) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&text_of(&body)).unwrap();
    assert_eq!(answer, json!({ "intent": "shipping", "score": 3 }));
}

#[tokio::test]
async fn rules_match_the_last_user_turn_case_insensitively_first_added_first() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "returns".into(),
        answer: Answer::Text("30 days.".into()),
    });
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: Answer::Text("fallback".into()),
    });
    let body = json!({ "contents": [
        { "role": "user", "parts": [{ "text": "Do you take RETURNS?" }] },
        { "role": "model", "parts": [{ "text": "Yes." }] },
        { "role": "user", "parts": [{ "text": "hidden", "thought": true }, { "text": "And shipping?" }] },
    ]});
    let (_, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(text_of(&answer), "fallback");
    let (_, answer) = generate(&sim, FLASH_LITE, &ask("what about returns")).await;
    assert_eq!(text_of(&answer), "30 days.");
    sim.clear_rules();
    let (_, answer) = generate(&sim, FLASH_LITE, &ask("what about returns")).await;
    assert_eq!(
        text_of(&answer),
        "",
        "without rules the bot answer's reply is empty"
    );
}

#[tokio::test]
async fn snake_case_requests_are_accepted() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: bot("ok"),
    });
    let body = json!({
        "system_instruction": { "parts": [{ "text": "Be brief." }] },
        "contents": [{ "role": "user", "parts": [{ "text": "hi" }] }],
        "generation_config": { "response_mime_type": "application/json", "max_output_tokens": 2048,
            "thinking_config": { "thinking_budget": 0 } },
        "safety_settings": [{ "category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH" }],
    });
    let (status, body) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&text_of(&body)).unwrap();
    assert_eq!(answer["reply"], "ok");
}

#[tokio::test]
async fn unknown_fields_are_400_with_googles_message_at_the_top_and_inside_generation_config() {
    let sim = sim().await;
    let mut body = ask("hi");
    body["temperatur"] = json!(1);
    let (status, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        answer["error"]["message"],
        "Invalid JSON payload received. Unknown name \"temperatur\": Cannot find field."
    );

    let mut body = ask("hi");
    body["generationConfig"] = json!({ "response_format": { "type": "json" } });
    let (status, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Invalid JSON payload received. Unknown name \"response_format\" at 'generation_config': Cannot find field."
    );

    // JSON-Schema keywords are not part of responseSchema's OpenAPI subset.
    let mut body = ask_json("hi");
    body["generationConfig"]["responseSchema"]["additionalProperties"] = json!(false);
    let (status, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'generation_config.response_schema': Cannot find field."
    );
}

#[tokio::test]
async fn roles_other_than_user_and_model_are_400() {
    let sim = sim().await;
    let body = json!({ "contents": [
        { "role": "system", "parts": [{ "text": "You are a bot" }] },
        { "role": "user", "parts": [{ "text": "hi" }] },
    ]});
    let (status, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        answer["error"]["message"],
        "Please use a valid role: user, model."
    );
}

#[tokio::test]
async fn a_request_without_contents_is_400() {
    let sim = sim().await;
    let (status, answer) = generate(&sim, FLASH_LITE, &json!({ "contents": [] })).await;
    assert_eq!(status, 400);
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("contents is not specified"));
}

#[tokio::test]
async fn a_request_ending_with_a_model_turn_is_400_on_gemini_3_6_and_later() {
    let sim = sim().await;
    let body = json!({ "contents": [
        { "role": "user", "parts": [{ "text": "hi" }] },
        { "role": "model", "parts": [{ "text": "{\"reply\":" }] },
    ]});
    let (status, answer) = generate(&sim, "gemini-3.8-flash", &body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Requests ending with a model turn are not supported."
    );
    let (status, _) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn thinking_budget_and_thinking_level_together_are_400() {
    let sim = sim().await;
    let mut body = ask("hi");
    body["generationConfig"] =
        json!({ "thinkingConfig": { "thinkingBudget": 0, "thinkingLevel": "LOW" } });
    let (status, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("thinking budget and thinking level"));

    body["generationConfig"] = json!({ "thinkingConfig": { "thinkingLevel": "ludicrous" } });
    let (status, _) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn json_mime_with_tools_is_400() {
    let sim = sim().await;
    let mut body = ask_json("hi");
    body["tools"] = json!([{ "functionDeclarations": [] }]);
    let (status, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Tool use with a response mime type: 'application/json' is unsupported"
    );
}

#[tokio::test]
async fn retired_and_unknown_models_are_404_without_details() {
    let sim = sim().await;
    for model in ["gemini-1.5-flash", "gemini-2.0-flash", "gemini-9-imaginary"] {
        let (status, answer) = generate(&sim, model, &ask("hi")).await;
        assert_eq!(status, 404);
        assert_eq!(answer["error"]["code"], 404);
        assert_eq!(answer["error"]["status"], "NOT_FOUND");
        assert_eq!(
            answer["error"]["message"],
            format!(
                "models/{model} is not found for API version v1beta, or is not supported for generateContent. \
                 Call ListModels to see the list of available models and their supported methods."
            )
        );
        assert!(answer["error"].get("details").is_none());
    }
}

#[tokio::test]
async fn a_voice_note_is_heard_as_the_text_it_encodes() {
    use base64::Engine;
    let sim = sim().await;
    let audio = base64::engine::general_purpose::STANDARD.encode("Is my order on its way?");
    let body = json!({ "contents": [{ "role": "user", "parts": [
        { "text": "Transcribe this voice note." },
        { "inlineData": { "mimeType": "audio/ogg", "data": audio } },
    ]}]});
    let (status, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&answer), "Is my order on its way?");

    // With a schema the voice note is what the rules match.
    sim.add_rule(Rule {
        pattern: "my order".into(),
        answer: bot("It ships today."),
    });
    let mut body = ask_json("");
    body["contents"][0]["parts"] =
        json!([{ "inline_data": { "mime_type": "audio/ogg", "data": audio } }]);
    let (_, answer) = generate(&sim, FLASH_LITE, &body).await;
    let answer: Value = serde_json::from_str(&text_of(&answer)).unwrap();
    assert_eq!(answer["reply"], "It ships today.");
}

#[tokio::test]
async fn include_thoughts_puts_a_thought_part_before_the_answer() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: Answer::Text("Yes.".into()),
    });
    let mut body = ask("hi");
    body["generationConfig"] =
        json!({ "thinkingConfig": { "thinkingLevel": "MEDIUM", "includeThoughts": true } });
    let (_, answer) = generate(&sim, "gemini-3.8-flash", &body).await;
    let parts = answer["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["thought"], true);
    assert_eq!(parts[1]["text"], "Yes.");
}

#[tokio::test]
async fn a_small_output_cap_is_eaten_by_thinking_and_leaves_no_parts() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: bot("A long enough answer to need more than a handful of tokens."),
    });
    let mut body = ask_json("hi");
    body["generationConfig"]["thinkingConfig"] = json!({ "thinkingLevel": "HIGH" });
    body["generationConfig"]["maxOutputTokens"] = json!(100);
    let (status, answer) = generate(&sim, "gemini-3.8-flash", &body).await;
    assert_eq!(status, 200);
    let candidate = &answer["candidates"][0];
    assert_eq!(candidate["finishReason"], "MAX_TOKENS");
    assert_eq!(candidate["content"], json!({ "role": "model" }));
    assert_eq!(answer["usageMetadata"]["thoughtsTokenCount"], 100);
    assert!(answer["usageMetadata"]
        .get("candidatesTokenCount")
        .is_none());

    // A little more room: the JSON comes out cut off.
    body["generationConfig"]["maxOutputTokens"] = json!(170);
    let (_, answer) = generate(&sim, "gemini-3.8-flash", &body).await;
    assert_eq!(answer["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert!(serde_json::from_str::<Value>(&text_of(&answer)).is_err());
}

async fn fail_once(failure: Failure) -> (u16, Value, reqwest::header::HeaderMap) {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: bot("Shipping is 5 EUR."),
    });
    sim.fail_next(failure, 1);
    let response = reqwest::Client::new()
        .post(url(&sim, FLASH_LITE, "generateContent"))
        .header("x-goog-api-key", GEMINI_KEY)
        .json(&ask_json("How much is shipping?"))
        .send()
        .await
        .unwrap();
    let headers = response.headers().clone();
    let (status, body) = read(response).await;
    // Only the next call fails.
    let (after, _) = generate(&sim, FLASH_LITE, &ask_json("How much is shipping?")).await;
    assert_eq!(after, 200);
    (status, body, headers)
}

fn detail<'a>(body: &'a Value, kind: &str) -> &'a Value {
    body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["@type"] == format!("type.googleapis.com/google.rpc.{kind}"))
        .unwrap()
}

#[tokio::test]
async fn rate_limited_is_429_with_quota_failure_help_and_retry_info_and_no_retry_after() {
    let (status, body, headers) = fail_once(Failure::RateLimited {
        retry_delay: Duration::from_millis(1500),
    })
    .await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    assert_eq!(detail(&body, "RetryInfo")["retryDelay"], "1.5s");
    let quota_id = detail(&body, "QuotaFailure")["violations"][0]["quotaId"]
        .as_str()
        .unwrap();
    assert!(quota_id.contains("PerMinute"));
    assert!(detail(&body, "Help")["links"][0]["url"].is_string());
    assert!(headers.get("retry-after").is_none());
}

#[tokio::test]
async fn daily_quota_is_429_with_a_per_day_quota_id() {
    let (status, body, _) = fail_once(Failure::DailyQuota).await;
    assert_eq!(status, 429);
    let quota_id = detail(&body, "QuotaFailure")["violations"][0]["quotaId"]
        .as_str()
        .unwrap();
    assert!(quota_id.contains("PerDay"));
}

#[tokio::test]
async fn a_bare_429_has_no_details() {
    let (status, body, _) = fail_once(Failure::RateLimitedBare).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    assert!(body["error"].get("details").is_none());
}

#[tokio::test]
async fn server_side_failures_have_their_status_and_google_status() {
    for (failure, code, status) in [
        (Failure::Internal, 500, "INTERNAL"),
        (Failure::Overloaded, 503, "UNAVAILABLE"),
        (Failure::GatewayTimeout, 504, "DEADLINE_EXCEEDED"),
        (Failure::LocationUnsupported, 400, "FAILED_PRECONDITION"),
    ] {
        let (got, body, _) = fail_once(failure).await;
        assert_eq!(got, code);
        assert_eq!(body["error"]["code"], code);
        assert_eq!(body["error"]["status"], status);
    }
    let (_, body, _) = fail_once(Failure::Overloaded).await;
    assert_eq!(
        body["error"]["message"],
        "The model is overloaded. Please try again later."
    );
    let (_, body, _) = fail_once(Failure::LocationUnsupported).await;
    assert_eq!(
        body["error"]["message"],
        "User location is not supported for the API use."
    );
}

#[tokio::test]
async fn a_proxy_502_is_an_html_page() {
    let sim = sim().await;
    sim.fail_next(Failure::NonJson502, 1);
    let response = reqwest::Client::new()
        .post(url(&sim, FLASH_LITE, "generateContent"))
        .header("x-goog-api-key", GEMINI_KEY)
        .json(&ask("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let text = response.text().await.unwrap();
    assert!(text.contains("502 Bad Gateway"));
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn a_slow_answer_outlasts_a_client_timeout_and_the_next_call_is_prompt() {
    let sim = sim().await;
    sim.fail_next(Failure::Slow(Duration::from_secs(3)), 1);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let send = || {
        client
            .post(url(&sim, FLASH_LITE, "generateContent"))
            .header("x-goog-api-key", GEMINI_KEY)
            .json(&ask("hi"))
            .send()
    };
    let error = send().await.unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_dropped_connection_gives_the_client_no_answer() {
    let sim = sim().await;
    sim.fail_next(Failure::DropConnection, 1);
    let client = reqwest::Client::new();
    let error = client
        .post(url(&sim, FLASH_LITE, "generateContent"))
        .header("x-goog-api-key", GEMINI_KEY)
        .json(&ask("hi"))
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_timeout() && !error.is_status());
    let (status, _) = generate(&sim, FLASH_LITE, &ask("hi")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_blocked_prompt_is_200_with_prompt_feedback_and_no_candidates() {
    let (status, body, _) = fail_once(Failure::PromptBlocked).await;
    assert_eq!(status, 200);
    assert_eq!(body["promptFeedback"]["blockReason"], "PROHIBITED_CONTENT");
    assert!(body.get("candidates").is_none());
}

#[tokio::test]
async fn a_blocked_answer_and_a_refusal_are_safety_without_content() {
    for failure in [Failure::SafetyBlocked, Failure::Refusal] {
        let (status, body, _) = fail_once(failure).await;
        assert_eq!(status, 200);
        let candidate = &body["candidates"][0];
        assert_eq!(candidate["finishReason"], "SAFETY");
        assert!(candidate.get("content").is_none());
        assert_eq!(candidate["safetyRatings"][0]["blocked"], true);
    }
}

#[tokio::test]
async fn max_tokens_without_text_has_a_content_without_parts_and_thought_tokens() {
    let (status, body, _) = fail_once(Failure::MaxTokensNoText).await;
    assert_eq!(status, 200);
    assert_eq!(body["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(body["candidates"][0]["content"], json!({ "role": "model" }));
    assert!(
        body["usageMetadata"]["thoughtsTokenCount"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(body["usageMetadata"].get("candidatesTokenCount").is_none());
}

#[tokio::test]
async fn truncated_json_is_max_tokens_with_half_a_json_text() {
    let (status, body, _) = fail_once(Failure::TruncatedJson).await;
    assert_eq!(status, 200);
    assert_eq!(body["candidates"][0]["finishReason"], "MAX_TOKENS");
    let text = text_of(&body);
    assert!(text.starts_with("{\""));
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn an_empty_answer_is_stop_with_empty_text() {
    let (status, body, _) = fail_once(Failure::EmptyAnswer).await;
    assert_eq!(status, 200);
    assert_eq!(body["candidates"][0]["finishReason"], "STOP");
    assert_eq!(text_of(&body), "");
}

#[tokio::test]
async fn the_other_200_shapes_recitation_unknown_reason_fences_thoughts_and_legacy() {
    let (_, body, _) = fail_once(Failure::Recitation).await;
    assert_eq!(body["candidates"][0]["finishReason"], "RECITATION");
    assert!(body["candidates"][0]["content"].get("parts").is_none());

    let (_, body, _) = fail_once(Failure::UnknownFinishReason).await;
    assert_eq!(body["candidates"][0]["finishReason"], "FUTURE_REASON");

    let (_, body, _) = fail_once(Failure::FencedJson).await;
    let text = text_of(&body);
    assert!(text.starts_with("```json\n") && text.ends_with("\n```"));

    let (_, body, _) = fail_once(Failure::WithThoughts).await;
    assert_eq!(
        body["candidates"][0]["content"]["parts"][0]["thought"],
        true
    );
    let answer: Value = serde_json::from_str(&text_of(&body)).unwrap();
    assert_eq!(answer["reply"], "Shipping is 5 EUR.");

    let (_, body, _) = fail_once(Failure::LegacyModel).await;
    assert_eq!(body["modelStatus"]["modelStage"], "LEGACY");
}

#[tokio::test]
async fn a_failure_queued_for_several_calls_answers_each_of_them() {
    let sim = sim().await;
    sim.fail_next(Failure::Overloaded, 2);
    sim.fail_next(Failure::Internal, 1);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(generate(&sim, FLASH_LITE, &ask("hi")).await.0);
    }
    assert_eq!(statuses, [503, 503, 500, 200]);
}

#[tokio::test]
async fn streaming_with_alt_sse_sends_data_events_with_the_finish_on_the_last() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: Answer::Text("Shipping to Porto is 5 EUR.".into()),
    });
    let response = reqwest::Client::new()
        .post(format!(
            "{}?alt=sse",
            url(&sim, FLASH_LITE, "streamGenerateContent")
        ))
        .header("x-goog-api-key", GEMINI_KEY)
        .json(&ask("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let text = response.text().await.unwrap();
    assert!(!text.contains("[DONE]"));
    let events: Vec<Value> = text
        .split("\r\n\r\n")
        .filter(|e| !e.is_empty())
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    assert!(events.len() > 1);
    let joined: String = events.iter().map(text_of).collect();
    assert_eq!(joined, "Shipping to Porto is 5 EUR.");
    let (last, first) = (events.last().unwrap(), &events[0]);
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert!(first["candidates"][0].get("finishReason").is_none());
    assert!(
        last["usageMetadata"]["candidatesTokenCount"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(
        sim.requests()[0].path,
        format!("/v1beta/models/{FLASH_LITE}:streamGenerateContent?alt=sse")
    );
}

#[tokio::test]
async fn streaming_without_alt_sse_is_one_json_array() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "".into(),
        answer: Answer::Text("Shipping to Porto is 5 EUR.".into()),
    });
    let (status, body) = read(
        reqwest::Client::new()
            .post(url(&sim, FLASH_LITE, "streamGenerateContent"))
            .header("x-goog-api-key", GEMINI_KEY)
            .json(&ask("hi"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let chunks = body.as_array().unwrap();
    let joined: String = chunks.iter().map(text_of).collect();
    assert_eq!(joined, "Shipping to Porto is 5 EUR.");
    assert_eq!(
        chunks.last().unwrap()["candidates"][0]["finishReason"],
        "STOP"
    );
}

#[tokio::test]
async fn list_models_names_the_active_gemini_models() {
    let sim = sim().await;
    let (status, body) = read(
        reqwest::Client::new()
            .get(format!("{}/v1beta/models", sim.base_url()))
            .header("x-goog-api-key", GEMINI_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "models/gemini-3.5-flash-lite",
            "models/gemini-3.8-flash",
            "models/gemini-embedding-001"
        ]
    );
    assert!(!names.contains(&"models/gemini-1.5-flash"));
}

#[tokio::test]
async fn wait_for_requests_returns_once_enough_calls_arrived() {
    let sim = sim().await;
    let waiter = {
        let sim = sim.clone();
        tokio::spawn(async move { sim.wait_for_requests(2, Duration::from_secs(10)).await })
    };
    generate(&sim, FLASH_LITE, &ask("one")).await;
    generate(&sim, FLASH_LITE, &ask("two")).await;
    let requests = waiter.await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].body["contents"][0]["parts"][0]["text"], "two");
    // With too few calls it gives up after the timeout and returns what there is.
    assert_eq!(
        sim.wait_for_requests(3, Duration::from_millis(50))
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn schema_knobs_that_do_not_go_together_are_400() {
    let sim = sim().await;
    // A schema without the JSON mime type.
    let mut body = ask_json("hi");
    body["generationConfig"]["responseMimeType"] = json!("text/plain");
    assert_eq!(generate(&sim, FLASH_LITE, &body).await.0, 400);
    // Both kinds of schema.
    let mut body = ask_json("hi");
    body["generationConfig"]["responseJsonSchema"] = json!({ "type": "object" });
    assert_eq!(generate(&sim, FLASH_LITE, &body).await.0, 400);
}

#[tokio::test]
async fn thinking_level_on_a_2_5_model_is_400() {
    let sim = LlmSim::start(llm_sim::SimConfig {
        active_models: vec!["gemini-2.5-flash".into()],
        ..llm_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let mut body = ask("hi");
    body["generationConfig"] = json!({ "thinkingConfig": { "thinkingLevel": "LOW" } });
    assert_eq!(generate(&sim, "gemini-2.5-flash", &body).await.0, 400);
    body["generationConfig"] = json!({ "thinkingConfig": { "thinkingBudget": 0 } });
    assert_eq!(generate(&sim, "gemini-2.5-flash", &body).await.0, 200);
}

#[tokio::test]
async fn unknown_fields_deep_in_contents_are_named_by_their_path() {
    let sim = sim().await;
    let body = json!({ "contents": [
        { "role": "user", "parts": [{ "text": "a" }] },
        { "role": "model", "parts": [{ "text": "b", "mood": "happy" }] },
        { "role": "user", "parts": [{ "text": "c" }] },
    ]});
    let (status, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 400);
    assert_eq!(
        answer["error"]["message"],
        "Invalid JSON payload received. Unknown name \"mood\" at 'contents[1].parts[0]': Cannot find field."
    );
    assert_eq!(
        answer["error"]["details"][0]["@type"],
        "type.googleapis.com/google.rpc.BadRequest"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400_and_recorded_as_null() {
    let sim = sim().await;
    let (status, answer) = read(
        reqwest::Client::new()
            .post(url(&sim, FLASH_LITE, "generateContent"))
            .header("x-goog-api-key", GEMINI_KEY)
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(sim.requests()[0].body, Value::Null);
}

#[tokio::test]
async fn get_model_answers_for_active_models_and_404_for_retired_ones() {
    let sim = sim().await;
    let get = |model: &str| {
        reqwest::Client::new()
            .get(format!("{}/v1beta/models/{model}", sim.base_url()))
            .header("x-goog-api-key", GEMINI_KEY)
            .send()
    };
    let (status, body) = read(get(FLASH_LITE).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], format!("models/{FLASH_LITE}"));
    assert!(body["supportedGenerationMethods"]
        .as_array()
        .unwrap()
        .contains(&json!("generateContent")));
    let (status, _) = read(get("gemini-1.5-flash").await.unwrap()).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_stopped_emulator_refuses_connections() {
    let sim = sim().await;
    let url = url(&sim, FLASH_LITE, "generateContent");
    sim.stop().await;
    let result = reqwest::Client::new()
        .post(url)
        .header("x-goog-api-key", GEMINI_KEY)
        .json(&ask("hi"))
        .send()
        .await;
    assert!(result.unwrap_err().is_connect());
}

#[tokio::test]
async fn a_single_content_object_is_taken_for_a_list_as_google_does() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "porto".into(),
        answer: Answer::Text("5 EUR.".into()),
    });
    let body = json!({ "contents": { "parts": { "text": "Porto?" } } });
    let (status, answer) = generate(&sim, FLASH_LITE, &body).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&answer), "5 EUR.");
}

#[tokio::test]
async fn a_model_listed_as_retired_is_404_even_when_also_active() {
    let sim = LlmSim::start(llm_sim::SimConfig {
        retired_models: vec![FLASH_LITE.into()],
        ..llm_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let (status, answer) = generate(&sim, FLASH_LITE, &ask("hi")).await;
    assert_eq!(status, 404);
    assert!(answer["error"].get("details").is_none());
}
