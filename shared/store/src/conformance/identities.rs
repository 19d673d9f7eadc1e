//! Checks: identity links, traits, accounts and memberships, and the changes ingestion
//! reports for alerts (SPEC §1, §6 `new_user`).

use serde_json::{Value, json};

use super::fixtures::{
    account, alias, at, batch, daily_count, group, identify, identity, ingest, new_workspace,
    owner_of, scoring_data, track, track_in,
};
use crate::{IngestChange, Store};

fn traits(value: Value) -> pulse_core::FlatMap {
    serde_json::from_value(value).expect("fixture traits are an object")
}

fn joined(identity: &str, account: &str, account_existed: bool) -> IngestChange {
    IngestChange::UserJoinedAccount {
        identity: identity.to_string(),
        account: account.to_string(),
        account_existed,
    }
}

fn created(account: &str, identity: &str) -> IngestChange {
    IngestChange::AccountCreated {
        account: account.to_string(),
        identity: identity.to_string(),
    }
}

pub async fn identify_with_both_ids_links_the_anonymous_identity_to_the_user(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(store, &acme, &batch("2026-11-30T18:00:00Z", &[json!({
        "type": "page", "messageId": "m1", "anonymousId": "anon-1", "timestamp": "2026-11-30T10:00:00Z",
    })]))
    .await;

    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T18:00:00Z",
            &[json!({
                "type": "identify", "messageId": "m2", "userId": "u-42", "anonymousId": "anon-1",
                "traits": {"plan": "pro"}, "timestamp": "2026-12-01T09:00:00Z",
            })],
        ),
    )
    .await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    assert_eq!(
        identity(&data, "a:anon-1").linked_to.as_deref(),
        Some("u:u-42")
    );
    assert_eq!(
        identity(&data, "u:u-42").linked_to,
        None,
        "the user itself is not linked"
    );
    assert_eq!(
        identity(&data, "u:u-42").traits,
        traits(json!({"plan": "pro"}))
    );
    assert_eq!(
        daily_count(&data, "a:anon-1", "2026-11-30", "Viewed Page"),
        1,
        "usage stays with the raw identity it was recorded for; resolution follows the link"
    );
}

pub async fn a_later_identify_overrides_a_trait_and_keeps_the_others(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(store, &acme, &batch("2026-11-30T18:00:00Z", &[identify(
        "m1",
        "u-1",
        json!({"plan": "trial", "company": {"name": "Acme"}, "roles": ["admin", "billing"]}),
        "2026-11-30T10:00:00Z",
    )]))
    .await;

    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T18:00:00Z",
            &[identify(
                "m2",
                "u-1",
                json!({"plan": "pro", "seats": 5}),
                "2026-12-01T10:00:00Z",
            )],
        ),
    )
    .await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    assert_eq!(
        identity(&data, "u:u-1").traits,
        traits(
            json!({"plan": "pro", "company.name": "Acme", "roles": ["admin", "billing"], "seats": 5})
        ),
        "nested traits are flattened, arrays kept, a later value wins, other keys stay"
    );
}

pub async fn alias_links_the_previous_id_in_both_forms(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(store, &acme, &batch("2026-11-30T18:00:00Z", &[
        json!({"type": "track", "messageId": "m1", "anonymousId": "old-7", "event": "Report Created",
               "timestamp": "2026-11-30T10:00:00Z"}),
        track("m2", "old-7", "Invite Sent", "2026-11-30T11:00:00Z"),
    ]))
    .await;

    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T18:00:00Z",
            &[alias("m3", "old-7", "u-7", "2026-12-01T10:00:00Z")],
        ),
    )
    .await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    assert_eq!(
        identity(&data, "a:old-7").linked_to.as_deref(),
        Some("u:u-7"),
        "the anonymous form"
    );
    assert_eq!(
        identity(&data, "u:old-7").linked_to.as_deref(),
        Some("u:u-7"),
        "the user form"
    );
    assert_eq!(identity(&data, "u:u-7").linked_to, None);
}

