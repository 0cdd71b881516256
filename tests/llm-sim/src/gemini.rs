//! The Gemini API (v1beta) under `/v1beta`: `models/{model}:{method}` for generateContent,
//! streamGenerateContent, embedContent and batchEmbedContents, and `GET models[/{model}]`.
//!
//! Requests are checked as Google checks them (key, model, unknown fields in camelCase or snake_case,
//! roles, thinking knobs) and answered in its shapes: camelCase, zero fields omitted, errors as
//! `google.rpc.Status`.

use super::{embed, heard, json_response, query_param, tokens, Failure, SimState};
use poem::web::{Data, Path};
use poem::{get, handler, Body, Request, Response, Route};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn routes() -> Route {
    Route::new()
        .at("/models", get(list_models))
        .at("/models/:target", get(get_model).post(call))
}

/// A `google.rpc.Status` error; `details` are left out when there are none (404s have none).
pub fn error(code: u16, status: &str, message: &str, details: Vec<Value>) -> Response {
    let mut error = json!({ "code": code, "message": message, "status": status });
    if !details.is_empty() {
        error["details"] = Value::Array(details);
    }
    json_response(code, &json!({ "error": error }))
}

fn invalid_argument(message: &str) -> Response {
    error(400, "INVALID_ARGUMENT", message, vec![])
}

/// A 400 for a malformed request, with the BadRequest field violations Google adds.
fn bad_request(messages: &[String]) -> Response {
    let violations: Vec<Value> = messages
        .iter()
        .map(|m| json!({ "description": m }))
        .collect();
    error(
        400,
        "INVALID_ARGUMENT",
        &messages.join("\n"),
        vec![json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": violations,
        })],
    )
}

fn not_found(model: &str, method: &str) -> Response {
    error(
        404,
        "NOT_FOUND",
        &format!(
            "models/{model} is not found for API version v1beta, or is not supported for {method}. \
             Call ListModels to see the list of available models and their supported methods."
        ),
        vec![],
    )
}

/// The key check: missing ⇒ 403 PERMISSION_DENIED, wrong ⇒ 400 `API_KEY_INVALID`.
fn authorise(state: &SimState, req: &Request) -> Result<(), Box<Response>> {
    let key = req
        .header("x-goog-api-key")
        .or_else(|| query_param(req, "key"));
    match key {
        None | Some("") => Err(Box::new(error(
            403,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). \
             Please use API Key or other form of API consumer identity to call this API.",
            vec![],
        ))),
        Some(key) if key == state.config.gemini_key => Ok(()),
        Some(_) => {
            let message = "API key not valid. Please pass a valid API key.";
            Err(Box::new(error(
                400,
                "INVALID_ARGUMENT",
                message,
                vec![
                    json!({
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": { "service": "generativelanguage.googleapis.com" },
                    }),
                    json!({
                        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                        "locale": "en-US",
                        "message": message,
                    }),
                ],
            )))
        }
    }
}

fn is_embedding_model(model: &str) -> bool {
    model.contains("embedding")
}

fn model_object(model: &str) -> Value {
    let embedding = is_embedding_model(model);
    let methods: &[&str] = if embedding {
        &["embedContent", "batchEmbedContents"]
    } else {
        &["generateContent", "countTokens", "streamGenerateContent"]
    };
    json!({
        "name": format!("models/{model}"),
        "version": "001",
        "displayName": model,
        "description": format!("{model}, as played by llm-sim"),
        "inputTokenLimit": if embedding { 2048 } else { 1_048_576 },
        "outputTokenLimit": if embedding { 1 } else { 65_536 },
        "supportedGenerationMethods": methods,
    })
}

#[handler]
fn list_models(req: &Request, Data(state): Data<&Arc<SimState>>) -> Response {
    state.record(req, &[]);
    if let Err(response) = authorise(state, req) {
        return *response;
    }
    let models: Vec<Value> = state
        .config
        .active_models
        .iter()
        .filter(|m| m.starts_with("gemini") && state.is_active(m))
        .map(|m| model_object(m))
        .collect();
    json_response(200, &json!({ "models": models }))
}

