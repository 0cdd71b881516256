//! Request rates: how many requests a caller may make, as token buckets kept per key.
//!
//! A rate such as `600/minute` lets a key make 600 requests at once and then one every tenth of a second:
//! a burst as large as the rate, refilled steadily. A refused request is told, in `Retry-After`, when
//! its next token is due. The three limits the original system had keep their names:
//! - `RATE_LIMIT_DEFAULT`: every API call, per signed-in user (or token), and per client address for
//!   calls that carry no credentials or whose credentials are refused;
//! - `RATE_LIMIT_AUTH`: sign-in and first set-up attempts, per client address;
//! - `RATE_LIMIT_WEBHOOK`: Meta's webhook deliveries, for the whole node (Meta sends from many
//!   addresses); above it the webhook answers 503 so that Meta delivers again later: nothing is lost.
//!
//! Counted per node; behind a load balancer each node enforces its own share.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests allowed per period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl Rate {
    /// `600/minute`, `10/second`, `1000/hour`, `50000/day`, also `600/min`, `10/s`, `600 per minute`,
    /// `1/5 seconds`; a bare number is per minute. `off` (or `0`) sets no limit: `None`.
    pub fn parse(text: &str) -> Result<Option<Rate>, String> {
        let text = text.trim().to_ascii_lowercase();
        if text == "off" || text == "none" || text == "0" {
            return Ok(None);
        }
        let (count, unit) = match text.split_once('/').or_else(|| text.split_once(" per ")) {
            Some((count, unit)) => (count.trim(), unit.trim()),
            None => (text.as_str(), "minute"),
        };
        // An optional multiple: `1/5 seconds`, `10/2 minutes`.
        let (multiple, unit) = match unit.find(|c: char| !c.is_ascii_digit()) {
            Some(0) | None => (1, unit),
            Some(at) => match unit[..at].parse::<u32>() {
                Ok(n) if n > 0 => (n, unit[at..].trim()),
                _ => return Err(format!("must be a rate such as 600/minute; not {text:?}")),
            },
        };
        let per = match unit {
            "s" | "sec" | "second" | "seconds" => Duration::from_secs(1),
            "m" | "min" | "minute" | "minutes" => Duration::from_secs(60),
            "h" | "hour" | "hours" => Duration::from_secs(3600),
            "d" | "day" | "days" => Duration::from_secs(86_400),
            other => {
                return Err(format!(
                    "must be a rate such as 600/minute (second, minute, hour or day), or off; \
                     {other:?} is not a period"
                ))
            }
        };
        match count.parse::<u32>() {
            Ok(0) => Ok(None),
            Ok(count) => Ok(Some(Rate {
                count,
                per: per * multiple,
            })),
            Err(_) => Err(format!(
                "must be a rate such as 600/minute, or off; {count:?} is not a whole number"
            )),
        }
    }

    /// Tokens earned per second.
    fn refill(&self) -> f64 {
        f64::from(self.count) / self.per.as_secs_f64()
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.per.as_secs() {
            1 => write!(f, "{}/second", self.count),
            60 => write!(f, "{}/minute", self.count),
            3600 => write!(f, "{}/hour", self.count),
            86_400 => write!(f, "{}/day", self.count),
            seconds => write!(f, "{}/{seconds} seconds", self.count),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets per key under one rate; no rate: everything passes.
#[derive(Debug)]
pub struct RateLimiter<K> {
    rate: Option<Rate>,
    buckets: Mutex<Buckets<K>>,
}

#[derive(Debug)]
struct Buckets<K> {
    map: HashMap<K, Bucket>,
    /// When the map holds this many keys, the full buckets are forgotten (they carry nothing: a new
    /// bucket starts full).
    prune_at: usize,
}

const PRUNE_FLOOR: usize = 4096;

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(rate: Option<Rate>) -> Self {
        Self {
            rate,
            buckets: Mutex::new(Buckets {
                map: HashMap::new(),
                prune_at: PRUNE_FLOOR,
            }),
        }
    }

    pub fn rate(&self) -> Option<Rate> {
        self.rate
    }

    /// Takes one token of `key`'s bucket, or says how long until one is due.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let capacity = f64::from(rate.count);
        let refill = rate.refill();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.map.len() >= buckets.prune_at {
            buckets.map.retain(|_, b| {
                let earned = now.saturating_duration_since(b.at).as_secs_f64() * refill;
                b.tokens + earned < capacity
            });
            buckets.prune_at = (buckets.map.len() * 2).max(PRUNE_FLOOR);
        }
        let bucket = buckets.map.entry(key.clone()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let earned = now.saturating_duration_since(bucket.at).as_secs_f64() * refill;
        bucket.tokens = (bucket.tokens + earned).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / refill;
            Err(Duration::from_secs_f64(wait).max(Duration::from_millis(1)))
        }
    }
}

/// The node's three limits.
#[derive(Debug)]
pub struct RateLimits {
    /// Keyed `user:{id}` for a caller whose credentials hold, `address:{client}` for one whose do not.
    pub api: RateLimiter<String>,
    /// Keyed by the client address (an IPv6 client by its /64).
    pub auth: RateLimiter<String>,
    /// One bucket for the node.
    pub webhook: RateLimiter<()>,
}

impl RateLimits {
    pub fn new(settings: &crate::config::LimitSettings) -> Self {
        Self {
            api: RateLimiter::new(settings.api),
            auth: RateLimiter::new(settings.auth),
            webhook: RateLimiter::new(settings.webhook),
        }
    }
}

