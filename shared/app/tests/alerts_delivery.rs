//! Slack delivery of alerts (SPEC §6) through the app: one message per alert or one digest
//! when an evaluation raises more than `DIGEST_AFTER` for a channel; Slack's `429`, `5xx`
//! and `4xx` answers; retries of undelivered alerts with `App::deliver_due`; alerts of a
//! channel without a webhook logged; and every attempt readable — webhooks masked — at
//! `GET /v1/alerts/deliveries`. Each test asserts exactly how many posts the Slack-like
//! server received.
//!
//! Most alerts here come from a `new_user` rule: one `group` call naming a new account
//! raises exactly one alert. The digest needs one evaluation with many alerts: accounts
//! that all reach 100 % activation on the same day.

mod support;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use pulse_app::notify::{DIGEST_AFTER, NotifyReport};
use pulse_bus::DomainEvent;
use pulse_slack::test_server::ScriptedResponse;
use serde_json::{Value, json};
use support::alerts::{AlertsApp, MAX_ATTEMPTS, webhook_path};
use support::{Tenant, at, batch, group, usage};

const NOW: &str = "2026-12-07T10:00:00Z";

const PROFILE: &str = "\
id: cs
name: CS Scoring Profile
window_days: 7
events:
  Viewed Page: 1
activation:
  - name: Connected a data source
    event: Source Connected
";

/// An app whose `cs-alerts` channel posts to the Slack server, with a `new_user` rule on
/// `channel` (`None`: the default channel).
async fn with_new_user_rule(channel: Option<&str>) -> (AlertsApp, Tenant) {
    let app = AlertsApp::start(NOW, &["cs-alerts"]).await;
    let tenant = app.tenant("Test").await;
    app.apply(&tenant, "/v1/profiles/cs", PROFILE).await;
    let channel = channel.map_or_else(String::new, |name| format!("channel: {name}\n"));
    app.apply(
        &tenant,
        "/v1/alerts/new-user",
        &format!("profile: cs\nscope: accounts\ntrigger: new_user\n{channel}"),
    )
    .await;
    (app, tenant)
}

/// Names a new account: exactly one `new_user` alert, posted as the bus is drained.
async fn new_account(app: &mut AlertsApp, tenant: &Tenant, account: &str, name: &str) {
    app.ingest(
        tenant,
        "/v1/batch",
        &batch(vec![group(
            &format!("{account}-admin"),
            account,
            json!({"name": name}),
            NOW,
        )]),
    )
    .await
    .assert_accepted();
    app.drain().await;
}

/// The only alert of the workspace, as the deliveries endpoint shows it.
async fn only_delivery(app: &AlertsApp, tenant: &Tenant) -> Value {
    let deliveries = app.deliveries(tenant, "").await;
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    deliveries[0].clone()
}

/// The HTTP statuses of each post of a delivery round.
fn statuses(round: &Value) -> Vec<Value> {
    round["attempts"]
        .as_array()
        .unwrap_or_else(|| panic!("posts in {round}"))
        .iter()
        .map(|post| post["status"].clone())
        .collect()
}

fn time(value: &Value) -> DateTime<Utc> {
    at(value.as_str().unwrap_or_else(|| panic!("a time: {value}")))
}