#[handler]
fn get_model(
    req: &Request,
    Path(target): Path<String>,
    Data(state): Data<&Arc<SimState>>,
) -> Response {
    state.record(req, &[]);
    if let Err(response) = authorise(state, req) {
        return *response;
    }
    if state.is_active(&target) {
        json_response(200, &model_object(&target))
    } else {
        error(
            404,
            "NOT_FOUND",
            &format!("models/{target} is not found for API version v1beta."),
            vec![],
        )
    }
}

#[handler]
async fn call(
    req: &Request,
    Path(target): Path<String>,
    body: Body,
    Data(state): Data<&Arc<SimState>>,
) -> Response {
    let bytes = body.into_vec().await.unwrap_or_default();
    state.record(req, &bytes);
    if let Err(response) = authorise(state, req) {
        return *response;
    }
    // A client may send the colon percent-encoded.
    let target = target.replace("%3A", ":").replace("%3a", ":");
    let Some((model, method)) = target.split_once(':') else {
        return error(404, "NOT_FOUND", "Method not found.", vec![]);
    };
    let embedding_method = match method {
        "generateContent" | "streamGenerateContent" => false,
        "embedContent" | "batchEmbedContents" => true,
        _ => return error(404, "NOT_FOUND", "Method not found.", vec![]),
    };
    if !state.is_active(model) || is_embedding_model(model) != embedding_method {
        return not_found(model, method);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
        return invalid_argument("Invalid JSON payload received. Unexpected token.");
    };
    let scenario = match super::scenario(req) {
        Ok(scenario) => scenario,
        Err(response) => return *response,
    };
    match method {
        "generateContent" => generate(state, model, &body, None, scenario).await,
        "streamGenerateContent" => {
            let sse = query_param(req, "alt") == Some("sse");
            generate(state, model, &body, Some(sse), scenario).await
        }
        "embedContent" => embed_content(state, model, &body, scenario).await,
        _ => batch_embed(state, model, &body, scenario).await,
    }
}

// ---- Unknown-field validation (proto3 JSON: lowerCamelCase or the proto's snake_case names) ----

/// A proto message: its name (for error texts) and fields.
struct Message {
    name: &'static str,
    fields: &'static [(&'static str, Kind)],
}

