//! Meta's webhook: the verification handshake (GET) and signed deliveries (POST).
//!
//! A POST is answered 200 only after every fact in it is durably appended; a failure of the store answers
//! 503 so Meta redelivers (it retries for up to 7 days, and redelivery is idempotent). Facts the store
//! refuses as invalid data are kept raw instead (see `crate::ingest`): redelivering could never help.
//!
//! Several Meta apps may post to one install: a body is checked against the app secret of every account
//! it names, and must verify under each: every number (`phone_number_id`) registered here, and, for every
//! business account (`entry[].id`) with numbers registered here, one of them. A body naming nothing of
//! this install (a number not registered here, a business account we do not know) may verify under any
//! account's secret; it never reaches a number's conversations, since the router keeps changes of
//! unregistered numbers raw. The ids are read by the router's own readers
//! (`actors::webhook::{phone_number_id, business_account_id}`), with every reading of an id that is not a
//! decimal string counted as named, so the check cannot see fewer accounts than the router routes by.

use super::signature::{self, SignatureError};
use super::AppState;
use crate::account_registry::Connection;
use crate::api::error::error_response;
use actors::json;
use actors::webhook;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{handler, Body, Request, Response};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tracing::Instrument;
use uuid::Uuid;

/// Meta batches up to 1000 updates in one body, capped at 3 MB.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// `GET /webhook/whatsapp?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`
#[handler]
pub(crate) async fn verify(
    Query(params): Query<HashMap<String, String>>,
    state: Data<&Arc<AppState>>,
) -> Response {
    let mode = params.get("hub.mode").map(String::as_str);
    let token = params
        .get("hub.verify_token")
        .map(String::as_bytes)
        .unwrap_or_default();
    // Every account's token is compared (in constant time), so the time taken says nothing.
    let matches = state
        .registry
        .all()
        .values()
        .filter_map(|c| c.verify_token.as_ref())
        .fold(false, |found, expected| {
            found | bool::from(token.ct_eq(expected.expose().as_bytes()))
        });
    match (mode, params.get("hub.challenge")) {
        (Some("subscribe"), Some(challenge)) if matches => {
            tracing::info!("webhook verification succeeded");
            Response::builder()
                .content_type("text/plain; charset=utf-8")
                .body(challenge.clone())
        }
        _ => {
            tracing::warn!(mode = ?mode, "webhook verification refused");
            error_response(
                StatusCode::FORBIDDEN,
                "verification_failed",
                "hub.mode must be subscribe and hub.verify_token must match",
            )
        }
    }
}

/// `POST /webhook/whatsapp`: a signed delivery.
#[handler]
pub(crate) async fn receive(
    request: &Request,
    body: Body,
    state: Data<&Arc<AppState>>,
) -> Response {
    let request_id = Uuid::new_v4();
    let span = tracing::info_span!("webhook", %request_id);
    let mut response = receive_body(request, body, &state, request_id)
        .instrument(span)
        .await;
    if let Ok(value) = request_id.to_string().parse() {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

async fn receive_body(
    request: &Request,
    body: Body,
    state: &AppState,
    request_id: Uuid,
) -> Response {
    let stats = &state.streams.stats;
    stats.body_received(1);
    // Above `RATE_LIMIT_WEBHOOK`, nothing is read: 503 tells Meta to deliver the body again later.
    if let Err(wait) = state.rate_limits.webhook.check(&()) {
        crate::http::rate_limit::refused("webhook");
        stats.body_not_stored(1);
        let mut response = error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "rate_limited",
            "more deliveries than RATE_LIMIT_WEBHOOK allows; deliver this body again later",
        );
        if let Ok(value) = crate::http::rate_limit::retry_after_seconds(wait)
            .to_string()
            .parse()
        {
            response.headers_mut().insert("retry-after", value);
        }
        return response;
    }
    let declared_too_large = request
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_BODY_BYTES);
    let read = match declared_too_large {
        true => Err(poem::error::ReadBodyError::PayloadTooLarge),
        false => body.into_bytes_limit(MAX_BODY_BYTES).await,
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(poem::error::ReadBodyError::PayloadTooLarge) => {
            tracing::warn!("body over 3 MB refused");
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "webhook bodies are at most 3 MB",
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read the body");
            return error_response(
                StatusCode::BAD_REQUEST,
                "body_unreadable",
                "the body could not be read completely",
            );
        }
    };

    let header = request.header(signature::HEADER);
    // Parsed once: to find whose secret applies, and (once the signature holds) to record it. U+0000 is
    // replaced first, so the check reads the very value the router routes.
    let mut parsed = serde_json::from_slice::<serde_json::Value>(&bytes);
    if let Ok(value) = parsed.as_mut() {
        if bytes.windows(6).any(|w| w == br"\u0000") && actors::webhook::replace_nul(value) {
            tracing::warn!("body holds U+0000, which PostgreSQL cannot store; recorded as U+FFFD");
        }
    }
    // One view of the accounts decides both whose secret applies and which numbers are routed.
    let accounts = state.registry.all();
    if let Err(e) = check_signature(&accounts, &bytes, parsed.as_ref().ok(), header) {
        stats.signature_failure(1);
        tracing::warn!(reason = %e, bytes = bytes.len(), "webhook signature refused");
        let code = if e == SignatureError::Missing {
            "signature_missing"
        } else {
            "signature_invalid"
        };
        return error_response(StatusCode::UNAUTHORIZED, code, &e.to_string());
    }

    if json::depth_exceeds(&bytes, json::MAX_INPUT_DEPTH) {
        tracing::warn!(bytes = bytes.len(), "signed body nested too deep");
        return error_response(
            StatusCode::BAD_REQUEST,
            "too_deep",
            &format!(
                "the body nests arrays and objects more than {} deep; nothing was stored",
                json::MAX_INPUT_DEPTH
            ),
        );
    }
    let value: serde_json::Value = match parsed {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "signed body is not JSON");
            return error_response(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                &format!("the body is not JSON: {e}"),
            );
        }
    };

    match state
        .streams
        .record_body(&value, accounts.as_ref(), request_id)
        .await
    {
        Ok(summary) => {
            tracing::info!(
                streams = summary.streams,
                appended = summary.events_appended,
                already_known = summary.facts_already_known,
                kept_raw = summary.kept_raw,
                "webhook body recorded"
            );
            Response::builder().status(StatusCode::OK).content_type("application/json").body(json!({"status": "recorded", "events_appended": summary.events_appended, "facts_already_known": summary.facts_already_known}).to_string())
        }
        Err(e) => {
            stats.body_not_stored(1);
            tracing::error!(error = %e, "webhook body not stored; answering 503 so Meta redelivers");
            let mut response = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the body was not stored; retry later",
            );
            response
                .headers_mut()
                .insert("retry-after", poem::http::HeaderValue::from_static("5"));
            response
        }
    }
}

