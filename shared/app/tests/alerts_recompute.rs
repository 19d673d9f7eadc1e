//! Alerts raised after a recompute (SPEC §6), end to end through the app: events in over
//! HTTP, the profile, a custom segment and the alert rules applied as YAML through the
//! admin routes, `POST /v1/recompute` day by day, the bus drained, and what the Slack
//! server received and `GET /v1/alerts/deliveries` reports checked.
//!
//! Profile `cs` scores one day (`window_days: 1`): Report Created 10 points, Viewed Page 1.
//! Three anchor users without an account score a raw 100 every day; with at most 21 active
//! users, p90 is then exactly 100, so every other user's score equals their raw score.
//! Each account has one member, so its average score is that member's score.
//! Activation: Invite Sent ≥ 1 and Source Connected ≥ 1 (0, 50 or 100 %).
//!
//! | account (member, plan)    | D1 12-01 | D2 12-02 | D3 12-03 | D4 12-04 | activation         |
//! |---------------------------|----------|----------|----------|----------|--------------------|
//! | acme (alice, enterprise)  | 80       | 70 (−10) | 55 (−15) | 40 (−15) | 0 %                |
//! | globex (bob, pro)         | 80       | 71 (−9)  | 50 (−21) | 50       | 0 %                |
//! | initech (carol, trial)    | 90       | 60 (−30) | 60       | 60       | 0 %                |
//! | umbrella (dave, pro)      | 50       | 50       | 50       | 50       | 50 % D1 → 100 % D2 |
//! | hooli (erin, enterprise)  | 50       | 50       | 50       | 50       | 100 % from D1      |
//!
//! Custom segment `at_risk` (accounts): `score < 75 and traits.plan in ['pro', 'enterprise']`
//! — umbrella and hooli from D1; acme and globex enter on D2.
//! Default segment `ice_cold` (score change ≤ −10 over the window): acme and initech enter
//! on D2, globex on D3.

mod support;

use serde_json::{Value, json};
use support::alerts::{AlertsApp, alert_ids, fired, pair};
use support::{Tenant, batch, group, identify, usage};

const PROFILE: &str = "\
id: cs
name: CS Scoring Profile
window_days: 1
events:
  Report Created: 10
  Viewed Page: 1
core_features: [Report Created]
activation:
  - name: Invited a teammate
    event: Invite Sent
  - name: Connected a data source
    event: Source Connected
";

const AT_RISK: &str = "\
id: at_risk
name: At-risk paying accounts
kind: accounts
profile: cs
rule: \"score < 75 and traits.plan in ['pro', 'enterprise']\"
";

/// Every rule of the suite, by id, with its channel.
const RULES: [(&str, &str); 6] = [
    (
        "cooling-off",
        "profile: cs\nscope: accounts\ntrigger: {score_change: {by: -10}}\nwhere: \"traits.plan != 'trial'\"\nchannel: cs-alerts\ncooldown: 36h\n",
    ),
    (
        "account-activated",
        "profile: cs\nscope: accounts\ntrigger: {activation_above: {percent: 100}}\nchannel: activation\n",
    ),
    (
        "user-activated",
        "profile: cs\nscope: users\ntrigger: {activation_above: {percent: 100}}\nchannel: activation\n",
    ),
    (
        "entered-at-risk",
        "profile: cs\nscope: accounts\ntrigger: {entered_segment: {segment: at_risk}}\nchannel: at-risk\n",
    ),
    (
        "entered-ice-cold",
        "profile: cs\nscope: accounts\ntrigger: {entered_segment: {segment: ice_cold}}\nchannel: ice-cold\n",
    ),
    (
        "low-engagement",
        "profile: cs\nscope: accounts\ntrigger: {custom: {rule: \"score < 65\"}}\nchannel: low-engagement\n",
    ),
];

const CHANNELS: [&str; 5] = [
    "cs-alerts",
    "activation",
    "at-risk",
    "ice-cold",
    "low-engagement",
];

/// (user, account, account name, plan)
const MEMBERS: [(&str, &str, &str, &str); 5] = [
    ("alice", "acme", "Acme", "enterprise"),
    ("bob", "globex", "Globex", "pro"),
    ("carol", "initech", "Initech", "trial"),
    ("dave", "umbrella", "Umbrella", "pro"),
    ("erin", "hooli", "Hooli", "enterprise"),
];

const ANCHORS: [&str; 3] = ["anchor-1", "anchor-2", "anchor-3"];

const DAYS: [&str; 4] = ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"];

/// The members' raw scores on each of [`DAYS`], in [`MEMBERS`] order.
const RAW: [[usize; 5]; 4] = [
    [80, 80, 90, 50, 50],
    [70, 71, 60, 50, 50],
    [55, 50, 60, 50, 50],
    [40, 50, 60, 50, 50],
];

