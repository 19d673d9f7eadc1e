//! Hand-worked examples of the §4 metrics. The numbers in comments were worked out on paper.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::*;
use crate::ids::IdentityKey;

fn day(text: &str) -> Day {
    text.parse().unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn profile() -> Profile {
    Profile::parse(
        "id: cs\nwindow_days: 7\nevents: {A: 10, B: 5, Viewed Page: 1, C: 0}\n\
         activation:\n - {name: A twice, event: A, min_count: 2}\n - {name: Size known, trait: employees}",
    )
    .unwrap()
}

fn user(id: &str, accounts: &[&str]) -> UserActivity {
    UserActivity {
        identity: Some(IdentityKey::User(id.into())),
        accounts: accounts.iter().map(|a| a.to_string()).collect(),
        first_seen: Some(at("2026-01-10T09:00:00Z")),
        ..Default::default()
    }
}

fn counts(events: &[(&str, &str, u64)]) -> BTreeMap<String, BTreeMap<Day, u64>> {
    let mut map: BTreeMap<String, BTreeMap<Day, u64>> = BTreeMap::new();
    for (event, on, count) in events {
        *map.entry(event.to_string())
            .or_default()
            .entry(day(on))
            .or_default() += count;
    }
    map
}

fn all_time(events: &[(&str, u64)]) -> BTreeMap<String, u64> {
    events.iter().map(|(e, c)| (e.to_string(), *c)).collect()
}

/// The example: period 2026-11-25..=2026-12-01.
fn example_users() -> Vec<UserActivity> {
    let mut u1 = user("u1", &["acme"]);
    u1.period = counts(&[
        ("A", "2026-11-30", 2),
        ("A", "2026-12-01", 1),
        ("B", "2026-11-25", 1),
        ("C", "2026-11-27", 9),
    ]);
    u1.all_time = all_time(&[("A", 5), ("B", 1)]);
    u1.traits.insert("employees".into(), json!(50));
    u1.recent_days = vec![
        day("2026-11-25"),
        day("2026-11-27"),
        day("2026-11-30"),
        day("2026-12-01"),
    ];
    u1.last_seen = Some(at("2026-12-01T16:20:11Z"));

    let mut u2 = user("u2", &["acme"]);
    u2.period = counts(&[("Viewed Page", "2026-11-28", 4), ("A", "2026-11-24", 3)]);
    u2.all_time = all_time(&[("A", 3), ("Viewed Page", 4)]);
    u2.recent_days = vec![day("2026-11-24"), day("2026-11-28")];
    u2.last_seen = Some(at("2026-11-28T08:00:00Z"));

    let mut u3 = user("u3", &["acme", "globex"]);
    u3.all_time = all_time(&[("B", 2)]);
    u3.recent_days = vec![day("2026-10-01")];
    u3.last_seen = Some(at("2026-10-01T12:00:00Z"));

    let mut u4 = user("u4", &["globex"]);
    u4.period = counts(&[("B", "2026-12-01", 10)]);
    u4.all_time = all_time(&[("B", 10)]);
    u4.recent_days = vec![day("2026-12-01")];
    u4.last_seen = Some(at("2026-12-01T10:00:00Z"));
    vec![u1, u2, u3, u4]
}

fn compute_example(previous: &PreviousScores) -> ScoreSet {
    let mut accounts = HashMap::new();
    accounts.insert(
        "globex".to_string(),
        AccountInfo {
            id: "globex".into(),
            traits: [("employees".to_string(), json!(12))].into_iter().collect(),
            first_seen: Some(at("2025-01-01T00:00:00Z")),
        },
    );
    compute(
        &profile(),
        day("2026-12-01"),
        &example_users(),
        &accounts,
        previous,
        &Extras::default(),
    )
}

fn find<'a>(set: &'a ScoreSet, id: &str) -> &'a UserScore {
    set.users.iter().find(|user| user.id == id).unwrap()
}

fn find_account<'a>(set: &'a ScoreSet, id: &str) -> &'a AccountScore {
    set.accounts
        .iter()
        .find(|account| account.id == id)
        .unwrap()
}

