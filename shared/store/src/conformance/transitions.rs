//! Checks: segment membership over time (SPEC §5 "entering and leaving are recorded with
//! the day"): the transitions a save reports, which alerts fire on, and the spans it keeps.

use pulse_core::SubjectKind::{Accounts, Users};

use super::fixtures::{
    PROFILE, computation, member, new_workspace, save, sorted, span, spans, transition,
};
use crate::{SpanFilter, Store};

pub async fn the_first_save_records_every_membership_as_entered(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;

    let transitions = save(
        store,
        &acme,
        &computation(
            "2026-12-01",
            vec![
                member("alice", 90.0, &["most_engaged", "activated"]),
                member("bob", 60.0, &["engaged"]),
                member("carol", 0.0, &[]),
            ],
            vec![member("acme-inc", 65.0, &["engaged"])],
        ),
    )
    .await;

    assert_eq!(
        sorted(transitions),
        vec![
            transition(Users, "activated", "alice", "2026-12-01", true),
            transition(Users, "engaged", "bob", "2026-12-01", true),
            transition(Users, "most_engaged", "alice", "2026-12-01", true),
            transition(Accounts, "engaged", "acme-inc", "2026-12-01", true),
        ]
    );
    assert_eq!(
        spans(store, &acme, Users, SpanFilter::Subject("alice")).await,
        vec![
            span("activated", "alice", "2026-12-01", None),
            span("most_engaged", "alice", "2026-12-01", None),
        ]
    );
}

pub async fn saving_the_same_day_again_records_no_transitions(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let first_day = computation(
        "2026-12-01",
        vec![
            member("alice", 90.0, &["most_engaged"]),
            member("bob", 60.0, &["engaged"]),
        ],
        vec![member("acme-inc", 65.0, &["engaged"])],
    );
    let second_day = computation(
        "2026-12-02",
        vec![member("alice", 90.0, &["most_engaged"])],
        vec![member("acme-inc", 65.0, &["engaged"])],
    );
    save(store, &acme, &first_day).await;
    let first_again = save(store, &acme, &first_day).await;
    save(store, &acme, &second_day).await;

    let second_again = save(store, &acme, &second_day).await;

    assert_eq!(first_again, vec![], "entering is recorded once");
    assert_eq!(second_again, vec![], "leaving is recorded once");
    assert_eq!(
        spans(store, &acme, Users, SpanFilter::Segment("most_engaged")).await,
        vec![span("most_engaged", "alice", "2026-12-01", None)]
    );
    assert_eq!(
        spans(store, &acme, Users, SpanFilter::Segment("engaged")).await,
        vec![span("engaged", "bob", "2026-12-01", Some("2026-12-02"))]
    );
    assert_eq!(
        spans(store, &acme, Accounts, SpanFilter::Segment("engaged")).await,
        vec![span("engaged", "acme-inc", "2026-12-01", None)]
    );
}

pub async fn a_subject_gone_the_next_day_leaves_and_its_span_closes(store: &dyn Store) {
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
            vec![],
        ),
    )
    .await;

    let next_day = save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![
                member("alice", 80.0, &["most_engaged"]),
                member("carol", 50.0, &["engaged"]),
            ],
            vec![],
        ),
    )
    .await;

    assert_eq!(
        sorted(next_day),
        vec![
            transition(Users, "engaged", "alice", "2026-12-02", false),
            transition(Users, "engaged", "bob", "2026-12-02", false),
            transition(Users, "engaged", "carol", "2026-12-02", true),
            transition(Users, "most_engaged", "alice", "2026-12-02", true),
        ],
        "alice moved segments, bob was not scored at all, carol arrived"
    );
    assert_eq!(
        spans(store, &acme, Users, SpanFilter::Segment("engaged")).await,
        vec![
            span("engaged", "alice", "2026-12-01", Some("2026-12-02")),
            span("engaged", "bob", "2026-12-01", Some("2026-12-02")),
            span("engaged", "carol", "2026-12-02", None),
        ]
    );
}

pub async fn a_subject_that_comes_back_opens_a_new_span(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-01",
            vec![member("bob", 60.0, &["engaged"])],
            vec![],
        ),
    )
    .await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![member("bob", 30.0, &["passive"])],
            vec![],
        ),
    )
    .await;

    let back = save(
        store,
        &acme,
        &computation(
            "2026-12-05",
            vec![member("bob", 60.0, &["engaged"])],
            vec![],
        ),
    )
    .await;

    assert_eq!(
        sorted(back),
        vec![
            transition(Users, "engaged", "bob", "2026-12-05", true),
            transition(Users, "passive", "bob", "2026-12-05", false),
        ]
    );
    assert_eq!(
        spans(store, &acme, Users, SpanFilter::Subject("bob")).await,
        vec![
            span("engaged", "bob", "2026-12-01", Some("2026-12-02")),
            span("engaged", "bob", "2026-12-05", None),
            span("passive", "bob", "2026-12-02", Some("2026-12-05")),
        ]
    );
}

