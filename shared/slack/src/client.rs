//! The incoming-webhook client: posts a payload, paces per webhook, retries what can
//! succeed later, stops on what cannot, and records every attempt.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::header::RETRY_AFTER;
use serde_json::Value;
use tokio::time::{Instant, sleep};
use tracing::{debug, info, warn};

use crate::delivery::{Attempt, Delivery, DeliveryOutcome};
use crate::limits::check_limits;
use crate::pacing::Pacer;
use crate::retry::RetryPolicy;
use crate::text::clip_plain;
use crate::webhook_url::WebhookUrl;

/// Slack documents about one message per second per webhook.
const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Slack's error bodies are short codes; anything longer is cut in the record.
const MAX_RECORDED_BODY_CHARS: usize = 300;

/// Posts messages to Slack incoming webhooks. Clones share the pacing state, so one
/// client (or its clones) should serve a whole process.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    policy: RetryPolicy,
    pacer: Arc<Pacer>,
}

/// What one post told us to do next.
#[derive(Debug, PartialEq)]
enum Verdict {
    Delivered,
    Permanent(String),
    RateLimited(Option<Duration>),
    Transient(String),
}

/// One post's result: what goes in the record, and the verdict.
struct PostResult {
    status: Option<u16>,
    error: Option<String>,
    verdict: Verdict,
}

impl WebhookClient {
    /// A client with the given policy and Slack's one-post-per-second pacing.
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised, as `reqwest::Client::new` does; that
    /// is a broken build or system, not something a caller could handle.
    pub fn new(policy: RetryPolicy) -> Self {
        let http = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            // A webhook that redirects is misconfigured; following it would re-send
            // the message somewhere we did not choose.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("the HTTP client's TLS backend failed to initialise");
        Self {
            http,
            policy,
            pacer: Arc::new(Pacer::new(DEFAULT_MIN_INTERVAL)),
        }
    }

