//! Webhook URLs are secrets: they validate on the way in and never print or log.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pulse_slack::test_server::{ScriptedResponse, SlackServer};
use pulse_slack::{RetryPolicy, WebhookClient, WebhookUrl, WebhookUrlError};
use serde_json::json;

const SLACK_URL: &str =
    "https://hooks.slack.com/services/T0AB12CD3/B0EF45GH6/aBcDeFgHiJkLmNoPqRsTuVwX";

#[test]
fn debug_and_display_show_only_a_masked_url() {
    let url = WebhookUrl::parse(SLACK_URL).unwrap();

    assert_eq!(url.to_string(), "https://hooks.slack.com/services/T…/***");
    assert_eq!(
        format!("{url:?}"),
        r#"WebhookUrl("https://hooks.slack.com/services/T…/***")"#
    );
    for shown in [url.to_string(), format!("{url:?}"), format!("{url:#?}")] {
        assert!(
            !shown.contains("aBcDeF") && !shown.contains("B0EF45GH6"),
            "{shown}"
        );
    }
}

#[test]
fn other_hosts_show_no_part_of_their_path() {
    let url = WebhookUrl::parse("http://user:pw@127.0.0.1:8080/hook/s3cret?token=x").unwrap();

    assert_eq!(url.to_string(), "http://127.0.0.1:8080/***");
}

#[test]
fn only_http_urls_with_a_host_are_accepted() {
    assert_eq!(
        WebhookUrl::parse("ftp://hooks.slack.com/x"),
        Err(WebhookUrlError::NotHttp)
    );
    assert!(matches!(
        WebhookUrl::parse("not a url"),
        Err(WebhookUrlError::Malformed(_))
    ));
    assert!(WebhookUrl::parse(&format!("  {SLACK_URL}\n")).is_ok());
}

/// Collects everything the crate logs during a delivery.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_logs_of_a_troubled_delivery_show_the_masked_url_only() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("pulse_slack=trace")
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let slack = SlackServer::start().await;
    let path = "/services/T0001/B0001/topsecret";
    slack.respond(
        path,
        [
            ScriptedResponse::ServerError,
            ScriptedResponse::ChannelNotFound,
        ],
    );
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    let client = WebhookClient::new(policy).with_min_interval(Duration::ZERO);

    let delivery = client
        .deliver(&slack.webhook_url(path), &json!({"text": "hi"}))
        .await;

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(delivery.attempts.len(), 2);
    assert!(logs.contains("/services/T…/***"), "{logs}");
    assert!(
        !logs.contains("topsecret") && !logs.contains("B0001"),
        "{logs}"
    );
}
