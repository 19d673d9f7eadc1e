//! The notify function: `AlertRaised` → Slack. An alert Slack did not take for a passing
//! reason (429 past its wait, 5xx, timeout) fails the invocation, so Lambda retries it and
//! then parks the event in the dead-letter queue: no alert is dropped silently. Alerts
//! already posted are skipped, so retries and redrives never post twice.
//!
//! Its schedule (`{"sweep": "undelivered-alerts"}`) sends what no event brought: alerts
//! recorded while the bus was down, and alerts still waiting for Slack after their
//! event's retries.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use pulse_bus::DomainEvent;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = pulse_lambda::app_with_slack().await?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        if let Some(input) = pulse_lambda::SweepInput::from_payload(&event.payload)? {
            let report = pulse_lambda::sweep(app, &input).await?;
            return Ok(serde_json::to_value(report)?);
        }
        let DomainEvent::AlertRaised {
            workspace,
            alert_ids,
            ..
        } = pulse_lambda::domain_event(event.payload)?
        else {
            return Err(Error::from("notify only takes AlertRaised events"));
        };
        let report = pulse_lambda::notify(app, &workspace, &alert_ids).await?;
        Ok::<_, Error>(serde_json::to_value(report)?)
    }))
    .await
}
