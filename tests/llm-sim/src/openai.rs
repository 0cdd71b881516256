//! The OpenAI-compatible API under `/v1`: `chat/completions`, `embeddings`, `models`, as api.openai.com
//! answers them or, with [`OpenAiFlavour::Ollama`], as Ollama's compatibility layer does.

use super::{embed, heard, json_response, mask_key, now, tokens, Failure, OpenAiFlavour, SimState};
use poem::web::Data;
use poem::{get, handler, post, Body, Request, Response, Route};
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) fn routes() -> Route {
    Route::new()
        .at("/chat/completions", post(chat))
        .at("/embeddings", post(embeddings))
        .at("/models", get(list_models))
}

/// OpenAI's error object (`param`/`code` are null when absent). Ollama chooses `type` by status and
/// never sets `code`.
pub fn error(
    flavour: OpenAiFlavour,
    status: u16,
    kind: &str,
    message: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    let (kind, code) = match flavour {
        OpenAiFlavour::OpenAi => (kind, code),
        OpenAiFlavour::Ollama => (
            match status {
                400 => "invalid_request_error",
                404 => "not_found_error",
                _ => "api_error",
            },
            None,
        ),
    };
    json_response(
        status,
        &json!({ "error": { "message": message, "type": kind, "param": param, "code": code } }),
    )
}

fn invalid(state: &SimState, message: &str, param: Option<&str>, code: Option<&str>) -> Response {
    error(
        state.config.openai_flavour,
        400,
        "invalid_request_error",
        message,
        param,
        code,
    )
}

/// Bearer auth (Ollama has none): missing or wrong ⇒ 401.
fn authorise(state: &SimState, req: &Request) -> Result<(), Box<Response>> {
    if state.config.openai_flavour == OpenAiFlavour::Ollama {
        return Ok(());
    }
    let flavour = state.config.openai_flavour;
    let token = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    match token {
        None | Some("") => Err(Box::new(error(
            flavour,
            401,
            "invalid_request_error",
            "You didn't provide an API key. You need to provide your API key in an Authorization header using \
             Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) \
             if you're accessing the API from your browser and are prompted for a username. You can obtain an \
             API key from https://platform.openai.com/account/api-keys.",
            None,
            None,
        ))),
        Some(token) if token == state.config.openai_key => Ok(()),
        Some(token) => Err(Box::new(error(
            flavour,
            401,
            "invalid_request_error",
            &format!(
                "Incorrect API key provided: {}. You can find your API key at \
                 https://platform.openai.com/account/api-keys.",
                mask_key(token)
            ),
            None,
            Some("invalid_api_key"),
        ))),
    }
}

/// The model must exist: 404 `model_not_found` (Ollama: `model 'x' not found`).
fn find_model(state: &SimState, model: &str) -> Result<(), Box<Response>> {
    if state.is_active(model) {
        return Ok(());
    }
    Err(Box::new(match state.config.openai_flavour {
        OpenAiFlavour::OpenAi => error(
            OpenAiFlavour::OpenAi,
            404,
            "invalid_request_error",
            &format!("The model `{model}` does not exist or you do not have access to it."),
            None,
            Some("model_not_found"),
        ),
        OpenAiFlavour::Ollama => error(
            OpenAiFlavour::Ollama,
            404,
            "not_found_error",
            &format!("model '{model}' not found"),
            None,
            None,
        ),
    }))
}

fn parse_body(state: &SimState, bytes: &[u8]) -> Result<Value, Box<Response>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(body) if body.is_object() => Ok(body),
        _ => Err(Box::new(invalid(
            state,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your \
             HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. \
             If you have trouble figuring out how to fix this, please contact us through our help center at \
             help.openai.com.)",
            None,
            None,
        ))),
    }
}

#[handler]
fn list_models(req: &Request, Data(state): Data<&Arc<SimState>>) -> Response {
    state.record(req, &[]);
    if let Err(response) = authorise(state, req) {
        return *response;
    }
    let owner = match state.config.openai_flavour {
        OpenAiFlavour::OpenAi => "system",
        OpenAiFlavour::Ollama => "library",
    };
    let data: Vec<Value> = state
        .config
        .active_models
        .iter()
        .filter(|id| state.is_active(id))
        .map(|id| json!({ "id": id, "object": "model", "created": 1_767_225_600, "owned_by": owner }))
        .collect();
    json_response(200, &json!({ "object": "list", "data": data }))
}

// ---- chat/completions ----

