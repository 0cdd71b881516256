//! The browser app at `/`: the files `scripts/web build` writes into `INBOX_WEB_DIR` (`web/dist`).
//!
//! - Files under `/assets/` carry a hash of their content in their name, so they are cached for a year
//!   (`immutable`); everything else (`index.html`, icons) is revalidated on every load (`no-cache`), so a
//!   new build reaches every browser at its next reload.
//! - Any other path that names no file is one of the app's own routes (`/conversations/…`): it answers
//!   with `index.html`, and the app routes in the browser. A missing file (a path with an extension, or
//!   under `/assets/`) is a 404, never the app's page.
//! - Paths the server itself answers (`/api`, `/docs`, `/openapi.json`, `/health`, `/metrics`,
//!   `/webhook`) are never the app's: what is not found under them is a 404.
//! - Without a built app, `/` answers a short page saying how to build it, and other paths are 404s.
//! - The build writes Brotli and gzip copies of its text files (`app.js.br`, `app.js.gz`); a browser that
//!   accepts one gets it, with `Content-Encoding` and the original's type, so nothing is compressed per
//!   request.
//!
//! The app's pages get a strict policy of their own (`APP_POLICY`); `web/e2e/fixtures.ts` fails every
//! end-to-end test in which the browser reports a violation of it, so the app is held to it:
//! - Scripts, style sheets, images, media and calls (`fetch`, the live `EventSource`) only from the inbox
//!   itself; everything else (fonts, frames, workers, plugins, manifests) from nowhere (`default-src
//!   'none'`).
//! - No inline code of any kind: no `'unsafe-inline'` for scripts or styles, so neither a `<style>`
//!   element nor a `style="…"` attribute applies. The build links its CSS as files; the few computed
//!   styles (a virtual list's row offsets, a label's colour, a heat map's level) are set by React through
//!   the CSSOM (`element.style`), which a policy does not govern.
//! - `img-src` also allows `data:`: the page's icon is the empty `data:,` (so browsers do not ask for a
//!   `/favicon.ico` the inbox does not have).
//! - Trusted Types are required for the DOM's script sinks (`innerHTML`, `eval`, …) and no policy may be
//!   created: the app writes none of them (React only for `dangerouslySetInnerHTML`, which it does not
//!   use), so markup injected through one is refused rather than run.
//! - No `<base>`, no form submitted by the browser itself (every form is sent by the app's script), and
//!   no page may frame the app.

use crate::api::error::error_response;
use poem::http::header::{self, HeaderValue};
use poem::http::{Method, StatusCode};
use poem::web::StaticFileRequest;
use poem::{Endpoint, FromRequest, IntoResponse, Request, Response};
use std::path::{Component, Path, PathBuf};

const APP_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
     require-trusted-types-for 'script'; trusted-types 'none'";

const NOT_BUILT: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Inbox: the web app is not built</title></head><body>\
<h1>The web app is not built</h1>\
<p>This server runs, but the browser app it serves is missing. Build it with <code>scripts/web build</code> \
(or start the server with <code>scripts/serve</code>, which builds it when needed), then reload this page.</p>\
<p>The API is at <a href=\"/docs\">/docs</a>.</p></body></html>\n";

/// Serves the built app from a folder.
pub struct WebApp {
    dir: PathBuf,
}

impl WebApp {
    /// Serves the build in `dir` (`INBOX_WEB_DIR`).
    pub fn new(dir: impl Into<PathBuf>) -> WebApp {
        WebApp { dir: dir.into() }
    }
}

/// The file a URL path names inside the app's folder: only plain names, never `..`, `.` or hidden files
/// (whose names start with a dot).
fn file_of(path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let mut file = PathBuf::new();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(name) if !name.to_string_lossy().starts_with('.') => file.push(name),
            _ => return None,
        }
    }
    Some(file)
}

/// The first path segments the server answers itself: never the app's routes.
const SERVER_PATHS: &[&str] = &[
    "api",
    "docs",
    "openapi.json",
    "health",
    "metrics",
    "webhook",
];

fn is_server_path(path: &str) -> bool {
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    SERVER_PATHS.contains(&first)
}

/// Whether a path asks for a file rather than one of the app's routes: anything under `/assets/`, and a
/// top-level name with an extension (`/favicon.svg`). Deeper paths are routes even with a dot in them (a
/// group conversation's id ends in `@g.us`).
fn names_a_file(path: &str) -> bool {
    path.starts_with("/assets/") || (path.matches('/').count() == 1 && path.contains('.'))
}

