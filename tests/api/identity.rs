//! Sign-in, sessions, users, roles, overrides, API tokens and external identity providers, through the
//! HTTP API.

use crate::access::{call, create_user, sign_in, two_accounts, OTHER_ACCOUNT, PASSWORD};
use crate::helpers::*;
use crate::live::SseClient;
use serde_json::{json, Value};

async fn json_of(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> (u16, Value) {
    let (status, text) = call(app, method, path, Some(token), &body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// Every stored identity event's payload.
async fn identity_events(app: &TestApp) -> Vec<Value> {
    app.events()
        .await
        .into_iter()
        .filter(|(stream, ..)| stream == "identity")
        .map(|(_, _, _, payload)| payload)
        .collect()
}

#[tokio::test]
async fn the_first_user_sets_up_the_install_as_admin_and_nobody_can_do_it_again() {
    let app = TestApp::spawn().await;
    let setup = json!({"email": "owner@example.com", "password": PASSWORD, "name": "Owner"});
    let (status, body) = call(&app, "POST", "/api/v1/auth/setup", None, &setup).await;
    assert_eq!(status, 201, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("inbox_ses_"));
    assert_eq!(body["user"]["roles"], json!([{"role": "admin"}]));

    let (status, me) = json_of(&app, "GET", "/api/v1/auth/me", token, Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["email"], "owner@example.com");
    assert_eq!(me["authenticated_by"], "session");
    for p in ["users.manage", "roles.manage", "settings.manage"] {
        assert!(
            me["permissions"].as_array().unwrap().contains(&json!(p)),
            "{me}"
        );
    }

    let again = json!({"email": "intruder@example.com", "password": PASSWORD});
    let (status, body) = call(&app, "POST", "/api/v1/auth/setup", None, &again).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already_set_up"));
    // Neither the password nor its hash is in the event log.
    let events = serde_json::to_string(&app.events().await).unwrap();
    assert!(!events.contains(PASSWORD));
    assert!(!events.contains("argon2"));
    let pool = app.db.pool().await;
    let stored: Vec<String> = sqlx::query_scalar("select password_hash from user_credentials")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(stored.len(), 1, "the refused registration left no password");
    assert!(stored[0].starts_with("$argon2id$"));
}

#[tokio::test]
async fn sign_in_fails_alike_for_unknown_emails_and_wrong_passwords_and_slows_guessing() {
    let app = TestApp::spawn().await;
    create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
    let attempt = |email: &str, password: &str| json!({"email": email, "password": password});
    let (s1, unknown) = call(
        &app,
        "POST",
        "/api/v1/auth/sign-in",
        None,
        &attempt("nobody@example.com", PASSWORD),
    )
    .await;
    let (s2, wrong) = call(
        &app,
        "POST",
        "/api/v1/auth/sign-in",
        None,
        &attempt("ann@example.com", "not the password"),
    )
    .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(
        unknown, wrong,
        "the answer does not tell which emails exist"
    );
    for _ in 0..4 {
        let (status, _) = call(
            &app,
            "POST",
            "/api/v1/auth/sign-in",
            None,
            &attempt("ANN@example.com", "still wrong"),
        )
        .await;
        assert_eq!(status, 401);
    }
    // Five failures for this account: a wrong guess now makes the next one wait...
    let response = app
        .client
        .post(app.url("/api/v1/auth/sign-in"))
        .json(&attempt("ann@example.com", "wrong again"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 20);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "too_many_attempts");
    // ...and the right password still signs in.
    sign_in(&app, "ann@example.com").await;
}

#[tokio::test]
async fn signing_out_and_disabling_end_sessions_streams_and_tokens_at_once() {
    let app = TestApp::spawn().await;
    let ann = create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;

    let first = sign_in(&app, "ann@example.com").await;
    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/auth/sign-out",
        Some(&first),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = json_of(&app, "GET", "/api/v1/auth/me", &first, Value::Null).await;
    assert_eq!((status, code(&body)), (401, "invalid_token"));

    let session = sign_in(&app, "ann@example.com").await;
    let (status, created) = json_of(
        &app,
        "POST",
        "/api/v1/api-tokens",
        &session,
        json!({"name": "script", "permissions": ["conversations.view"]}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let api_token = created["token"].as_str().unwrap().to_owned();
    let (status, _) = json_of(
        &app,
        "GET",
        "/api/v1/conversations",
        &api_token,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let mut stream = SseClient::connect_as(&app, &session, None).await;

    let (status, body) = json_of(
        &app,
        "PUT",
        &format!("/api/v1/users/{ann}/status"),
        API_TOKEN,
        json!({"active": false}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["active"], false);
    assert!(stream.next_or_end().await.is_none(), "the stream ends");
    let (status, _) = json_of(&app, "GET", "/api/v1/auth/me", &session, Value::Null).await;
    assert_eq!(status, 401);
    let (status, body) = json_of(
        &app,
        "GET",
        "/api/v1/conversations",
        &api_token,
        Value::Null,
    )
    .await;
    assert_eq!((status, code(&body)), (401, "user_disabled"));
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/auth/sign-in",
        None,
        &json!({"email": "ann@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("user_disabled"));

    // Enabled again: a new sign-in works, the old session stays ended.
    let (status, _) = json_of(
        &app,
        "PUT",
        &format!("/api/v1/users/{ann}/status"),
        API_TOKEN,
        json!({"active": true}),
    )
    .await;
    assert_eq!(status, 200);
    let again = sign_in(&app, "ann@example.com").await;
    assert_eq!(
        json_of(&app, "GET", "/api/v1/auth/me", &again, Value::Null)
            .await
            .0,
        200
    );
    assert_eq!(
        json_of(&app, "GET", "/api/v1/auth/me", &session, Value::Null)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn roles_scoped_grants_and_overrides_decide_what_a_user_may_do_and_record_who_changed_them() {
    let app = TestApp::spawn().await;
    two_accounts(&app).await;
    let admin = create_user(&app, "admin@example.com", json!([{"role": "admin"}])).await;
    let admin_token = sign_in(&app, "admin@example.com").await;
    let bea = create_user(&app, "bea@example.com", json!([])).await;
    let bea_token = sign_in(&app, "bea@example.com").await;

    let (status, role) = json_of(
        &app,
        "POST",
        "/api/v1/roles",
        &admin_token,
        json!({"name": "reader", "permissions": ["conversations.view", "messages.view", "accounts.view"]}),
    )
    .await;
    assert_eq!(status, 201, "{role}");
    let (status, body) = json_of(
        &app,
        "POST",
        "/api/v1/roles",
        &admin_token,
        json!({"name": "reader", "permissions": ["messages.view"]}),
    )
    .await;
    assert_eq!((status, code(&body)), (409, "role_exists"));
    let (status, body) = json_of(
        &app,
        "POST",
        "/api/v1/roles",
        &admin_token,
        json!({"name": "bad", "permissions": ["messages.delete"]}),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "unknown_permission"));

    // Reader on the other account only.
    let (status, user) = json_of(
        &app,
        "PUT",
        &format!("/api/v1/users/{bea}/roles"),
        &admin_token,
        json!({"roles": [{"role": "reader", "account": OTHER_ACCOUNT}]}),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    let (_, list) = json_of(
        &app,
        "GET",
        "/api/v1/conversations",
        &bea_token,
        Value::Null,
    )
    .await;
    let accounts: Vec<&str> = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, [OTHER_ACCOUNT]);
    let (_, me) = json_of(&app, "GET", "/api/v1/auth/me", &bea_token, Value::Null).await;
    assert_eq!(
        me["accounts"],
        json!([{"account_id": OTHER_ACCOUNT, "permissions": ["accounts.view", "conversations.view", "messages.view"]}])
    );
    assert_eq!(me["permissions"], json!([]));

    // A deny on that account takes messages away there; an allow grants audit everywhere.
    let (status, user) = json_of(
        &app,
        "PUT",
        &format!("/api/v1/users/{bea}/overrides"),
        &admin_token,
        json!({"overrides": [
            {"permission": "messages.view", "account": OTHER_ACCOUNT, "effect": "deny"},
            {"permission": "audit.view", "effect": "allow"}
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    let conversation = format!("{OTHER_ACCOUNT}-15550000002");
    let (status, _) = json_of(
        &app,
        "GET",
        &format!("/api/v1/conversations/{conversation}/messages"),
        &bea_token,
        Value::Null,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = json_of(
        &app,
        "GET",
        &format!("/api/v1/conversations/{PHONE_NUMBER_ID}-15550000001/events"),
        &bea_token,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "audit.view was allowed on every account");
    let (status, body) = json_of(
        &app,
        "PUT",
        &format!("/api/v1/users/{bea}/overrides"),
        &admin_token,
        json!({"overrides": [{"permission": "users.manage", "account": OTHER_ACCOUNT, "effect": "allow"}]}),
    )
    .await;
    assert_eq!((status, code(&body)), (422, "not_account_scoped"));

    // A role in use cannot be deleted; unassigned, it can.
    let (status, body) = json_of(
        &app,
        "DELETE",
        "/api/v1/roles/reader",
        &admin_token,
        Value::Null,
    )
    .await;
    assert_eq!((status, code(&body)), (409, "role_in_use"));
    json_of(
        &app,
        "PUT",
        &format!("/api/v1/users/{bea}/roles"),
        &admin_token,
        json!({"roles": []}),
    )
    .await;
    let (status, _) = json_of(
        &app,
        "DELETE",
        "/api/v1/roles/reader",
        &admin_token,
        Value::Null,
    )
    .await;
    assert_eq!(status, 204);

    // Every change names who made it.
    let events = identity_events(&app).await;
    let by_admin = events.iter().filter(|e| e["by"] == admin.as_str()).count();
    assert!(by_admin >= 6, "{events:#?}");
    assert!(events.iter().any(|e| e["type"] == "override_set"
        && e["user_id"] == bea.as_str()
        && e["by"] == admin.as_str()));
}

#[tokio::test]
async fn nobody_can_lock_the_install_out_of_its_administration() {
    let app = TestApp::spawn().await;
    let root = create_user(&app, "root@example.com", json!([{"role": "admin"}])).await;
    let token = sign_in(&app, "root@example.com").await;
    let (status, body) = json_of(
        &app,
        "PUT",
        &format!("/api/v1/users/{root}/status"),
        &token,
        json!({"active": false}),
    )
    .await;
    assert_eq!((status, code(&body)), (409, "cannot_disable_self"));
    let (status, body) = json_of(
        &app,
        "PUT",
        &format!("/api/v1/users/{root}/roles"),
        &token,
        json!({"roles": [{"role": "agent"}]}),
    )
    .await;
    assert_eq!((status, code(&body)), (409, "last_admin"));
    let (status, body) = json_of(
        &app,
        "PUT",
        "/api/v1/roles/admin",
        &token,
        json!({"permissions": ["messages.view"]}),
    )
    .await;
    assert_eq!((status, code(&body)), (409, "last_admin"));
    // Nothing of the refused changes was recorded.
    let (_, user) = json_of(
        &app,
        "GET",
        &format!("/api/v1/users/{root}"),
        &token,
        Value::Null,
    )
    .await;
    assert_eq!(user["roles"], json!([{"role": "admin"}]));
    assert_eq!(user["active"], true);
}

/// Two replacements of one user's roles sent at once, through two nodes sharing the database: the user
/// ends with exactly one of the two sets, never with grants of both. (Each node's identity actor may hold
/// an older state than the stream; the aggregate decides against the stream's state when it records.)
#[tokio::test]
async fn replacing_roles_at_once_on_two_nodes_leaves_one_of_the_sets_never_their_union() {
    let app = TestApp::spawn().await;
    create_user(&app, "root@example.com", json!([{"role": "admin"}])).await;
    let token = sign_in(&app, "root@example.com").await;
    let cat = create_user(&app, "cat@example.com", json!([])).await;
    let other = TestApp::spawn_on(app.db.clone(), &[]).await;
    let path = format!("/api/v1/users/{cat}/roles");
    let first = json!([{"role": "agent"}]);
    let second = json!([{"role": "supervisor", "account": OTHER_ACCOUNT}]);
    for round in 0..6 {
        let (status, body) = json_of(
            &app,
            "PUT",
            &path,
            &token,
            json!({"roles": [{"role": "viewer"}]}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (a, b) = tokio::join!(
            json_of(&app, "PUT", &path, &token, json!({"roles": first})),
            json_of(&other, "PUT", &path, &token, json!({"roles": second})),
        );
        assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
        let held = roles_in_the_log(&app, &cat).await;
        assert!(
            held == first || held == second,
            "round {round}: {held} is neither {first} nor {second}"
        );
    }
    other.stop().await.unwrap();
}

/// The roles `user_id` holds according to the identity events recorded, as grants in the API's order.
async fn roles_in_the_log(app: &TestApp, user_id: &str) -> Value {
    let mut held = std::collections::BTreeSet::new();
    for event in identity_events(app).await {
        if event["user_id"] != user_id {
            continue;
        }
        let grant = (
            event["role"].as_str().unwrap_or_default().to_owned(),
            event["account"].as_str().map(str::to_owned),
        );
        match event["type"].as_str() {
            Some("role_assigned") => held.insert(grant),
            Some("role_unassigned") => held.remove(&grant),
            _ => false,
        };
    }
    held.into_iter()
        .map(|(role, account)| match account {
            Some(account) => json!({"role": role, "account": account}),
            None => json!({"role": role}),
        })
        .collect()
}

#[tokio::test]
async fn api_tokens_are_shown_once_stored_hashed_narrowed_to_their_grant_and_revocable() {
    let app = TestApp::spawn().await;
    two_accounts(&app).await;
    create_user(&app, "sam@example.com", json!([{"role": "supervisor"}])).await;
    let session = sign_in(&app, "sam@example.com").await;
    let (status, body) = json_of(
        &app,
        "POST",
        "/api/v1/api-tokens",
        &session,
        json!({"name": "export", "permissions": ["users.manage"]}),
    )
    .await;
    assert_eq!(
        status, 403,
        "a token cannot hold what its owner lacks: {body}"
    );
    let (status, created) = json_of(
        &app,
        "POST",
        "/api/v1/api-tokens",
        &session,
        json!({"name": "export", "permissions": ["conversations.view"], "accounts": [OTHER_ACCOUNT], "expires_in_days": 7}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("inbox_pat_"));
    let id = created["api_token"]["id"].as_str().unwrap().to_owned();

    // Narrowed: conversations of the other account only, and nothing else.
    let (status, list) = json_of(&app, "GET", "/api/v1/conversations", &token, Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(list["conversations"][0]["account_id"], OTHER_ACCOUNT);
    let (status, _) = json_of(&app, "GET", "/api/v1/contacts", &token, Value::Null).await;
    assert_eq!(status, 403);
    let (status, body) = json_of(
        &app,
        "POST",
        "/api/v1/api-tokens",
        &token,
        json!({"name": "x", "permissions": ["conversations.view"]}),
    )
    .await;
    assert_eq!((status, code(&body)), (403, "user_required"));

    // Shown once: the list and the event log hold no secret.
    let (_, listed) = json_of(&app, "GET", "/api/v1/api-tokens", &session, Value::Null).await;
    assert_eq!(listed[0]["id"], id.as_str());
    assert!(!listed.to_string().contains(&token));
    assert!(!serde_json::to_string(&app.events().await)
        .unwrap()
        .contains(&token));

    let (status, _) = json_of(
        &app,
        "DELETE",
        &format!("/api/v1/api-tokens/{id}"),
        &session,
        Value::Null,
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = json_of(&app, "GET", "/api/v1/conversations", &token, Value::Null).await;
    assert_eq!((status, code(&body)), (401, "token_revoked"));
}

mod external {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};

    const SECRET: &str = "an-identity-provider-secret-of-32-bytes!";
    const ISSUER: &str = "https://project.supabase.co/auth/v1";

    fn claims(sub: &str, email: Option<&str>, audience: &str, expires_in: i64) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({"sub": sub, "email": email, "aud": audience, "iss": ISSUER, "exp": now + expires_in, "iat": now})
    }

    fn hs256(claims: &Value, secret: &str) -> String {
        encode(
            &Header::default(),
            claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn shared_secret_tokens_map_to_users_by_subject_or_email_and_are_checked_fully() {
        let app = TestApp::spawn_with(&[
            ("INBOX_IDP_HS256_SECRET", SECRET),
            ("INBOX_IDP_ISSUER", ISSUER),
            ("INBOX_IDP_AUDIENCE", "authenticated"),
        ])
        .await;
        let (status, _) = call(
            &app,
            "POST",
            "/api/v1/users",
            Some(API_TOKEN),
            &json!({"email": "sub@example.com", "external_subject": "b7c1-uuid", "roles": [{"role": "viewer"}]}),
        )
        .await;
        assert_eq!(status, 201);
        create_user(&app, "mail@example.com", json!([{"role": "agent"}])).await;

        let by_subject = hs256(&claims("b7c1-uuid", None, "authenticated", 600), SECRET);
        let (status, me) = json_of(&app, "GET", "/api/v1/auth/me", &by_subject, Value::Null).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["user"]["email"], "sub@example.com");
        assert_eq!(me["authenticated_by"], "external");
        let mut verified = claims("other-uuid", Some("MAIL@example.com"), "authenticated", 600);
        verified["email_verified"] = json!(true);
        let by_email = hs256(&verified, SECRET);
        let (status, me) = json_of(&app, "GET", "/api/v1/auth/me", &by_email, Value::Null).await;
        assert_eq!(
            (status, me["user"]["email"].as_str()),
            (200, Some("mail@example.com"))
        );

        let refused = [
            (
                hs256(&claims("b7c1-uuid", None, "authenticated", -600), SECRET),
                "token_expired",
            ),
            (
                hs256(&claims("b7c1-uuid", None, "anon", 600), SECRET),
                "invalid_token",
            ),
            (
                hs256(
                    &claims("b7c1-uuid", None, "authenticated", 600),
                    "a-different-secret-of-32-bytes-long!!",
                ),
                "invalid_token",
            ),
            (
                hs256(
                    &claims("stranger", Some("who@example.com"), "authenticated", 600),
                    SECRET,
                ),
                "unknown_user",
            ),
        ];
        for (token, expected) in refused {
            let (status, body) = json_of(&app, "GET", "/api/v1/auth/me", &token, Value::Null).await;
            assert_eq!((status, code(&body)), (401, expected), "{body}");
        }
        // An unsigned token (`alg: none`) is never accepted.
        let unsigned = {
            use base64::Engine;
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = b64.encode(claims("b7c1-uuid", None, "authenticated", 600).to_string());
            format!("{header}.{payload}.")
        };
        let (status, _) = json_of(&app, "GET", "/api/v1/auth/me", &unsigned, Value::Null).await;
        assert_eq!(status, 401);
    }

    #[tokio::test]
    async fn tokens_signed_with_published_keys_are_verified_against_the_jwks() {
        use p256::pkcs8::{EncodePrivateKey, LineEnding};
        let key = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
        let mut jwk: Value = serde_json::from_str(&key.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = json!("key-1");
        jwk["alg"] = json!("ES256");
        jwk["use"] = json!("sig");
        let jwks = json!({"keys": [jwk]});

        let served = jwks.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let route = poem::Route::new().at(
            "/.well-known/jwks.json",
            poem::get(poem::endpoint::make_sync(move |_| {
                poem::web::Json(served.clone())
            })),
        );
        tokio::spawn(poem::Server::new(poem::listener::TcpListener::bind(address)).run(route));
        let jwks_url = format!("http://{address}/.well-known/jwks.json");
        let app = TestApp::spawn_with(&[
            ("INBOX_IDP_JWKS_URL", jwks_url.as_str()),
            ("INBOX_IDP_ISSUER", ISSUER),
            ("INBOX_IDP_AUDIENCE", "inbox"),
        ])
        .await;
        create_user(&app, "kim@example.com", json!([{"role": "viewer"}])).await;

        let sign = |kid: &str, claims: &Value| {
            let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
            header.kid = Some(kid.to_owned());
            encode(
                &header,
                claims,
                &EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
            )
            .unwrap()
        };
        let mut verified = claims("kim-sub", Some("kim@example.com"), "inbox", 600);
        verified["email_verified"] = json!(true);
        let good = sign("key-1", &verified);
        let (status, me) = json_of(&app, "GET", "/api/v1/auth/me", &good, Value::Null).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["user"]["email"], "kim@example.com");
        let unknown_key = sign(
            "key-2",
            &claims("kim-sub", Some("kim@example.com"), "inbox", 600),
        );
        let (status, _) = json_of(&app, "GET", "/api/v1/auth/me", &unknown_key, Value::Null).await;
        assert_eq!(status, 401);
        // An HS256 token "signed" with the public key's text is refused (algorithm confusion).
        let confused = hs256(
            &claims("kim-sub", Some("kim@example.com"), "inbox", 600),
            &jwks.to_string(),
        );
        let (status, _) = json_of(&app, "GET", "/api/v1/auth/me", &confused, Value::Null).await;
        assert_eq!(status, 401);
    }
}
