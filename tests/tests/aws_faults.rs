//! Faults on the AWS stack (src/aws_stack.rs): the real functions under the Runtime API
//! emulator on moto_server, with the failures production brings.
//!
//! - Storage outage: the ingest function reaches DynamoDB through a proxy that is switched
//!   off — at once, or in the middle of a batch, after some of its writes were applied — so
//!   it answers `503` with `Retry-After`; once storage is back, the official Segment client's
//!   own retry (the same batch, the same messageIds) leaves every count exactly right.
//! - A failing Slack endpoint: the notify invocation fails, Lambda retries it, the event is
//!   parked in the dead-letter queue, the alert stays `retrying` with every attempt recorded,
//!   and a redrive after Slack recovers posts it exactly once.
//! - The bus failing while evaluate announces an alert: the alert stays pending and the
//!   notify function's schedule (a sweep of undelivered alerts) posts it once.

use std::time::Duration;

use pulse_e2e::aws_stack::gateway::Exchange;
use pulse_e2e::aws_stack::outage_proxy::{Fate, Outage, OutageProxy, ProxiedRequest};
use pulse_e2e::aws_stack::pump::Delivery;
use pulse_e2e::aws_stack::{AwsStack, Function};
use pulse_e2e::moto::moto;
use pulse_e2e::send_with_node;
use pulse_slack::test_server::{ScriptedResponse, SlackServer};
use serde_json::{Value, json};

const DAY: &str = "2026-12-01";

const PROFILE: &str = "id: cs\nwindow_days: 7\n\
events: {Report Created: 10, Dashboard Shared: 8, Invite Sent: 5, Viewed Page: 1}\n";

const NEW_USER_RULE: &str =
    "id: new-users\nprofile: cs\nscope: accounts\ntrigger: new_user\nchannel: cs-alerts\n";

const HOOK: &str = "/services/T0AWS/B0AWS/cs-alerts-webhook-secret";

/// A mixed server-side batch for `account`: three users over three days.
fn account_batch(account: &str) -> Value {
    let user = |n: u32| format!("{account}-u{n}");
    json!([
        {"type": "group", "userId": user(1), "groupId": account, "traits": {"name": account},
         "timestamp": "2026-11-29T08:00:00Z"},
        {"type": "group", "userId": user(2), "groupId": account, "timestamp": "2026-11-29T08:05:00Z"},
        {"type": "identify", "userId": user(3), "traits": {"name": "Third"}, "timestamp": "2026-11-29T08:06:00Z"},
        {"type": "track", "userId": user(1), "event": "Report Created", "timestamp": "2026-11-29T09:00:00Z"},
        {"type": "track", "userId": user(1), "event": "Report Created", "timestamp": "2026-11-30T09:00:00Z"},
        {"type": "track", "userId": user(1), "event": "Invite Sent", "timestamp": "2026-11-30T09:05:00Z"},
        {"type": "track", "userId": user(2), "event": "Dashboard Shared", "timestamp": "2026-11-30T10:00:00Z"},
        {"type": "page", "userId": user(2), "name": "Home", "timestamp": "2026-12-01T10:00:00Z"},
        {"type": "page", "userId": user(2), "name": "Home", "timestamp": "2026-12-01T10:01:00Z"},
        {"type": "track", "userId": user(3), "event": "Report Created", "timestamp": "2026-12-01T11:00:00Z",
         "context": {"groupId": account}},
        {"type": "track", "userId": user(3), "event": "Invite Sent", "timestamp": "2026-12-01T11:05:00Z",
         "context": {"groupId": account}}
    ])
}

/// A new account with its first user.
fn one_user_batch(account: &str) -> Value {
    json!([
        {"type": "group", "userId": format!("{account}-u1"), "groupId": account,
         "traits": {"name": account}, "timestamp": "2026-11-29T08:00:00Z"},
        {"type": "track", "userId": format!("{account}-u1"), "event": "Report Created",
         "timestamp": "2026-11-29T09:00:00Z"}
    ])
}

/// The official Node library sends `calls` to the stack's API URL (off the runtime: it blocks).
fn send_in_background(
    stack: &AwsStack,
    calls: Value,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    let url = stack.gateway.url().to_string();
    let key = stack.workspace.write_key.clone();
    tokio::task::spawn_blocking(move || send_with_node(&url, &key, &calls))
}

