//! The EventBridge adapter of the [`EventBus`] port, and the envelope rule targets receive.
//!
//! Publishing is `PutEvents` with `Source` = [`SOURCE`], `DetailType` =
//! [`DomainEvent::detail_type`] and `Detail` = the event as JSON. PutEvents answers per entry:
//! a `200` may still carry failed entries, so every entry's `ErrorCode` is read. Entries that
//! failed for a passing reason (throttling, an internal failure) and requests that failed as a
//! whole for such a reason are sent again with exponential back-off and full jitter, a bounded
//! number of times; entries EventBridge will never accept (malformed, not authorised, larger than
//! the 256 KB entry limit) are reported at once. SDK types stay in this module: callers see
//! [`BusError`]. Rule targets receive events wrapped in a [`RuleEvent`] envelope.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::config::http::HttpResponse;
use aws_sdk_eventbridge::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::operation::put_events::PutEventsError;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::{BusError, DomainEvent, EventBus, SOURCE};

mod rule_event;
pub use rule_event::RuleEvent;

/// At most this many entries in one PutEvents request.
pub const MAX_ENTRIES_PER_REQUEST: usize = 10;
/// An entry, and the entries of one request together, must stay under this many bytes
/// (counted as EventBridge counts them: the UTF-8 bytes of Source, DetailType and Detail).
pub const MAX_REQUEST_ENTRY_BYTES: usize = 256 * 1024;

/// Per-entry error codes that no retry can fix.
const PERMANENT_ERROR_CODES: &[&str] = &[
    "InvalidArgument",
    "MalformedDetail",
    "AccessDeniedException",
    "NotAuthorizedForSourceException",
    "NotAuthorizedForDetailTypeException",
    "ValidationException",
];

/// Request-level error codes worth another try.
const TRANSIENT_ERROR_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "InternalException",
    "InternalFailure",
    "ServiceUnavailable",
];

/// How often and how patiently failed entries are sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (at least 1).
    pub max_attempts: u32,
    /// The back-off before the second attempt; it doubles each time, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts over about 1.5 s at most: short enough for a Lambda invocation, long
    /// enough to ride out a burst of throttling.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The pause before attempt `attempt` (1-based; none before the first): a random share
    /// of the capped exponential delay ("full jitter"), so retrying functions spread out.
    fn delay_before(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        let exponent = (attempt - 2).min(16);
        let ceiling = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        let fraction = (random_u64() % 1_000) as f64 / 1_000.0;
        ceiling.mul_f64(0.5 + fraction / 2.0)
    }
}

fn random_u64() -> u64 {
    // A fresh RandomState is seeded from the OS: enough randomness for jitter, no dependency.
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u8(0);
    hasher.finish()
}

/// Publishes domain events to one EventBridge bus.
#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
    retry: RetryPolicy,
}

impl EventBridgeBus {
    /// A bus over `client`; `bus_name` is the bus's name or ARN (the template passes the name
    /// in `PULSE_EVENT_BUS`).
    pub fn new(client: Client, bus_name: impl Into<String>) -> EventBridgeBus {
        EventBridgeBus {
            client,
            bus_name: bus_name.into(),
            retry: RetryPolicy::default(),
        }
    }

    /// A bus with a client from the standard AWS environment (region, credentials, and
    /// `AWS_ENDPOINT_URL` when set, as the tests set it for moto).
    pub async fn from_env(bus_name: impl Into<String>) -> EventBridgeBus {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        EventBridgeBus::new(Client::new(&config), bus_name)
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> EventBridgeBus {
        self.retry = RetryPolicy {
            max_attempts: retry.max_attempts.max(1),
            ..retry
        };
        self
    }

    pub fn bus_name(&self) -> &str {
        &self.bus_name
    }

    fn entry(&self, event: &DomainEvent) -> Result<Pending, String> {
        let detail = serde_json::to_string(event)
            .map_err(|error| format!("the event could not be written as JSON: {error}"))?;
        let detail_type = event.detail_type();
        let size = SOURCE.len() + detail_type.len() + detail.len();
        if size >= MAX_REQUEST_ENTRY_BYTES {
            return Err(format!(
                "a {detail_type} entry of {size} bytes exceeds EventBridge's 256 KB limit"
            ));
        }
        let entry = PutEventsRequestEntry::builder()
            .source(SOURCE)
            .detail_type(detail_type)
            .detail(detail)
            .event_bus_name(&self.bus_name)
            .build();
        Ok(Pending {
            entry,
            size,
            last_failure: String::new(),
        })
    }

    /// One PutEvents call; sorts its entries into sent, to retry and rejected.
    async fn send_batch(&self, batch: Vec<Pending>, outcome: &mut Outcome) {
        let entries: Vec<PutEventsRequestEntry> =
            batch.iter().map(|pending| pending.entry.clone()).collect();
        let response = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(error) => {
                let (transient, reason) = classify(&error);
                for mut pending in batch {
                    pending.last_failure = reason.clone();
                    if transient {
                        outcome.retry.push(pending);
                    } else {
                        outcome.rejected.push(reason.clone());
                    }
                }
                return;
            }
        };
        let results = output.entries();
        for (index, mut pending) in batch.into_iter().enumerate() {
            // The response lists one result per entry, in order; a missing one is a failure.
            let Some(result) = results.get(index) else {
                outcome.entry_failures = true;
                pending.last_failure = "PutEvents answered no result for the entry".into();
                outcome.retry.push(pending);
                continue;
            };
            match result.error_code() {
                None => {}
                Some(code) => {
                    outcome.entry_failures = true;
                    let reason = match result.error_message() {
                        Some(message) => format!("{code}: {message}"),
                        None => code.to_string(),
                    };
                    if PERMANENT_ERROR_CODES.contains(&code) {
                        outcome.rejected.push(reason);
                    } else {
                        pending.last_failure = reason;
                        outcome.retry.push(pending);
                    }
                }
            }
        }
    }
}

