//! SPEC §4 end to end: events in over HTTP, `POST /v1/recompute`, numbers out of the read
//! API, checked against numbers worked out by hand.
//!
//! The data set (`support::dataset::seed_first_week`), profile `cs` (7 days; Report Created 10,
//! Dashboard Shared 8, Invite Sent 5, Viewed Page 1, Logged In 0 — four scored events;
//! criteria: Invite Sent ≥ 2, Source Connected ≥ 1, trait `employees` exists), as of
//! 2026-12-07, period 12-01..12-07. Everyone joined 2026-11-15 09:00 except erin (12-04 08:00).
//!
//! | user  | account | events in the period                                        | raw                 | days |
//! |-------|---------|-------------------------------------------------------------|---------------------|------|
//! | alice | acme    | RC 12-01, 12-03, 12-05; DS 12-05; IS ×2 12-02; VP ×4 12-07  | 3·10+8+2·5+4·1 = 52 | 5    |
//! | bob   | acme    | VP ×5, IS 12-06; Logged In ×3 12-04 (weight 0)              | 5·1+5 = 10          | 1    |
//! | carol | globex  | RC 12-02; VP ×2 12-03                                       | 10+2·1 = 12         | 2    |
//! | dave  | globex  | Logged In 12-03 only (DS and Source Connected on 11-20)     | 0                   | 0    |
//! | erin  | globex  | VP ×20 12-04                                                | 20·1 = 20           | 1    |
//!
//! p90 of the active raws, sorted 10 12 20 52: h = 0.9·3 = 2.7 → 20 + 0.7·(52 − 20) = 42.4.
//! Scores = round(100·raw/42.4): alice 122.6 → 100 (capped), bob 23.58 → 24, carol 28.30 → 28,
//! erin 47.17 → 47, dave 0 (inactive).

mod support;

use http::StatusCode;
use serde_json::{Value, json};
use support::dataset::{seed_first_week, seed_second_week};
use support::{Tenant, TestApp, ids};

async fn first_week() -> (TestApp, Tenant) {
    let test = TestApp::start().await;
    let tenant = test.tenant("Test").await;
    seed_first_week(&test, &tenant).await;
    test.recompute_as_of(&tenant, "2026-12-07").await;
    (test, tenant)
}

/// The numbers of a user resource the hand-worked table fixes.
fn user_numbers(user: &Value) -> Value {
    json!({
        "raw_score": user["raw_score"], "score": user["score"], "score_change": user["score_change"],
        "frequency": user["frequency"], "adoption": user["adoption"],
        "activation": user["activation"]["rate"], "activated": user["activation"]["activated"],
        "segments": user["segments"],
    })
}

#[tokio::test]
async fn the_first_weeks_user_scores_are_the_hand_worked_ones() {
    let (test, tenant) = first_week().await;

    let summary = test.recompute_as_of(&tenant, "2026-12-07").await;

    let p90 = summary["results"][0]["p90"].as_f64().expect("a p90");
    assert!((p90 - 42.4).abs() < 1e-9, "p90 = {p90}");
    assert_eq!(summary["results"][0]["active_users"], json!(4));
    // Adoption over the 4 scored events: alice did all 4; bob VP+IS and carol RC+VP: 2/4;
    // erin VP: 1/4; dave none in the period but DS ever: 0 / 25.0.
    // Activation (3 criteria): alice IS 2 ✓, Source ✓, employees ✓ → 100.0; bob IS 1 ✗ → 0.0;
    // carol employees ✓ → 33.3; dave Source ✓ → 33.3; erin → 0.0.
    // Segments: everyone joined < 30 days ago, so the not yet activated are `onboarding`;
    // erin joined 3 days ago: `new`. No score a week earlier: score_change is null.
    let expected = [
        (
            "alice",
            json!({"raw_score": 52, "score": 100, "score_change": null, "frequency": 5,
            "adoption": {"period": 100.0, "all_time": 100.0}, "activation": 100.0, "activated": true,
            "segments": ["most_engaged", "activated"]}),
        ),
        (
            "bob",
            json!({"raw_score": 10, "score": 24, "score_change": null, "frequency": 1,
            "adoption": {"period": 50.0, "all_time": 50.0}, "activation": 0.0, "activated": false,
            "segments": ["least_engaged", "onboarding"]}),
        ),
        (
            "carol",
            json!({"raw_score": 12, "score": 28, "score_change": null, "frequency": 2,
            "adoption": {"period": 50.0, "all_time": 50.0}, "activation": 33.3, "activated": false,
            "segments": ["passive", "onboarding"]}),
        ),
        (
            "dave",
            json!({"raw_score": 0, "score": 0, "score_change": null, "frequency": 0,
            "adoption": {"period": 0.0, "all_time": 25.0}, "activation": 33.3, "activated": false,
            "segments": ["least_engaged", "onboarding"]}),
        ),
        (
            "erin",
            json!({"raw_score": 20, "score": 47, "score_change": null, "frequency": 1,
            "adoption": {"period": 25.0, "all_time": 25.0}, "activation": 0.0, "activated": false,
            "segments": ["passive", "new", "onboarding"]}),
        ),
    ];
    for (id, numbers) in expected {
        let user = test.get_ok(&tenant, &format!("/v1/users/{id}")).await;
        assert_eq!(user_numbers(&user), numbers, "{id}");
    }
}

