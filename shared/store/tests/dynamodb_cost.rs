//! What ingestion costs on DynamoDB, measured by the adapter's own capacity accounting on
//! moto (whose reported numbers are placeholders, so the adapter's estimate by DynamoDB's
//! sizing rules is what is asserted), and the request limits the adapter enforces itself.

mod dynamodb_support;

use aws_sdk_dynamodb::types::AttributeValue;
use dynamodb_support::faults::Faults;
use dynamodb_support::{fresh_table, store_on, store_with};
use pulse_core::{SubjectKind, WorkspaceId};
use pulse_store::conformance::fixtures::{
    PROFILE, alert_record, at, batch, computation, day, first_uses, ingest, insert_alerts, list,
    member, new_workspace, save, watching,
};
use pulse_store::dynamodb::{Consumed, DynamoStore, keys};
use pulse_store::{AlertRecord, AlertStatus, SortField, Store};
use serde_json::{Value, json};

/// A message id as client libraries make them (a UUID, 36 characters).
fn message_id(user: usize, n: usize, session: usize) -> String {
    format!("{user:08x}-{session:04x}-4000-8000-{n:012x}")
}

const EVENTS: [&str; 4] = [
    "Report Created",
    "Dashboard Shared",
    "Invite Sent",
    "Filter Applied",
];

/// One call of a B2B product: a track or a page view, inside the user's account.
fn call(user: usize, n: usize, session: usize, received: &str) -> Value {
    let timestamp = format!("{}T{:02}:{:02}:00Z", &received[..10], 8 + session, n % 60);
    let mut call = if n % 3 == 2 {
        json!({"type": "page", "name": "Dashboard"})
    } else {
        json!({"type": "track", "event": EVENTS[n % EVENTS.len()],
               "properties": {"source": "web"}})
    };
    call["messageId"] = json!(message_id(user, n, session));
    call["userId"] = json!(format!("user-{user}"));
    call["timestamp"] = json!(timestamp);
    call["context"] = json!({"groupId": format!("account-{}", user % 10)});
    call
}

/// A 20-event session of one user.
fn session(user: usize, session: usize, received: &str) -> Vec<Value> {
    (0..20).map(|n| call(user, n, session, received)).collect()
}

/// A server-side batch: two calls for each of 50 users.
fn server_batch(session: usize, received: &str) -> Vec<Value> {
    (0..50)
        .flat_map(|user| (0..2).map(move |n| call(user, n, session, received)))
        .collect()
}

async fn measured(
    store: &DynamoStore,
    acme: &WorkspaceId,
    received: &str,
    calls: &[Value],
) -> Consumed {
    let before = store.estimated();
    let outcome = ingest(store, acme, &batch(received, calls)).await;
    assert_eq!(outcome.stored, calls.len());
    store.estimated().minus(before)
}

fn report(shape: &str, events: usize, used: Consumed) -> f64 {
    let per_event = used.write_units / events as f64;
    println!(
        "{shape:<58} {:>6.1} WU {:>6.1} RU  {per_event:.3} WU/event  {:.3} RU/event",
        used.write_units,
        used.read_units,
        used.read_units / events as f64
    );
    per_event
}

#[tokio::test]
async fn a_session_of_twenty_events_costs_at_most_half_a_write_unit_per_event() {
    let (_, table) = fresh_table("cost-session").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;

    let first = measured(
        &store,
        &acme,
        "2026-12-01T10:00:00Z",
        &session(1, 0, "2026-12-01T10:00:00Z"),
    )
    .await;
    let later = measured(
        &store,
        &acme,
        "2026-12-01T12:00:00Z",
        &session(1, 1, "2026-12-01T12:00:00Z"),
    )
    .await;
    let next_day = measured(
        &store,
        &acme,
        "2026-12-02T10:00:00Z",
        &session(1, 2, "2026-12-02T10:00:00Z"),
    )
    .await;
    let retried = {
        let before = store.estimated();
        let calls = session(1, 2, "2026-12-02T10:00:00Z");
        let outcome = ingest(&store, &acme, &batch("2026-12-02T10:05:00Z", &calls)).await;
        assert_eq!(outcome.duplicates, 20);
        store.estimated().minus(before)
    };

    let first = report(
        "session of 20, a new user (account and membership created)",
        20,
        first,
    );
    let later = report("session of 20, same user, same day", 20, later);
    let next_day = report("session of 20, same user, next day", 20, next_day);
    report("the same session retried (all duplicates)", 20, retried);
    println!(
        "reported by the server (moto placeholders): {:?}",
        store.consumed()
    );
    assert!(
        first <= 0.5 && later <= 0.5 && next_day <= 0.5,
        "over 0.5 WU per event"
    );
    assert_eq!(retried.write_units, 0.0, "a duplicate batch writes nothing");
}

