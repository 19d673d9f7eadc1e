//! Checks: what alert evaluation reads back from computed days (SPEC §6 triggers compare a
//! day with the previous computed one): each subject's numbers on a day, the previous
//! computed day, the spans a day opened, and which subjects each extra rule matched.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use pulse_core::SubjectKind::{Accounts, Users};
use pulse_core::snapshot::SnapshotKeys;

use super::fixtures::{
    PROFILE, at, computation, day, keys, member, new_workspace, save, snapshot_of, span, spans,
};
use crate::{SpanFilter, Store};

/// Keys with every field set, so that a field an adapter drops or mixes up shows.
fn full_keys(score: f64, change: f64, activation: f64, last_seen: &str) -> SnapshotKeys {
    SnapshotKeys {
        score,
        raw_score: score * 2.5,
        score_change: Some(change),
        activation: Some(activation),
        frequency: 4.0,
        last_seen: Some(at(last_seen)),
        accounts: vec!["acme-inc".to_string(), "globex".to_string()],
        segments: vec!["engaged".to_string(), "red_hot".to_string()],
    }
}

/// Keys with every optional field missing.
fn bare_keys(score: f64) -> SnapshotKeys {
    SnapshotKeys {
        score,
        raw_score: 0.0,
        score_change: None,
        activation: None,
        frequency: 0.0,
        last_seen: None,
        accounts: Vec::new(),
        segments: Vec::new(),
    }
}

fn keyed(pairs: &[(&str, SnapshotKeys)]) -> HashMap<String, SnapshotKeys> {
    pairs
        .iter()
        .map(|(subject, keys)| (subject.to_string(), keys.clone()))
        .collect()
}

async fn keys_on(
    store: &dyn Store,
    workspace: &pulse_core::WorkspaceId,
    profile: &str,
    kind: pulse_core::SubjectKind,
    on: &str,
) -> HashMap<String, SnapshotKeys> {
    store
        .keys_on(workspace, profile, kind, day(on))
        .await
        .unwrap_or_else(|error| panic!("reading the {kind:?} keys of {profile} on {on}: {error}"))
}

pub async fn keys_on_returns_each_subjects_numbers_for_exactly_that_day(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let alice_1 = full_keys(60.0, 3.5, 66.7, "2026-12-01T16:20:11.500Z");
    let alice_2 = full_keys(72.5, -4.25, 100.0, "2026-12-02T09:00:00.125Z");
    let carol_2 = bare_keys(10.0);
    let acme_inc = full_keys(63.4, 12.1, 75.0, "2026-12-02T10:00:00Z");
    save(
        store,
        &acme,
        &computation(
            "2026-12-01",
            vec![
                snapshot_of("alice", alice_1.clone()),
                member("bob", 30.0, &["passive"]),
            ],
            vec![],
        ),
    )
    .await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![
                snapshot_of("alice", alice_2.clone()),
                snapshot_of("carol", carol_2.clone()),
            ],
            vec![snapshot_of("acme-inc", acme_inc.clone())],
        ),
    )
    .await;
    let mut trial = computation(
        "2026-12-02",
        vec![snapshot_of("alice", bare_keys(5.0))],
        vec![],
    );
    trial.profile = "trial".to_string();
    save(store, &acme, &trial).await;

    let users_day_1 = keys_on(store, &acme, PROFILE, Users, "2026-12-01").await;
    let users_day_2 = keys_on(store, &acme, PROFILE, Users, "2026-12-02").await;
    let accounts_day_1 = keys_on(store, &acme, PROFILE, Accounts, "2026-12-01").await;
    let accounts_day_2 = keys_on(store, &acme, PROFILE, Accounts, "2026-12-02").await;
    let uncomputed = keys_on(store, &acme, PROFILE, Users, "2026-12-03").await;
    let trial_day_2 = keys_on(store, &acme, "trial", Users, "2026-12-02").await;

    assert_eq!(
        users_day_1,
        keyed(&[("alice", alice_1), ("bob", keys(30.0, &["passive"]))]),
        "every field as saved, for that day only"
    );
    assert_eq!(
        users_day_2,
        keyed(&[("alice", alice_2), ("carol", carol_2)]),
        "missing values stay missing"
    );
    assert_eq!(accounts_day_1, HashMap::new());
    assert_eq!(
        accounts_day_2,
        keyed(&[("acme-inc", acme_inc)]),
        "accounts are read apart from users"
    );
    assert_eq!(uncomputed, HashMap::new(), "a day never computed");
    assert_eq!(
        trial_day_2,
        keyed(&[("alice", bare_keys(5.0))]),
        "another profile's day is its own"
    );
}