#[tokio::test]
async fn a_user_resource_has_the_spec_shape_with_its_breakdown() {
    let (test, tenant) = first_week().await;

    let alice = test.get_ok(&tenant, "/v1/users/alice").await;

    assert_eq!(alice["id"], json!("alice"));
    assert_eq!(alice["profile"], json!("cs"));
    assert_eq!(alice["as_of"], json!("2026-12-07"));
    assert_eq!(alice["accounts"], json!(["acme"]));
    assert_eq!(alice["traits"], json!({"name": "Alice", "employees": 250}));
    assert_eq!(
        alice["activation"]["criteria"],
        json!([
            {"name": "Invited two teammates", "met": true},
            {"name": "Connected a data source", "met": true},
            {"name": "Company size known", "met": true},
        ])
    );
    assert_eq!(alice["first_seen"], json!("2026-11-15T09:00:00Z"));
    assert_eq!(alice["last_seen"], json!("2026-12-07T10:00:00Z"));
    // Points by event, largest first: RC 3·10 = 30, IS 2·5 = 10, DS 1·8 = 8, VP 4·1 = 4.
    assert_eq!(
        alice["breakdown"],
        json!([
            {"event": "Report Created", "count": 3, "weight": 10, "points": 30},
            {"event": "Invite Sent", "count": 2, "weight": 5, "points": 10},
            {"event": "Dashboard Shared", "count": 1, "weight": 8, "points": 8},
            {"event": "Viewed Page", "count": 4, "weight": 1, "points": 4},
        ])
    );
    assert_eq!(
        alice["history"],
        json!([{"day": "2026-12-07", "score": 100.0, "score_change": null, "activation": 100.0,
                "segments": ["most_engaged", "activated"]}])
    );
    let dave = test.get_ok(&tenant, "/v1/users/dave").await;
    assert_eq!(
        dave["last_seen"],
        json!("2026-12-03T08:00:00Z"),
        "an unscored event is still an event"
    );
    assert_eq!(dave["breakdown"], json!([]));
}

