//! The model clients against `llm-sim`, the emulator of Gemini's and the OpenAI-compatible APIs at their
//! HTTP boundary: what reaches the wire (the key in its header only, the thinking knob, the schema, audio),
//! and how every answer and failure the providers are known to send comes back to the caller.

use actors::llm::gemini::{GeminiChat, GeminiChatConfig, Thinking};
use actors::llm::openai::{OpenAiChat, OpenAiChatConfig, TokenLimitField};
use actors::llm::{
    parse_json_answer, ApiKey, BreakerPolicy, ChatModel, ChatRequest, LlmError, Output, Part,
    RetryPolicy, Role, Turn,
};
use llm_sim::{Answer, Failure, LlmSim, OpenAiFlavour, RecordedRequest, Rule, SimConfig};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const GEMINI_KEY: &str = "sim-gemini-key";
const OPENAI_KEY: &str = "sim-openai-key";

async fn sim() -> LlmSim {
    sim_with(SimConfig::default()).await
}

async fn sim_with(config: SimConfig) -> LlmSim {
    let sim = LlmSim::start(config).await.expect("the emulator starts");
    sim.add_rule(Rule {
        pattern: "ship to porto".into(),
        answer: Answer::Bot {
            reply: "Yes: 5 EUR, in 2-3 business days.".into(),
            confidence: 0.92,
            needs_human: false,
            reasons: vec!["shipping is in the playbook".into()],
        },
    });
    sim
}

/// Quick retries, so that tests of retrying take milliseconds, not seconds.
fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_total_wait: Duration::from_secs(10),
    }
}

fn gemini_config(sim: &LlmSim, model: &str) -> GeminiChatConfig {
    GeminiChatConfig {
        base_url: sim.base_url(),
        model: model.into(),
        timeout: Duration::from_secs(10),
        retry: quick_retries(3),
        ..GeminiChatConfig::new(ApiKey::new(GEMINI_KEY))
    }
}

fn gemini(sim: &LlmSim) -> GeminiChat {
    GeminiChat::new(gemini_config(sim, "gemini-3.5-flash-lite")).expect("a valid configuration")
}

fn openai_config(sim: &LlmSim) -> OpenAiChatConfig {
    OpenAiChatConfig {
        base_url: format!("{}/v1", sim.base_url()),
        api_key: Some(ApiKey::new(OPENAI_KEY)),
        model: "gpt-5.4-mini".into(),
        timeout: Duration::from_secs(10),
        token_limit: TokenLimitField::MaxCompletionTokens,
        retry: quick_retries(3),
    }
}

fn openai(sim: &LlmSim) -> OpenAiChat {
    OpenAiChat::new(openai_config(sim)).expect("a valid configuration")
}

fn bot_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "reply": {"type": "string", "description": "The message to send the customer"},
            "confidence": {"type": "number"},
            "needs_human": {"type": "boolean"},
            "reasons": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["reply", "confidence", "needs_human", "reasons"]
    })
}

fn question(text: &str, output: Output) -> ChatRequest {
    ChatRequest {
        system: "You answer customers of Acme Watches using only the playbook.".into(),
        turns: vec![
            Turn::text(Role::User, "Hello"),
            Turn::text(Role::Model, "Hello! How can I help?"),
            Turn::text(Role::User, text),
        ],
        output,
        max_output_tokens: 2048,
    }
}

fn json_question(text: &str) -> ChatRequest {
    question(
        text,
        Output::Json {
            name: "bot_reply".into(),
            schema: bot_schema(),
        },
    )
}

/// The model calls the emulator received (its model-listing and control routes aside).
fn model_calls(sim: &LlmSim) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && !r.path.starts_with("/_sim"))
        .collect()
}

// ---------------------------------------------------------------------------------------------------
// Success, and what went over the wire.

