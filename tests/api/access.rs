//! Every route of the OpenAPI spec, called as every kind of caller: the exact status, and no data of an
//! account the caller may not see in any answer or live event.

use crate::helpers::*;
use crate::live::SseClient;
use inbox::api::permissions::{Need, ROUTES};
use reqwest::Method;
use serde_json::{json, Value};

/// The second WhatsApp account; the first is `PHONE_NUMBER_ID`.
pub(crate) const OTHER_ACCOUNT: &str = "2233445566778";
const ALICE: &str = "15550000001";
const BOB: &str = "15550000002";
/// Text and a name that exist only on the first account.
const SECRET_TEXT: &str = "secret-text-of-account-a";
const SECRET_NAME: &str = "Alice Onlyona";
pub(crate) const PASSWORD: &str = "a long enough passphrase";

/// The callers, in the order each route is tried (the admin last: its calls may change things).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    NoToken,
    BadToken,
    ExpiredToken,
    DisabledUser,
    WithoutPermission,
    OtherAccount,
    Admin,
}

const EVERYONE: [Who; 7] = [
    Who::NoToken,
    Who::BadToken,
    Who::ExpiredToken,
    Who::DisabledUser,
    Who::WithoutPermission,
    Who::OtherAccount,
    Who::Admin,
];

/// What one route is called with, and the status each signed-in caller must get: the admin, the user
/// with every permission but only on the other account, and the user with no role at all.
struct Case {
    method: &'static str,
    path: &'static str,
    body: Value,
    admin: u16,
    other_account: u16,
    without_permission: u16,
}

fn case(
    method: &'static str,
    path: &'static str,
    body: Value,
    [admin, other_account, without_permission]: [u16; 3],
) -> Case {
    Case {
        method,
        path,
        body,
        admin,
        other_account,
        without_permission,
    }
}

