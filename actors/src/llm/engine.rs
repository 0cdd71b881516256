//! What both clients share around their HTTP calls: sending with a size cap, the retry loop with its
//! back-off, the circuit breaker, the metrics, and reading the delays servers ask for.

use super::{ChatAnswer, LlmError, RetryPolicy, Usage};
use crate::embeddings::openai::transport_message;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The most an answer may weigh. The largest answer (64k output tokens) is about 256 KB of text; the
/// rest is room for metadata. A misbehaving server must not fill the memory.
pub(crate) const MAX_ANSWER_BYTES: usize = 4 << 20;

/// When the circuit breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Requests in a row that ended in a transient failure (after their retries) before calls pause;
    /// 0 turns the breaker off.
    pub failures: u32,
    /// How long calls pause. Then one trial request (a single attempt) is let through: its success
    /// closes the breaker, its failure pauses calls again.
    pub open_for: Duration,
}

impl Default for BreakerPolicy {
    /// 5 failed requests in a row pause calls for 30 s.
    fn default() -> Self {
        Self {
            failures: 5,
            open_for: Duration::from_secs(30),
        }
    }
}

/// One attempt's failure, and whether another attempt may help.
#[derive(Debug)]
pub(crate) struct Failed {
    pub(crate) error: LlmError,
    pub(crate) retry: bool,
    /// The delay the server asked for (Gemini's `RetryInfo`, OpenAI's `retry-after`), if any.
    pub(crate) after: Option<Duration>,
}

impl Failed {
    /// A failure no retry helps.
    pub(crate) fn fatal(error: LlmError) -> Self {
        Self {
            error,
            retry: false,
            after: None,
        }
    }

    /// A failure worth another attempt, after `after` if the server said.
    pub(crate) fn transient(error: LlmError, after: Option<Duration>) -> Self {
        Self {
            error,
            retry: true,
            after,
        }
    }
}

/// A usable answer from one attempt; the engine adds the latency and the attempts.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) text: String,
    pub(crate) model_version: String,
    pub(crate) usage: Usage,
}

/// An HTTP answer, whatever its status, with its whole (capped) body.
#[derive(Debug)]
pub(crate) struct HttpAnswer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// Sends one request and reads its body, refusing one over [`MAX_ANSWER_BYTES`]. Timeouts and transport
/// errors are transient [`LlmError::Unavailable`], described without the URL.
pub(crate) async fn send(request: RequestBuilder, timeout: Duration) -> Result<HttpAnswer, Failed> {
    let answer = async {
        let mut response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Ok(Err(status));
            }
            body.extend_from_slice(&chunk);
        }
        Ok::<_, reqwest::Error>(Ok(HttpAnswer {
            status,
            headers,
            body,
        }))
    }
    .await;
    match answer {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(status)) => Err(Failed::fatal(LlmError::Unexpected {
            message: format!(
                "an answer (HTTP {}) larger than {MAX_ANSWER_BYTES} bytes",
                status.as_u16()
            ),
        })),
        Err(e) => Err(Failed::transient(
            LlmError::Unavailable {
                message: if e.is_timeout() {
                    format!("no answer within {} ms", timeout.as_millis())
                } else {
                    transport_message(&e)
                },
            },
            None,
        )),
    }
}

/// A redirect is not followed (a redirect would carry the key's header wherever it points).
pub(crate) fn redirect(status: StatusCode) -> Failed {
    Failed::fatal(LlmError::Unexpected {
        message: format!(
            "HTTP {}: a redirect, not followed; configure the base URL it points to",
            status.as_u16()
        ),
    })
}

/// Runs requests for one client: the breaker, the retries and the metrics.
#[derive(Debug)]
pub(crate) struct Engine {
    provider: &'static str,
    retry: RetryPolicy,
    breaker: Breaker,
}

impl Engine {
    pub(crate) fn new(provider: &'static str, retry: RetryPolicy) -> Self {
        Self {
            provider,
            retry,
            breaker: Breaker::new(BreakerPolicy::default()),
        }
    }

    pub(crate) fn set_breaker(&mut self, policy: BreakerPolicy) {
        self.breaker = Breaker::new(policy);
    }

    /// A request refused before any call (it cannot be expressed for this provider): counted, not sent.
    pub(crate) fn refuse(&self, error: LlmError) -> LlmError {
        self.count(error.code());
        error
    }