pub async fn spans_are_read_by_subject_and_by_segment(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-01",
            vec![
                member("acme-inc", 60.0, &["engaged", "new"]),
                member("bob", 60.0, &["engaged"]),
            ],
            vec![member("acme-inc", 20.0, &["least_engaged", "multi_user"])],
        ),
    )
    .await;
    let mut trial = computation(
        "2026-12-01",
        vec![member("bob", 10.0, &["least_engaged"])],
        vec![],
    );
    trial.profile = "trial".to_string();
    save(store, &acme, &trial).await;

    let user_named_acme = spans(store, &acme, Users, SpanFilter::Subject("acme-inc")).await;
    let account_acme = spans(store, &acme, Accounts, SpanFilter::Subject("acme-inc")).await;
    let engaged_users = spans(store, &acme, Users, SpanFilter::Segment("engaged")).await;
    let least_engaged_users =
        spans(store, &acme, Users, SpanFilter::Segment("least_engaged")).await;
    let trial_spans = store
        .segment_spans(&acme, "trial", Users, SpanFilter::Subject("bob"))
        .await
        .expect("reading trial spans");

    assert_eq!(
        user_named_acme,
        vec![
            span("engaged", "acme-inc", "2026-12-01", None),
            span("new", "acme-inc", "2026-12-01", None)
        ]
    );
    assert_eq!(
        account_acme,
        vec![
            span("least_engaged", "acme-inc", "2026-12-01", None),
            span("multi_user", "acme-inc", "2026-12-01", None),
        ],
        "an account's spans are not a same-named user's"
    );
    assert_eq!(
        engaged_users,
        vec![
            span("engaged", "acme-inc", "2026-12-01", None),
            span("engaged", "bob", "2026-12-01", None)
        ]
    );
    assert_eq!(
        least_engaged_users,
        vec![],
        "the trial profile's spans leaked into `{PROFILE}`"
    );
    assert_eq!(
        trial_spans,
        vec![span("least_engaged", "bob", "2026-12-01", None)]
    );
}

pub async fn saving_an_earlier_day_records_no_transitions(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-01",
            vec![member("alice", 60.0, &["engaged"])],
            vec![],
        ),
    )
    .await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-03",
            vec![member("alice", 60.0, &["engaged"])],
            vec![],
        ),
    )
    .await;

    let backfill = save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![member("alice", 10.0, &["least_engaged"])],
            vec![],
        ),
    )
    .await;

    assert_eq!(
        backfill,
        vec![],
        "only the latest day moves segment membership"
    );
    assert_eq!(
        spans(store, &acme, Users, SpanFilter::Subject("alice")).await,
        vec![span("engaged", "alice", "2026-12-01", None)]
    );
}

pub async fn recomputing_the_latest_day_corrects_its_spans(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    save(
        store,
        &acme,
        &computation(
            "2026-12-01",
            vec![member("alice", 60.0, &["engaged"])],
            vec![],
        ),
    )
    .await;
    let first_run = save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![
                member("alice", 20.0, &[]),
                member("bob", 60.0, &["engaged"]),
            ],
            vec![],
        ),
    )
    .await;

    // Late events arrived: the same day, recomputed, says alice stayed and bob never came.
    let second_run = save(
        store,
        &acme,
        &computation(
            "2026-12-02",
            vec![
                member("alice", 60.0, &["engaged"]),
                member("bob", 20.0, &[]),
            ],
            vec![],
        ),
    )
    .await;
    let spans_after = spans(store, &acme, Users, SpanFilter::Segment("engaged")).await;
    let next_day = save(
        store,
        &acme,
        &computation("2026-12-03", vec![member("alice", 20.0, &[])], vec![]),
    )
    .await;

    assert_eq!(
        sorted(first_run),
        vec![
            transition(Users, "engaged", "alice", "2026-12-02", false),
            transition(Users, "engaged", "bob", "2026-12-02", true),
        ]
    );
    assert!(
        !second_run.iter().any(|t| t.subject == "bob" && t.entered)
            && !second_run
                .iter()
                .any(|t| t.subject == "alice" && !t.entered),
        "the recompute reported the transitions it undid: {second_run:?}"
    );
    assert_eq!(
        spans_after,
        vec![span("engaged", "alice", "2026-12-01", None)],
        "alice's span reopened, bob's removed"
    );
    assert_eq!(
        next_day,
        vec![transition(Users, "engaged", "alice", "2026-12-03", false)]
    );
}
