//! How fast a number may send: a token bucket for the number's throughput (Meta allows 80 messages per
//! second by default), and back-off with jitter between attempts. Pure: time is passed in.

use crate::graph::CallError;
use std::time::Duration;
use tokio::time::Instant;

/// Up to `rate` sends per second, with bursts of up to one second's worth.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    pub fn new(rate_per_second: f64, now: Instant) -> Self {
        let rate = rate_per_second.max(0.001);
        let capacity = rate.max(1.0);
        Self {
            rate,
            capacity,
            tokens: capacity,
            refilled_at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.refilled_at = self.refilled_at.max(now);
    }

    /// Takes a token if one is there.
    pub fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// When the next token will be there.
    pub fn next_token_at(&mut self, now: Instant) -> Instant {
        self.refill(now);
        if self.tokens >= 1.0 {
            now
        } else {
            now + Duration::from_secs_f64((1.0 - self.tokens) / self.rate)
        }
    }
}

/// How often and how far apart a message is attempted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait after the first failed attempt; it doubles with each further one.
    pub base: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base: Duration::from_secs(2),
            max_delay: Duration::from_secs(300),
        }
    }
}

/// Meta's pair limit (131056: too many messages to one customer) wants a longer pause than other
/// throttling: about one message per six seconds to the same person.
const PAIR_LIMIT_FLOOR: Duration = Duration::from_secs(6);

impl RetryPolicy {
    /// Whether a failed attempt number `attempt` (1-based) may be followed by another.
    pub fn retries_after(&self, attempt: u32, error: &CallError) -> bool {
        error.is_retryable() && attempt < self.max_attempts
    }

    /// The wait before the attempt after `attempt`: exponential, capped, and spread by `jitter` (a number
    /// in [0, 1), drawn by the caller) over the upper half, so many senders throttled together do not
    /// come back together.
    pub fn delay(&self, attempt: u32, error: &CallError, jitter: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let mut delay = self
            .base
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        if error.code() == Some(131056) {
            delay = delay.max(PAIR_LIMIT_FLOOR.min(self.max_delay));
        }
        delay.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// A number in [0, 1) from the system's randomness (for jitter).
pub fn jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64;
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphError;

    fn api(code: i64, status: u16) -> CallError {
        CallError::Api(Box::new(GraphError::from_response(
            status,
            format!(r#"{{"error":{{"code":{code},"message":"x","type":"OAuthException"}}}}"#)
                .as_bytes(),
        )))
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(80.0, start);
        let burst = (0..200).filter(|_| bucket.try_take(start)).count();
        assert_eq!(burst, 80, "one second's worth at once");
        let later = start + Duration::from_millis(500);
        let more = (0..200).filter(|_| bucket.try_take(later)).count();
        assert_eq!(more, 40, "then 80 per second");
        assert!(bucket.next_token_at(later) > later);
        assert!(bucket.next_token_at(later) <= later + Duration::from_millis(13));
    }

    #[test]
    fn a_slow_bucket_sends_one_at_a_time() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(0.5, start);
        assert!(bucket.try_take(start));
        assert!(!bucket.try_take(start + Duration::from_secs(1)));
        assert_eq!(
            bucket.next_token_at(start + Duration::from_secs(1)),
            start + Duration::from_secs(2)
        );
        assert!(bucket.try_take(start + Duration::from_secs(2)));
    }

    #[test]
    fn delays_grow_are_capped_and_jittered() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        };
        let throttled = api(130429, 400);
        assert_eq!(policy.delay(1, &throttled, 1.0), Duration::from_secs(1));
        assert_eq!(policy.delay(3, &throttled, 1.0), Duration::from_secs(4));
        assert_eq!(policy.delay(9, &throttled, 1.0), Duration::from_secs(30));
        assert_eq!(policy.delay(3, &throttled, 0.0), Duration::from_secs(2));
        assert_eq!(
            policy.delay(1, &api(131056, 400), 1.0),
            Duration::from_secs(6)
        );
    }

    #[test]
    fn only_retryable_errors_are_retried_and_only_so_often() {
        let policy = RetryPolicy::default();
        assert!(policy.retries_after(1, &api(130429, 400)));
        assert!(policy.retries_after(1, &api(1, 500)));
        assert!(policy.retries_after(1, &CallError::Timeout { seconds: 30 }));
        assert!(!policy.retries_after(1, &api(131047, 400)));
        assert!(!policy.retries_after(1, &api(190, 401)));
        assert!(!policy.retries_after(policy.max_attempts, &api(130429, 400)));
    }

    #[test]
    fn jitter_is_in_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