#[tokio::test]
async fn watching_core_features_costs_a_write_per_first_use_and_a_few_reads_per_user() {
    let (_, table) = fresh_table("cost-first-uses").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;
    let watched = ["Report Created", "Dashboard Shared"];
    let measured_watching = async |received: &str, calls: Vec<Value>| {
        let before = store.estimated();
        let outcome = ingest(&store, &acme, &watching(batch(received, &calls), &watched)).await;
        (store.estimated().minus(before), first_uses(&outcome).len())
    };

    let (first, first_count) = measured_watching(
        "2026-12-01T10:00:00Z",
        session(1, 0, "2026-12-01T10:00:00Z"),
    )
    .await;
    let (later, later_count) = measured_watching(
        "2026-12-01T12:00:00Z",
        session(1, 1, "2026-12-01T12:00:00Z"),
    )
    .await;
    let (server, _) = measured_watching(
        "2026-12-01T13:00:00Z",
        server_batch(2, "2026-12-01T13:00:00Z"),
    )
    .await;

    report(
        "session of 20 watching 2 events, a new user (2 first uses)",
        20,
        first,
    );
    report("session of 20 watching 2 events, same user", 20, later);
    report(
        "100 calls over 50 users watching 2 events (10 accounts)",
        100,
        server,
    );
    assert_eq!(first_count, 2, "the account's first reports and shares");
    assert_eq!(later_count, 0);
    assert_eq!(
        first.write_units,
        6.0 + 2.0,
        "one write per first use on top of the session's"
    );
    assert_eq!(
        later.write_units, 3.0,
        "no write once the account used them"
    );
    assert!(
        later.read_units <= 5.0 + 5.0,
        "a known user's first uses cost a few reads: {later:?}"
    );
}

#[tokio::test]
async fn an_alert_costs_a_handful_of_write_units_over_its_life() {
    let (_, table) = fresh_table("cost-alerts").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;
    let alerts: Vec<AlertRecord> = (0..10)
        .map(|n| {
            alert_record(
                &format!("cooling-off:account-{n}:2026-12-01"),
                "cooling-off",
                &format!("account-{n}"),
                "2026-12-01T10:00:00Z",
            )
        })
        .collect();
    let measured_step = async |step: &str, alerts: &[AlertRecord], update: bool| {
        let before = store.estimated();
        if update {
            for alert in alerts {
                store.update_alert(&acme, alert).await.expect("updating");
            }
        } else {
            insert_alerts(&store, &acme, alerts).await;
        }
        let used = store.estimated().minus(before);
        report(step, alerts.len(), used);
        used.write_units / alerts.len() as f64
    };
    let retrying: Vec<AlertRecord> = alerts
        .iter()
        .map(|alert| AlertRecord {
            status: AlertStatus::Retrying,
            next_attempt_at: Some(at("2026-12-01T10:01:00Z")),
            ..alert.clone()
        })
        .collect();
    let delivered: Vec<AlertRecord> = alerts
        .iter()
        .map(|alert| AlertRecord {
            status: AlertStatus::Delivered,
            ..alert.clone()
        })
        .collect();

    let raised = measured_step("10 alerts raised (per alert)", &alerts, false).await;
    let raised_again = measured_step("the same 10 raised again", &alerts, false).await;
    let retried = measured_step("10 alerts set retrying", &retrying, true).await;
    let sent = measured_step("10 alerts delivered", &delivered, true).await;
    let before = store.estimated();
    let due = store
        .due_alerts(at("2026-12-01T10:02:00Z"), 100)
        .await
        .expect("reading due alerts");
    report(
        "a due-alerts poll (nothing due)",
        1,
        store.estimated().minus(before),
    );

    assert!(due.is_empty());
    assert_eq!(raised_again, 0.0, "raising a known alert writes nothing");
    assert!(
        raised + sent <= 12.0 && retried <= 6.0,
        "raised {raised}, retried {retried}, delivered {sent} write units per alert"
    );
}

