//! SPEC §4 end to end on small purpose-built data sets, each with its arithmetic worked out
//! by hand: the SPEC's own example, rounding at exactly one half, identity links, the
//! population filter, a day recomputed after late events, and a one-day window.

mod support;

use http::StatusCode;
use serde_json::{Value, json};
use support::{TestApp, batch, ids, track, usage};

#[tokio::test]
async fn anonymous_history_counts_for_the_user_after_identify_and_alias() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "web", "events: {Viewed Page: 1, E: 1}")
        .await;
    let anonymous_visits = vec![
        json!({"type": "page", "anonymousId": "anon-1", "timestamp": "2026-12-05T10:00:00Z"}),
        json!({"type": "page", "anonymousId": "anon-1", "timestamp": "2026-12-05T10:01:00Z"}),
        json!({"type": "page", "anonymousId": "anon-1", "timestamp": "2026-12-05T10:02:00Z"}),
        json!({"type": "track", "anonymousId": "anon-2", "event": "E", "timestamp": "2026-12-04T10:00:00Z"}),
    ];
    test.ingest(&tenant, "/v1/batch", &batch(anonymous_visits))
        .await
        .assert_accepted();
    test.recompute_as_of(&tenant, "2026-12-07").await;
    let before_identify = test.get_ok(&tenant, "/v1/users?sort=id").await;

    let mut linking = vec![
        json!({"type": "identify", "userId": "frank", "anonymousId": "anon-1",
        "traits": {"plan": "pro"}, "timestamp": "2026-12-06T09:00:00Z"}),
    ];
    linking.extend(vec![track("frank", "E", "2026-12-06T10:00:00Z"); 2]);
    test.ingest(&tenant, "/v1/batch", &batch(linking))
        .await
        .assert_accepted();
    test.ingest(
        &tenant,
        "/v1/alias",
        &json!({"previousId": "anon-2", "userId": "frank"}),
    )
    .await
    .assert_accepted();
    test.recompute_as_of(&tenant, "2026-12-07").await;
    let after = test.get_ok(&tenant, "/v1/users?sort=id").await;

    // Before: two anonymous visitors, 3 and 1. After: frank owns both histories plus his own
    // two E: 3 + 1 + 2 = 6, and he alone is active, so p90 = 6 and he scores 100.
    assert_eq!(
        ids(&before_identify),
        ["anonymous:anon-1", "anonymous:anon-2"]
    );
    assert_eq!(before_identify["items"][0]["raw_score"], json!(3));
    assert_eq!(ids(&after), ["frank"]);
    let frank = test.get_ok(&tenant, "/v1/users/frank").await;
    assert_eq!(frank["raw_score"], json!(6));
    assert_eq!(frank["score"], json!(100));
    assert_eq!(frank["frequency"], json!(3), "12-04, 12-05 and 12-06");
    assert_eq!(
        frank["first_seen"],
        json!("2026-12-04T10:00:00Z"),
        "the anonymous history's start"
    );
    assert_eq!(frank["traits"], json!({"plan": "pro"}));
}

