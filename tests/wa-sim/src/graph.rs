//! The Graph API endpoints, as `/{version}/...`. Requests are checked the way Meta checks them (token,
//! required fields, known ids) and answered in Meta's shapes, errors included.

use super::{webhooks, FailureRule, SimState};
use poem::http::{Method, StatusCode};
use poem::web::{Data, Multipart, Path};
use poem::{handler, post, Body, IntoResponse, Request, Response, Route};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub fn routes() -> Route {
    Route::new()
        .at("/:version/:phone/media", post(upload))
        .at("/:version/*rest", graph)
        .at("/download/:id", download)
}

/// Meta's error object.
pub fn error(http: u16, code: i64, message: &str, details: &str) -> Response {
    let body = json!({
        "error": {
            "message": format!("(#{code}) {message}"),
            "type": "OAuthException",
            "code": code,
            "error_data": { "messaging_product": "whatsapp", "details": details },
            "fbtrace_id": format!("Sim{}", uuid::Uuid::new_v4().simple()),
        }
    });
    json_response(
        StatusCode::from_u16(http).unwrap_or(StatusCode::BAD_REQUEST),
        body,
    )
}

fn json_response(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, body)
}

fn success() -> Response {
    ok(json!({ "success": true }))
}

/// Meta's usual wording for the codes the emulator can be told to fail with.
pub fn describe(code: i64) -> (u16, &'static str, &'static str) {
    match code {
        130429 => (
            400,
            "Rate limit hit",
            "Cloud API message throughput has been reached.",
        ),
        131047 => (
            400,
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
        131056 => (
            400,
            "(Business Account, Consumer Account) pair rate limit hit",
            "Too many messages sent from this phone number to the same phone number in a short period of time.",
        ),
        131026 => (
            400,
            "Message undeliverable",
            "Unable to deliver message.",
        ),
        190 => (
            401,
            "Error validating access token: Session has expired",
            "The access token has expired.",
        ),
        1 | 2 => (500, "An unknown error occurred", "Service temporarily unavailable."),
        131016 => (503, "Service unavailable", "A service is temporarily unavailable."),
        100 => (400, "Invalid parameter", "A parameter is not valid."),
        _ => (400, "Error", "The emulator was told to fail."),
    }
}

fn authorised(state: &SimState, req: &Request) -> bool {
    req.header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|t| t == state.config.token || is_app_token(state, t))
}

fn is_app_token(state: &SimState, token: &str) -> bool {
    token == format!("{}|{}", state.config.app_id, state.config.app_secret)
}

fn unauthorised() -> Response {
    error(
        401,
        190,
        "Invalid OAuth access token - Cannot parse access token",
        "The access token is not valid.",
    )
}

/// The next failure rule that matches the call, taken (one use) from the queue.
fn take_failure(state: &SimState, path: &str, to: Option<&str>) -> Option<FailureRule> {
    let mut world = state.world();
    let index = world.failures.iter().position(|rule| {
        path.contains(rule.path.as_deref().unwrap_or("/messages"))
            && rule.to.as_deref().is_none_or(|t| Some(t) == to)
    })?;
    let rule = world.failures.get_mut(index)?;
    rule.times = rule.times.saturating_sub(1);
    let taken = rule.clone();
    if rule.times == 0 {
        world.failures.remove(index);
    }
    Some(taken)
}

/// How late to answer this send, when a slow answer is pending (one use).
fn take_slow(state: &SimState) -> Option<Duration> {
    let mut world = state.world();
    let slow = world.slow_answers.front_mut()?;
    slow.times = slow.times.saturating_sub(1);
    let wait = Duration::from_millis(slow.ms);
    if slow.times == 0 {
        world.slow_answers.pop_front();
    }
    Some(wait)
}

fn failure_response(rule: &FailureRule) -> Response {
    let code = rule.code.unwrap_or(1);
    let (http, message, details) = describe(code);
    error(rule.http_status.unwrap_or(http), code, message, details)
}