/// `count` accounts (one member each) seen on 12-01 and computed, then all reaching 100 %
/// activation on 12-02: one evaluation raising `count` alerts for `cs-alerts`.
async fn accounts_activated_together(count: usize) -> (AlertsApp, Tenant) {
    let mut app = AlertsApp::start("2026-12-01T20:00:00Z", &["cs-alerts"]).await;
    let tenant = app.tenant("Test").await;
    app.apply(&tenant, "/v1/profiles/cs", PROFILE).await;
    app.apply(
        &tenant,
        "/v1/alerts/activated",
        "profile: cs\nscope: accounts\ntrigger: {activation_above: {percent: 100}}\nchannel: cs-alerts\n",
    )
    .await;
    let accounts: Vec<String> = (1..=count).map(|n| format!("account-{n}")).collect();
    let mut calls = Vec::new();
    for account in &accounts {
        let user = format!("{account}-admin");
        calls.push(group(
            &user,
            account,
            json!({"name": format!("Customer {account}")}),
            "2026-12-01T10:00:00Z",
        ));
        calls.extend(usage(&user, "Viewed Page", 1, "2026-12-01T10:00:00Z"));
    }
    app.ingest(&tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();
    app.recompute_as_of(&tenant, "2026-12-01").await;
    app.drain().await;
    app.set_now("2026-12-02T20:00:00Z");
    let connected = accounts
        .iter()
        .flat_map(|account| {
            usage(
                &format!("{account}-admin"),
                "Source Connected",
                1,
                "2026-12-02T10:00:00Z",
            )
        })
        .collect();
    app.ingest(&tenant, "/v1/batch", &batch(connected))
        .await
        .assert_accepted();
    app.recompute_as_of(&tenant, "2026-12-02").await;
    app.drain().await;
    (app, tenant)
}

#[tokio::test]
async fn more_alerts_than_the_digest_threshold_for_a_channel_go_out_as_one_digest() {
    let count = DIGEST_AFTER + 1;

    let (app, tenant) = accounts_activated_together(count).await;

    let posts = app.posts("cs-alerts");
    assert_eq!(posts.len(), 1, "{posts:?}");
    let text = posts[0]["text"].as_str().expect("a fallback text");
    assert!(
        text.starts_with(&format!("{count} Pulse alerts for #cs-alerts")),
        "{text}"
    );
    let blocks = posts[0]["blocks"].to_string();
    for n in 1..=count {
        let headline = format!("Customer account-{n} reached 100 % activation");
        assert!(text.contains(&headline), "{headline} in {text}");
        assert!(blocks.contains(&headline), "{headline} in {blocks}");
    }
    let deliveries = app.deliveries(&tenant, "").await;
    assert_eq!(deliveries.len(), count);
    for delivery in &deliveries {
        assert_eq!(delivery["status"], json!("delivered"));
        let rounds = delivery["attempts"].as_array().unwrap();
        assert_eq!(rounds.len(), 1);
        assert_eq!(rounds[0]["digest"], json!(true));
        assert_eq!(statuses(&rounds[0]), [json!(200)]);
    }
}

#[tokio::test]
async fn up_to_the_digest_threshold_each_alert_is_its_own_message() {
    let (app, tenant) = accounts_activated_together(DIGEST_AFTER).await;

    let mut texts = app.texts("cs-alerts");
    texts.sort();

    assert_eq!(texts.len(), DIGEST_AFTER);
    for (n, text) in (1..=DIGEST_AFTER).zip(&texts) {
        assert!(
            text.starts_with(&format!("Customer account-{n} reached 100 % activation")),
            "{text}"
        );
    }
    for delivery in app.deliveries(&tenant, "").await {
        assert_eq!(delivery["status"], json!("delivered"));
        assert_eq!(delivery["attempts"][0]["digest"], json!(false));
    }
}

#[tokio::test]
async fn a_429_is_waited_out_for_its_retry_after_and_then_delivered() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    app.slack.respond(
        &webhook_path("cs-alerts"),
        [ScriptedResponse::TooManyRequests {
            retry_after_secs: 1,
        }],
    );

    new_account(&mut app, &tenant, "acme", "Acme").await;

    let posts = app.posts("cs-alerts");
    assert_eq!(posts.len(), 2, "the refused post and its retry");
    assert_eq!(posts[0], posts[1]);
    let delivery = only_delivery(&app, &tenant).await;
    assert_eq!(delivery["status"], json!("delivered"));
    assert_eq!(delivery["next_attempt_at"], json!(null));
    let rounds = delivery["attempts"].as_array().unwrap();
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0]["outcome"], json!("delivered"));
    assert_eq!(statuses(&rounds[0]), [json!(429), json!(200)]);
    assert_eq!(rounds[0]["attempts"][0]["error"], json!("rate_limited"));
    let waited = rounds[0]["attempts"][1]["waited_ms"].as_u64().unwrap();
    assert!(waited >= 900, "Retry-After: 1 honoured, waited {waited} ms");
}

