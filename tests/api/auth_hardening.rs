//! Identity and sessions under attack, through the HTTP API: tokens and secrets are visible ASCII
//! wherever they are set.

use crate::access::call;
use crate::helpers::*;
use serde_json::{json, Value};

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

async fn api(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let (status, text) = call(app, method, path, Some(token), &body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

mod secrets {
    use super::*;

    const OTHER: &str = "2233445566778";
    const BAD: [(&str, &str); 6] = [
        ("non-ASCII", "EAAG-token-caf\u{e9}-0123"),
        ("a space", "EAAG-token 0123456789"),
        ("a tab", "EAAG-token\t0123456789"),
        ("a NUL", "EAAG-token\u{0}0123456789"),
        ("DEL", "EAAG-token\u{7f}0123456789"),
        ("a line break", "EAAG-token\r\nX-Injected: 1"),
    ];

    fn assert_refused(status: u16, body: &Value, field: &str, what: &str) {
        assert_eq!(
            (status, code(body)),
            (400, "invalid_account"),
            "{field} with {what}: {body}"
        );
        assert_eq!(body["error"]["details"]["field"], field, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{message}");
    }

    #[tokio::test]
    async fn tokens_and_secrets_must_be_visible_ascii_when_an_account_is_added_or_changed() {
        let app = TestApp::spawn().await;
        for field in ["access_token", "verify_token", "app_secret"] {
            for (what, value) in BAD {
                let (status, body) = api(
                    &app,
                    "POST",
                    "/api/v1/accounts",
                    API_TOKEN,
                    json!({"phone_number_id": OTHER, field: value}),
                )
                .await;
                assert_refused(status, &body, field, what);
            }
        }
        let (status, _) = api(
            &app,
            "GET",
            &format!("/api/v1/accounts/{OTHER}"),
            API_TOKEN,
            Value::Null,
        )
        .await;
        assert_eq!(status, 404, "nothing refused was recorded");

        let (status, body) = api(
            &app,
            "POST",
            "/api/v1/accounts",
            API_TOKEN,
            json!({"phone_number_id": OTHER, "access_token": "EAAG-good-token-!~", "verify_token": "verify-me-please",
                   "app_secret": "0123456789abcdef"}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        for field in ["access_token", "verify_token", "app_secret"] {
            for (what, value) in BAD {
                let (status, body) = api(
                    &app,
                    "PATCH",
                    &format!("/api/v1/accounts/{OTHER}"),
                    API_TOKEN,
                    json!({ field: value }),
                )
                .await;
                assert_refused(status, &body, field, what);
            }
        }
        let (status, body) = api(
            &app,
            "PATCH",
            &format!("/api/v1/accounts/{OTHER}"),
            API_TOKEN,
            json!({"access_token": "EAAG-another-good-token"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["has_access_token"], true);
    }
}