    /// Calls `attempt` until it gives an answer, a failure no retry helps, or the policy is spent.
    pub(crate) async fn run<F, Fut>(&self, mut attempt: F) -> Result<ChatAnswer, LlmError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Reply, Failed>>,
    {
        let Some(permit) = self.breaker.admit() else {
            self.count(LlmError::CircuitOpen.code());
            return Err(LlmError::CircuitOpen);
        };
        // A trial after a pause is one attempt: its only question is whether the provider is back.
        let max_attempts = if permit.trial {
            1
        } else {
            self.retry.max_attempts.max(1)
        };
        let started = Instant::now();
        let mut attempts = 0;
        let mut waited = Duration::ZERO;
        let result = loop {
            attempts += 1;
            let failed = match attempt().await {
                Ok(reply) => break Ok(reply),
                Err(failed) => failed,
            };
            if !failed.retry {
                break Err(failed.error);
            }
            if attempts >= max_attempts {
                break Err(exhausted(failed.error, attempts));
            }
            let delay = failed
                .after
                .unwrap_or_else(|| backoff(&self.retry, attempts));
            if waited + delay > self.retry.max_total_wait {
                // Waiting that long would keep a customer waiting for minutes: give up now.
                break Err(match failed.error {
                    LlmError::RateLimited { .. } => LlmError::RateLimited {
                        retry_after: Some(delay),
                    },
                    other => exhausted(other, attempts),
                });
            }
            tracing::info!(
                provider = self.provider,
                attempt = attempts,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %failed.error,
                "retrying the model call"
            );
            metrics::counter!("inbox_llm_retries_total", "provider" => self.provider).increment(1);
            tokio::time::sleep(delay).await;
            waited += delay;
        };
        let latency = started.elapsed();
        metrics::histogram!("inbox_llm_request_seconds", "provider" => self.provider)
            .record(latency.as_secs_f64());
        permit.settle(match &result {
            Ok(_) => false,
            Err(error) => error.is_transient(),
        });
        match result {
            Ok(reply) => {
                self.count("ok");
                Ok(ChatAnswer {
                    text: reply.text,
                    model_version: reply.model_version,
                    usage: reply.usage,
                    latency,
                    attempts,
                })
            }
            Err(error) => {
                self.count(error.code());
                Err(error)
            }
        }
    }

    /// Adds billed tokens: every answer the provider billed counts, usable or not.
    pub(crate) fn bill(&self, usage: &Usage) {
        for (kind, tokens) in [
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
            ("thinking", usage.thinking_tokens),
        ] {
            metrics::counter!("inbox_llm_tokens_total", "provider" => self.provider, "kind" => kind)
                .increment(tokens);
        }
    }

    fn count(&self, outcome: &'static str) {
        metrics::counter!("inbox_llm_requests_total", "provider" => self.provider, "outcome" => outcome)
            .increment(1);
    }
}

/// The last transient error, saying how many attempts were made.
fn exhausted(error: LlmError, attempts: u32) -> LlmError {
    match error {
        LlmError::Unavailable { message } if attempts > 1 => LlmError::Unavailable {
            message: format!("{message} (after {attempts} attempts)"),
        },
        other => other,
    }
}

/// The wait before retry number `attempt` (1 after the first call): `base_delay · 2^(attempt-1)`, capped at
/// `max_delay`, then "equal jitter" (a random point in its upper half) so that clients failing together
/// do not retry together.
pub(crate) fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let full = policy
        .base_delay
        .saturating_mul(1 << exponent)
        .min(policy.max_delay);
    let half = full / 2;
    let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    let random = (uuid::Uuid::new_v4().as_u128() as u64) % spread.saturating_add(1);
    half + Duration::from_nanos(random)
}

/// The circuit breaker: closed (counting transient failures in a row), open (until a time), or half
/// open (one trial request is out). A std mutex: it is held for a few instructions, never across an await.
#[derive(Debug)]
struct Breaker {
    policy: BreakerPolicy,
    state: Mutex<BreakerState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BreakerState {
    Closed { failures: u32 },
    Open { until: Instant },
    Trial,
}

/// Leave to make one request; reports its outcome through [`Permit::settle`]. Dropped unsettled (the
/// request was cancelled), a trial leaves the breaker open but ready for the next trial.
struct Permit<'a> {
    breaker: &'a Breaker,
    trial: bool,
    settled: bool,
}