/// What a field holds, as far as validation looks.
enum Kind {
    /// Not looked into.
    Any,
    One(&'static Message),
    List(&'static Message),
    /// A map whose values are this message.
    Map(&'static Message),
}

static GENERATE_REQUEST: Message = Message {
    name: "GenerateContentRequest",
    fields: &[
        ("model", Kind::Any),
        ("contents", Kind::List(&CONTENT)),
        ("systemInstruction", Kind::One(&CONTENT)),
        ("tools", Kind::Any),
        ("toolConfig", Kind::Any),
        ("safetySettings", Kind::List(&SAFETY_SETTING)),
        ("generationConfig", Kind::One(&GENERATION_CONFIG)),
        ("cachedContent", Kind::Any),
    ],
};

static CONTENT: Message = Message {
    name: "Content",
    fields: &[("role", Kind::Any), ("parts", Kind::List(&PART))],
};

static PART: Message = Message {
    name: "Part",
    fields: &[
        ("text", Kind::Any),
        ("inlineData", Kind::One(&BLOB)),
        ("fileData", Kind::Any),
        ("functionCall", Kind::Any),
        ("functionResponse", Kind::Any),
        ("executableCode", Kind::Any),
        ("codeExecutionResult", Kind::Any),
        ("videoMetadata", Kind::Any),
        ("thought", Kind::Any),
        ("thoughtSignature", Kind::Any),
        ("partMetadata", Kind::Any),
        ("mediaResolution", Kind::Any),
    ],
};

static BLOB: Message = Message {
    name: "Blob",
    fields: &[("mimeType", Kind::Any), ("data", Kind::Any)],
};

static SAFETY_SETTING: Message = Message {
    name: "SafetySetting",
    fields: &[("category", Kind::Any), ("threshold", Kind::Any)],
};

static GENERATION_CONFIG: Message = Message {
    name: "GenerationConfig",
    fields: &[
        ("candidateCount", Kind::Any),
        ("stopSequences", Kind::Any),
        ("maxOutputTokens", Kind::Any),
        ("temperature", Kind::Any),
        ("topP", Kind::Any),
        ("topK", Kind::Any),
        ("seed", Kind::Any),
        ("presencePenalty", Kind::Any),
        ("frequencyPenalty", Kind::Any),
        ("responseLogprobs", Kind::Any),
        ("logprobs", Kind::Any),
        ("enableEnhancedCivicAnswers", Kind::Any),
        ("responseMimeType", Kind::Any),
        ("responseSchema", Kind::One(&SCHEMA)),
        ("responseJsonSchema", Kind::Any),
        ("responseModalities", Kind::Any),
        ("speechConfig", Kind::Any),
        ("thinkingConfig", Kind::One(&THINKING_CONFIG)),
        ("mediaResolution", Kind::Any),
        ("imageConfig", Kind::Any),
    ],
};

static THINKING_CONFIG: Message = Message {
    name: "ThinkingConfig",
    fields: &[
        ("includeThoughts", Kind::Any),
        ("thinkingBudget", Kind::Any),
        ("thinkingLevel", Kind::Any),
    ],
};

/// The OpenAPI subset of `responseSchema`: JSON-Schema keywords such as `additionalProperties` are unknown.
static SCHEMA: Message = Message {
    name: "Schema",
    fields: &[
        ("type", Kind::Any),
        ("format", Kind::Any),
        ("title", Kind::Any),
        ("description", Kind::Any),
        ("nullable", Kind::Any),
        ("enum", Kind::Any),
        ("maxItems", Kind::Any),
        ("minItems", Kind::Any),
        ("properties", Kind::Map(&SCHEMA)),
        ("required", Kind::Any),
        ("minProperties", Kind::Any),
        ("maxProperties", Kind::Any),
        ("minLength", Kind::Any),
        ("maxLength", Kind::Any),
        ("pattern", Kind::Any),
        ("example", Kind::Any),
        ("anyOf", Kind::List(&SCHEMA)),
        ("propertyOrdering", Kind::Any),
        ("default", Kind::Any),
        ("items", Kind::One(&SCHEMA)),
        ("minimum", Kind::Any),
        ("maximum", Kind::Any),
    ],
};

static EMBED_REQUEST: Message = Message {
    name: "EmbedContentRequest",
    fields: &[
        ("model", Kind::Any),
        ("content", Kind::One(&CONTENT)),
        ("taskType", Kind::Any),
        ("title", Kind::Any),
        ("outputDimensionality", Kind::Any),
    ],
};

static BATCH_EMBED_REQUEST: Message = Message {
    name: "BatchEmbedContentsRequest",
    fields: &[("requests", Kind::List(&EMBED_REQUEST))],
};

/// `responseMimeType` → `response_mime_type`.
fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn child_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Google's messages for every field the proto does not have, and every value of the wrong kind.
fn check_fields(value: &Value, message: &Message, path: &str, problems: &mut Vec<String>) {
    let Some(object) = value.as_object() else {
        if !value.is_null() {
            problems.push(format!(
                "Invalid value at '{path}' (type.googleapis.com/google.ai.generativelanguage.v1beta.{}), {value}",
                message.name
            ));
        }
        return;
    };
    for (key, value) in object {
        let Some((name, kind)) = message
            .fields
            .iter()
            .find(|(name, _)| key == name || *key == snake(name))
        else {
            let at = if path.is_empty() {
                String::new()
            } else {
                format!(" at '{path}'")
            };
            problems.push(format!(
                "Invalid JSON payload received. Unknown name \"{key}\"{at}: Cannot find field."
            ));
            continue;
        };
        let here = child_path(path, &snake(name));
        match kind {
            Kind::Any => {}
            Kind::One(inner) => check_fields(value, inner, &here, problems),
            Kind::List(inner) => match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        check_fields(item, inner, &format!("{here}[{i}]"), problems);
                    }
                }
                Value::Null => {}
                other => check_fields(other, inner, &here, problems),
            },
            Kind::Map(inner) => {
                if let Some(entries) = value.as_object() {
                    for (i, (_, item)) in entries.iter().enumerate() {
                        check_fields(item, inner, &format!("{here}[{i}].value"), problems);
                    }
                }
            }
        }
    }
}

