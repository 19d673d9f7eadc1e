//! Checks: alerts as recorded (SPEC §6: "the same occurrence never produces two Slack
//! posts"), their delivery state, cooldown reads, and workspace isolation.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::fixtures::{alert_record, at, insert_alerts, new_workspace, read_alert};
use crate::{AlertQuery, AlertRecord, AlertStatus, Store};
use pulse_core::WorkspaceId;

async fn update(store: &dyn Store, workspace: &WorkspaceId, alert: &AlertRecord) {
    store
        .update_alert(workspace, alert)
        .await
        .unwrap_or_else(|error| panic!("updating alert `{}`: {error}", alert.id));
}

/// A delivery attempt as the notifier records it.
fn attempt(at_time: &str, outcome: &str) -> serde_json::Value {
    json!({"at": at_time, "outcome": outcome, "status": 503, "retry_after_s": null})
}

pub async fn inserting_alerts_returns_only_the_ids_new_to_the_store(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let first = alert_record("a1", "cooling-off", "acme-inc", "2026-12-01T10:00:00Z");
    let second = alert_record("a2", "cooling-off", "globex", "2026-12-01T10:00:00Z");
    let mut second_again = alert_record("a2", "other-rule", "initech", "2026-12-02T11:00:00Z");
    second_again.alert = json!({"headline": "something else"});
    second_again.status = AlertStatus::Failed;
    let third = alert_record("a3", "cooling-off", "initech", "2026-12-01T10:05:00Z");
    let fourth = alert_record("a4", "new-user", "u-1", "2026-12-01T10:06:00Z");

    let new_at_first = insert_alerts(store, &acme, &[first.clone(), second.clone()]).await;
    let new_at_retry = insert_alerts(store, &acme, &[second_again, third.clone()]).await;
    let delivered = AlertRecord {
        status: AlertStatus::Delivered,
        attempts: vec![attempt("2026-12-01T10:00:01Z", "delivered")],
        ..first.clone()
    };
    update(store, &acme, &delivered).await;
    let after_delivery = insert_alerts(store, &acme, &[first, fourth.clone(), fourth]).await;
    let nothing = insert_alerts(store, &acme, &[]).await;

    assert_eq!(new_at_first, vec!["a1", "a2"]);
    assert_eq!(new_at_retry, vec!["a3"], "a2 was recorded already");
    assert_eq!(
        read_alert(store, &acme, "a2").await,
        Some(second),
        "the second a2 changed nothing, though its content differs"
    );
    assert_eq!(read_alert(store, &acme, "a3").await, Some(third));
    assert_eq!(
        after_delivery,
        vec!["a4"],
        "a1 is known; a4 twice in one call is recorded once"
    );
    assert_eq!(
        read_alert(store, &acme, "a1").await,
        Some(delivered),
        "raising a1 again does not make a delivered alert pending again (no second post)"
    );
    assert_eq!(nothing, Vec::<String>::new());
}

pub async fn an_alert_reads_back_with_every_field(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let retrying = AlertRecord {
        channel: Some("cs-alerts".to_string()),
        status: AlertStatus::Retrying,
        next_attempt_at: Some(at("2026-12-01T10:05:30.750Z")),
        alert: json!({
            "headline": "Acme Inc cooled off", "subject": {"kind": "accounts", "id": "acme-inc"},
            "facts": [{"name": "score", "value": 41.5}, {"name": "change", "value": -12.25}],
            "segments": ["ice_cold"], "link": null, "unicode": "Zürich — ✓",
        }),
        attempts: vec![
            attempt("2026-12-01T10:00:01Z", "rate_limited"),
            attempt("2026-12-01T10:01:01Z", "server_error"),
        ],
        ..alert_record(
            "cooling-off:acme-inc:2026-12-01",
            "cooling-off",
            "acme-inc",
            "2026-12-01T10:00:00.125Z",
        )
    };
    let bare = AlertRecord {
        channel: None,
        ..alert_record(
            "new-user:u-1:acme-inc",
            "new-user",
            "u-1",
            "2026-12-01T11:00:00Z",
        )
    };
    insert_alerts(store, &acme, &[retrying.clone(), bare.clone()]).await;

    let read_retrying = read_alert(store, &acme, &retrying.id).await;
    let read_bare = read_alert(store, &acme, &bare.id).await;
    let missing = read_alert(store, &acme, "never-raised").await;

    assert_eq!(
        read_retrying,
        Some(retrying),
        "every field, to the millisecond"
    );
    assert_eq!(
        read_bare,
        Some(bare),
        "no channel, no next attempt, no attempts"
    );
    assert_eq!(missing, None);
}

pub async fn updating_an_alert_replaces_its_status_next_attempt_and_attempts(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let raised = alert_record("a1", "cooling-off", "acme-inc", "2026-12-01T10:00:00Z");
    let neighbour = alert_record("a2", "cooling-off", "globex", "2026-12-01T10:00:00Z");
    insert_alerts(store, &acme, &[raised.clone(), neighbour.clone()]).await;
    let retrying = AlertRecord {
        status: AlertStatus::Retrying,
        next_attempt_at: Some(at("2026-12-01T10:00:31.500Z")),
        attempts: vec![attempt("2026-12-01T10:00:01Z", "server_error")],
        ..raised.clone()
    };
    update(store, &acme, &retrying).await;
    let after_first = read_alert(store, &acme, "a1").await;
    let failed = AlertRecord {
        status: AlertStatus::Failed,
        next_attempt_at: None,
        attempts: vec![
            attempt("2026-12-01T10:00:01Z", "server_error"),
            attempt("2026-12-01T10:00:31Z", "channel_not_found"),
        ],
        ..raised.clone()
    };

    update(
        store,
        &acme,
        &AlertRecord {
            channel: Some("another-channel".to_string()),
            alert: json!({"headline": "rewritten"}),
            ..failed.clone()
        },
    )
    .await;

    assert_eq!(after_first, Some(retrying));
    assert_eq!(
        read_alert(store, &acme, "a1").await,
        Some(failed),
        "status, next attempt (cleared) and attempts replaced; what was raised stays as raised"
    );
    assert_eq!(
        read_alert(store, &acme, "a2").await,
        Some(neighbour),
        "only a1 changed"
    );
}