#[tokio::test]
async fn a_429_asking_for_longer_than_allowed_is_kept_for_a_later_retry() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    app.slack.respond(
        &webhook_path("cs-alerts"),
        [ScriptedResponse::TooManyRequests {
            retry_after_secs: 600,
        }],
    );

    new_account(&mut app, &tenant, "acme", "Acme").await;

    assert_eq!(app.posts("cs-alerts").len(), 1);
    let delivery = only_delivery(&app, &tenant).await;
    assert_eq!(delivery["status"], json!("retrying"));
    let reason = delivery["attempts"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("Retry-After"), "{reason}");
}

#[tokio::test]
async fn a_500_then_success_is_delivered_with_both_posts_recorded() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    app.slack
        .respond(&webhook_path("cs-alerts"), [ScriptedResponse::ServerError]);

    new_account(&mut app, &tenant, "acme", "Acme").await;

    assert_eq!(app.posts("cs-alerts").len(), 2);
    let delivery = only_delivery(&app, &tenant).await;
    assert_eq!(delivery["status"], json!("delivered"));
    let round = &delivery["attempts"][0];
    assert_eq!(statuses(round), [json!(500), json!(200)]);
    assert_eq!(round["attempts"][0]["error"], json!("rollup_error"));
    assert_eq!(round["reason"], json!(null));
}

#[tokio::test]
async fn an_alert_slack_keeps_failing_is_kept_and_delivered_once_when_due() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    let failures = vec![ScriptedResponse::ServerError; MAX_ATTEMPTS as usize];
    app.slack.respond(&webhook_path("cs-alerts"), failures);

    new_account(&mut app, &tenant, "acme", "Acme").await;

    assert_eq!(app.posts("cs-alerts").len(), MAX_ATTEMPTS as usize);
    let delivery = only_delivery(&app, &tenant).await;
    assert_eq!(delivery["status"], json!("retrying"));
    assert_eq!(
        time(&delivery["next_attempt_at"]),
        at(NOW) + TimeDelta::minutes(1)
    );
    let round = &delivery["attempts"][0];
    assert_eq!(round["outcome"], json!("retrying"));
    assert_eq!(statuses(round), vec![json!(500); MAX_ATTEMPTS as usize]);
    let reason = round["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("gave up after {MAX_ATTEMPTS} attempts")),
        "{reason}"
    );
    let retrying = app.deliveries(&tenant, "status=retrying").await;
    assert_eq!(retrying.len(), 1);

    // Not due yet: nothing is sent.
    let early = app.app.deliver_due().await.expect("a retry round");
    assert_eq!(early, NotifyReport::default());
    assert_eq!(app.posts("cs-alerts").len(), MAX_ATTEMPTS as usize);

    // Due: Slack answers again, and the alert arrives.
    app.set_now("2026-12-07T10:01:00Z");
    let due = app.app.deliver_due().await.expect("a retry round");
    let again = app.app.deliver_due().await.expect("a retry round");

    assert_eq!(due.delivered, 1);
    assert_eq!(again, NotifyReport::default());
    let posts = app.posts("cs-alerts");
    assert_eq!(posts.len(), MAX_ATTEMPTS as usize + 1);
    let delivery = only_delivery(&app, &tenant).await;
    assert_eq!(delivery["status"], json!("delivered"));
    assert_eq!(delivery["next_attempt_at"], json!(null));
    let rounds = delivery["attempts"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    assert_eq!(rounds[1]["round"], json!(2));
    assert_eq!(rounds[1]["outcome"], json!("delivered"));
    assert_eq!(statuses(&rounds[1]), [json!(200)]);
}