#[tokio::test]
async fn the_spec_worked_example_scores_72_for_a_raw_score_of_149() {
    // SPEC §4: raw 475 89 101 7 3 21 2 149 223 1 13 9 37 → sorted 1 2 3 7 9 13 21 37 89 101 149
    // 223 475; h = 0.9·12 = 10.8 → 149 + 0.8·(223 − 149) = 208.2. Scores round(100·raw/208.2),
    // between 1 and 100: 475 → 100, 223 → 100, 149 → 71.57 → 72, 101 → 48.51 → 49, 89 → 43,
    // 37 → 17.77 → 18, 21 → 10, 13 → 6, 9 → 4, 7 → 3, 3 → 1.44 → 1, 2 → 0.96 → 1, 1 → 0.48 → 1.
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", support::dataset::ONE_EVENT_PROFILE)
        .await;
    let raws = [475, 89, 101, 7, 3, 21, 2, 149, 223, 1, 13, 9, 37];
    let calls = raws
        .iter()
        .flat_map(|raw| usage(&format!("u{raw}"), "E", *raw, "2026-12-06T10:00:00Z"))
        .collect();
    test.ingest(&tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();

    let summary = test.recompute_as_of(&tenant, "2026-12-07").await;

    let p90 = summary["results"][0]["p90"].as_f64().expect("a p90");
    assert!((p90 - 208.2).abs() < 1e-9, "p90 = {p90}");
    let page = test.get_ok(&tenant, "/v1/users?sort=-raw_score").await;
    let scores: Vec<_> = page["items"]
        .as_array()
        .expect("users")
        .iter()
        .map(|user| {
            (
                user["raw_score"].as_u64().unwrap_or_default(),
                user["score"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        scores,
        [
            (475, 100),
            (223, 100),
            (149, 72),
            (101, 49),
            (89, 43),
            (37, 18),
            (21, 10),
            (13, 6),
            (9, 4),
            (7, 3),
            (3, 1),
            (2, 1),
            (1, 1)
        ]
    );
}

#[tokio::test]
async fn a_score_exactly_half_way_rounds_away_from_zero() {
    // Raw 9, 11, 12, 52: h = 0.9·3 = 2.7 → p90 = 12 + 0.7·(52 − 12) = 40 exactly.
    // 100·9/40 = 22.5 → 23 and 100·11/40 = 27.5 → 28 (halves away from zero); 12 → 30.
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", support::dataset::ONE_EVENT_PROFILE)
        .await;
    let calls = [9, 11, 12, 52]
        .iter()
        .flat_map(|raw| usage(&format!("u{raw}"), "E", *raw, "2026-12-06T10:00:00Z"))
        .collect();
    test.ingest(&tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();

    test.recompute_as_of(&tenant, "2026-12-07").await;

    let page = test.get_ok(&tenant, "/v1/users?sort=raw_score").await;
    let scores: Vec<_> = page["items"]
        .as_array()
        .expect("users")
        .iter()
        .map(|user| user["score"].clone())
        .collect();
    assert_eq!(scores, [json!(23), json!(28), json!(30), json!(100)]);
}

#[tokio::test]
async fn an_alias_from_an_earlier_user_id_merges_that_users_history() {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", support::dataset::ONE_EVENT_PROFILE)
        .await;
    let mut calls = usage("old-id", "E", 2, "2026-12-03T10:00:00Z");
    calls.extend(usage("new-id", "E", 1, "2026-12-05T10:00:00Z"));
    calls.push(json!({"type": "alias", "previousId": "old-id", "userId": "new-id", "timestamp": "2026-12-05T11:00:00Z"}));
    test.ingest(&tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();

    test.recompute_as_of(&tenant, "2026-12-07").await;

    let page = test.get_ok(&tenant, "/v1/users").await;
    assert_eq!(ids(&page), ["new-id"]);
    assert_eq!(
        page["items"][0]["raw_score"],
        json!(3),
        "2 under the old id + 1"
    );
}

#[tokio::test]
async fn only_the_profiles_population_is_scored_and_counted_in_accounts() {
    // Population: plan == 'pro'. alice (pro, E ×4) and carol (pro, E ×1) are scored; bob
    // (free, E ×10) is not, so he neither sets the p90 nor counts as an acme member.
    // Active pro raws 1 4: h = 0.9·1 = 0.9 → p90 = 1 + 0.9·3 = 3.7; alice 400/3.7 = 108 → 100,
    // carol 100/3.7 = 27.03 → 27. acme: members alice and carol → total 2, active 2,
    // average (100 + 27)/2 = 63.5, total 127.
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    let profile = "id: pro\nevents: {E: 1}\npopulation:\n  where: \"traits.plan == 'pro'\"\n";
    let put = test.put_profile(&tenant, "pro", profile).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let mut calls = Vec::new();
    for (user, plan, count) in [
        ("alice", "pro", 4),
        ("bob", "free", 10),
        ("carol", "pro", 1),
    ] {
        calls.push(support::identify(
            user,
            json!({"plan": plan}),
            "2026-12-01T09:00:00Z",
        ));
        calls.push(support::group(
            user,
            "acme",
            json!({}),
            "2026-12-01T09:00:00Z",
        ));
        calls.extend(usage(user, "E", count, "2026-12-06T10:00:00Z"));
    }
    test.ingest(&tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();

    let summary = test.recompute_as_of(&tenant, "2026-12-07").await;

    let p90 = summary["results"][0]["p90"].as_f64().expect("a p90");
    assert!((p90 - 3.7).abs() < 1e-9, "p90 = {p90}");
    let users = test.get_ok(&tenant, "/v1/users").await;
    assert_eq!(ids(&users), ["alice", "carol"]);
    assert_eq!(users["items"][1]["score"], json!(27));
    test.get(&tenant, "/v1/users/bob")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let acme = test.get_ok(&tenant, "/v1/accounts/acme").await;
    assert_eq!(acme["users"]["total"], json!(2));
    assert_eq!(acme["users"]["active"], json!(2));
    assert_eq!(
        acme["score"],
        json!({"average": 63.5, "total": 127, "change": null})
    );
    let members: Vec<_> = acme["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(members, [json!("alice"), json!("carol")]);
}

#[tokio::test]
async fn recomputing_a_day_after_late_events_replaces_its_scores_and_segments() {
    // First run: alice 1, bob 10 → p90 = 1 + 0.9·9 = 9.1; alice 11 (least_engaged), bob 100.
    // Twenty more E for alice arrive for the same day: 21 and 10 → p90 = 10 + 0.9·11 = 19.9;
    // alice 105.5 → 100 (most_engaged), bob 50.25 → 50 (engaged).
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "simple", support::dataset::ONE_EVENT_PROFILE)
        .await;
    let mut calls = usage("alice", "E", 1, "2026-12-07T09:00:00Z");
    calls.extend(usage("bob", "E", 10, "2026-12-07T09:00:00Z"));
    test.ingest(&tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();
    test.recompute_as_of(&tenant, "2026-12-07").await;
    let first_alice = test.get_ok(&tenant, "/v1/users/alice").await;
    test.ingest(
        &tenant,
        "/v1/batch",
        &batch(usage("alice", "E", 20, "2026-12-07T10:00:00Z")),
    )
    .await
    .assert_accepted();

    test.recompute_as_of(&tenant, "2026-12-07").await;

    assert_eq!(first_alice["score"], json!(11));
    let alice = test.get_ok(&tenant, "/v1/users/alice").await;
    let bob = test.get_ok(&tenant, "/v1/users/bob").await;
    assert_eq!(
        (alice["score"].clone(), bob["score"].clone()),
        (json!(100), json!(50))
    );
    assert_eq!(alice["segments"], json!(["most_engaged", "new"]));
    assert_eq!(
        alice["history"].as_array().map(Vec::len),
        Some(1),
        "the day is replaced, not added"
    );
    assert_eq!(
        alice["segment_history"],
        json!([
            {"segment": "most_engaged", "entered": "2026-12-07", "left": null},
            {"segment": "new", "entered": "2026-12-07", "left": null},
        ])
    );
    let least_engaged = test
        .get_ok(&tenant, "/v1/segments/least_engaged/members?kind=users")
        .await;
    assert!(ids(&least_engaged).is_empty(), "{least_engaged}");
}

#[tokio::test]
async fn a_one_day_window_scores_the_day_and_compares_with_the_day_before() {
    // window_days 1: as of 12-06 alice did E ×2 and bob ×4 → p90 = 2 + 0.9·2 = 3.8; alice
    // 52.63 → 53, bob 105.3 → 100. As of 12-07 only that day counts: alice ×3, bob ×1 →
    // p90 = 1 + 0.9·2 = 2.8; alice 107 → 100, bob 35.71 → 36. Changes: +47 and −64.
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    test.put_profile(&tenant, "daily", "window_days: 1\nevents: {E: 1}")
        .await;
    let mut calls = usage("alice", "E", 2, "2026-12-06T09:00:00Z");
    calls.extend(usage("bob", "E", 4, "2026-12-06T09:00:00Z"));
    calls.extend(usage("alice", "E", 3, "2026-12-07T00:00:00Z"));
    calls.extend(usage("bob", "E", 1, "2026-12-07T23:59:59.999Z"));
    test.ingest(&tenant, "/v1/batch", &batch(calls))
        .await
        .assert_accepted();

    test.recompute_as_of(&tenant, "2026-12-06").await;
    test.recompute_as_of(&tenant, "2026-12-07").await;

    let before = test
        .get_ok(&tenant, "/v1/users?sort=id&as_of=2026-12-06")
        .await;
    let after = test.get_ok(&tenant, "/v1/users?sort=id").await;
    let numbers = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .expect("users")
            .iter()
            .map(|user| {
                json!([
                    user["raw_score"],
                    user["score"],
                    user["score_change"],
                    user["frequency"]
                ])
            })
            .collect()
    };
    assert_eq!(
        numbers(&before),
        [json!([2, 53, null, 1]), json!([4, 100, null, 1])]
    );
    assert_eq!(
        numbers(&after),
        [json!([3, 100, 47, 1]), json!([1, 36, -64, 1])]
    );
}