pub async fn keys_on_a_recomputed_day_are_the_latest_runs(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![
                member("alice", 40.0, &["passive"]),
                member("bob", 60.0, &["engaged"]),
            ],
            vec![],
        ),
    )
    .await;

    save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![member("alice", 80.0, &["most_engaged"])],
            vec![],
        ),
    )
    .await;
    let recomputed = keys_on(store, &acme, PROFILE, Users, "2026-12-02").await;

    assert_eq!(
        recomputed,
        keyed(&[("alice", keys(80.0, &["most_engaged"]))]),
        "bob was not in the second run"
    );
}

pub async fn previous_day_is_the_greatest_computed_day_strictly_before(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    for on in ["2026-12-07", "2026-12-01", "2026-12-03"] {
        save(store, &acme, &computation(on, vec![], vec![])).await;
    }
    let mut trial = computation("2026-12-06", vec![], vec![]);
    trial.profile = "trial".to_string();
    save(store, &acme, &trial).await;
    save(store, &globex, &computation("2026-12-05", vec![], vec![])).await;

    let mut previous = Vec::new();
    for on in [
        "2026-11-30",
        "2026-12-01",
        "2026-12-03",
        "2026-12-05",
        "2026-12-07",
        "2026-12-10",
    ] {
        let found = store
            .previous_day(&acme, PROFILE, day(on))
            .await
            .unwrap_or_else(|error| panic!("reading the day before {on}: {error}"));
        previous.push((on, found.map(|found| found.to_string())));
    }
    let trial_previous = store
        .previous_day(&acme, "trial", day("2026-12-07"))
        .await
        .expect("reading trial's previous day");

    assert_eq!(
        previous,
        vec![
            ("2026-11-30", None),
            ("2026-12-01", None),
            ("2026-12-03", Some("2026-12-01".to_string())),
            ("2026-12-05", Some("2026-12-03".to_string())),
            ("2026-12-07", Some("2026-12-03".to_string())),
            ("2026-12-10", Some("2026-12-07".to_string())),
        ],
        "strictly before, skipping days never computed, ignoring trial's 12-06 and globex's 12-05"
    );
    assert_eq!(trial_previous, Some(day("2026-12-06")));
}

pub async fn spans_entered_on_a_day_are_exactly_the_ones_that_day_opened(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-01",
            vec![
                member("alice", 60.0, &["engaged"]),
                member("bob", 55.0, &["engaged"]),
            ],
            vec![member("acme-inc", 60.0, &["engaged"])],
        ),
    )
    .await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![
                member("alice", 80.0, &["most_engaged", "red_hot"]),
                member("carol", 50.0, &["engaged"]),
            ],
            vec![member("acme-inc", 60.0, &["engaged"])],
        ),
    )
    .await;
    let mut trial = computation(
        "2026-12-02",
        vec![member("dave", 10.0, &["least_engaged"])],
        vec![],
    );
    trial.profile = "trial".to_string();
    save(store, &acme, &trial).await;

    let day_one = spans(
        store,
        &acme,
        Users,
        SpanFilter::EnteredOn(day("2026-12-01")),
    )
    .await;
    let day_two = spans(
        store,
        &acme,
        Users,
        SpanFilter::EnteredOn(day("2026-12-02")),
    )
    .await;
    let accounts_day_two = spans(
        store,
        &acme,
        Accounts,
        SpanFilter::EnteredOn(day("2026-12-02")),
    )
    .await;
    let day_three = spans(
        store,
        &acme,
        Users,
        SpanFilter::EnteredOn(day("2026-12-03")),
    )
    .await;

    assert_eq!(
        day_one,
        vec![
            span("engaged", "alice", "2026-12-01", Some("2026-12-02")),
            span("engaged", "bob", "2026-12-01", Some("2026-12-02")),
        ],
        "spans entered that day, closed since or not"
    );
    assert_eq!(
        day_two,
        vec![
            span("engaged", "carol", "2026-12-02", None),
            span("most_engaged", "alice", "2026-12-02", None),
            span("red_hot", "alice", "2026-12-02", None),
        ],
        "not the spans that day closed, nor another profile's"
    );
    assert_eq!(
        accounts_day_two,
        vec![],
        "acme-inc stayed in `engaged`: nothing entered"
    );
    assert_eq!(day_three, vec![]);
}

