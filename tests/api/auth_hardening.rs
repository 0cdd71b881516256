//! Identity and sessions under attack, through the HTTP API: a live stream outlives no session, wrong
//! passwords slow guessing but never lock the right one out, the client address comes from
//! `X-Forwarded-For` only behind trusted proxies, identity-provider tokens bind to one subject, and
//! tokens and secrets are visible ASCII wherever they are set.

use crate::access::{call, create_user, sign_in, PASSWORD};
use crate::helpers::*;
use crate::live::SseClient;
use serde_json::{json, Value};

const ALICE: &str = "447700900001";

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

async fn api(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let (status, text) = call(app, method, path, Some(token), &body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A customer's message, so an open stream has something to deliver.
async fn customer_writes(app: &TestApp, wamid: &str, seconds: i64) {
    let response = app
        .post_signed(&messages_body(
            contact(ALICE, "Alice"),
            json!([text_at(ALICE, wamid, "hello", seconds)]),
        ))
        .await;
    assert_eq!(response.status(), 200);
}

/// Reads the stream until the message `wamid` arrives.
async fn receive(stream: &mut SseClient, wamid: &str) {
    loop {
        let event = stream.next().await;
        if event.data["message_id"] == wamid {
            return;
        }
    }
}

mod streams {
    use super::*;

    #[tokio::test]
    async fn a_stream_opened_with_a_session_ends_when_that_session_signs_out() {
        let app = TestApp::spawn().await;
        create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
        let session = sign_in(&app, "ann@example.com").await;
        app.settled().await;
        let mut stream = SseClient::connect_as(&app, &session, None).await;
        customer_writes(&app, "wamid.before", 0).await;
        receive(&mut stream, "wamid.before").await;

        let (status, _) = api(&app, "POST", "/api/v1/auth/sign-out", &session, Value::Null).await;
        assert_eq!(status, 204);
        customer_writes(&app, "wamid.after", 1).await;
        assert!(
            stream.next_or_end().await.is_none(),
            "the stream ends, and delivers nothing after the sign-out"
        );
    }

    #[tokio::test]
    async fn a_password_change_ends_the_streams_of_the_other_sessions_only() {
        let app = TestApp::spawn().await;
        create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
        let laptop = sign_in(&app, "ann@example.com").await;
        let phone = sign_in(&app, "ann@example.com").await;
        app.settled().await;
        let mut on_laptop = SseClient::connect_as(&app, &laptop, None).await;
        let mut on_phone = SseClient::connect_as(&app, &phone, None).await;

        let (status, body) = api(
            &app,
            "PUT",
            "/api/v1/auth/password",
            &phone,
            json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
        assert_eq!(status, 204, "{body}");
        customer_writes(&app, "wamid.after", 0).await;
        assert!(
            on_laptop.next_or_end().await.is_none(),
            "the other session's stream ends"
        );
        receive(&mut on_phone, "wamid.after").await;
    }

    #[tokio::test]
    async fn a_stream_ends_when_its_session_expires() {
        let app = TestApp::spawn_with(&[("INBOX_SESSION_TTL_SECS", "4")]).await;
        create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
        let session = sign_in(&app, "ann@example.com").await;
        let mut stream = SseClient::connect_as(&app, &session, None).await;
        assert!(stream.next_or_end().await.is_none(), "the stream ends");
        let (status, body) = api(&app, "GET", "/api/v1/auth/me", &session, Value::Null).await;
        assert_eq!(
            (status, code(&body)),
            (401, "token_expired"),
            "it ended because the session expired"
        );
    }
}

mod sign_in {
    use super::*;

    async fn attempt(
        app: &TestApp,
        email: &str,
        password: &str,
        forwarded_for: Option<&str>,
    ) -> reqwest::Response {
        let mut request = app
            .client
            .post(app.url("/api/v1/auth/sign-in"))
            .json(&json!({"email": email, "password": password}));
        if let Some(header) = forwarded_for {
            request = request.header("x-forwarded-for", header);
        }
        request.send().await.unwrap()
    }

    async fn status_of(
        app: &TestApp,
        email: &str,
        password: &str,
        forwarded_for: Option<&str>,
    ) -> u16 {
        attempt(app, email, password, forwarded_for)
            .await
            .status()
            .as_u16()
    }

    fn retry_after(response: &reqwest::Response) -> u64 {
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    #[tokio::test]
    async fn the_right_password_signs_in_after_six_wrong_ones_and_wrong_emails_answer_alike() {
        let app = TestApp::spawn().await;
        create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
        for i in 0..5 {
            let response = attempt(&app, "ann@example.com", "not the password", None).await;
            assert_eq!(response.status(), 401, "attempt {i}");
        }
        // Past the allowance a wrong guess says the next one waits...
        let slowed = attempt(&app, "ANN@example.com", "still wrong", None).await;
        assert_eq!(slowed.status(), 429);
        let wait = retry_after(&slowed);
        assert!((1..=20).contains(&wait), "{wait}");
        let slowed: Value = slowed.json().await.unwrap();
        assert_eq!(code(&slowed), "too_many_attempts");
        // ...but the right password is checked, and signs in.
        let response = attempt(&app, "ann@example.com", PASSWORD, None).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert!(body["token"].as_str().unwrap().starts_with("inbox_ses_"));

        // An email nobody has is answered exactly as a wrong password, slowed or not.
        for i in 0..5 {
            let response = attempt(&app, "nobody@example.com", "not the password", None).await;
            assert_eq!(response.status(), 401, "attempt {i}");
        }
        let unknown = attempt(&app, "nobody@example.com", "still wrong", None).await;
        assert_eq!(unknown.status(), 429);
        assert_eq!(retry_after(&unknown), wait);
        assert_eq!(unknown.json::<Value>().await.unwrap(), slowed);
    }

    #[tokio::test]
    async fn failures_from_one_address_never_keep_another_user_out() {
        let app = TestApp::spawn().await;
        create_user(&app, "bea@example.com", json!([{"role": "agent"}])).await;
        let mut slowed = 0;
        for i in 0..25 {
            match status_of(&app, &format!("guess{i}@example.com"), "password1", None).await {
                401 => {}
                429 => slowed += 1,
                other => panic!("attempt {i}: {other}"),
            }
        }
        assert_eq!(slowed, 5, "past 20 failures the address is slowed");
        assert_eq!(
            status_of(&app, "bea@example.com", PASSWORD, None).await,
            200
        );
    }

    #[tokio::test]
    async fn without_trusted_proxies_x_forwarded_for_is_ignored() {
        let app = TestApp::spawn().await;
        // Rotating the header does not make the attempts come from elsewhere.
        for i in 0..20 {
            let header = format!("198.51.100.{i}");
            let status = status_of(
                &app,
                &format!("guess{i}@example.com"),
                "password1",
                Some(&header),
            )
            .await;
            assert_eq!(status, 401, "attempt {i}");
        }
        let status = status_of(
            &app,
            "guess20@example.com",
            "password1",
            Some("198.51.100.99"),
        )
        .await;
        assert_eq!(
            status, 429,
            "the one address (the peer) is past its allowance"
        );
        // The address a session records is the peer's.
        create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
        let response = attempt(&app, "ann@example.com", PASSWORD, Some("198.51.100.7")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(session_addresses(&app).await, ["127.0.0.1"]);
    }

    #[tokio::test]
    async fn behind_trusted_proxies_the_forwarded_client_is_the_address() {
        let app = TestApp::spawn_with(&[("INBOX_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]).await;
        // One real client behind the proxy, forging the left of the header: still one address.
        for i in 0..20 {
            let header = format!("198.51.100.{i}, 203.0.113.9, 10.1.1.1");
            let status = status_of(
                &app,
                &format!("guess{i}@example.com"),
                "password1",
                Some(&header),
            )
            .await;
            assert_eq!(status, 401, "attempt {i}");
        }
        let status = status_of(
            &app,
            "guess20@example.com",
            "password1",
            Some("6.6.6.6, 203.0.113.9"),
        )
        .await;
        assert_eq!(status, 429, "203.0.113.9 is past its allowance");
        // Another client of the same proxy is not slowed by it, and signs in from its own address.
        let status = status_of(
            &app,
            "guess21@example.com",
            "password1",
            Some("203.0.113.10"),
        )
        .await;
        assert_eq!(status, 401);
        create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
        let response = attempt(&app, "ann@example.com", PASSWORD, Some("203.0.113.10")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(session_addresses(&app).await, ["203.0.113.10"]);
    }

    async fn session_addresses(app: &TestApp) -> Vec<String> {
        let pool = app.db.pool().await;
        let addresses = sqlx::query_scalar("select address from auth_sessions order by created_at")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        addresses
    }
}

mod identity_provider {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};

    const SECRET: &str = "an-identity-provider-secret-of-32-bytes!";
    const ISSUER: &str = "https://project.supabase.co/auth/v1";

    fn token(sub: &str, extra: Value) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({"sub": sub, "aud": "authenticated", "iss": ISSUER, "exp": now + 600, "iat": now});
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    async fn spawn() -> TestApp {
        TestApp::spawn_with(&[
            ("INBOX_IDP_HS256_SECRET", SECRET),
            ("INBOX_IDP_ISSUER", ISSUER),
            ("INBOX_IDP_AUDIENCE", "authenticated"),
        ])
        .await
    }

    async fn me(app: &TestApp, token: &str) -> (u16, Value) {
        api(app, "GET", "/api/v1/auth/me", token, Value::Null).await
    }

    #[tokio::test]
    async fn a_token_that_is_not_valid_yet_is_refused() {
        let app = spawn().await;
        let (status, _) = call(
            &app,
            "POST",
            "/api/v1/users",
            Some(API_TOKEN),
            &json!({"email": "sub@example.com", "external_subject": "sub-1", "roles": [{"role": "viewer"}]}),
        )
        .await;
        assert_eq!(status, 201);
        let now = chrono::Utc::now().timestamp();
        let (status, body) = me(&app, &token("sub-1", json!({"nbf": now + 3600}))).await;
        assert_eq!((status, code(&body)), (401, "invalid_token"), "{body}");
        let (status, body) = me(&app, &token("sub-1", json!({"nbf": now - 60}))).await;
        assert_eq!(status, 200, "{body}");
    }

    #[tokio::test]
    async fn an_email_matches_only_when_verified_and_binds_its_first_subject() {
        let app = spawn().await;
        let admin = create_user(&app, "admin@example.com", json!([{"role": "admin"}])).await;
        let ann = create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;

        // Unverified, or verification not said: no user is found by the email, the admin's included.
        for claims in [
            json!({"email": "ADMIN@example.com"}),
            json!({"email": "admin@example.com", "email_verified": false}),
            json!({"email": "Admin@Example.com", "email_verified": "no"}),
        ] {
            let (status, body) = me(&app, &token("intruder", claims.clone())).await;
            assert_eq!((status, code(&body)), (401, "unknown_user"), "{claims}");
        }

        // Verified: the user is found, and the subject is recorded on them.
        let first = token(
            "ann-sub",
            json!({"email": "ANN@example.com", "email_verified": true}),
        );
        let (status, body) = me(&app, &first).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["user"]["id"], ann.as_str());
        assert_eq!(body["user"]["external_subject"], "ann-sub");
        let (_, user) = api(
            &app,
            "GET",
            &format!("/api/v1/users/{ann}"),
            API_TOKEN,
            Value::Null,
        )
        .await;
        assert_eq!(user["external_subject"], "ann-sub");
        let linked: Vec<Value> = app
            .events()
            .await
            .into_iter()
            .filter(|(stream, _, kind, _)| {
                stream == "identity" && kind == "identity.external_subject_linked"
            })
            .map(|(_, _, _, payload)| payload)
            .collect();
        assert_eq!(linked.len(), 1, "{linked:?}");
        assert_eq!(linked[0]["user_id"], ann.as_str());
        assert_eq!(linked[0]["external_subject"], "ann-sub");

        // Another subject with the same verified email is refused; the bound one keeps working, by
        // subject alone.
        let second = token(
            "other-sub",
            json!({"email": "ann@example.com", "email_verified": true}),
        );
        let (status, body) = me(&app, &second).await;
        assert_eq!((status, code(&body)), (401, "identity_mismatch"), "{body}");
        let (status, body) = me(&app, &token("ann-sub", json!({}))).await;
        assert_eq!(
            (status, body["user"]["id"].as_str()),
            (200, Some(ann.as_str()))
        );

        // A user created with a subject is bound from the start.
        let (status, created) = api(
            &app,
            "POST",
            "/api/v1/users",
            API_TOKEN,
            json!({"email": "kim@example.com", "external_subject": "kim-sub", "roles": [{"role": "viewer"}]}),
        )
        .await;
        assert_eq!(status, 201, "{created}");
        let (status, body) = me(
            &app,
            &token(
                "not-kim",
                json!({"email": "kim@example.com", "email_verified": true}),
            ),
        )
        .await;
        assert_eq!((status, code(&body)), (401, "identity_mismatch"), "{body}");
        let (_, user) = api(
            &app,
            "GET",
            &format!("/api/v1/users/{admin}"),
            API_TOKEN,
            Value::Null,
        )
        .await;
        assert_eq!(
            user["external_subject"],
            Value::Null,
            "nothing bound the admin"
        );
    }
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
