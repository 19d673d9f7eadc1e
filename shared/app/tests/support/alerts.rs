//! The harness the alert suites share: an app on a fresh SQLite store with an in-process
//! bus, a Slack-like webhook server with one webhook per channel, and a Slack client whose
//! delays are a few milliseconds. Events wait on the bus until a test drains them, so every
//! step (ingest, recompute, evaluate, notify) runs when the test says.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode};
use pulse_app::webhooks::WebhookMap;
use pulse_app::{App, AppConfig, ManualClock};
use pulse_bus::{DomainEvent, InProcessBus};
use pulse_slack::test_server::SlackServer;
use pulse_slack::{RetryPolicy, WebhookClient};
use pulse_store::sqlite::SqliteStore;
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::mpsc::UnboundedReceiver;

use super::{Reply, Tenant, TestApp, at};

/// Posts one delivery makes at most (the first included) in these suites.
pub const MAX_ATTEMPTS: u32 = 3;

/// A Slack client that retries quickly: a few milliseconds of back-off and pacing.
pub fn quick_slack_client(timeout: Duration) -> WebhookClient {
    WebhookClient::new(RetryPolicy {
        max_attempts: MAX_ATTEMPTS,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        timeout,
        max_retry_after: Duration::from_secs(5),
    })
    .with_min_interval(Duration::from_millis(1))
}

/// The webhook path of a channel on the test server; the last part is the secret.
pub fn webhook_path(channel: &str) -> String {
    format!("/services/T0PULSE/B0{}/s3cr3t-{channel}", channel.len())
}

/// An app wired for alerts: bus, webhooks and Slack client, with the Slack server it posts to.
pub struct AlertsApp {
    pub test: TestApp,
    pub slack: SlackServer,
    events: UnboundedReceiver<DomainEvent>,
}

impl std::ops::Deref for AlertsApp {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.test
    }
}

impl AlertsApp {
    /// An app at `now` whose `channels` post to the test server (see [`webhook_path`]);
    /// any other channel has no webhook.
    pub async fn start(now: &str, channels: &[&str]) -> AlertsApp {
        AlertsApp::start_with_timeout(now, channels, Duration::from_secs(5)).await
    }

    pub async fn start_with_timeout(now: &str, channels: &[&str], timeout: Duration) -> AlertsApp {
        let slack = SlackServer::start().await;
        let urls: Vec<(String, String)> = channels
            .iter()
            .map(|channel| (channel.to_string(), slack.url(&webhook_path(channel))))
            .collect();
        let webhooks = WebhookMap::from_channels(
            urls.iter()
                .map(|(channel, url)| (channel.as_str(), url.as_str())),
        )
        .expect("the test server's URLs are valid webhooks");
        let data = TempDir::new().expect("a temporary data directory");
        let store = SqliteStore::open(data.path()).expect("the store opens");
        let clock = ManualClock::new(at(now));
        let (bus, events) = InProcessBus::new();
        let app = App::new(
            Arc::new(store),
            Arc::new(clock.clone()),
            AppConfig::default(),
        )
        .with_bus(Arc::new(bus))
        .with_webhooks(Arc::new(webhooks))
        .with_slack(quick_slack_client(timeout));
        AlertsApp {
            test: TestApp::from_parts(app, clock, data),
            slack,
            events,
        }
    }

    /// Handles every event waiting on the bus, and those they cause, as the worker would.
    pub async fn drain(&mut self) -> usize {
        pulse_app::worker::drain(&self.test.app, &mut self.events)
            .await
            .expect("the events are handled")
    }

    /// Like [`Self::drain`], but every event is handled twice, as a redelivering bus may.
    pub async fn drain_each_twice(&mut self) -> usize {
        let mut handled = 0;
        while let Ok(event) = self.events.try_recv() {
            self.test
                .app
                .handle(event.clone())
                .await
                .expect("the event is handled");
            self.test
                .app
                .handle(event)
                .await
                .expect("the event is handled again");
            handled += 1;
        }
        handled
    }

    /// The events waiting on the bus, taken off it without handling them.
    pub fn take_events(&mut self) -> Vec<DomainEvent> {
        let mut taken = Vec::new();
        while let Ok(event) = self.events.try_recv() {
            taken.push(event);
        }
        taken
    }

    /// The messages `channel`'s webhook received, oldest first.
    pub fn posts(&self, channel: &str) -> Vec<Value> {
        self.slack.received(&webhook_path(channel))
    }

    /// The plain-text fallbacks of the messages `channel`'s webhook received.
    pub fn texts(&self, channel: &str) -> Vec<String> {
        self.posts(channel)
            .iter()
            .map(|post| post["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// `PUT path` with a YAML body; returns the reply, whatever it is.
    pub async fn put_yaml(&self, tenant: &Tenant, path: &str, yaml: &str) -> Reply {
        self.admin(tenant, Method::PUT, path, Some(yaml.to_string()))
            .await
    }

    /// `PUT path` with a YAML body that must be accepted.
    pub async fn apply(&self, tenant: &Tenant, path: &str, yaml: &str) {
        let reply = self.put_yaml(tenant, path, yaml).await;
        assert_eq!(reply.status, StatusCode::OK, "PUT {path}: {}", reply.body);
    }

    /// `GET /v1/alerts/deliveries` (with an optional query) — every alert, newest first.
    pub async fn deliveries(&self, tenant: &Tenant, query: &str) -> Vec<Value> {
        let path = if query.is_empty() {
            "/v1/alerts/deliveries".to_string()
        } else {
            format!("/v1/alerts/deliveries?{query}")
        };
        let page = self.get_ok(tenant, &path).await;
        page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("a list: {page}"))
            .clone()
    }
}

/// `(rule, subject)` of each delivery, sorted, to compare without caring about order.
pub fn fired(deliveries: &[Value]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = deliveries
        .iter()
        .map(|item| {
            (
                item["rule"].as_str().expect("a rule").to_string(),
                item["subject"].as_str().expect("a subject").to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
}

/// The ids of deliveries, sorted.
pub fn alert_ids(deliveries: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = deliveries
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_string())
        .collect();
    ids.sort();
    ids
}

/// A `(rule, subject)` pair, for building expectations.
pub fn pair(rule: &str, subject: &str) -> (String, String) {
    (rule.to_string(), subject.to_string())
}