/// The items of a repeated field; Google's JSON parser also takes a single object for a list.
fn items(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(object @ Value::Object(_)) => vec![object],
        _ => Vec::new(),
    }
}

/// A field by its camelCase name or its snake_case one.
fn field<'a>(object: &'a Value, camel: &str) -> Option<&'a Value> {
    object.get(camel).or_else(|| object.get(snake(camel)))
}

// ---- generateContent ----

/// What the last user turn says: its non-thought text, and what its audio parts say.
struct UserTurn {
    text: String,
    heard: Vec<String>,
}

fn last_user_turn(contents: &[&Value]) -> UserTurn {
    let mut turn = UserTurn {
        text: String::new(),
        heard: Vec::new(),
    };
    let Some(last) = contents
        .iter()
        .rev()
        .find(|c| c.get("role").and_then(Value::as_str).unwrap_or("user") == "user")
    else {
        return turn;
    };
    let mut texts = Vec::new();
    for part in items(field(last, "parts")) {
        if part.get("thought").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        if let Some(text) = part.get("text").and_then(Value::as_str) {
            texts.push(text.to_owned());
        }
        if let Some(blob) = field(part, "inlineData") {
            let mime = field(blob, "mimeType")
                .and_then(Value::as_str)
                .unwrap_or("");
            if mime.starts_with("audio/") {
                if let Some(text) = blob.get("data").and_then(Value::as_str).and_then(heard) {
                    turn.heard.push(text);
                }
            }
        }
    }
    turn.text = texts.join("");
    turn
}

/// Every text of the prompt, for the prompt's token count.
fn prompt_tokens(body: &Value) -> u64 {
    let mut count = 0;
    let mut count_content = |content: &Value| {
        for part in items(field(content, "parts")) {
            if let Some(text) = part.get("text").and_then(Value::as_str) {
                count += tokens(text);
            }
            if field(part, "inlineData").is_some() {
                count += 32;
            }
        }
    };
    if let Some(system) = field(body, "systemInstruction") {
        count_content(system);
    }
    for content in items(field(body, "contents")) {
        count_content(content);
    }
    count.max(1)
}