const KNOWN_CHAT_FIELDS: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "n",
    "stop",
    "seed",
    "response_format",
    "stream",
    "stream_options",
    "reasoning_effort",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "service_tier",
    "store",
    "metadata",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "presence_penalty",
    "frequency_penalty",
    "modalities",
    "audio",
    "prediction",
    "verbosity",
    "web_search_options",
    "functions",
    "function_call",
];

const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// The text of a message's content (a string or content parts), and what its audio parts say.
fn message_text(message: &Value) -> (String, Vec<String>) {
    match message.get("content") {
        Some(Value::String(text)) => (text.clone(), Vec::new()),
        Some(Value::Array(parts)) => {
            let mut text = Vec::new();
            let mut audio = Vec::new();
            for part in parts {
                match part.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        if let Some(t) = part.get("text").and_then(Value::as_str) {
                            text.push(t.to_owned());
                        }
                    }
                    Some("input_audio") => {
                        if let Some(said) = part
                            .pointer("/input_audio/data")
                            .and_then(Value::as_str)
                            .and_then(heard)
                        {
                            audio.push(said);
                        }
                    }
                    _ => {}
                }
            }
            (text.join("\n"), audio)
        }
        _ => (String::new(), Vec::new()),
    }
}

/// The checks OpenAI makes before the model runs; `Ok` holds whether the answer is JSON.
fn validate_chat(state: &SimState, body: &Value, model: &str) -> Result<bool, Box<Response>> {
    let flavour = state.config.openai_flavour;
    if flavour == OpenAiFlavour::OpenAi {
        if let Some(unknown) = body
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .find(|k| !KNOWN_CHAT_FIELDS.contains(&k.as_str()))
        {
            return Err(Box::new(invalid(
                state,
                &format!("Unrecognized request argument supplied: {unknown}"),
                None,
                None,
            )));
        }
    }
    let messages = body.get("messages").and_then(Value::as_array);
    let Some(messages) = messages.filter(|m| !m.is_empty()) else {
        return Err(Box::new(invalid(
            state,
            "[] is too short - 'messages'",
            Some("messages"),
            None,
        )));
    };
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        if !ROLES.contains(&role) {
            return Err(Box::new(invalid(
                state,
                &format!(
                    "Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', \
                     'tool', and 'developer'."
                ),
                Some(&format!("messages[{i}].role")),
                Some("invalid_value"),
            )));
        }
    }
    let reasoning = flavour == OpenAiFlavour::OpenAi
        && state.config.reasoning_models.iter().any(|m| m == model);
    if reasoning && body.get("max_tokens").is_some_and(|v| !v.is_null()) {
        return Err(Box::new(invalid(
            state,
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' \
             instead.",
            Some("max_tokens"),
            Some("unsupported_parameter"),
        )));
    }
    if let Some(temperature) = body.get("temperature").and_then(Value::as_f64) {
        if reasoning && temperature != 1.0 {
            return Err(Box::new(invalid(
                state,
                &format!(
                    "Unsupported value: 'temperature' does not support {temperature} with this model. Only the \
                     default (1) value is supported."
                ),
                Some("temperature"),
                Some("unsupported_value"),
            )));
        }
    }
    let format = body.get("response_format");
    let json_mode = match format.and_then(|f| f.get("type")).and_then(Value::as_str) {
        None | Some("text") => false,
        Some("json_object") => {
            let says_json = messages
                .iter()
                .any(|m| message_text(m).0.to_lowercase().contains("json"));
            if !says_json && flavour == OpenAiFlavour::OpenAi {
                return Err(Box::new(invalid(
                    state,
                    "'messages' must contain the word 'json' in some form, to use 'response_format' of type \
                     'json_object'.",
                    Some("messages"),
                    None,
                )));
            }
            true
        }
        Some("json_schema") => {
            let schema = format.and_then(|f| f.get("json_schema"));
            if flavour == OpenAiFlavour::OpenAi
                && schema
                    .and_then(|s| s.get("name"))
                    .and_then(Value::as_str)
                    .is_none()
            {
                return Err(Box::new(invalid(
                    state,
                    "Missing required parameter: 'response_format.json_schema.name'.",
                    Some("response_format.json_schema.name"),
                    Some("missing_required_parameter"),
                )));
            }
            true
        }
        Some(other) => {
            return Err(Box::new(invalid(
                state,
                &format!(
                    "Invalid value: '{other}'. Supported values are: 'json_object', 'json_schema', and 'text'."
                ),
                Some("response_format.type"),
                Some("invalid_value"),
            )))
        }
    };
    Ok(json_mode)
}