fn matches(rules: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
    rules
        .iter()
        .map(|(rule, subjects)| {
            (
                rule.to_string(),
                subjects.iter().map(|subject| subject.to_string()).collect(),
            )
        })
        .collect()
}

async fn put_matches(
    store: &dyn Store,
    workspace: &pulse_core::WorkspaceId,
    profile: &str,
    on: &str,
    rules: &BTreeMap<String, BTreeSet<String>>,
) {
    store
        .put_rule_matches(workspace, profile, day(on), rules)
        .await
        .unwrap_or_else(|error| panic!("saving the rule matches of {profile} on {on}: {error}"));
}

async fn read_matches(
    store: &dyn Store,
    workspace: &pulse_core::WorkspaceId,
    profile: &str,
    on: &str,
) -> BTreeMap<String, BTreeSet<String>> {
    store
        .rule_matches(workspace, profile, day(on))
        .await
        .unwrap_or_else(|error| panic!("reading the rule matches of {profile} on {on}: {error}"))
}

pub async fn rule_matches_are_kept_per_profile_and_day_and_replaced_whole(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let day_one = matches(&[
        ("alert:cooling-off:where", &["acme-inc", "globex"]),
        ("alert:big-drop:custom", &["initech"]),
    ]);
    let day_two = matches(&[("alert:cooling-off:where", &["acme-inc"])]);
    let trial_day_one = matches(&[("alert:cooling-off:where", &["u-9"])]);
    let corrected = matches(&[("alert:big-drop:custom", &["globex", "umbrella"])]);
    put_matches(store, &acme, PROFILE, "2026-12-01", &day_one).await;
    put_matches(store, &acme, PROFILE, "2026-12-02", &day_two).await;
    put_matches(store, &acme, "trial", "2026-12-01", &trial_day_one).await;
    let first_read = read_matches(store, &acme, PROFILE, "2026-12-01").await;

    put_matches(store, &acme, PROFILE, "2026-12-01", &corrected).await;

    assert_eq!(first_read, day_one);
    assert_eq!(
        read_matches(store, &acme, PROFILE, "2026-12-01").await,
        corrected,
        "saving a day again replaces all its rules: `cooling-off` is gone"
    );
    assert_eq!(
        read_matches(store, &acme, PROFILE, "2026-12-02").await,
        day_two,
        "other days are separate"
    );
    assert_eq!(
        read_matches(store, &acme, "trial", "2026-12-01").await,
        trial_day_one,
        "other profiles are separate"
    );
    assert_eq!(
        read_matches(store, &acme, PROFILE, "2026-12-03").await,
        BTreeMap::new(),
        "a day never saved"
    );
}

pub async fn rule_matches_of_one_workspace_are_invisible_from_another(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    let acme_matches = matches(&[("alert:cooling-off:where", &["acme-inc"])]);
    let globex_matches = matches(&[("alert:cooling-off:where", &["big-co"])]);
    put_matches(store, &acme, PROFILE, "2026-12-01", &acme_matches).await;
    put_matches(store, &globex, PROFILE, "2026-12-01", &globex_matches).await;

    put_matches(store, &globex, PROFILE, "2026-12-02", &globex_matches).await;
    put_matches(store, &globex, PROFILE, "2026-12-01", &BTreeMap::new()).await;

    assert_eq!(
        read_matches(store, &acme, PROFILE, "2026-12-01").await,
        acme_matches,
        "globex replacing its own day leaves acme's as it was"
    );
    assert_eq!(
        read_matches(store, &acme, PROFILE, "2026-12-02").await,
        BTreeMap::new(),
        "globex's day is not acme's"
    );
    assert_eq!(
        read_matches(store, &globex, PROFILE, "2026-12-01").await,
        BTreeMap::new()
    );
}