/// `RATE_LIMIT_DEFAULT` for API requests that carry no credentials at all (public routes, and callers
/// without a token; sign-in and set-up have `RATE_LIMIT_AUTH` instead), per client address, in the bucket refused credentials count in. Requests with
/// credentials are counted where they are authenticated (`api::auth`), per user.
pub struct AnonymousApiLimit {
    pub state: std::sync::Arc<super::AppState>,
}

impl<E: poem::Endpoint> poem::Middleware<E> for AnonymousApiLimit {
    type Output = AnonymousApiLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AnonymousApiLimitEndpoint {
            inner,
            state: self.state.clone(),
        }
    }
}

pub struct AnonymousApiLimitEndpoint<E> {
    inner: E,
    state: std::sync::Arc<super::AppState>,
}

impl<E: poem::Endpoint> poem::Endpoint for AnonymousApiLimitEndpoint<E> {
    type Output = poem::Response;

    async fn call(&self, req: poem::Request) -> poem::Result<poem::Response> {
        use poem::IntoResponse;
        let path = req.uri().path();
        // Sign-in and set-up have `RATE_LIMIT_AUTH`.
        let own_limit = req.method() == poem::http::Method::POST
            && (path == "/api/v1/auth/sign-in" || path == "/api/v1/auth/setup");
        let anonymous = path.starts_with("/api/")
            && !own_limit
            && !req
                .headers()
                .contains_key(poem::http::header::AUTHORIZATION);
        if anonymous {
            let address = self.state.settings.trusted_proxies.client_of(&req);
            let key = format!("address:{}", crate::auth::client::address_key(address));
            if let Err(wait) = self.state.rate_limits.api.check(&key) {
                refused("api");
                return Ok(crate::api::error::ApiError::rate_limited(
                    "too many requests from this address; retry after the time Retry-After gives",
                    wait,
                )
                .into_response());
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// Counts a refusal under `inbox_rate_limited_total{limit}`.
pub fn refused(limit: &'static str) {
    metrics::counter!("inbox_rate_limited_total", "limit" => limit).increment(1);
}

/// `Retry-After` in whole seconds, never 0 (a client told 0 would retry at once).
pub fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_in_the_original_systems_notation() {
        let per_minute = |count| {
            Some(Rate {
                count,
                per: Duration::from_secs(60),
            })
        };
        assert_eq!(Rate::parse("600/minute"), Ok(per_minute(600)));
        assert_eq!(Rate::parse(" 100 per minute "), Ok(per_minute(100)));
        assert_eq!(Rate::parse("100/min"), Ok(per_minute(100)));
        assert_eq!(Rate::parse("100"), Ok(per_minute(100)));
        assert_eq!(
            Rate::parse("10/Second"),
            Ok(Some(Rate {
                count: 10,
                per: Duration::from_secs(1)
            }))
        );
        assert_eq!(
            Rate::parse("1/5 seconds"),
            Ok(Some(Rate {
                count: 1,
                per: Duration::from_secs(5)
            }))
        );
        assert_eq!(
            Rate::parse("10/2m").unwrap().unwrap().to_string(),
            "10/120 seconds"
        );
        assert_eq!(Rate::parse("off"), Ok(None));
        assert_eq!(Rate::parse("0/minute"), Ok(None));
        for bad in [
            "",
            "ten/minute",
            "10/fortnight",
            "-5/minute",
            "10/",
            "/minute",
            "1/0 seconds",
        ] {
            assert!(Rate::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_burst_as_large_as_the_rate_then_one_token_per_interval() {
        let limiter = RateLimiter::new(Rate::parse("3/second").unwrap());
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(&"ann", start), Ok(()));
        }
        let wait = limiter.check_at(&"ann", start).unwrap_err();
        assert!(
            wait > Duration::from_millis(300) && wait <= Duration::from_millis(334),
            "{wait:?}"
        );
        assert_eq!(retry_after_seconds(wait), 1);
        // Another key has its own bucket.
        assert_eq!(limiter.check_at(&"bob", start), Ok(()));
        // A third of a second later, one more request passes, and only one.
        let later = start + Duration::from_millis(340);
        assert_eq!(limiter.check_at(&"ann", later), Ok(()));
        assert!(limiter.check_at(&"ann", later).is_err());
    }

    #[test]
    fn without_a_rate_everything_passes() {
        let limiter = RateLimiter::new(None);
        let now = Instant::now();
        for _ in 0..10_000 {
            assert_eq!(limiter.check_at(&1, now), Ok(()));
        }
    }

    #[test]
    fn full_buckets_are_forgotten_and_partial_ones_kept() {
        let limiter = RateLimiter::new(Rate::parse("2/second").unwrap());
        let start = Instant::now();
        // A key that spent its tokens just now, among thousands that came once long ago.
        for key in 0..PRUNE_FLOOR as u32 - 1 {
            limiter.check_at(&key, start).unwrap();
        }
        let late = start + Duration::from_secs(5);
        limiter.check_at(&u32::MAX, late).unwrap();
        limiter.check_at(&u32::MAX, late).unwrap();
        // The next new key triggers the pruning: only the spent bucket survives it.
        limiter.check_at(&(u32::MAX - 1), late).unwrap();
        let kept = limiter.buckets.lock().unwrap().map.len();
        assert_eq!(kept, 2, "the spent bucket and the new one");
        assert!(limiter.check_at(&u32::MAX, late).is_err());
    }
}
