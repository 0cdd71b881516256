//! Security headers on every response (errors and unknown paths too), from one middleware over the whole
//! route tree:
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`;
//! - `Cache-Control: no-store`: the API's answers carry personal data and secrets, and nothing the server
//!   answers is worth a cache's risk; only the browser app's files set their own (`web_app`);
//! - `Content-Security-Policy`: nothing may be loaded, run or framed (`default-src 'none'; frame-ancestors
//!   'none'`), except on `/docs`, whose Swagger UI is one page of inline script and style: its own inline
//!   scripts are allowed by their hashes, inline styles, images from itself or `data:`, and calls to its
//!   own origin. A response that sets its own policy (a media file's `sandbox`) keeps it.

use base64::Engine;
use poem::http::header::{self, HeaderName, HeaderValue};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use sha2::{Digest, Sha256};

const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

pub struct SecurityHeaders;

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = SecurityHeadersEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        SecurityHeadersEndpoint { inner }
    }
}

pub struct SecurityHeadersEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for SecurityHeadersEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        let docs = path == "/docs" || path.starts_with("/docs/");
        let mut response = match self.inner.call(req).await {
            Ok(response) => response.into_response(),
            Err(e) => e.into_response(),
        };
        let is_html = response
            .content_type()
            .is_some_and(|t| t.starts_with("text/html"));
        let policy = if docs && is_html {
            let body = response.take_body().into_bytes().await?;
            let policy = docs_policy(&body);
            response.set_body(body);
            Some(policy)
        } else if response
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY)
        {
            None
        } else {
            Some(API_POLICY.to_owned())
        };
        let headers = response.headers_mut();
        let fixed: [(HeaderName, &str); 3] = [
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ];
        for (name, value) in fixed {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        if let Some(policy) = policy.and_then(|p| HeaderValue::from_str(&p).ok()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        Ok(response)
    }
}

/// The policy of a Swagger UI page: its inline scripts by hash, nothing from elsewhere.
fn docs_policy(html: &[u8]) -> String {
    let scripts: Vec<String> = inline_scripts(html)
        .map(|script| {
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script))
            )
        })
        .collect();
    format!(
        "default-src 'none'; script-src {}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        if scripts.is_empty() {
            "'none'".to_owned()
        } else {
            scripts.join(" ")
        }
    )
}

/// The text of each `<script>` element of a page, as the browser hashes it.
fn inline_scripts(html: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = html;
    std::iter::from_fn(move || {
        let open = find(rest, b"<script")?;
        let after = &rest[open..];
        let start = find(after, b">")? + 1;
        let len = find(&after[start..], b"</script>")?;
        let script = &after[start..start + len];
        rest = &after[start + len..];
        Some(script)
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_inline_script_is_allowed_by_its_hash_and_nothing_else() {
        let html = b"<html><script charset=\"UTF-8\">let a = 1;</script><body><script>go()</script></body></html>";
        let scripts: Vec<&[u8]> = inline_scripts(html).collect();
        assert_eq!(scripts, [&b"let a = 1;"[..], &b"go()"[..]]);
        let policy = docs_policy(html);
        // `echo -n 'go()' | openssl sha256 -binary | base64`
        assert!(
            policy.contains("'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("script-src 'unsafe"), "{policy}");
    }
}
