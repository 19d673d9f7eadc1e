//! How hard delivery tries: attempts, back-off, timeouts and how long a 429 may make us wait.

use std::time::Duration;

use rand::Rng;

/// Retry and timeout settings for webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total posts for one delivery, the first included (at least 1 is always made).
    pub max_attempts: u32,
    /// Back-off ceiling before the first retry; it doubles for each retry after that.
    pub base_delay: Duration,
    /// Cap on the back-off ceiling.
    pub max_delay: Duration,
    /// Time allowed for one post, from sending to the end of Slack's answer.
    pub timeout: Duration,
    /// Longest `Retry-After` we honour in-line; beyond it the delivery gives up so the
    /// caller can retry later instead of holding a worker (or a Lambda) for minutes.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The back-off ceiling before retry number `retry` (0 for the first retry):
    /// `base_delay · 2^retry`, capped at `max_delay`.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.checked_pow(retry).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// A "full jitter" delay: uniform between zero and the ceiling, so that many
    /// senders failing together do not retry together.
    pub fn jittered_backoff(&self, retry: u32) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(base_ms: u64, max_ms: u64) -> RetryPolicy {
        RetryPolicy {
            base_delay: Duration::from_millis(base_ms),
            max_delay: Duration::from_millis(max_ms),
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn backoff_doubles_until_the_cap() {
        let policy = policy(100, 1_000);
        let ceilings: Vec<u128> = (0..6)
            .map(|retry| policy.backoff_ceiling(retry).as_millis())
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1_000, 1_000]);
    }

    #[test]
    fn backoff_does_not_overflow_after_many_retries() {
        assert_eq!(
            policy(500, 30_000).backoff_ceiling(u32::MAX),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn jitter_stays_between_zero_and_the_ceiling() {
        let policy = policy(100, 1_000);
        for retry in 0..10 {
            assert!(policy.jittered_backoff(retry) <= policy.backoff_ceiling(retry));
        }
    }
}
