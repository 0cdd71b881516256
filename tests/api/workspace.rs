//! Teams, labels, canned replies and agents through the HTTP API, against a real database: what is
//! saved is listed, duplicates are refused, a number's replies stay with those who may read the number,
//! and a rebuild of the view equals the live one.

use crate::access::{call, create_user, sign_in, two_accounts, OTHER_ACCOUNT};
use crate::helpers::*;
use serde_json::{json, Value};

async fn ok(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Value,
    status: u16,
) -> Value {
    let (got, text) = call(app, method, path, Some(token), &body).await;
    assert_eq!(got, status, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap().to_owned())
        .collect()
}

/// Every row of the workspace view, for comparing a rebuild with the live view.
async fn view(app: &TestApp) -> Vec<String> {
    let pool = app.db.pool().await;
    let mut all = Vec::new();
    for table in [
        "workspace_teams",
        "workspace_labels",
        "workspace_replies",
        "agent_availability",
    ] {
        let rows: Vec<Value> = sqlx::query_scalar(&format!(
            "select to_jsonb(t) from {table} t order by 1::text"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        all.extend(rows.iter().map(|r| format!("{table} {r}")));
    }
    pool.close().await;
    all.sort();
    all
}

#[tokio::test]
async fn teams_and_labels_are_created_renamed_and_deleted_and_duplicates_are_refused() {
    let app = TestApp::spawn().await;
    let ann = create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
    let t = API_TOKEN;

    let sales = ok(
        &app,
        "POST",
        "/api/v1/teams",
        t,
        json!({"name": "Sales", "members": [ann, ann], "accounts": [PHONE_NUMBER_ID]}),
        201,
    )
    .await;
    assert_eq!(sales["members"], json!([ann]));
    let id = sales["id"].as_str().unwrap().to_owned();
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/teams",
        Some(t),
        &json!({"name": "sales"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("team_name_taken"), "{body}");
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/teams",
        Some(t),
        &json!({"name": "Ghosts", "members": ["nobody"]}),
    )
    .await;
    assert_eq!(
        (status, body.contains("unknown_member")),
        (400, true),
        "{body}"
    );
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/teams",
        Some(t),
        &json!({"name": "  "}),
    )
    .await;
    assert_eq!(
        (status, body.contains("invalid_name")),
        (400, true),
        "{body}"
    );

    ok(
        &app,
        "PUT",
        &format!("/api/v1/teams/{id}"),
        t,
        json!({"name": "Sales EU", "members": [ann]}),
        200,
    )
    .await;
    let teams = ok(&app, "GET", "/api/v1/teams", t, Value::Null, 200).await;
    assert_eq!(names(&teams, "name"), ["Sales EU"]);
    assert_eq!(teams[0]["accounts"], json!([]));
    let agents = ok(&app, "GET", "/api/v1/agents", t, Value::Null, 200).await;
    let a = agents
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == ann.as_str())
        .unwrap();
    assert_eq!(a["teams"][0]["name"], "Sales EU");
    ok(
        &app,
        "DELETE",
        &format!("/api/v1/teams/{id}"),
        t,
        Value::Null,
        204,
    )
    .await;
    let (status, body) = call(
        &app,
        "DELETE",
        &format!("/api/v1/teams/{id}"),
        Some(t),
        &Value::Null,
    )
    .await;
    assert_eq!(
        (status, body.contains("unknown_team")),
        (404, true),
        "{body}"
    );
    let (status, _) = call(
        &app,
        "PUT",
        &format!("/api/v1/teams/{id}"),
        Some(t),
        &json!({"name": "Back"}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        ok(&app, "GET", "/api/v1/teams", t, Value::Null, 200).await,
        json!([])
    );

    let vip = ok(
        &app,
        "POST",
        "/api/v1/labels",
        t,
        json!({"name": "VIP", "colour": "#FF0000"}),
        201,
    )
    .await;
    assert_eq!(vip["colour"], "#ff0000");
    let vip_id = vip["id"].as_str().unwrap().to_owned();
    ok(
        &app,
        "POST",
        "/api/v1/labels",
        t,
        json!({"name": "Spam", "colour": "#000000"}),
        201,
    )
    .await;
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/labels",
        Some(t),
        &json!({"name": "vip", "colour": "#00ff00"}),
    )
    .await;
    assert_eq!(
        (status, body.contains("label_name_taken")),
        (409, true),
        "{body}"
    );
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/labels",
        Some(t),
        &json!({"name": "Red", "colour": "red"}),
    )
    .await;
    assert_eq!(
        (status, body.contains("invalid_colour")),
        (400, true),
        "{body}"
    );
    ok(
        &app,
        "PUT",
        &format!("/api/v1/labels/{vip_id}"),
        t,
        json!({"name": "Gold", "colour": "#ffd700"}),
        200,
    )
    .await;
    let labels = ok(&app, "GET", "/api/v1/labels", t, Value::Null, 200).await;
    assert_eq!(names(&labels, "name"), ["Gold", "Spam"]);
    ok(
        &app,
        "DELETE",
        &format!("/api/v1/labels/{vip_id}"),
        t,
        Value::Null,
        204,
    )
    .await;
    let labels = ok(&app, "GET", "/api/v1/labels", t, Value::Null, 200).await;
    assert_eq!(names(&labels, "name"), ["Spam"]);
    let (status, _) = call(
        &app,
        "DELETE",
        "/api/v1/labels/not-a-uuid",
        Some(t),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 404);

    // A rebuild of the view reproduces what was maintained live.
    app.settled().await;
    let live = view(&app).await;
    assert!(!live.is_empty());
    let pool = app.db.pool().await;
    inbox::audit::rebuild(&pool, &["workspace".to_owned()], false)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(view(&app).await, live);
}

