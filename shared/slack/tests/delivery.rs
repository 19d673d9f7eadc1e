//! The webhook client against the Slack-like test server: what was posted, how often,
//! and what the delivery record says.

use std::time::{Duration, Instant};

use pulse_slack::test_server::{ScriptedResponse, SlackServer};
use pulse_slack::{DeliveryOutcome, RetryPolicy, WebhookClient};
use serde_json::{Value, json};

const HOOK: &str = "/services/T0001/B0001/secret1";

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        timeout: Duration::from_millis(300),
        max_retry_after: Duration::from_secs(5),
    }
}

/// No pacing, so only the behaviour under test adds time.
fn client() -> WebhookClient {
    WebhookClient::new(fast_policy()).with_min_interval(Duration::ZERO)
}

fn message() -> Value {
    json!({"text": "Acme is cooling off", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Acme is cooling off"}}
    ]})
}

fn statuses(delivery: &pulse_slack::Delivery) -> Vec<Option<u16>> {
    delivery.attempts.iter().map(|a| a.status).collect()
}

#[tokio::test]
async fn a_message_slack_accepts_is_posted_once_and_delivered() {
    let slack = SlackServer::start().await;

    let delivery = client().deliver(&slack.webhook_url(HOOK), &message()).await;

    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered);
    assert_eq!(statuses(&delivery), [Some(200)]);
    assert_eq!(delivery.attempts[0].error, None);
    assert_eq!(slack.received(HOOK), [message()]);
}

#[tokio::test]
async fn a_429_is_retried_after_the_retry_after_seconds() {
    let slack = SlackServer::start().await;
    slack.respond(
        HOOK,
        [ScriptedResponse::TooManyRequests {
            retry_after_secs: 1,
        }],
    );
    let started = Instant::now();

    let delivery = client().deliver(&slack.webhook_url(HOOK), &message()).await;

    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered);
    assert_eq!(statuses(&delivery), [Some(429), Some(200)]);
    assert_eq!(delivery.attempts[0].error.as_deref(), Some("rate_limited"));
    assert!(
        delivery.attempts[1].waited_ms >= 1_000,
        "{:?}",
        delivery.attempts
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    let posts = slack.requests(HOOK);
    assert_eq!(posts.len(), 2);
    assert!(posts[1].at - posts[0].at >= chrono::Duration::milliseconds(990));
}

#[tokio::test]
async fn a_429_also_holds_back_other_deliveries_to_the_same_webhook() {
    let slack = SlackServer::start().await;
    slack.respond(
        HOOK,
        [ScriptedResponse::TooManyRequests {
            retry_after_secs: 1,
        }],
    );
    let (client, url) = (client(), slack.webhook_url(HOOK));
    let limited = tokio::spawn({
        let (client, url) = (client.clone(), url.clone());
        async move { client.deliver(&url, &message()).await }
    });
    while slack.received(HOOK).is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;

    let later = client.deliver(&url, &message()).await;

    assert!(later.is_delivered() && limited.await.unwrap().is_delivered());
    assert!(later.attempts[0].waited_ms >= 800, "{:?}", later.attempts);
    assert_eq!(slack.received(HOOK).len(), 3);
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_gives_up_at_once() {
    let slack = SlackServer::start().await;
    slack.respond(
        HOOK,
        [ScriptedResponse::TooManyRequests {
            retry_after_secs: 120,
        }],
    );

    let delivery = client().deliver(&slack.webhook_url(HOOK), &message()).await;

    let DeliveryOutcome::GaveUp { reason } = &delivery.outcome else {
        panic!("expected GaveUp, got {:?}", delivery.outcome);
    };
    assert!(reason.contains("wait 120s"), "{reason}");
    assert_eq!(statuses(&delivery), [Some(429)]);
    assert_eq!(slack.received(HOOK).len(), 1);
}

#[tokio::test]
async fn a_server_error_is_retried_and_then_delivered() {
    let slack = SlackServer::start().await;
    slack.respond(HOOK, [ScriptedResponse::ServerError]);

    let delivery = client().deliver(&slack.webhook_url(HOOK), &message()).await;

    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered);
    assert_eq!(statuses(&delivery), [Some(500), Some(200)]);
    assert_eq!(delivery.attempts[0].error.as_deref(), Some("rollup_error"));
    assert_eq!(slack.received(HOOK).len(), 2);
}

#[tokio::test]
async fn server_errors_that_never_stop_give_up_after_max_attempts() {
    let slack = SlackServer::start().await;
    slack.respond(HOOK, vec![ScriptedResponse::ServerError; 10]);

    let delivery = client().deliver(&slack.webhook_url(HOOK), &message()).await;

    let DeliveryOutcome::GaveUp { reason } = &delivery.outcome else {
        panic!("expected GaveUp, got {:?}", delivery.outcome);
    };
    assert!(
        reason.contains("4 attempts") && reason.contains("rollup_error"),
        "{reason}"
    );
    assert_eq!(statuses(&delivery), [Some(500); 4]);
    assert_eq!(slack.received(HOOK).len(), 4);
}