/// One entry per operation of the spec; the test fails for an operation missing here.
fn cases() -> Vec<Case> {
    let none = Value::Null;
    let signed_in = |method, path, body, status| case(method, path, body, [status; 3]);
    vec![
        case("GET", "/api/v1/auth/setup", none.clone(), [200; 3]),
        case(
            "POST",
            "/api/v1/auth/setup",
            json!({"email": "late@example.com", "password": PASSWORD}),
            [409; 3],
        ),
        case(
            "POST",
            "/api/v1/auth/sign-in",
            json!({"email": "target@example.com", "password": PASSWORD}),
            [200; 3],
        ),
        signed_in("GET", "/api/v1/auth/me", none.clone(), 200),
        signed_in(
            "PUT",
            "/api/v1/auth/password",
            json!({"current_password": PASSWORD, "new_password": PASSWORD}),
            204,
        ),
        signed_in("GET", "/api/v1/permissions", none.clone(), 200),
        signed_in("GET", "/api/v1/limits", none.clone(), 200),
        signed_in("GET", "/api/v1/api-tokens", none.clone(), 200),
        case(
            "POST",
            "/api/v1/api-tokens",
            json!({"name": "ci", "permissions": ["conversations.view"]}),
            [201, 201, 403],
        ),
        case(
            "DELETE",
            "/api/v1/api-tokens/{id}",
            none.clone(),
            [204, 404, 404],
        ),
        case("GET", "/api/v1/roles", none.clone(), [200, 403, 403]),
        case(
            "POST",
            "/api/v1/roles",
            json!({"name": "night-shift", "permissions": ["messages.view"]}),
            [201, 403, 403],
        ),
        case(
            "PUT",
            "/api/v1/roles/{name}",
            json!({"permissions": ["messages.view", "messages.send"]}),
            [200, 403, 403],
        ),
        case(
            "DELETE",
            "/api/v1/roles/{name}",
            none.clone(),
            [204, 403, 403],
        ),
        case("GET", "/api/v1/users", none.clone(), [200, 403, 403]),
        case(
            "POST",
            "/api/v1/users",
            json!({"email": "new@example.com", "password": PASSWORD}),
            [201, 403, 403],
        ),
        case("GET", "/api/v1/users/{id}", none.clone(), [200, 403, 403]),
        case(
            "PUT",
            "/api/v1/users/{id}/status",
            json!({"active": true}),
            [200, 403, 403],
        ),
        case(
            "PUT",
            "/api/v1/users/{id}/roles",
            json!({"roles": [{"role": "viewer"}]}),
            [200, 403, 403],
        ),
        case(
            "PUT",
            "/api/v1/users/{id}/overrides",
            json!({"overrides": [{"permission": "audit.view", "effect": "allow"}]}),
            [200, 403, 403],
        ),
        case(
            "GET",
            "/api/v1/conversations",
            none.clone(),
            [200, 200, 403],
        ),
        // The first account has no access token: a first message to a new number is accepted by the
        // rules, refused by the number; the other account's user does not see the first account.
        case(
            "POST",
            "/api/v1/conversations",
            json!({"account_id": PHONE_NUMBER_ID, "to": "+44 7700 900999",
                   "content": {"kind": "template", "name": "hello_world", "language": "en_US"}}),
            [409, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/conversations/{id}",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/conversations/{id}/messages",
            none.clone(),
            [200, 404, 403],
        ),
        // The first account has no access token: accepted by the rules, refused by the number.
        case(
            "POST",
            "/api/v1/conversations/{id}/messages",
            json!({"content": {"kind": "text", "body": "hi"}}),
            [409, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/conversations/{id}/read",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "PUT",
            "/api/v1/conversations/{id}/{setting}",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "DELETE",
            "/api/v1/conversations/{id}/{setting}",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/conversations/{id}/events",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "PUT",
            "/api/v1/conversations/{id}/status",
            json!({"status": "pending"}),
            [200, 404, 403],
        ),
        case(
            "PUT",
            "/api/v1/conversations/{id}/assignee",
            json!({"agent": null}),
            [200, 404, 403],
        ),
        // No label of that id exists: refused for the admin, not found for the other account's user.
        case(
            "PUT",
            "/api/v1/conversations/{id}/labels/{label}",
            none.clone(),
            [422, 404, 403],
        ),
        case(
            "DELETE",
            "/api/v1/conversations/{id}/labels/{label}",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/conversations/{id}/notes",
            json!({"text": "a note of the team"}),
            [201, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/conversation-counts",
            none.clone(),
            [200, 200, 403],
        ),
        case("GET", "/api/v1/accounts", none.clone(), [200, 200, 403]),
        case(
            "GET",
            "/api/v1/accounts/{id}",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/accounts",
            json!({"phone_number_id": "3344556677889", "name": "Third"}),
            [201, 403, 403],
        ),
        case(
            "PATCH",
            "/api/v1/accounts/{id}",
            json!({"name": "Shop"}),
            [200, 404, 403],
        ),
        case("GET", "/api/v1/contacts", none.clone(), [200, 200, 403]),
        case("GET", "/api/v1/listings", none.clone(), [200, 200, 403]),
        case(
            "GET",
            "/api/v1/listings/stats",
            none.clone(),
            [200, 200, 403],
        ),
        case("GET", "/api/v1/search", none.clone(), [200, 200, 403]),
        // No model is configured: asking is refused with the reason, once the caller may ask.
        case(
            "POST",
            "/api/v1/search/answer",
            json!({"q": "who wanted a Nautilus?"}),
            [400, 400, 403],
        ),
        // Without the listing it is asked about: refused as malformed, once the caller may ask.
        case(
            "GET",
            "/api/v1/listings/matches",
            none.clone(),
            [400, 400, 403],
        ),
        case(
            "GET",
            "/api/v1/contacts/{id}",
            none.clone(),
            [200, 404, 403],
        ),
        case("POST", "/api/v1/media", none.clone(), [201, 201, 403]),
        case("GET", "/api/v1/media/{id}", none.clone(), [200, 404, 403]),
        case(
            "GET",
            "/api/v1/media/{id}/info",
            none.clone(),
            [200, 404, 403],
        ),
        // Managing the number through Meta: the first account has no access token (409).
        case(
            "GET",
            "/api/v1/accounts/{id}/phone-number",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/phone-numbers",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/accounts/{id}/register",
            json!({"pin": "123456"}),
            [409, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/accounts/{id}/deregister",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/accounts/{id}/verification-code",
            json!({"method": "SMS", "language": "en"}),
            [409, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/accounts/{id}/verification-code/verify",
            json!({"code": "123456"}),
            [409, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/profile",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "PATCH",
            "/api/v1/accounts/{id}/profile",
            json!({"about": "Watches"}),
            [409, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/templates",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/accounts/{id}/templates",
            json!({"name": "hello", "language": "en", "category": "UTILITY", "components": [{"type": "BODY", "text": "Hello"}]}),
            [409, 404, 403],
        ),
        case(
            "DELETE",
            "/api/v1/accounts/{id}/templates/{name}",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/subscription",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "PUT",
            "/api/v1/accounts/{id}/subscription",
            json!({}),
            [409, 404, 403],
        ),
        case(
            "DELETE",
            "/api/v1/accounts/{id}/subscription",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/business-account",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/token",
            none.clone(),
            [409, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/bot",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "PUT",
            "/api/v1/accounts/{id}/bot",
            json!({"settings": crate::bot::settings_with(json!({"playbook": {"faq": "Open 9-18."}}))}),
            [200, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/bot/preview",
            none.clone(),
            [200, 404, 403],
        ),
        // No model is configured: "try it" says the bot would hand over.
        case(
            "POST",
            "/api/v1/accounts/{id}/bot/try",
            json!({"message": "Are you open on Sunday?"}),
            [200, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/bot/qa",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/accounts/{id}/bot/qa",
            json!({"question": "Do you ship?", "answer": "Yes, in 2 days."}),
            [201, 404, 403],
        ),
        // No such entry: refused as if it did not exist, once the caller may ask.
        case(
            "PUT",
            "/api/v1/accounts/{id}/bot/qa/{qa_id}",
            json!({"question": "Do you ship?", "answer": "Yes."}),
            [404, 404, 403],
        ),
        case(
            "DELETE",
            "/api/v1/accounts/{id}/bot/qa/{qa_id}",
            none.clone(),
            [404, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/accounts/{id}/bot/qa-suggestions",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "GET",
            "/api/v1/conversations/{id}/bot",
            none.clone(),
            [200, 404, 403],
        ),
        case(
            "PUT",
            "/api/v1/conversations/{id}/bot",
            json!({"enabled": false}),
            [200, 404, 403],
        ),
        case("GET", "/api/v1/stream", none.clone(), [200, 200, 403]),
        // Teams and labels are install-wide: the other account's user may read but not change them.
        case("GET", "/api/v1/teams", none.clone(), [200, 200, 403]),
        case(
            "POST",
            "/api/v1/teams",
            json!({"name": "Matrix team"}),
            [201, 403, 403],
        ),
        // No such team (the path names no uuid): not found, once the caller may ask.
        case(
            "PUT",
            "/api/v1/teams/{id}",
            json!({"name": "Renamed"}),
            [404, 403, 403],
        ),
        case(
            "DELETE",
            "/api/v1/teams/{id}",
            none.clone(),
            [404, 403, 403],
        ),
        case("GET", "/api/v1/labels", none.clone(), [200, 200, 403]),
        case(
            "POST",
            "/api/v1/labels",
            json!({"name": "Matrix", "colour": "#123456"}),
            [201, 403, 403],
        ),
        case(
            "PUT",
            "/api/v1/labels/{id}",
            json!({"name": "Renamed", "colour": "#654321"}),
            [404, 403, 403],
        ),
        case(
            "DELETE",
            "/api/v1/labels/{id}",
            none.clone(),
            [404, 403, 403],
        ),
        // A reply of the first number: the other account's user manages replies of theirs only.
        case(
            "POST",
            "/api/v1/replies",
            json!({"shortcut": "matrix", "text": "Hello {{contact_name}}", "account": PHONE_NUMBER_ID}),
            [201, 403, 403],
        ),
        // After the reply above: the other account's user is not shown it.
        case("GET", "/api/v1/replies", none.clone(), [200, 200, 403]),
        case(
            "PUT",
            "/api/v1/replies/{id}",
            json!({"shortcut": "matrix", "text": "Hi"}),
            [404, 404, 403],
        ),
        case(
            "DELETE",
            "/api/v1/replies/{id}",
            none.clone(),
            [404, 404, 403],
        ),
        case("GET", "/api/v1/agents", none.clone(), [200, 200, 403]),
        case(
            "GET",
            "/api/v1/reports/summary",
            none.clone(),
            [200, 200, 403],
        ),
        case(
            "GET",
            "/api/v1/reports/volume",
            none.clone(),
            [200, 200, 403],
        ),
        case(
            "GET",
            "/api/v1/reports/agents",
            none.clone(),
            [200, 200, 403],
        ),
        case(
            "GET",
            "/api/v1/reports/accounts",
            none.clone(),
            [200, 200, 403],
        ),
        case(
            "GET",
            "/api/v1/reports/labels",
            none.clone(),
            [200, 200, 403],
        ),
        case(
            "GET",
            "/api/v1/reports/{report}/csv",
            none.clone(),
            [200, 200, 403],
        ),
        signed_in(
            "PUT",
            "/api/v1/me/availability",
            json!({"available": true}),
            200,
        ),
        // Last: it ends the session it is called with.
        signed_in("POST", "/api/v1/auth/sign-out", none, 204),
    ]
}

/// Ids the paths are filled with: resources of the first account, and users and tokens.
struct Ids {
    conversation: String,
    contact: String,
    media: String,
    user: String,
    admin_token: String,
}

impl Ids {
    fn fill(&self, template: &str) -> String {
        let id = match template {
            t if t.starts_with("/api/v1/conversations/") => &self.conversation,
            t if t.starts_with("/api/v1/contacts/") => &self.contact,
            t if t.starts_with("/api/v1/media/") => &self.media,
            t if t.starts_with("/api/v1/users/") => &self.user,
            t if t.starts_with("/api/v1/api-tokens/") => &self.admin_token,
            _ => PHONE_NUMBER_ID,
        };
        let name = match template {
            t if t.starts_with("/api/v1/roles/") => "night-shift",
            _ => "hello",
        };
        template
            .replace("{id}", id)
            .replace("{setting}", "favourite")
            .replace("{label}", "7d7e2c52-0000-4000-8000-000000000000")
            .replace("{report}", "accounts")
            .replace("{name}", name)
    }
}

pub(crate) async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, String) {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if path == "/api/v1/media" {
        let part = reqwest::multipart::Part::bytes(b"%PDF-1.4 matrix".to_vec())
            .file_name("m.pdf")
            .mime_str("application/pdf")
            .unwrap();
        request = request.multipart(reqwest::multipart::Form::new().part("file", part));
    } else if !body.is_null() {
        request = request.json(body);
    }
    if path == "/api/v1/stream" {
        // The stream never ends by itself: the status and headers are the answer.
        let response = request.send().await.unwrap();
        return (response.status().as_u16(), String::new());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

pub(crate) async fn sign_in(app: &TestApp, email: &str) -> String {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/auth/sign-in",
        None,
        &json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "sign-in of {email}: {body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// Creates a user with the operator token; returns their id.
pub(crate) async fn create_user(app: &TestApp, email: &str, roles: Value) -> String {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/users",
        Some(API_TOKEN),
        &json!({"email": email, "password": PASSWORD, "roles": roles}),
    )
    .await;
    assert_eq!(status, 201, "creating {email}: {body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    body["id"].as_str().unwrap().to_owned()
}

/// Conversations on both accounts (the same app secret signs both, for now). The second number is
/// registered first: webhooks for a number not registered here are kept raw, not routed.
pub(crate) async fn two_accounts(app: &TestApp) {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/accounts",
        Some(API_TOKEN),
        &json!({"phone_number_id": OTHER_ACCOUNT, "name": "Second", "app_secret": APP_SECRET}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let body = |account: &str, from: &str, name: &str, wamid: &str, text: &str| {
        serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550001111", "phone_number_id": account},
                "contacts": [{"wa_id": from, "profile": {"name": name}}],
                "messages": [{"from": from, "id": wamid, "timestamp": "1700000000", "type": "text",
                              "text": {"body": text}}]
            }}]}]
        }))
        .unwrap()
    };
    let a = body(PHONE_NUMBER_ID, ALICE, SECRET_NAME, "wamid.A1", SECRET_TEXT);
    assert_eq!(app.post_signed(&a).await.status(), 200);
    let b = body(OTHER_ACCOUNT, BOB, "Bob", "wamid.B1", "hello from b");
    assert_eq!(app.post_signed(&b).await.status(), 200);
    app.settled().await;
}

#[tokio::test]
async fn every_route_answers_every_kind_of_caller_exactly_and_shows_nothing_of_other_accounts() {
    let app = TestApp::spawn().await;
    two_accounts(&app).await;

    create_user(&app, "admin@example.com", json!([{"role": "admin"}])).await;
    let other = create_user(
        &app,
        "other@example.com",
        json!([{"role": "admin", "account": OTHER_ACCOUNT}]),
    )
    .await;
    create_user(&app, "plain@example.com", json!([])).await;
    let disabled = create_user(&app, "gone@example.com", json!([{"role": "admin"}])).await;
    let target = create_user(&app, "target@example.com", json!([{"role": "agent"}])).await;
    let tokens = [
        sign_in(&app, "admin@example.com").await,
        sign_in(&app, "other@example.com").await,
        sign_in(&app, "plain@example.com").await,
        sign_in(&app, "gone@example.com").await,
        sign_in(&app, "target@example.com").await,
    ];
    let [admin, other_token, plain, gone, expired] = tokens;
    // A session past its expiry.
    let pool = app.db.pool().await;
    sqlx::query(
        "update auth_sessions set expires_at = now() - interval '1 minute' where token_hash = $1",
    )
    .bind(inbox::auth::hash_secret(&expired))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let (status, _) = call(
        &app,
        "PUT",
        &format!("/api/v1/users/{disabled}/status"),
        Some(&admin),
        &json!({"active": false}),
    )
    .await;
    assert_eq!(status, 200);

    // A file only the admin uploaded (the route's own uploads below are other bytes), and the admin's
    // API token.
    let part = reqwest::multipart::Part::bytes(b"%PDF-1.4 the admin's own".to_vec())
        .file_name("own.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let response = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(&admin)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let media: Value = response.json().await.unwrap();
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/api-tokens",
        Some(&admin),
        &json!({"name": "probe", "permissions": ["conversations.view"]}),
    )
    .await;
    assert_eq!(status, 201);
    let admin_token: Value = serde_json::from_str(&body).unwrap();
    let ids = Ids {
        conversation: format!("{PHONE_NUMBER_ID}-{ALICE}"),
        contact: ALICE.to_owned(),
        media: media["id"].as_str().unwrap().to_owned(),
        user: target,
        admin_token: admin_token["api_token"]["id"].as_str().unwrap().to_owned(),
    };

    let spec: Value = reqwest::get(app.url("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cases = cases();
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    for (method, path) in &operations {
        assert!(
            cases.iter().any(|c| c.method == method && c.path == path),
            "{method} {path} has no case in this test"
        );
    }
    for case in &cases {
        assert!(
            operations
                .iter()
                .any(|(m, p)| m == case.method && p == case.path),
            "{} {} is not an operation of the spec",
            case.method,
            case.path
        );
    }

    for case in &cases {
        let need = ROUTES
            .iter()
            .find(|(m, p, _)| *m == case.method && *p == case.path)
            .map(|(_, _, need)| *need)
            .unwrap_or_else(|| panic!("{} {} declares no need", case.method, case.path));
        // The expectations agree with the declaration.
        if let Need::Permission(p) = need {
            assert_eq!(
                case.without_permission, 403,
                "{} {}",
                case.method, case.path
            );
            if !p.is_account_scoped() {
                assert_eq!(case.other_account, 403, "{} {}", case.method, case.path);
            }
        }
        let path = ids.fill(case.path);
        for who in EVERYONE {
            let token = match who {
                Who::NoToken => None,
                Who::BadToken => Some(
                    "inbox_ses_0000000000000000000000000000000000000000000000000000000000000000",
                ),
                Who::ExpiredToken => Some(expired.as_str()),
                Who::DisabledUser => Some(gone.as_str()),
                Who::WithoutPermission => Some(plain.as_str()),
                Who::OtherAccount => Some(other_token.as_str()),
                Who::Admin => Some(admin.as_str()),
            };
            let expected = match (who, need) {
                (Who::Admin, _) => case.admin,
                (Who::OtherAccount, _) => case.other_account,
                (Who::WithoutPermission, _) => case.without_permission,
                (_, Need::Public) => case.admin,
                _ => 401,
            };
            let (status, body) = call(&app, case.method, &path, token, &case.body).await;
            assert_eq!(
                status, expected,
                "{} {path} as {who:?}: {body}",
                case.method
            );
            if who != Who::Admin {
                for secret in [SECRET_TEXT, SECRET_NAME] {
                    assert!(
                        !body.contains(secret),
                        "{} {path} as {who:?} shows {secret}: {body}",
                        case.method
                    );
                }
            }
            if who == Who::OtherAccount && (200..300).contains(&status) {
                for foreign in [PHONE_NUMBER_ID, ALICE] {
                    assert!(
                        !body.contains(foreign),
                        "{} {path} as the other account's user shows {foreign}: {body}",
                        case.method
                    );
                }
            }
        }
    }
    let _ = other;
}

#[tokio::test]
async fn the_live_stream_shows_a_user_only_the_accounts_they_may_see() {
    let app = TestApp::spawn().await;
    create_user(
        &app,
        "other@example.com",
        json!([{"role": "agent", "account": OTHER_ACCOUNT}]),
    )
    .await;
    let token = sign_in(&app, "other@example.com").await;
    let mut own = SseClient::connect_as(&app, &token, Some("0")).await;
    let mut operator = SseClient::connect_as(&app, API_TOKEN, Some("0")).await;
    two_accounts(&app).await;

    // The operator sees both accounts; the first account's events come first in the log.
    let mut operator_accounts = Vec::new();
    while !operator_accounts.contains(&OTHER_ACCOUNT.to_owned()) {
        let event = operator.next().await;
        operator_accounts.push(event.data["account_id"].as_str().unwrap().to_owned());
    }
    assert!(operator_accounts.contains(&PHONE_NUMBER_ID.to_owned()));
    // The scoped user's first events are already the other account's.
    for _ in 0..2 {
        let event = own.next().await;
        assert_eq!(event.data["account_id"], OTHER_ACCOUNT, "{:?}", event);
        assert!(!event.data.to_string().contains(ALICE));
    }
}
