//! How large, how slow and how deep a request body may be, decided for every route in this one middleware
//! before any handler sees the body.
//!
//! - Every route takes at most [`SMALL_BODY_LIMIT`]; Meta's webhook takes its 3 MB, and only the media upload
//!   takes a file's size. A declared `Content-Length` over the limit is answered 413 before anything is
//!   read; a chunked body is cut at the limit, and answered 413 too (never a parse error).
//! - A body must arrive within the body timeout (408). The media upload may take longer, but may not pause
//!   longer than that.
//! - A body nested deeper than [`MAX_INPUT_DEPTH`] is refused with 400 `too_deep`: serde_json reads at
//!   most 128 levels, and the store wraps what it keeps a level or two deeper, so anything deeper could
//!   be stored and never read back. The webhook judges its own bodies, after their signature.

use actors::json::{depth_exceeds, MAX_INPUT_DEPTH};
use poem::http::{header, Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, ReadBuf};

/// What every route but two takes: far above any JSON command, far below what could hurt.
pub const SMALL_BODY_LIMIT: u64 = 64 * 1024;
/// The media upload: a file at Meta's largest size, plus room for the multipart framing.
pub const MEDIA_BODY_LIMIT: u64 = actors::graph::media::MAX_MEDIA_BYTES + 1024 * 1024;
const MEDIA_UPLOAD_PATH: &str = "/api/v1/media";
const WEBHOOK_PATHS: [&str; 2] = ["/webhook/whatsapp", "/webhook"];

/// How one route takes its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    limit: u64,
    /// Read whole here (and checked for depth), or streamed to the handler as it arrives.
    streamed: bool,
    check_depth: bool,
}

impl Rule {
    fn of(method: &Method, path: &str) -> Rule {
        let post = method == Method::POST;
        if post && path == MEDIA_UPLOAD_PATH {
            Rule {
                limit: MEDIA_BODY_LIMIT,
                streamed: true,
                check_depth: false,
            }
        } else if post && WEBHOOK_PATHS.contains(&path) {
            Rule {
                limit: super::webhook::MAX_BODY_BYTES as u64,
                streamed: false,
                check_depth: false,
            }
        } else {
            Rule {
                limit: SMALL_BODY_LIMIT,
                streamed: false,
                check_depth: true,
            }
        }
    }
}

/// The middleware: [`Rule`]s by route, with the body timeout from the settings.
pub struct BodyLimits {
    pub timeout: Duration,
}

impl<E: Endpoint> Middleware<E> for BodyLimits {
    type Output = BodyLimitsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitsEndpoint {
            inner,
            timeout: self.timeout,
        }
    }
}

pub struct BodyLimitsEndpoint<E> {
    inner: E,
    timeout: Duration,
}

impl<E: Endpoint> Endpoint for BodyLimitsEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let rule = Rule::of(req.method(), req.uri().path());
        let declared = req
            .header(header::CONTENT_LENGTH)
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > rule.limit) {
            return Ok(too_large(rule.limit));
        }
        if rule.streamed {
            let outcome = Arc::new(AtomicU8::new(FLOWING));
            let body = Guarded {
                inner: req.take_body().into_async_read(),
                limit: rule.limit,
                seen: 0,
                gap: self.timeout,
                deadline: None,
                outcome: outcome.clone(),
            };
            req.set_body(Body::from_async_read(body));
            let response = self.inner.call(req).await.map(IntoResponse::into_response);
            return match outcome.load(Ordering::Acquire) {
                OVER_LIMIT => Ok(too_large(rule.limit)),
                STALLED => Ok(timed_out(self.timeout)),
                _ => response,
            };
        }
        let limit = usize::try_from(rule.limit).unwrap_or(usize::MAX);
        let read = tokio::time::timeout(self.timeout, req.take_body().into_bytes_limit(limit));
        let bytes = match read.await {
            Err(_) => return Ok(timed_out(self.timeout)),
            Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => {
                return Ok(too_large(rule.limit))
            }
            Ok(Err(e)) => {
                return Ok(refusal(
                    StatusCode::BAD_REQUEST,
                    "body_unreadable",
                    format!("the body could not be read: {e}"),
                ))
            }
            Ok(Ok(bytes)) => bytes,
        };
        if rule.check_depth && depth_exceeds(&bytes, MAX_INPUT_DEPTH) {
            return Ok(refusal(
                StatusCode::BAD_REQUEST,
                "too_deep",
                format!("the body nests deeper than {MAX_INPUT_DEPTH} levels"),
            ));
        }
        req.set_body(Body::from_bytes(bytes));
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// The API's error shape, counted by its code. The body may be left unread, so the connection is not
/// kept.
fn refusal(status: StatusCode, code: &'static str, message: String) -> Response {
    metrics::counter!("inbox_http_bodies_refused_total", "reason" => code).increment(1);
    let mut response = crate::api::error::error_response(status, code, &message);
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

fn too_large(limit: u64) -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("this route takes bodies of at most {limit} bytes"),
    )
}

