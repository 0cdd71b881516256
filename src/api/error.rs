//! The one error shape of the API: `{"error": {"code", "message", "details"}}` for every 4xx and 5xx.

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
    /// Too many failed attempts; `Retry-After` says when to try again.
    #[oai(status = 429)]
    TooManyRequests(
        Json<ErrorBody>,
        #[oai(header = "Retry-After")] Option<String>,
    ),
    /// Meta's Graph API failed or did not answer; details carry Meta's error.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// The database or the actors are unavailable; retry later.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
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
            | ApiError::Unavailable(b) => &b.0.error.code,
        }
    }

    /// An error whose status is decided elsewhere (a domain refusal's code). Unknown statuses are 422.
    pub fn with_status(status: u16, code: &str, message: impl Into<String>) -> Self {
        let body = body(code, message, None);
        match status {
            400 => ApiError::BadRequest(body),
            401 => ApiError::Unauthorized(body),
            403 => ApiError::Forbidden(body),
            404 => ApiError::NotFound(body),
            409 => ApiError::Conflict(body),
            _ => ApiError::Unprocessable(body),
        }
    }

    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        ApiError::Unprocessable(body(code, message, None))
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
        ApiError::Unavailable(body(
            "unavailable",
            "the inbox cannot reach its database; retry shortly",
            None,
        ))
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
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    let mut response = poem::Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string());
    if let Some(Ok(allow)) = allow.map(|a| poem::http::HeaderValue::from_str(&a)) {
        response
            .headers_mut()
            .insert(poem::http::header::ALLOW, allow);
    }
    response
}
