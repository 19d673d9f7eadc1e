//! Alerts end to end: `pulse serve` with its webhooks pointed at a local server that
//! behaves like Slack; a Segment client makes a new user join an existing account and an
//! account use a core feature for the first time; Slack receives exactly one message each.

use std::time::{Duration, Instant};

use pulse_e2e::{Admin, PulseServer, create_workspace, send_with_node};
use pulse_slack::test_server::SlackServer;
use serde_json::{Value, json};

const PROFILE: &str = "id: cs\nwindow_days: 7\nevents: {Report Created: 10, Dashboard Shared: 8, Viewed Page: 1}\n\
core_features: [Dashboard Shared]\n";

const NEW_USER_RULE: &str =
    "id: new-users\nprofile: cs\nscope: accounts\ntrigger: new_user\nchannel: cs-alerts\n";
const CORE_FEATURE_RULE: &str = "id: core-feature\nprofile: cs\nscope: accounts\ntrigger: core_feature_adopted\nchannel: cs-alerts\n";

const HOOK: &str = "/services/T000/B000/cs-alerts-secret";

/// Waits until the Slack server has `count` messages at `HOOK` (alerts are asynchronous).
async fn wait_for_messages(slack: &SlackServer, count: usize) -> Vec<Value> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        let received = slack.received(HOOK);
        if received.len() >= count {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    slack.received(HOOK)
}

fn texts(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_user_in_an_existing_account_and_a_first_core_feature_each_post_one_message() {
    let slack = SlackServer::start().await;
    let data = tempfile::tempdir().unwrap();
    let workspace = create_workspace(data.path(), "Alerts");
    let webhook = slack.url(HOOK);
    let server = PulseServer::start(
        data.path(),
        &[],
        &[("PULSE_SLACK_CS_ALERTS", webhook.as_str())],
    )
    .unwrap();
    let admin = Admin::new(&server.url, &workspace.admin_key);
    admin.put_text("/v1/profiles/cs", PROFILE).await;
    admin.put_text("/v1/alerts/new-users", NEW_USER_RULE).await;
    admin
        .put_text("/v1/alerts/core-feature", CORE_FEATURE_RULE)
        .await;

    // An existing account with one user: its creation alerts once (a new account appears).
    send_with_node(&server.url, &workspace.write_key, &json!([
        {"type": "group", "userId": "u-1", "groupId": "acme", "traits": {"name": "Acme"}},
        {"type": "track", "userId": "u-1", "event": "Report Created", "context": {"groupId": "acme"}}
    ]))
    .unwrap();
    let before = wait_for_messages(&slack, 1).await;
    assert_eq!(before.len(), 1, "the new account: {:?}", texts(&before));

    // A new user joins it, and uses the core feature (twice).
    send_with_node(&server.url, &workspace.write_key, &json!([
        {"type": "identify", "userId": "u-2", "traits": {"name": "Jane Doe", "email": "jane@acme.example"}},
        {"type": "group", "userId": "u-2", "groupId": "acme"},
        {"type": "track", "userId": "u-2", "event": "Dashboard Shared", "context": {"groupId": "acme"}},
        {"type": "track", "userId": "u-2", "event": "Dashboard Shared", "context": {"groupId": "acme"}}
    ]))
    .unwrap();
    let messages = wait_for_messages(&slack, 3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let messages_after_settling = slack.received(HOOK);
    assert_eq!(
        messages_after_settling.len(),
        3,
        "{:?}",
        texts(&messages_after_settling)
    );
    let all = texts(&messages);
    assert!(
        all.iter()
            .any(|text| text.contains("joined") && text.contains("Acme")),
        "{all:?}"
    );
    assert!(
        all.iter().any(|text| text.contains("Dashboard Shared")),
        "{all:?}"
    );

    // A second use of the core feature and a repeat membership say nothing more.
    send_with_node(&server.url, &workspace.write_key, &json!([
        {"type": "group", "userId": "u-2", "groupId": "acme"},
        {"type": "track", "userId": "u-1", "event": "Dashboard Shared", "context": {"groupId": "acme"}}
    ]))
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(slack.received(HOOK).len(), 3);

    let deliveries = admin.get("/v1/alerts/deliveries").await;
    let items = deliveries["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items.iter().all(|item| item["status"] == "delivered"),
        "{deliveries}"
    );
    let shown = deliveries.to_string();
    assert!(
        !shown.contains("cs-alerts-secret"),
        "the webhook URL is a secret: {shown}"
    );
}