/// The model's generation, e.g. `(3, 8)` for `gemini-3.8-flash`.
fn version(model: &str) -> Option<(u32, u32)> {
    let rest = model.strip_prefix("gemini-")?;
    let number = rest.split('-').next()?;
    let mut it = number.split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

/// The semantic checks Google makes once the JSON has the right fields.
fn validate_generate(model: &str, body: &Value) -> Result<(), Box<Response>> {
    let contents = items(field(body, "contents"));
    if contents.is_empty() {
        return Err(Box::new(bad_request(&[
            "* GenerateContentRequest.contents: contents is not specified\n".to_owned(),
        ])));
    }
    for (i, content) in contents.iter().enumerate() {
        match content.get("role").and_then(Value::as_str) {
            None | Some("user") | Some("model") => {}
            Some(_) => {
                return Err(Box::new(invalid_argument(
                    "Please use a valid role: user, model.",
                )))
            }
        }
        if items(field(content, "parts")).is_empty() {
            return Err(Box::new(bad_request(&[format!(
                "* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n"
            )])));
        }
    }
    let ends_with_model = contents
        .last()
        .and_then(|c| c.get("role"))
        .and_then(Value::as_str)
        == Some("model");
    if ends_with_model && version(model).is_some_and(|v| v >= (3, 6)) {
        return Err(Box::new(invalid_argument(
            "Requests ending with a model turn are not supported.",
        )));
    }
    let config = field(body, "generationConfig");
    let thinking = config.and_then(|c| field(c, "thinkingConfig"));
    let level = thinking.and_then(|t| field(t, "thinkingLevel"));
    let budget = thinking.and_then(|t| field(t, "thinkingBudget"));
    if level.is_some() && budget.is_some() {
        return Err(Box::new(invalid_argument(
            "You can only set only one of thinking budget and thinking level.",
        )));
    }
    if let Some(level) = level {
        let known = level.as_str().is_some_and(|l| {
            ["MINIMAL", "LOW", "MEDIUM", "HIGH"].contains(&l.to_ascii_uppercase().as_str())
        });
        if !known {
            return Err(Box::new(bad_request(&[format!(
                "Invalid value at 'generation_config.thinking_config.thinking_level' \
                 (type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig.ThinkingLevel), {level}"
            )])));
        }
        if version(model).is_some_and(|(major, _)| major < 3) {
            return Err(Box::new(invalid_argument(
                "Thinking level is not supported for this model.",
            )));
        }
    }
    let mime = config
        .and_then(|c| field(c, "responseMimeType"))
        .and_then(Value::as_str)
        .unwrap_or("text/plain");
    let schema = config.and_then(|c| field(c, "responseSchema"));
    let json_schema = config.and_then(|c| field(c, "responseJsonSchema"));
    if schema.is_some() && json_schema.is_some() {
        return Err(Box::new(invalid_argument(
            "response_schema and response_json_schema cannot both be set.",
        )));
    }
    if (schema.is_some() || json_schema.is_some()) && mime != "application/json" {
        return Err(Box::new(invalid_argument(
            "Setting a response schema requires response_mime_type application/json.",
        )));
    }
    if mime == "application/json" && field(body, "tools").is_some() {
        return Err(Box::new(invalid_argument(
            "Tool use with a response mime type: 'application/json' is unsupported",
        )));
    }
    Ok(())
}

/// Thinking tokens the model spends, from the request's knobs and the model's default.
fn thoughts_for(model: &str, body: &Value) -> u64 {
    let thinking = field(body, "generationConfig").and_then(|c| field(c, "thinkingConfig"));
    let level = thinking
        .and_then(|t| field(t, "thinkingLevel"))
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase);
    let budget = thinking
        .and_then(|t| field(t, "thinkingBudget"))
        .and_then(Value::as_i64);
    match (level.as_deref(), budget) {
        (Some("MINIMAL"), _) | (_, Some(0)) => 0,
        (Some("LOW"), _) => 24,
        (Some("HIGH"), _) => 160,
        (Some(_), _) | (_, Some(-1)) => 64,
        (_, Some(budget)) => u64::try_from(budget).unwrap_or(0).min(64),
        (None, None) if model.contains("lite") => 0,
        (None, None) => 64,
    }
}

fn usage(prompt: u64, candidates: u64, thoughts: u64) -> Value {
    let mut usage = Map::new();
    usage.insert("promptTokenCount".into(), json!(prompt));
    if candidates > 0 {
        usage.insert("candidatesTokenCount".into(), json!(candidates));
    }
    if thoughts > 0 {
        usage.insert("thoughtsTokenCount".into(), json!(thoughts));
    }
    usage.insert(
        "totalTokenCount".into(),
        json!(prompt + candidates + thoughts),
    );
    usage.insert(
        "promptTokensDetails".into(),
        json!([{ "modality": "TEXT", "tokenCount": prompt }]),
    );
    Value::Object(usage)
}

/// `Duration` as protobuf JSON writes it: `"26s"`, `"1.5s"`.
pub fn proto_duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        return format!("{}s", d.as_secs());
    }
    let fraction = format!("{nanos:09}");
    format!("{}.{}s", d.as_secs(), fraction.trim_end_matches('0'))
}

/// The 429 of an exhausted quota: per minute (with the delay to wait) or per day.
fn quota_exceeded(model: &str, quota_id: &str, limit: u32, retry: Duration) -> Response {
    let seconds = retry.as_secs_f64();
    error(
        429,
        "RESOURCE_EXHAUSTED",
        &format!(
            "You exceeded your current quota, please check your plan and billing details. For more information \
             on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current \
             usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: \
             generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: {limit}, model: {model}\n\
             Please retry in {seconds}s."
        ),
        vec![
            json!({
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": quota_id,
                    "quotaDimensions": { "location": "global", "model": model },
                    "quotaValue": limit.to_string(),
                }],
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }],
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": proto_duration(retry),
            }),
        ],
    )
}