#[tokio::test]
async fn a_reply_of_a_number_is_listed_only_to_those_who_may_read_that_number() {
    let app = TestApp::spawn().await;
    two_accounts(&app).await;
    create_user(
        &app,
        "b@example.com",
        json!([{"role": "agent", "account": OTHER_ACCOUNT}]),
    )
    .await;
    let b = sign_in(&app, "b@example.com").await;
    let t = API_TOKEN;

    ok(
        &app,
        "POST",
        "/api/v1/replies",
        t,
        json!({"shortcut": "hours", "text": "We open at 9, {{contact_name}}."}),
        201,
    )
    .await;
    let on_a = ok(
        &app,
        "POST",
        "/api/v1/replies",
        t,
        json!({"shortcut": "price", "text": "Prices of A", "account": PHONE_NUMBER_ID}),
        201,
    )
    .await;
    ok(
        &app,
        "POST",
        "/api/v1/replies",
        t,
        json!({"shortcut": "price", "text": "Prices of B", "account": OTHER_ACCOUNT}),
        201,
    )
    .await;
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/replies",
        Some(t),
        &json!({"shortcut": "price", "text": "again", "account": PHONE_NUMBER_ID}),
    )
    .await;
    assert_eq!(
        (status, body.contains("shortcut_taken")),
        (409, true),
        "{body}"
    );
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/replies",
        Some(t),
        &json!({"shortcut": "Bad Shortcut", "text": "x"}),
    )
    .await;
    assert_eq!(
        (status, body.contains("invalid_shortcut")),
        (400, true),
        "{body}"
    );
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/replies",
        Some(t),
        &json!({"shortcut": "empty", "text": ""}),
    )
    .await;
    assert_eq!(
        (status, body.contains("invalid_reply_text")),
        (400, true),
        "{body}"
    );

    let all = ok(&app, "GET", "/api/v1/replies", t, Value::Null, 200).await;
    assert_eq!(
        names(&all, "text"),
        [
            "We open at 9, {{contact_name}}.",
            "Prices of A",
            "Prices of B"
        ]
    );
    let only_b = ok(&app, "GET", "/api/v1/replies", &b, Value::Null, 200).await;
    assert_eq!(
        names(&only_b, "text"),
        ["We open at 9, {{contact_name}}.", "Prices of B"]
    );
    assert!(!only_b.to_string().contains(PHONE_NUMBER_ID));
    // Narrowed to a number, and searched by shortcut or text.
    let on = ok(
        &app,
        "GET",
        &format!("/api/v1/replies?account={PHONE_NUMBER_ID}"),
        t,
        Value::Null,
        200,
    )
    .await;
    assert_eq!(
        names(&on, "text"),
        ["We open at 9, {{contact_name}}.", "Prices of A"]
    );
    let found = ok(&app, "GET", "/api/v1/replies?q=OPEN", &b, Value::Null, 200).await;
    assert_eq!(names(&found, "shortcut"), ["hours"]);
    let found = ok(&app, "GET", "/api/v1/replies?q=pri", &b, Value::Null, 200).await;
    assert_eq!(names(&found, "text"), ["Prices of B"]);

    // The other number's agent may not manage replies (no replies.manage): refused.
    let id = on_a["id"].as_str().unwrap();
    let (status, _) = call(
        &app,
        "DELETE",
        &format!("/api/v1/replies/{id}"),
        Some(&b),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 403);
    ok(
        &app,
        "PUT",
        &format!("/api/v1/replies/{id}"),
        t,
        json!({"shortcut": "prices", "text": "New prices of A", "account": PHONE_NUMBER_ID}),
        200,
    )
    .await;
    ok(
        &app,
        "DELETE",
        &format!("/api/v1/replies/{id}"),
        t,
        Value::Null,
        204,
    )
    .await;
    let (status, body) = call(
        &app,
        "DELETE",
        &format!("/api/v1/replies/{id}"),
        Some(t),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let all = ok(&app, "GET", "/api/v1/replies", t, Value::Null, 200).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_agent_sets_their_availability_and_it_shows_in_the_agents_list() {
    let app = TestApp::spawn().await;
    let ann = create_user(&app, "ann@example.com", json!([{"role": "agent"}])).await;
    let token = sign_in(&app, "ann@example.com").await;
    let available = |agents: &Value| {
        agents
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == ann.as_str())
            .unwrap()["available"]
            .clone()
    };
    let agents = ok(&app, "GET", "/api/v1/agents", &token, Value::Null, 200).await;
    assert_eq!(
        available(&agents),
        json!(false),
        "a user who never said is away"
    );
    ok(
        &app,
        "PUT",
        "/api/v1/me/availability",
        &token,
        json!({"available": true}),
        200,
    )
    .await;
    let agents = ok(&app, "GET", "/api/v1/agents", &token, Value::Null, 200).await;
    assert_eq!(available(&agents), json!(true));
    ok(
        &app,
        "PUT",
        "/api/v1/me/availability",
        &token,
        json!({"available": false}),
        200,
    )
    .await;
    let agents = ok(&app, "GET", "/api/v1/agents", &token, Value::Null, 200).await;
    assert_eq!(available(&agents), json!(false));
    let (status, _) = call(
        &app,
        "PUT",
        "/api/v1/me/availability",
        Some(&token),
        &json!({"available": "yes"}),
    )
    .await;
    assert_eq!(status, 400);
}