#[tokio::test]
async fn channel_not_found_fails_after_one_post_without_retrying() {
    let slack = SlackServer::start().await;
    slack.respond(HOOK, [ScriptedResponse::ChannelNotFound]);

    let delivery = client().deliver(&slack.webhook_url(HOOK), &message()).await;

    assert_eq!(
        delivery.outcome,
        DeliveryOutcome::Failed {
            reason: "channel_not_found".into()
        }
    );
    assert_eq!(statuses(&delivery), [Some(404)]);
    assert_eq!(
        delivery.attempts[0].error.as_deref(),
        Some("channel_not_found")
    );
    assert_eq!(slack.received(HOOK).len(), 1);
}

#[tokio::test]
async fn an_archived_channel_and_an_invalid_payload_are_not_retried_either() {
    let slack = SlackServer::start().await;
    slack.respond(
        HOOK,
        [
            ScriptedResponse::ChannelIsArchived,
            ScriptedResponse::InvalidPayload,
        ],
    );
    let url = slack.webhook_url(HOOK);

    let archived = client().deliver(&url, &message()).await;
    let invalid = client().deliver(&url, &message()).await;

    assert_eq!(
        archived.outcome,
        DeliveryOutcome::Failed {
            reason: "channel_is_archived".into()
        }
    );
    assert_eq!(
        invalid.outcome,
        DeliveryOutcome::Failed {
            reason: "invalid_payload".into()
        }
    );
    assert_eq!(slack.received(HOOK).len(), 2);
}

#[tokio::test]
async fn a_slow_answer_past_the_timeout_is_recorded_as_timeout_and_retried() {
    let slack = SlackServer::start().await;
    slack.respond(HOOK, [ScriptedResponse::Slow(Duration::from_secs(2))]);

    let delivery = client().deliver(&slack.webhook_url(HOOK), &message()).await;

    assert_eq!(delivery.outcome, DeliveryOutcome::Delivered);
    assert_eq!(statuses(&delivery), [None, Some(200)]);
    assert_eq!(delivery.attempts[0].error.as_deref(), Some("timeout"));
    assert_eq!(slack.received(HOOK).len(), 2);
}

#[tokio::test]
async fn a_payload_over_slacks_limits_fails_without_any_request() {
    let slack = SlackServer::start().await;
    let block = json!({"type": "divider"});
    let oversized = json!({"text": "hi", "blocks": vec![block; 51]});

    let delivery = client().deliver(&slack.webhook_url(HOOK), &oversized).await;

    let DeliveryOutcome::Failed { reason } = &delivery.outcome else {
        panic!("expected Failed, got {:?}", delivery.outcome);
    };
    assert!(
        reason.starts_with("invalid_payload: the message has 51 blocks"),
        "{reason}"
    );
    assert!(delivery.attempts.is_empty());
    assert!(slack.all_requests().is_empty());
}

#[tokio::test]
async fn an_unreachable_webhook_gives_up_with_connection_errors_recorded() {
    let slack = SlackServer::start().await;
    let url = slack.webhook_url(HOOK);
    slack.shutdown().await;

    let delivery = client().deliver(&url, &message()).await;

    assert!(matches!(delivery.outcome, DeliveryOutcome::GaveUp { .. }));
    assert_eq!(statuses(&delivery), [None; 4]);
    let error = delivery.attempts[0].error.as_deref().unwrap();
    assert!(error.starts_with("connection failed"), "{error}");
    assert!(!format!("{delivery:?}").contains("secret1"));
}

#[tokio::test]
async fn three_deliveries_to_one_webhook_are_spaced_by_the_pacing_interval() {
    let slack = SlackServer::start().await;
    let client = client().with_min_interval(Duration::from_millis(300));
    let (url, payload) = (slack.webhook_url(HOOK), message());
    let started = Instant::now();

    let (a, b, c) = tokio::join!(
        client.deliver(&url, &payload),
        client.deliver(&url, &payload),
        client.deliver(&url, &payload),
    );

    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!([a, b, c].iter().all(|d| d.is_delivered()));
    let posts = slack.requests(HOOK);
    assert_eq!(posts.len(), 3);
    for pair in posts.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= chrono::Duration::milliseconds(250),
            "{posts:?}"
        );
    }
}

#[tokio::test]
async fn different_webhooks_are_not_paced_against_each_other() {
    let slack = SlackServer::start().await;
    let client = client().with_min_interval(Duration::from_secs(5));
    let other = "/services/T0001/B0002/secret2";
    let (first, second, payload) = (slack.webhook_url(HOOK), slack.webhook_url(other), message());
    let started = Instant::now();

    let (a, b) = tokio::join!(
        client.deliver(&first, &payload),
        client.deliver(&second, &payload),
    );

    assert!(a.is_delivered() && b.is_delivered());
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        (slack.received(HOOK).len(), slack.received(other).len()),
        (1, 1)
    );
}

#[tokio::test]
async fn delivery_works_again_once_slack_is_back_on_the_same_address() {
    let slack = SlackServer::start().await;
    let (addr, url) = (slack.addr(), slack.webhook_url(HOOK));
    slack.shutdown().await;
    let down = client().deliver(&url, &message()).await;

    let slack = SlackServer::start_on(addr)
        .await
        .expect("rebind the same port");
    let up = client().deliver(&url, &message()).await;

    assert!(matches!(down.outcome, DeliveryOutcome::GaveUp { .. }));
    assert_eq!(up.outcome, DeliveryOutcome::Delivered);
    assert_eq!(slack.received(HOOK).len(), 1);
}
