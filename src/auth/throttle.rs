//! Sign-in rate limits: failed attempts are counted per email (one account guessed from many places)
//! and per client address (many accounts guessed from one place) over a sliding window. Counted per
//! node; behind a load balancer each node enforces its own share.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed attempts allowed per email in the window.
pub const PER_ACCOUNT: usize = 5;
/// Failed attempts allowed per client address in the window.
pub const PER_ADDRESS: usize = 20;

#[derive(Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

fn keys(email: &str, address: &str) -> [(String, usize); 2] {
    [
        (format!("email:{}", email.to_lowercase()), PER_ACCOUNT),
        (format!("addr:{address}"), PER_ADDRESS),
    ]
}

impl SignInThrottle {
    /// `Err(wait)` when either limit is reached: how long until an attempt is allowed again.
    pub fn check(&self, email: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, limit) in keys(email, address) {
            if let Some(times) = failures.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= WINDOW)
                {
                    times.pop_front();
                }
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        match wait.is_zero() {
            true => Ok(()),
            false => Err(wait.max(Duration::from_secs(1))),
        }
    }

    pub fn failed(&self, email: &str, address: &str, now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in keys(email, address) {
            failures.entry(key).or_default().push_back(now);
        }
        // Bound memory under a spray of addresses: forget keys whose attempts are all old.
        if failures.len() > 10_000 {
            failures.retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub fn succeeded(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.remove(&format!("email:{}", email.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_locks_after_five_failures_until_the_window_passes() {
        let throttle = SignInThrottle::default();
        let start = Instant::now();
        for i in 0..PER_ACCOUNT {
            assert!(
                throttle.check("Ann@x.io", "10.0.0.1", start).is_ok(),
                "attempt {i}"
            );
            throttle.failed("ann@x.io", &format!("10.0.0.{i}"), start);
        }
        let wait = throttle.check("ANN@x.io", "10.9.9.9", start).unwrap_err();
        assert_eq!(wait, WINDOW);
        assert!(throttle.check("bob@x.io", "10.9.9.9", start).is_ok());
        assert!(throttle
            .check("ann@x.io", "10.9.9.9", start + WINDOW)
            .is_ok());
    }

    #[test]
    fn an_address_locks_after_twenty_failures_across_accounts() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for i in 0..PER_ADDRESS {
            throttle.failed(&format!("user{i}@x.io"), "10.0.0.1", now);
        }
        assert!(throttle.check("new@x.io", "10.0.0.1", now).is_err());
        assert!(throttle.check("new@x.io", "10.0.0.2", now).is_ok());
    }

    #[test]
    fn success_clears_the_account_count() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for _ in 0..PER_ACCOUNT {
            throttle.failed("ann@x.io", "10.0.0.1", now);
        }
        throttle.succeeded("ann@x.io");
        assert!(throttle.check("ann@x.io", "10.0.0.1", now).is_ok());
    }
}
