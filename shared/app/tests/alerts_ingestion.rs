//! Alerts raised from ingestion (SPEC §6): `new_user` and `core_feature_adopted`, end to
//! end through the app — calls in over HTTP, the bus drained, and exactly what the Slack
//! server received and `GET /v1/alerts/deliveries` reports checked after each request.

mod support;

use serde_json::{Value, json};
use support::alerts::{AlertsApp, fired, pair};
use support::{Tenant, batch, group, identify, track};

const PROFILE: &str = "\
id: cs
name: CS Scoring Profile
window_days: 7
events:
  Report Created: 10
  Dashboard Shared: 8
  Invite Sent: 5
core_features: [Report Created, Dashboard Shared]
";

const NEW_USER: &str = "profile: cs\nscope: accounts\ntrigger: new_user\nchannel: cs-alerts\n";
const FIRST_USE: &str =
    "profile: cs\nscope: accounts\ntrigger: core_feature_adopted\nchannel: cs-alerts\n";

const NOW: &str = "2026-12-07T10:00:00Z";

async fn configured() -> (AlertsApp, Tenant) {
    let app = AlertsApp::start(NOW, &["cs-alerts"]).await;
    let tenant = app.tenant("Test").await;
    app.apply(&tenant, "/v1/profiles/cs", PROFILE).await;
    app.apply(&tenant, "/v1/alerts/new-user", NEW_USER).await;
    app.apply(&tenant, "/v1/alerts/first-use", FIRST_USE).await;
    (app, tenant)
}