/// An entry on its way, with why its last attempt failed.
struct Pending {
    entry: PutEventsRequestEntry,
    size: usize,
    last_failure: String,
}

#[derive(Default)]
struct Outcome {
    retry: Vec<Pending>,
    rejected: Vec<String>,
    /// Some entry failed on its own (as opposed to its whole request failing).
    entry_failures: bool,
}

/// Is the failed request worth another try, and why it failed.
fn classify(error: &SdkError<PutEventsError, HttpResponse>) -> (bool, String) {
    match error {
        SdkError::ConstructionFailure(_) => (false, DisplayErrorContext(error).to_string()),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown");
            let message = service.err().message().unwrap_or_default();
            let status = service.raw().status().as_u16();
            let transient = TRANSIENT_ERROR_CODES.contains(&code) || status == 429 || status >= 500;
            (transient, format!("{code}: {message}"))
        }
        // Timeouts, connection failures, unreadable responses: the request may not have
        // reached EventBridge at all.
        _ => (true, DisplayErrorContext(error).to_string()),
    }
}

/// Splits entries into requests of at most 10 entries and under 256 KB.
fn batches(entries: Vec<Pending>) -> Vec<Vec<Pending>> {
    let mut batches: Vec<Vec<Pending>> = Vec::new();
    let mut current: Vec<Pending> = Vec::new();
    let mut current_size = 0;
    for pending in entries {
        if current.len() == MAX_ENTRIES_PER_REQUEST
            || current_size + pending.size >= MAX_REQUEST_ENTRY_BYTES
        {
            batches.push(std::mem::take(&mut current));
            current_size = 0;
        }
        current_size += pending.size;
        current.push(pending);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, events: Vec<DomainEvent>) -> Result<(), BusError> {
        let total = events.len();
        let mut rejected = Vec::new();
        let mut pending = Vec::with_capacity(total);
        for event in &events {
            match self.entry(event) {
                Ok(entry) => pending.push(entry),
                Err(reason) => rejected.push(reason),
            }
        }
        let mut entry_failures = false;
        let mut attempt = 0;
        while !pending.is_empty() && attempt < self.retry.max_attempts {
            attempt += 1;
            let delay = self.retry.delay_before(attempt);
            if !delay.is_zero() {
                tracing::warn!(
                    bus = %self.bus_name,
                    attempt,
                    entries = pending.len(),
                    last_failure = %pending[0].last_failure,
                    "retrying PutEvents entries after {delay:?}"
                );
                tokio::time::sleep(delay).await;
            }
            let mut outcome = Outcome::default();
            for batch in batches(std::mem::take(&mut pending)) {
                self.send_batch(batch, &mut outcome).await;
            }
            entry_failures |= outcome.entry_failures;
            rejected.append(&mut outcome.rejected);
            pending = outcome.retry;
        }
        if rejected.is_empty() && pending.is_empty() {
            return Ok(());
        }
        let reason = describe_failures(&rejected, &pending, attempt);
        // A warning: the caller decides how bad it is (and logs the error it returns).
        tracing::warn!(bus = %self.bus_name, total, failed = rejected.len() + pending.len(), %reason, "PutEvents did not accept every event");
        // Only whole requests failed, for passing reasons: the bus, not the events, is at fault.
        if rejected.is_empty() && !entry_failures {
            return Err(BusError::Unavailable(reason));
        }
        Err(BusError::Rejected {
            failed: rejected.len() + pending.len(),
            total,
            reason,
        })
    }
}

/// "2 rejected (MalformedDetail: …); 1 still failing after 5 attempts (InternalFailure: …)".
fn describe_failures(rejected: &[String], pending: &[Pending], attempts: u32) -> String {
    let mut parts = Vec::new();
    if let Some(first) = rejected.first() {
        parts.push(format!("{} rejected ({first})", rejected.len()));
    }
    if let Some(first) = pending.first() {
        parts.push(format!(
            "{} still failing after {attempts} attempts ({})",
            pending.len(),
            first.last_failure
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(size: usize) -> Pending {
        Pending {
            entry: PutEventsRequestEntry::builder().build(),
            size,
            last_failure: String::new(),
        }
    }

    #[test]
    fn batches_hold_at_most_ten_entries() {
        let sizes: Vec<usize> = batches((0..23).map(|_| pending(100)).collect())
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, vec![10, 10, 3]);
    }

    #[test]
    fn batches_stay_under_256_kb() {
        let sizes: Vec<usize> = batches((0..5).map(|_| pending(100 * 1024)).collect())
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, vec![2, 2, 1]);
    }

    #[test]
    fn back_off_grows_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(800),
        };
        assert_eq!(policy.delay_before(1), Duration::ZERO);
        for _ in 0..50 {
            let second = policy.delay_before(2);
            assert!(second >= Duration::from_millis(50) && second <= Duration::from_millis(100));
            let late = policy.delay_before(9);
            assert!(late >= Duration::from_millis(400) && late <= Duration::from_millis(800));
        }
    }
}