#[tokio::test]
async fn gemini_answers_json_with_the_key_in_its_header_only() {
    let sim = sim().await;
    let model = gemini(&sim);
    let answer = model
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .expect("an answer");
    let reply = parse_json_answer(&answer.text).expect("a JSON object");
    assert_eq!(reply["reply"], "Yes: 5 EUR, in 2-3 business days.");
    assert_eq!(reply["needs_human"], false);
    assert_eq!(answer.attempts, 1);
    assert!(answer.model_version.starts_with("gemini-3.5-flash-lite"));
    assert!(answer.usage.input_tokens > 0 && answer.usage.output_tokens > 0);
    assert_eq!(
        (model.provider(), model.model()),
        ("gemini", "gemini-3.5-flash-lite")
    );

    let calls = model_calls(&sim);
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(
        call.path,
        "/v1beta/models/gemini-3.5-flash-lite:generateContent"
    );
    assert!(!call.key_in_query, "the key must not travel in the URL");
    assert!(!call.path.contains(GEMINI_KEY));
    assert_eq!(call.header("x-goog-api-key"), Some("<redacted>"));
    assert_eq!(call.header("authorization"), None);
    assert_eq!(
        call.body["systemInstruction"],
        json!({"parts": [{"text": "You answer customers of Acme Watches using only the playbook."}]})
    );
    assert_eq!(
        call.body["contents"][1],
        json!({"role": "model", "parts": [{"text": "Hello! How can I help?"}]})
    );
    let config = &call.body["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert_eq!(config["responseSchema"]["type"], "OBJECT");
    assert_eq!(
        config["responseSchema"]["propertyOrdering"],
        json!(["reply", "confidence", "needs_human", "reasons"])
    );
    assert_eq!(config["maxOutputTokens"], 2048);
    for sampling in ["temperature", "topP", "topK"] {
        assert!(config.get(sampling).is_none(), "{sampling} sent");
    }
}

#[tokio::test]
async fn openai_answers_json_with_a_bearer_key_and_a_strict_schema() {
    let sim = sim().await;
    // The base URL without /v1 works as well as with it.
    let model = OpenAiChat::new(OpenAiChatConfig {
        base_url: sim.base_url(),
        ..openai_config(&sim)
    })
    .unwrap();
    let answer = model
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .expect("an answer");
    let reply = parse_json_answer(&answer.text).expect("a JSON object");
    assert_eq!(reply["reply"], "Yes: 5 EUR, in 2-3 business days.");
    assert_eq!(reply["reasons"], json!(["shipping is in the playbook"]));
    assert_eq!(answer.attempts, 1);
    assert!(answer.model_version.starts_with("gpt-5.4-mini"));
    assert_eq!(model.provider(), "openai");

    let calls = model_calls(&sim);
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.path, "/v1/chat/completions");
    assert!(!call.key_in_query);
    assert_eq!(call.header("authorization"), Some("<redacted>"));
    assert_eq!(call.body["messages"][0]["role"], "system");
    assert_eq!(call.body["messages"][2]["role"], "assistant");
    assert_eq!(call.body["max_completion_tokens"], 2048);
    assert!(call.body.get("max_tokens").is_none());
    assert!(call.body.get("temperature").is_none());
    let format = &call.body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["strict"], true);
    assert_eq!(
        format["json_schema"]["schema"]["additionalProperties"],
        false
    );
}

#[tokio::test]
async fn plain_text_answers_come_back_as_text() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "opening hours".into(),
        answer: Answer::Text("We open at 9.".into()),
    });
    let gemini_answer = gemini(&sim)
        .generate(&question("What are your opening hours?", Output::Text))
        .await
        .unwrap();
    assert_eq!(gemini_answer.text, "We open at 9.");
    let openai_answer = openai(&sim)
        .generate(&question("What are your opening hours?", Output::Text))
        .await
        .unwrap();
    assert_eq!(openai_answer.text, "We open at 9.");
    for call in model_calls(&sim) {
        assert!(call
            .body
            .pointer("/generationConfig/responseMimeType")
            .is_none());
        assert!(call.body.get("response_format").is_none());
    }
}