    /// Changes the spacing between posts to one webhook (tests use a few milliseconds).
    pub fn with_min_interval(mut self, min_interval: Duration) -> Self {
        self.pacer = Arc::new(Pacer::new(min_interval));
        self
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Delivers one payload, retrying as the policy allows. Never panics or errors:
    /// everything that happened is in the returned [`Delivery`].
    #[tracing::instrument(name = "slack_delivery", skip_all, fields(webhook = %url))]
    pub async fn deliver(&self, url: &WebhookUrl, payload: &Value) -> Delivery {
        if let Err(err) = check_limits(payload) {
            warn!(error = %err, "payload refused before sending");
            return finish(
                Vec::new(),
                DeliveryOutcome::Failed {
                    reason: format!("invalid_payload: {err}"),
                },
            );
        }
        let key = url.secret().as_str();
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut backoff = Duration::ZERO;
        loop {
            let started_waiting = Instant::now();
            if !backoff.is_zero() {
                sleep(backoff).await;
            }
            self.pacer.wait_turn(key).await;
            let waited = started_waiting.elapsed();

            let at = Utc::now();
            let post = self.post_once(url, payload).await;
            debug!(attempt = attempts.len() + 1, status = ?post.status, error = ?post.error, "posted");
            attempts.push(Attempt {
                at,
                status: post.status,
                error: post.error,
                waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            });

            let retry = u32::try_from(attempts.len() - 1).unwrap_or(u32::MAX);
            let out_of_attempts = attempts.len() >= self.policy.max_attempts.max(1) as usize;
            backoff = match post.verdict {
                Verdict::Delivered => return finish(attempts, DeliveryOutcome::Delivered),
                Verdict::Permanent(reason) => {
                    return finish(attempts, DeliveryOutcome::Failed { reason });
                }
                Verdict::Transient(reason) if out_of_attempts => {
                    return give_up(attempts, format!("last error: {reason}"));
                }
                Verdict::RateLimited(_) if out_of_attempts => {
                    return give_up(attempts, "still rate limited (429)".to_owned());
                }
                Verdict::Transient(_) | Verdict::RateLimited(None) => {
                    self.policy.jittered_backoff(retry)
                }
                Verdict::RateLimited(Some(wait)) if wait > self.policy.max_retry_after => {
                    return give_up(
                        attempts,
                        format!(
                            "Slack asked to wait {wait:?} (Retry-After), more than the {:?} allowed",
                            self.policy.max_retry_after
                        ),
                    );
                }
                Verdict::RateLimited(Some(wait)) => {
                    self.pacer.hold_off(key, Instant::now() + wait);
                    wait
                }
            };
            info!(
                attempt = attempts.len(),
                backoff_ms = backoff.as_millis() as u64,
                "will retry"
            );
        }
    }

    async fn post_once(&self, url: &WebhookUrl, payload: &Value) -> PostResult {
        let response = match self
            .http
            .post(url.secret().clone())
            .json(payload)
            .send()
            .await
        {
            Ok(response) => response,
            Err(err) => return transport_failure(url, err),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // The status already says what Slack decided (a 2xx means the message is
        // posted, so it must not be sent again); the body only adds the error code.
        let body = response.text().await.unwrap_or_default();
        let body = clip_plain(body.trim(), MAX_RECORDED_BODY_CHARS);
        let verdict = classify(status, &body, retry_after);
        PostResult {
            status: Some(status),
            error: (verdict != Verdict::Delivered && !body.is_empty()).then_some(body),
            verdict,
        }
    }
}

/// Decides what an HTTP answer means for this delivery.
fn classify(status: u16, body: &str, retry_after: Option<Duration>) -> Verdict {
    let described = || match body {
        "" => format!("HTTP {status}"),
        body => format!("HTTP {status} {body}"),
    };
    match status {
        200..=299 => Verdict::Delivered,
        429 => Verdict::RateLimited(retry_after),
        // 408: the request took too long on the way in; the same as a timeout here.
        408 | 500..=599 => Verdict::Transient(described()),
        // Slack's 4xx bodies are the codes people search for (`channel_not_found`).
        400..=499 if !body.is_empty() => Verdict::Permanent(body.to_owned()),
        _ => Verdict::Permanent(described()),
    }
}

/// A post that got no usable answer: always worth retrying.
fn transport_failure(url: &WebhookUrl, err: reqwest::Error) -> PostResult {
    let description = if err.is_timeout() {
        "timeout".to_owned()
    } else {
        let kind = if err.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        // reqwest puts the URL in its message; `without_url` drops it, and the replace
        // catches any copy a lower layer might have added.
        let err = err.without_url();
        let mut text = kind.to_owned();
        let mut source: Option<&dyn std::error::Error> = err.source();
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        text.replace(url.secret().as_str(), url.masked())
    };
    PostResult {
        status: None,
        error: Some(description.clone()),
        verdict: Verdict::Transient(description),
    }
}

fn give_up(attempts: Vec<Attempt>, why: String) -> Delivery {
    let count = attempts.len();
    let noun = if count == 1 { "attempt" } else { "attempts" };
    let reason = format!("gave up after {count} {noun}; {why}");
    finish(attempts, DeliveryOutcome::GaveUp { reason })
}

fn finish(attempts: Vec<Attempt>, outcome: DeliveryOutcome) -> Delivery {
    match &outcome {
        DeliveryOutcome::Delivered => info!(attempts = attempts.len(), "delivered"),
        DeliveryOutcome::Failed { reason } => {
            warn!(attempts = attempts.len(), %reason, "delivery failed; not retrying");
        }
        DeliveryOutcome::GaveUp { reason } => {
            warn!(attempts = attempts.len(), %reason, "delivery gave up; retry later");
        }
    }
    Delivery { outcome, attempts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_error_codes_become_the_failure_reason() {
        assert_eq!(
            classify(404, "channel_not_found", None),
            Verdict::Permanent("channel_not_found".into())
        );
        assert_eq!(
            classify(403, "", None),
            Verdict::Permanent("HTTP 403".into())
        );
    }

    #[test]
    fn server_errors_and_request_timeouts_are_transient() {
        assert!(matches!(classify(503, "", None), Verdict::Transient(_)));
        assert!(matches!(classify(408, "", None), Verdict::Transient(_)));
    }

    #[test]
    fn rate_limits_carry_the_requested_wait() {
        let wait = Some(Duration::from_secs(3));
        assert_eq!(
            classify(429, "rate_limited", wait),
            Verdict::RateLimited(wait)
        );
    }

    #[test]
    fn redirects_are_not_followed_and_count_as_failures() {
        assert_eq!(
            classify(301, "", None),
            Verdict::Permanent("HTTP 301".into())
        );
    }
}