#[test]
fn raw_scores_count_only_scored_events_inside_the_period() {
    let set = compute_example(&PreviousScores::default());
    // u1: 3 × A(10) + 1 × B(5) = 35; C has weight 0.
    assert_eq!(find(&set, "u1").raw_score, 35);
    // u2: 4 × Viewed Page(1); its A on 11-24 is a day before the period.
    assert_eq!(find(&set, "u2").raw_score, 4);
    assert_eq!(find(&set, "u3").raw_score, 0);
    assert_eq!(find(&set, "u4").raw_score, 50);
}

#[test]
fn scores_normalise_by_the_p90_of_active_users() {
    let set = compute_example(&PreviousScores::default());
    // Active raws 4, 35, 50: h = 1.8 → p90 = 35 + 0.8 × 15 = 47.
    assert!((set.p90.unwrap() - 47.0).abs() < 1e-9);
    assert_eq!(find(&set, "u1").score, 74, "100·35/47 = 74.47");
    assert_eq!(find(&set, "u2").score, 9, "100·4/47 = 8.51");
    assert_eq!(find(&set, "u3").score, 0, "inactive");
    assert_eq!(find(&set, "u4").score, 100, "106.4 clamps to 100");
}

#[test]
fn frequency_adoption_and_activation_of_a_user() {
    let set = compute_example(&PreviousScores::default());
    let u1 = find(&set, "u1");
    assert_eq!(
        u1.frequency, 3,
        "11-25, 11-30, 12-01; C on 11-27 is not scored"
    );
    assert_eq!(u1.adoption.period, 66.7, "A and B of A, B, Viewed Page");
    assert_eq!(u1.adoption.all_time, 66.7);
    assert_eq!(u1.activation.rate, Some(100.0));
    assert!(u1.activation.activated);
    let u2 = find(&set, "u2");
    assert_eq!(u2.adoption.period, 33.3);
    assert_eq!(u2.adoption.all_time, 66.7);
    assert_eq!(
        u2.activation.rate,
        Some(50.0),
        "A 3 ≥ 2 met, employees missing"
    );
    assert_eq!(
        u2.activation.criteria,
        vec![
            CriterionResult {
                name: "A twice".into(),
                met: true
            },
            CriterionResult {
                name: "Size known".into(),
                met: false
            }
        ]
    );
}

#[test]
fn the_breakdown_explains_the_raw_score() {
    let set = compute_example(&PreviousScores::default());
    let u1 = find(&set, "u1");
    assert_eq!(
        u1.breakdown.iter().map(|line| line.points).sum::<u64>(),
        u1.raw_score
    );
    assert_eq!(
        u1.breakdown[0],
        BreakdownLine {
            event: "A".into(),
            count: 3,
            weight: 10,
            points: 30
        }
    );
}

#[test]
fn accounts_roll_up_their_members() {
    let mut previous = PreviousScores::default();
    previous.accounts.insert("acme".into(), 50.0);
    let set = compute_example(&previous);
    let acme = find_account(&set, "acme");
    assert_eq!(acme.users.members, 3);
    assert_eq!(
        acme.users.total, 3,
        "u3's event 61 days ago is within 90 days"
    );
    assert_eq!(acme.users.active, 2);
    assert_eq!(acme.users.active_pct, 66.7);
    assert_eq!(acme.score.average, 41.5, "mean of 74 and 9");
    assert_eq!(acme.score.total, 83, "74 + 9 + 0");
    assert_eq!(acme.score.change, Some(-8.5));
    assert_eq!(acme.frequency, 4, "11-25, 11-28, 11-30, 12-01");
    assert_eq!(acme.adoption.period, 100.0);
    assert_eq!(
        acme.activation.rate,
        Some(50.0),
        "A summed 8 ≥ 2; acme has no employees trait"
    );
    assert_eq!(acme.last_seen, Some(at("2026-12-01T16:20:11Z")));
    assert_eq!(acme.members[0].id, "u1");
    assert_eq!(acme.breakdown.iter().map(|l| l.points).sum::<u64>(), 39);

    let globex = find_account(&set, "globex");
    assert_eq!(globex.score.average, 100.0);
    assert_eq!(globex.users.active_pct, 50.0);
    assert_eq!(
        globex.activation.rate,
        Some(50.0),
        "B is no activation event; employees trait present"
    );
    assert_eq!(
        globex.first_seen,
        at("2025-01-01T00:00:00Z"),
        "the group call predates the members"
    );
    assert!(globex.segments.contains(&"multi_user".to_string()));
    assert!(globex.segments.contains(&"most_engaged".to_string()));
    assert!(globex.segments.contains(&"mature".to_string()));
    assert_eq!(globex.score.change, None, "no score for the earlier day");
}

