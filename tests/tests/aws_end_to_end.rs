//! The AWS deployment end to end, without AWS: the five real function binaries under the
//! Lambda Runtime API emulator, on moto_server's DynamoDB, EventBridge, SQS and Secrets
//! Manager, wired as template.yaml wires them (src/aws_stack.rs). The official Segment
//! library sends to the stack's HTTP API; a new user in an existing account reaches Slack as
//! one message; a recompute for a given day gives the account numbers worked out by hand; the
//! schedule's input fans out through the bus; and retrying any invocation changes nothing.

use std::time::Duration;

use pulse_e2e::aws_stack::gateway::Exchange;
use pulse_e2e::aws_stack::pump::Delivery;
use pulse_e2e::aws_stack::{AwsStack, Function, template_text};
use pulse_e2e::{Admin, send_with_node};
use pulse_slack::test_server::SlackServer;
use serde_json::{Value, json};

const DAY: &str = "2026-12-01";

const PROFILE: &str = r#"
id: cs
name: CS Scoring Profile
window_days: 7
events:
  Report Created: 10
  Dashboard Shared: 8
  Invite Sent: 5
  Viewed Page: 1
core_features: [Report Created, Dashboard Shared]
activation:
  - name: Invited two teammates
    event: Invite Sent
    min_count: 2
  - name: Company size known
    trait: employees
"#;

const NEW_USER_RULE: &str =
    "id: new-users\nprofile: cs\nscope: accounts\ntrigger: new_user\nchannel: cs-alerts\n";

const HOOK: &str = "/services/T0AWS/B0AWS/cs-alerts-webhook-secret";
const PUBLIC_URL: &str = "https://pulse.example.test";

/// What the account looked like before CS set up the alert: acme with u-1 (active) and u-4
/// (a member whose only event is not scored), and globex with u-3.
fn existing_accounts() -> Value {
    json!([
        {"type": "identify", "userId": "u-1", "traits": {"name": "Ann Lee", "plan": "pro"},
         "timestamp": "2026-11-27T09:00:00Z"},
        {"type": "group", "userId": "u-1", "groupId": "acme",
         "traits": {"name": "Acme", "plan": "pro", "employees": 50}, "timestamp": "2026-11-27T09:01:00Z"},
        {"type": "page", "userId": "u-1", "name": "Pricing", "timestamp": "2026-11-28T12:00:00Z"},
        {"type": "track", "userId": "u-1", "event": "Report Created", "timestamp": "2026-11-30T10:00:00Z"},
        {"type": "track", "userId": "u-1", "event": "Report Created", "timestamp": "2026-11-30T11:00:00Z"},
        {"type": "track", "userId": "u-1", "event": "Report Created", "timestamp": "2026-11-30T12:00:00Z"},
        // Before the 7-day period that ends 2026-12-01: all-time only.
        {"type": "track", "userId": "u-1", "event": "Report Created", "timestamp": "2026-11-20T12:00:00Z"},
        {"type": "group", "userId": "u-4", "groupId": "acme", "timestamp": "2026-11-27T10:00:00Z"},
        {"type": "track", "userId": "u-4", "event": "Settings Opened", "timestamp": "2026-11-30T15:00:00Z"},
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:00:00Z",
         "context": {"groupId": "globex"}},
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:01:00Z",
         "context": {"groupId": "globex"}},
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:02:00Z",
         "context": {"groupId": "globex"}},
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:03:00Z",
         "context": {"groupId": "globex"}},
        {"type": "track", "userId": "u-3", "event": "Report Created", "timestamp": "2026-12-01T13:04:00Z",
         "context": {"groupId": "globex"}}
    ])
}

/// One batch: the existing account's u-1 invites two teammates, and a new user, u-2, joins acme.
fn new_user_batch() -> Value {
    json!([
        {"type": "track", "userId": "u-1", "event": "Invite Sent", "timestamp": "2026-12-01T09:00:00Z"},
        {"type": "track", "userId": "u-1", "event": "Invite Sent", "timestamp": "2026-12-01T09:30:00Z"},
        {"type": "identify", "userId": "u-2", "traits": {"name": "Jane Doe", "email": "jane@acme.example"},
         "timestamp": "2026-11-29T08:00:00Z"},
        {"type": "group", "userId": "u-2", "groupId": "acme", "timestamp": "2026-11-29T08:01:00Z"},
        {"type": "track", "userId": "u-2", "event": "Dashboard Shared", "timestamp": "2026-11-29T09:00:00Z"},
        {"type": "page", "userId": "u-2", "name": "Home", "timestamp": "2026-11-30T09:00:00Z"},
        {"type": "page", "userId": "u-2", "name": "Home", "timestamp": "2026-11-30T09:10:00Z"},
        {"type": "page", "userId": "u-2", "name": "Report", "timestamp": "2026-11-30T09:20:00Z"},
        {"type": "page", "userId": "u-2", "name": "Report", "timestamp": "2026-11-30T09:30:00Z"}
    ])
}