impl Breaker {
    fn new(policy: BreakerPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(BreakerState::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        // The state is a plain value: a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn admit(&self) -> Option<Permit<'_>> {
        let mut state = self.lock();
        let trial = match *state {
            BreakerState::Closed { .. } => false,
            BreakerState::Open { until } if Instant::now() >= until => {
                *state = BreakerState::Trial;
                true
            }
            BreakerState::Open { .. } | BreakerState::Trial => return None,
        };
        Some(Permit {
            breaker: self,
            trial,
            settled: false,
        })
    }
}

impl Permit<'_> {
    /// Records how the request ended: only transient failures (outages, throttling) count against the
    /// provider; a refusal or an unusable answer shows it is up.
    fn settle(mut self, transient_failure: bool) {
        self.settled = true;
        let policy = self.breaker.policy;
        let mut state = self.breaker.lock();
        let open = BreakerState::Open {
            until: Instant::now() + policy.open_for,
        };
        *state = match (*state, transient_failure) {
            _ if policy.failures == 0 => BreakerState::Closed { failures: 0 },
            (_, false) => BreakerState::Closed { failures: 0 },
            (BreakerState::Trial, true) if self.trial => open,
            (BreakerState::Closed { failures }, true) if failures + 1 >= policy.failures => {
                tracing::warn!(
                    failures = failures + 1,
                    pause_s = policy.open_for.as_secs(),
                    "the model provider keeps failing: pausing calls"
                );
                open
            }
            (BreakerState::Closed { failures }, true) => BreakerState::Closed {
                failures: failures + 1,
            },
            // Opened meanwhile by another request: it stays as it is.
            (other, true) => other,
        };
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial && !self.settled {
            let mut state = self.breaker.lock();
            if *state == BreakerState::Trial {
                *state = BreakerState::Open {
                    until: Instant::now(),
                };
            }
        }
    }
}

/// A protobuf `Duration` in its JSON form, as Gemini's `RetryInfo.retryDelay` carries it: `"26s"`,
/// `"1.5s"`, `"26.660853464s"`. Anything else (negative, no `s`, more than nanosecond digits) is `None`.
pub(crate) fn parse_proto_duration(text: &str) -> Option<Duration> {
    let number = text.trim().strip_suffix('s')?;
    parse_seconds(number)
}

/// Decimal seconds (`45`, `45.19`) to a duration, exactly to the nanosecond.
fn parse_seconds(number: &str) -> Option<Duration> {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() > 9 {
        return None;
    }
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let nanos: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().ok()?
    };
    Some(Duration::new(secs, nanos))
}