#[tokio::test]
async fn each_gemini_family_gets_its_own_thinking_knob() {
    let sim = sim_with(SimConfig {
        active_models: vec![
            "gemini-3.5-flash-lite".into(),
            "gemini-2.5-flash".into(),
            "gemini-2.5-flash-lite".into(),
        ],
        ..SimConfig::default()
    })
    .await;
    for (model, knob) in [
        ("gemini-3.5-flash-lite", json!({"thinkingLevel": "LOW"})),
        ("gemini-2.5-flash", json!({"thinkingBudget": 0})),
        ("gemini-2.5-flash-lite", json!({"thinkingBudget": 0})),
    ] {
        let client = GeminiChat::new(gemini_config(&sim, model)).unwrap();
        assert_ne!(client.thinking(), Thinking::Default);
        client
            .generate(&json_question("Do you ship to Porto?"))
            .await
            .unwrap_or_else(|e| panic!("{model}: {e}"));
        let calls = model_calls(&sim);
        let call = calls.last().unwrap();
        assert_eq!(
            call.body["generationConfig"]["thinkingConfig"], knob,
            "{model}"
        );
    }
}

#[tokio::test]
async fn a_voice_note_travels_as_inline_audio() {
    let sim = sim().await;
    let request = ChatRequest {
        system: "Transcribe the voice note.".into(),
        turns: vec![Turn {
            role: Role::User,
            parts: vec![Part::Audio {
                mime: "audio/ogg; codecs=opus".into(),
                data: "Is the Seamaster still available?".as_bytes().to_vec(),
            }],
        }],
        output: Output::Text,
        max_output_tokens: 1024,
    };
    let answer = gemini(&sim).generate(&request).await.unwrap();
    assert_eq!(answer.text.trim(), "Is the Seamaster still available?");
    let calls = model_calls(&sim);
    let part = &calls[0].body["contents"][0]["parts"][0]["inlineData"];
    assert_eq!(part["mimeType"], "audio/ogg");
    assert_eq!(part["data"], "SXMgdGhlIFNlYW1hc3RlciBzdGlsbCBhdmFpbGFibGU/");

    // OpenAI-compatible servers take wav and mp3 only: an Ogg voice note is refused without a call.
    let refused = openai(&sim).generate(&request).await.unwrap_err();
    assert_eq!(refused.code(), "bad_request");
    assert_eq!(model_calls(&sim).len(), 1);
}

#[tokio::test]
async fn ollama_gets_max_tokens_and_openai_reasoning_models_refuse_it() {
    let ollama = sim_with(SimConfig {
        openai_flavour: OpenAiFlavour::Ollama,
        reasoning_models: vec![],
        ..SimConfig::default()
    })
    .await;
    let local = OpenAiChat::new(OpenAiChatConfig {
        api_key: None,
        token_limit: TokenLimitField::MaxTokens,
        ..openai_config(&ollama)
    })
    .unwrap();
    local
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap();
    let calls = model_calls(&ollama);
    assert_eq!(calls[0].body["max_tokens"], 2048);
    assert_eq!(calls[0].header("authorization"), None);

    // The same setting against OpenAI's reasoning model is the documented 400, not retried.
    let sim = sim().await;
    let wrong = OpenAiChat::new(OpenAiChatConfig {
        token_limit: TokenLimitField::MaxTokens,
        ..openai_config(&sim)
    })
    .unwrap();
    let error = wrong
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "bad_request");
    assert!(
        error.to_string().contains("max_completion_tokens"),
        "{error}"
    );
    assert_eq!(model_calls(&sim).len(), 1);
}

// ---------------------------------------------------------------------------------------------------
// Throttling and outages.