#[handler]
async fn graph(
    req: &Request,
    Path((_version, rest)): Path<(String, String)>,
    body: Body,
    Data(state): Data<&Arc<SimState>>,
) -> Response {
    tokio::time::sleep(state.config.latency).await;
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let query: std::collections::HashMap<String, String> = req.params().unwrap_or_default();
    let param = |name: &str| query.get(name).cloned();
    // The token exchange carries its credentials as parameters.
    if segments == ["oauth", "access_token"] {
        return exchange(state, &param);
    }
    if !authorised(state, req) {
        return unauthorised();
    }
    let bytes = body.into_vec().await.unwrap_or_default();
    let json: Value = if bytes.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(_) => return error(400, 100, "Invalid parameter", "The body is not JSON."),
        }
    };
    let path = format!("/{rest}");
    let to = json.get("to").and_then(Value::as_str);
    if let Some(rule) = take_failure(state, &path, to) {
        if let Some(ms) = rule.delay_ms {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        if !rule.asynchronous {
            return failure_response(&rule);
        }
        if segments.get(1) == Some(&"messages") {
            return send(state, &segments, json, Some(rule)).await;
        }
    }
    let method = req.method().clone();
    match (method, segments.as_slice()) {
        (Method::POST, [_, "messages"]) => {
            // Read receipts name no recipient and are never slow.
            let slow = to.is_some().then(|| take_slow(state)).flatten();
            let answer = send(state, &segments, json, None).await;
            if let Some(wait) = slow {
                tokio::time::sleep(wait).await;
            }
            answer
        }
        (Method::GET, ["debug_token"]) => debug_token(state, &param),
        (Method::GET, [id]) => lookup(state, id),
        (Method::DELETE, [id]) => {
            if state.world().media.remove(*id).is_some() {
                success()
            } else {
                error(
                    400,
                    100,
                    "Unsupported delete request",
                    "Object does not exist.",
                )
            }
        }
        (Method::GET, [_, "phone_numbers"]) => {
            let numbers = state.world().numbers.clone();
            ok(json!({ "data": numbers, "paging": { "cursors": { "before": "b", "after": "a" } } }))
        }
        (Method::POST, [id, "register"]) => {
            number_change(state, id, &json, Some("pin"), "CONNECTED")
        }
        (Method::POST, [id, "deregister"]) => number_change(state, id, &json, None, "DISCONNECTED"),
        (Method::POST, [id, "request_code"]) => {
            let method_ok = matches!(
                json.get("code_method").and_then(Value::as_str),
                Some("SMS" | "VOICE")
            );
            if !method_ok || json.get("language").is_none() {
                return error(
                    400,
                    100,
                    "Invalid parameter",
                    "code_method (SMS or VOICE) and language are required.",
                );
            }
            number_change(state, id, &json, None, "")
        }
        (Method::POST, [id, "verify_code"]) => number_change(state, id, &json, Some("code"), ""),
        (Method::GET, [_, "whatsapp_business_profile"]) => {
            let profile = state.world().profile.clone();
            ok(json!({ "data": [{ "business_profile": profile }] }))
        }
        (Method::POST, [_, "whatsapp_business_profile"]) => {
            if json.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
                return error(
                    400,
                    100,
                    "Invalid parameter",
                    "messaging_product must be whatsapp.",
                );
            }
            let mut world = state.world();
            if let (Some(profile), Some(changes)) =
                (world.profile.as_object_mut(), json.as_object())
            {
                for (k, v) in changes {
                    profile.insert(k.clone(), v.clone());
                }
            }
            success()
        }
        (Method::GET, [_, "message_templates"]) => {
            let name = param("name");
            let status = param("status");
            let templates: Vec<Value> = state
                .world()
                .templates
                .iter()
                .filter(|t| name.as_deref().is_none_or(|n| t["name"] == n))
                .filter(|t| status.as_deref().is_none_or(|s| t["status"] == s))
                .cloned()
                .collect();
            ok(
                json!({ "data": templates, "paging": { "cursors": { "before": "b", "after": "a" } } }),
            )
        }
        (Method::POST, [_, "message_templates"]) => create_template(state, json),
        (Method::DELETE, [_, "message_templates"]) => {
            let Some(name) = param("name") else {
                return error(400, 100, "Invalid parameter", "name is required.");
            };
            let hsm = param("hsm_id");
            let mut world = state.world();
            let before = world.templates.len();
            world.templates.retain(|t| {
                !(t["name"] == name.as_str() && hsm.as_deref().is_none_or(|h| t["id"] == h))
            });
            if world.templates.len() == before {
                return error(400, 100, "Invalid parameter", "Message template not found.");
            }
            success()
        }
        (Method::GET, [_, "subscribed_apps"]) => {
            let data: Vec<Value> = state.world().subscribed.iter().cloned().collect();
            ok(json!({ "data": data }))
        }
        (Method::POST, [_, "subscribed_apps"]) => {
            let mut app = json!({
                "whatsapp_business_api_data": {
                    "id": state.config.app_id,
                    "name": "Inbox",
                    "link": "https://example.com",
                }
            });
            if let Some(uri) = json.get("override_callback_uri") {
                if state.world().subscribed.is_none() {
                    return error(400, 100, "Invalid parameter", "Before override the current callback uri, your app must be subscribed to receive messages for WhatsApp Business Account.");
                }
                app["override_callback_uri"] = uri.clone();
            }
            state.world().subscribed = Some(app);
            success()
        }
        (Method::DELETE, [_, "subscribed_apps"]) => {
            state.world().subscribed = None;
            success()
        }
        _ => error(
            400,
            100,
            "Unsupported request",
            "The emulator does not know this endpoint.",
        ),
    }
}