impl Endpoint for WebApp {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            return Ok(error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "the web app's pages are only read",
            ));
        }
        let path = req.uri().path().to_owned();
        let not_found = || {
            super::prometheus::unmatched(error_response(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("nothing is served at {path}"),
            ))
        };
        if is_server_path(&path) {
            return Ok(not_found());
        }
        let index = self.dir.join("index.html");
        if !index.is_file() {
            return Ok(match path.as_str() {
                "/" => Response::builder()
                    .content_type("text/html; charset=utf-8")
                    .body(NOT_BUILT),
                _ => not_found(),
            });
        }
        let file = file_of(&path)
            .filter(|f| !f.as_os_str().is_empty())
            .map(|f| self.dir.join(f))
            .filter(|f| f.is_file());
        let (file, cache) = match file {
            Some(file) if path.starts_with("/assets/") => {
                (file, "public, max-age=31536000, immutable")
            }
            Some(file) => (file, "no-cache"),
            None if names_a_file(&path) => return Ok(not_found()),
            None => (index, "no-cache"),
        };
        let encoded = precompressed(&file, req.headers().get(header::ACCEPT_ENCODING));
        let (req, mut body) = req.split();
        let request = StaticFileRequest::from_request(&req, &mut body).await?;
        let served = encoded.as_ref().map_or(&file, |(path, _, _)| path);
        let mut response = request
            .create_response(served, true, false)?
            .into_response();
        let headers = response.headers_mut();
        if let Some((_, encoding, vary)) = encoded {
            if let Some(encoding) = encoding {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(text_type(&file)),
                );
            }
            if vary {
                headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            }
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(APP_POLICY),
        );
        Ok(response)
    }
}

/// The compressed copy of `file` to send, when the build wrote one the browser accepts: its path, its
/// `Content-Encoding`, and whether copies exist at all (then caches must key on `Accept-Encoding`).
/// Brotli is preferred to gzip. `None` when the file has no copies.
type Encoded = (PathBuf, Option<&'static str>, bool);

fn precompressed(file: &Path, accept: Option<&HeaderValue>) -> Option<Encoded> {
    let sibling = |ext: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    let copies = [("br", sibling(".br")), ("gzip", sibling(".gz"))];
    if !copies.iter().any(|(_, path)| path.is_file()) {
        return None;
    }
    let accept = accept.and_then(|v| v.to_str().ok()).unwrap_or("");
    for (encoding, path) in copies {
        if accepts(accept, encoding) && path.is_file() {
            return Some((path, Some(encoding), true));
        }
    }
    Some((file.to_path_buf(), None, true))
}

/// The type of a text file the build compresses (the extensions `web/vite.config.ts` compresses).
fn text_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether an `Accept-Encoding` value accepts `encoding` (named, or by `*`, with a quality above 0).
fn accepts(header: &str, encoding: &str) -> bool {
    let mut named = None;
    let mut any = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .next()
            .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
        if name.eq_ignore_ascii_case(encoding) {
            named = Some(quality > 0.0);
        } else if name == "*" {
            any = Some(quality > 0.0);
        }
    }
    named.or(any).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_the_folder_are_files() {
        assert_eq!(
            file_of("/assets/index-3f2a.js"),
            Some(PathBuf::from("assets/index-3f2a.js"))
        );
        assert_eq!(file_of("/"), Some(PathBuf::new()));
        for hostile in [
            "/../secret",
            "/assets/../../etc/passwd",
            "/%2e%2e/x",
            "/.env",
            "/%ff",
        ] {
            assert_eq!(file_of(hostile), None, "{hostile}");
        }
    }

    #[test]
    fn the_servers_own_paths_are_never_the_apps() {
        for path in [
            "/api",
            "/api/v2/x",
            "/metrics",
            "/docs/x",
            "/webhook",
            "/health",
            "/openapi.json",
        ] {
            assert!(is_server_path(path), "{path}");
        }
        for path in ["/", "/conversations", "/apis", "/settings/api-tokens"] {
            assert!(!is_server_path(path), "{path}");
        }
    }

    #[test]
    fn an_encoding_is_accepted_when_named_or_starred_with_a_quality_above_zero() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("gzip;q=0.5", "gzip"));
        assert!(accepts("*", "br"));
        assert!(!accepts("", "br"));
        assert!(!accepts("gzip", "br"));
        assert!(!accepts("br;q=0, *", "br"));
        assert!(!accepts("*;q=0", "gzip"));
        assert!(!accepts("BR;q=nonsense", "br"));
        assert!(accepts("BR", "br"));
    }

    #[test]
    fn paths_with_an_extension_or_under_assets_name_files() {
        assert!(names_a_file("/assets/index.js"));
        assert!(names_a_file("/favicon.ico"));
        assert!(!names_a_file("/conversations/1122-447700"));
        assert!(!names_a_file("/conversations/1122-120363@g.us"));
        assert!(!names_a_file("/"));
    }
}
