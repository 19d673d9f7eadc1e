//! The evaluate function: alert rules on `AccountCreated`, `UserJoinedAccount`,
//! `FeatureFirstUsed` and `ScoresRecomputed` (EventBridge rule targets). Alerts it raises
//! are recorded and announced as `AlertRaised`; a repeated event raises nothing twice.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = pulse_lambda::app().await?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let event = pulse_lambda::domain_event(event.payload)?;
        tracing::info!(
            event = event.detail_type(),
            workspace = event.workspace(),
            "evaluating"
        );
        app.handle(event).await?;
        Ok::<_, Error>(Value::Null)
    }))
    .await
}
