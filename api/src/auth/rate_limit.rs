//! Login rate limits, per account name and per client address, with
//! `governor` (MIT; actix-governor is GPL-3.0, so the middleware is ours).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::ApiError;

/// How many sign-in attempts are allowed per minute (password checks:
/// sign-in, a password change, a share link's password).
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    /// At one account from one client address: the limit a guesser meets.
    pub per_account_per_minute: u32,
    /// At one account from every address together: a bound on guessing
    /// from many addresses, high enough that one address spending its own
    /// attempts does not lock the account's owner out.
    pub per_account_everywhere_per_minute: u32,
    /// From one client address, at any accounts.
    pub per_address_per_minute: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_account_per_minute: 5,
            per_account_everywhere_per_minute: 30,
            per_address_per_minute: 30,
        }
    }
}

/// How many API requests one account (all its API tokens and web sessions
/// together) may make: a sustained rate and a burst above it.
#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    pub per_minute: u32,
    pub burst: u32,
}

impl Default for RequestLimits {
    /// 100 a second sustained, 1 000 at once: a gallery scrolling through
    /// thumbnails stays well inside; a runaway script does not.
    fn default() -> Self {
        RequestLimits {
            per_minute: 6_000,
            burst: 1_000,
        }
    }
}

/// Requests per key (an account; for share links, a client address), in
/// memory (each process its own).
pub struct RequestLimiter {
    per_key: DefaultKeyedRateLimiter<String>,
    /// The `limiter` label of the refusals metric.
    label: &'static str,
}

impl RequestLimiter {
    /// Limits for accounts (`requests` in the refusals metric).
    pub fn new(limits: RequestLimits) -> Self {
        Self::labelled(limits, "requests")
    }

    /// Limits counted under `label` in the refusals metric.
    pub fn labelled(limits: RequestLimits, label: &'static str) -> Self {
        let nonzero = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota =
            Quota::per_minute(nonzero(limits.per_minute)).allow_burst(nonzero(limits.burst));
        RequestLimiter {
            per_key: RateLimiter::keyed(quota),
            label,
        }
    }

    /// Counts one request by `key`; `429` with the wait when spent.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        check(&self.per_key, &key.to_string()).inspect_err(|_| count_refusal(self.label))?;
        if self.per_key.len() > 100_000 {
            self.per_key.retain_recent();
        }
        Ok(())
    }
}

/// The limiters a server keeps in memory (each process its own).
pub struct LoginLimiter {
    per_account_and_address: DefaultKeyedRateLimiter<(String, Option<IpAddr>)>,
    per_account: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginLimiter {
            per_account_and_address: RateLimiter::keyed(quota(limits.per_account_per_minute)),
            per_account: RateLimiter::keyed(quota(limits.per_account_everywhere_per_minute)),
            per_address: RateLimiter::keyed(quota(limits.per_address_per_minute)),
        }
    }

    /// Counts one attempt at `account` from `address` (the client's, see
    /// `client_address.rs`); `429` with the wait when a limit is spent.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Result<(), ApiError> {
        let account = account.trim().to_lowercase();
        let refused = |e| {
            count_refusal("login");
            e
        };
        if let Some(address) = address {
            check(&self.per_address, &address).map_err(refused)?;
        }
        check(&self.per_account_and_address, &(account.clone(), address)).map_err(refused)?;
        check(&self.per_account, &account).map_err(refused)?;
        // Forget idle keys now and then, so memory does not grow with guesses.
        if self.per_account_and_address.len() > 10_000 {
            self.per_account_and_address.retain_recent();
        }
        if self.per_account.len() > 10_000 {
            self.per_account.retain_recent();
        }
        if self.per_address.len() > 10_000 {
            self.per_address.retain_recent();
        }
        Ok(())
    }
}

/// `darkroom_rate_limit_refusals_total{limiter}`.
fn count_refusal(limiter: &'static str) {
    metrics::counter!("darkroom_rate_limit_refusals_total", "limiter" => limiter).increment(1);
}

fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), ApiError> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_past_its_burst_waits_and_others_do_not() {
        let limiter = RequestLimiter::new(RequestLimits {
            per_minute: 60,
            burst: 3,
        });
        for _ in 0..3 {
            limiter.check("t:a").unwrap();
        }
        match limiter.check("t:a") {
            Err(ApiError::TooManyRequests { retry_after_secs }) => {
                assert!((1..=1).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("{other:?}"),
        }
        limiter.check("t:b").unwrap();
    }

    #[test]
    fn the_sixth_attempt_in_a_minute_waits() {
        let limiter = LoginLimiter::new(LoginLimits::default());
        for _ in 0..5 {
            limiter.check("alice", None).unwrap();
        }
        match limiter.check("Alice ", None) {
            Err(ApiError::TooManyRequests { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs))
            }
            other => panic!("expected 429, got {other:?}"),
        }
        // Another account is not affected.
        limiter.check("bob", None).unwrap();
    }
}