#[test]
fn score_change_compares_with_the_day_one_window_earlier() {
    let mut previous = PreviousScores::default();
    previous.users.insert("u1".into(), 60);
    previous.users.insert("u4".into(), 100);
    let set = compute_example(&previous);
    assert_eq!(find(&set, "u1").score_change, Some(14));
    assert!(find(&set, "u1").segments.contains(&"red_hot".to_string()));
    assert_eq!(find(&set, "u4").score_change, Some(0));
    assert_eq!(find(&set, "u2").score_change, None);
}

#[test]
fn the_population_rule_decides_who_is_scored_and_who_counts_for_p90() {
    let mut profile = profile();
    profile.population = Some(crate::profile::Population {
        where_rule: "traits.plan != 'trial'".into(),
    });
    let mut users = example_users();
    for user in &mut users {
        user.traits.insert("plan".into(), json!("pro"));
    }
    users[3].traits.insert("plan".into(), json!("trial"));
    let set = compute(
        &profile,
        day("2026-12-01"),
        &users,
        &HashMap::new(),
        &PreviousScores::default(),
        &Extras::default(),
    );
    assert_eq!(set.users.len(), 3);
    // Active raws 4, 35: h = 0.9 → p90 = 4 + 0.9 × 31 = 31.9; u1 = 100·35/31.9 → 100.
    assert!((set.p90.unwrap() - 31.9).abs() < 1e-9);
    assert!(
        set.accounts
            .iter()
            .all(|account| account.id != "globex" || account.users.members == 1)
    );
}

#[test]
fn users_first_seen_after_the_day_do_not_exist_yet() {
    let mut users = example_users();
    users[0].first_seen = Some(at("2026-12-02T00:00:00Z"));
    let set = compute(
        &profile(),
        day("2026-12-01"),
        &users,
        &HashMap::new(),
        &PreviousScores::default(),
        &Extras::default(),
    );
    assert!(set.users.iter().all(|user| user.id != "u1"));
}

#[test]
fn nobody_active_means_no_p90_and_all_zero_scores() {
    let users = vec![user("x", &[])];
    let set = compute(
        &profile(),
        day("2026-12-01"),
        &users,
        &HashMap::new(),
        &PreviousScores::default(),
        &Extras::default(),
    );
    assert_eq!(set.p90, None);
    assert_eq!(set.users[0].score, 0);
    assert!(set.users[0].segments.contains(&"least_engaged".to_string()));
}

#[test]
fn trait_criteria_compare_loosely_and_missing_traits_fail() {
    assert!(trait_test(
        Some(&json!("50")),
        TraitOp::Gte,
        Some(&json!(50))
    ));
    assert!(trait_test(Some(&json!(51)), TraitOp::Gt, Some(&json!(50))));
    assert!(!trait_test(None, TraitOp::Ne, Some(&json!("trial"))));
    assert!(trait_test(
        Some(&json!("pro")),
        TraitOp::Ne,
        Some(&json!("trial"))
    ));
    assert!(trait_test(
        Some(&json!(["a", "b"])),
        TraitOp::Contains,
        Some(&json!("b"))
    ));
    assert!(trait_test(
        Some(&json!("enterprise plan")),
        TraitOp::Contains,
        Some(&json!("plan"))
    ));
    assert!(!trait_test(Some(&Value::Null), TraitOp::Exists, None));
    assert!(trait_test(Some(&json!(0)), TraitOp::Exists, None));
}

#[test]
fn recomputing_the_same_inputs_gives_identical_results() {
    let first = compute_example(&PreviousScores::default());
    let second = compute_example(&PreviousScores::default());
    assert_eq!(first.users, second.users);
    assert_eq!(first.accounts, second.accounts);
}