/// `GET /{id}`: a media file, a phone number, the business account, or a template.
fn lookup(state: &SimState, id: &str) -> Response {
    let world = state.world();
    if let Some(media) = world.media.get(id) {
        return ok(json!({
            "messaging_product": "whatsapp",
            "url": format!("{}/download/{id}", state.public_url()),
            "mime_type": media.mime_type,
            "sha256": media.sha256,
            "file_size": media.bytes.len().to_string(),
            "id": id,
        }));
    }
    if let Some(number) = world.numbers.iter().find(|n| n["id"] == id) {
        return ok(number.clone());
    }
    if id == state.config.business_account_id {
        return ok(json!({
            "id": id,
            "name": "Emulated Shop",
            "timezone_id": "1",
            "message_template_namespace": "sim_namespace",
            "account_review_status": "APPROVED",
            "business_verification_status": "verified",
            "currency": "USD",
            "country": "US",
            "ownership_type": "SELF",
        }));
    }
    if let Some(template) = world.templates.iter().find(|t| t["id"] == id) {
        return ok(template.clone());
    }
    error(
        400,
        100,
        "Unsupported get request",
        "Object with this ID does not exist.",
    )
}

fn number_change(
    state: &SimState,
    id: &str,
    body: &Value,
    six_digits: Option<&str>,
    status: &str,
) -> Response {
    if let Some(field) = six_digits {
        let valid = body
            .get(field)
            .and_then(Value::as_str)
            .is_some_and(|v| v.len() == 6 && v.chars().all(|c| c.is_ascii_digit()));
        if !valid {
            return error(
                400,
                100,
                "Invalid parameter",
                &format!("{field} must be six digits."),
            );
        }
    }
    let mut world = state.world();
    let Some(number) = world.numbers.iter_mut().find(|n| n["id"] == id) else {
        return error(
            400,
            100,
            "Unsupported post request",
            "Object with this ID does not exist.",
        );
    };
    if !status.is_empty() {
        number["status"] = json!(status);
    }
    success()
}

fn create_template(state: &SimState, body: Value) -> Response {
    let name = body.get("name").and_then(Value::as_str).unwrap_or("");
    let category = body.get("category").and_then(Value::as_str).unwrap_or("");
    let language = body.get("language").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() || language.is_empty() || category.is_empty() {
        return error(
            400,
            100,
            "Invalid parameter",
            "name, language and category are required.",
        );
    }
    let mut world = state.world();
    if world
        .templates
        .iter()
        .any(|t| t["name"] == name && t["language"] == language)
    {
        return error(
            400,
            100,
            "Invalid parameter",
            "Message template already exists in this language.",
        );
    }
    let id = format!("90000000{:05}", state.next_id());
    world.templates.push(json!({
        "id": id,
        "name": name,
        "language": language,
        "status": "PENDING",
        "category": category,
        "components": body.get("components").cloned().unwrap_or(json!([])),
    }));
    ok(json!({ "id": id, "status": "PENDING", "category": category }))
}

fn debug_token(state: &SimState, param: &dyn Fn(&str) -> Option<String>) -> Response {
    let input = param("input_token").unwrap_or_default();
    let valid = input == state.config.token;
    ok(json!({
        "data": {
            "app_id": state.config.app_id,
            "type": "SYSTEM_USER",
            "application": "Inbox",
            "data_access_expires_at": 0,
            "expires_at": 0,
            "is_valid": valid,
            "issued_at": 1_700_000_000,
            "scopes": ["whatsapp_business_messaging", "whatsapp_business_management"],
            "granular_scopes": [
                { "scope": "whatsapp_business_messaging", "target_ids": [state.config.business_account_id] },
                { "scope": "whatsapp_business_management", "target_ids": [state.config.business_account_id] },
            ],
            "user_id": "1000000000000",
        }
    }))
}