/// Reasoning tokens a reasoning model spends at this effort.
fn reasoning_tokens(body: &Value) -> u64 {
    match body.get("reasoning_effort").and_then(Value::as_str) {
        Some("none") | Some("minimal") => 0,
        Some("low") => 16,
        Some("high") => 256,
        _ => 64,
    }
}

/// The error response a failure gives, if it is an error (the others shape a 200).
fn failure_error(state: &SimState, failure: &Failure, model: &str) -> Option<Response> {
    let flavour = state.config.openai_flavour;
    Some(match failure {
        Failure::RateLimited { retry_delay } => {
            let seconds = retry_delay.as_secs_f64();
            let mut response = error(
                flavour,
                429,
                "requests",
                &format!(
                    "Rate limit reached for {model} in organization org-llmsim on requests per min (RPM): \
                     Limit 500, Used 500, Requested 1. Please try again in {seconds}s. Visit \
                     https://platform.openai.com/account/rate-limits to learn more."
                ),
                None,
                Some("rate_limit_exceeded"),
            );
            let millis = retry_delay.as_millis();
            let headers = response.headers_mut();
            let pairs = [
                ("retry-after", retry_delay.as_secs_f64().ceil().max(1.0).to_string()),
                ("retry-after-ms", millis.to_string()),
                ("x-ratelimit-limit-requests", "500".to_owned()),
                ("x-ratelimit-remaining-requests", "0".to_owned()),
                ("x-ratelimit-reset-requests", format!("{}ms", millis)),
                ("x-ratelimit-limit-tokens", "200000".to_owned()),
                ("x-ratelimit-remaining-tokens", "199000".to_owned()),
                ("x-ratelimit-reset-tokens", "300ms".to_owned()),
                ("x-request-id", format!("req_sim{}", state.next_id())),
                ("x-should-retry", "true".to_owned()),
            ];
            for (name, value) in pairs {
                if let Ok(value) = poem::http::HeaderValue::from_str(&value) {
                    headers.insert(name, value);
                }
            }
            response
        }
        Failure::RateLimitedBare => error(
            flavour,
            429,
            "requests",
            &format!("Rate limit reached for {model}. Please try again later."),
            None,
            Some("rate_limit_exceeded"),
        ),
        Failure::DailyQuota => error(
            flavour,
            429,
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details. For more information \
             on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
            None,
            Some("insufficient_quota"),
        ),
        Failure::Internal => error(
            flavour,
            500,
            "server_error",
            "The server had an error while processing your request. Sorry about that!",
            None,
            None,
        ),
        Failure::Overloaded => error(
            flavour,
            503,
            "server_error",
            "The engine is currently overloaded, please try again later.",
            None,
            None,
        ),
        Failure::GatewayTimeout => error(
            flavour,
            504,
            "server_error",
            "Gateway timeout: the model did not answer in time.",
            None,
            None,
        ),
        Failure::LocationUnsupported => error(
            flavour,
            403,
            "request_forbidden",
            "Country, region, or territory not supported",
            None,
            Some("unsupported_country_region_territory"),
        ),
        Failure::PromptBlocked => error(
            flavour,
            400,
            "invalid_request_error",
            "Invalid prompt: your prompt was flagged as potentially violating our usage policy.",
            None,
            Some("invalid_prompt"),
        ),
        Failure::NonJson502 => super::html_502(),
        Failure::DropConnection => super::drop_connection(),
        _ => return None,
    })
}

#[handler]
async fn chat(req: &Request, body: Body, Data(state): Data<&Arc<SimState>>) -> Response {
    let bytes = body.into_vec().await.unwrap_or_default();
    state.record(req, &bytes);
    if let Err(response) = authorise(state, req) {
        return *response;
    }
    let scenario = match super::scenario(req) {
        Ok(scenario) => scenario,
        Err(response) => return *response,
    };
    let body = match parse_body(state, &bytes) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let Some(model) = body.get("model").and_then(Value::as_str).map(str::to_owned) else {
        return invalid(state, "you must provide a model parameter", None, None);
    };
    if let Err(response) = find_model(state, &model) {
        return *response;
    }
    if model.contains("embedding") {
        return error(
            state.config.openai_flavour,
            404,
            "invalid_request_error",
            "This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean \
             to use v1/completions?",
            Some("model"),
            None,
        );
    }
    let json_mode = match validate_chat(state, &body, &model) {
        Ok(json_mode) => json_mode,
        Err(response) => return *response,
    };
    let failure = state.take_failure(scenario, false);
    state.delay(failure.as_ref()).await;
    if let Some(response) = failure
        .as_ref()
        .and_then(|f| failure_error(state, f, &model))
    {
        return response;
    }
    let whole = completion(state, &model, &body, json_mode, failure.as_ref());
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let include_usage = body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            == Some(true);
        return stream(whole, include_usage);
    }
    json_response(200, &whole)
}

