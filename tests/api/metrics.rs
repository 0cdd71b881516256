//! `/metrics`: Prometheus's view of real traffic. The recorder is one per process and the tests run in
//! parallel, so these compare two scrapes of one server and look for their own increases, never for
//! absolute values.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;

const ALICE: &str = "4915112345678";

/// One scrape: every sample by its name and labels.
struct Scrape {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
                let value: f64 = value.parse().expect("a sample's value is a number");
                let (name, labels) = match series.split_once('{') {
                    None => (series, BTreeMap::new()),
                    Some((name, labels)) => (name, labels_of(labels.trim_end_matches('}'))),
                };
                (name.to_owned(), labels, value)
            })
            .collect();
        Scrape { text, samples }
    }

    /// The sum of the samples named `name` whose labels include `labels` (0 when there is none yet).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }

    fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.samples.iter().any(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
    }
}

/// `a="x",b="y"` (our label values hold no quotes or commas).
fn labels_of(text: &str) -> BTreeMap<String, String> {
    text.split("\",")
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once("=\"").expect("a label is key=\"value\"");
            (key.to_owned(), value.trim_end_matches('"').to_owned())
        })
        .collect()
}

async fn scrape(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request reaches the app")
}

async fn metrics(app: &TestApp) -> Scrape {
    let response = scrape(app, "/metrics", None).await;
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain")));
    Scrape::parse(response.text().await.unwrap())
}

const REQUESTS: &str = "inbox_http_requests_total";
const SECONDS_COUNT: &str = "inbox_http_request_duration_seconds_count";

#[tokio::test]
async fn a_scrape_after_real_traffic_finds_the_figures_moving() {
    let app = TestApp::spawn().await;
    let before = metrics(&app).await;

    let wamid = format!("wamid.metrics-{}", uuid::Uuid::new_v4());
    let body = messages_body(
        contact(ALICE, "Alice"),
        json!([text(ALICE, &wamid, "Is the Daytona still for sale?")]),
    );
    assert_eq!(app.post_signed(&body).await.status(), 200);
    app.settled().await;
    let page = app.get_ok("/api/v1/conversations").await;
    let id = page["conversations"][0]["id"]
        .as_str()
        .expect("the conversation is listed")
        .to_owned();
    app.get_ok(&format!("/api/v1/conversations/{id}")).await;
    let unknown = format!("/api/v1/conversations/{}", uuid::Uuid::new_v4());
    let (status, _) = app.api(Method::GET, &unknown).await;
    assert_eq!(status, 404);
    let stray = format!("/no-such-page-{}", uuid::Uuid::new_v4());
    let (status, _) = app.api(Method::GET, &stray).await;
    assert_eq!(status, 404);
    let unauthorised = app
        .client
        .get(app.url("/api/v1/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 401);

    let after = metrics(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    let webhook = [("method", "POST"), ("route", "/webhook/whatsapp")];
    assert!(
        grew(REQUESTS, &[webhook[0], webhook[1], ("status", "200")]) >= 1.0,
        "{}",
        after.text
    );
    assert!(grew(SECONDS_COUNT, &webhook) >= 1.0);
    // Durations are a histogram with buckets, not a summary.
    assert!(after.has(
        "inbox_http_request_duration_seconds_bucket",
        &[webhook[0], webhook[1], ("le", "0.1")]
    ));
    let one = [("method", "GET"), ("route", "/api/v1/conversations/{id}")];
    assert!(
        grew(REQUESTS, &[one[0], one[1], ("status", "200")]) >= 1.0,
        "{}",
        after.text
    );
    // A refusal on a known route still names its template.
    assert!(grew(REQUESTS, &[one[0], one[1], ("status", "404")]) >= 1.0);
    assert!(
        grew(
            REQUESTS,
            &[
                ("method", "GET"),
                ("route", "/api/v1/conversations"),
                ("status", "401")
            ]
        ) >= 1.0
    );
    assert!(
        grew(
            REQUESTS,
            &[("method", "GET"), ("route", "unmatched"), ("status", "404")]
        ) >= 1.0
    );
    // The first scrape is counted under the scrape's own route.
    assert!(
        grew(
            REQUESTS,
            &[("method", "GET"), ("route", "/metrics"), ("status", "200")]
        ) >= 1.0
    );
    // What the webhook stored moved a figure of the write side.
    assert!(grew("inbox_event_store_events_written_total", &[]) >= 1.0);
    // Routes are named as the OpenAPI document names them.
    assert!(!after.text.contains(":param"), "{}", after.text);
    // Paths never become labels: no id, no stray path, no wamid.
    for raw in [&id, &unknown, &stray, &wamid] {
        assert!(!after.text.contains(raw.as_str()), "{raw} is in a label");
    }
}

#[tokio::test]
async fn a_configured_token_guards_the_metrics_at_their_configured_path() {
    let token = "scrape-token-0123456789";
    let app = TestApp::spawn_with(&[
        ("PROMETHEUS_METRICS_PATH", "/internal/prometheus"),
        ("METRICS_AUTH_TOKEN", token),
    ])
    .await;

    let refused = scrape(&app, "/internal/prometheus", None).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let body = refused.text().await.unwrap();
    assert!(!body.contains(REQUESTS), "{body}");
    assert!(!body.contains(token), "{body}");
    let wrong = scrape(
        &app,
        "/internal/prometheus",
        Some("scrape-token-9876543210"),
    )
    .await;
    assert_eq!(wrong.status(), 401);
    let almost = scrape(
        &app,
        "/internal/prometheus",
        Some(&token[..token.len() - 1]),
    )
    .await;
    assert_eq!(almost.status(), 401);
    // The API's token is not the metrics' token.
    let api_token = scrape(&app, "/internal/prometheus", Some(API_TOKEN)).await;
    assert_eq!(api_token.status(), 401);

    let lowercase = app
        .client
        .get(app.url("/internal/prometheus"))
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(lowercase.status(), 200);
    let allowed = scrape(&app, "/internal/prometheus", Some(token)).await;
    assert_eq!(allowed.status(), 200);
    let scraped = Scrape::parse(allowed.text().await.unwrap());
    // The refused scrapes were counted, under the configured route's template.
    assert!(
        scraped.value(
            REQUESTS,
            &[
                ("method", "GET"),
                ("route", "/internal/prometheus"),
                ("status", "401")
            ]
        ) >= 4.0,
        "{}",
        scraped.text
    );

    // The default path is not served when another is configured.
    let default_path = scrape(&app, "/metrics", Some(token)).await;
    assert_eq!(default_path.status(), 404);
}

#[tokio::test]
async fn disabled_metrics_are_not_served() {
    let app = TestApp::spawn_with(&[("PROMETHEUS_ENABLED", "false")]).await;
    let response = scrape(&app, "/metrics", None).await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    // Everything else still answers.
    assert_eq!(app.health().await["status"], "ok");
}
