//! Checks: saving computed days and reading them back (SPEC §4 history, §7 single items):
//! latest day, scores, snapshots, replacing a day, segment sizes and history.

use std::collections::HashMap;

use pulse_core::{SubjectKind, WorkspaceId};

use super::fixtures::{PROFILE, computation, day, list, member, new_workspace, save};
use super::sample_day::{DAY, five_users, list_ids, two_accounts, user};
use crate::{HistoryPoint, ListQuery, SortField, Store};

async fn history(
    store: &dyn Store,
    workspace: &WorkspaceId,
    kind: SubjectKind,
    subject: &str,
    from: &str,
    to: &str,
) -> Vec<HistoryPoint> {
    store
        .history(workspace, PROFILE, kind, subject, day(from), day(to))
        .await
        .unwrap_or_else(|error| panic!("reading the history of {subject}: {error}"))
}

pub async fn a_saved_day_reads_back_as_latest_scores_and_snapshots(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let users = five_users();
    let accounts = two_accounts();

    save(
        store,
        &acme,
        &computation(DAY, users.clone(), accounts.clone()),
    )
    .await;

    let on = day(DAY);
    assert_eq!(
        store.latest_day(&acme, PROFILE).await.expect("latest"),
        Some(on)
    );
    assert_eq!(
        store.latest_day(&acme, "other").await.expect("latest"),
        None,
        "another profile has no days"
    );
    let user_scores = store
        .scores_on(&acme, PROFILE, SubjectKind::Users, on)
        .await
        .expect("scores");
    let expected: HashMap<String, f64> = users
        .iter()
        .map(|s| (s.subject.clone(), s.keys.score))
        .collect();
    assert_eq!(user_scores, expected);
    let account_scores = store
        .scores_on(&acme, PROFILE, SubjectKind::Accounts, on)
        .await
        .expect("scores");
    assert_eq!(
        account_scores,
        HashMap::from([("acme".to_string(), 72.5), ("globex".to_string(), 41.25)])
    );
    assert!(
        store
            .scores_on(&acme, PROFILE, SubjectKind::Users, on.plus(-1))
            .await
            .expect("scores")
            .is_empty()
    );
    let carol = store
        .snapshot(&acme, PROFILE, SubjectKind::Users, "carol", on)
        .await
        .expect("read");
    assert_eq!(
        carol,
        Some(serde_json::from_str(&users[2].body).unwrap()),
        "the stored body comes back as it was"
    );
    let acme_account = store
        .snapshot(&acme, PROFILE, SubjectKind::Accounts, "acme", on)
        .await
        .expect("read");
    assert_eq!(
        acme_account,
        Some(serde_json::from_str(&accounts[0].body).unwrap())
    );
    let wrong_kind = store
        .snapshot(&acme, PROFILE, SubjectKind::Accounts, "carol", on)
        .await
        .expect("read");
    assert_eq!(wrong_kind, None, "users and accounts are separate");
    let wrong_day = store
        .snapshot(&acme, PROFILE, SubjectKind::Users, "carol", on.plus(1))
        .await
        .expect("read");
    assert_eq!(wrong_day, None);
    let listed = list_ids(
        store,
        &acme,
        SubjectKind::Accounts,
        &list(SortField::Id, false, 10),
    )
    .await;
    assert_eq!(
        listed,
        vec!["acme", "globex"],
        "an account list holds accounts only"
    );
}

pub async fn the_latest_day_is_the_greatest_saved_whatever_the_order(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;

    for on in ["2026-12-03", "2026-12-01", "2026-12-02"] {
        save(
            store,
            &acme,
            &computation(on, vec![member("alice", 50.0, &[])], vec![]),
        )
        .await;
    }

    assert_eq!(
        store.latest_day(&acme, PROFILE).await.expect("latest"),
        Some(day("2026-12-03"))
    );
}

