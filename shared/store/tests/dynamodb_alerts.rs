//! DynamoDB-specific guarantees of alerts and rule state, on moto: an insert that crashed
//! between its writes is repaired by its retry (cooldowns never miss a raise, a pending
//! alert is never left undeliverable), updates move the alert and its due item together,
//! and a rule matching 100,000 subjects is stored in chunks and replaced whole.

mod dynamodb_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use dynamodb_support::faults::{Crash, Faults};
use dynamodb_support::{fresh_table, store_on, store_with};
use pulse_store::conformance::fixtures::{
    PROFILE, alert_record, at, day, insert_alerts, new_workspace, read_alert,
};
use pulse_store::dynamodb::keys;
use pulse_store::{AlertRecord, AlertStatus, Store, StoreError};

async fn due_ids(store: &dyn Store, now: &str) -> Vec<String> {
    store
        .due_alerts(at(now), 100)
        .await
        .expect("reading the due alerts")
        .into_iter()
        .map(|(_, alert)| alert.id)
        .collect()
}

#[tokio::test]
async fn an_insert_that_crashed_after_any_write_is_completed_by_its_retry() {
    let alert = alert_record("a1", "cooling-off", "acme-inc", "2026-12-01T10:00:00Z");
    // The insert writes twice: the alert with its due item (one transaction), then the
    // subject's last raise.
    for crash in [
        Crash::BeforeWrite(1),
        Crash::AfterWrite(1),
        Crash::BeforeWrite(2),
        Crash::AfterWrite(2),
    ] {
        let (_, table) = fresh_table("alert-crash").await;
        let clean = store_on(&table);
        let acme = new_workspace(&clean, "acme").await;
        let faults = Faults::crash(crash);

        let crashed = store_with(&table, &faults)
            .insert_alerts(&acme, std::slice::from_ref(&alert))
            .await;
        let retried = insert_alerts(&clean, &acme, std::slice::from_ref(&alert)).await;

        assert!(faults.crashed(), "{crash:?} never happened");
        assert!(
            matches!(crashed, Err(StoreError::Unavailable(_))),
            "{crash:?}: {crashed:?}"
        );
        let recorded_before = matches!(crash, Crash::AfterWrite(_) | Crash::BeforeWrite(2));
        assert_eq!(
            retried.is_empty(),
            recorded_before,
            "{crash:?}: the retry records the alert unless the crashed attempt did"
        );
        assert_eq!(read_alert(&clean, &acme, "a1").await, Some(alert.clone()));
        assert_eq!(
            clean.last_alerts(&acme, "cooling-off").await.unwrap(),
            HashMap::from([("acme-inc".to_string(), at("2026-12-01T10:00:00Z"))]),
            "{crash:?}: the cooldown sees the raise"
        );
        assert_eq!(
            due_ids(&clean, "2026-12-01T10:00:01Z").await,
            vec!["a1"],
            "{crash:?}: the pending alert waits for delivery exactly once"
        );
    }
}

#[tokio::test]
async fn an_update_moves_the_alert_and_its_due_item_together_or_not_at_all() {
    for crash in [Crash::BeforeWrite(1), Crash::AfterWrite(1)] {
        let (_, table) = fresh_table("alert-update").await;
        let clean = store_on(&table);
        let acme = new_workspace(&clean, "acme").await;
        let raised = alert_record("a1", "cooling-off", "acme-inc", "2026-12-01T10:00:00Z");
        insert_alerts(&clean, &acme, std::slice::from_ref(&raised)).await;
        let delivered = AlertRecord {
            status: AlertStatus::Delivered,
            ..raised.clone()
        };
        let faults = Faults::crash(crash);

        let _ = store_with(&table, &faults)
            .update_alert(&acme, &delivered)
            .await;

        let stored = read_alert(&clean, &acme, "a1").await.expect("a1 exists");
        let due = due_ids(&clean, "2026-12-02T00:00:00Z").await;
        match crash {
            Crash::BeforeWrite(_) => {
                assert_eq!(
                    (stored.status, due),
                    (AlertStatus::Pending, vec!["a1".into()])
                )
            }
            Crash::AfterWrite(_) => {
                assert_eq!((stored.status, due), (AlertStatus::Delivered, vec![]))
            }
        }
    }
}

