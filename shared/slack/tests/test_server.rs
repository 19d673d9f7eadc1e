//! The Slack-like test server answers like Slack: its checks, its error codes, its paths.

use pulse_slack::test_server::{ScriptedResponse, SlackServer};
use serde_json::{Value, json};

const HOOK: &str = "/services/T0001/B0001/secret";

/// Posts raw JSON and returns Slack's status and body.
async fn post(url: &str, body: &Value) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("the test server answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a text body"))
}

#[tokio::test]
async fn a_message_with_neither_text_nor_blocks_is_refused_with_no_text() {
    let slack = SlackServer::start().await;

    let answer = post(&slack.url(HOOK), &json!({"username": "pulse"})).await;

    assert_eq!(answer, (400, "no_text".to_owned()));
    assert_eq!(slack.received(HOOK), [json!({"username": "pulse"})]);
}

#[tokio::test]
async fn more_than_50_blocks_are_refused_with_invalid_blocks() {
    let slack = SlackServer::start().await;
    let blocks = vec![json!({"type": "divider"}); 51];

    let answer = post(&slack.url(HOOK), &json!({"blocks": blocks})).await;

    assert_eq!(answer, (400, "invalid_blocks".to_owned()));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_and_recorded_as_null() {
    let slack = SlackServer::start().await;

    let response = reqwest::Client::new()
        .post(slack.url(HOOK))
        .body("payload=not-json")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(response.text().await.unwrap(), "invalid_payload");
    assert_eq!(slack.received(HOOK), [Value::Null]);
}

#[tokio::test]
async fn scripts_apply_to_their_own_path_in_order_then_answer_ok() {
    let slack = SlackServer::start().await;
    let other = "services/T0001/B0002/other";
    slack.respond(
        HOOK,
        [
            ScriptedResponse::TooManyRequests {
                retry_after_secs: 7,
            },
            ScriptedResponse::Status {
                status: 418,
                body: "teapot".into(),
            },
        ],
    );
    let message = json!({"text": "hi"});

    let other_answer = post(&slack.url(other), &message).await;
    let limited = reqwest::Client::new()
        .post(slack.url(HOOK))
        .json(&message)
        .send()
        .await
        .unwrap();
    let teapot = post(&slack.url(HOOK), &message).await;
    let then = post(&slack.url(HOOK), &message).await;

    assert_eq!(other_answer, (200, "ok".to_owned()));
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert_eq!(teapot, (418, "teapot".to_owned()));
    assert_eq!(then, (200, "ok".to_owned()));
    assert_eq!(
        (slack.received(HOOK).len(), slack.received(other).len()),
        (3, 1)
    );
}

#[tokio::test]
async fn paths_that_are_not_webhooks_answer_no_service() {
    let slack = SlackServer::start().await;

    let answer = post(&slack.url("/api/chat.postMessage"), &json!({"text": "hi"})).await;

    assert_eq!(answer, (404, "no_service".to_owned()));
    assert!(slack.all_requests().is_empty());
}
