//! The one error shape of the API: `{"error": {"code", "message", "details"}}` for every 4xx and 5xx.

use actors::aggregate::{Refusal, RefusalKind};
use actors::stream_actor::CommandError;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};
use serde_json::Value;

#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Object)]
pub struct ErrorDetail {
    /// Stable, machine-readable (`not_found`, `invalid_cursor`, ...).
    pub code: String,
    /// For people.
    pub message: String,
    /// Anything that helps fix the request (the offending parameter, ...).
    #[oai(skip_serializing_if_is_none)]
    pub details: Option<Value>,
}

#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "bad_request")]
pub enum ApiError {
    /// The request is malformed (a parameter, the body, a cursor).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No valid bearer token.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token is valid but may not do this.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The request conflicts with the current state (for example the number cannot send yet).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The uploaded file is larger than Meta accepts.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The uploaded file's type is not one Meta accepts.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// The request is well-formed but breaks a rule.
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// Too many attempts, or requests over the rate limit; `Retry-After` says when to try again.
    #[oai(status = 429)]
    TooManyRequests(
        Json<ErrorBody>,
        #[oai(header = "Retry-After")] Option<String>,
    ),
    /// Meta's Graph API failed or did not answer; details carry Meta's error.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// The database or the actors are unavailable, or did not answer in time; retry later.
    #[oai(status = 503)]
    Unavailable(
        Json<ErrorBody>,
        #[oai(header = "Retry-After")] Option<String>,
    ),
}

fn body(code: &str, message: impl Into<String>, details: Option<Value>) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: ErrorDetail {
            code: code.to_owned(),
            message: message.into(),
            details,
        },
    })
}

impl ApiError {
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest(body(code, message, None))
    }

    /// 400 with details a client can act on (e.g. the `field` that was refused).
    pub fn bad_request_with(
        code: &str,
        message: impl Into<String>,
        details: serde_json::Value,
    ) -> Self {
        ApiError::BadRequest(body(code, message, Some(details)))
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::Unauthorized(body("unauthorized", message, None))
    }

    /// 401 with a code that tells a client what to do (`token_expired`: sign in again).
    pub fn unauthenticated(code: &str, message: impl Into<String>) -> Self {
        ApiError::Unauthorized(body(code, message, None))
    }

    pub fn too_many_requests(message: impl Into<String>, retry_after: std::time::Duration) -> Self {
        ApiError::TooManyRequests(
            body("too_many_attempts", message, None),
            Some(retry_after.as_secs().max(1).to_string()),
        )
    }

    /// 429 `rate_limited`: more requests than the limit allows; `Retry-After` says when the next is.
    pub fn rate_limited(message: impl Into<String>, retry_after: std::time::Duration) -> Self {
        ApiError::TooManyRequests(
            body("rate_limited", message, None),
            Some(crate::http::rate_limit::retry_after_seconds(retry_after).to_string()),
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden(body("forbidden", message, None))
    }

    pub fn forbidden_code(code: &str, message: impl Into<String>) -> Self {
        ApiError::Forbidden(body(code, message, None))
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        ApiError::NotFound(body(
            "not_found",
            format!("no {what} {id:?}"),
            Some(serde_json::json!({ "id": id })),
        ))
    }

    /// The stable code of the error (for metrics and logs).
    pub fn code(&self) -> &str {
        match self {
            ApiError::BadRequest(b)
            | ApiError::Unauthorized(b)
            | ApiError::Forbidden(b)
            | ApiError::NotFound(b)
            | ApiError::Conflict(b)
            | ApiError::PayloadTooLarge(b)
            | ApiError::UnsupportedMediaType(b)
            | ApiError::Unprocessable(b)
            | ApiError::TooManyRequests(b, _)
            | ApiError::BadGateway(b)
            | ApiError::Unavailable(b, _) => &b.0.error.code,
        }
    }

    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        ApiError::Unprocessable(body(code, message, None))
    }

    /// 422 with details a client can act on (e.g. the `field` that cannot be used, and why).
    pub fn unprocessable_with(
        code: &str,
        message: impl Into<String>,
        details: serde_json::Value,
    ) -> Self {
        ApiError::Unprocessable(body(code, message, Some(details)))
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        ApiError::Conflict(body(code, message, None))
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        ApiError::PayloadTooLarge(body("payload_too_large", message, None))
    }

    pub fn unsupported_type(message: impl Into<String>) -> Self {
        ApiError::UnsupportedMediaType(body("unsupported_media_type", message, None))
    }

    /// A Graph API call failed: Meta's refusal of the request is the caller's to fix (422, with Meta's
    /// code and details); Meta failing or not answering is not (502).
    pub fn graph(error: actors::graph::CallError) -> Self {
        use actors::graph::CallError;
        match error {
            CallError::Api(e) if (400..500).contains(&e.http_status) => {
                let message = e.remedy().map_or_else(|| e.message.clone(), str::to_owned);
                ApiError::Unprocessable(body(
                    "meta_refused",
                    message,
                    Some(serde_json::json!({
                        "code": e.code,
                        "subcode": e.subcode,
                        "message": e.message,
                        "details": e.details,
                        "trace_id": e.trace_id,
                    })),
                ))
            }
            CallError::Refused { message } => ApiError::bad_request("invalid_request", message),
            other => {
                tracing::warn!(error = %other, "Graph API call failed");
                ApiError::BadGateway(body(
                    "meta_unavailable",
                    other.to_string(),
                    serde_json::to_value(&other).ok(),
                ))
            }
        }
    }

    /// The database failed. The cause is logged, not returned: it may name internals.
    pub fn unavailable(error: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %error, "API request failed on the database");
        Self::retry_later(
            "unavailable",
            "the inbox cannot reach its database; retry shortly",
        )
    }

    /// Something the inbox depends on other than its database failed (`what`: "its media store", ...).
    pub fn dependency_failed(what: &str, error: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %error, what, "API request failed on a dependency");
        Self::retry_later(
            "unavailable",
            &format!("the inbox cannot reach {what}; retry shortly"),
        )
    }

    fn retry_later(code: &str, message: &str) -> Self {
        ApiError::Unavailable(
            body(code, message, None),
            Some(RETRY_AFTER_SECONDS.to_string()),
        )
    }

    /// A domain refusal: its kind decides the status, its code and sentence are the aggregate's.
    pub fn refused(Refusal { code, message }: Refusal) -> Self {
        let body = body(code.as_str(), message, None);
        match code.kind() {
            RefusalKind::NotFound => ApiError::NotFound(body),
            RefusalKind::Conflict => ApiError::Conflict(body),
            RefusalKind::Malformed => ApiError::BadRequest(body),
            RefusalKind::BreaksRule => ApiError::Unprocessable(body),
        }
    }
}