/// Unscored events that move activation: (day index, user, event).
const ACTIVATION_EVENTS: [(usize, &str, &str); 4] = [
    (0, "dave", "Invite Sent"),
    (0, "erin", "Invite Sent"),
    (0, "erin", "Source Connected"),
    (1, "dave", "Source Connected"),
];

/// A raw score as events: tens as Report Created, units as page views.
fn scored_calls(user: &str, raw: usize, timestamp: &str) -> Vec<Value> {
    let mut calls = usage(user, "Report Created", raw / 10, timestamp);
    calls.extend(usage(user, "Viewed Page", raw % 10, timestamp));
    calls
}

/// A workspace with the profile, the custom segment and every rule applied over HTTP.
async fn configured() -> (AlertsApp, Tenant) {
    let app = AlertsApp::start(&format!("{}T08:00:00Z", DAYS[0]), &CHANNELS).await;
    let tenant = app.tenant("Test").await;
    app.apply(&tenant, "/v1/profiles/cs", PROFILE).await;
    app.apply(&tenant, "/v1/segments/at_risk", AT_RISK).await;
    for (id, yaml) in RULES {
        app.apply(&tenant, &format!("/v1/alerts/{id}"), yaml).await;
    }
    (app, tenant)
}

/// Day `index` of the table: its events received in the evening, then the day recomputed,
/// with the bus drained after each step.
async fn play_day(app: &mut AlertsApp, tenant: &Tenant, index: usize) {
    let day = DAYS[index];
    app.set_now(&format!("{day}T23:00:00Z"));
    let morning = format!("{day}T10:00:00Z");
    let mut calls = Vec::new();
    if index == 0 {
        for (user, account, name, plan) in MEMBERS {
            calls.push(identify(user, json!({"name": capitalized(user)}), &morning));
            calls.push(group(
                user,
                account,
                json!({"name": name, "plan": plan}),
                &morning,
            ));
        }
    }
    for anchor in ANCHORS {
        calls.extend(scored_calls(anchor, 100, &morning));
    }
    for ((user, ..), raw) in MEMBERS.iter().zip(RAW[index]) {
        calls.extend(scored_calls(user, raw, &morning));
    }
    for (on, user, event) in ACTIVATION_EVENTS {
        if on == index {
            calls.extend(usage(user, event, 1, &morning));
        }
    }
    app.ingest(tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();
    app.drain().await;
    app.recompute_as_of(tenant, day).await;
    app.drain().await;
}

fn capitalized(user: &str) -> String {
    let mut chars = user.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn total_posts(app: &AlertsApp) -> usize {
    app.slack.all_requests().len()
}

#[tokio::test]
async fn the_first_computed_day_is_the_baseline_and_raises_nothing() {
    let (mut app, tenant) = configured().await;

    play_day(&mut app, &tenant, 0).await;

    assert_eq!(app.deliveries(&tenant, "").await, Vec::<Value>::new());
    assert_eq!(total_posts(&app), 0);
}

#[tokio::test]
async fn the_second_day_raises_one_alert_per_rule_and_subject_that_fired() {
    let (mut app, tenant) = configured().await;
    play_day(&mut app, &tenant, 0).await;

    play_day(&mut app, &tenant, 1).await;

    let deliveries = app.deliveries(&tenant, "").await;
    assert_eq!(
        fired(&deliveries),
        [
            pair("account-activated", "umbrella"),
            pair("cooling-off", "acme"),
            pair("entered-at-risk", "acme"),
            pair("entered-at-risk", "globex"),
            pair("entered-ice-cold", "acme"),
            pair("entered-ice-cold", "initech"),
            pair("low-engagement", "initech"),
            pair("user-activated", "dave"),
        ]
    );
    for delivery in &deliveries {
        assert_eq!(delivery["status"], json!("delivered"), "{delivery}");
        assert_eq!(delivery["attempts"].as_array().unwrap().len(), 1);
    }
    // Each channel had at most three alerts: one message per alert.
    assert_eq!(app.posts("cs-alerts").len(), 1);
    assert_eq!(app.posts("activation").len(), 2);
    assert_eq!(app.posts("at-risk").len(), 2);
    assert_eq!(app.posts("ice-cold").len(), 2);
    assert_eq!(app.posts("low-engagement").len(), 1);
    assert_eq!(total_posts(&app), 8);
}

#[tokio::test]
async fn a_drop_exactly_at_the_threshold_fires_and_one_point_short_does_not() {
    let (mut app, tenant) = configured().await;
    play_day(&mut app, &tenant, 0).await;

    play_day(&mut app, &tenant, 1).await;

    // acme fell 10.0 (80 → 70) and fires; globex fell 9.0 (80 → 71) and does not.
    let cooling = app.deliveries(&tenant, "rule=cooling-off").await;
    assert_eq!(fired(&cooling), [pair("cooling-off", "acme")]);
    let headline = "Acme is cooling off: average score fell 10.0 points (80.0 → 70.0)";
    assert_eq!(cooling[0]["headline"], json!(headline));
    let texts = app.texts("cs-alerts");
    assert_eq!(texts.len(), 1);
    assert!(texts[0].starts_with(headline), "{}", texts[0]);
    assert!(texts[0].contains("−10.0 since 2026-12-01"), "{}", texts[0]);
}

#[tokio::test]
async fn the_where_filter_keeps_a_trial_account_out_of_the_rule_that_names_it() {
    let (mut app, tenant) = configured().await;
    play_day(&mut app, &tenant, 0).await;

    play_day(&mut app, &tenant, 1).await;

    // initech fell 30 points, but `where: traits.plan != 'trial'` excludes it from
    // `cooling-off`; the ice-cold rule, without a `where`, does alert about it.
    let cooling = app.deliveries(&tenant, "rule=cooling-off").await;
    assert!(
        !fired(&cooling).contains(&pair("cooling-off", "initech")),
        "{cooling:?}"
    );
    let ice_cold = app.deliveries(&tenant, "rule=entered-ice-cold").await;
    assert!(fired(&ice_cold).contains(&pair("entered-ice-cold", "initech")));
}

#[tokio::test]
async fn activation_fires_on_the_crossing_and_not_for_those_already_above() {
    let (mut app, tenant) = configured().await;
    play_day(&mut app, &tenant, 0).await;

    play_day(&mut app, &tenant, 1).await;

    // umbrella (and its member dave) went from 50 % to 100 %; hooli (erin) was at 100 % already.
    let accounts = app.deliveries(&tenant, "rule=account-activated").await;
    let users = app.deliveries(&tenant, "rule=user-activated").await;
    assert_eq!(fired(&accounts), [pair("account-activated", "umbrella")]);
    assert_eq!(fired(&users), [pair("user-activated", "dave")]);
    assert_eq!(
        accounts[0]["headline"],
        json!("Umbrella reached 100 % activation")
    );
    assert_eq!(
        users[0]["headline"],
        json!("Dave (dave) reached 100 % activation")
    );
    let mut texts = app.texts("activation");
    texts.sort();
    assert_eq!(texts.len(), 2);
    assert!(texts[0].starts_with("Dave (dave) reached 100 % activation"));
    assert!(texts[1].starts_with("Umbrella reached 100 % activation"));
}

#[tokio::test]
async fn entering_a_custom_or_default_segment_fires_and_staying_in_does_not() {
    let (mut app, tenant) = configured().await;
    play_day(&mut app, &tenant, 0).await;

    play_day(&mut app, &tenant, 1).await;

    // at_risk: acme and globex entered; umbrella and hooli were members from the first day.
    let at_risk = app.deliveries(&tenant, "rule=entered-at-risk").await;
    assert_eq!(
        fired(&at_risk),
        [
            pair("entered-at-risk", "acme"),
            pair("entered-at-risk", "globex")
        ]
    );
    let mut headlines: Vec<String> = at_risk
        .iter()
        .map(|item| item["headline"].as_str().unwrap().to_string())
        .collect();
    headlines.sort();
    assert_eq!(
        headlines,
        [
            "Acme entered At-risk paying accounts",
            "Globex entered At-risk paying accounts"
        ]
    );
    let ice_cold = app.deliveries(&tenant, "rule=entered-ice-cold").await;
    assert_eq!(
        fired(&ice_cold),
        [
            pair("entered-ice-cold", "acme"),
            pair("entered-ice-cold", "initech")
        ]
    );
    assert_eq!(app.posts("at-risk").len(), 2);
    assert_eq!(app.posts("ice-cold").len(), 2);

    play_day(&mut app, &tenant, 2).await;

    // D3: globex enters ice_cold; acme (−15 again) is already in it; nobody enters at_risk.
    let ice_cold = app.deliveries(&tenant, "rule=entered-ice-cold").await;
    assert_eq!(
        fired(&ice_cold),
        [
            pair("entered-ice-cold", "acme"),
            pair("entered-ice-cold", "globex"),
            pair("entered-ice-cold", "initech")
        ]
    );
    assert_eq!(
        app.deliveries(&tenant, "rule=entered-at-risk").await.len(),
        2
    );
    assert_eq!(app.posts("ice-cold").len(), 3);
    assert_eq!(app.posts("at-risk").len(), 2);
}

#[tokio::test]
async fn a_custom_rule_fires_when_it_turns_true_not_while_it_stays_true() {
    let (mut app, tenant) = configured().await;
    play_day(&mut app, &tenant, 0).await;

    play_day(&mut app, &tenant, 1).await;

    // `score < 65`: umbrella and hooli (50) matched on D1 already; initech (90 → 60) turns true.
    let custom = app.deliveries(&tenant, "rule=low-engagement").await;
    assert_eq!(fired(&custom), [pair("low-engagement", "initech")]);
    assert_eq!(
        custom[0]["headline"],
        json!("Initech now matches low-engagement: score < 65")
    );
    let texts = app.texts("low-engagement");
    assert_eq!(texts.len(), 1);
    // The fallback text is mrkdwn: `<` arrives escaped.
    assert!(
        texts[0].starts_with("Initech now matches low-engagement: score &lt; 65"),
        "{}",
        texts[0]
    );
}

#[tokio::test]
async fn recomputing_the_same_day_again_raises_nothing_new() {
    let (mut app, tenant) = configured().await;
    play_day(&mut app, &tenant, 0).await;
    play_day(&mut app, &tenant, 1).await;
    let first = app.deliveries(&tenant, "").await;
    let posts = total_posts(&app);

    app.set_now("2026-12-02T23:30:00Z");
    app.recompute_as_of(&tenant, "2026-12-02").await;
    let handled = app.drain().await;

    let again = app.deliveries(&tenant, "").await;
    assert_eq!(
        handled, 1,
        "only ScoresRecomputed: no AlertRaised follows it"
    );
    assert_eq!(alert_ids(&again), alert_ids(&first));
    assert_eq!(again.len(), 8);
    assert_eq!(total_posts(&app), posts);
}

#[tokio::test]
async fn a_cooldown_keeps_a_rule_quiet_for_that_subject_until_it_has_passed() {
    let (mut app, tenant) = configured().await;
    // The same trigger without a cooldown (its channel has no webhook: it is logged), to
    // show that acme's drop on D3 is there and only the cooldown keeps `cooling-off` quiet.
    app.apply(
        &tenant,
        "/v1/alerts/sliding",
        "profile: cs\nscope: accounts\ntrigger: {score_change: {by: -10}}\nchannel: sliding\n",
    )
    .await;
    play_day(&mut app, &tenant, 0).await;
    play_day(&mut app, &tenant, 1).await;

    // D3, 24 h after acme's alert: acme falls 15 more (inside the 36 h cooldown, quiet);
    // globex falls 21 (its first firing, so the cooldown does not apply to it).
    play_day(&mut app, &tenant, 2).await;
    let after_d3 = app.deliveries(&tenant, "rule=cooling-off").await;
    assert_eq!(
        fired(&after_d3),
        [pair("cooling-off", "acme"), pair("cooling-off", "globex")]
    );
    assert_eq!(app.posts("cs-alerts").len(), 2);
    let sliding = app.deliveries(&tenant, "rule=sliding").await;
    assert_eq!(
        sliding.len(),
        4,
        "acme and initech on D2, acme and globex on D3"
    );
    assert_eq!(sliding[0]["status"], json!("logged"));

    // D4, 48 h after acme's alert: the cooldown has passed and acme's new drop fires.
    play_day(&mut app, &tenant, 3).await;
    let after_d4 = app.deliveries(&tenant, "rule=cooling-off").await;
    assert_eq!(after_d4.len(), 3);
    let newest = &after_d4[0];
    assert_eq!(newest["subject"], json!("acme"));
    assert_eq!(
        newest["headline"],
        json!("Acme is cooling off: average score fell 15.0 points (55.0 → 40.0)")
    );
    let texts = app.texts("cs-alerts");
    assert_eq!(texts.len(), 3);
    assert!(texts[0].starts_with("Acme is cooling off"), "{}", texts[0]);
    assert!(
        texts[1].starts_with("Globex is cooling off"),
        "{}",
        texts[1]
    );
    assert!(texts[2].starts_with("Acme is cooling off"), "{}", texts[2]);
}

#[tokio::test]
async fn recomputing_an_earlier_day_again_raises_nothing() {
    let (mut app, tenant) = configured().await;
    play_day(&mut app, &tenant, 0).await;
    play_day(&mut app, &tenant, 1).await;
    let before = app.deliveries(&tenant, "").await;
    let posts = total_posts(&app);

    // 12-01 is history now: recomputing it changes no alert, and neither does 12-02 after it.
    app.recompute_as_of(&tenant, "2026-12-01").await;
    app.drain().await;
    app.recompute_as_of(&tenant, "2026-12-02").await;
    app.drain().await;

    assert_eq!(
        alert_ids(&app.deliveries(&tenant, "").await),
        alert_ids(&before)
    );
    assert_eq!(total_posts(&app), posts);
}
