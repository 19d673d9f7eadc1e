//! Per-webhook pacing: Slack accepts about one post per second per webhook, so posts
//! to one URL are spaced out here instead of being answered with 429.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

/// Hands out send slots per webhook URL, `min_interval` apart, to all concurrent callers.
#[derive(Debug)]
pub(crate) struct Pacer {
    min_interval: Duration,
    /// Next instant a post may start, per URL. A deployment has a handful of webhooks,
    /// so entries are never evicted.
    next_allowed: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    pub(crate) fn new(min_interval: Duration) -> Self {
        Self {
            min_interval,
            next_allowed: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves the next free slot for `key`, sleeps until it and says how long that took.
    ///
    /// Reserving under the lock (rather than checking, sleeping and checking again)
    /// makes concurrent callers queue up in order instead of waking together.
    pub(crate) async fn wait_turn(&self, key: &str) -> Duration {
        let now = Instant::now();
        let slot = {
            let mut next_allowed = self.lock();
            let next = next_allowed.entry(key.to_owned()).or_insert(now);
            let slot = (*next).max(now);
            *next = slot + self.min_interval;
            slot
        };
        sleep_until(slot).await;
        slot.saturating_duration_since(now)
    }

    /// Keeps every caller off `key` until `until` (Slack's `Retry-After` applies to the
    /// webhook, not to the one post that got the 429).
    pub(crate) fn hold_off(&self, key: &str, until: Instant) {
        let mut next_allowed = self.lock();
        let next = next_allowed.entry(key.to_owned()).or_insert(until);
        *next = (*next).max(until);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        // The map only holds instants, so one left by a panicking holder is still valid.
        self.next_allowed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