/// The official Node library, pointed at the stack's API URL (it blocks: off the runtime).
async fn send(stack: &AwsStack, calls: Value) {
    let url = stack.gateway.url().to_string();
    let key = stack.workspace.write_key.clone();
    tokio::task::spawn_blocking(move || send_with_node(&url, &key, &calls))
        .await
        .expect("the sender thread")
        .expect("the Segment library delivered the calls");
}

fn summary(deliveries: &[Delivery]) -> Vec<(Function, String, bool)> {
    deliveries
        .iter()
        .map(|delivery| {
            (
                delivery.function,
                delivery.detail_type.clone(),
                delivery.succeeded(),
            )
        })
        .collect()
}

fn delivered(deliveries: &[Delivery], function: Function, detail_type: &str) -> Vec<Delivery> {
    deliveries
        .iter()
        .filter(|delivery| delivery.function == function && delivery.detail_type == detail_type)
        .cloned()
        .collect()
}

fn batches_sent(stack: &AwsStack) -> Vec<Exchange> {
    stack
        .gateway
        .exchanges()
        .into_iter()
        .filter(|exchange| exchange.function == Function::Ingest)
        .collect()
}

fn sorted_breakdown(resource: &Value) -> Vec<Value> {
    let mut lines = resource["breakdown"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    lines.sort_by_key(|line| line["event"].as_str().unwrap_or_default().to_string());
    lines
}

/// The numbers of the account resource that a recompute produces.
fn scored(resource: &Value) -> Value {
    json!({
        "as_of": resource["as_of"], "users": resource["users"], "score": resource["score"],
        "frequency": resource["frequency"], "adoption": resource["adoption"],
        "activation": resource["activation"], "segments": resource["segments"],
        "breakdown": sorted_breakdown(resource), "members": resource["members"],
        "first_seen": resource["first_seen"], "last_seen": resource["last_seen"],
        "traits": resource["traits"],
    })
}

/// The numbers of 2026-12-01, worked out by hand; returns acme and u-1..u-4 as read.
async fn assert_scored_by_hand(admin: &Admin) -> (Value, [Value; 4]) {
    // Raw scores as of 2026-12-01 (period 11-25..12-01): u-1 = 1 page + 3·10 + 2·5 = 41 (the
    // report of 11-20 is outside); u-2 = 8 + 4·1 = 12; u-3 = 5·10 = 50; u-4 = 0 (not a scored
    // event). Active raws 12, 41, 50: h = 0.9·2 = 1.8, p90 = 41 + 0.8·(50 − 41) = 48.2.
    // Scores: 100·41/48.2 = 85.06 → 85; 100·12/48.2 = 24.9 → 25; 100·50/48.2 = 103.7 → 100.
    let u1 = admin.get("/v1/users/u-1?profile=cs").await;
    assert_eq!(
        (&u1["raw_score"], &u1["score"]),
        (&json!(41), &json!(85)),
        "{u1}"
    );
    assert_eq!(u1["frequency"], 3, "11-28, 11-30, 12-01");
    assert_eq!(u1["adoption"]["period"], 75.0, "3 of the 4 scored events");
    let u2 = admin.get("/v1/users/u-2").await;
    assert_eq!(
        (&u2["raw_score"], &u2["score"]),
        (&json!(12), &json!(25)),
        "{u2}"
    );
    let u3 = admin.get("/v1/users/u-3").await;
    assert_eq!(
        (&u3["raw_score"], &u3["score"]),
        (&json!(50), &json!(100)),
        "{u3}"
    );
    let u4 = admin.get("/v1/users/u-4").await;
    assert_eq!(
        (&u4["raw_score"], &u4["score"]),
        (&json!(0), &json!(0)),
        "{u4}"
    );

    // acme: members u-1, u-2, u-4, all with an event in the last 90 days; u-1 and u-2 active:
    // 2/3 = 66.7 %; average (85 + 25) / 2 = 55.0; total 85 + 25 + 0 = 110. Scored days
    // 11-28, 11-29, 11-30, 12-01 → frequency 4; all four scored events done → adoption 100.
    // Activation: Invite Sent summed 2 ≥ 2, and acme has `employees` → 100 %, activated.
    let acme = admin.get("/v1/accounts/acme?profile=cs").await;
    assert_eq!(acme["as_of"], DAY, "{acme}");
    assert_eq!(
        acme["users"],
        json!({"total": 3, "active": 2, "active_pct": 66.7, "members": 3}),
        "{acme}"
    );
    assert_eq!(acme["score"]["average"], 55.0, "{acme}");
    assert_eq!(acme["score"]["total"], 110, "{acme}");
    assert_eq!(acme["frequency"], 4);
    assert_eq!(acme["adoption"]["period"], 100.0);
    assert_eq!(acme["activation"]["rate"], 100.0);
    assert_eq!(acme["activation"]["activated"], true);
    assert_eq!(acme["traits"]["name"], "Acme");
    assert_eq!(
        sorted_breakdown(&acme),
        vec![
            json!({"event": "Dashboard Shared", "count": 1, "weight": 8, "points": 8}),
            json!({"event": "Invite Sent", "count": 2, "weight": 5, "points": 10}),
            json!({"event": "Report Created", "count": 3, "weight": 10, "points": 30}),
            json!({"event": "Viewed Page", "count": 5, "weight": 1, "points": 5}),
        ],
        "{acme}"
    );
    for segment in ["engaged", "multi_user", "activated"] {
        assert!(
            acme["segments"]
                .as_array()
                .is_some_and(|segments| segments.contains(&json!(segment))),
            "{segment}: {acme}"
        );
    }
    let globex = admin.get("/v1/accounts/globex").await;
    assert_eq!(
        (&globex["score"]["average"], &globex["users"]["active"]),
        (&json!(100.0), &json!(1)),
        "{globex}"
    );

    (acme, [u1, u2, u3, u4])
}

#[test]
fn the_stack_mirrors_the_templates_rules() {
    let template = template_text();
    for function in [Function::Recompute, Function::Evaluate, Function::Notify] {
        let pattern = format!("detail-type: [{}]", function.detail_types().join(", "));
        assert!(
            template.contains(&pattern),
            "template.yaml no longer routes {pattern} to {}: update src/aws_stack.rs",
            function.logical_id()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_segment_batch_through_the_functions_alerts_once_scores_by_hand_and_retries_change_nothing()
 {
    let slack = SlackServer::start().await;
    let stack = AwsStack::builder("e2e")
        .slack_webhooks(json!({"cs-alerts": slack.url(HOOK)}))
        .public_url(PUBLIC_URL)
        .start()
        .await
        .expect("the stack");
    let admin = stack.admin();
    let workspace = stack.workspace.id.clone();
    admin.put_text("/v1/profiles/cs", PROFILE).await;

    // The accounts exist before anyone asked for alerts: their ingestion events are evaluated
    // and raise nothing.
    send(&stack, existing_accounts()).await;
    let before_the_rule = stack.pump().await;
    assert!(
        !before_the_rule.is_empty()
            && before_the_rule
                .iter()
                .all(|delivery| delivery.function == Function::Evaluate && delivery.succeeded()),
        "{:?}",
        summary(&before_the_rule)
    );
    assert_eq!(
        delivered(&before_the_rule, Function::Evaluate, "AccountCreated").len(),
        2,
        "acme and globex"
    );
    assert!(slack.received(HOOK).is_empty());

    // CS asks to hear about new users; one batch has the existing account's user and a new one.
    admin.put_text("/v1/alerts/new-users", NEW_USER_RULE).await;
    send(&stack, new_user_batch()).await;
    let deliveries = stack.pump().await;
    let joined = delivered(&deliveries, Function::Evaluate, "UserJoinedAccount");
    assert_eq!(joined.len(), 1, "{:?}", summary(&deliveries));
    assert_eq!(joined[0].event["detail"]["account_existed"], true);
    let raised = delivered(&deliveries, Function::Notify, "AlertRaised");
    assert_eq!(raised.len(), 1, "{:?}", summary(&deliveries));
    assert_eq!(
        raised[0].answer(),
        Some(&json!({"delivered": 1, "failed": 0, "retrying": 0, "logged": 0}))
    );
    assert!(
        deliveries.iter().all(Delivery::succeeded),
        "{:?}",
        summary(&deliveries)
    );
    let messages = slack.received(HOOK);
    assert_eq!(messages.len(), 1, "exactly one message: {messages:?}");
    let text = messages[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Jane Doe") && text.contains("joined") && text.contains("Acme"),
        "{text}"
    );
    assert!(
        messages[0]
            .to_string()
            .contains(&format!("{PUBLIC_URL}/v1/accounts/acme?profile=cs")),
        "a link to the account: {}",
        messages[0]
    );

    // Recompute as of a given day, as a direct invoke does (infra/events/direct-recompute-day.json).
    let recomputed = stack
        .invoke(
            Function::Recompute,
            json!({"workspace": workspace, "profile": "cs", "as_of": DAY}),
        )
        .await
        .expect("the recompute");
    assert_eq!(recomputed["fanned_out"], json!([]), "{recomputed}");
    // u-1..u-4 scored; p90 over the active raw scores 12, 41, 50 (worked out below).
    assert_eq!(recomputed["recomputed"][0]["users"], 4, "{recomputed}");
    assert_eq!(
        recomputed["recomputed"][0]["active_users"], 3,
        "{recomputed}"
    );
    assert_eq!(recomputed["recomputed"][0]["p90"], 48.2, "{recomputed}");
    let after_recompute = stack.pump().await;
    assert_eq!(
        summary(&after_recompute),
        vec![(Function::Evaluate, "ScoresRecomputed".to_string(), true)]
    );
    assert_eq!(after_recompute[0].event["detail"]["day"], DAY);

    let (acme, [u1, u2, u3, u4]) = assert_scored_by_hand(&admin).await;

    // Retrying any invocation changes nothing.
    let acme_before = scored(&acme);
    let users_before: Vec<Value> = [&u1, &u2, &u3, &u4].iter().map(|u| scored(u)).collect();
    let batch = batches_sent(&stack)
        .into_iter()
        .filter(|exchange| exchange.status == 200)
        .nth(1)
        .expect("the new user's batch went through the gateway");
    let again = stack
        .invoke(Function::Ingest, batch.event.clone())
        .await
        .expect("the ingest retry");
    assert_eq!(again["statusCode"], 200, "{again}");
    assert!(
        stack.pump().await.is_empty(),
        "a batch already stored announces nothing again"
    );
    let again = stack
        .invoke(
            Function::Recompute,
            json!({"workspace": workspace, "profile": "cs", "as_of": DAY}),
        )
        .await
        .expect("the recompute retry");
    assert_eq!(again["recomputed"].as_array().map(Vec::len), Some(1));
    let after_retries = stack.pump().await;
    assert!(
        after_retries.iter().all(Delivery::succeeded),
        "{:?}",
        summary(&after_retries)
    );
    stack
        .invoke(Function::Evaluate, joined[0].event.clone())
        .await
        .expect("the evaluate retry");
    stack
        .invoke(Function::Evaluate, after_recompute[0].event.clone())
        .await
        .expect("the evaluate retry");
    let after_evaluate = stack.pump().await;
    assert!(
        delivered(&after_evaluate, Function::Notify, "AlertRaised").is_empty(),
        "an alert already raised is not raised again: {:?}",
        summary(&after_evaluate)
    );
    let renotified = stack
        .invoke(Function::Notify, raised[0].event.clone())
        .await
        .expect("the notify retry");
    assert_eq!(
        renotified,
        json!({"delivered": 0, "failed": 0, "retrying": 0, "logged": 0})
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(slack.received(HOOK).len(), 1, "still exactly one message");
    assert_eq!(
        scored(&admin.get("/v1/accounts/acme?profile=cs").await),
        acme_before,
        "the account's numbers after every retry"
    );
    for (id, before) in ["u-1", "u-2", "u-3", "u-4"].iter().zip(&users_before) {
        assert_eq!(
            &scored(&admin.get(&format!("/v1/users/{id}")).await),
            before,
            "{id} after every retry"
        );
    }
    let deliveries_log = admin.get("/v1/alerts/deliveries").await;
    let items = deliveries_log["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{deliveries_log}");
    assert_eq!(items[0]["status"], "delivered");
    assert_eq!(items[0]["attempts"].as_array().map(Vec::len), Some(1));

    // The schedule's input fans out: one RecomputeRequested per workspace comes back to the
    // recompute function through the bus, which recomputes today.
    let fanned = stack
        .invoke(Function::Recompute, AwsStack::schedule_input())
        .await
        .expect("the scheduled recompute");
    assert_eq!(
        fanned,
        json!({"fanned_out": [workspace], "recomputed": []}),
        "{fanned}"
    );
    let scheduled = stack.pump().await;
    let requested = delivered(&scheduled, Function::Recompute, "RecomputeRequested");
    assert_eq!(requested.len(), 1, "{:?}", summary(&scheduled));
    assert_eq!(
        requested[0].event["detail"],
        json!({"type": "RecomputeRequested", "workspace": workspace, "profile": null, "as_of": null})
    );
    let today = chrono::Utc::now().date_naive().to_string();
    let answer = requested[0].answer().expect("the fanned-out recompute");
    assert_eq!(answer["recomputed"][0]["as_of"], today.as_str(), "{answer}");
    let evaluated = delivered(&scheduled, Function::Evaluate, "ScoresRecomputed");
    assert_eq!(evaluated.len(), 1, "{:?}", summary(&scheduled));
    assert_eq!(evaluated[0].event["detail"]["day"], today.as_str());
    assert_eq!(
        admin.get("/v1/accounts/acme").await["as_of"],
        today.as_str()
    );
    assert_eq!(
        scored(&admin.get(&format!("/v1/accounts/acme?as_of={DAY}")).await),
        acme_before,
        "{DAY} is kept as it was"
    );
    assert_eq!(slack.received(HOOK).len(), 1);

    // Webhook URLs are secrets: no function logged one.
    let leaked: Vec<_> = stack
        .logs()
        .into_iter()
        .filter(|(_, line)| line.contains("cs-alerts-webhook-secret"))
        .collect();
    assert!(leaked.is_empty(), "{leaked:?}");
    assert!(
        stack
            .logs()
            .iter()
            .filter(|(function, _)| *function == Function::Notify)
            .any(|(_, line)| line.starts_with('{')),
        "JSON logs, as LoggingConfig asks"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sharded_recompute_gives_the_same_numbers_as_one_pass() {
    let stack = AwsStack::builder("shards")
        .env(Function::Recompute, "PULSE_RECOMPUTE_SHARDS", "4")
        .start()
        .await
        .expect("the stack");
    let admin = stack.admin();
    let workspace = stack.workspace.id.clone();
    admin.put_text("/v1/profiles/cs", PROFILE).await;
    send(&stack, existing_accounts()).await;
    send(&stack, new_user_batch()).await;
    stack.pump().await;

    // The workspace's recompute starts a run of four shards on the bus…
    let started = stack
        .invoke(
            Function::Recompute,
            json!({"workspace": workspace, "profile": "cs", "as_of": DAY}),
        )
        .await
        .expect("the recompute");
    assert_eq!(started["recomputed"], json!([]), "{started}");
    assert_eq!(started["sharded"][0]["shards"], 4, "{started}");
    assert_eq!(started["sharded"][0]["as_of"], DAY, "{started}");
    let run = started["sharded"][0]["run"].clone();

    // …each shard runs in its own invocation; exactly one completes the run and normalises
    // it over everyone (p90 over the four users of all shards), then evaluate hears of it.
    let deliveries = stack.pump().await;
    let shards = delivered(&deliveries, Function::Recompute, "RecomputeShardRequested");
    assert_eq!(shards.len(), 4, "{:?}", summary(&deliveries));
    let mut measured = 0;
    let mut finished = Vec::new();
    for delivery in &shards {
        assert!(delivery.succeeded(), "{delivery:?}");
        let answer = delivery.answer().expect("a shard's answer");
        assert_eq!(answer["shard"]["run"], run, "{answer}");
        measured += answer["shard"]["identities"].as_u64().expect("identities");
        if !answer["shard"]["finished"].is_null() {
            finished.push(answer["shard"]["finished"].clone());
        }
    }
    assert_eq!(measured, 4, "u-1..u-4, each measured by one shard");
    assert_eq!(finished.len(), 1, "{finished:?}");
    assert_eq!(finished[0]["users"], 4);
    assert_eq!(finished[0]["active_users"], 3);
    assert_eq!(finished[0]["p90"], 48.2);
    assert_eq!(
        delivered(&deliveries, Function::Evaluate, "ScoresRecomputed").len(),
        1,
        "{:?}",
        summary(&deliveries)
    );
    assert_scored_by_hand(&admin).await;
}
