//! Sign-in limits that slow guessing down without ever locking the right password out.
//!
//! Attempts are counted over a sliding window under three keys: the account at one client address (one
//! place guessing one account), the client address (one place guessing many accounts; an IPv6 client
//! by its /64, which one machine usually holds whole) and the account from anywhere (many places
//! guessing one account). Within a key's allowance attempts are free. Past it the key is *slowed*: its
//! attempts are checked one at a time, and each wrong one makes the next wait a step longer (1 s, 2 s,
//! ... up to 20 s). A right password is checked like any other and signs in: it can be made to wait
//! its turn, never refused because of failures before it. So a guesser gets a handful of free guesses
//! and then one per delay, however many connections they open, while the real user at worst waits.
//!
//! An attempt is counted as a failure from the moment it is admitted until it proves right, so a burst
//! of parallel guesses cannot slip past the allowance. One whose turn does not come within
//! [`Limits::longest_wait`] is refused without being checked (429 with `Retry-After`). Counted per node;
//! behind a load balancer each node enforces its own share.

use super::client::address_key;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

/// How many failures each key allows, and how attempts past them are slowed.
#[derive(Debug, Clone)]
pub struct Limits {
    pub window: Duration,
    /// Failures allowed for one email from one client address.
    pub per_account_at_address: usize,
    /// Failures allowed from one client address, whatever the email.
    pub per_address: usize,
    /// Failures allowed for one email from every address together.
    pub per_account: usize,
    /// Each failure past an allowance makes the key's next attempt wait this much longer...
    pub step: Duration,
    /// ...up to this.
    pub longest_delay: Duration,
    /// An attempt that cannot be checked within this is refused unchecked.
    pub longest_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            window: Duration::from_secs(15 * 60),
            per_account_at_address: 5,
            per_address: 20,
            per_account: 50,
            step: Duration::from_secs(1),
            longest_delay: Duration::from_secs(20),
            longest_wait: Duration::from_secs(30),
        }
    }
}

#[derive(Default)]
struct Key {
    /// When each attempt counted as failed was admitted, oldest first.
    failures: VecDeque<Instant>,
    /// Held while a slowed key's attempt waits out its delay and is checked.
    gate: Arc<tokio::sync::Mutex<()>>,
    /// A slowed key's next attempt is not checked before this.
    not_before: Option<Instant>,
}

impl Key {
    fn forget_before(&mut self, now: Instant, window: Duration) {
        while self
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            self.failures.pop_front();
        }
    }

    fn in_use(&self, now: Instant) -> bool {
        !self.failures.is_empty()
            || Arc::strong_count(&self.gate) > 1
            || self.not_before.is_some_and(|t| t > now)
    }
}

#[derive(Default)]
pub struct SignInThrottle {
    limits: Limits,
    keys: Mutex<HashMap<String, Key>>,
}

/// An admitted attempt: report how it went with [`Attempt::succeeded`] or [`Attempt::failed`]. Dropped
/// without either, it stays counted as a failure.
#[must_use]
pub struct Attempt<'a> {
    throttle: &'a SignInThrottle,
    /// The keys, each with its allowance.
    keys: Vec<(String, usize)>,
    admitted: Instant,
    _turns: Vec<OwnedMutexGuard<()>>,
}

impl SignInThrottle {
    pub fn new(limits: Limits) -> Self {
        SignInThrottle {
            limits,
            keys: Mutex::default(),
        }
    }

    fn keys(&self, email: &str, address: Option<IpAddr>) -> Vec<(String, usize)> {
        let email = email.to_lowercase();
        let address = address_key(address);
        vec![
            (
                format!("account@address:{email} {address}"),
                self.limits.per_account_at_address,
            ),
            (format!("address:{address}"), self.limits.per_address),
            (format!("account:{email}"), self.limits.per_account),
        ]
    }

    fn delay(&self, past_allowance: usize) -> Duration {
        self.limits
            .step
            .saturating_mul(u32::try_from(past_allowance).unwrap_or(u32::MAX))
            .min(self.limits.longest_delay)
    }

