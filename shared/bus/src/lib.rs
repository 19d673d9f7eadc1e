//! The `EventBus` port and the domain events that cross it (DESIGN.md "Data flow"):
//!
//! ```text
//! ingest ──► AccountCreated, UserJoinedAccount, FeatureFirstUsed ──► evaluate
//! schedule ──► recompute ──► RecomputeRequested (one per workspace) ──► recompute
//! recompute ──► RecomputeShardRequested (one per shard, large workspaces) ──► recompute
//! recompute ──► ScoresRecomputed ──► evaluate ──► AlertRaised ──► notify
//! ```
//!
//! Adapters: [`InProcessBus`] (a tokio channel, for `pulse serve`) and
//! [`eventbridge::EventBridgeBus`] (for the Lambda functions). Events are idempotent to handle: every consumer may see one twice.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pulse_core::Day;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

pub mod eventbridge;

/// The EventBridge `source` of every Pulse event.
pub const SOURCE: &str = "pulse";

/// Something that happened, told to whoever reacts to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DomainEvent {
    /// An account was named for the first time.
    AccountCreated {
        workspace: String,
        account: String,
        /// The raw identity (`u:<userId>` / `a:<anonymousId>`) whose call named it.
        identity: String,
        at: DateTime<Utc>,
    },
    /// An identity became a member of an account.
    UserJoinedAccount {
        workspace: String,
        account: String,
        identity: String,
        /// `false` when the account was created by this same membership.
        account_existed: bool,
        at: DateTime<Utc>,
    },
    /// An account used an event for the first time.
    FeatureFirstUsed {
        workspace: String,
        account: String,
        event: String,
        identity: String,
        at: DateTime<Utc>,
    },
    /// A profile was computed as of a day (the latest computed day).
    ScoresRecomputed {
        workspace: String,
        profile: String,
        day: Day,
        /// The computed day before it, if any: what "changed between recomputes" compares with.
        previous_day: Option<Day>,
    },
    /// A workspace's profiles should be recomputed (the scheduled recompute fans out with
    /// one of these per workspace, so each gets an invocation of its own).
    RecomputeRequested {
        workspace: String,
        /// One profile, or every profile when `None`.
        profile: Option<String>,
        /// The day, or today when `None`.
        as_of: Option<Day>,
    },
    /// One shard of a sharded recompute of a profile (large workspaces): the shard measures
    /// its share of the identities and stages them; the shard that completes the run
    /// finishes it for the whole population (`App::recompute_shard`).
    RecomputeShardRequested {
        workspace: String,
        profile: String,
        as_of: Day,
        /// The run's id: every shard of one run carries the same.
        run: String,
        shard: u32,
        shards: u32,
    },
    /// Alerts of one evaluation for one channel, to be posted (one message, or a digest).
    AlertRaised {
        workspace: String,
        channel: Option<String>,
        alert_ids: Vec<String>,
    },
}

impl DomainEvent {
    /// The EventBridge `detail-type`: the variant's name, in the past tense.
    pub fn detail_type(&self) -> &'static str {
        match self {
            DomainEvent::AccountCreated { .. } => "AccountCreated",
            DomainEvent::UserJoinedAccount { .. } => "UserJoinedAccount",
            DomainEvent::FeatureFirstUsed { .. } => "FeatureFirstUsed",
            DomainEvent::ScoresRecomputed { .. } => "ScoresRecomputed",
            DomainEvent::RecomputeRequested { .. } => "RecomputeRequested",
            DomainEvent::RecomputeShardRequested { .. } => "RecomputeShardRequested",
            DomainEvent::AlertRaised { .. } => "AlertRaised",
        }
    }

    pub fn workspace(&self) -> &str {
        match self {
            DomainEvent::AccountCreated { workspace, .. }
            | DomainEvent::UserJoinedAccount { workspace, .. }
            | DomainEvent::FeatureFirstUsed { workspace, .. }
            | DomainEvent::ScoresRecomputed { workspace, .. }
            | DomainEvent::RecomputeRequested { workspace, .. }
            | DomainEvent::RecomputeShardRequested { workspace, .. }
            | DomainEvent::AlertRaised { workspace, .. } => workspace,
        }
    }
}

/// Why publishing failed. The events were not (all) delivered: the caller retries.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("the event bus is unavailable: {0}")]
    Unavailable(String),
    #[error("{failed} of {total} events were not accepted: {reason}")]
    Rejected {
        failed: usize,
        total: usize,
        reason: String,
    },
}

#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    async fn publish(&self, events: Vec<DomainEvent>) -> Result<(), BusError>;
}

/// The in-process bus: events go to one receiver (the local evaluator/notifier loop).
#[derive(Clone)]
pub struct InProcessBus {
    sender: mpsc::UnboundedSender<DomainEvent>,
}

impl InProcessBus {
    /// A bus and the receiving end its consumer reads.
    pub fn new() -> (InProcessBus, mpsc::UnboundedReceiver<DomainEvent>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (InProcessBus { sender }, receiver)
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: Vec<DomainEvent>) -> Result<(), BusError> {
        for event in events {
            self.sender
                .send(event)
                .map_err(|_| BusError::Unavailable("the in-process consumer has stopped".into()))?;
        }
        Ok(())
    }
}

/// A bus that drops everything: for one-shot commands with nobody listening.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBus;

#[async_trait]
impl EventBus for NoBus {
    async fn publish(&self, _events: Vec<DomainEvent>) -> Result<(), BusError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_with_their_type_and_past_tense_detail_type() {
        let event = DomainEvent::FeatureFirstUsed {
            workspace: "ws".into(),
            account: "acme".into(),
            event: "Report Created".into(),
            identity: "u:1".into(),
            at: DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
                .unwrap()
                .to_utc(),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "FeatureFirstUsed");
        assert_eq!(event.detail_type(), "FeatureFirstUsed");
        assert_eq!(serde_json::from_value::<DomainEvent>(json).unwrap(), event);
    }

    #[tokio::test]
    async fn the_in_process_bus_delivers_in_order() {
        let (bus, mut receiver) = InProcessBus::new();
        let raised = |id: &str| DomainEvent::AlertRaised {
            workspace: "ws".into(),
            channel: None,
            alert_ids: vec![id.into()],
        };
        bus.publish(vec![raised("a"), raised("b")]).await.unwrap();
        assert_eq!(receiver.recv().await, Some(raised("a")));
        assert_eq!(receiver.recv().await, Some(raised("b")));
        drop(receiver);
        assert!(bus.publish(vec![raised("c")]).await.is_err());
    }
}
