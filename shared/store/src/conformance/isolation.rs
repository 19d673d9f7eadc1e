//! Checks: no read or write of one workspace reaches another (SPEC §1), even when both use
//! the same user, account, message, profile and subject ids.

use pulse_core::SubjectKind;
use serde_json::json;

use super::fixtures::{
    PROFILE, batch, computation, daily_count, day, group, identity, ingest, list, member,
    new_workspace, profile, save, scoring_data, spans, track,
};
use crate::{SortField, SpanFilter, Store};

pub async fn usage_of_one_workspace_is_invisible_from_another(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    let empty = new_workspace(store, "empty").await;
    let shared_calls = [
        group(
            "m1",
            "u-1",
            "big-co",
            json!({"plan": "pro"}),
            "2026-12-01T09:00:00Z",
        ),
        track("m2", "u-1", "Report Created", "2026-12-01T10:00:00Z"),
    ];
    ingest(store, &acme, &batch("2026-12-01T18:00:00Z", &shared_calls)).await;

    let in_globex = ingest(
        store,
        &globex,
        &batch("2026-12-01T18:00:00Z", &shared_calls),
    )
    .await;
    ingest(
        store,
        &globex,
        &batch(
            "2026-12-01T19:00:00Z",
            &[
                track("m3", "u-1", "Report Created", "2026-12-01T11:00:00Z"),
                track("m4", "u-2", "Invite Sent", "2026-12-01T12:00:00Z"),
            ],
        ),
    )
    .await;
    let acme_data = scoring_data(store, &acme, "2026-11-01").await;
    let globex_data = scoring_data(store, &globex, "2026-11-01").await;
    let empty_data = scoring_data(store, &empty, "2026-11-01").await;

    assert_eq!(
        (in_globex.stored, in_globex.duplicates),
        (2, 0),
        "message ids de-duplicate per workspace: acme's ids are new to globex"
    );
    assert_eq!(
        in_globex.changes.len(),
        2,
        "big-co is a new account in globex too"
    );
    assert_eq!(
        daily_count(&acme_data, "u:u-1", "2026-12-01", "Report Created"),
        1
    );
    assert_eq!(
        daily_count(&globex_data, "u:u-1", "2026-12-01", "Report Created"),
        2
    );
    assert_eq!(
        acme_data.identities.len(),
        1,
        "globex's u-2 leaked into acme: {:?}",
        acme_data.identities
    );
    assert_eq!(
        acme_data.lifetime.len(),
        1,
        "globex's usage leaked into acme: {:?}",
        acme_data.lifetime
    );
    assert_eq!(
        identity(&acme_data, "u:u-1").account_ids(),
        vec!["big-co".to_string()]
    );
    assert!(
        empty_data.identities.is_empty()
            && empty_data.accounts.is_empty()
            && empty_data.usage.is_empty()
            && empty_data.lifetime.is_empty(),
        "a workspace without calls sees nothing: {empty_data:?}"
    );
}

pub async fn profiles_of_one_workspace_are_invisible_from_another(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    let empty = new_workspace(store, "empty").await;
    store
        .put_profile(&acme, &profile(PROFILE, "Acme scoring"))
        .await
        .expect("put");
    store
        .put_profile(&globex, &profile(PROFILE, "Globex scoring"))
        .await
        .expect("put");
    store
        .put_profile(&globex, &profile("trial", "Globex trials"))
        .await
        .expect("put");

    let deleted = store.delete_profile(&acme, PROFILE).await.expect("delete");

    assert!(deleted);
    assert_eq!(store.profile(&acme, PROFILE).await.expect("read"), None);
    assert_eq!(
        store.profile(&globex, PROFILE).await.expect("read"),
        Some(profile(PROFILE, "Globex scoring")),
        "deleting acme's `cs` deleted globex's"
    );
    assert_eq!(store.profiles(&globex).await.expect("list").len(), 2);
    assert_eq!(store.profiles(&empty).await.expect("list"), vec![]);
    assert_eq!(store.profile(&empty, "trial").await.expect("read"), None);
}

pub async fn results_of_one_workspace_are_invisible_from_another(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let globex = new_workspace(store, "globex").await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![member("alice", 90.0, &["most_engaged"])],
            vec![],
        ),
    )
    .await;

    let globex_transitions = save(
        store,
        &globex,
        &computation(
            "2026-12-01",
            vec![member("alice", 10.0, &["least_engaged"])],
            vec![],
        ),
    )
    .await;
    let acme_again = save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![member("alice", 90.0, &["most_engaged"])],
            vec![],
        ),
    )
    .await;

    assert_eq!(
        globex_transitions.len(),
        1,
        "alice entered least_engaged in globex whatever acme holds"
    );
    assert_eq!(
        acme_again,
        vec![],
        "globex's save changed acme's segment spans"
    );
    assert_eq!(
        store.latest_day(&acme, PROFILE).await.expect("latest"),
        Some(day("2026-12-02"))
    );
    assert_eq!(
        store.latest_day(&globex, PROFILE).await.expect("latest"),
        Some(day("2026-12-01"))
    );
    let read =
        |workspace, on| store.snapshot(workspace, PROFILE, SubjectKind::Users, "alice", day(on));
    assert_eq!(
        read(&globex, "2026-12-02").await.expect("read"),
        None,
        "acme's day seen from globex"
    );
    assert_eq!(
        read(&acme, "2026-12-01").await.expect("read"),
        None,
        "globex's day seen from acme"
    );
    let scores = store
        .scores_on(&globex, PROFILE, SubjectKind::Users, day("2026-12-01"))
        .await
        .expect("scores");
    assert_eq!(scores.get("alice"), Some(&10.0));
    let page = store
        .snapshots(
            &globex,
            PROFILE,
            SubjectKind::Users,
            day("2026-12-01"),
            &list(SortField::Score, true, 10),
        )
        .await
        .expect("list");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0]["score"], json!(10.0));
    let history = store
        .history(
            &acme,
            PROFILE,
            SubjectKind::Users,
            "alice",
            day("2026-11-01"),
            day("2026-12-31"),
        )
        .await
        .expect("history");
    assert_eq!(
        history.iter().map(|point| point.day).collect::<Vec<_>>(),
        vec![day("2026-12-02")]
    );
    let acme_spans = spans(
        store,
        &acme,
        SubjectKind::Users,
        SpanFilter::Subject("alice"),
    )
    .await;
    assert_eq!(
        acme_spans
            .iter()
            .map(|span| span.segment.as_str())
            .collect::<Vec<_>>(),
        vec!["most_engaged"]
    );
}