/// How long a client should wait before retrying a 503.
const RETRY_AFTER_SECONDS: u64 = 5;

/// The one mapping of what a stream's actor answers to what the caller is told.
impl From<CommandError> for ApiError {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Refused(refusal) => ApiError::refused(refusal),
            CommandError::Invalid(reason) => ApiError::unprocessable("invalid_command", reason),
            CommandError::Conflict(stream) => {
                tracing::warn!(%stream, "a command kept losing to concurrent writers");
                ApiError::conflict(
                    "concurrent_update",
                    "other changes to the same record kept arriving at the same moment; nothing \
                     was recorded, retry",
                )
            }
            CommandError::Timeout => {
                tracing::warn!("a command got no answer in time");
                Self::retry_later(
                    "timeout",
                    "the inbox did not answer in time; the request may still be recorded, so retry \
                     it with the same Idempotency-Key",
                )
            }
            CommandError::Interrupted => Self::retry_later(
                "interrupted",
                "the request was interrupted before it was recorded (the inbox may be restarting); \
                 retry",
            ),
            CommandError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "a command failed on the event store");
                Self::retry_later(
                    "unavailable",
                    "the inbox cannot reach its event store; retry shortly with the same Idempotency-Key",
                )
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    /// A value the database refuses (SQLSTATE class 22: U+0000 in text, a time out of range, ...) came
    /// from the request: 400. Input is checked before queries run; this is the last line of defence, so
    /// such input is never mistaken for an outage.
    fn from(e: sqlx::Error) -> Self {
        match data_exception(&e) {
            Some(sqlstate) => {
                tracing::info!(error = %e, "the database refused a value of the request");
                ApiError::BadRequest(body(
                    "invalid_value",
                    "a value of the request is not one the inbox can store or compare",
                    Some(serde_json::json!({ "sqlstate": sqlstate })),
                ))
            }
            None => ApiError::unavailable(e),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<sqlx::Error>() {
            Ok(e) => e.into(),
            Err(e) => ApiError::unavailable(format!("{e:#}")),
        }
    }
}