#[tokio::test]
async fn a_timeout_is_retried_and_then_kept_for_later() {
    let mut app =
        AlertsApp::start_with_timeout(NOW, &["cs-alerts"], Duration::from_millis(150)).await;
    let tenant = app.tenant("Test").await;
    app.apply(&tenant, "/v1/profiles/cs", PROFILE).await;
    app.apply(
        &tenant,
        "/v1/alerts/new-user",
        "profile: cs\nscope: accounts\ntrigger: new_user\nchannel: cs-alerts\n",
    )
    .await;
    let slow = vec![ScriptedResponse::Slow(Duration::from_millis(600)); MAX_ATTEMPTS as usize];
    app.slack.respond(&webhook_path("cs-alerts"), slow);

    new_account(&mut app, &tenant, "acme", "Acme").await;

    assert_eq!(app.posts("cs-alerts").len(), MAX_ATTEMPTS as usize);
    let delivery = only_delivery(&app, &tenant).await;
    assert_eq!(delivery["status"], json!("retrying"));
    let round = &delivery["attempts"][0];
    assert_eq!(statuses(round), vec![json!(null); MAX_ATTEMPTS as usize]);
    assert_eq!(round["attempts"][0]["error"], json!("timeout"));
}

#[tokio::test]
async fn channel_not_found_fails_for_good_with_slacks_reason() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    app.slack.respond(
        &webhook_path("cs-alerts"),
        [ScriptedResponse::ChannelNotFound],
    );

    new_account(&mut app, &tenant, "acme", "Acme").await;

    assert_eq!(app.posts("cs-alerts").len(), 1);
    let delivery = only_delivery(&app, &tenant).await;
    assert_eq!(delivery["status"], json!("failed"));
    assert_eq!(delivery["next_attempt_at"], json!(null));
    let round = &delivery["attempts"][0];
    assert_eq!(round["outcome"], json!("failed"));
    assert_eq!(round["reason"], json!("channel_not_found"));
    assert_eq!(statuses(round), [json!(404)]);

    app.set_now("2026-12-08T10:00:00Z");
    let report = app.app.deliver_due().await.expect("a retry round");

    assert_eq!(report, NotifyReport::default());
    assert_eq!(app.posts("cs-alerts").len(), 1);
    assert_eq!(
        only_delivery(&app, &tenant).await["status"],
        json!("failed")
    );
}

#[tokio::test]
async fn alerts_for_a_channel_without_a_webhook_are_logged_and_say_what_to_set() {
    let (mut app, tenant) = with_new_user_rule(Some("sales")).await;

    new_account(&mut app, &tenant, "acme", "Acme").await;

    assert!(app.slack.all_requests().is_empty());
    let delivery = only_delivery(&app, &tenant).await;
    assert_eq!(delivery["status"], json!("logged"));
    assert_eq!(delivery["channel"], json!("sales"));
    assert_eq!(delivery["next_attempt_at"], json!(null));
    assert_eq!(delivery["attempts"][0]["outcome"], json!("logged"));
    assert_eq!(
        delivery["attempts"][0]["reason"],
        json!("no webhook configured: set PULSE_SLACK_SALES")
    );
    app.set_now("2026-12-08T10:00:00Z");
    assert_eq!(
        app.app.deliver_due().await.expect("a retry round"),
        NotifyReport::default()
    );
}

#[tokio::test]
async fn a_rule_without_a_channel_uses_the_default_webhook_or_is_logged() {
    let (mut unconfigured, tenant) = with_new_user_rule(None).await;
    let mut configured = AlertsApp::start(NOW, &["default"]).await;
    let other = configured.tenant("Test").await;
    configured.apply(&other, "/v1/profiles/cs", PROFILE).await;
    configured
        .apply(
            &other,
            "/v1/alerts/new-user",
            "profile: cs\nscope: accounts\ntrigger: new_user\n",
        )
        .await;

    new_account(&mut unconfigured, &tenant, "acme", "Acme").await;
    new_account(&mut configured, &other, "acme", "Acme").await;

    assert!(unconfigured.slack.all_requests().is_empty());
    let logged = only_delivery(&unconfigured, &tenant).await;
    assert_eq!(logged["status"], json!("logged"));
    assert_eq!(logged["channel"], json!(null));
    assert_eq!(
        logged["attempts"][0]["reason"],
        json!("no webhook configured: set PULSE_SLACK_DEFAULT")
    );
    assert_eq!(configured.posts("default").len(), 1);
    assert_eq!(
        only_delivery(&configured, &other).await["status"],
        json!("delivered")
    );
}

