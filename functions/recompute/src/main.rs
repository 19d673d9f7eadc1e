//! The recompute function: the schedule's input (`{"workspace": null, …}`, passed as is)
//! fans out per workspace; a `RecomputeRequested` event (EventBridge envelope) or a direct
//! invoke naming a workspace recomputes it. See `pulse_lambda::recompute`.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use pulse_lambda::recompute::handle;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let app = pulse_lambda::app().await?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let request = pulse_lambda::recompute::request_from(event.payload)?;
        let outcome = handle(app, request).await?;
        Ok::<_, Error>(serde_json::to_value(outcome)?)
    }))
    .await
}