pub async fn updating_an_unknown_alert_is_an_error_and_creates_nothing(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let never_raised = AlertRecord {
        status: AlertStatus::Delivered,
        ..alert_record("ghost", "cooling-off", "acme-inc", "2026-12-01T10:00:00Z")
    };

    let result = store.update_alert(&acme, &never_raised).await;

    assert!(
        result.is_err(),
        "updating an alert never recorded must fail, got {result:?}"
    );
    assert_eq!(
        read_alert(store, &acme, "ghost").await,
        None,
        "the failed update did not record it"
    );
}

async fn last_alerts(
    store: &dyn Store,
    workspace: &WorkspaceId,
    rule: &str,
) -> HashMap<String, DateTime<Utc>> {
    store
        .last_alerts(workspace, rule)
        .await
        .unwrap_or_else(|error| panic!("reading the last alerts of `{rule}`: {error}"))
}

pub async fn last_alerts_give_each_subjects_latest_raise_for_a_rule(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    insert_alerts(
        store,
        &acme,
        &[
            alert_record("c1", "cooling-off", "acme-inc", "2026-12-01T10:00:00Z"),
            alert_record("c2", "cooling-off", "acme-inc", "2026-12-03T12:00:00.250Z"),
            alert_record("c3", "cooling-off", "globex", "2026-12-02T09:00:00Z"),
            alert_record("d1", "big-drop", "acme-inc", "2026-12-05T23:00:00Z"),
        ],
    )
    .await;
    // Recorded last but raised earlier: the latest raise wins, not the latest insert.
    insert_alerts(
        store,
        &acme,
        &[alert_record(
            "c4",
            "cooling-off",
            "acme-inc",
            "2026-12-02T08:00:00Z",
        )],
    )
    .await;

    let cooling_off = last_alerts(store, &acme, "cooling-off").await;
    let unknown = last_alerts(store, &acme, "never-fired").await;

    assert_eq!(
        cooling_off,
        HashMap::from([
            ("acme-inc".to_string(), at("2026-12-03T12:00:00.250Z")),
            ("globex".to_string(), at("2026-12-02T09:00:00Z")),
        ]),
        "big-drop's later alert about acme-inc is another rule's"
    );
    assert_eq!(unknown, HashMap::new());
}

pub async fn alerts_of_one_workspace_are_invisible_from_another(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    let in_acme = alert_record("a1", "cooling-off", "big-co", "2026-12-01T10:00:00Z");
    let in_globex = alert_record("a1", "cooling-off", "big-co", "2026-12-02T10:00:00Z");
    let only_acme = alert_record("a2", "cooling-off", "other-co", "2026-12-01T11:00:00Z");

    let acme_new = insert_alerts(store, &acme, &[in_acme.clone(), only_acme.clone()]).await;
    let globex_new = insert_alerts(store, &globex, std::slice::from_ref(&in_globex)).await;
    let delivered_in_globex = AlertRecord {
        status: AlertStatus::Delivered,
        ..in_globex.clone()
    };
    update(store, &globex, &delivered_in_globex).await;
    let cross_update = store
        .update_alert(
            &globex,
            &AlertRecord {
                status: AlertStatus::Failed,
                ..only_acme.clone()
            },
        )
        .await;
    let globex_list = store
        .alerts(
            &globex,
            &AlertQuery {
                limit: 100,
                ..AlertQuery::default()
            },
        )
        .await
        .expect("listing globex's alerts");

    assert_eq!(
        (acme_new, globex_new),
        (
            vec!["a1".to_string(), "a2".to_string()],
            vec!["a1".to_string()]
        ),
        "alert ids are per workspace: acme's a1 is new to globex"
    );
    assert_eq!(
        read_alert(store, &acme, "a1").await,
        Some(in_acme),
        "untouched by globex"
    );
    assert_eq!(
        read_alert(store, &globex, "a1").await,
        Some(delivered_in_globex.clone())
    );
    assert!(
        cross_update.is_err(),
        "globex has no a2 to update, got {cross_update:?}"
    );
    assert_eq!(
        read_alert(store, &acme, "a2").await,
        Some(only_acme.clone())
    );
    assert_eq!(read_alert(store, &globex, "a2").await, None);
    assert_eq!(
        globex_list.items,
        vec![delivered_in_globex],
        "globex lists only its own alert"
    );
    assert_eq!(
        last_alerts(store, &globex, "cooling-off").await,
        HashMap::from([("big-co".to_string(), at("2026-12-02T10:00:00Z"))])
    );
    assert_eq!(
        last_alerts(store, &acme, "cooling-off").await,
        HashMap::from([
            ("big-co".to_string(), at("2026-12-01T10:00:00Z")),
            ("other-co".to_string(), at("2026-12-01T11:00:00Z")),
        ])
    );
}
