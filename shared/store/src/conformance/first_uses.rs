//! Checks: each account's first use of a core feature, which ingestion reports for the
//! `core_feature_adopted` alert (SPEC §6: "an account uses one of the profile's core
//! features for the first time", fired from ingestion, never twice for one occurrence).

use serde_json::json;

use super::fixtures::{
    alias, batch, first_use, first_uses, group, identity, ingest, new_workspace, owner_of,
    received_later, scoring_data, track, track_in, watching,
};
use crate::{IngestChange, Store};

const REPORT: &str = "Report Created";

pub async fn a_members_first_use_of_a_watched_event_is_reported_once_at_its_earliest_time(
    store: &dyn Store,
) {
    let acme = new_workspace(store, "acme").await;
    let first = watching(
        batch(
            "2026-12-01T18:00:00Z",
            &[
                group("m1", "u-1", "acme-inc", json!({}), "2026-12-01T08:00:00Z"),
                track("m2", "u-1", REPORT, "2026-12-01T10:00:00Z"),
                track("m3", "u-1", REPORT, "2026-12-01T09:00:00.250Z"),
                track("m4", "u-1", "Invite Sent", "2026-12-01T08:30:00Z"),
            ],
        ),
        &[REPORT],
    );
    let later = watching(
        batch(
            "2026-12-02T18:00:00Z",
            &[
                track("m5", "u-1", REPORT, "2026-12-02T10:00:00Z"),
                track_in("m6", "u-2", REPORT, "acme-inc", "2026-12-02T11:00:00Z"),
            ],
        ),
        &[REPORT],
    );

    let first_outcome = ingest(store, &acme, &first).await;
    let later_outcome = ingest(store, &acme, &later).await;

    assert_eq!(
        first_uses(&first_outcome),
        vec![first_use(
            "acme-inc",
            REPORT,
            "u:u-1",
            "2026-12-01T09:00:00.250Z"
        )],
        "one first use per account, at the earliest use in the batch; `Invite Sent` is not \
         watched (a membership made in the same batch counts)"
    );
    assert_eq!(
        first_uses(&later_outcome),
        vec![],
        "acme-inc used {REPORT} already: neither the same member nor a new one reports it again"
    );
}

pub async fn the_earliest_use_in_a_batch_is_reported_whichever_member_did_it(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T08:00:00Z",
            &[
                group("m1", "u-1", "acme-inc", json!({}), "2026-12-01T07:00:00Z"),
                group("m2", "u-2", "acme-inc", json!({}), "2026-12-01T07:00:00Z"),
            ],
        ),
    )
    .await;

    let outcome = ingest(
        store,
        &acme,
        &watching(
            batch(
                "2026-12-01T18:00:00Z",
                &[
                    track("m3", "u-1", REPORT, "2026-12-01T10:00:00Z"),
                    track("m4", "u-2", REPORT, "2026-12-01T08:30:00Z"),
                ],
            ),
            &[REPORT],
        ),
    )
    .await;

    assert_eq!(
        first_uses(&outcome),
        vec![first_use(
            "acme-inc",
            REPORT,
            "u:u-2",
            "2026-12-01T08:30:00Z"
        )],
        "u-2 used it first (08:30), though u-1's call came first in the batch"
    );
}

pub async fn an_identity_linked_to_a_member_counts_for_the_members_accounts(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T08:00:00Z",
            &[group(
                "m1",
                "u-1",
                "acme-inc",
                json!({}),
                "2026-12-01T07:00:00Z",
            )],
        ),
    )
    .await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T09:00:00Z",
            &[json!({
                "type": "identify", "messageId": "m2", "userId": "u-1", "anonymousId": "anon-1",
                "traits": {}, "timestamp": "2026-12-01T08:30:00Z",
            })],
        ),
    )
    .await;

    let outcome = ingest(
        store,
        &acme,
        &watching(
            batch(
                "2026-12-01T18:00:00Z",
                &[json!({
                    "type": "track", "messageId": "m3", "anonymousId": "anon-1", "event": REPORT,
                    "timestamp": "2026-12-01T10:00:00Z",
                })],
            ),
            &[REPORT],
        ),
    )
    .await;

    let uses = first_uses(&outcome);
    let [
        IngestChange::FeatureFirstUsed {
            account,
            event,
            identity,
            at,
        },
    ] = uses.as_slice()
    else {
        panic!("anon-1 is u-1, a member of acme-inc: expected one first use, got {uses:?}");
    };
    assert_eq!(
        (account.as_str(), event.as_str(), *at),
        (
            "acme-inc",
            REPORT,
            super::fixtures::at("2026-12-01T10:00:00Z")
        )
    );
    assert!(
        identity == "a:anon-1" || identity == "u:u-1",
        "the identity is the one that did it or the user it is linked to, not {identity:?}"
    );
}