/// Sends calls as one batch and handles the events they cause.
async fn send(app: &mut AlertsApp, tenant: &Tenant, calls: Vec<Value>) {
    app.ingest(tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();
    app.drain().await;
}

/// alice creates acme, then bob joins it: two alerts on the way.
async fn acme_with_alice_and_bob(app: &mut AlertsApp, tenant: &Tenant) {
    send(
        app,
        tenant,
        vec![
            identify("alice", json!({"name": "Alice"}), NOW),
            group("alice", "acme", json!({"name": "Acme", "plan": "pro"}), NOW),
        ],
    )
    .await;
    send(
        app,
        tenant,
        vec![
            identify("bob", json!({"name": "Bob"}), NOW),
            group("bob", "acme", json!({}), NOW),
        ],
    )
    .await;
}

fn headlines(deliveries: &[Value]) -> Vec<String> {
    let mut headlines: Vec<String> = deliveries
        .iter()
        .map(|item| item["headline"].as_str().expect("a headline").to_string())
        .collect();
    headlines.sort();
    headlines
}

#[tokio::test]
async fn a_new_account_raises_one_alert_and_its_first_member_no_second_one() {
    let (mut app, tenant) = configured().await;

    send(
        &mut app,
        &tenant,
        vec![
            identify("alice", json!({"name": "Alice"}), NOW),
            group("alice", "acme", json!({"name": "Acme", "plan": "pro"}), NOW),
        ],
    )
    .await;

    let deliveries = app.deliveries(&tenant, "").await;
    assert_eq!(fired(&deliveries), [pair("new-user", "acme")]);
    assert_eq!(deliveries[0]["headline"], json!("New account: Acme"));
    assert_eq!(deliveries[0]["status"], json!("delivered"));
    let texts = app.texts("cs-alerts");
    assert_eq!(texts.len(), 1);
    assert!(texts[0].starts_with("New account: Acme"), "{}", texts[0]);
    assert!(texts[0].contains("Alice (alice)"), "{}", texts[0]);
}

#[tokio::test]
async fn a_new_user_in_an_existing_account_raises_one_alert() {
    let (mut app, tenant) = configured().await;
    send(
        &mut app,
        &tenant,
        vec![
            identify("alice", json!({"name": "Alice"}), NOW),
            group("alice", "acme", json!({"name": "Acme", "plan": "pro"}), NOW),
        ],
    )
    .await;

    send(
        &mut app,
        &tenant,
        vec![
            identify("bob", json!({"name": "Bob"}), NOW),
            group("bob", "acme", json!({}), NOW),
        ],
    )
    .await;

    let deliveries = app.deliveries(&tenant, "").await;
    assert_eq!(
        headlines(&deliveries),
        ["Bob (bob) joined Acme", "New account: Acme"]
    );
    assert_eq!(app.posts("cs-alerts").len(), 2);
    assert!(app.texts("cs-alerts")[1].starts_with("Bob (bob) joined Acme"));
}

#[tokio::test]
async fn a_member_named_again_is_not_new() {
    let (mut app, tenant) = configured().await;
    acme_with_alice_and_bob(&mut app, &tenant).await;

    send(
        &mut app,
        &tenant,
        vec![
            group("bob", "acme", json!({"plan": "enterprise"}), NOW),
            json!({"type": "track", "userId": "alice", "event": "Invite Sent",
                   "context": {"groupId": "acme"}, "timestamp": NOW}),
        ],
    )
    .await;

    assert_eq!(app.deliveries(&tenant, "").await.len(), 2);
    assert_eq!(app.posts("cs-alerts").len(), 2);
}

#[tokio::test]
async fn the_first_use_of_a_core_feature_raises_one_alert_and_the_second_none() {
    let (mut app, tenant) = configured().await;
    acme_with_alice_and_bob(&mut app, &tenant).await;

    send(
        &mut app,
        &tenant,
        vec![track("alice", "Report Created", NOW)],
    )
    .await;
    let first = app.deliveries(&tenant, "rule=first-use").await;
    assert_eq!(fired(&first), [pair("first-use", "acme")]);
    assert_eq!(
        first[0]["headline"],
        json!("Acme used Report Created for the first time")
    );
    assert_eq!(app.posts("cs-alerts").len(), 3);

    // The account's second use, by another member, and alice's own second use.
    send(
        &mut app,
        &tenant,
        vec![track("bob", "Report Created", "2026-12-07T10:05:00Z")],
    )
    .await;
    send(
        &mut app,
        &tenant,
        vec![track("alice", "Report Created", "2026-12-07T10:06:00Z")],
    )
    .await;

    assert_eq!(app.deliveries(&tenant, "rule=first-use").await.len(), 1);
    assert_eq!(app.posts("cs-alerts").len(), 3);
}

#[tokio::test]
async fn each_core_feature_has_its_own_first_use_and_other_events_have_none() {
    let (mut app, tenant) = configured().await;
    acme_with_alice_and_bob(&mut app, &tenant).await;

    // Invite Sent is scored but not a core feature; Page views are not even scored.
    send(
        &mut app,
        &tenant,
        vec![
            track("alice", "Invite Sent", NOW),
            json!({"type": "page", "userId": "bob", "name": "Home", "timestamp": NOW}),
        ],
    )
    .await;
    assert_eq!(app.deliveries(&tenant, "rule=first-use").await.len(), 0);

    send(
        &mut app,
        &tenant,
        vec![track("bob", "Dashboard Shared", NOW)],
    )
    .await;

    let first = app.deliveries(&tenant, "rule=first-use").await;
    assert_eq!(
        headlines(&first),
        ["Acme used Dashboard Shared for the first time"]
    );
    assert!(app.texts("cs-alerts")[2].contains("First used by: Bob (bob)"));
    assert_eq!(app.posts("cs-alerts").len(), 3);
}

#[tokio::test]
async fn a_retried_batch_raises_nothing_new() {
    let (mut app, tenant) = configured().await;
    let calls = vec![
        json!({"type": "identify", "messageId": "m-1", "userId": "carol",
               "traits": {"name": "Carol"}, "timestamp": NOW}),
        json!({"type": "group", "messageId": "m-2", "userId": "carol", "groupId": "globex",
               "traits": {"name": "Globex"}, "timestamp": NOW}),
        json!({"type": "track", "messageId": "m-3", "userId": "carol",
               "event": "Report Created", "timestamp": NOW}),
    ];
    send(&mut app, &tenant, calls.clone()).await;
    let first = app.deliveries(&tenant, "").await;

    send(&mut app, &tenant, calls).await;

    assert_eq!(
        fired(&first),
        [pair("first-use", "globex"), pair("new-user", "globex")]
    );
    assert_eq!(app.deliveries(&tenant, "").await, first);
    assert_eq!(app.posts("cs-alerts").len(), 2);
}

#[tokio::test]
async fn a_where_filter_on_an_ingestion_rule_reads_the_new_accounts_traits() {
    let (mut app, tenant) = configured().await;
    app.apply(
        &tenant,
        "/v1/alerts/new-user",
        "profile: cs\nscope: accounts\ntrigger: new_user\nwhere: \"traits.plan == 'enterprise'\"\nchannel: cs-alerts\n",
    )
    .await;

    send(
        &mut app,
        &tenant,
        vec![
            group(
                "alice",
                "acme",
                json!({"name": "Acme", "plan": "trial"}),
                NOW,
            ),
            group(
                "carol",
                "globex",
                json!({"name": "Globex", "plan": "enterprise"}),
                NOW,
            ),
        ],
    )
    .await;

    assert_eq!(
        fired(&app.deliveries(&tenant, "").await),
        [pair("new-user", "globex")]
    );
    assert_eq!(app.posts("cs-alerts").len(), 1);
}

#[tokio::test]
async fn a_cooldown_on_new_user_keeps_an_account_quiet_for_a_while() {
    let (mut app, tenant) = configured().await;
    app.apply(
        &tenant,
        "/v1/alerts/new-user",
        "profile: cs\nscope: accounts\ntrigger: new_user\nchannel: cs-alerts\ncooldown: 1h\n",
    )
    .await;
    send(
        &mut app,
        &tenant,
        vec![group("alice", "acme", json!({"name": "Acme"}), NOW)],
    )
    .await;

    // 30 minutes later, inside the hour: bob joins acme quietly; globex is another subject.
    app.set_now("2026-12-07T10:30:00Z");
    send(
        &mut app,
        &tenant,
        vec![
            group("bob", "acme", json!({}), "2026-12-07T10:30:00Z"),
            group(
                "carol",
                "globex",
                json!({"name": "Globex"}),
                "2026-12-07T10:30:00Z",
            ),
        ],
    )
    .await;
    assert_eq!(
        headlines(&app.deliveries(&tenant, "").await),
        ["New account: Acme", "New account: Globex"]
    );

    // Two hours after acme's alert, the cooldown has passed.
    app.set_now("2026-12-07T12:00:00Z");
    send(
        &mut app,
        &tenant,
        vec![group("dan", "acme", json!({}), "2026-12-07T12:00:00Z")],
    )
    .await;

    assert_eq!(
        headlines(&app.deliveries(&tenant, "").await),
        [
            "New account: Acme",
            "New account: Globex",
            "dan joined Acme"
        ]
    );
    assert_eq!(app.posts("cs-alerts").len(), 3);
}

#[tokio::test]
async fn a_where_filter_on_an_ingestion_rule_reads_the_accounts_latest_scores() {
    let mut app = AlertsApp::start(NOW, &["cs-alerts"]).await;
    let tenant = app.tenant("Test").await;
    // acme averages 62.0 and globex 37.5 as of 2026-12-07 (see http_scoring.rs).
    support::dataset::seed_first_week(&app, &tenant).await;
    app.recompute_as_of(&tenant, "2026-12-07").await;
    app.drain().await;
    app.apply(
        &tenant,
        "/v1/alerts/engaged-new-user",
        "profile: cs\nscope: accounts\ntrigger: new_user\nwhere: \"score >= 50\"\nchannel: cs-alerts\n",
    )
    .await;

    app.set_now("2026-12-08T09:00:00Z");
    send(
        &mut app,
        &tenant,
        vec![
            group("frank", "acme", json!({}), "2026-12-08T09:00:00Z"),
            group("grace", "globex", json!({}), "2026-12-08T09:00:00Z"),
        ],
    )
    .await;

    let deliveries = app.deliveries(&tenant, "").await;
    assert_eq!(fired(&deliveries), [pair("engaged-new-user", "acme")]);
    assert_eq!(deliveries[0]["headline"], json!("frank joined Acme"));
    let texts = app.texts("cs-alerts");
    assert_eq!(texts.len(), 1);
    assert!(texts[0].contains("Average score: 62.0"), "{}", texts[0]);
}