fn exchange(state: &SimState, param: &dyn Fn(&str) -> Option<String>) -> Response {
    let right_app = param("client_id").as_deref() == Some(state.config.app_id.as_str())
        && param("client_secret").as_deref() == Some(state.config.app_secret.as_str());
    if param("grant_type").as_deref() != Some("fb_exchange_token") || !right_app {
        return error(
            400,
            101,
            "Error validating application",
            "Invalid application ID or secret.",
        );
    }
    if param("fb_exchange_token").as_deref() != Some(state.config.token.as_str()) {
        return unauthorised();
    }
    ok(json!({
        "access_token": state.config.token,
        "token_type": "bearer",
        "expires_in": 5_183_944,
    }))
}

/// `POST /{phone-number-id}/messages`: checks the body like Meta, assigns a wamid, and schedules the
/// message's status webhooks.
async fn send(
    state: &Arc<SimState>,
    segments: &[&str],
    body: Value,
    asynchronous_failure: Option<FailureRule>,
) -> Response {
    if segments.first() != Some(&state.config.phone_number_id.as_str()) {
        return error(
            400,
            100,
            "Invalid parameter",
            "Unsupported post request. Object with ID does not exist.",
        );
    }
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return error(
            400,
            100,
            "Invalid parameter",
            "messaging_product is required and must be whatsapp.",
        );
    }
    if body.get("status").and_then(Value::as_str) == Some("read") {
        return if let Some(wamid) = body.get("message_id").and_then(Value::as_str) {
            state.world().read_receipts.push(wamid.to_owned());
            success()
        } else {
            error(400, 100, "Invalid parameter", "message_id is required.")
        };
    }
    let Some(to) = body.get("to").and_then(Value::as_str) else {
        return error(
            400,
            131008,
            "Required parameter is missing",
            "to is required.",
        );
    };
    let Some(kind) = body.get("type").and_then(Value::as_str) else {
        return error(
            400,
            131008,
            "Required parameter is missing",
            "type is required.",
        );
    };
    let known = [
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "reaction",
        "template",
        "interactive",
    ];
    if !known.contains(&kind) {
        return error(
            400,
            131051,
            "Unsupported message type",
            "Message type is not supported.",
        );
    }
    let Some(object) = body.get(kind) else {
        return error(
            400,
            131008,
            "Required parameter is missing",
            &format!("{kind} is required for messages of type {kind}."),
        );
    };
    if let Some(problem) = check_object(state, kind, object) {
        return error(400, 131009, "Parameter value is not valid", &problem);
    }
    if let Some(problem) = template_parameters(state, kind, object) {
        return error(
            400,
            132000,
            "Number of parameters does not match the expected number of params",
            &problem,
        );
    }
    let wa_id: String = to.chars().filter(char::is_ascii_digit).collect();
    if state.config.enforce_window && kind != "template" {
        let open = state
            .world()
            .last_inbound
            .get(&wa_id)
            .is_some_and(|at| chrono::Utc::now() - *at < chrono::Duration::hours(24));
        if !open {
            let (http, message, details) = describe(131047);
            return error(http, 131047, message, details);
        }
    }
    let wamid = format!(
        "wamid.SIM{:016}{}",
        state.next_id(),
        uuid::Uuid::new_v4().simple()
    );
    state.world().sent.push(body.clone());
    webhooks::after_send(
        state.clone(),
        wamid.clone(),
        wa_id.clone(),
        asynchronous_failure,
    );
    ok(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": wa_id }],
        "messages": [{ "id": wamid }],
    }))
}

