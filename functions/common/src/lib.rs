//! What the five Lambda functions share: their configuration from the environment the
//! SAM template sets, and the app built on DynamoDB (state) and EventBridge (events).
//! Built once per cold start; each function's `main` then hands a handler to the runtime.

use std::sync::Arc;

use pulse_app::webhooks::WebhookMap;
use pulse_app::{App, AppConfig, SystemClock};
use pulse_bus::DomainEvent;
use pulse_bus::eventbridge::{EventBridgeBus, RuleEvent};
use pulse_store::dynamodb::DynamoStore;

pub mod recompute;

/// What went wrong while starting a function (shown as its init error).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "{0} is not set: the SAM template sets it; set it by hand to run the function elsewhere"
    )]
    Missing(&'static str),
    #[error("the Slack webhooks secret could not be read: {0}")]
    Secret(String),
    #[error("{name} must be a whole number from 1 to 16, not `{value}`")]
    Invalid { name: &'static str, value: String },
}

/// The environment a function runs with (see `template.yaml`).
#[derive(Clone, Debug)]
pub struct FunctionEnv {
    pub table: String,
    pub event_bus: String,
    pub public_url: Option<String>,
    /// `PULSE_RECOMPUTE_SHARDS` (the template's `RecomputeShards`): shards each workspace's
    /// scheduled recompute is split into; 1 (the default) recomputes in one invocation.
    pub recompute_shards: u32,
}

impl FunctionEnv {
    pub fn from_env() -> Result<FunctionEnv, StartError> {
        let required = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or(StartError::Missing(name))
        };
        Ok(FunctionEnv {
            table: required("PULSE_TABLE")?,
            event_bus: required("PULSE_EVENT_BUS")?,
            public_url: std::env::var("PULSE_PUBLIC_URL")
                .ok()
                .filter(|url| !url.is_empty()),
            recompute_shards: recompute_shards(std::env::var("PULSE_RECOMPUTE_SHARDS").ok())?,
        })
    }
}

fn recompute_shards(value: Option<String>) -> Result<u32, StartError> {
    let Some(value) = value.filter(|value| !value.trim().is_empty()) else {
        return Ok(1);
    };
    match value.trim().parse::<u32>() {
        Ok(shards) if (1..=pulse_app::recompute::sharded::MAX_SHARDS).contains(&shards) => {
            Ok(shards)
        }
        _ => Err(StartError::Invalid {
            name: "PULSE_RECOMPUTE_SHARDS",
            value,
        }),
    }
}

/// The app on DynamoDB and EventBridge, without Slack (every function but notify).
pub async fn app() -> Result<App, StartError> {
    let env = FunctionEnv::from_env()?;
    let store = DynamoStore::from_env(&env.table).await;
    let bus = EventBridgeBus::from_env(&env.event_bus).await;
    let config = AppConfig {
        public_url: env.public_url,
        recompute_shards: env.recompute_shards,
        ..AppConfig::default()
    };
    Ok(App::new(Arc::new(store), Arc::new(SystemClock), config).with_bus(Arc::new(bus)))
}

/// The app with the Slack webhooks of the secret named by `PULSE_SLACK_SECRET_ARN` (notify).
pub async fn app_with_slack() -> Result<App, StartError> {
    let app = app().await?;
    let arn = std::env::var("PULSE_SLACK_SECRET_ARN")
        .ok()
        .filter(|arn| !arn.is_empty())
        .ok_or(StartError::Missing("PULSE_SLACK_SECRET_ARN"))?;
    let config = aws_config::load_from_env().await;
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .map_err(|error| {
            StartError::Secret(
                aws_sdk_secretsmanager::error::DisplayErrorContext(error).to_string(),
            )
        })?;
    let text = secret.secret_string().unwrap_or("{}");
    // The secret's values are webhook URLs: the error names channels, never values.
    let webhooks =
        WebhookMap::from_json(text).map_err(|error| StartError::Secret(error.to_string()))?;
    tracing::info!(channels = ?webhooks.configured(), "Slack webhooks loaded");
    Ok(app.with_webhooks(Arc::new(webhooks)))
}