#[tokio::test]
async fn the_deliveries_show_webhooks_masked_and_never_the_url() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    app.slack.respond(
        &webhook_path("cs-alerts"),
        [
            ScriptedResponse::ServerError,
            ScriptedResponse::Ok,
            ScriptedResponse::ChannelNotFound,
        ],
    );
    new_account(&mut app, &tenant, "acme", "Acme").await;
    new_account(&mut app, &tenant, "globex", "Globex").await;

    let reply = app.get(&tenant, "/v1/alerts/deliveries").await;

    let text = reply.body.to_string();
    let url = app.slack.url(&webhook_path("cs-alerts"));
    assert!(!text.contains(&url), "{text}");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(!text.contains("T0PULSE/B0"), "{text}");
    let masked = format!("http://{}/services/T…/***", app.slack.addr());
    let deliveries = reply.body["items"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    for delivery in deliveries {
        assert_eq!(
            delivery["attempts"][0]["webhook"],
            json!(masked),
            "{delivery}"
        );
    }
}

#[tokio::test]
async fn events_handled_twice_post_each_alert_once() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    app.ingest(
        &tenant,
        "/v1/batch",
        &batch(vec![
            group("alice", "acme", json!({"name": "Acme"}), NOW),
            group("bob", "acme", json!({}), NOW),
        ]),
    )
    .await
    .assert_accepted();

    app.drain_each_twice().await;

    // A new account and a new user in it: two alerts, each posted once.
    assert_eq!(app.posts("cs-alerts").len(), 2);
    assert_eq!(app.deliveries(&tenant, "").await.len(), 2);
}

#[tokio::test]
async fn a_repeated_alert_raised_event_posts_nothing_twice() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    app.ingest(
        &tenant,
        "/v1/batch",
        &batch(vec![group("alice", "acme", json!({"name": "Acme"}), NOW)]),
    )
    .await
    .assert_accepted();
    for event in app.take_events() {
        app.app
            .handle(event)
            .await
            .expect("the ingestion event is handled");
    }
    let raised: Vec<DomainEvent> = app
        .take_events()
        .into_iter()
        .filter(|event| matches!(event, DomainEvent::AlertRaised { .. }))
        .collect();
    assert_eq!(raised.len(), 1, "{raised:?}");

    app.app.handle(raised[0].clone()).await.expect("handled");
    app.app
        .handle(raised[0].clone())
        .await
        .expect("handled again");

    assert_eq!(app.posts("cs-alerts").len(), 1);
    let delivery = only_delivery(&app, &tenant).await;
    assert_eq!(delivery["status"], json!("delivered"));
    assert_eq!(delivery["attempts"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_alert_whose_alert_raised_event_was_lost_is_sent_by_the_retry_round() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    app.ingest(
        &tenant,
        "/v1/batch",
        &batch(vec![group("alice", "acme", json!({"name": "Acme"}), NOW)]),
    )
    .await
    .assert_accepted();
    for event in app.take_events() {
        app.app
            .handle(event)
            .await
            .expect("the ingestion event is handled");
    }
    let lost = app.take_events();
    assert_eq!(lost.len(), 1, "one AlertRaised, never handled: {lost:?}");
    assert_eq!(
        only_delivery(&app, &tenant).await["status"],
        json!("pending")
    );

    let report = app.app.deliver_due().await.expect("a retry round");

    assert_eq!(report.delivered, 1);
    assert_eq!(app.posts("cs-alerts").len(), 1);
    assert_eq!(
        only_delivery(&app, &tenant).await["status"],
        json!("delivered")
    );
}

#[tokio::test]
async fn the_settled_sweep_leaves_fresh_alerts_to_their_event_then_sends_them_once() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    app.ingest(
        &tenant,
        "/v1/batch",
        &batch(vec![group("alice", "acme", json!({"name": "Acme"}), NOW)]),
    )
    .await
    .assert_accepted();
    for event in app.take_events() {
        app.app.handle(event).await.expect("handled");
    }
    assert_eq!(app.take_events().len(), 1, "the AlertRaised, lost");
    let settle = TimeDelta::minutes(5);

    // Raised just now: the sweep leaves it to its AlertRaised event.
    let fresh = app.app.deliver_due_settled(settle).await.expect("a sweep");
    assert_eq!(fresh, NotifyReport::default());
    app.set_now("2026-12-07T10:04:59Z");
    let still_fresh = app.app.deliver_due_settled(settle).await.expect("a sweep");
    assert_eq!(still_fresh, NotifyReport::default());
    assert!(app.posts("cs-alerts").is_empty());

    // Five minutes on, it has settled: sent once, and not again.
    app.set_now("2026-12-07T10:05:00Z");
    let swept = app.app.deliver_due_settled(settle).await.expect("a sweep");
    assert_eq!(swept.delivered, 1, "{swept:?}");
    let again = app.app.deliver_due_settled(settle).await.expect("a sweep");
    assert_eq!(again, NotifyReport::default());
    assert_eq!(app.posts("cs-alerts").len(), 1);
}