pub async fn a_link_that_would_make_a_cycle_is_ignored(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T10:00:00Z",
            &[alias("m1", "old", "new", "2026-12-01T09:00:00Z")],
        ),
    )
    .await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T11:00:00Z",
            &[alias("m2", "b", "c", "2026-12-01T09:00:00Z")],
        ),
    )
    .await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T12:00:00Z",
            &[alias("m3", "a", "b", "2026-12-01T09:00:00Z")],
        ),
    )
    .await;

    // Back-links: directly, through a chain, and both directions inside one batch.
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-02T10:00:00Z",
            &[alias("m4", "new", "old", "2026-12-02T09:00:00Z")],
        ),
    )
    .await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-02T11:00:00Z",
            &[alias("m5", "c", "a", "2026-12-02T09:00:00Z")],
        ),
    )
    .await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-02T12:00:00Z",
            &[
                alias("m6", "x", "y", "2026-12-02T09:00:00Z"),
                alias("m7", "y", "x", "2026-12-02T09:00:01Z"),
            ],
        ),
    )
    .await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    assert_eq!(
        identity(&data, "u:old").linked_to.as_deref(),
        Some("u:new"),
        "the first link stays"
    );
    assert_eq!(
        identity(&data, "u:new").linked_to,
        None,
        "new → old would close a cycle"
    );
    assert_eq!(owner_of(&data, "u:a"), "u:c", "a → b → c stays");
    assert_eq!(
        identity(&data, "u:c").linked_to,
        None,
        "c → a would close a cycle"
    );
    let x_and_y = [
        &identity(&data, "u:x").linked_to,
        &identity(&data, "u:y").linked_to,
    ];
    assert_eq!(
        x_and_y.iter().filter(|link| link.is_some()).count(),
        1,
        "of x → y and y → x in one batch, exactly one link is kept: {x_and_y:?}"
    );
    for record in &data.identities {
        owner_of(&data, &record.key);
    }
}

pub async fn a_group_call_creates_the_account_with_traits_and_a_membership(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T18:00:00Z",
            &[group(
                "m1",
                "u-1",
                "acme-inc",
                json!({"name": "Acme Inc", "plan": "pro", "address": {"city": "Lyon"}}),
                "2026-12-01T09:00:00.500Z",
            )],
        ),
    )
    .await;

    ingest(
        store,
        &acme,
        &batch(
            "2026-12-02T18:00:00Z",
            &[group(
                "m2",
                "u-1",
                "acme-inc",
                json!({"plan": "enterprise", "employees": 50}),
                "2026-12-02T09:00:00Z",
            )],
        ),
    )
    .await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    let company = account(&data, "acme-inc");
    assert_eq!(
        company.traits,
        traits(
            json!({"name": "Acme Inc", "plan": "enterprise", "address.city": "Lyon", "employees": 50})
        )
    );
    assert_eq!(company.first_seen, Some(at("2026-12-01T09:00:00.500Z")));
    assert_eq!(
        identity(&data, "u:u-1").account_ids(),
        vec!["acme-inc".to_string()],
        "one membership, not two"
    );
    assert!(
        identity(&data, "u:u-1").traits.is_empty(),
        "a group call's traits are the account's, not the user's"
    );
}

pub async fn a_context_group_id_on_a_track_makes_a_membership(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;

    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T18:00:00Z",
            &[
                track_in(
                    "m1",
                    "u-2",
                    "Report Created",
                    "globex",
                    "2026-12-01T10:00:00Z",
                ),
                track_in(
                    "m2",
                    "u-2",
                    "Report Created",
                    "initech",
                    "2026-12-01T11:00:00Z",
                ),
            ],
        ),
    )
    .await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    let mut accounts = identity(&data, "u:u-2").account_ids();
    accounts.sort();
    assert_eq!(
        accounts,
        vec!["globex".to_string(), "initech".to_string()],
        "a user may belong to several accounts"
    );
    assert!(account(&data, "globex").traits.is_empty());
    assert_eq!(
        account(&data, "globex").first_seen,
        Some(at("2026-12-01T10:00:00Z"))
    );
    assert_eq!(
        daily_count(&data, "u:u-2", "2026-12-01", "Report Created"),
        2,
        "the calls still count as usage"
    );
}