fn timed_out(timeout: Duration) -> Response {
    refusal(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        format!("the body did not arrive within {} s", timeout.as_secs_f64()),
    )
}

const FLOWING: u8 = 0;
const OVER_LIMIT: u8 = 1;
const STALLED: u8 = 2;

/// A streamed body that fails once it passes its limit or pauses longer than `gap`, and says which, so
/// the middleware answers 413 or 408 whatever the handler made of the failed read.
struct Guarded<R> {
    inner: R,
    limit: u64,
    seen: u64,
    gap: Duration,
    /// Set at the first read: the handler may check the caller before it reads.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    outcome: Arc<AtomicU8>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Guarded<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let n = (buf.filled().len() - before) as u64;
                this.seen += n;
                if this.seen > this.limit {
                    // A failed read hands out nothing.
                    buf.set_filled(before);
                    this.outcome.store(OVER_LIMIT, Ordering::Release);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the body is over its limit",
                    )));
                }
                let next = tokio::time::Instant::now() + this.gap;
                match &mut this.deadline {
                    Some(deadline) => deadline.as_mut().reset(next),
                    None => this.deadline = Some(Box::pin(tokio::time::sleep_until(next))),
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let deadline = this
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(this.gap)));
                if deadline.as_mut().poll(cx).is_ready() {
                    this.outcome.store(STALLED, Ordering::Release);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the body paused too long",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_streamed_body_fails_past_its_limit_and_says_so() {
        use tokio::io::AsyncReadExt;
        let outcome = Arc::new(AtomicU8::new(FLOWING));
        let mut body = Guarded {
            inner: &[7u8; 100][..],
            limit: 64,
            seen: 0,
            gap: Duration::from_secs(30),
            deadline: None,
            outcome: outcome.clone(),
        };
        let mut read = Vec::new();
        let failed = body.read_to_end(&mut read).await.unwrap_err();
        assert_eq!(failed.kind(), io::ErrorKind::InvalidData);
        assert_eq!(outcome.load(Ordering::Acquire), OVER_LIMIT);
    }

    #[test]
    fn only_the_media_upload_takes_large_bodies() {
        let media = Rule::of(&Method::POST, "/api/v1/media");
        assert!(media.streamed && media.limit > 100 * 1024 * 1024);
        for (method, path) in [
            (Method::POST, "/api/v1/auth/sign-in"),
            (Method::POST, "/api/v1/auth/setup"),
            (Method::PUT, "/api/v1/media"),
            (Method::POST, "/api/v1/media/"),
            (Method::POST, "/api/v1/conversations/x/messages"),
        ] {
            assert_eq!(
                Rule::of(&method, path).limit,
                SMALL_BODY_LIMIT,
                "{method} {path}"
            );
        }
        let webhook = Rule::of(&Method::POST, "/webhook/whatsapp");
        assert_eq!(webhook.limit, 3 * 1024 * 1024);
        assert!(!webhook.check_depth);
    }
}