/// The error response a failure gives, if it is an error (the others shape a 200).
fn failure_error(failure: &Failure, model: &str) -> Option<Response> {
    Some(match failure {
        Failure::RateLimited { retry_delay } => quota_exceeded(
            model,
            "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            10,
            *retry_delay,
        ),
        Failure::DailyQuota => quota_exceeded(
            model,
            "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
            250,
            Duration::from_secs(43),
        ),
        Failure::RateLimitedBare => error(
            429,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
            vec![],
        ),
        Failure::Internal => error(
            500,
            "INTERNAL",
            "An internal error has occurred. Please retry or report in \
             https://developers.generativeai.google/guide/troubleshooting",
            vec![],
        ),
        Failure::Overloaded => error(
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
            vec![],
        ),
        Failure::GatewayTimeout => error(
            504,
            "DEADLINE_EXCEEDED",
            "Deadline expired before operation could complete.",
            vec![],
        ),
        Failure::LocationUnsupported => error(
            400,
            "FAILED_PRECONDITION",
            "User location is not supported for the API use.",
            vec![],
        ),
        Failure::NonJson502 => super::html_502(),
        Failure::DropConnection => super::drop_connection(),
        _ => return None,
    })
}

fn response_id(state: &SimState) -> String {
    format!(
        "sim{:x}",
        state.next_id().wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 8
    )
}

/// The whole `GenerateContentResponse` for a request that passed validation.
fn generate_response(
    state: &SimState,
    model: &str,
    body: &Value,
    failure: Option<&Failure>,
) -> Value {
    let config = field(body, "generationConfig");
    let json_mode = config
        .and_then(|c| field(c, "responseMimeType"))
        .and_then(Value::as_str)
        == Some("application/json");
    let turn = last_user_turn(&items(field(body, "contents")));
    let mut text = if !turn.heard.is_empty() && !json_mode {
        turn.heard.join(" ")
    } else {
        let mut said = turn.text.clone();
        for heard in &turn.heard {
            said.push(' ');
            said.push_str(heard);
        }
        state.answer_for(&said).render(json_mode)
    };
    let prompt = prompt_tokens(body);
    let mut thoughts = thoughts_for(model, body);
    let include_thoughts = config
        .and_then(|c| field(c, "thinkingConfig"))
        .and_then(|t| field(t, "includeThoughts"))
        .and_then(Value::as_bool)
        == Some(true);
    let mut finish = "STOP";
    let mut parts_present = true;
    let max_output = config
        .and_then(|c| field(c, "maxOutputTokens"))
        .and_then(Value::as_u64);
    if let Some(cap) = max_output {
        if thoughts >= cap {
            thoughts = cap;
            parts_present = false;
            finish = "MAX_TOKENS";
        } else if thoughts + tokens(&text) > cap {
            let keep = usize::try_from((cap - thoughts) * 4).unwrap_or(usize::MAX);
            text = text.chars().take(keep).collect();
            finish = "MAX_TOKENS";
        }
    }
    let mut envelope = Map::new();
    let mut candidate = Map::new();
    let mut with_thought_part = include_thoughts && thoughts > 0;
    match failure {
        Some(Failure::PromptBlocked) => {
            envelope.insert(
                "promptFeedback".into(),
                json!({ "blockReason": "PROHIBITED_CONTENT" }),
            );
            envelope.insert("usageMetadata".into(), usage(prompt, 0, 0));
            return finish_envelope(state, model, envelope);
        }
        Some(Failure::SafetyBlocked | Failure::Refusal) => {
            candidate.insert("finishReason".into(), json!("SAFETY"));
            candidate.insert("index".into(), json!(0));
            candidate.insert(
                "safetyRatings".into(),
                json!([
                    { "category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": true },
                    { "category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE" },
                ]),
            );
            envelope.insert("candidates".into(), json!([Value::Object(candidate)]));
            envelope.insert("usageMetadata".into(), usage(prompt, 0, 0));
            return finish_envelope(state, model, envelope);
        }
        Some(Failure::MaxTokensNoText) => {
            parts_present = false;
            finish = "MAX_TOKENS";
            thoughts = thoughts.max(1024);
        }
        Some(Failure::Recitation) => {
            parts_present = false;
            finish = "RECITATION";
        }
        Some(Failure::TruncatedJson) => {
            let half = text.chars().count() / 2;
            text = text.chars().take(half).collect();
            finish = "MAX_TOKENS";
        }
        Some(Failure::EmptyAnswer) => text.clear(),
        Some(Failure::UnknownFinishReason) => finish = "FUTURE_REASON",
        Some(Failure::FencedJson) => text = format!("```json\n{text}\n```"),
        Some(Failure::WithThoughts) => {
            with_thought_part = true;
            thoughts = thoughts.max(24);
        }
        Some(Failure::LegacyModel) => {
            envelope.insert(
                "modelStatus".into(),
                json!({
                    "modelStage": "LEGACY",
                    "retirementTime": "2027-03-01T00:00:00Z",
                    "message": format!("{model} will be retired on 2027-03-01; move to a newer model."),
                }),
            );
        }
        _ => {}
    }
    let candidates_tokens = if parts_present { tokens(&text) } else { 0 };
    let mut content = Map::new();
    if parts_present {
        let mut parts = Vec::new();
        if with_thought_part {
            parts.push(json!({
                "text": "**Reading the question**\n\nThe customer asks something the playbook may answer.",
                "thought": true,
            }));
        }
        parts.push(json!({ "text": text }));
        content.insert("parts".into(), Value::Array(parts));
    }
    content.insert("role".into(), json!("model"));
    candidate.insert("content".into(), Value::Object(content));
    candidate.insert("finishReason".into(), json!(finish));
    candidate.insert("index".into(), json!(0));
    envelope.insert("candidates".into(), json!([Value::Object(candidate)]));
    envelope.insert(
        "usageMetadata".into(),
        usage(prompt, candidates_tokens, thoughts),
    );
    finish_envelope(state, model, envelope)
}