/// The whole `chat.completion` for a request that passed validation.
fn completion(
    state: &SimState,
    model: &str,
    body: &Value,
    json_mode: bool,
    failure: Option<&Failure>,
) -> Value {
    let flavour = state.config.openai_flavour;
    let messages = body
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let (said, heard) = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(message_text)
        .unwrap_or_default();
    let mut text = if !heard.is_empty() && !json_mode {
        heard.join(" ")
    } else {
        let mut all = said;
        for h in &heard {
            all.push(' ');
            all.push_str(h);
        }
        state.answer_for(&all).render(json_mode)
    };
    let prompt: u64 = messages
        .iter()
        .map(|m| tokens(&message_text(m).0) + 4)
        .sum();
    let reasoning_model = state.config.reasoning_models.iter().any(|m| m == model);
    let mut reasoning = if reasoning_model {
        reasoning_tokens(body)
    } else {
        0
    };
    let cap = match flavour {
        OpenAiFlavour::OpenAi => body
            .get("max_completion_tokens")
            .or_else(|| body.get("max_tokens")),
        OpenAiFlavour::Ollama => body.get("max_tokens"),
    }
    .and_then(Value::as_u64);
    let mut finish = "stop";
    let mut content = Some(text.clone());
    let mut refusal = None;
    let mut reasoning_text = None;
    if let Some(cap) = cap {
        if reasoning >= cap {
            reasoning = cap;
            text.clear();
            content = Some(String::new());
            finish = "length";
        } else if reasoning + tokens(&text) > cap {
            let keep = usize::try_from((cap - reasoning) * 4).unwrap_or(usize::MAX);
            text = text.chars().take(keep).collect();
            content = Some(text.clone());
            finish = "length";
        }
    }
    match failure {
        Some(Failure::SafetyBlocked | Failure::Recitation) => {
            content = None;
            finish = "content_filter";
        }
        Some(Failure::Refusal) => {
            content = None;
            refusal = Some("I'm sorry, but I can't help with that request.".to_owned());
        }
        Some(Failure::MaxTokensNoText) => {
            content = Some(String::new());
            reasoning = reasoning.max(1024);
            finish = "length";
        }
        Some(Failure::TruncatedJson) => {
            let half = text.chars().count() / 2;
            content = Some(text.chars().take(half).collect());
            finish = "length";
        }
        Some(Failure::EmptyAnswer) => content = Some(String::new()),
        Some(Failure::UnknownFinishReason) => finish = "future_reason",
        Some(Failure::FencedJson) => content = Some(format!("```json\n{text}\n```")),
        Some(Failure::WithThoughts) => {
            reasoning_text =
                Some("The customer asks something the playbook may answer.".to_owned());
            reasoning = reasoning.max(16);
        }
        _ => {}
    }
    let completion_tokens = content.as_deref().map_or(0, tokens) + reasoning;
    let mut message = json!({ "role": "assistant", "content": content });
    let mut usage = json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    });
    let fingerprint = match flavour {
        OpenAiFlavour::OpenAi => {
            message["refusal"] = json!(refusal);
            message["annotations"] = json!([]);
            usage["prompt_tokens_details"] = json!({ "cached_tokens": 0, "audio_tokens": 0 });
            usage["completion_tokens_details"] = json!({
                "reasoning_tokens": reasoning,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            });
            "fp_llmsim"
        }
        OpenAiFlavour::Ollama => "fp_ollama",
    };
    if let Some(reasoning_text) = reasoning_text {
        message["reasoning"] = json!(reasoning_text);
    }
    let mut whole = json!({
        "id": format!("chatcmpl-sim{}", state.next_id()),
        "object": "chat.completion",
        "created": now(),
        "model": model,
        "choices": [{ "index": 0, "message": message, "logprobs": null, "finish_reason": finish }],
        "usage": usage,
        "system_fingerprint": fingerprint,
    });
    if flavour == OpenAiFlavour::OpenAi {
        whole["service_tier"] = json!("default");
    }
    whole
}

