//! The read API (SPEC §7) over the hand-worked data set of `http_scoring.rs` as of
//! 2026-12-07: lists with their sorts, filters and paging, single items, and segments.
//!
//! Users: alice 100 (raw 52), erin 47 (20), carol 28 (12), bob 24 (10), dave 0 (0).
//! Accounts: acme 62.0 (raw 30 + 15 + 9 + 8 = 62), globex 37.5 (raw 22 + 10 = 32).

mod support;

use http::StatusCode;
use serde_json::json;
use support::dataset::seed_first_week;
use support::{Tenant, TestApp, ids};

async fn scored() -> (TestApp, Tenant) {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    seed_first_week(&test, &tenant).await;
    test.recompute_as_of(&tenant, "2026-12-07").await;
    (test, tenant)
}

#[tokio::test]
async fn users_are_listed_by_score_descending_unless_another_sort_is_asked() {
    let (test, tenant) = scored().await;

    let by_default = test.get_ok(&tenant, "/v1/users").await;
    let by_score_descending = test.get_ok(&tenant, "/v1/users?sort=-score").await;
    let by_score = test.get_ok(&tenant, "/v1/users?sort=score").await;
    let by_raw_descending = test.get_ok(&tenant, "/v1/users?sort=-raw_score").await;
    let by_id = test.get_ok(&tenant, "/v1/users?sort=id").await;
    let by_frequency = test.get_ok(&tenant, "/v1/users?sort=-frequency").await;

    assert_eq!(ids(&by_default), ["alice", "erin", "carol", "bob", "dave"]);
    assert_eq!(ids(&by_score_descending), ids(&by_default));
    assert_eq!(ids(&by_score), ["dave", "bob", "carol", "erin", "alice"]);
    assert_eq!(
        ids(&by_raw_descending),
        ["alice", "erin", "carol", "bob", "dave"]
    );
    assert_eq!(ids(&by_id), ["alice", "bob", "carol", "dave", "erin"]);
    // Frequencies 5, 2, 1, 1, 0: ties (bob and erin, 1) in id order.
    assert_eq!(
        ids(&by_frequency),
        ["alice", "carol", "bob", "erin", "dave"]
    );
    assert_eq!(by_default["next_cursor"], json!(null));
}

#[tokio::test]
async fn list_items_are_the_resources_without_breakdown_or_members() {
    let (test, tenant) = scored().await;

    let users = test.get_ok(&tenant, "/v1/users?sort=id").await;
    let accounts = test.get_ok(&tenant, "/v1/accounts").await;

    let alice = &users["items"][0];
    assert_eq!(alice["score"], json!(100));
    assert_eq!(
        alice["adoption"],
        json!({"period": 100.0, "all_time": 100.0})
    );
    assert!(alice.get("breakdown").is_none(), "{alice}");
    let acme = &accounts["items"][0];
    assert_eq!(acme["score"]["average"], json!(62.0));
    assert!(
        acme.get("members").is_none() && acme.get("breakdown").is_none(),
        "{acme}"
    );
}

#[tokio::test]
async fn accounts_are_listed_by_average_score_raw_score_or_id() {
    let (test, tenant) = scored().await;

    let by_default = test.get_ok(&tenant, "/v1/accounts").await;
    let by_score = test.get_ok(&tenant, "/v1/accounts?sort=score").await;
    let by_raw = test.get_ok(&tenant, "/v1/accounts?sort=-raw_score").await;
    let by_id_descending = test.get_ok(&tenant, "/v1/accounts?sort=-id").await;

    assert_eq!(ids(&by_default), ["acme", "globex"]);
    assert_eq!(ids(&by_score), ["globex", "acme"]);
    assert_eq!(ids(&by_raw), ["acme", "globex"]);
    assert_eq!(ids(&by_id_descending), ["globex", "acme"]);
}

#[tokio::test]
async fn users_are_filtered_by_segment_and_by_account() {
    let (test, tenant) = scored().await;

    let onboarding = test.get_ok(&tenant, "/v1/users?segment=onboarding").await;
    let passive = test
        .get_ok(&tenant, "/v1/users?segment=passive&sort=id")
        .await;
    let of_globex = test.get_ok(&tenant, "/v1/users?account=globex").await;
    let passive_of_acme = test
        .get_ok(&tenant, "/v1/users?account=acme&segment=passive")
        .await;
    let of_nobody = test.get_ok(&tenant, "/v1/users?account=initech").await;

    assert_eq!(ids(&onboarding), ["erin", "carol", "bob", "dave"]);
    assert_eq!(ids(&passive), ["carol", "erin"]);
    assert_eq!(ids(&of_globex), ["erin", "carol", "dave"]);
    assert!(ids(&passive_of_acme).is_empty());
    assert_eq!(of_nobody, json!({"items": [], "next_cursor": null}));
}

