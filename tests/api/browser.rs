//! What the browser gets: a session cookie no script can read, protected against cross-site requests,
//! and the built app served at `/`.

use crate::helpers::TestApp;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

/// The `Set-Cookie` of a response, which must be there.
fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// `inbox_session=…` from a `Set-Cookie` value, as a browser sends it back.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_browser_session_lives_in_an_http_only_cookie_and_only_the_inbox_own_pages_may_use_it() {
    let app = TestApp::spawn().await;
    let origin = app.url("");

    // A new install says it needs its first admin.
    assert_eq!(setup_state(&app).await, json!({ "needed": true }));

    // Given the first admin set up from a browser
    let response = app
        .client
        .post(app.url("/api/v1/auth/setup"))
        .json(&json!({ "email": "ada@example.com", "password": PASSWORD, "name": "Ada", "cookie": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let cookie = set_cookie(&response);
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let body: Value = response.json().await.unwrap();
    assert!(
        body.get("token").is_none_or(Value::is_null),
        "the token stays out of reach of scripts: {body}"
    );
    assert_eq!(body["user"]["email"], "ada@example.com");
    let cookie = cookie_pair(&cookie);

    assert_eq!(setup_state(&app).await, json!({ "needed": false }));

    // The cookie alone authenticates reads.
    let me = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["authenticated_by"], "session");
    assert_eq!(me["user"]["email"], "ada@example.com");

    // A state-changing call with the cookie from another site, or from nowhere said, is refused.
    for origin_header in [Some("http://evil.example"), Some("null"), None] {
        let mut request = app
            .client
            .post(app.url("/api/v1/auth/sign-out"))
            .header("cookie", &cookie);
        if let Some(o) = origin_header {
            request = request.header("origin", o);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403, "{origin_header:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_site_request");
    }

    // From the inbox's own page, sign-out ends the session and clears the cookie.
    let response = app
        .client
        .post(app.url("/api/v1/auth/sign-out"))
        .header("cookie", &cookie)
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(set_cookie(&response).starts_with("inbox_session=; Path=/; Max-Age=0"));
    let after = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);

    // API clients keep their bearer tokens: signing in without `cookie` answers the token, no cookie.
    let response = app
        .client
        .post(app.url("/api/v1/auth/sign-in"))
        .json(&json!({ "email": "ada@example.com", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("set-cookie").is_none());
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().expect("a bearer token");
    let me = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn behind_a_trusted_proxy_that_terminates_tls_the_cookie_is_secure() {
    let app = TestApp::spawn_with(&[("INBOX_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let setup = json!({ "email": "ada@example.com", "password": PASSWORD, "cookie": true });
    let response = app
        .client
        .post(app.url("/api/v1/auth/setup"))
        .header("x-forwarded-proto", "https")
        .json(&setup)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert!(set_cookie(&response).ends_with("; Secure"));
    app.stop().await.unwrap();
}

#[tokio::test]
async fn the_built_app_is_served_at_the_root_with_its_routes_and_cached_assets() {
    let web = tempfile::tempdir().unwrap();
    std::fs::create_dir(web.path().join("assets")).unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>Inbox</title>",
    )
    .unwrap();
    std::fs::write(web.path().join("assets/index-4f2a9c.js"), "console.log(1)").unwrap();
    std::fs::write(web.path().join("favicon.svg"), "<svg/>").unwrap();
    let dir = web.path().display().to_string();
    let app = TestApp::spawn_with(&[("INBOX_WEB_DIR", &dir)]).await;
    let get = |path: &'static str| {
        let request = app.client.get(app.url(path));
        async move { request.send().await.unwrap() }
    };

    // The app's page at `/` and at every route of its own, revalidated on each load.
    for path in [
        "/",
        "/conversations/1122334455667-447700900123",
        "/settings/users",
    ] {
        let response = get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.starts_with("default-src 'none';"), "{policy}");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(policy.contains("style-src 'self';"), "{policy}");
        assert!(
            !policy.contains("unsafe"),
            "no inline code nor eval: {policy}"
        );
        assert!(
            policy.contains("require-trusted-types-for 'script'"),
            "{policy}"
        );
        assert_eq!(
            response.text().await.unwrap(),
            "<!doctype html><title>Inbox</title>"
        );
    }
    // Hashed assets are kept for a year; other files revalidated.
    let asset = get("/assets/index-4f2a9c.js").await;
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.text().await.unwrap(), "console.log(1)");
    assert_eq!(
        get("/favicon.svg").await.headers()["cache-control"],
        "no-cache"
    );

    // A missing file is a 404, never the app's page; nothing outside the folder is reachable.
    for path in [
        "/assets/gone-123.js",
        "/robots.txt",
        "/assets/../../Cargo.toml",
        "/%2e%2e/Cargo.toml",
    ] {
        assert_eq!(get(path).await.status(), 404, "{path}");
    }
    // The API's unknown paths keep answering in the API's shape.
    let unknown = get("/api/v1/nothing-here").await;
    assert_eq!(unknown.status(), 404);
    let body: Value = unknown.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
    app.stop().await.unwrap();
}

/// The build's compressed copies go to browsers that accept them, as the file they stand for; the others
/// get the file itself, and caches are told the answer depends on `Accept-Encoding`.
#[tokio::test]
async fn compressed_copies_of_the_build_are_sent_to_browsers_that_accept_them() {
    let web = tempfile::tempdir().unwrap();
    std::fs::create_dir(web.path().join("assets")).unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html>").unwrap();
    std::fs::write(web.path().join("index.html.gz"), "gzip page").unwrap();
    std::fs::write(web.path().join("assets/app-1.js"), "console.log(1)").unwrap();
    std::fs::write(web.path().join("assets/app-1.js.br"), "brotli bytes").unwrap();
    std::fs::write(web.path().join("assets/app-1.js.gz"), "gzip bytes").unwrap();
    let dir = web.path().display().to_string();
    let app = TestApp::spawn_with(&[("INBOX_WEB_DIR", &dir)]).await;
    let get = |path: &'static str, accept: &'static str| {
        let request = app
            .client
            .get(app.url(path))
            .header("accept-encoding", accept);
        async move { request.send().await.unwrap() }
    };
    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), "brotli bytes"),
        ("gzip", Some("gzip"), "gzip bytes"),
        ("br;q=0, gzip;q=0.8", Some("gzip"), "gzip bytes"),
        ("identity", None, "console.log(1)"),
    ] {
        let response = get("/assets/app-1.js", accept).await;
        assert_eq!(response.status(), 200, "{accept}");
        let headers = response.headers().clone();
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript"),
            "{accept}: {headers:?}"
        );
        assert_eq!(headers["vary"], "accept-encoding", "{accept}");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(response.text().await.unwrap(), body, "{accept}");
    }
    // The app's routes answer its page, compressed too.
    let page = get("/conversations/x", "gzip").await;
    assert_eq!(page.headers()["content-encoding"], "gzip");
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(page.text().await.unwrap(), "gzip page");
    app.stop().await.unwrap();
}

#[tokio::test]
async fn without_a_built_app_the_root_says_how_to_build_it() {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().display().to_string();
    let app = TestApp::spawn_with(&[("INBOX_WEB_DIR", &dir)]).await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("scripts/web build"));
    app.stop().await.unwrap();
}

/// What a browser asks before showing the sign-in or the setup form (no credentials).
async fn setup_state(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/api/v1/auth/setup"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}