pub async fn saving_a_day_again_replaces_it(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let first = five_users();
    save(store, &acme, &computation(DAY, first, two_accounts())).await;

    let alice_now = user(
        "alice",
        60.0,
        240.0,
        Some(-40.0),
        Some(100.0),
        4.0,
        None,
        &["initech"],
        &["engaged"],
    );
    let frank = user(
        "frank",
        30.0,
        120.0,
        None,
        None,
        1.0,
        None,
        &["acme"],
        &["passive"],
    );
    save(
        store,
        &acme,
        &computation(DAY, vec![alice_now.clone(), frank], vec![]),
    )
    .await;

    let on = day(DAY);
    let listed = list_ids(
        store,
        &acme,
        SubjectKind::Users,
        &list(SortField::Id, false, 100),
    )
    .await;
    assert_eq!(
        listed,
        vec!["alice", "frank"],
        "the day holds the new computation only, each subject once"
    );
    let scores = store
        .scores_on(&acme, PROFILE, SubjectKind::Users, on)
        .await
        .expect("scores");
    assert_eq!(
        scores,
        HashMap::from([("alice".to_string(), 60.0), ("frank".to_string(), 30.0)])
    );
    assert!(
        store
            .scores_on(&acme, PROFILE, SubjectKind::Accounts, on)
            .await
            .expect("scores")
            .is_empty()
    );
    assert_eq!(
        store
            .snapshot(&acme, PROFILE, SubjectKind::Users, "alice", on)
            .await
            .expect("read"),
        Some(serde_json::from_str(&alice_now.body).unwrap())
    );
    assert_eq!(
        store
            .snapshot(&acme, PROFILE, SubjectKind::Users, "bob", on)
            .await
            .expect("read"),
        None,
        "bob is gone"
    );
    let in_segment = |segment: &str| ListQuery {
        segment: Some(segment.into()),
        ..list(SortField::Id, false, 100)
    };
    let in_account = |account: &str| ListQuery {
        account: Some(account.into()),
        ..list(SortField::Id, false, 100)
    };
    assert!(
        list_ids(
            store,
            &acme,
            SubjectKind::Users,
            &in_segment("most_engaged")
        )
        .await
        .is_empty(),
        "an old segment filter still matches"
    );
    assert_eq!(
        list_ids(store, &acme, SubjectKind::Users, &in_segment("engaged")).await,
        vec!["alice"]
    );
    assert_eq!(
        list_ids(store, &acme, SubjectKind::Users, &in_account("acme")).await,
        vec!["frank"],
        "an old account filter still matches"
    );
    let sizes = store
        .segment_sizes(&acme, PROFILE, SubjectKind::Users, on)
        .await
        .expect("sizes");
    assert_eq!(
        sizes,
        HashMap::from([("engaged".to_string(), 1), ("passive".to_string(), 1)]),
        "segment sizes count the replaced day's members"
    );
    let bob = store
        .history(&acme, PROFILE, SubjectKind::Users, "bob", on, on)
        .await
        .expect("history");
    assert!(
        bob.is_empty(),
        "bob's replaced day is still in his history: {bob:?}"
    );
    let alice = store
        .history(&acme, PROFILE, SubjectKind::Users, "alice", on, on)
        .await
        .expect("history");
    assert_eq!(alice.len(), 1);
    assert_eq!((alice[0].score, alice[0].score_change), (60.0, Some(-40.0)));
}

