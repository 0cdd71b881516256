//! Metrics, exported for Prometheus: the recorder every `metrics::counter!` in the workspace records into,
//! the scrape endpoint (served by our own server, at `PROMETHEUS_METRICS_PATH`, behind an optional bearer
//! token), and [`RequestMetrics`], the middleware that counts and times every request.
//!
//! A request is labelled by its method and the route *template* it matched (`/api/v1/conversations/{id}`,
//! as the OpenAPI document names it), never its path, so ids never become label values; a request that no
//! route answered is `unmatched`.

use crate::config::{MetricsSettings, Secret};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use poem::http::{header, Method, StatusCode};
use poem::{get, Endpoint, IntoResponse, Middleware, PathPattern, Request, Response, Route};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

const REQUESTS: &str = "inbox_http_requests_total";
const REQUEST_SECONDS: &str = "inbox_http_request_duration_seconds";
const UNMATCHED: &str = "unmatched";

/// Buckets of every `*_seconds` histogram: from a fast append (a millisecond) to a Graph call at its
/// timeout (30 s) and a model call at its own (60 s).
const SECONDS_BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Buckets of `inbox_event_store_batch_requests`: how many appends shared one transaction (a batch
/// closes at 2000 events).
const BATCH_BUCKETS: [f64; 12] = [
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0,
];
/// How often histogram samples are folded into their buckets when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The recorder is global to the process, and tests start many servers in one: the first start-up
/// installs it, every later one shares it.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once) and returns the handle that renders it.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("inbox_event_store_batch_requests".into()),
                        &BATCH_BUCKETS,
                    )
                })
                .expect("the bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "a metrics recorder was already installed; /metrics shows none of it"
                );
            }
            describe();
            metrics_process::Collector::default().describe();
            // Scrapes fold samples too; this bounds the memory they take between scrapes. It lives as
            // long as the recorder: the process.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
            }
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        crate::workers::teamwork::ACTIONS,
        "team work the inbox did by itself (snoozes ended, away messages, round-robin assignments), by action and outcome"
    );
    metrics::describe_counter!(
        REQUESTS,
        "HTTP requests answered, by method, route template and status"
    );
    metrics::describe_histogram!(
        "inbox_projection_visibility_seconds",
        metrics::Unit::Seconds,
        "time from an event's append until its view committed it, by projection (for the inbox view: from the webhook's acknowledgement until the message shows in the API)"
    );
    metrics::describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "time from a request's arrival to its response's headers, by method and route template"
    );
}

/// `routes` with the scrape endpoint at its path, when metrics are enabled.
pub fn serve(routes: Route, settings: &MetricsSettings) -> Route {
    if !settings.enabled {
        return routes;
    }
    routes.at(&settings.path, get(Scrape::new(settings)))
}

/// The scrape endpoint.
struct Scrape {
    handle: PrometheusHandle,
    token: Option<Secret>,
    /// The process's own figures (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
    /// `process_open_fds`, `process_threads`, ...), read at each scrape.
    process: metrics_process::Collector,
}

impl Scrape {
    fn new(settings: &MetricsSettings) -> Scrape {
        Scrape {
            handle: install(),
            token: settings.auth_token.clone(),
            process: metrics_process::Collector::default(),
        }
    }

    fn authorised(&self, req: &Request) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        // The scheme's name is case-insensitive (RFC 9110).
        let given = req
            .header(header::AUTHORIZATION)
            .filter(|v| {
                v.get(..7)
                    .is_some_and(|s| s.eq_ignore_ascii_case("bearer "))
            })
            .map(|v| &v[7..])
            .unwrap_or_default();
        bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes()))
    }
}

impl Endpoint for Scrape {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if !self.authorised(&req) {
            let body = serde_json::json!({ "error": {
                "code": "unauthorized",
                "message": "the metrics need Authorization: Bearer <METRICS_AUTH_TOKEN>",
            }});
            return Ok(Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header(header::WWW_AUTHENTICATE, "Bearer")
                .content_type("application/json; charset=utf-8")
                .body(body.to_string()));
        }
        self.process.collect();
        Ok(Response::builder()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(self.handle.render()))
    }
}

