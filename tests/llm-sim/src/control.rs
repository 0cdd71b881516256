//! `/_sim/...`: the knobs of [`crate::LlmSim`] over HTTP, for the binary and for scripts.
//!
//! - `POST /_sim/rules` a [`Rule`] (or a list), e.g. `{"pattern":"porto","answer":{"text":"5 EUR"}}`;
//!   `DELETE /_sim/rules` forgets them all;
//! - `POST /_sim/fail` `{"failure":{"rate_limited":{"retry_delay_ms":1500}},"times":2}` (`times` defaults
//!   to 1; unit failures are strings: `{"failure":"overloaded"}`); `DELETE /_sim/fail` clears the queue;
//! - `GET /_sim/requests`: every request received on the model routes, in order.

use super::{lock, Failure, Rule, SimState};
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{get, handler, post, IntoResponse, Response, Route};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) fn routes() -> Route {
    Route::new()
        .at("/rules", post(add_rules).delete(clear_rules))
        .at("/fail", post(fail).delete(clear_failures))
        .at("/requests", get(requests))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Rules {
    One(Rule),
    Many(Vec<Rule>),
}

#[handler]
fn add_rules(Json(rules): Json<Rules>, Data(state): Data<&Arc<SimState>>) -> Response {
    let rules = match rules {
        Rules::One(rule) => vec![rule],
        Rules::Many(rules) => rules,
    };
    let mut all = lock(&state.rules);
    all.extend(rules);
    Json(json!({ "rules": all.len() })).into_response()
}

#[handler]
fn clear_rules(Data(state): Data<&Arc<SimState>>) -> StatusCode {
    lock(&state.rules).clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Fail {
    failure: Failure,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

#[handler]
fn fail(Json(fail): Json<Fail>, Data(state): Data<&Arc<SimState>>) -> Response {
    let mut failures = lock(&state.failures);
    failures.push_back((fail.failure, fail.times.max(1)));
    Json(json!({ "pending": failures.len() })).into_response()
}

#[handler]
fn clear_failures(Data(state): Data<&Arc<SimState>>) -> StatusCode {
    lock(&state.failures).clear();
    StatusCode::NO_CONTENT
}

#[handler]
fn requests(Data(state): Data<&Arc<SimState>>) -> Json<Value> {
    Json(serde_json::to_value(&*lock(&state.requests)).unwrap_or(Value::Null))
}