#[tokio::test]
async fn retrying_alerts_wait_in_the_due_items_until_their_next_attempt() {
    let (client, table) = fresh_table("alert-due").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;
    let raised = alert_record("a1", "cooling-off", "acme-inc", "2026-12-01T10:00:00Z");
    insert_alerts(&store, &acme, std::slice::from_ref(&raised)).await;
    let retrying = AlertRecord {
        status: AlertStatus::Retrying,
        next_attempt_at: Some(at("2026-12-01T10:05:00Z")),
        ..raised.clone()
    };

    store.update_alert(&acme, &retrying).await.unwrap();
    let before = due_ids(&store, "2026-12-01T10:04:59Z").await;
    let after = due_ids(&store, "2026-12-01T10:05:00Z").await;
    store
        .update_alert(
            &acme,
            &AlertRecord {
                status: AlertStatus::Failed,
                next_attempt_at: None,
                ..retrying
            },
        )
        .await
        .unwrap();
    let due_items = count_items(&client, &table, |pk| pk.starts_with("DUE#")).await;

    assert_eq!(before, Vec::<String>::new());
    assert_eq!(after, vec!["a1"]);
    assert_eq!(due_items, 0, "a failed alert leaves no due item behind");
}

/// Items of the table whose partition key passes `keep` (a Scan: tests only).
async fn count_items(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    keep: impl Fn(&str) -> bool,
) -> usize {
    let mut count = 0;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scanning the table");
        count += page
            .items()
            .iter()
            .filter(|item| matches!(item.get(keys::PK), Some(AttributeValue::S(pk)) if keep(pk)))
            .count();
        start = page.last_evaluated_key;
        if start.is_none() {
            return count;
        }
    }
}

#[tokio::test]
async fn a_rule_matching_100000_subjects_is_stored_in_chunks_and_replaced_whole() {
    let (client, table) = fresh_table("rule-matches").await;
    let store = store_on(&table);
    let acme = new_workspace(&store, "acme").await;
    let many: BTreeSet<String> = (0..100_000)
        .map(|n| format!("{n:08x}-1f2e-4d3c-8b7a-{:012x}", n * 7919))
        .collect();
    let big = BTreeMap::from([
        ("alert:everyone:where".to_string(), many),
        (
            "alert:few:custom".to_string(),
            BTreeSet::from(["acme-inc".to_string()]),
        ),
    ]);
    let small = BTreeMap::from([(
        "alert:few:custom".to_string(),
        BTreeSet::from(["globex".to_string()]),
    )]);
    let on = day("2026-12-01");

    store
        .put_rule_matches(&acme, PROFILE, on, &big)
        .await
        .expect("saving 100,000 matches");
    let read_big = store.rule_matches(&acme, PROFILE, on).await.unwrap();
    let results_partition = keys::results_partition("acme", PROFILE, 0);
    let chunks_of_big = count_items(&client, &table, |pk| pk == results_partition).await;
    store
        .put_rule_matches(&acme, PROFILE, on, &small)
        .await
        .unwrap();
    let read_small = store.rule_matches(&acme, PROFILE, on).await.unwrap();
    let items_after = count_items(&client, &table, |pk| pk == results_partition).await;

    assert!(read_big == big, "100,000 matches read back as saved");
    assert!(
        chunks_of_big > 2,
        "3.6 MB of subjects take several items: {chunks_of_big}"
    );
    assert_eq!(read_small, small);
    assert_eq!(
        items_after, 1,
        "the small list is inline and the big one's chunks are gone"
    );
}