fn finish_envelope(state: &SimState, model: &str, mut envelope: Map<String, Value>) -> Value {
    envelope.insert("modelVersion".into(), json!(model));
    envelope.insert("responseId".into(), json!(response_id(state)));
    Value::Object(envelope)
}

/// generateContent, or streamGenerateContent when `stream` says how (`Some(true)`: SSE).
async fn generate(
    state: &SimState,
    model: &str,
    body: &Value,
    stream: Option<bool>,
    scenario: Option<Failure>,
) -> Response {
    let mut problems = Vec::new();
    check_fields(body, &GENERATE_REQUEST, "", &mut problems);
    if !problems.is_empty() {
        return bad_request(&problems);
    }
    if let Err(response) = validate_generate(model, body) {
        return *response;
    }
    let failure = state.take_failure(scenario, false);
    state.delay(failure.as_ref()).await;
    if let Some(response) = failure.as_ref().and_then(|f| failure_error(f, model)) {
        return response;
    }
    let whole = generate_response(state, model, body, failure.as_ref());
    match stream {
        None => json_response(200, &whole),
        Some(sse) => stream_response(whole, sse),
    }
}

/// Splits a whole response into the chunks a stream sends: text deltas first, `finishReason` and the
/// final usage on the last one.
fn chunks(whole: Value) -> Vec<Value> {
    let text = whole
        .pointer("/candidates/0/content/parts")
        .and_then(Value::as_array)
        .and_then(|parts| parts.last())
        .and_then(|p| p.get("text"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(text) = text.filter(|t| t.chars().count() >= 3) else {
        return vec![whole];
    };
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(3);
    let pieces: Vec<String> = chars.chunks(size).map(|c| c.iter().collect()).collect();
    let prompt = whole
        .pointer("/usageMetadata/promptTokenCount")
        .cloned()
        .unwrap_or(json!(0));
    let mut out = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let mut chunk = whole.clone();
        if let Some(parts) = chunk
            .pointer_mut("/candidates/0/content/parts")
            .and_then(Value::as_array_mut)
        {
            let thought = (i == 0 && parts.len() > 1).then(|| parts[0].clone());
            *parts = thought.into_iter().collect();
            parts.push(json!({ "text": piece }));
        }
        if !last {
            if let Some(candidate) = chunk
                .pointer_mut("/candidates/0")
                .and_then(Value::as_object_mut)
            {
                candidate.remove("finishReason");
            }
            chunk["usageMetadata"] =
                json!({ "promptTokenCount": prompt, "totalTokenCount": prompt });
        }
        out.push(chunk);
    }
    out
}

fn stream_response(whole: Value, sse: bool) -> Response {
    let chunks = chunks(whole);
    let count = chunks.len();
    let pieces: Vec<Result<String, std::io::Error>> = chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            Ok(if sse {
                format!("data: {chunk}\r\n\r\n")
            } else {
                let open = if i == 0 { "[" } else { ",\r\n" };
                let close = if i + 1 == count { "]" } else { "" };
                format!("{open}{chunk}{close}")
            })
        })
        .collect();
    let content_type = if sse {
        "text/event-stream"
    } else {
        "application/json; charset=UTF-8"
    };
    Response::builder()
        .content_type(content_type)
        .body(Body::from_bytes_stream(futures::stream::iter(pieces)))
}

