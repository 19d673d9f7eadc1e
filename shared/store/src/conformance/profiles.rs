//! Checks: scoring profiles, and that deleting one takes its results with it.

use pulse_core::SubjectKind;

use super::fixtures::{
    PROFILE, computation, day, list, member, new_workspace, profile, save, spans, transition,
};
use crate::{SortField, SpanFilter, Store};

pub async fn a_profile_is_stored_read_listed_and_replaced(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    store
        .put_profile(&acme, &profile("trial", "Trial users"))
        .await
        .expect("put trial");
    store
        .put_profile(&acme, &profile(PROFILE, "CS Scoring Profile"))
        .await
        .expect("put cs");

    store
        .put_profile(&acme, &profile(PROFILE, "CS Scoring Profile v2"))
        .await
        .expect("replace cs");
    let cs = store.profile(&acme, PROFILE).await.expect("read cs");
    let mut all = store.profiles(&acme).await.expect("list");
    all.sort_by(|a, b| a.id.cmp(&b.id));

    assert_eq!(
        cs,
        Some(profile(PROFILE, "CS Scoring Profile v2")),
        "a put replaces the profile whole"
    );
    assert_eq!(
        all,
        vec![
            profile(PROFILE, "CS Scoring Profile v2"),
            profile("trial", "Trial users")
        ]
    );
    assert_eq!(store.profile(&acme, "admins").await.expect("read"), None);
}

pub async fn deleting_a_profile_removes_it_and_its_results(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    store
        .put_profile(&acme, &profile(PROFILE, "CS"))
        .await
        .expect("put cs");
    store
        .put_profile(&acme, &profile("trial", "Trials"))
        .await
        .expect("put trial");
    let alice = || vec![member("alice", 80.0, &["most_engaged"])];
    let accounts = || vec![member("acme-inc", 60.0, &["engaged"])];
    save(
        store,
        &acme,
        &computation("2026-12-01", alice(), accounts()),
    )
    .await;
    save(
        store,
        &acme,
        &computation("2026-12-02", alice(), accounts()),
    )
    .await;
    let mut trial_day = computation("2026-12-01", alice(), vec![]);
    trial_day.profile = "trial".to_string();
    save(store, &acme, &trial_day).await;

    let deleted = store
        .delete_profile(&acme, PROFILE)
        .await
        .expect("delete cs");

    let on = day("2026-12-02");
    assert!(deleted);
    assert_eq!(store.profile(&acme, PROFILE).await.expect("read"), None);
    assert_eq!(
        store.profiles(&acme).await.expect("list"),
        vec![profile("trial", "Trials")]
    );
    assert_eq!(
        store.latest_day(&acme, PROFILE).await.expect("latest"),
        None,
        "its computed days remain"
    );
    assert_eq!(
        store
            .snapshot(&acme, PROFILE, SubjectKind::Users, "alice", on)
            .await
            .expect("read"),
        None
    );
    assert!(
        store
            .scores_on(&acme, PROFILE, SubjectKind::Accounts, on)
            .await
            .expect("scores")
            .is_empty()
    );
    let page = store
        .snapshots(
            &acme,
            PROFILE,
            SubjectKind::Users,
            on,
            &list(SortField::Id, false, 10),
        )
        .await
        .expect("list");
    assert!(page.items.is_empty(), "its snapshots remain listed");
    let history = store
        .history(
            &acme,
            PROFILE,
            SubjectKind::Users,
            "alice",
            day("2026-11-01"),
            on,
        )
        .await
        .expect("history");
    assert!(history.is_empty(), "its history remains: {history:?}");
    assert!(
        spans(
            store,
            &acme,
            SubjectKind::Users,
            SpanFilter::Subject("alice")
        )
        .await
        .is_empty()
    );
    assert!(
        spans(
            store,
            &acme,
            SubjectKind::Accounts,
            SpanFilter::Segment("engaged")
        )
        .await
        .is_empty()
    );
    assert_eq!(
        store.latest_day(&acme, "trial").await.expect("latest"),
        Some(day("2026-12-01")),
        "another profile's results were deleted"
    );
}

pub async fn a_profile_created_again_after_a_delete_starts_afresh(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    store
        .put_profile(&acme, &profile(PROFILE, "CS"))
        .await
        .expect("put");
    save(
        store,
        &acme,
        &computation(
            "2026-12-01",
            vec![member("alice", 80.0, &["most_engaged"])],
            vec![],
        ),
    )
    .await;
    store.delete_profile(&acme, PROFILE).await.expect("delete");

    store
        .put_profile(&acme, &profile(PROFILE, "CS again"))
        .await
        .expect("put again");
    let transitions = save(
        store,
        &acme,
        &computation(
            "2026-11-20",
            vec![member("alice", 80.0, &["most_engaged"])],
            vec![],
        ),
    )
    .await;

    assert_eq!(
        transitions,
        vec![transition(
            SubjectKind::Users,
            "most_engaged",
            "alice",
            "2026-11-20",
            true
        )],
        "the deleted profile's days and spans must not shape the new one's"
    );
    assert_eq!(
        store.latest_day(&acme, PROFILE).await.expect("latest"),
        Some(day("2026-11-20"))
    );
}

pub async fn deleting_a_missing_profile_reports_false(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    store
        .put_profile(&acme, &profile(PROFILE, "CS"))
        .await
        .expect("put");

    let missing = store
        .delete_profile(&acme, "nope")
        .await
        .expect("delete a missing profile");
    let first = store.delete_profile(&acme, PROFILE).await.expect("delete");
    let second = store
        .delete_profile(&acme, PROFILE)
        .await
        .expect("delete again");

    assert!(!missing, "there was no profile `nope`");
    assert!(first);
    assert!(!second, "a second delete finds nothing");
}
