//! Checks: the alerts waiting for delivery, which the notifier drains across workspaces,
//! and the alert history the API pages through (SPEC §6 "every delivery attempt and
//! outcome is recorded and readable", §7 `GET /v1/alerts/deliveries`).

use chrono::Duration;

use super::fixtures::{alert_record, at, insert_alerts, new_workspace, read_alert, workspace_id};
use crate::{AlertQuery, AlertRecord, AlertStatus, Page, Store, StoreError};
use pulse_core::WorkspaceId;

fn with_status(mut alert: AlertRecord, status: AlertStatus, next: Option<&str>) -> AlertRecord {
    alert.status = status;
    alert.next_attempt_at = next.map(at);
    alert
}

async fn due(store: &dyn Store, now: &str, limit: usize) -> Vec<(String, String)> {
    store
        .due_alerts(at(now), limit)
        .await
        .unwrap_or_else(|error| panic!("reading the alerts due at {now}: {error}"))
        .into_iter()
        .map(|(workspace, alert)| (workspace.to_string(), alert.id))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(workspace, id)| (workspace.to_string(), id.to_string()))
        .collect()
}

pub async fn due_alerts_are_pending_or_retrying_and_due_across_workspaces_oldest_first(
    store: &dyn Store,
) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    let raised = |id: &str, time: &str| alert_record(id, "cooling-off", id, time);
    insert_alerts(
        store,
        &acme,
        &[
            raised("pending-old", "2026-12-01T08:00:00Z"),
            with_status(
                raised("retry-past", "2026-12-01T09:00:00Z"),
                AlertStatus::Retrying,
                Some("2026-12-02T11:59:00Z"),
            ),
            with_status(
                raised("retry-later", "2026-12-01T07:00:00Z"),
                AlertStatus::Retrying,
                Some("2026-12-02T12:00:00.001Z"),
            ),
            with_status(
                raised("delivered", "2026-12-01T06:00:00Z"),
                AlertStatus::Delivered,
                None,
            ),
            with_status(
                raised("failed", "2026-12-01T06:30:00Z"),
                AlertStatus::Failed,
                Some("2026-12-01T06:31:00Z"),
            ),
            with_status(
                raised("logged", "2026-12-01T06:45:00Z"),
                AlertStatus::Logged,
                None,
            ),
            raised("was-pending", "2026-12-01T05:00:00Z"),
            raised("was-retried", "2026-12-01T09:30:00Z"),
        ],
    )
    .await;
    insert_alerts(
        store,
        &globex,
        &[
            raised("pending-globex", "2026-12-01T08:30:00Z"),
            with_status(
                raised("retry-now", "2026-12-01T10:00:00Z"),
                AlertStatus::Retrying,
                Some("2026-12-02T12:00:00Z"),
            ),
            raised("pending-new", "2026-12-02T11:59:59Z"),
        ],
    )
    .await;
    for update in [
        with_status(
            raised("was-pending", "2026-12-01T05:00:00Z"),
            AlertStatus::Delivered,
            None,
        ),
        with_status(
            raised("was-retried", "2026-12-01T09:30:00Z"),
            AlertStatus::Retrying,
            Some("2026-12-02T13:00:00Z"),
        ),
    ] {
        store
            .update_alert(&acme, &update)
            .await
            .unwrap_or_else(|error| panic!("updating `{}`: {error}", update.id));
    }

    let at_noon = due(store, "2026-12-02T12:00:00Z", 100).await;
    let first_two = due(store, "2026-12-02T12:00:00Z", 2).await;
    let an_hour_later = due(store, "2026-12-02T13:00:00Z", 100).await;
    let full = store
        .due_alerts(at("2026-12-02T12:00:00Z"), 1)
        .await
        .expect("reading the first due alert");

    assert_eq!(
        at_noon,
        pairs(&[
            ("acme", "pending-old"),
            ("globex", "pending-globex"),
            ("acme", "retry-past"),
            ("globex", "retry-now"),
            ("globex", "pending-new"),
        ]),
        "pending ones and retrying ones due by now (inclusive), oldest raised first; not \
         retries due later, nor delivered, failed or logged ones, nor updated away"
    );
    assert_eq!(
        first_two,
        at_noon[..2].to_vec(),
        "the limit keeps the oldest"
    );
    assert_eq!(
        an_hour_later,
        pairs(&[
            ("acme", "retry-later"),
            ("acme", "pending-old"),
            ("globex", "pending-globex"),
            ("acme", "retry-past"),
            ("acme", "was-retried"),
            ("globex", "retry-now"),
            ("globex", "pending-new"),
        ]),
        "retries become due at their next attempt"
    );
    assert_eq!(
        full,
        vec![(
            workspace_id("acme"),
            read_alert(store, &acme, "pending-old")
                .await
                .expect("pending-old is recorded")
        )],
        "a due alert comes whole, with its workspace"
    );
}

async fn list(
    store: &dyn Store,
    workspace: &WorkspaceId,
    query: &AlertQuery,
) -> Result<Page<AlertRecord>, StoreError> {
    store.alerts(workspace, query).await
}

/// Follows `next_cursor` to the end; returns the ids of every page, in order.
async fn pages(store: &dyn Store, workspace: &WorkspaceId, query: &AlertQuery) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut query = query.clone();
    loop {
        let page = list(store, workspace, &query)
            .await
            .unwrap_or_else(|error| {
                panic!("listing page {} of {query:?}: {error}", pages.len() + 1)
            });
        assert!(
            page.items.len() <= query.limit,
            "a page of limit {} holds {} alerts",
            query.limit,
            page.items.len()
        );
        pages.push(page.items.into_iter().map(|alert| alert.id).collect());
        match page.next_cursor {
            Some(cursor) if pages.len() <= 1000 => query.cursor = Some(cursor),
            Some(_) => panic!("more than 1000 pages: the cursor never ends"),
            None => return pages,
        }
    }
}

