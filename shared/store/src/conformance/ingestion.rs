//! Checks: usage aggregates and message-id de-duplication (SPEC §2).

use serde_json::json;

use super::fixtures::{
    at, batch, canonical, daily_count, day, group, identify, identity, ingest, lifetime,
    new_workspace, received_later, scoring_data, track,
};
use crate::{IngestOutcome, Store};

pub async fn a_batch_is_aggregated_per_identity_day_and_event(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let calls = batch(
        "2026-12-03T10:00:00Z",
        &[
            identify("m1", "u-1", json!({"plan": "pro"}), "2026-11-30T08:00:00Z"),
            track("m2", "u-1", "Report Created", "2026-12-01T10:00:00.123Z"),
            track("m3", "u-1", "Report Created", "2026-12-01T15:30:00Z"),
            track("m4", "u-1", "Invite Sent", "2026-12-01T16:00:00Z"),
            track("m5", "u-1", "Report Created", "2026-12-02T09:00:00Z"),
            json!({"type": "page", "messageId": "m6", "userId": "u-1", "name": "Home",
                   "timestamp": "2026-12-02T12:00:00Z"}),
            track("m7", "u-2", "Report Created", "2026-12-02T11:00:00.250Z"),
            identify("m8", "u-1", json!({"seats": 3}), "2026-12-03T08:00:00Z"),
        ],
    );

    let outcome = ingest(store, &acme, &calls).await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    assert_eq!((outcome.stored, outcome.duplicates), (8, 0));
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-01", "Report Created"),
        2,
        "same day, same event: summed"
    );
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-02", "Report Created"),
        1
    );
    assert_eq!(daily_count(&data, "u:u-1", "2026-12-01", "Invite Sent"), 1);
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-02", "Viewed Page"),
        1,
        "a page call is `Viewed Page`"
    );
    assert_eq!(
        daily_count(&data, "u:u-2", "2026-12-02", "Report Created"),
        1
    );
    assert_eq!(
        daily_count(&data, "u:u-2", "2026-12-01", "Report Created"),
        0
    );
    let reports = lifetime(&data, "u:u-1", "Report Created");
    assert_eq!(
        (reports.count, reports.first_day, reports.last_day),
        (3, day("2026-12-01"), day("2026-12-02"))
    );
    let user = identity(&data, "u:u-1");
    assert_eq!(
        user.first_seen,
        Some(at("2026-11-30T08:00:00Z")),
        "first seen: the earliest call of any kind"
    );
    assert_eq!(
        user.last_event,
        Some(at("2026-12-02T12:00:00Z")),
        "last event: the latest event, not the later identify"
    );
    assert_eq!(
        user.event_days,
        vec![day("2026-12-01"), day("2026-12-02")],
        "days with an event, ascending"
    );
    let other = identity(&data, "u:u-2");
    assert_eq!(
        other.first_seen,
        Some(at("2026-12-02T11:00:00.250Z")),
        "times keep their milliseconds"
    );
    assert_eq!(other.last_event, other.first_seen);
}

pub async fn aggregates_add_up_across_batches(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T18:00:00Z",
            &[
                track("m1", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
                track("m2", "u-1", "Report Created", "2026-12-01T11:00:00Z"),
            ],
        ),
    )
    .await;

    // A late batch: one event older than everything seen, one newer.
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-03T18:00:00Z",
            &[
                track("m3", "u-1", "Report Created", "2026-11-28T07:00:00Z"),
                track("m4", "u-1", "Report Created", "2026-12-01T20:00:00Z"),
                track("m5", "u-1", "Report Created", "2026-12-03T09:00:00Z"),
            ],
        ),
    )
    .await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-01", "Report Created"),
        3
    );
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-11-28", "Report Created"),
        1
    );
    let reports = lifetime(&data, "u:u-1", "Report Created");
    assert_eq!(
        (reports.count, reports.first_day, reports.last_day),
        (5, day("2026-11-28"), day("2026-12-03"))
    );
    let user = identity(&data, "u:u-1");
    assert_eq!(
        user.first_seen,
        Some(at("2026-11-28T07:00:00Z")),
        "first seen moves back"
    );
    assert_eq!(
        user.last_event,
        Some(at("2026-12-03T09:00:00Z")),
        "last event moves forward"
    );
    assert_eq!(
        user.event_days,
        vec![day("2026-11-28"), day("2026-12-01"), day("2026-12-03")]
    );
}

pub async fn daily_usage_is_read_from_the_requested_day_on(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T18:00:00Z",
            &[
                track("m1", "u-1", "Report Created", "2026-11-20T10:00:00Z"),
                track("m2", "u-1", "Report Created", "2026-11-25T00:00:00Z"),
                track("m3", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
            ],
        ),
    )
    .await;

    let data = scoring_data(store, &acme, "2026-11-25").await;

    let days: Vec<String> = data
        .usage
        .iter()
        .map(|usage| usage.day.to_string())
        .collect();
    assert!(
        !days.contains(&"2026-11-20".to_string()),
        "usage before the requested day was returned: {days:?}"
    );
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-11-25", "Report Created"),
        1,
        "the requested day itself is included"
    );
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-01", "Report Created"),
        1
    );
    assert_eq!(
        lifetime(&data, "u:u-1", "Report Created").count,
        3,
        "lifetime counts keep everything"
    );
}