// ---- Embeddings ----

/// The text of an embed request's content (only `parts[].text` counts).
fn content_text(content: &Value) -> String {
    items(field(content, "parts"))
        .into_iter()
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One embed request's vector, or the 400 it gives; `path` names it in error texts.
fn embed_one(model: &str, request: &Value, path: &str) -> Result<Value, Box<Response>> {
    let Some(content) = field(request, "content") else {
        return Err(Box::new(bad_request(&[format!(
            "* {path}.content: content is not specified\n"
        )])));
    };
    let full = embed::default_dimensions(model);
    let dimensions = match field(request, "outputDimensionality") {
        None | Some(Value::Null) => full,
        Some(value) => match value.as_u64().and_then(|d| usize::try_from(d).ok()) {
            Some(d) if (1..=full).contains(&d) => d,
            _ => {
                return Err(Box::new(invalid_argument(&format!(
                    "* {path}.output_dimensionality: must be between 1 and {full}, got {value}\n"
                ))))
            }
        },
    };
    Ok(json!({ "values": embed::vector(&content_text(content), dimensions) }))
}

async fn embed_content(
    state: &SimState,
    model: &str,
    body: &Value,
    scenario: Option<Failure>,
) -> Response {
    let mut problems = Vec::new();
    check_fields(body, &EMBED_REQUEST, "", &mut problems);
    if !problems.is_empty() {
        return bad_request(&problems);
    }
    let embedding = match embed_one(model, body, "EmbedContentRequest") {
        Ok(embedding) => embedding,
        Err(response) => return *response,
    };
    let failure = state.take_failure(scenario, true);
    state.delay(failure.as_ref()).await;
    if let Some(response) = failure.as_ref().and_then(|f| failure_error(f, model)) {
        return response;
    }
    json_response(200, &json!({ "embedding": embedding }))
}

async fn batch_embed(
    state: &SimState,
    model: &str,
    body: &Value,
    scenario: Option<Failure>,
) -> Response {
    let mut problems = Vec::new();
    check_fields(body, &BATCH_EMBED_REQUEST, "", &mut problems);
    if !problems.is_empty() {
        return bad_request(&problems);
    }
    let requests = field(body, "requests")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if requests.is_empty() {
        return bad_request(&[
            "* BatchEmbedContentsRequest.requests: requests is not specified\n".to_owned(),
        ]);
    }
    if requests.len() > 100 {
        return bad_request(&[
            "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n"
                .to_owned(),
        ]);
    }
    let mut embeddings = Vec::with_capacity(requests.len());
    for (i, request) in requests.iter().enumerate() {
        let path = format!("BatchEmbedContentsRequest.requests[{i}]");
        match request.get("model").and_then(Value::as_str) {
            None | Some("") => {
                return bad_request(&[format!("* {path}.model: model is not specified\n")])
            }
            Some(named) if named != format!("models/{model}") && named != model => {
                return bad_request(&[format!(
                    "* {path}.model: the model in the request ({named}) must be the batch's model (models/{model})\n"
                )])
            }
            Some(_) => {}
        }
        match embed_one(model, request, &path) {
            Ok(embedding) => embeddings.push(embedding),
            Err(response) => return *response,
        }
    }
    let failure = state.take_failure(scenario, true);
    state.delay(failure.as_ref()).await;
    if let Some(response) = failure.as_ref().and_then(|f| failure_error(f, model)) {
        return response;
    }
    json_response(200, &json!({ "embeddings": embeddings }))
}