#[tokio::test]
async fn a_batch_of_100_calls_over_50_users_costs_at_most_two_write_units_per_event() {
    let (_, table) = fresh_table("cost-server").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;

    let cold = measured(
        &store,
        &acme,
        "2026-12-01T10:00:00Z",
        &server_batch(0, "2026-12-01T10:00:00Z"),
    )
    .await;
    let warm = measured(
        &store,
        &acme,
        "2026-12-01T11:00:00Z",
        &server_batch(1, "2026-12-01T11:00:00Z"),
    )
    .await;
    let next_day = measured(
        &store,
        &acme,
        "2026-12-02T10:00:00Z",
        &server_batch(2, "2026-12-02T10:00:00Z"),
    )
    .await;

    report(
        "100 calls over 50 new users (10 accounts, 50 memberships made)",
        100,
        cold,
    );
    let warm = report("100 calls over the same 50 users, same day", 100, warm);
    let next_day = report("100 calls over the same 50 users, next day", 100, next_day);
    assert!(warm <= 2.0 && next_day <= 2.0, "over 2 WU per event");
}

#[tokio::test]
async fn a_busy_account_is_written_only_when_it_changes() {
    let (client, table) = fresh_table("hot-account").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;

    for round in 0..3 {
        ingest(
            &store,
            &acme,
            &batch(
                "2026-12-01T12:00:00Z",
                &server_batch(round, "2026-12-01T12:00:00Z"),
            ),
        )
        .await;
    }

    let key = keys::account("acme", "account-3");
    let item = client
        .get_item()
        .table_name(&table)
        .key(keys::PK, AttributeValue::S(key.pk))
        .key(keys::SK, AttributeValue::S(key.sk))
        .send()
        .await
        .expect("reading the account item")
        .item
        .expect("the account exists");
    assert_eq!(
        item.get("v"),
        Some(&AttributeValue::N("1".into())),
        "300 events of its members wrote the account once"
    );
}

#[tokio::test]
async fn batch_requests_stay_within_dynamodbs_limits() {
    let (_, table) = fresh_table("limits").await;
    let faults = Faults::default();
    let store = store_with(&table, &faults);
    let acme = new_workspace(&store, "acme").await;
    let users: Vec<_> = (0..120)
        .map(|n| member(&format!("user-{n:03}"), n as f64, &["engaged"]))
        .collect();

    save(&store, &acme, &computation("2026-12-01", users, vec![])).await;
    let page = store
        .snapshots(
            &acme,
            PROFILE,
            SubjectKind::Users,
            day("2026-12-01"),
            &list(SortField::Id, false, 1000),
        )
        .await
        .expect("listing");
    ingest(
        &store,
        &acme,
        &batch(
            "2026-12-01T12:00:00Z",
            &server_batch(0, "2026-12-01T12:00:00Z"),
        ),
    )
    .await;

    assert_eq!(page.items.len(), 120);
    let batches = faults.batches();
    let largest = |operation: &str| {
        batches
            .iter()
            .filter(|(name, _)| name == operation)
            .map(|(_, count)| *count)
            .collect::<Vec<_>>()
    };
    let writes = largest("BatchWriteItem");
    let gets = largest("BatchGetItem");
    assert!(
        writes.iter().all(|count| *count <= 25),
        "BatchWriteItem sizes {writes:?}"
    );
    assert!(
        writes.iter().filter(|count| **count == 25).count() >= 5,
        "120 snapshots and 50 logs were split: {writes:?}"
    );
    assert!(
        gets.iter().all(|count| *count <= 100),
        "BatchGetItem sizes {gets:?}"
    );
    assert!(
        gets.contains(&100),
        "a page of 120 was read in two requests: {gets:?}"
    );
}