/// The SQLSTATE of a data exception (class 22), if that is what the database answered.
fn data_exception(e: &sqlx::Error) -> Option<String> {
    let code = e.as_database_error()?.code()?;
    code.starts_with("22").then(|| code.into_owned())
}

/// The methods a path serves, carried on a 405 so [`render`] can name them in `Allow`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedMethods(pub String);

/// Parameters or bodies the OpenAPI layer could not parse.
fn bad_request(err: poem::Error) -> ApiError {
    ApiError::BadRequest(body(&parse_error_code(&err), err.to_string(), None))
}

/// A query or header value outside its documented range names the parameter: `invalid_<parameter>`
/// (`invalid_limit`, `invalid_idempotency_key`, ...); anything else that cannot be parsed is
/// `invalid_request`.
fn parse_error_code(err: &poem::Error) -> String {
    match err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        Some(e) if e.reason.starts_with("verification failed") => {
            format!("invalid_{}", e.name.to_ascii_lowercase().replace('-', "_"))
        }
        _ => "invalid_request".to_owned(),
    }
}

/// Renders any error that did not come from a handler (unknown route, wrong method, a failed extractor)
/// in the same shape.
pub fn render(err: poem::Error) -> poem::Response {
    // Errors of our handlers already carry their response in this shape.
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let parse_code = parse_error_code(&err);
    let code = match status.as_u16() {
        400 => parse_code.as_str(),
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "too_many_attempts",
        s if s >= 500 => "internal",
        _ => "error",
    };
    let allow = err.data::<AllowedMethods>().map(|a| a.0.clone());
    let message = if status.is_server_error() {
        tracing::error!(error = %err, "unhandled API error");
        "the inbox failed to answer".to_owned()
    } else if let Some(allow) = &allow {
        format!("this path answers only {allow}")
    } else {
        err.to_string()
    };
    let mut response = error_response(status, code, &message);
    if let Some(Ok(allow)) = allow.map(|a| poem::http::HeaderValue::from_str(&a)) {
        response
            .headers_mut()
            .insert(poem::http::header::ALLOW, allow);
    }
    response
}

/// The error body for answers built outside poem-openapi (the webhook, the HTTP edge), in the same
/// shape as [`ApiError`]'s.
pub fn error_response(status: poem::http::StatusCode, code: &str, message: &str) -> poem::Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    poem::Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actors::aggregate::RefusalCode;
    use actors::event::StreamId;
    use poem::IntoResponse;

    fn status(e: ApiError) -> (u16, String, Option<String>) {
        let code = e.code().to_owned();
        let response = e.into_response();
        let retry = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (response.status().as_u16(), code, retry)
    }

    #[test]
    fn each_refusal_answers_its_kind_with_its_own_code() {
        for &code in RefusalCode::ALL {
            let (status, answered, _) =
                status(CommandError::Refused(Refusal::new(code, "no")).into());
            let expected = match code.kind() {
                RefusalKind::NotFound => 404,
                RefusalKind::Conflict => 409,
                RefusalKind::Malformed => 400,
                RefusalKind::BreaksRule => 422,
            };
            assert_eq!((status, answered.as_str()), (expected, code.as_str()));
        }
    }

    #[test]
    fn refusal_codes_are_distinct_snake_case() {
        let codes: std::collections::BTreeSet<_> =
            RefusalCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes.len(), RefusalCode::ALL.len());
        assert!(codes
            .iter()
            .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
    }

    #[test]
    fn losing_to_concurrent_writers_is_a_conflict_and_slowness_is_honest() {
        let conflict = CommandError::Conflict(StreamId::new("conversation-1-2"));
        assert_eq!(
            status(conflict.into()),
            (409, "concurrent_update".into(), None)
        );
        let retry = Some(RETRY_AFTER_SECONDS.to_string());
        assert_eq!(
            status(CommandError::Timeout.into()),
            (503, "timeout".into(), retry.clone())
        );
        assert_eq!(
            status(CommandError::Interrupted.into()),
            (503, "interrupted".into(), retry.clone())
        );
        assert_eq!(
            status(CommandError::Unavailable("down".into()).into()),
            (503, "unavailable".into(), retry)
        );
        assert_eq!(
            status(CommandError::Invalid("bad stream".into()).into()),
            (422, "invalid_command".into(), None)
        );
    }

    #[test]
    fn the_timeout_message_does_not_blame_the_database() {
        let ApiError::Unavailable(body, _) = CommandError::Timeout.into() else {
            panic!("a timeout is a 503");
        };
        assert!(!body.0.error.message.contains("database"));
    }
}
