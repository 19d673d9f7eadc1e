//! Checks: the lists of the admin API (SPEC §7): every sort field both ways, segment and
//! account filters, pages that cover everything once, and cursors the store did not issue.

use pulse_core::SubjectKind;

use super::fixtures::{PROFILE, all_pages, computation, day, list, new_workspace, save};
use super::sample_day::{DAY, five_users, list_ids, two_accounts};
use crate::{ListQuery, SortField, Store, StoreError};

pub async fn lists_sort_by_every_field_both_ways_with_missing_values_last(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(DAY, five_users(), two_accounts()),
    )
    .await;
    let cases = [
        (
            SortField::Score,
            ["carol", "dave", "bob", "erin", "alice"],
            ["alice", "erin", "bob", "dave", "carol"],
        ),
        (
            SortField::RawScore,
            ["dave", "bob", "carol", "erin", "alice"],
            ["alice", "erin", "carol", "bob", "dave"],
        ),
        (
            SortField::ScoreChange,
            ["dave", "alice", "erin", "bob", "carol"],
            ["bob", "erin", "alice", "dave", "carol"],
        ),
        (
            SortField::Activation,
            ["carol", "dave", "erin", "alice", "bob"],
            ["alice", "erin", "dave", "carol", "bob"],
        ),
        (
            SortField::Frequency,
            ["dave", "bob", "erin", "carol", "alice"],
            ["alice", "carol", "erin", "bob", "dave"],
        ),
        (
            SortField::LastSeen,
            ["erin", "bob", "carol", "alice", "dave"],
            ["alice", "carol", "bob", "erin", "dave"],
        ),
        (
            SortField::Id,
            ["alice", "bob", "carol", "dave", "erin"],
            ["erin", "dave", "carol", "bob", "alice"],
        ),
    ];

    for (field, ascending, descending) in cases {
        let up = list_ids(store, &acme, SubjectKind::Users, &list(field, false, 100)).await;
        let down = list_ids(store, &acme, SubjectKind::Users, &list(field, true, 100)).await;

        assert_eq!(up, ascending, "sorted by {field:?} ascending");
        assert_eq!(
            down, descending,
            "sorted by {field:?} descending (missing values still last)"
        );
    }
}

pub async fn lists_filter_by_segment_and_by_account(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(DAY, five_users(), two_accounts()),
    )
    .await;
    let by_score = list(SortField::Score, true, 100);
    let query = |segment: Option<&str>, account: Option<&str>| ListQuery {
        segment: segment.map(str::to_string),
        account: account.map(str::to_string),
        ..by_score.clone()
    };

    let least_engaged = list_ids(
        store,
        &acme,
        SubjectKind::Users,
        &query(Some("least_engaged"), None),
    )
    .await;
    let engaged = list_ids(
        store,
        &acme,
        SubjectKind::Users,
        &query(Some("engaged"), None),
    )
    .await;
    let in_acme = list_ids(store, &acme, SubjectKind::Users, &query(None, Some("acme"))).await;
    let in_globex = list_ids(
        store,
        &acme,
        SubjectKind::Users,
        &query(None, Some("globex")),
    )
    .await;
    let both = list_ids(
        store,
        &acme,
        SubjectKind::Users,
        &query(Some("engaged"), Some("globex")),
    )
    .await;
    let unknown = list_ids(
        store,
        &acme,
        SubjectKind::Users,
        &query(Some("ice_cold"), None),
    )
    .await;
    let accounts_engaged = list_ids(
        store,
        &acme,
        SubjectKind::Accounts,
        &query(Some("engaged"), None),
    )
    .await;

    assert_eq!(least_engaged, vec!["dave", "carol"]);
    assert_eq!(
        engaged,
        vec!["erin", "bob"],
        "`engaged` must not match `least_engaged`"
    );
    assert_eq!(in_acme, vec!["alice", "bob"]);
    assert_eq!(in_globex, vec!["bob", "carol"]);
    assert_eq!(both, vec!["bob"], "both filters apply together");
    assert!(
        unknown.is_empty(),
        "a segment nobody is in lists nobody: {unknown:?}"
    );
    assert_eq!(
        accounts_engaged,
        vec!["acme"],
        "an account filter on accounts' own segments"
    );
}

pub async fn pages_cover_every_item_exactly_once(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(DAY, five_users(), two_accounts()),
    )
    .await;
    for limit in 1..=6 {
        for (field, descending) in [
            (SortField::Score, true),
            (SortField::ScoreChange, false),
            (SortField::Id, false),
        ] {
            let query = list(field, descending, limit);
            let whole = list_ids(
                store,
                &acme,
                SubjectKind::Users,
                &list(field, descending, 100),
            )
            .await;

            let pages = all_pages(store, &acme, SubjectKind::Users, DAY, &query).await;

            assert_eq!(
                pages.len(),
                5usize.div_ceil(limit),
                "pages of {limit} by {field:?}: {pages:?}"
            );
            assert_eq!(
                pages.concat(),
                whole,
                "pages of {limit} by {field:?} joined are the whole list, in order"
            );
        }
    }
    let filtered = ListQuery {
        account: Some("globex".into()),
        ..list(SortField::Score, true, 1)
    };
    let pages = all_pages(store, &acme, SubjectKind::Users, DAY, &filtered).await;
    assert_eq!(
        pages,
        vec![vec!["bob".to_string()], vec!["carol".to_string()]],
        "a filtered list pages too"
    );
}

pub async fn a_cursor_the_store_did_not_issue_is_refused_as_invalid(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(store, &acme, &computation(DAY, five_users(), vec![])).await;

    for cursor in ["garbage", "!!!", "bm90LWEtY3Vyc29y", ""] {
        let query = ListQuery {
            cursor: Some(cursor.to_string()),
            ..list(SortField::Score, true, 2)
        };

        let result = store
            .snapshots(&acme, PROFILE, SubjectKind::Users, day(DAY), &query)
            .await;

        assert!(
            matches!(result, Err(StoreError::Invalid(_))),
            "the cursor {cursor:?} must be refused as Invalid (a 400), got {result:?}"
        );
    }
}