    fn with_keys<T>(&self, f: impl FnOnce(&mut HashMap<String, Key>) -> T) -> T {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut keys)
    }

    /// Counts an attempt and waits for its turn on every slowed key; `Err(wait)` when the turn does not
    /// come within the longest wait (the attempt is then not counted, and must not be checked).
    pub async fn admit(
        &self,
        email: &str,
        address: Option<IpAddr>,
    ) -> Result<Attempt<'_>, Duration> {
        let keys = self.keys(email, address);
        let now = Instant::now();
        let gates: Vec<(String, Arc<tokio::sync::Mutex<()>>)> = self.with_keys(|map| {
            let mut gates = Vec::new();
            for (name, allowance) in &keys {
                let key = map.entry(name.clone()).or_default();
                key.forget_before(now, self.limits.window);
                if key.failures.len() >= *allowance {
                    gates.push((name.clone(), key.gate.clone()));
                }
                key.failures.push_back(now);
            }
            if map.len() > 10_000 {
                map.retain(|_, key| {
                    key.forget_before(now, self.limits.window);
                    key.in_use(now)
                });
            }
            gates
        });
        let turns = async {
            let mut turns = Vec::new();
            for (name, gate) in gates {
                turns.push(gate.lock_owned().await);
                let not_before = self.with_keys(|map| map.get(&name).and_then(|k| k.not_before));
                if let Some(at) = not_before {
                    tokio::time::sleep_until(at).await;
                }
            }
            turns
        };
        match tokio::time::timeout(self.limits.longest_wait, turns).await {
            Ok(turns) => Ok(Attempt {
                throttle: self,
                keys,
                admitted: now,
                _turns: turns,
            }),
            Err(_) => {
                let wait = self.with_keys(|map| {
                    for (name, _) in &keys {
                        if let Some(key) = map.get_mut(name) {
                            uncount(key, now);
                        }
                    }
                    keys.iter()
                        .filter_map(|(name, _)| map.get(name)?.not_before)
                        .max()
                        .map(|t| t.saturating_duration_since(Instant::now()))
                        .unwrap_or_default()
                });
                Err(wait.max(Duration::from_secs(1)))
            }
        }
    }
}

/// Takes back one attempt admitted at `at`.
fn uncount(key: &mut Key, at: Instant) {
    if let Some(i) = key.failures.iter().rposition(|t| *t == at) {
        key.failures.remove(i);
    }
}

