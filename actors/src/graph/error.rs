//! Meta's error object, typed, and classified as worth retrying or not.
//!
//! Meta says to build logic on `code` (and `details`), never on the message, title, subcode or HTTP status
//! alone (`../shared/docs/WHATSAPP_CLOUD_API.md` §8). The classification below follows its error table.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether sending again can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Throttling, maintenance, Meta's own failures: retry later with back-off.
    Retryable,
    /// The request, the recipient, the template, the token or the account must change first.
    Permanent,
}

/// A Graph API error, from a response's `{"error": {...}}` body (or its HTTP status when it has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("Graph API error {code} (HTTP {http_status}): {message}")]
pub struct GraphError {
    pub http_status: u16,
    /// Meta's error code (`131047`, `130429`, ...); 0 when the body carried none.
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    /// `OAuthException`, ...
    pub error_type: Option<String>,
    /// `error_data.details`: the most specific explanation Meta gives.
    pub details: Option<String>,
    /// `fbtrace_id`, for Meta's support.
    pub trace_id: Option<String>,
    /// Meta's own hint that the error is temporary.
    pub transient: bool,
}

/// Codes Meta documents as temporary: throttling (app, account, number, pair), its own unavailability,
/// maintenance.
const RETRYABLE_CODES: &[i64] = &[
    1,       // API unknown
    2,       // API service temporarily unavailable
    4,       // app-level rate limit
    17,      // user-level rate limit
    341,     // application limit reached
    80007,   // WABA rate limit
    130429,  // throughput exceeded
    131000,  // unknown error (retry, then support)
    131016,  // service unavailable
    131056,  // too many messages to the same user
    131057,  // number in maintenance
    133004,  // registration server unavailable
    2494100, // account in maintenance mode
];

impl GraphError {
    /// Reads an error response. Never fails: a body that is not Meta's error object still gives an error
    /// with the HTTP status and the start of the body.
    pub fn from_response(http_status: u16, body: &[u8]) -> GraphError {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let Some(error) = parsed.as_ref().and_then(|v| v.get("error")) else {
            let text = String::from_utf8_lossy(body);
            let excerpt: String = text.chars().take(200).collect();
            return GraphError {
                http_status,
                code: 0,
                subcode: None,
                message: if excerpt.trim().is_empty() {
                    format!("HTTP {http_status} without a body")
                } else {
                    excerpt
                },
                error_type: None,
                details: None,
                trace_id: None,
                transient: false,
            };
        };
        let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_owned);
        GraphError {
            http_status,
            code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
            subcode: error.get("error_subcode").and_then(Value::as_i64),
            message: text("message").unwrap_or_else(|| format!("HTTP {http_status}")),
            error_type: text("type"),
            details: error
                .get("error_data")
                .and_then(|d| d.get("details"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            trace_id: text("fbtrace_id"),
            transient: error
                .get("is_transient")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }

    pub fn class(&self) -> ErrorClass {
        if self.transient || self.http_status >= 500 || RETRYABLE_CODES.contains(&self.code) {
            ErrorClass::Retryable
        } else {
            ErrorClass::Permanent
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.class() == ErrorClass::Retryable
    }

    /// What the operator or agent has to do, for the errors that need someone.
    pub fn remedy(&self) -> Option<&'static str> {
        // Code 0 is also what a body without Meta's error object gets; only Meta's own 0 means the token.
        if self.code == 0 && self.error_type.is_none() {
            return None;
        }
        Some(match self.code {
            131047 => {
                "more than 24 hours have passed since the customer last wrote: send a template"
            }
            0 | 190 => "the access token expired or was revoked: set a new WHATSAPP_TOKEN",
            3 | 10 | 200..=299 => "the token lacks a permission or access to this WhatsApp account",
            368 => "Meta restricted or disabled the WhatsApp account for a policy violation",
            131026 => "the number is not on WhatsApp, or cannot receive this message yet",
            131030 => "the recipient is not in the test number's allowed list",
            131050 => "the customer stopped marketing messages",
            131045 => "the phone number is not registered with the Cloud API",
            132000..=132016 => "the template or its parameters do not match what Meta approved",
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(status: u16, body: Value) -> GraphError {
        GraphError::from_response(status, &serde_json::to_vec(&body).unwrap())
    }

    #[test]
    fn metas_rate_limit_example_is_read_whole_and_retryable() {
        let e = error(
            400,
            json!({"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429,
                "error_data": {"messaging_product": "whatsapp", "details": "Cloud API message throughput has been reached."},
                "error_subcode": 2494055, "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"}}),
        );
        assert_eq!(e.code, 130429);
        assert_eq!(e.subcode, Some(2494055));
        assert_eq!(e.error_type.as_deref(), Some("OAuthException"));
        assert_eq!(
            e.details.as_deref(),
            Some("Cloud API message throughput has been reached.")
        );
        assert_eq!(e.trace_id.as_deref(), Some("Az8or2yhqkZfEZ-_4Qn_Bam"));
        assert_eq!(e.class(), ErrorClass::Retryable);
    }

    #[test]
    fn throttling_maintenance_and_metas_failures_are_retryable() {
        for code in [4, 80007, 131056, 131057, 131016, 2494100] {
            assert!(
                error(400, json!({"error": {"code": code}})).is_retryable(),
                "{code}"
            );
        }
        assert!(error(500, json!({"error": {"code": 100}})).is_retryable());
        assert!(error(400, json!({"error": {"code": 100, "is_transient": true}})).is_retryable());
    }

    #[test]
    fn the_window_the_recipient_the_token_and_templates_are_permanent() {
        for code in [
            131047, 131026, 190, 132000, 132001, 132015, 100, 368, 131050,
        ] {
            let e = error(400, json!({"error": {"code": code, "message": "no"}}));
            assert_eq!(e.class(), ErrorClass::Permanent, "{code}");
        }
        let window = error(400, json!({"error": {"code": 131047}}));
        assert!(window.remedy().unwrap().contains("template"));
        let token = error(401, json!({"error": {"code": 190, "error_subcode": 463}}));
        assert!(token.remedy().unwrap().contains("WHATSAPP_TOKEN"));
    }

    #[test]
    fn a_body_that_is_not_metas_error_object_still_says_what_happened() {
        let gateway = GraphError::from_response(502, b"<html>Bad Gateway</html>");
        assert_eq!((gateway.code, gateway.is_retryable()), (0, true));
        assert!(gateway.message.contains("Bad Gateway"));
        assert_eq!(gateway.remedy(), None);
        let empty = GraphError::from_response(404, b"");
        assert_eq!(empty.message, "HTTP 404 without a body");
        assert!(!empty.is_retryable());
    }
}