#[tokio::test]
async fn the_first_weeks_accounts_roll_up_their_members() {
    let (test, tenant) = first_week().await;

    let acme = test.get_ok(&tenant, "/v1/accounts/acme").await;
    let globex = test.get_ok(&tenant, "/v1/accounts/globex").await;

    // acme: alice 100 and bob 24, both active → average (100 + 24)/2 = 62.0, total 124.
    // Days with a scored event: alice 12-01 02 03 05 07, bob 12-06 → 6. All 4 events done → 100.0.
    // Activation: IS summed 2 + 1 = 3 ≥ 2 ✓, Source 1 ✓, the account's employees (120) ✓ → 100.0.
    assert_eq!(acme["id"], json!("acme"));
    assert_eq!(acme["profile"], json!("cs"));
    assert_eq!(acme["as_of"], json!("2026-12-07"));
    assert_eq!(
        acme["traits"],
        json!({"name": "Acme", "plan": "pro", "employees": 120})
    );
    assert_eq!(acme["users"]["total"], json!(2));
    assert_eq!(acme["users"]["active"], json!(2));
    assert_eq!(acme["users"]["active_pct"], json!(100.0));
    assert_eq!(
        acme["score"],
        json!({"average": 62.0, "total": 124, "change": null})
    );
    assert_eq!(acme["frequency"], json!(6));
    assert_eq!(
        acme["adoption"],
        json!({"period": 100.0, "all_time": 100.0})
    );
    assert_eq!(acme["activation"]["rate"], json!(100.0));
    assert_eq!(acme["activation"]["activated"], json!(true));
    assert_eq!(
        acme["activation"]["criteria"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(
        acme["segments"],
        json!(["engaged", "multi_user", "activated"])
    );
    assert_eq!(acme["first_seen"], json!("2026-11-15T09:00:00Z"));
    assert_eq!(acme["last_seen"], json!("2026-12-07T10:00:00Z"));
    // Summed breakdown: RC 3 → 30, IS 2 + 1 = 3 → 15, VP 4 + 5 = 9 → 9, DS 1 → 8.
    assert_eq!(
        acme["breakdown"],
        json!([
            {"event": "Report Created", "count": 3, "weight": 10, "points": 30},
            {"event": "Invite Sent", "count": 3, "weight": 5, "points": 15},
            {"event": "Viewed Page", "count": 9, "weight": 1, "points": 9},
            {"event": "Dashboard Shared", "count": 1, "weight": 8, "points": 8},
        ])
    );
    assert_eq!(
        acme["members"],
        json!([
            {"id": "alice", "score": 100, "raw_score": 52, "active": true},
            {"id": "bob", "score": 24, "raw_score": 10, "active": true},
        ])
    );
    assert_eq!(acme["history"][0]["score"], json!(62.0));

    // globex: carol 28, dave 0 (inactive), erin 47. All three had an event in 90 days → total 3,
    // active 2 → 2/3 = 66.7 %. Average of the active (28 + 47)/2 = 37.5; total 28 + 0 + 47 = 75.
    // Days: carol 12-02 03, erin 12-04 → 3. Period events RC, VP → 50.0; ever also DS → 75.0.
    // Activation: IS 0 ✗, Source 1 (dave) ✓, no employees trait on the account ✗ → 33.3.
    assert_eq!(globex["users"]["total"], json!(3));
    assert_eq!(globex["users"]["active"], json!(2));
    assert_eq!(globex["users"]["active_pct"], json!(66.7));
    assert_eq!(
        globex["score"],
        json!({"average": 37.5, "total": 75, "change": null})
    );
    assert_eq!(globex["frequency"], json!(3));
    assert_eq!(
        globex["adoption"],
        json!({"period": 50.0, "all_time": 75.0})
    );
    assert_eq!(globex["activation"]["rate"], json!(33.3));
    assert_eq!(globex["activation"]["activated"], json!(false));
    assert_eq!(
        globex["segments"],
        json!(["passive", "multi_user", "onboarding"])
    );
    assert_eq!(globex["last_seen"], json!("2026-12-04T09:00:00Z"));
    assert_eq!(
        globex["members"],
        json!([
            {"id": "erin", "score": 47, "raw_score": 20, "active": true},
            {"id": "carol", "score": 28, "raw_score": 12, "active": true},
            {"id": "dave", "score": 0, "raw_score": 0, "active": false},
        ])
    );
}

#[tokio::test]
async fn recomputing_the_same_day_again_returns_identical_resources() {
    let (test, tenant) = first_week().await;
    let paths = [
        "/v1/users/alice",
        "/v1/users/dave",
        "/v1/accounts/acme",
        "/v1/accounts/globex",
        "/v1/users",
        "/v1/accounts",
    ];
    let mut before = Vec::new();
    for path in paths {
        before.push(test.get_ok(&tenant, path).await);
    }

    let again = test.recompute_as_of(&tenant, "2026-12-07").await;

    assert_eq!(again["results"][0]["segment_changes"], json!(0));
    for (path, earlier) in paths.iter().zip(before) {
        assert_eq!(test.get_ok(&tenant, path).await, earlier, "{path}");
    }
}

#[tokio::test]
async fn the_next_weeks_recompute_reports_the_score_change() {
    let (test, tenant) = first_week().await;
    seed_second_week(&test, &tenant).await;

    let summary = test.recompute_as_of(&tenant, "2026-12-14").await;

    // Period 12-08..12-14: alice RC → 10; bob IS ×2 + RC → 2·5 + 10 = 20; carol VP ×3 → 3;
    // dave RC ×4 → 40; erin nothing → 0. Sorted 3 10 20 40: p90 = 20 + 0.7·(40 − 20) = 34.
    // Scores: alice 29.41 → 29, bob 58.82 → 59, carol 8.82 → 9, dave 117.6 → 100, erin 0.
    // Changes against 12-07: alice 29 − 100 = −71, bob 59 − 24 = 35, carol 9 − 28 = −19,
    // dave 100 − 0 = 100, erin 0 − 47 = −47.
    let p90 = summary["results"][0]["p90"].as_f64().expect("a p90");
    assert!((p90 - 34.0).abs() < 1e-9, "p90 = {p90}");
    for (id, score, change) in [
        ("alice", 29, -71),
        ("bob", 59, 35),
        ("carol", 9, -19),
        ("dave", 100, 100),
        ("erin", 0, -47),
    ] {
        let user = test.get_ok(&tenant, &format!("/v1/users/{id}")).await;
        assert_eq!(
            (user["score"].clone(), user["score_change"].clone()),
            (json!(score), json!(change)),
            "{id}"
        );
    }
    // acme: (29 + 59)/2 = 44.0, change 44.0 − 62.0 = −18.0 → ice_cold.
    // globex: (9 + 100)/2 = 54.5, change 54.5 − 37.5 = +17.0 → red_hot.
    let acme = test.get_ok(&tenant, "/v1/accounts/acme").await;
    let globex = test.get_ok(&tenant, "/v1/accounts/globex").await;
    assert_eq!(
        acme["score"],
        json!({"average": 44.0, "total": 88, "change": -18.0})
    );
    assert_eq!(
        globex["score"],
        json!({"average": 54.5, "total": 109, "change": 17.0})
    );
    assert!(
        acme["segments"]
            .as_array()
            .expect("segments")
            .contains(&json!("ice_cold"))
    );
    assert!(
        globex["segments"]
            .as_array()
            .expect("segments")
            .contains(&json!("red_hot"))
    );
    let days: Vec<_> = acme["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|point| point["day"].clone())
        .collect();
    assert_eq!(days, vec![json!("2026-12-07"), json!("2026-12-14")]);
    assert_eq!(acme["history"][1]["score_change"], json!(-18.0));
    let bob = test.get_ok(&tenant, "/v1/users/bob").await;
    assert_eq!(
        bob["activation"]["rate"],
        json!(33.3),
        "IS now 1 + 2 = 3 ≥ 2"
    );
    assert!(
        bob["segments"]
            .as_array()
            .expect("segments")
            .contains(&json!("red_hot"))
    );
}

#[tokio::test]
async fn an_earlier_day_is_still_readable_after_a_later_recompute() {
    let (test, tenant) = first_week().await;
    seed_second_week(&test, &tenant).await;
    test.recompute_as_of(&tenant, "2026-12-14").await;

    let alice_then = test
        .get_ok(&tenant, "/v1/users/alice?as_of=2026-12-07")
        .await;
    let acme_then = test
        .get_ok(&tenant, "/v1/accounts/acme?as_of=2026-12-07")
        .await;
    let list_then = test.get_ok(&tenant, "/v1/users?as_of=2026-12-07").await;
    let never = test.get(&tenant, "/v1/users/alice?as_of=2026-12-10").await;
    let bad = test.get(&tenant, "/v1/users/alice?as_of=12/07/2026").await;

    assert_eq!(
        (alice_then["as_of"].clone(), alice_then["score"].clone()),
        (json!("2026-12-07"), json!(100))
    );
    assert_eq!(acme_then["score"]["average"], json!(62.0));
    assert_eq!(ids(&list_then), ["alice", "erin", "carol", "bob", "dave"]);
    never.assert_error(StatusCode::NOT_FOUND, "not_found");
    bad.assert_error(StatusCode::BAD_REQUEST, "invalid_as_of");
}