/// The completion as `chat.completion.chunk` events, then `data: [DONE]`.
fn stream(whole: Value, include_usage: bool) -> Response {
    let base = json!({
        "id": whole["id"],
        "object": "chat.completion.chunk",
        "created": whole["created"],
        "model": whole["model"],
        "system_fingerprint": whole["system_fingerprint"],
    });
    let chunk = |delta: Value, finish: Value| {
        let mut c = base.clone();
        c["choices"] =
            json!([{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }]);
        c
    };
    let message = &whole["choices"][0]["message"];
    let mut events = vec![chunk(
        json!({ "role": "assistant", "content": "" }),
        Value::Null,
    )];
    if let Some(refusal) = message.get("refusal").filter(|r| !r.is_null()) {
        events.push(chunk(json!({ "refusal": refusal }), Value::Null));
    }
    let text = message["content"].as_str().unwrap_or("");
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(chars.len().div_ceil(3).max(1)) {
        let piece: String = piece.iter().collect();
        events.push(chunk(json!({ "content": piece }), Value::Null));
    }
    events.push(chunk(
        json!({}),
        whole["choices"][0]["finish_reason"].clone(),
    ));
    if include_usage {
        let mut last = base.clone();
        last["choices"] = json!([]);
        last["usage"] = whole["usage"].clone();
        events.push(last);
    }
    let mut lines: Vec<Result<String, std::io::Error>> = events
        .into_iter()
        .map(|e| Ok(format!("data: {e}\n\n")))
        .collect();
    lines.push(Ok("data: [DONE]\n\n".to_owned()));
    Response::builder()
        .content_type("text/event-stream; charset=utf-8")
        .body(Body::from_bytes_stream(futures::stream::iter(lines)))
}

// ---- embeddings ----

#[handler]
async fn embeddings(req: &Request, body: Body, Data(state): Data<&Arc<SimState>>) -> Response {
    use base64::Engine;
    let bytes = body.into_vec().await.unwrap_or_default();
    state.record(req, &bytes);
    if let Err(response) = authorise(state, req) {
        return *response;
    }
    let scenario = match super::scenario(req) {
        Ok(scenario) => scenario,
        Err(response) => return *response,
    };
    let body = match parse_body(state, &bytes) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let Some(model) = body.get("model").and_then(Value::as_str).map(str::to_owned) else {
        return invalid(state, "you must provide a model parameter", None, None);
    };
    if let Err(response) = find_model(state, &model) {
        return *response;
    }
    let bad_input = || {
        invalid(
            state,
            "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
            None,
            None,
        )
    };
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut texts = Vec::new();
            for item in items {
                match item {
                    Value::String(text) => texts.push(text.clone()),
                    // Token ids: embedded as their decimal text.
                    Value::Array(ids) if flavour_takes_tokens(state) => texts.push(
                        ids.iter()
                            .map(Value::to_string)
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    _ => return bad_input(),
                }
            }
            texts
        }
        _ => return bad_input(),
    };
    if inputs.iter().any(String::is_empty) || inputs.len() > 2048 {
        return bad_input();
    }
    let full = embed::default_dimensions(&model);
    let dimensions = match body.get("dimensions").filter(|d| !d.is_null()) {
        None => full,
        Some(_)
            if !model.starts_with("text-embedding-3")
                && state.config.openai_flavour == OpenAiFlavour::OpenAi =>
        {
            return invalid(
                state,
                "This model does not support specifying dimensions.",
                None,
                None,
            )
        }
        Some(d) => match d.as_u64().and_then(|d| usize::try_from(d).ok()) {
            Some(d) if (1..=full).contains(&d) => d,
            _ => {
                return invalid(
                    state,
                    &format!("Invalid value for 'dimensions' = {d}. Must be between 1 and {full}."),
                    Some("dimensions"),
                    Some("invalid_value"),
                )
            }
        },
    };
    let base64 = body.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let failure = state.take_failure(scenario, true);
    state.delay(failure.as_ref()).await;
    if let Some(response) = failure
        .as_ref()
        .and_then(|f| failure_error(state, f, &model))
    {
        return response;
    }
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let vector = embed::vector(text, dimensions);
            let embedding = if base64 {
                let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(vector)
            };
            json!({ "object": "embedding", "index": index, "embedding": embedding })
        })
        .collect();
    let prompt: u64 = inputs.iter().map(|t| tokens(t)).sum();
    json_response(
        200,
        &json!({
            "object": "list",
            "model": model,
            "data": data,
            "usage": { "prompt_tokens": prompt, "total_tokens": prompt },
        }),
    )
}

/// OpenAI takes token arrays as input; Ollama only strings.
fn flavour_takes_tokens(state: &SimState) -> bool {
    state.config.openai_flavour == OpenAiFlavour::OpenAi
}
