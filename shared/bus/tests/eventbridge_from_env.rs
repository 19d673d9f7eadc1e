//! `EventBridgeBus::from_env` takes the standard AWS environment, `AWS_ENDPOINT_URL`
//! included, as the Lambda functions (and tests against moto) rely on. Alone in its own test
//! process because it sets environment variables.

mod support;

use pulse_bus::EventBus;
use pulse_bus::eventbridge::EventBridgeBus;
use pulse_e2e::moto::{aws_env, moto};
use support::{bus_routed_to_queue, drain_queue, joined};

#[tokio::test]
async fn from_env_publishes_to_the_endpoint_the_environment_names() {
    let endpoint = &moto().endpoint;
    for (name, value) in aws_env(endpoint) {
        // SAFETY: this test is the only one in its process and sets the variables before
        // anything reads the environment.
        unsafe { std::env::set_var(name, value) };
    }
    let queue = bus_routed_to_queue(endpoint, "pulse-from-env", &["UserJoinedAccount"]).await;
    let bus = EventBridgeBus::from_env("pulse-from-env").await;
    assert_eq!(bus.bus_name(), "pulse-from-env");

    bus.publish(vec![joined("u:env")]).await.expect("accepted");

    let received = drain_queue(endpoint, &queue, 1).await;
    assert_eq!(received.len(), 1);
}