/// The numbers (`phone_number_id`) and business accounts (`entry[].id`) a body names, read as the router
/// reads them; an id that is not a decimal string names everything it could be read as.
fn named_accounts(value: Option<&serde_json::Value>) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut numbers = BTreeSet::new();
    let mut businesses = BTreeSet::new();
    let Some(value) = value else {
        return (numbers, businesses);
    };
    fn array<'v>(v: &'v serde_json::Value, key: &str) -> &'v [serde_json::Value] {
        v.get(key)
            .and_then(serde_json::Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
    for entry in array(value, "entry") {
        businesses.extend(webhook::business_account_id(entry).readings());
        for change in array(entry, "changes") {
            if let Some(value) = change.get("value") {
                numbers.extend(webhook::phone_number_id(value).readings());
            }
        }
    }
    (numbers, businesses)
}

/// Checks the body's signature against the app secrets of the accounts it names (see the module doc).
pub fn check_signature(
    accounts: &HashMap<String, Connection>,
    body: &[u8],
    parsed: Option<&serde_json::Value>,
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let (numbers, businesses) = named_accounts(parsed);
    let numbers: Vec<&Connection> = numbers.iter().filter_map(|n| accounts.get(n)).collect();
    let businesses: Vec<Vec<&Connection>> = businesses
        .iter()
        .map(|b| {
            accounts
                .values()
                .filter(|c| c.business_account_id.as_deref() == Some(b.as_str()))
                .collect::<Vec<_>>()
        })
        .filter(|of_business| !of_business.is_empty())
        .collect();
    if numbers.is_empty() && businesses.is_empty() {
        // It names nothing of this install: any account's app may have sent it, and it is kept raw.
        return signed_by_one_of(accounts.values(), body, header);
    }
    // Every number it names, and every business account it names, must be of the app that signed it: no
    // app can write into another's numbers or business accounts.
    for account in numbers {
        let secret = secret_of(account).ok_or(SignatureError::Mismatch)?;
        signature::verify(secret, body, header)?;
    }
    for of_business in businesses {
        signed_by_one_of(of_business, body, header)?;
    }
    Ok(())
}

fn secret_of(c: &Connection) -> Option<&[u8]> {
    c.app_secret.as_ref().map(|s| s.expose().as_bytes())
}

fn signed_by_one_of<'c>(
    candidates: impl IntoIterator<Item = &'c Connection>,
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let mut outcome = Err(SignatureError::Mismatch);
    for secret in candidates.into_iter().filter_map(secret_of) {
        match signature::verify(secret, body, header) {
            Ok(()) => return Ok(()),
            Err(e @ (SignatureError::Missing | SignatureError::Malformed)) => return Err(e),
            Err(e) => outcome = Err(e),
        }
    }
    outcome
}