impl Attempt<'_> {
    /// The password was right: the attempt was no failure, and the account's failures from this address
    /// are forgiven (not those of the address or of the account elsewhere).
    pub fn succeeded(self) {
        self.throttle.with_keys(|map| {
            for (i, (name, _)) in self.keys.iter().enumerate() {
                if let Some(key) = map.get_mut(name) {
                    match i {
                        0 => {
                            key.failures.clear();
                            key.not_before = None;
                        }
                        _ => uncount(key, self.admitted),
                    }
                }
            }
        });
    }

    /// The password (or the email) was wrong. `Some(delay)` when a key is now past its allowance: its
    /// next attempt waits that long, which the answer says (429 with `Retry-After`).
    pub fn failed(self) -> Option<Duration> {
        let throttle = self.throttle;
        let now = Instant::now();
        throttle.with_keys(|map| {
            let mut slowed = None;
            for (name, allowance) in &self.keys {
                let Some(key) = map.get_mut(name) else {
                    continue;
                };
                let past = key.failures.len().saturating_sub(*allowance);
                if past > 0 {
                    let delay = throttle.delay(past);
                    key.not_before = Some(now + delay);
                    slowed = slowed.max(Some(delay));
                }
            }
            slowed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Limits {
        Limits {
            window: Duration::from_secs(60),
            per_account_at_address: 3,
            per_address: 6,
            per_account: 8,
            step: Duration::from_millis(100),
            longest_delay: Duration::from_millis(300),
            longest_wait: Duration::from_millis(1500),
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[tokio::test]
    async fn past_the_allowance_wrong_guesses_are_slowed_and_the_right_password_still_passes() {
        let throttle = SignInThrottle::new(quick());
        for _ in 0..3 {
            let attempt = throttle.admit("ann@x.io", ip("10.0.0.1")).await.unwrap();
            assert_eq!(attempt.failed(), None, "within the allowance");
        }
        let attempt = throttle.admit("ANN@x.io", ip("10.0.0.1")).await.unwrap();
        assert_eq!(attempt.failed(), Some(Duration::from_millis(100)));
        let started = Instant::now();
        let attempt = throttle.admit("ann@x.io", ip("10.0.0.1")).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(90),
            "the next attempt waited its turn"
        );
        attempt.succeeded();
        // Forgiven at this address: free again.
        let started = Instant::now();
        let attempt = throttle.admit("ann@x.io", ip("10.0.0.1")).await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(90));
        assert_eq!(attempt.failed(), None);
    }

    #[tokio::test]
    async fn delays_grow_by_a_step_per_failure_up_to_the_longest() {
        let throttle = SignInThrottle::new(quick());
        let mut delays = Vec::new();
        for _ in 0..8 {
            let attempt = throttle.admit("ann@x.io", ip("10.0.0.1")).await.unwrap();
            delays.push(attempt.failed().map(|d| d.as_millis()));
        }
        assert_eq!(
            delays,
            [
                None,
                None,
                None,
                Some(100),
                Some(200),
                Some(300),
                Some(300),
                Some(300)
            ]
        );
    }

    #[tokio::test]
    async fn parallel_guesses_past_the_allowance_are_checked_one_at_a_time() {
        let throttle = Arc::new(SignInThrottle::new(Limits {
            longest_wait: Duration::from_millis(450),
            ..quick()
        }));
        // Twelve guesses at once: three free, then turns 100 ms, 200 ms, 300 ms apart (600 ms in all),
        // so the rest cannot have a turn within 450 ms and are refused unchecked.
        let guesses = (0..12).map(|_| {
            let throttle = throttle.clone();
            tokio::spawn(async move {
                match throttle.admit("ann@x.io", ip("10.0.0.1")).await {
                    Ok(attempt) => {
                        let _ = attempt.failed();
                        true
                    }
                    Err(wait) => {
                        assert!(wait >= Duration::from_secs(1));
                        false
                    }
                }
            })
        });
        let checked = futures::future::join_all(guesses)
            .await
            .into_iter()
            .filter(|r| *r.as_ref().unwrap())
            .count();
        assert!((4..=6).contains(&checked), "{checked} guesses were checked");
    }

    #[tokio::test]
    async fn one_address_guessing_many_accounts_is_slowed_and_other_addresses_are_not() {
        let throttle = SignInThrottle::new(quick());
        for i in 0..6 {
            let attempt = throttle
                .admit(&format!("user{i}@x.io"), ip("10.0.0.1"))
                .await
                .unwrap();
            assert_eq!(attempt.failed(), None);
        }
        let attempt = throttle.admit("new@x.io", ip("10.0.0.1")).await.unwrap();
        assert!(
            attempt.failed().is_some(),
            "the address is past its allowance"
        );
        let attempt = throttle.admit("new@x.io", ip("10.0.0.2")).await.unwrap();
        assert_eq!(attempt.failed(), None, "another address is not");
    }

    #[tokio::test]
    async fn an_account_guessed_from_many_addresses_is_slowed_everywhere() {
        let throttle = SignInThrottle::new(quick());
        for i in 0..8 {
            let attempt = throttle
                .admit("ann@x.io", ip(&format!("10.0.0.{i}")))
                .await
                .unwrap();
            assert_eq!(attempt.failed(), None);
        }
        let attempt = throttle.admit("ann@x.io", ip("10.9.9.9")).await.unwrap();
        assert_eq!(attempt.failed(), Some(Duration::from_millis(100)));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(
            address_key(ip("2001:db8:1:2:aaaa::1")),
            address_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            address_key(ip("2001:db8:1:2::1")),
            address_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(address_key(ip("::ffff:10.0.0.1")), "10.0.0.1");
        assert_eq!(address_key(None), "unknown");
    }
}