/// The domain event inside an EventBridge rule target's payload.
pub fn domain_event(payload: serde_json::Value) -> Result<DomainEvent, lambda_runtime::Error> {
    let envelope: RuleEvent = serde_json::from_value(payload)
        .map_err(|error| format!("not an EventBridge event: {error}"))?;
    Ok(envelope.into_domain_event()?)
}

/// Posts alerts; an alert left `retrying` (Slack did not take it for a passing reason)
/// fails the invocation so that Lambda retries it, then parks it in the dead-letter queue.
pub async fn notify(
    app: &App,
    workspace: &str,
    alert_ids: &[String],
) -> Result<pulse_app::notify::NotifyReport, lambda_runtime::Error> {
    let workspace =
        pulse_core::Slug::parse(workspace).map_err(|error| format!("workspace: {error}"))?;
    let report = app.notify(&workspace, alert_ids).await?;
    if report.retrying > 0 {
        return Err(format!(
            "{} alert(s) not taken by Slack yet; this invocation fails so that it is retried (then parked in the DLQ)",
            report.retrying
        )
        .into());
    }
    Ok(report)
}

/// What the notify function's schedule passes it (infra/events/schedule-notify.json): sweep
/// the alerts Slack has not taken yet (see [`sweep`]).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepInput {
    /// Always `"undelivered-alerts"`: what to sweep.
    pub sweep: SweepKind,
    /// How long an alert is left to its `AlertRaised` event and that event's retries before
    /// the sweep takes it; [`SWEEP_SETTLE_SECONDS`] when absent.
    #[serde(default)]
    pub settle_seconds: Option<u32>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepKind {
    UndeliveredAlerts,
}

/// Five minutes: longer than EventBridge takes to deliver an `AlertRaised` and than
/// Lambda's two asynchronous retries of a failed notify wait, so an alert is not posted by
/// its event and by the sweep at once.
pub const SWEEP_SETTLE_SECONDS: u32 = 300;

impl SweepInput {
    /// The input when `payload` is one (it has a `sweep` field), else `None`.
    pub fn from_payload(
        payload: &serde_json::Value,
    ) -> Result<Option<SweepInput>, lambda_runtime::Error> {
        if payload.get("sweep").is_none() {
            return Ok(None);
        }
        serde_json::from_value(payload.clone())
            .map(Some)
            .map_err(|error| format!("not a sweep input: {error}").into())
    }
}

/// Sends the alerts that are still undelivered after [`SweepInput::settle_seconds`]: those
/// whose `AlertRaised` never reached notify (the bus failed after evaluate recorded them)
/// and those Slack refused for a passing reason whose next attempt is due — including ones
/// whose event was parked in the dead-letter queue. It succeeds when the sweep ran, even if
/// some alerts stay `retrying`: they are recorded with their next attempt and the next
/// sweep takes them.
pub async fn sweep(
    app: &App,
    input: &SweepInput,
) -> Result<pulse_app::notify::NotifyReport, lambda_runtime::Error> {
    let SweepKind::UndeliveredAlerts = input.sweep;
    let settle = input.settle_seconds.unwrap_or(SWEEP_SETTLE_SECONDS);
    let report = app
        .deliver_due_settled(chrono::Duration::seconds(settle.into()))
        .await?;
    tracing::info!(
        delivered = report.delivered,
        failed = report.failed,
        retrying = report.retrying,
        logged = report.logged,
        "undelivered alerts swept"
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recompute_shards_default_to_one_and_refuse_nonsense() {
        assert_eq!(recompute_shards(None).unwrap(), 1);
        assert_eq!(recompute_shards(Some(String::new())).unwrap(), 1);
        assert_eq!(recompute_shards(Some("4".into())).unwrap(), 4);
        assert_eq!(recompute_shards(Some("16".into())).unwrap(), 16);
        for bad in ["0", "17", "four", "-2"] {
            let error = recompute_shards(Some(bad.into())).unwrap_err().to_string();
            assert!(
                error.contains("PULSE_RECOMPUTE_SHARDS") && error.contains(bad),
                "{error}"
            );
        }
    }
}
