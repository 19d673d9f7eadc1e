//! Reacting to domain events — the same handler behind the local worker of `pulse serve`
//! and the Lambda functions `evaluate` and `notify`:
//!
//! - `AccountCreated`, `UserJoinedAccount`, `FeatureFirstUsed` → ingestion-triggered alerts;
//! - `ScoresRecomputed` → recompute-triggered alerts;
//! - `RecomputeRequested` → a workspace's recompute (the fan-out of the scheduled one),
//!   in one pass or, with `AppConfig::recompute_shards` > 1, started as shards;
//! - `RecomputeShardRequested` → one shard of a sharded recompute;
//! - `AlertRaised` → Slack.
//!
//! Every handler is idempotent: alert ids come from (rule, subject, occurrence) and
//! delivered alerts are not sent again, so a redelivered event changes nothing.

use std::time::Duration;

use pulse_bus::DomainEvent;
use pulse_core::Slug;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::App;
use crate::error::AppError;

/// How often the local worker looks for alerts due for a retry.
pub const RETRY_EVERY: Duration = Duration::from_secs(30);

impl App {
    /// Handles one domain event.
    pub async fn handle(&self, event: DomainEvent) -> Result<(), AppError> {
        let workspace = Slug::parse(event.workspace()).map_err(|error| {
            AppError::bad_request("invalid_event", format!("workspace: {error}"))
        })?;
        match event {
            DomainEvent::AccountCreated { .. }
            | DomainEvent::UserJoinedAccount { .. }
            | DomainEvent::FeatureFirstUsed { .. } => {
                self.evaluate_ingestion(&workspace, &event).await
            }
            DomainEvent::ScoresRecomputed {
                profile,
                day,
                previous_day,
                ..
            } => {
                self.evaluate_recompute(&workspace, &profile, day, previous_day)
                    .await
            }
            DomainEvent::RecomputeRequested { profile, as_of, .. } => {
                if self.config.recompute_shards > 1 {
                    self.start_sharded_recompute(
                        &workspace,
                        profile.as_deref(),
                        as_of,
                        self.config.recompute_shards,
                    )
                    .await
                    .map(|_| ())
                } else {
                    self.recompute_profiles(&workspace, profile.as_deref(), as_of)
                        .await
                        .map(|_| ())
                }
            }
            DomainEvent::RecomputeShardRequested {
                profile,
                as_of,
                run,
                shard,
                shards,
                ..
            } => self
                .recompute_shard(&workspace, &profile, as_of, &run, shard, shards)
                .await
                .map(|_| ()),
            DomainEvent::AlertRaised { alert_ids, .. } => {
                self.notify(&workspace, &alert_ids).await.map(|_| ())
            }
        }
    }
}

/// The in-process worker of `pulse serve`: handles events as they come and retries due
/// alerts every [`RETRY_EVERY`]. A failing event is logged and the worker goes on (its
/// alerts stay pending and are retried).
pub async fn run(app: App, mut events: UnboundedReceiver<DomainEvent>) {
    let mut retries = tokio::time::interval(RETRY_EVERY);
    retries.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { return };
                let detail_type = event.detail_type();
                if let Err(error) = app.handle(event).await {
                    tracing::warn!(%error, event = detail_type, "handling an event failed");
                }
            }
            _ = retries.tick() => {
                if let Err(error) = app.deliver_due().await {
                    tracing::warn!(%error, "retrying due alerts failed; will try again");
                }
            }
        }
    }
}

/// Handles every event already waiting (one-shot commands, tests) and returns.
pub async fn drain(
    app: &App,
    events: &mut UnboundedReceiver<DomainEvent>,
) -> Result<usize, AppError> {
    let mut handled = 0;
    while let Ok(event) = events.try_recv() {
        app.handle(event).await?;
        handled += 1;
    }
    Ok(handled)
}