pub async fn memberships_report_new_accounts_and_new_members_once(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;

    let founder = ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T10:00:00Z",
            &[group(
                "m1",
                "u-1",
                "acme-inc",
                json!({"name": "Acme Inc"}),
                "2026-12-01T09:00:00Z",
            )],
        ),
    )
    .await;
    let newcomer = ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T11:00:00Z",
            &[track_in(
                "m2",
                "u-2",
                "Report Created",
                "acme-inc",
                "2026-12-01T10:30:00Z",
            )],
        ),
    )
    .await;
    let repeated = ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T12:00:00Z",
            &[
                group(
                    "m3",
                    "u-1",
                    "acme-inc",
                    json!({"plan": "pro"}),
                    "2026-12-01T11:00:00Z",
                ),
                track_in(
                    "m4",
                    "u-2",
                    "Invite Sent",
                    "acme-inc",
                    "2026-12-01T11:30:00Z",
                ),
            ],
        ),
    )
    .await;
    let two_at_once = ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T13:00:00Z",
            &[
                track_in(
                    "m5",
                    "u-3",
                    "Report Created",
                    "initech",
                    "2026-12-01T12:00:00Z",
                ),
                track_in(
                    "m6",
                    "u-4",
                    "Report Created",
                    "initech",
                    "2026-12-01T12:01:00Z",
                ),
                track_in(
                    "m7",
                    "u-3",
                    "Invite Sent",
                    "initech",
                    "2026-12-01T12:02:00Z",
                ),
            ],
        ),
    )
    .await;

    assert_eq!(
        founder.changes,
        vec![
            created("acme-inc", "u:u-1"),
            joined("u:u-1", "acme-inc", false)
        ],
        "the first member of a new account"
    );
    assert_eq!(
        newcomer.changes,
        vec![joined("u:u-2", "acme-inc", true)],
        "a new user joining an existing account"
    );
    assert_eq!(
        repeated.changes,
        vec![],
        "repeated memberships change nothing"
    );
    assert_eq!(
        two_at_once.changes,
        vec![
            created("initech", "u:u-3"),
            joined("u:u-3", "initech", false),
            joined("u:u-4", "initech", true)
        ],
        "inside one batch the second member joins the account the first created"
    );
}

/// One account and one identity read on their own, as ingestion-time alerts read them.
pub async fn single_accounts_and_identities_read_back_as_in_scoring_data(store: &dyn Store) {
    let acme = new_workspace(store, "acme").await;
    ingest(
        store,
        &acme,
        &batch(
            "2026-12-01T10:00:00Z",
            &[
                json!({"type": "identify", "userId": "u-1", "anonymousId": "a-1", "messageId": "s1",
                       "traits": {"name": "Ann"}, "timestamp": "2026-12-01T09:00:00Z"}),
                json!({"type": "group", "userId": "u-1", "groupId": "acme-inc", "messageId": "s2",
                       "traits": {"name": "Acme Inc"}, "timestamp": "2026-12-01T09:05:00Z"}),
                json!({"type": "track", "userId": "u-1", "event": "Report Created", "messageId": "s3",
                       "timestamp": "2026-12-01T09:10:00Z"}),
            ],
        ),
    )
    .await;
    let data = scoring_data(store, &acme, "2026-11-01").await;

    let account = store.account_record(&acme, "acme-inc").await.unwrap();
    let expected = data.accounts.iter().find(|a| a.id == "acme-inc").cloned();
    assert_eq!(
        account, expected,
        "account_record must match scoring_data's account"
    );
    assert_eq!(store.account_record(&acme, "globex").await.unwrap(), None);

    let user = store
        .identity_record(&acme, "u:u-1")
        .await
        .unwrap()
        .expect("u-1 is stored");
    let expected = identity(&data, "u:u-1");
    assert_eq!(user.traits, expected.traits);
    assert_eq!(user.first_seen, expected.first_seen);
    assert_eq!(user.last_event, expected.last_event);
    assert_eq!(user.event_days, expected.event_days);
    assert_eq!(user.account_ids(), expected.account_ids());
    let anonymous = store
        .identity_record(&acme, "a:a-1")
        .await
        .unwrap()
        .expect("a-1 is stored");
    assert_eq!(anonymous.linked_to.as_deref(), Some("u:u-1"));
    assert_eq!(
        store.identity_record(&acme, "u:nobody").await.unwrap(),
        None
    );
    let other = new_workspace(store, "globex").await;
    assert_eq!(
        store.account_record(&other, "acme-inc").await.unwrap(),
        None,
        "workspaces are isolated"
    );
}