/// The delay a message asks for in words, as Google's and OpenAI's 429 messages do: `... Please retry in
/// 26.660853464s.`, `Please try again in 45.19s.`, `... try again in 120ms.`
pub(crate) fn delay_in_message(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let start = ["retry in ", "try again in "]
        .iter()
        .filter_map(|marker| lower.find(marker).map(|at| at + marker.len()))
        .min()?;
    let rest = &lower[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let number = rest[..end].trim_end_matches('.');
    let unit = &rest[end..];
    if unit.starts_with("ms") {
        let millis = parse_seconds(number)?;
        // `parse_seconds` read the number as seconds; it was milliseconds.
        Some(millis / 1000)
    } else if unit.starts_with('s') {
        parse_seconds(number)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_attempts: u32, max_total_wait_ms: u64) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            max_total_wait: Duration::from_millis(max_total_wait_ms),
        }
    }

    fn reply() -> Reply {
        Reply {
            text: "hi".into(),
            model_version: "m".into(),
            usage: Usage::default(),
        }
    }

    fn outage() -> Failed {
        Failed::transient(
            LlmError::Unavailable {
                message: "HTTP 503".into(),
            },
            None,
        )
    }

    #[test]
    fn retry_delays_parse_like_protobuf_durations() {
        assert_eq!(
            parse_proto_duration("1.5s"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_proto_duration("26.660853464s"),
            Some(Duration::new(26, 660_853_464))
        );
        assert_eq!(parse_proto_duration("26s"), Some(Duration::from_secs(26)));
        assert_eq!(
            parse_proto_duration("0.5s"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_proto_duration(".25s"),
            Some(Duration::from_millis(250))
        );
        for bad in [
            "",
            "s",
            "26",
            "-1s",
            "1.5ms",
            "1.2345678901s",
            "abc",
            "1e3s",
        ] {
            assert_eq!(parse_proto_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn delays_written_in_messages_are_read() {
        assert_eq!(
            delay_in_message("You exceeded your current quota. Please retry in 26.660853464s."),
            Some(Duration::new(26, 660_853_464))
        );
        assert_eq!(
            delay_in_message("Rate limit reached for gpt-4o-mini ... Please try again in 45.19s."),
            Some(Duration::from_millis(45_190))
        );
        assert_eq!(
            delay_in_message("Please try again in 120ms."),
            Some(Duration::from_millis(120))
        );
        assert_eq!(delay_in_message("Resource has been exhausted"), None);
        assert_eq!(delay_in_message("retry in a while"), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let p = policy(5, 10_000);
        for _ in 0..50 {
            let first = backoff(&p, 1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = backoff(&p, 2);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = backoff(&p, 12);
            assert!(capped >= Duration::from_millis(200) && capped <= Duration::from_millis(400));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_an_answer() {
        let engine = Engine::new("test", policy(3, 10_000));
        let mut calls = 0;
        let answer = engine
            .run(|| {
                calls += 1;
                let n = calls;
                async move {
                    if n < 3 {
                        Err(outage())
                    } else {
                        Ok(reply())
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!((answer.attempts, calls), (3, 3));
        // Two back-offs: at least 50 ms and 100 ms (the lower halves of 100 and 200 ms).
        assert!(
            answer.latency >= Duration::from_millis(150),
            "{:?}",
            answer.latency
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_no_retry_helps_is_returned_after_one_call() {
        let engine = Engine::new("test", policy(3, 10_000));
        let mut calls = 0;
        let error = engine
            .run(|| {
                calls += 1;
                async { Err::<Reply, _>(Failed::fatal(LlmError::InvalidKey)) }
            })
            .await
            .unwrap_err();
        assert_eq!((error, calls), (LlmError::InvalidKey, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_delay_beyond_the_total_wait_gives_up_at_once() {
        let engine = Engine::new("test", policy(3, 1_000));
        let started = Instant::now();
        let mut calls = 0;
        let error = engine
            .run(|| {
                calls += 1;
                async {
                    Err::<Reply, _>(Failed::transient(
                        LlmError::RateLimited {
                            retry_after: Some(Duration::from_secs(60)),
                        },
                        Some(Duration::from_secs(60)),
                    ))
                }
            })
            .await
            .unwrap_err();
        assert_eq!(
            error,
            LlmError::RateLimited {
                retry_after: Some(Duration::from_secs(60))
            }
        );
        assert_eq!(calls, 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn exhausted_retries_say_how_many_attempts_failed() {
        let engine = Engine::new("test", policy(2, 10_000));
        let error = engine
            .run(|| async { Err::<Reply, _>(outage()) })
            .await
            .unwrap_err();
        assert_eq!(
            error,
            LlmError::Unavailable {
                message: "HTTP 503 (after 2 attempts)".into()
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_breaker_opens_pauses_and_lets_one_trial_through() {
        let mut engine = Engine::new("test", policy(1, 0));
        engine.set_breaker(BreakerPolicy {
            failures: 2,
            open_for: Duration::from_secs(30),
        });
        let calls = std::sync::atomic::AtomicU32::new(0);
        let fail = || {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { Err::<Reply, _>(outage()) }
        };
        // A refusal between failures shows the provider is up: the count starts again.
        engine.run(fail).await.unwrap_err();
        engine
            .run(|| async { Err::<Reply, _>(Failed::fatal(LlmError::InvalidKey)) })
            .await
            .unwrap_err();
        engine.run(fail).await.unwrap_err();
        assert_eq!(
            calls.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "still closed"
        );
        engine.run(fail).await.unwrap_err();
        assert_eq!(engine.run(fail).await, Err(LlmError::CircuitOpen));
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);

        // After the pause, one trial; its failure pauses again.
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(engine.run(fail).await.unwrap_err().is_transient());
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 4);
        assert_eq!(engine.run(fail).await, Err(LlmError::CircuitOpen));

        // A successful trial closes it.
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(engine.run(|| async { Ok(reply()) }).await.is_ok());
        assert!(engine.run(|| async { Ok(reply()) }).await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn while_a_trial_is_out_other_requests_wait_and_a_dropped_trial_frees_the_next() {
        let mut engine = Engine::new("test", policy(1, 0));
        engine.set_breaker(BreakerPolicy {
            failures: 1,
            open_for: Duration::from_secs(1),
        });
        engine
            .run(|| async { Err::<Reply, _>(outage()) })
            .await
            .unwrap_err();
        tokio::time::advance(Duration::from_secs(1)).await;
        {
            let trial = engine.run(std::future::pending::<Result<Reply, Failed>>);
            let mut trial = Box::pin(trial);
            assert!(futures::poll!(trial.as_mut()).is_pending());
            assert_eq!(
                engine.run(|| async { Ok(reply()) }).await,
                Err(LlmError::CircuitOpen)
            );
            // The trial is dropped here, unanswered.
        }
        assert!(engine.run(|| async { Ok(reply()) }).await.is_ok());
    }
}