#[tokio::test]
async fn accounts_are_filtered_by_segment_but_not_by_account() {
    let (test, tenant) = scored().await;

    let multi_user = test
        .get_ok(&tenant, "/v1/accounts?segment=multi_user")
        .await;
    let activated = test.get_ok(&tenant, "/v1/accounts?segment=activated").await;
    let by_account = test.get(&tenant, "/v1/accounts?account=acme").await;
    let users_multi_user = test.get(&tenant, "/v1/users?segment=multi_user").await;

    assert_eq!(ids(&multi_user), ["acme", "globex"]);
    assert_eq!(ids(&activated), ["acme"]);
    by_account.assert_error(StatusCode::BAD_REQUEST, "invalid_filter");
    users_multi_user.assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn paging_with_limit_and_cursor_returns_every_item_exactly_once() {
    let (test, tenant) = scored().await;
    let everyone = ids(&test.get_ok(&tenant, "/v1/users").await);

    let mut seen = Vec::new();
    let mut pages = 0;
    let mut path = "/v1/users?limit=2".to_string();
    loop {
        let page = test.get_ok(&tenant, &path).await;
        pages += 1;
        let items = ids(&page);
        assert!(items.len() <= 2, "{page}");
        seen.extend(items);
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/users?limit=2&cursor={cursor}"),
            None => break,
        }
        assert!(pages < 10, "paging ends");
    }

    assert_eq!(pages, 3);
    assert_eq!(seen, everyone);
}

#[tokio::test]
async fn a_page_as_large_as_the_list_has_no_next_cursor() {
    let (test, tenant) = scored().await;

    let exactly = test.get_ok(&tenant, "/v1/users?limit=5").await;
    let most = test.get_ok(&tenant, "/v1/users?limit=1000").await;
    let filtered = test
        .get_ok(&tenant, "/v1/users?account=globex&limit=2")
        .await;

    assert_eq!(ids(&exactly).len(), 5);
    assert_eq!(exactly["next_cursor"], json!(null));
    assert_eq!(ids(&most).len(), 5);
    let cursor = filtered["next_cursor"]
        .as_str()
        .expect("one more globex user");
    let rest = test
        .get_ok(
            &tenant,
            &format!("/v1/users?account=globex&limit=2&cursor={cursor}"),
        )
        .await;
    assert_eq!(ids(&rest), ["dave"]);
}

#[tokio::test]
async fn bad_list_parameters_are_refused() {
    let (test, tenant) = scored().await;
    let cases = [
        ("/v1/users?limit=0", "invalid_limit"),
        ("/v1/users?limit=1001", "invalid_limit"),
        ("/v1/users?limit=ten", "invalid_limit"),
        ("/v1/accounts?limit=-1", "invalid_limit"),
        ("/v1/users?sort=popularity", "invalid_sort"),
        ("/v1/accounts?sort=--score", "invalid_sort"),
        ("/v1/users?cursor=not-a-cursor", "invalid_request"),
        ("/v1/accounts?cursor=eDox", "invalid_request"),
        ("/v1/users?as_of=2026-02-30", "invalid_as_of"),
    ];

    for (path, code) in cases {
        let reply = test.get(&tenant, path).await;

        let message = reply.assert_error(StatusCode::BAD_REQUEST, code);
        assert!(!message.is_empty(), "{path}");
    }
    let sort = test.get(&tenant, "/v1/users?sort=popularity").await;
    assert!(
        sort.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("raw_score"),
        "names the sorts"
    );
}

#[tokio::test]
async fn an_unknown_user_or_account_is_not_found() {
    let (test, tenant) = scored().await;

    let user = test.get(&tenant, "/v1/users/mallory").await;
    let account = test.get(&tenant, "/v1/accounts/initech").await;
    let user_as_account = test.get(&tenant, "/v1/accounts/alice").await;

    for reply in [user, account, user_as_account] {
        let message = reply.assert_error(StatusCode::NOT_FOUND, "not_found");
        assert!(message.contains("2026-12-07"), "{message}");
    }
}

#[tokio::test]
async fn the_default_segments_are_listed_with_their_sizes() {
    let (test, tenant) = scored().await;

    let accounts = test.get_ok(&tenant, "/v1/segments").await;
    let users = test.get_ok(&tenant, "/v1/segments?kind=users").await;

    let size = |list: &serde_json::Value, id: &str| {
        list["items"]
            .as_array()
            .expect("segments")
            .iter()
            .find(|segment| segment["id"] == json!(id))
            .map(|segment| segment["size"].clone())
            .unwrap_or_else(|| panic!("segment {id} in {list}"))
    };
    assert_eq!(ids(&accounts).len(), 12);
    assert_eq!(ids(&users).len(), 11, "multi_user is for accounts only");
    assert!(!ids(&users).contains(&"multi_user".to_string()));
    for (id, expected) in [
        ("engaged", 1),
        ("passive", 1),
        ("multi_user", 2),
        ("activated", 1),
        ("onboarding", 1),
        ("most_engaged", 0),
    ] {
        assert_eq!(size(&accounts, id), json!(expected), "accounts {id}");
    }
    for (id, expected) in [
        ("most_engaged", 1),
        ("passive", 2),
        ("least_engaged", 2),
        ("new", 1),
        ("onboarding", 4),
        ("activated", 1),
        ("engaged", 0),
    ] {
        assert_eq!(size(&users, id), json!(expected), "users {id}");
    }
    let engaged = accounts["items"]
        .as_array()
        .expect("segments")
        .iter()
        .find(|s| s["id"] == json!("engaged"))
        .cloned();
    let engaged = engaged.expect("engaged");
    assert_eq!(engaged["kind"], json!("accounts"));
    assert_eq!(engaged["profile"], json!("cs"));
    assert_eq!(engaged["as_of"], json!("2026-12-07"));
}

