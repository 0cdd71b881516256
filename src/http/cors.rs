//! Cross-origin calls (`CORS_ORIGINS`): closed unless the operator names the other web origins whose
//! scripts may call the API, such as a CRM page that reads conversations with an API token.
//!
//! A request from a listed origin gets `Access-Control-Allow-Origin` naming it, and its preflight is
//! answered here. Every other request is left exactly as it is: the inbox's own app is same-origin and
//! needs nothing, and a browser keeps an unlisted origin's script from reading the answer. Credentials
//! are never allowed across origins: the session cookie stays the inbox's own, and another origin
//! authenticates with a bearer token.

use poem::http::header::{self, HeaderValue};
use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

/// The methods and request headers the API uses.
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const HEADERS: [&str; 4] = [
    "authorization",
    "content-type",
    "idempotency-key",
    "last-event-id",
];
/// Headers a script may read besides the simple ones.
const EXPOSED: &str = "content-disposition, retry-after, x-request-id";
/// How long a browser may keep a preflight's answer.
const MAX_AGE_SECONDS: &str = "600";

pub struct Cors {
    origins: Vec<String>,
}

impl Cors {
    /// Origins as `config::cors_origins` checked them (lower case); `*` admits any.
    pub fn new(origins: &[String]) -> Self {
        Self {
            origins: origins.to_vec(),
        }
    }
}

impl<E: Endpoint> Middleware<E> for Cors {
    type Output = CorsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        CorsEndpoint {
            inner,
            origins: self.origins.clone(),
        }
    }
}

pub struct CorsEndpoint<E> {
    inner: E,
    origins: Vec<String>,
}

impl<E> CorsEndpoint<E> {
    fn admits(&self, origin: &str) -> bool {
        self.origins
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    }
}

impl<E: Endpoint> Endpoint for CorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .filter(|o| o.to_str().is_ok_and(|o| self.admits(o)))
            .cloned();
        let Some(origin) = origin else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let preflight = req.method() == Method::OPTIONS
            && req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        let mut response = if preflight {
            let asked = req
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            let unknown = asked
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .find(|h| !HEADERS.iter().any(|known| known.eq_ignore_ascii_case(h)));
            if let Some(unknown) = unknown {
                return Ok(crate::api::error::error_response(
                    StatusCode::FORBIDDEN,
                    "cors_header_not_allowed",
                    &format!("cross-origin requests may not send the header {unknown:?}"),
                ));
            }
            let mut response = StatusCode::NO_CONTENT.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(METHODS),
            );
            if let Ok(allowed) = HeaderValue::from_str(&HEADERS.join(", ")) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed);
            }
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(MAX_AGE_SECONDS),
            );
            response
        } else {
            let mut response = match self.inner.call(req).await {
                Ok(response) => response.into_response(),
                Err(e) => e.into_response(),
            };
            response.headers_mut().insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED),
            );
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
        Ok(response)
    }
}