/// What Meta would refuse in a message object.
fn check_object(state: &SimState, kind: &str, object: &Value) -> Option<String> {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    match kind {
        "text" => text("/body")
            .is_none_or(str::is_empty)
            .then(|| "text.body is required.".to_owned()),
        "image" | "audio" | "video" | "document" | "sticker" => {
            match (text("/id"), text("/link")) {
                (Some(id), _) if !state.world().media.contains_key(id) => {
                    Some(format!("media id {id} does not exist."))
                }
                (None, None) => Some(format!("{kind}.id or {kind}.link is required.")),
                _ => None,
            }
        }
        "reaction" => text("/message_id")
            .is_none()
            .then(|| "reaction.message_id is required.".to_owned()),
        "template" => (text("/name").is_none() || text("/language/code").is_none())
            .then(|| "template.name and template.language.code are required.".to_owned()),
        "interactive" => match text("/type") {
            Some("button") => {
                let n = object
                    .pointer("/action/buttons")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                (!(1..=3).contains(&n)).then(|| "interactive buttons must be 1 to 3.".to_owned())
            }
            Some("list") => object
                .pointer("/action/sections")
                .is_none()
                .then(|| "interactive list needs action.sections.".to_owned()),
            Some("cta_url") => text("/action/parameters/url")
                .is_none()
                .then(|| "cta_url needs action.parameters.url.".to_owned()),
            Some(_) => None,
            None => Some("interactive.type is required.".to_owned()),
        },
        "location" => (object.get("latitude").is_none() || object.get("longitude").is_none())
            .then(|| "location.latitude and location.longitude are required.".to_owned()),
        "contacts" => (!object.is_array()).then(|| "contacts must be an array.".to_owned()),
        _ => None,
    }
}

/// Meta's check of a template's parameters (132000): the header (when it is text) and the body of the
/// approved template each need as many parameters as they have placeholders. A template the emulator
/// does not hold is not checked.
fn template_parameters(state: &SimState, kind: &str, object: &Value) -> Option<String> {
    if kind != "template" {
        return None;
    }
    let name = object.pointer("/name")?.as_str()?;
    let language = object.pointer("/language/code")?.as_str()?;
    let world = state.world();
    let template = world
        .templates
        .iter()
        .find(|t| t["name"] == name && t["language"] == language)?;
    let is = |component: &Value, kind: &str| {
        component["type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(kind))
    };
    let given = |kind: &str| -> usize {
        object["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| is(c, kind))
            .map(|c| c["parameters"].as_array().map_or(0, Vec::len))
            .sum()
    };
    template["components"]
        .as_array()?
        .iter()
        .filter(|part| {
            is(part, "body")
                || (is(part, "header")
                    && part["format"]
                        .as_str()
                        .is_none_or(|f| f.eq_ignore_ascii_case("TEXT")))
        })
        .find_map(|part| {
            let kind = part["type"].as_str()?.to_ascii_lowercase();
            let expected = placeholders(part["text"].as_str().unwrap_or(""));
            let got = given(&kind);
            (got != expected).then(|| {
                format!(
                    "{kind}: number of localizable_params ({got}) does not match the expected number of params ({expected})"
                )
            })
        })
}

/// How many distinct placeholders (`{{1}}`, `{{name}}`) a template text has.
fn placeholders(text: &str) -> usize {
    let mut keys = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(length) = rest[open + 2..].find("}}") else {
            break;
        };
        keys.insert(rest[open + 2..open + 2 + length].trim());
        rest = &rest[open + length + 4..];
    }
    keys.len()
}

/// `POST /{phone-number-id}/media`.
#[handler]
async fn upload(
    req: &Request,
    Path((_version, phone)): Path<(String, String)>,
    mut form: Multipart,
    Data(state): Data<&Arc<SimState>>,
) -> Response {
    if !authorised(state, req) {
        return unauthorised();
    }
    if phone != state.config.phone_number_id {
        return error(
            400,
            100,
            "Invalid parameter",
            "Object with ID does not exist.",
        );
    }
    if let Some(rule) = take_failure(state, &format!("/{phone}/media"), None) {
        return failure_response(&rule);
    }
    let mut product = None;
    let mut file = None;
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("messaging_product") => product = field.text().await.ok(),
            Some("file") => {
                let mime = field.content_type().map(str::to_owned);
                if let Ok(bytes) = field.bytes().await {
                    file = Some((bytes, mime));
                }
            }
            _ => {}
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return error(
            400,
            100,
            "Invalid parameter",
            "messaging_product is required.",
        );
    }
    let Some((bytes, Some(mime))) = file else {
        return error(
            400,
            100,
            "Invalid parameter",
            "file with a content type is required.",
        );
    };
    let id = state.add_media(bytes, &mime);
    ok(json!({ "id": id }))
}

/// The short-lived download URL: it needs the token too.
#[handler]
async fn download(
    req: &Request,
    Path(id): Path<String>,
    Data(state): Data<&Arc<SimState>>,
) -> Response {
    if !authorised(state, req) {
        return unauthorised();
    }
    let media = state.world().media.get(&id).cloned();
    match media {
        Some(m) => Response::builder().content_type(m.mime_type).body(m.bytes),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