pub async fn a_retried_batch_is_counted_once(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let calls = batch(
        "2026-12-01T18:00:00Z",
        &[
            group(
                "m1",
                "u-1",
                "acme-inc",
                json!({"name": "Acme Inc"}),
                "2026-12-01T09:00:00Z",
            ),
            track("m2", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
            track("m3", "u-2", "Invite Sent", "2026-12-01T11:00:00Z"),
        ],
    );
    let first = ingest(store, &acme, &calls).await;
    let before = canonical(scoring_data(store, &acme, "2026-11-01").await);

    let retry = ingest(store, &acme, &received_later(&calls, 0)).await;
    let after = canonical(scoring_data(store, &acme, "2026-11-01").await);

    assert_eq!((first.stored, first.duplicates), (3, 0));
    assert!(
        !first.changes.is_empty(),
        "the first delivery created an account"
    );
    assert_eq!(
        retry,
        IngestOutcome {
            stored: 0,
            duplicates: 3,
            changes: vec![]
        },
        "a retry stores nothing and changes nothing"
    );
    assert_eq!(after, before, "the retry changed the stored data");
}

pub async fn a_message_id_repeated_inside_one_batch_counts_once(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let calls = batch(
        "2026-12-01T18:00:00Z",
        &[
            track("m1", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
            track("m1", "u-1", "Invite Sent", "2026-12-01T10:00:01Z"),
            track("m2", "u-1", "Report Created", "2026-12-01T10:00:02Z"),
        ],
    );

    let outcome = ingest(store, &acme, &calls).await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    assert_eq!((outcome.stored, outcome.duplicates), (2, 1));
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-01", "Report Created"),
        2
    );
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-01", "Invite Sent"),
        0,
        "the repeated id's second call was stored"
    );
}

pub async fn a_message_id_older_than_seven_days_is_accepted_again(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let calls = batch(
        "2026-12-01T18:00:00Z",
        &[
            track("m1", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
            track("m2", "u-1", "Report Created", "2026-12-01T11:00:00Z"),
        ],
    );
    ingest(store, &acme, &calls).await;

    let six_days_later = ingest(store, &acme, &received_later(&calls, 6)).await;
    let eight_days_later = ingest(store, &acme, &received_later(&calls, 8)).await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    assert_eq!(
        (six_days_later.stored, six_days_later.duplicates),
        (0, 2),
        "within 7 days: duplicates"
    );
    assert_eq!(
        (eight_days_later.stored, eight_days_later.duplicates),
        (2, 0),
        "8 days after the ids were accepted they no longer de-duplicate (a duplicate does not renew them)"
    );
    assert_eq!(
        daily_count(&data, "u:u-1", "2026-12-01", "Report Created"),
        4
    );
}

pub async fn purging_message_ids_forgets_the_old_ones_and_counts_them(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    let old = batch(
        "2026-11-01T12:00:00Z",
        &[
            track("m1", "u-1", "Report Created", "2026-11-01T10:00:00Z"),
            track("m2", "u-1", "Report Created", "2026-11-01T11:00:00Z"),
        ],
    );
    let recent = batch(
        "2026-11-05T12:00:00Z",
        &[track("m3", "u-1", "Report Created", "2026-11-05T10:00:00Z")],
    );
    ingest(store, &acme, &old).await;
    ingest(store, &acme, &recent).await;
    ingest(
        store,
        &globex,
        &batch(
            "2026-11-01T12:00:00Z",
            &[track("m1", "u-9", "Invite Sent", "2026-11-01T10:00:00Z")],
        ),
    )
    .await;

    let purged = store
        .purge_message_ids(at("2026-11-03T00:00:00Z"))
        .await
        .expect("purging");
    let old_again = ingest(store, &acme, &received_later(&old, 5)).await;
    let recent_again = ingest(store, &acme, &received_later(&recent, 1)).await;
    let purged_again = store
        .purge_message_ids(at("2026-11-03T00:00:00Z"))
        .await
        .expect("purging again");

    assert_eq!(
        purged, 3,
        "the ids accepted before the cut-off, in every workspace"
    );
    assert_eq!(
        (old_again.stored, old_again.duplicates),
        (2, 0),
        "purged ids no longer de-duplicate"
    );
    assert_eq!(
        (recent_again.stored, recent_again.duplicates),
        (0, 1),
        "ids after the cut-off are kept"
    );
    assert_eq!(purged_again, 0, "re-accepted ids carry their new time");
}
