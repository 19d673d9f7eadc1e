//! The record of one delivery: its outcome and every attempt, as stored and shown by the API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to one message: the outcome and each post that was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub outcome: DeliveryOutcome,
    /// Every post, in order; empty when the payload was refused before sending.
    pub attempts: Vec<Attempt>,
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// Slack accepted the message.
    Delivered,
    /// Retrying cannot help (a 4xx other than 429, or a payload over Slack's limits):
    /// someone has to fix the webhook, the channel or the message.
    Failed { reason: String },
    /// Transient failures (5xx, timeouts, connection errors, long rate limits) used up
    /// the attempts: keep the alert and deliver it later.
    GaveUp { reason: String },
}

/// One post to the webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When the post was sent.
    pub at: DateTime<Utc>,
    /// Slack's HTTP status; `None` when no answer came (timeout, connection error).
    pub status: Option<u16>,
    /// Slack's answer for a refused post (e.g. `channel_not_found`), or what went wrong
    /// on the way (e.g. `timeout`); `None` for a success.
    pub error: Option<String>,
    /// Time spent waiting before this post (pacing, back-off, `Retry-After`).
    pub waited_ms: u64,
}

impl Delivery {
    pub fn is_delivered(&self) -> bool {
        self.outcome == DeliveryOutcome::Delivered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_stored_as_json_with_a_kind_tag() {
        let failed = DeliveryOutcome::Failed {
            reason: "channel_not_found".into(),
        };

        let json = serde_json::to_value(&failed).unwrap();

        assert_eq!(
            json,
            serde_json::json!({"kind": "failed", "reason": "channel_not_found"})
        );
        assert_eq!(
            serde_json::from_value::<DeliveryOutcome>(json).unwrap(),
            failed
        );
    }
}