#[tokio::test]
async fn one_segment_and_its_members_are_readable() {
    let (test, tenant) = scored().await;

    let segment = test
        .get_ok(&tenant, "/v1/segments/passive?kind=users")
        .await;
    let members = test
        .get_ok(&tenant, "/v1/segments/passive/members?kind=users")
        .await;
    let account_members = test.get_ok(&tenant, "/v1/segments/engaged/members").await;

    assert_eq!(segment["id"], json!("passive"));
    assert_eq!(segment["size"], json!(2));
    assert_eq!(ids(&members), ["erin", "carol"]);
    assert_eq!(members["items"][0]["segment_entered"], json!("2026-12-07"));
    assert_eq!(ids(&account_members), ["acme"]);
    assert_eq!(account_members["items"][0]["score"]["average"], json!(62.0));
}

#[tokio::test]
async fn an_unknown_segment_is_not_found_and_the_defaults_are_named() {
    let (test, tenant) = scored().await;

    let replies = [
        test.get(&tenant, "/v1/segments/champions").await,
        test.get(&tenant, "/v1/segments/champions/members").await,
        test.get(&tenant, "/v1/segments/multi_user?kind=users")
            .await,
        test.get(&tenant, "/v1/accounts?segment=champions").await,
    ];

    for reply in replies {
        let message = reply.assert_error(StatusCode::NOT_FOUND, "not_found");
        assert!(message.contains("most_engaged"), "{message}");
    }
    test.get(&tenant, "/v1/segments?kind=people")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "invalid_kind");
}

#[tokio::test]
async fn a_list_page_holds_100_items_unless_a_limit_is_given() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", support::dataset::ONE_EVENT_PROFILE)
        .await;
    let calls = (0..101)
        .map(|index| support::track(&format!("user-{index:03}"), "E", "2026-12-06T10:00:00Z"))
        .collect();
    test.ingest(&tenant, "/v1/batch", &support::batch(calls))
        .await
        .assert_accepted();
    test.recompute_as_of(&tenant, "2026-12-07").await;

    let first = test.get_ok(&tenant, "/v1/users?sort=id").await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = test
        .get_ok(&tenant, &format!("/v1/users?sort=id&cursor={cursor}"))
        .await;

    assert_eq!(ids(&first).len(), 100);
    assert_eq!(ids(&second), ["user-100"]);
    assert_eq!(second["next_cursor"], json!(null));
}

#[tokio::test]
async fn a_list_as_of_a_day_that_was_never_computed_is_not_found() {
    let (test, tenant) = scored().await;

    let users = test.get(&tenant, "/v1/users?as_of=2026-12-05").await;
    let accounts = test.get(&tenant, "/v1/accounts?as_of=2026-12-05").await;

    for reply in [users, accounts] {
        let message = reply.assert_error(StatusCode::NOT_FOUND, "not_found");
        assert!(message.contains("2026-12-05"), "{message}");
    }
}

#[tokio::test]
async fn ids_with_spaces_slashes_and_colons_are_read_percent_encoded() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", support::dataset::ONE_EVENT_PROFILE)
        .await;
    let calls = vec![
        json!({"type": "track", "userId": "ann@example.com", "event": "E", "context": {"groupId": "Acme Inc/EU"}}),
        json!({"type": "track", "anonymousId": "device 9", "event": "E"}),
    ];
    test.ingest(&tenant, "/v1/batch", &support::batch(calls))
        .await
        .assert_accepted();
    test.recompute_as_of(&tenant, "2026-12-07").await;

    let account = test.get_ok(&tenant, "/v1/accounts/Acme%20Inc%2FEU").await;
    let user = test.get_ok(&tenant, "/v1/users/ann%40example.com").await;
    let visitor = test.get_ok(&tenant, "/v1/users/anonymous:device%209").await;
    let members = test
        .get_ok(&tenant, "/v1/users?account=Acme%20Inc%2FEU")
        .await;

    assert_eq!(account["id"], json!("Acme Inc/EU"));
    assert_eq!(user["accounts"], json!(["Acme Inc/EU"]));
    assert_eq!(visitor["id"], json!("anonymous:device 9"));
    assert_eq!(ids(&members), ["ann@example.com"]);
}