fn batch_exchanges(stack: &AwsStack) -> Vec<Exchange> {
    stack
        .gateway
        .exchanges()
        .into_iter()
        .filter(|exchange| exchange.function == Function::Ingest)
        .collect()
}

/// The messageIds of the batch an ingest event carried.
fn message_ids(exchange: &Exchange) -> Vec<String> {
    let body = exchange.event["body"].as_str().unwrap_or_default();
    let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    body["batch"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|call| call["messageId"].as_str().unwrap_or_default().to_string())
        .collect()
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

/// Recomputes `DAY` and checks `account`'s counts against one clean delivery of its batch:
/// u1 = 2 reports + 1 invite = 25; u2 = 8 + 2 pages = 10; u3 = 10 + 5 = 15.
async fn assert_counted_once(stack: &AwsStack, account: &str) {
    let admin = stack.admin();
    let account_resource = admin
        .get(&format!("/v1/accounts/{account}?profile=cs&as_of={DAY}"))
        .await;
    let mut breakdown = account_resource["breakdown"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    breakdown.sort_by_key(|line| line["event"].as_str().unwrap_or_default().to_string());
    assert_eq!(
        breakdown,
        vec![
            json!({"event": "Dashboard Shared", "count": 1, "weight": 8, "points": 8}),
            json!({"event": "Invite Sent", "count": 2, "weight": 5, "points": 10}),
            json!({"event": "Report Created", "count": 3, "weight": 10, "points": 30}),
            json!({"event": "Viewed Page", "count": 2, "weight": 1, "points": 2}),
        ],
        "{account}: {account_resource}"
    );
    assert_eq!(
        account_resource["users"],
        json!({"total": 3, "active": 3, "active_pct": 100.0, "members": 3}),
        "{account}: {account_resource}"
    );
    for (user, raw) in [(1, 25), (2, 10), (3, 15)] {
        let resource = admin
            .get(&format!(
                "/v1/users/{account}-u{user}?profile=cs&as_of={DAY}"
            ))
            .await;
        assert_eq!(resource["raw_score"], raw, "{account}-u{user}: {resource}");
    }
}

async fn recompute(stack: &AwsStack) {
    let outcome = stack
        .invoke(
            Function::Recompute,
            json!({"workspace": stack.workspace.id, "profile": "cs", "as_of": DAY}),
        )
        .await
        .expect("the recompute");
    assert_eq!(
        outcome["recomputed"].as_array().map(Vec::len),
        Some(1),
        "{outcome}"
    );
    let deliveries = stack.pump().await;
    assert!(
        deliveries.iter().all(Delivery::succeeded),
        "{:?}",
        summary(&deliveries)
    );
}

/// Sends `account`'s batch with the Node library while the proxy cuts storage as armed (or
/// at once, with `None`); on the first `503` storage comes back, and the library's own retry
/// must go through. Returns the ingest exchanges of this batch.
async fn send_through_an_outage(
    stack: &AwsStack,
    proxy: &OutageProxy,
    account: &str,
    outage: Option<Outage>,
) -> Vec<Exchange> {
    let earlier = batch_exchanges(stack).len();
    let skip = stack.gateway.exchanges().len();
    match outage {
        Some(outage) => proxy.stop_at(outage),
        None => proxy.stop(),
    }
    let sender = send_in_background(stack, account_batch(account));
    let refused = stack
        .gateway
        .wait_for(skip, Duration::from_secs(60), |exchange| {
            exchange.function == Function::Ingest && exchange.status == 503
        })
        .await;
    proxy.restart();
    let refused = refused.expect("the ingest function answered 503 while storage was down");
    sender
        .await
        .expect("the sender thread")
        .unwrap_or_else(|error| panic!("the Segment client's retry did not go through: {error}"));
    let answer = refused.outcome.as_ref().expect("an HTTP answer");
    assert_eq!(
        answer.headers.get("retry-after").map(String::as_str),
        Some("5"),
        "{answer:?}"
    );
    assert_eq!(
        answer.json().expect("a JSON body")["error"],
        "storage_unavailable"
    );
    let exchanges: Vec<Exchange> = batch_exchanges(stack).split_off(earlier);
    let statuses: Vec<u16> = exchanges.iter().map(|exchange| exchange.status).collect();
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
    assert!(statuses.contains(&503), "{statuses:?}");
    let first = message_ids(&exchanges[0]);
    assert_eq!(first.len(), 11);
    for exchange in &exchanges {
        assert_eq!(
            message_ids(exchange),
            first,
            "every attempt carries the same calls"
        );
    }
    exchanges
}

fn writes(proxy: &OutageProxy) -> Vec<ProxiedRequest> {
    proxy
        .requests()
        .into_iter()
        .filter(ProxiedRequest::is_write)
        .collect()
}

/// The Slack messages' texts, once the queues are quiet.
async fn texts(stack: &AwsStack, slack: &SlackServer) -> Vec<String> {
    let deliveries = stack.pump().await;
    assert!(
        deliveries.iter().all(Delivery::succeeded),
        "{:?}",
        summary(&deliveries)
    );
    slack
        .received(HOOK)
        .iter()
        .map(|message| message["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The account's batch raises three `new_user` alerts — the account appears with u1, then
/// u2 and u3 join it — each posted exactly once, whatever the outage did to the batch.
fn assert_announced_once(texts: &[String], account: &str) {
    let about = |start: String| texts.iter().filter(|text| text.starts_with(&start)).count();
    assert_eq!(
        [
            about(format!("New account: {account} ")),
            about(format!("{account}-u2 joined {account} ")),
            about(format!("Third ({account}-u3) joined {account} ")),
        ],
        [1, 1, 1],
        "{account}: {texts:?}"
    );
}

/// A stack whose ingest function reaches DynamoDB through `proxy`, with the `cs` profile and
/// the `new_user` rule posting to `slack`.
async fn stack_behind(proxy: &OutageProxy, slack: &SlackServer, prefix: &str) -> AwsStack {
    let stack = AwsStack::builder(prefix)
        .slack_webhooks(json!({"cs-alerts": slack.url(HOOK)}))
        .env(
            Function::Ingest,
            "AWS_ENDPOINT_URL_DYNAMODB",
            proxy.endpoint(),
        )
        .start()
        .await
        .expect("the stack");
    let admin = stack.admin();
    admin.put_text("/v1/profiles/cs", PROFILE).await;
    admin.put_text("/v1/alerts/new-users", NEW_USER_RULE).await;
    stack
}

/// [`send_through_an_outage`] with an armed outage, checking it struck where it was armed.
async fn send_cut_at(stack: &AwsStack, proxy: &OutageProxy, account: &str, outage: Outage) {
    let before = writes(proxy).len();
    send_through_an_outage(stack, proxy, account, Some(outage)).await;
    let fates: Vec<Fate> = writes(proxy)[before..]
        .iter()
        .map(|request| request.fate)
        .collect();
    let (applied, cut) = match outage {
        Outage::AfterWrite(applied) => (applied, Fate::AnswerLost),
        Outage::BeforeWrite(applied) => (applied, Fate::Cut),
    };
    assert!(
        fates.len() > applied
            && fates[..applied].iter().all(|fate| *fate == Fate::Forwarded)
            && fates[applied] == cut,
        "{account}: {outage:?} gave {fates:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storage_outage_answers_503_and_the_clients_retry_counts_every_call_once() {
    let slack = SlackServer::start().await;
    let proxy = OutageProxy::start(&moto().endpoint)
        .await
        .expect("the proxy");
    let stack = stack_behind(&proxy, &slack, "outage").await;

    // Storage is down before the batch arrives: nothing reaches it until the client's retry.
    send_through_an_outage(&stack, &proxy, "initech", None).await;
    assert!(proxy.refused_connections() > 0);
    assert!(
        proxy.requests().iter().all(|r| r.fate == Fate::Forwarded),
        "only the retry reached storage"
    );
    let clean_writes = writes(&proxy).len();

    // Storage goes down in the middle of a batch, some of its writes applied: at a write
    // applied with its answer lost, at a write never sent, and at the batch's last write,
    // applied with its answer lost (the batch is whole, the client was told 503).
    send_cut_at(&stack, &proxy, "hooli", Outage::AfterWrite(2)).await;
    send_cut_at(&stack, &proxy, "umbrella", Outage::BeforeWrite(1)).await;
    send_cut_at(
        &stack,
        &proxy,
        "globex",
        Outage::AfterWrite(clean_writes - 1),
    )
    .await;

    recompute(&stack).await;
    for account in ["initech", "hooli", "umbrella", "globex"] {
        assert_counted_once(&stack, account).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_alerts_of_a_batch_cut_by_a_storage_outage_are_posted_once() {
    let slack = SlackServer::start().await;
    let proxy = OutageProxy::start(&moto().endpoint)
        .await
        .expect("the proxy");
    let stack = stack_behind(&proxy, &slack, "outagealerts").await;
    let send = |account: &'static str| {
        let url = stack.gateway.url().to_string();
        let key = stack.workspace.write_key.clone();
        tokio::task::spawn_blocking(move || send_with_node(&url, &key, &account_batch(account)))
    };
    send("initech")
        .await
        .expect("the sender thread")
        .expect("the batch");
    let clean_writes = writes(&proxy).len();
    assert_announced_once(&texts(&stack, &slack).await, "initech");

    // Cut after some writes: the retry stores the rest and announces what the batch changed.
    send_cut_at(&stack, &proxy, "hooli", Outage::AfterWrite(2)).await;
    assert_announced_once(&texts(&stack, &slack).await, "hooli");

    // Cut at the batch's last write, applied with its answer lost: the client was told 503
    // and retries; the account, its members and the alerts they raise must not be lost.
    send_cut_at(
        &stack,
        &proxy,
        "globex",
        Outage::AfterWrite(clean_writes - 1),
    )
    .await;
    assert_announced_once(&texts(&stack, &slack).await, "globex");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_slack_endpoint_parks_the_alert_in_the_dead_letter_queue_and_a_redrive_posts_it_once()
 {
    let slack = SlackServer::start().await;
    slack.respond(
        HOOK,
        std::iter::repeat_n(ScriptedResponse::ServerError, 1_000),
    );
    let stack = AwsStack::builder("slackdown")
        .slack_webhooks(json!({"cs-alerts": slack.url(HOOK)}))
        .start()
        .await
        .expect("the stack");
    let admin = stack.admin();
    admin.put_text("/v1/profiles/cs", PROFILE).await;
    admin.put_text("/v1/alerts/new-users", NEW_USER_RULE).await;
    send_in_background(&stack, one_user_batch("acme"))
        .await
        .expect("the sender thread")
        .expect("the batch");

    let deliveries = stack.pump().await;
    let notify: Vec<&Delivery> = deliveries
        .iter()
        .filter(|delivery| delivery.function == Function::Notify)
        .collect();
    assert_eq!(notify.len(), 1, "{:?}", summary(&deliveries));
    let notify = notify[0];
    assert!(notify.parked, "{notify:?}");
    assert_eq!(
        notify.attempts.len(),
        1 + Function::Notify.async_retries(),
        "Lambda retried the failed invocation as EventInvokeConfig says"
    );
    for attempt in &notify.attempts {
        let error = attempt.as_ref().expect_err("every invocation failed");
        assert!(error.message.contains("not taken by Slack"), "{error}");
    }

    // The event is in the dead-letter queue, whole.
    let parked = stack.dead_letters(Function::Notify).await;
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0]["requestPayload"], notify.event);
    assert_eq!(parked[0]["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(notify.event["detail"]["type"], "AlertRaised");

    // The alert is recorded `retrying`, with every round and every post of each.
    let log = admin.get("/v1/alerts/deliveries").await;
    let items = log["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["status"], "retrying", "{log}");
    let rounds = items[0]["attempts"].as_array().expect("attempts");
    assert_eq!(
        rounds.len(),
        notify.attempts.len(),
        "one round per invocation: {log}"
    );
    let mut posts = 0;
    for round in rounds {
        assert_eq!(round["outcome"], "retrying", "{round}");
        let tries = round["attempts"].as_array().expect("the posts of a round");
        assert!(tries.iter().all(|post| post["status"] == 500), "{round}");
        posts += tries.len();
    }
    assert_eq!(slack.received(HOOK).len(), posts, "every post is recorded");
    assert!(
        !log.to_string().contains("cs-alerts-webhook-secret"),
        "{log}"
    );

    // Slack recovers; the dead-letter queue is redriven (twice, as a careless operator might).
    let address = slack.addr();
    slack.shutdown().await;
    let slack = SlackServer::start_on(address).await.expect("Slack is back");
    let redriven = stack
        .invoke(Function::Notify, parked[0]["requestPayload"].clone())
        .await
        .expect("the redrive");
    assert_eq!(
        redriven,
        json!({"delivered": 1, "failed": 0, "retrying": 0, "logged": 0})
    );
    let again = stack
        .invoke(Function::Notify, parked[0]["requestPayload"].clone())
        .await
        .expect("the second redrive");
    assert_eq!(again["delivered"], 0, "{again}");
    let messages = slack.received(HOOK);
    assert_eq!(messages.len(), 1, "posted exactly once: {messages:?}");
    assert!(
        messages[0]["text"]
            .as_str()
            .is_some_and(|text| text.starts_with("New account: acme ")),
        "{messages:?}"
    );
    let log = admin.get("/v1/alerts/deliveries").await;
    assert_eq!(log["items"][0]["status"], "delivered", "{log}");
    assert_eq!(
        log["items"][0]["attempts"].as_array().map(Vec::len),
        Some(rounds.len() + 1),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_alert_raised_while_the_bus_is_down_still_reaches_slack() {
    let slack = SlackServer::start().await;
    let bus = OutageProxy::start(&moto().endpoint)
        .await
        .expect("the proxy");
    let stack = AwsStack::builder("busdown")
        .slack_webhooks(json!({"cs-alerts": slack.url(HOOK)}))
        .env(
            Function::Evaluate,
            "AWS_ENDPOINT_URL_EVENTBRIDGE",
            bus.endpoint(),
        )
        .start()
        .await
        .expect("the stack");
    let admin = stack.admin();
    admin.put_text("/v1/profiles/cs", PROFILE).await;
    admin.put_text("/v1/alerts/new-users", NEW_USER_RULE).await;
    send_in_background(&stack, one_user_batch("acme"))
        .await
        .expect("the sender thread")
        .expect("the batch");

    // EventBridge is unreachable from evaluate while it raises the new account's alert: the
    // alert is recorded, pending, and its AlertRaised is lost.
    bus.stop();
    let during = stack.pump().await;
    bus.restart();
    assert!(
        during
            .iter()
            .all(|delivery| delivery.function == Function::Evaluate),
        "{:?}",
        summary(&during)
    );
    assert!(slack.received(HOOK).is_empty());
    let log = admin.get("/v1/alerts/deliveries").await;
    assert_eq!(log["items"][0]["status"], "pending", "{log}");

    // The notify function's schedule sweeps undelivered alerts. Right after the alert was
    // raised it leaves it to its event (five minutes to settle by default)…
    let schedule = AwsStack::notify_schedule_input();
    let early = stack
        .invoke(Function::Notify, schedule.clone())
        .await
        .expect("the sweep");
    assert_eq!(
        early,
        json!({"delivered": 0, "failed": 0, "retrying": 0, "logged": 0})
    );
    assert!(slack.received(HOOK).is_empty());
    // …and once it has settled (here: at once), sends it, exactly once.
    let mut settled = schedule.clone();
    settled["settle_seconds"] = json!(0);
    let swept = stack
        .invoke(Function::Notify, settled.clone())
        .await
        .expect("the sweep");
    assert_eq!(
        swept,
        json!({"delivered": 1, "failed": 0, "retrying": 0, "logged": 0})
    );
    let again = stack
        .invoke(Function::Notify, settled)
        .await
        .expect("the next sweep");
    assert_eq!(again["delivered"], 0, "{again}");
    let messages = slack.received(HOOK);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0]["text"]
            .as_str()
            .is_some_and(|text| text.starts_with("New account: acme ")),
        "{messages:?}"
    );
    let log = admin.get("/v1/alerts/deliveries").await;
    assert_eq!(log["items"][0]["status"], "delivered", "{log}");

    // A sweep input that is not one is refused, not mistaken for an event.
    let refused = stack
        .invoke(Function::Notify, json!({"sweep": "everything"}))
        .await
        .expect_err("an unknown sweep");
    assert!(refused.message.contains("not a sweep input"), "{refused}");
}