fn query(status: Option<AlertStatus>, rule: Option<&str>, limit: usize) -> AlertQuery {
    AlertQuery {
        status,
        rule: rule.map(str::to_string),
        limit,
        cursor: None,
    }
}

pub async fn alerts_are_listed_newest_first_in_pages_covering_each_once(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let start = at("2026-12-01T10:00:00Z");
    let hours = [
        ("a", 0),
        ("b", 1),
        ("c", 2),
        ("d", 3),
        ("e", 3),
        ("f", 4),
        ("g", 5),
    ];
    let alerts: Vec<AlertRecord> = hours
        .iter()
        .map(|(id, hour)| AlertRecord {
            raised_at: start + Duration::hours(*hour),
            ..alert_record(id, "cooling-off", id, "2026-12-01T00:00:00Z")
        })
        .collect();
    // Inserted in neither time nor id order.
    for order in [[3, 0, 6], [1, 5, 4], [2, 2, 2]] {
        let some: Vec<AlertRecord> = order.iter().map(|index| alerts[*index].clone()).collect();
        insert_alerts(store, &acme, &some).await;
    }

    let whole = list(store, &acme, &query(None, None, 100))
        .await
        .expect("listing every alert");
    let whole_ids: Vec<String> = whole.items.iter().map(|alert| alert.id.clone()).collect();

    assert_eq!(
        whole.next_cursor, None,
        "everything fits in one page of 100"
    );
    assert_eq!(whole_ids[..2], ["g", "f"], "newest first: {whole_ids:?}");
    let mut tied = whole_ids[2..4].to_vec();
    tied.sort();
    assert_eq!(
        tied,
        ["d", "e"],
        "then the two raised at 13:00: {whole_ids:?}"
    );
    assert_eq!(whole_ids[4..], ["c", "b", "a"], "{whole_ids:?}");
    assert_eq!(whole.items[0], alerts[6], "listed alerts come whole");
    for limit in 1..=8 {
        let paged = pages(store, &acme, &query(None, None, limit)).await;

        assert_eq!(
            paged.len(),
            7usize.div_ceil(limit),
            "pages of {limit}: {paged:?}"
        );
        assert_eq!(
            paged.concat(),
            whole_ids,
            "pages of {limit} joined are the whole list, in order, each alert once"
        );
    }
}

pub async fn alerts_are_filtered_by_status_and_by_rule(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let raised = |id: &str, rule: &str, time: &str, status: AlertStatus| AlertRecord {
        status,
        ..alert_record(id, rule, id, time)
    };
    insert_alerts(
        store,
        &acme,
        &[
            raised("a", "r1", "2026-12-01T10:00:00Z", AlertStatus::Pending),
            raised("b", "r1", "2026-12-01T11:00:00Z", AlertStatus::Delivered),
            raised("c", "r2", "2026-12-01T12:00:00Z", AlertStatus::Failed),
            raised("d", "r2", "2026-12-01T13:00:00Z", AlertStatus::Delivered),
            raised("e", "r1", "2026-12-01T13:30:00Z", AlertStatus::Delivered),
            raised("f", "r2", "2026-12-01T14:00:00Z", AlertStatus::Pending),
            raised("g", "r1", "2026-12-01T15:00:00Z", AlertStatus::Logged),
        ],
    )
    .await;
    let ids = |pages: Vec<Vec<String>>| pages.concat();

    let delivered = ids(pages(
        store,
        &acme,
        &query(Some(AlertStatus::Delivered), None, 100),
    )
    .await);
    let of_r1 = ids(pages(store, &acme, &query(None, Some("r1"), 100)).await);
    let delivered_of_r1 = ids(pages(
        store,
        &acme,
        &query(Some(AlertStatus::Delivered), Some("r1"), 100),
    )
    .await);
    let retrying = ids(pages(store, &acme, &query(Some(AlertStatus::Retrying), None, 100)).await);
    let of_unknown = ids(pages(store, &acme, &query(None, Some("r3"), 100)).await);
    let of_r1_one_by_one = pages(store, &acme, &query(None, Some("r1"), 1)).await;

    assert_eq!(delivered, ["e", "d", "b"]);
    assert_eq!(of_r1, ["g", "e", "b", "a"]);
    assert_eq!(delivered_of_r1, ["e", "b"], "both filters at once");
    assert_eq!(retrying, Vec::<String>::new());
    assert_eq!(of_unknown, Vec::<String>::new());
    assert_eq!(
        of_r1_one_by_one,
        vec![vec!["g"], vec!["e"], vec!["b"], vec!["a"]],
        "a filtered list pages too"
    );
}

pub async fn an_alert_cursor_the_store_did_not_issue_is_refused_as_invalid(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    insert_alerts(
        store,
        &acme,
        &[
            alert_record("a", "r1", "acme-inc", "2026-12-01T10:00:00Z"),
            alert_record("b", "r1", "acme-inc", "2026-12-01T11:00:00Z"),
        ],
    )
    .await;

    for cursor in ["garbage", "!!!", "bm90LWEtY3Vyc29y", ""] {
        let result = list(
            store,
            &acme,
            &AlertQuery {
                cursor: Some(cursor.to_string()),
                ..query(None, None, 1)
            },
        )
        .await;

        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "the cursor {cursor:?} must be refused as Invalid (a 400), got {result:?}"
        );
    }
}