#[tokio::test]
async fn deliveries_are_paged_and_filtered_by_status_and_rule() {
    let (app, tenant) = accounts_activated_together(DIGEST_AFTER + 1).await;

    let first = app.get_ok(&tenant, "/v1/alerts/deliveries?limit=3").await;
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = app
        .get_ok(
            &tenant,
            &format!("/v1/alerts/deliveries?limit=3&cursor={cursor}"),
        )
        .await;
    let delivered = app
        .deliveries(&tenant, "status=delivered&rule=activated")
        .await;
    let failed = app.deliveries(&tenant, "status=failed").await;
    let other_rule = app.deliveries(&tenant, "rule=new-user").await;
    let invalid = app.get(&tenant, "/v1/alerts/deliveries?status=lost").await;

    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["next_cursor"], json!(null));
    assert_eq!(delivered.len(), DIGEST_AFTER + 1);
    assert!(failed.is_empty());
    assert!(other_rule.is_empty());
    invalid.assert_error(http::StatusCode::BAD_REQUEST, "invalid_status");
}

#[tokio::test]
async fn a_digest_of_many_alerts_stays_within_slacks_limits_and_is_accepted() {
    let count = 30;

    let (app, tenant) = accounts_activated_together(count).await;

    let posts = app.posts("cs-alerts");
    assert_eq!(posts.len(), 1);
    let text = posts[0]["text"].as_str().unwrap();
    assert!(text.starts_with("30 Pulse alerts for #cs-alerts"), "{text}");
    assert!(text.ends_with("…and 10 more"), "{text}");
    assert!(posts[0]["blocks"].as_array().unwrap().len() <= pulse_slack::MAX_BLOCKS);
    let delivered = app.deliveries(&tenant, "status=delivered").await;
    assert_eq!(delivered.len(), count);
}

#[tokio::test]
async fn retries_back_off_from_one_minute_to_five_between_rounds() {
    let (mut app, tenant) = with_new_user_rule(Some("cs-alerts")).await;
    let failures = vec![ScriptedResponse::ServiceUnavailable; 2 * MAX_ATTEMPTS as usize];
    app.slack.respond(&webhook_path("cs-alerts"), failures);
    new_account(&mut app, &tenant, "acme", "Acme").await;
    let first = only_delivery(&app, &tenant).await;

    app.set_now("2026-12-07T10:01:00Z");
    let second_round = app.app.deliver_due().await.expect("a retry round");
    let second = only_delivery(&app, &tenant).await;
    app.set_now("2026-12-07T10:06:00Z");
    let third_round = app.app.deliver_due().await.expect("a retry round");

    assert_eq!(time(&first["next_attempt_at"]), at("2026-12-07T10:01:00Z"));
    assert_eq!(second_round.retrying, 1);
    assert_eq!(time(&second["next_attempt_at"]), at("2026-12-07T10:06:00Z"));
    assert_eq!(third_round.delivered, 1);
    assert_eq!(app.posts("cs-alerts").len(), 2 * MAX_ATTEMPTS as usize + 1);
    let rounds = only_delivery(&app, &tenant).await["attempts"].clone();
    let outcomes: Vec<Value> = rounds
        .as_array()
        .unwrap()
        .iter()
        .map(|round| round["outcome"].clone())
        .collect();
    assert_eq!(
        outcomes,
        [json!("retrying"), json!("retrying"), json!("delivered")]
    );
}