/// Marks a response that no route answered, when an outer route would otherwise name its catch-all.
#[derive(Clone)]
struct Unmatched;

/// Marks a response as answering no route (counted under `unmatched`), for an endpoint that serves a
/// whole subtree, such as the web app, when the path names nothing in it.
pub fn unmatched(mut response: Response) -> Response {
    response.set_data(Unmatched);
    response
}

/// Renders an error caught by a catch-all (the API's) so that the response still names the route the
/// request matched, or says that it matched none.
pub fn rendered(err: poem::Error, render: impl FnOnce(poem::Error) -> Response) -> Response {
    let route = err.data::<PathPattern>().cloned();
    let mut response = render(err);
    match route {
        Some(route) => response.set_data(route),
        None => response.set_data(Unmatched),
    }
    response
}

/// Counts every request in `inbox_http_requests_total{method,route,status}` and times it in
/// `inbox_http_request_duration_seconds{method,route}`.
pub struct RequestMetrics {
    /// poem-openapi routes `/conversations/:id` as `/conversations/:param0`; the label uses the name the
    /// OpenAPI document gives the route, `/conversations/{id}`.
    api_templates: Arc<HashMap<String, String>>,
}

impl RequestMetrics {
    /// For the routes of `T`, an OpenAPI service, and any other route.
    pub fn new<T: poem_openapi::OpenApi>() -> RequestMetrics {
        let api_templates = T::meta()
            .into_iter()
            .flat_map(|api| api.paths)
            .map(|path| (routed_as(&path.path), path.path))
            .collect();
        RequestMetrics {
            api_templates: Arc::new(api_templates),
        }
    }
}

/// The pattern poem-openapi routes an OpenAPI path under: its `{name}` segments become `:param0`,
/// `:param1`, and so on.
fn routed_as(openapi_path: &str) -> String {
    let mut params = 0;
    openapi_path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                params += 1;
                format!(":param{}", params - 1)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl<E: Endpoint> Middleware<E> for RequestMetrics {
    type Output = RequestMetricsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestMetricsEndpoint {
            inner,
            api_templates: self.api_templates.clone(),
        }
    }
}

pub struct RequestMetricsEndpoint<E> {
    inner: E,
    api_templates: Arc<HashMap<String, String>>,
}

impl<E: Endpoint> Endpoint for RequestMetricsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let method = method_label(req.method());
        let started = Instant::now();
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        let elapsed = started.elapsed();
        let (status, pattern) = match &result {
            Ok(response) => (
                response.status(),
                response
                    .data::<PathPattern>()
                    .filter(|_| response.data::<Unmatched>().is_none()),
            ),
            Err(e) => (e.status(), e.data::<PathPattern>()),
        };
        let route = match pattern {
            None => UNMATCHED.to_owned(),
            Some(PathPattern(pattern)) => match self.api_templates.get(&**pattern) {
                Some(template) => template.clone(),
                None => pattern.to_string(),
            },
        };
        metrics::counter!(REQUESTS, "method" => method, "route" => route.clone(),
            "status" => status.as_str().to_owned())
        .increment(1);
        metrics::histogram!(REQUEST_SECONDS, "method" => method, "route" => route)
            .record(elapsed.as_secs_f64());
        result
    }
}

/// The standard methods by name; any other (a client may send any token) is `other`, so the label's
/// values stay few.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_paths_map_to_the_patterns_they_are_routed_under() {
        assert_eq!(routed_as("/api/v1/conversations"), "/api/v1/conversations");
        assert_eq!(
            routed_as("/api/v1/conversations/{id}/{setting}"),
            "/api/v1/conversations/:param0/:param1"
        );
    }
}