pub async fn each_account_of_a_user_gets_its_own_first_use(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T08:00:00Z",
            &[
                track_in(
                    "m1",
                    "u-1",
                    "Viewed Page",
                    "acme-inc",
                    "2026-12-01T07:00:00Z",
                ),
                track_in("m2", "u-1", "Viewed Page", "globex", "2026-12-01T07:01:00Z"),
                group("m3", "u-2", "initech", json!({}), "2026-12-01T07:02:00Z"),
            ],
        ),
    )
    .await;

    let by_u1 = ingest(
        store,
        &acme,
        &watching(
            batch(
                "2026-12-01T18:00:00Z",
                &[track("m4", "u-1", REPORT, "2026-12-01T10:00:00Z")],
            ),
            &[REPORT],
        ),
    )
    .await;
    let by_u2 = ingest(
        store,
        &acme,
        &watching(
            batch(
                "2026-12-01T19:00:00Z",
                &[track("m5", "u-2", REPORT, "2026-12-01T11:00:00Z")],
            ),
            &[REPORT],
        ),
    )
    .await;

    assert_eq!(
        first_uses(&by_u1),
        vec![
            first_use("acme-inc", REPORT, "u:u-1", "2026-12-01T10:00:00Z"),
            first_use("globex", REPORT, "u:u-1", "2026-12-01T10:00:00Z"),
        ],
        "u-1 belongs to both accounts, not to initech"
    );
    assert_eq!(
        first_uses(&by_u2),
        vec![first_use(
            "initech",
            REPORT,
            "u:u-2",
            "2026-12-01T11:00:00Z"
        )]
    );
}

pub async fn a_retried_batch_reports_no_first_use_again(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    let calls = watching(
        batch(
            "2026-12-01T18:00:00Z",
            &[
                group("m1", "u-1", "acme-inc", json!({}), "2026-12-01T08:00:00Z"),
                track("m2", "u-1", REPORT, "2026-12-01T10:00:00Z"),
            ],
        ),
        &[REPORT],
    );
    let first = ingest(store, &acme, &calls).await;

    let retried = ingest(store, &acme, &calls).await;
    let retried_after_a_week = ingest(store, &acme, &received_later(&calls, 8)).await;

    assert_eq!(first_uses(&first).len(), 1);
    assert_eq!(first_uses(&retried), vec![], "a retried batch");
    assert_eq!(
        first_uses(&retried_after_a_week),
        vec![],
        "a batch retried after its message ids expired counts again as usage, but the \
         account's first use happened once"
    );
}

pub async fn a_users_use_counts_for_the_accounts_its_anonymous_identity_joined(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T08:00:00Z",
            &[json!({
                "type": "track", "messageId": "m1", "anonymousId": "anon-9", "event": "Viewed Page",
                "context": {"groupId": "acme-inc"}, "timestamp": "2026-12-01T07:00:00Z",
            })],
        ),
    )
    .await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T09:00:00Z",
            &[json!({
                "type": "identify", "messageId": "m2", "userId": "u-9", "anonymousId": "anon-9",
                "traits": {}, "timestamp": "2026-12-01T08:30:00Z",
            })],
        ),
    )
    .await;

    let outcome = ingest(
        store,
        &acme,
        &watching(
            batch(
                "2026-12-01T18:00:00Z",
                &[track("m3", "u-9", REPORT, "2026-12-01T10:00:00Z")],
            ),
            &[REPORT],
        ),
    )
    .await;

    let data = scoring_data(store, &acme, "2026-11-01").await;
    assert_eq!(
        owner_of(&data, "a:anon-9"),
        "u:u-9",
        "premise: anon-9 is u-9"
    );
    assert_eq!(
        identity(&data, "a:anon-9").account_ids(),
        vec!["acme-inc".to_string()],
        "premise: anon-9 joined acme-inc"
    );
    assert_eq!(
        first_uses(&outcome),
        vec![first_use(
            "acme-inc",
            REPORT,
            "u:u-9",
            "2026-12-01T10:00:00Z"
        )],
        "anon-9 joined acme-inc and is u-9 now, so scores count u-9 as acme-inc's member: \
         u-9's use is acme-inc's first"
    );
}

pub async fn a_use_through_a_chain_of_links_counts_for_the_final_users_accounts(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T08:00:00Z",
            &[group(
                "m1",
                "u-new",
                "acme-inc",
                json!({}),
                "2026-12-01T07:00:00Z",
            )],
        ),
    )
    .await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T09:00:00Z",
            &[
                json!({
                    "type": "identify", "messageId": "m3", "userId": "u-old",
                    "anonymousId": "anon-3", "traits": {}, "timestamp": "2026-12-01T08:00:00Z",
                }),
                alias("m4", "u-old", "u-new", "2026-12-01T08:30:00Z"),
            ],
        ),
    )
    .await;

    let outcome = ingest(
        store,
        &acme,
        &watching(
            batch(
                "2026-12-01T18:00:00Z",
                &[json!({
                    "type": "track", "messageId": "m5", "anonymousId": "anon-3", "event": REPORT,
                    "timestamp": "2026-12-01T10:00:00Z",
                })],
            ),
            &[REPORT],
        ),
    )
    .await;

    let data = scoring_data(store, &acme, "2026-11-01").await;
    assert_eq!(
        owner_of(&data, "a:anon-3"),
        "u:u-new",
        "premise: the chain of links"
    );
    let uses = first_uses(&outcome);
    let accounts: Vec<&str> = uses
        .iter()
        .map(|change| match change {
            IngestChange::FeatureFirstUsed { account, .. } => account.as_str(),
            _ => unreachable!("first_uses keeps first uses"),
        })
        .collect();
    assert_eq!(
        accounts,
        vec!["acme-inc"],
        "anon-3 → u-old → u-new, a member of acme-inc: scores follow the whole chain, so \
         does the first use"
    );
}
