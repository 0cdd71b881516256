//! The browser's session: a cookie no script can read, standing in for the bearer token.
//!
//! Signing in with `cookie: true` sets `inbox_session` (HttpOnly, `SameSite=Strict`, `Secure` when the
//! request came over HTTPS) to the session's token, and leaves the token out of the answer. This
//! middleware turns the cookie back into `Authorization: Bearer …` for requests that carry no
//! `Authorization` of their own, so every route authenticates a browser exactly as it authenticates a
//! token (the same checks, the same revocation). A request that sends both is judged by its header.
//!
//! Cross-site requests: a state-changing request (anything but GET, HEAD and OPTIONS) authenticated by the
//! cookie must come from the inbox's own origin. Browsers send `Origin` on such requests; it must name the
//! host the request was sent to (`Host`). Without `Origin`, `Sec-Fetch-Site: same-origin` is accepted; a
//! request with neither is refused (403 `cross_site_request`). `SameSite=Strict` already keeps the cookie
//! off other sites' requests; this check does not depend on it.

use crate::api::error::error_response;
use crate::http::AppState;
use poem::http::header::{self, HeaderValue};
use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

/// The cookie's name.
pub const COOKIE: &str = "inbox_session";

/// The `Set-Cookie` value that holds a new session for `max_age` seconds.
pub fn set_cookie(token: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}",
        max_age.max(0),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    set_cookie("", 0, secure)
}

/// Whether the client reached the inbox over HTTPS: the connection itself, or a trusted proxy's
/// `X-Forwarded-Proto` (the proxy that terminates TLS).
pub fn over_https(state: &AppState, req: &Request) -> bool {
    if req.uri().scheme_str() == Some("https") {
        return true;
    }
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    let via_trusted_proxy = peer.is_some_and(|ip| {
        state
            .settings
            .trusted_proxies
            .trusts(crate::auth::client::canonical(ip))
    });
    via_trusted_proxy
        && req
            .header("x-forwarded-proto")
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The session token the request's cookie carries, if any.
fn cookie_token(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// Whether a state-changing request comes from the origin it was sent to.
fn same_origin(req: &Request) -> bool {
    // HTTP/2 names the host in the request's authority rather than a `Host` header.
    let host = req
        .header(header::HOST.as_str())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .map(str::trim);
    match req.header(header::ORIGIN.as_str()) {
        Some(origin) => {
            // `scheme://host[:port]`; `null` (opaque origins) and anything else name no host.
            let origin_host = origin.split_once("://").map(|(_, rest)| rest);
            matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
        }
        None => req.header("sec-fetch-site") == Some("same-origin"),
    }
}

/// The middleware (over the whole route tree; it only acts on requests with the cookie).
pub struct BrowserSession;

impl<E: Endpoint> Middleware<E> for BrowserSession {
    type Output = BrowserSessionEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BrowserSessionEndpoint { inner }
    }
}

/// [`BrowserSession`] around an endpoint.
pub struct BrowserSessionEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for BrowserSessionEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let has_authorization = req.headers().contains_key(header::AUTHORIZATION);
        if let (false, Some(token)) = (has_authorization, cookie_token(&req)) {
            let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe && !same_origin(&req) {
                return Ok(error_response(
                    StatusCode::FORBIDDEN,
                    "cross_site_request",
                    "a request signed in by the browser's cookie must come from the inbox's own pages",
                ));
            }
            // A value no header can carry is no session's token: the request goes on unauthenticated
            // (401 where the route needs a caller).
            if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
                req.headers_mut().insert(header::AUTHORIZATION, value);
            }
        }
        Ok(self.inner.call(req).await?.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder()
            .method(method)
            .uri_str("/api/v1/auth/sign-out");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.finish()
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let req = request(
            Method::GET,
            &[("cookie", "theme=dark; inbox_session=inbox_ses_abc; lang=fr")],
        );
        assert_eq!(cookie_token(&req).as_deref(), Some("inbox_ses_abc"));
        let req = request(Method::GET, &[("cookie", "inbox_session=")]);
        assert_eq!(cookie_token(&req), None);
        let req = request(Method::GET, &[("cookie", "xinbox_session=a")]);
        assert_eq!(cookie_token(&req), None);
    }

    #[test]
    fn only_the_inbox_own_origin_may_change_state() {
        let host = ("host", "inbox.example:8000");
        for (headers, allowed) in [
            (vec![host, ("origin", "http://inbox.example:8000")], true),
            (vec![host, ("origin", "https://INBOX.example:8000")], true),
            (vec![host, ("origin", "http://evil.example")], false),
            (
                vec![host, ("origin", "http://inbox.example:8000.evil")],
                false,
            ),
            (vec![host, ("origin", "null")], false),
            (vec![host, ("sec-fetch-site", "same-origin")], true),
            (vec![host, ("sec-fetch-site", "cross-site")], false),
            (vec![host], false),
        ] {
            let req = request(Method::POST, &headers);
            assert_eq!(same_origin(&req), allowed, "{headers:?}");
        }
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_https() {
        let cookie = set_cookie("inbox_ses_x", 3600, true);
        assert_eq!(
            cookie,
            "inbox_session=inbox_ses_x; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(!set_cookie("t", 1, false).contains("Secure"));
        assert!(clear_cookie(false).starts_with("inbox_session=; Path=/; Max-Age=0;"));
    }
}