pub async fn segment_sizes_count_each_segments_subjects_on_a_day(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(DAY, five_users(), two_accounts()),
    )
    .await;
    save(
        store,
        &acme,
        &computation(
            "2026-11-30",
            vec![member("alice", 10.0, &["least_engaged"])],
            vec![],
        ),
    )
    .await;

    let on = day(DAY);
    let users = store
        .segment_sizes(&acme, PROFILE, SubjectKind::Users, on)
        .await
        .expect("sizes");
    let accounts = store
        .segment_sizes(&acme, PROFILE, SubjectKind::Accounts, on)
        .await
        .expect("sizes");
    let day_before = store
        .segment_sizes(&acme, PROFILE, SubjectKind::Users, on.plus(-1))
        .await
        .expect("sizes");
    let no_day = store
        .segment_sizes(&acme, PROFILE, SubjectKind::Users, on.plus(1))
        .await
        .expect("sizes");

    let sizes = |pairs: &[(&str, u64)]| -> HashMap<String, u64> {
        pairs
            .iter()
            .map(|(segment, size)| (segment.to_string(), *size))
            .collect()
    };
    assert_eq!(
        users,
        sizes(&[
            ("most_engaged", 1),
            ("activated", 1),
            ("engaged", 2),
            ("least_engaged", 2),
            ("new", 1),
            ("red_hot", 1),
        ])
    );
    assert_eq!(
        accounts,
        sizes(&[("engaged", 1), ("multi_user", 1), ("passive", 1)])
    );
    assert_eq!(
        day_before,
        sizes(&[("least_engaged", 1)]),
        "each day counts its own members"
    );
    assert!(
        no_day.is_empty(),
        "a day never computed has no segments: {no_day:?}"
    );
}

pub async fn history_lists_a_subjects_days_in_range_oldest_first(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let alice = |score: f64, change: Option<f64>, segments: &[&str]| {
        user(
            "alice",
            score,
            score * 4.0,
            change,
            Some(score / 2.0),
            3.0,
            None,
            &[],
            segments,
        )
    };
    let bob = || member("bob", 20.0, &["least_engaged"]);
    let days = [
        (
            "2026-12-03",
            vec![alice(70.0, Some(10.0), &["engaged"]), bob()],
        ),
        ("2026-11-30", vec![alice(40.0, None, &["passive"]), bob()]),
        (
            "2026-12-04",
            vec![alice(80.0, Some(10.0), &["most_engaged"]), bob()],
        ),
        (
            "2026-12-01",
            vec![alice(55.0, Some(15.0), &["engaged", "red_hot"])],
        ),
        (
            "2026-12-02",
            vec![alice(60.0, Some(5.0), &["engaged"]), bob()],
        ),
    ];
    for (on, users) in days {
        save(store, &acme, &computation(on, users, vec![])).await;
    }

    let middle = history(
        store,
        &acme,
        SubjectKind::Users,
        "alice",
        "2026-12-01",
        "2026-12-03",
    )
    .await;
    let one_day = history(
        store,
        &acme,
        SubjectKind::Users,
        "alice",
        "2026-12-02",
        "2026-12-02",
    )
    .await;
    let bob_all = history(
        store,
        &acme,
        SubjectKind::Users,
        "bob",
        "2026-11-01",
        "2026-12-31",
    )
    .await;
    let as_account = history(
        store,
        &acme,
        SubjectKind::Accounts,
        "alice",
        "2026-11-01",
        "2026-12-31",
    )
    .await;

    let days_of = |points: &[HistoryPoint]| {
        points
            .iter()
            .map(|point| point.day.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        days_of(&middle),
        vec!["2026-12-01", "2026-12-02", "2026-12-03"],
        "inclusive range, oldest first"
    );
    assert_eq!(middle[0].score, 55.0);
    assert_eq!(middle[0].score_change, Some(15.0));
    assert_eq!(middle[0].activation, Some(27.5));
    assert_eq!(
        middle[0].segments,
        vec!["engaged".to_string(), "red_hot".to_string()]
    );
    assert_eq!((middle[1].score, middle[2].score), (60.0, 70.0));
    assert_eq!(days_of(&one_day), vec!["2026-12-02"]);
    assert_eq!(
        days_of(&bob_all),
        vec!["2026-11-30", "2026-12-02", "2026-12-03", "2026-12-04"],
        "only the days bob was computed"
    );
    assert!(
        as_account.is_empty(),
        "a user's history is not an account's"
    );
}