#[tokio::test]
async fn gemini_429_is_retried_after_its_retry_info_delay() {
    let sim = sim().await;
    sim.fail_next(
        Failure::RateLimited {
            retry_delay: Duration::from_millis(1500),
        },
        1,
    );
    let started = Instant::now();
    let answer = gemini(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .expect("an answer after the wait");
    let elapsed = started.elapsed();
    assert_eq!(answer.attempts, 2);
    assert!(
        elapsed >= Duration::from_millis(1500),
        "retried after {elapsed:?}, before the 1.5 s asked for"
    );
    assert!(answer.latency >= Duration::from_millis(1500));
    assert_eq!(model_calls(&sim).len(), 2);
}

#[tokio::test]
async fn openai_429_is_retried_after_its_retry_after_delay() {
    let sim = sim().await;
    sim.fail_next(
        Failure::RateLimited {
            retry_delay: Duration::from_millis(700),
        },
        1,
    );
    let started = Instant::now();
    let answer = openai(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .expect("an answer after the wait");
    assert_eq!(answer.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_requested_wait_beyond_the_policy_gives_up_at_once() {
    let sim = sim().await;
    sim.fail_next(
        Failure::RateLimited {
            retry_delay: Duration::from_secs(30),
        },
        1,
    );
    let client = GeminiChat::new(GeminiChatConfig {
        retry: RetryPolicy {
            max_total_wait: Duration::from_secs(5),
            ..quick_retries(3)
        },
        ..gemini_config(&sim, "gemini-3.5-flash-lite")
    })
    .unwrap();
    let started = Instant::now();
    let error = client
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        LlmError::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(model_calls(&sim).len(), 1);
}

#[tokio::test]
async fn still_throttled_after_the_retries_is_rate_limited() {
    let sim = sim().await;
    sim.fail_next(
        Failure::RateLimited {
            retry_delay: Duration::from_millis(50),
        },
        3,
    );
    let error = gemini(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rate_limited");
    assert!(error.is_transient());
    assert_eq!(model_calls(&sim).len(), 3);
}

#[tokio::test]
async fn a_daily_quota_is_not_retried() {
    let sim = sim().await;
    sim.fail_next(Failure::DailyQuota, 1);
    let error = gemini(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "quota_exhausted");
    assert!(!error.is_transient());
    sim.fail_next(Failure::DailyQuota, 1);
    let error = openai(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(
        error.code(),
        "quota_exhausted",
        "insufficient_quota: {error}"
    );
    assert_eq!(model_calls(&sim).len(), 2, "one call each, no retry");
}

#[tokio::test]
async fn overload_and_server_errors_are_retried_until_an_answer() {
    let sim = sim().await;
    sim.fail_next(Failure::Overloaded, 2);
    let answer = gemini(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .expect("the third attempt answers");
    assert_eq!(answer.attempts, 3);

    for failure in [
        Failure::Internal,
        Failure::GatewayTimeout,
        Failure::NonJson502,
        Failure::DropConnection,
    ] {
        sim.fail_next(failure, 1);
        let answer = openai(&sim)
            .generate(&json_question("Do you ship to Porto?"))
            .await
            .expect("the second attempt answers");
        assert_eq!(answer.attempts, 2);
    }
}

#[tokio::test]
async fn an_outage_that_outlasts_the_retries_is_unavailable() {
    let sim = sim().await;
    sim.fail_next(Failure::Overloaded, 3);
    let error = gemini(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    let LlmError::Unavailable { message } = &error else {
        panic!("{error:?}");
    };
    assert!(message.contains("overloaded"), "{message}");
    assert!(message.contains("after 3 attempts"), "{message}");
    assert_eq!(model_calls(&sim).len(), 3);
}

#[tokio::test]
async fn a_model_slower_than_the_timeout_is_unavailable() {
    let sim = sim().await;
    sim.fail_next(Failure::Slow(Duration::from_secs(3)), 2);
    let client = GeminiChat::new(GeminiChatConfig {
        timeout: Duration::from_millis(300),
        retry: quick_retries(2),
        ..gemini_config(&sim, "gemini-3.5-flash-lite")
    })
    .unwrap();
    let started = Instant::now();
    let error = client
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "unavailable", "{error}");
    assert!(
        error.to_string().contains("no answer within 300 ms"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        sim.wait_for_requests(2, Duration::from_secs(5)).await.len(),
        2
    );
}

#[tokio::test]
async fn the_breaker_opens_after_failures_in_a_row_and_stops_calling() {
    let sim = sim().await;
    let client = GeminiChat::new(GeminiChatConfig {
        retry: quick_retries(1),
        ..gemini_config(&sim, "gemini-3.5-flash-lite")
    })
    .unwrap()
    .with_breaker(BreakerPolicy {
        failures: 3,
        open_for: Duration::from_secs(60),
    });
    sim.fail_next(Failure::Internal, 3);
    for _ in 0..3 {
        let error = client
            .generate(&json_question("Do you ship to Porto?"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "unavailable");
    }
    // The emulator would answer now, but the client no longer asks.
    let error = client
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(error, LlmError::CircuitOpen);
    assert_eq!(model_calls(&sim).len(), 3);
}

#[tokio::test]
async fn an_open_breaker_lets_one_trial_through_after_its_pause() {
    let sim = sim().await;
    let client = OpenAiChat::new(OpenAiChatConfig {
        retry: quick_retries(1),
        ..openai_config(&sim)
    })
    .unwrap()
    .with_breaker(BreakerPolicy {
        failures: 1,
        open_for: Duration::from_millis(300),
    });
    sim.fail_next(Failure::Overloaded, 1);
    assert_eq!(
        client
            .generate(&json_question("Do you ship to Porto?"))
            .await
            .unwrap_err()
            .code(),
        "unavailable"
    );
    assert_eq!(
        client
            .generate(&json_question("Do you ship to Porto?"))
            .await,
        Err(LlmError::CircuitOpen)
    );
    // The pause is a span of time: wait it out, then the trial call succeeds and closes the breaker.
    tokio::time::sleep(Duration::from_millis(300)).await;
    client
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .expect("the trial call");
    client
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .expect("closed again");
    assert_eq!(model_calls(&sim).len(), 3);
}

// ---------------------------------------------------------------------------------------------------
// Configuration errors.

#[tokio::test]
async fn a_retired_model_says_which_setting_to_change() {
    let sim = sim().await;
    let client = GeminiChat::new(gemini_config(&sim, "gemini-1.5-flash")).unwrap();
    let error = client
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "model gemini-1.5-flash is retired or unknown: change GEMINI_MODEL"
    );
    assert!(
        matches!(error, LlmError::RetiredModel { ref model, .. } if model == "gemini-1.5-flash")
    );

    let ollama = sim_with(SimConfig {
        openai_flavour: OpenAiFlavour::Ollama,
        ..SimConfig::default()
    })
    .await;
    let local = OpenAiChat::new(OpenAiChatConfig {
        model: "qwen9:404b".into(),
        token_limit: TokenLimitField::MaxTokens,
        ..openai_config(&ollama)
    })
    .unwrap();
    let error = local
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "model qwen9:404b is retired or unknown: change OPENAI_MODEL"
    );
    assert_eq!(
        model_calls(&sim).len() + model_calls(&ollama).len(),
        2,
        "not retried"
    );
}

#[tokio::test]
async fn a_wrong_key_is_invalid_and_never_shown() {
    let sim = sim().await;
    let secret = "AIza-wrong-key-0123456789";
    let client = GeminiChat::new(GeminiChatConfig {
        api_key: ApiKey::new(secret),
        ..gemini_config(&sim, "gemini-3.5-flash-lite")
    })
    .unwrap();
    let error = client
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(error, LlmError::InvalidKey);
    assert!(!format!("{client:?}").contains(secret));

    let client = OpenAiChat::new(OpenAiChatConfig {
        api_key: Some(ApiKey::new("sk-wrong-0123456789")),
        ..openai_config(&sim)
    })
    .unwrap();
    let error = client
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(error, LlmError::InvalidKey);
    assert_eq!(model_calls(&sim).len(), 2, "not retried");
}

#[tokio::test]
async fn an_unsupported_location_is_its_own_error() {
    let sim = sim().await;
    sim.fail_next(Failure::LocationUnsupported, 1);
    let error = gemini(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .unwrap_err();
    assert_eq!(error, LlmError::LocationUnsupported);
    assert_eq!(model_calls(&sim).len(), 1);
}

// ---------------------------------------------------------------------------------------------------
// HTTP 200 without an answer.

#[tokio::test]
async fn every_gemini_200_without_an_answer_is_blocked_or_no_answer() {
    let sim = sim().await;
    let client = gemini(&sim);
    for (failure, code, words) in [
        (Failure::PromptBlocked, "blocked", "PROHIBITED_CONTENT"),
        (Failure::SafetyBlocked, "blocked", "SAFETY"),
        (Failure::Refusal, "blocked", "SAFETY"),
        (
            Failure::MaxTokensNoText,
            "no_answer",
            "MAX_TOKENS without text",
        ),
        (
            Failure::TruncatedJson,
            "no_answer",
            "MAX_TOKENS with an unfinished text",
        ),
        (Failure::EmptyAnswer, "no_answer", "empty"),
        (Failure::Recitation, "blocked", "RECITATION"),
        (Failure::UnknownFinishReason, "no_answer", "FUTURE_REASON"),
    ] {
        let label = format!("{failure:?}");
        sim.fail_next(failure, 1);
        let error = client
            .generate(&json_question("Do you ship to Porto?"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), code, "{label}: {error}");
        assert!(error.to_string().contains(words), "{label}: {error}");
    }
    assert_eq!(model_calls(&sim).len(), 8, "none retried");
}

#[tokio::test]
async fn every_openai_200_without_an_answer_is_blocked_or_no_answer() {
    let sim = sim().await;
    let client = openai(&sim);
    for (failure, code, words) in [
        (Failure::Refusal, "blocked", "refused"),
        (Failure::SafetyBlocked, "blocked", "content_filter"),
        (Failure::Recitation, "blocked", "content_filter"),
        (Failure::PromptBlocked, "blocked", "invalid_prompt"),
        (Failure::TruncatedJson, "no_answer", "finish_reason length"),
        (
            Failure::MaxTokensNoText,
            "no_answer",
            "finish_reason length",
        ),
        (Failure::EmptyAnswer, "no_answer", "empty"),
        (Failure::UnknownFinishReason, "no_answer", "future_reason"),
    ] {
        let label = format!("{failure:?}");
        sim.fail_next(failure, 1);
        let error = client
            .generate(&json_question("Do you ship to Porto?"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), code, "{label}: {error}");
        assert!(error.to_string().contains(words), "{label}: {error}");
    }
    assert_eq!(model_calls(&sim).len(), 8, "none retried");
}

#[tokio::test]
async fn json_text_that_does_not_parse_is_no_answer() {
    let sim = sim().await;
    sim.add_rule(Rule {
        pattern: "warranty".into(),
        answer: Answer::Text("Sure! The warranty is two years.".into()),
    });
    let answer = gemini(&sim)
        .generate(&json_question("How long is the warranty?"))
        .await
        .expect("the model finished");
    assert_eq!(
        parse_json_answer(&answer.text).unwrap_err().code(),
        "no_answer"
    );
}

#[tokio::test]
async fn fenced_json_thoughts_and_a_legacy_model_still_give_the_answer() {
    let sim = sim().await;
    let gemini = gemini(&sim);
    let openai = openai(&sim);
    for failure in [
        Failure::FencedJson,
        Failure::WithThoughts,
        Failure::LegacyModel,
    ] {
        let label = format!("{failure:?}");
        sim.fail_next(failure.clone(), 1);
        let answer = gemini
            .generate(&json_question("Do you ship to Porto?"))
            .await
            .unwrap_or_else(|e| panic!("gemini {label}: {e}"));
        let reply =
            parse_json_answer(&answer.text).unwrap_or_else(|e| panic!("gemini {label}: {e}"));
        assert_eq!(
            reply["reply"], "Yes: 5 EUR, in 2-3 business days.",
            "gemini {label}"
        );
        if failure == Failure::LegacyModel {
            continue;
        }
        sim.fail_next(failure, 1);
        let answer = openai
            .generate(&json_question("Do you ship to Porto?"))
            .await
            .unwrap_or_else(|e| panic!("openai {label}: {e}"));
        let reply =
            parse_json_answer(&answer.text).unwrap_or_else(|e| panic!("openai {label}: {e}"));
        assert_eq!(
            reply["reply"], "Yes: 5 EUR, in 2-3 business days.",
            "openai {label}"
        );
    }
}

#[tokio::test]
async fn a_429_without_a_delay_is_retried_with_back_off() {
    let sim = sim().await;
    sim.fail_next(Failure::RateLimitedBare, 1);
    let answer = gemini(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .expect("the second attempt answers");
    assert_eq!(answer.attempts, 2);
    sim.fail_next(Failure::RateLimitedBare, 1);
    let answer = openai(&sim)
        .generate(&json_question("Do you ship to Porto?"))
        .await
        .expect("the second attempt answers");
    assert_eq!(answer.attempts, 2);
}
