//! Custom segments and extra rules evaluated by `compute`, on a small worked example.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::*;
use crate::activity::PreviousScores;
use crate::day::Day;
use crate::ids::{IdentityKey, Slug};
use crate::scoring::compute;

fn day(text: &str) -> Day {
    text.parse().unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn profile() -> Profile {
    Profile::parse("id: cs\nevents: {A: 10, B: 5}").unwrap()
}

fn user(id: &str, accounts: &[&str], events: &[(&str, u64)], x_in_30_days: u64) -> UserActivity {
    let mut user = UserActivity {
        identity: Some(IdentityKey::User(id.into())),
        accounts: accounts.iter().map(|a| a.to_string()).collect(),
        first_seen: Some(at("2026-01-10T09:00:00Z")),
        last_seen: Some(at("2026-12-01T09:00:00Z")),
        recent_days: vec![day("2026-12-01")],
        ..Default::default()
    };
    for (event, count) in events {
        user.period
            .entry(event.to_string())
            .or_default()
            .insert(day("2026-12-01"), *count);
    }
    user.rule_counts
        .insert(("X".into(), Some(30)), x_in_30_days);
    user
}

/// Raw scores 30, 15, 10 (u4 inactive): h = 1.8, p90 = 15 + 0.8 × 15 = 27, so u1 scores
/// 100 (111 clamped), u2 56, u3 37. Acme (u1, u2) averages 78.0, Globex (u3) 37.0.
/// u2 scored 70 a window earlier: a change of −14 puts it in `ice_cold`.
fn compute_with(extras: &Extras) -> ScoreSet {
    let mut u1 = user("u1", &["acme"], &[("A", 3)], 4);
    u1.traits.insert("plan".into(), json!("pro"));
    let users = vec![
        u1,
        user("u2", &["acme"], &[("B", 3)], 1),
        user("u3", &["globex"], &[("A", 1)], 0),
        user("u4", &[], &[], 0),
    ];
    let mut previous = PreviousScores::default();
    previous.users.insert("u2".into(), 70);
    compute(
        &profile(),
        day("2026-12-01"),
        &users,
        &HashMap::new(),
        &previous,
        extras,
    )
}

fn segment(id: &str, kind: SubjectKind, rule: &str) -> SegmentDefinition {
    SegmentDefinition {
        id: Slug::parse(id).unwrap(),
        name: id.into(),
        kind,
        profile: Slug::parse("cs").unwrap(),
        rule: rule.into(),
    }
}

fn with_segments(segments: Vec<SegmentDefinition>) -> Extras {
    Extras {
        segments,
        ..Default::default()
    }
}

fn with_rules(rules: &[(&str, &str, Scope)]) -> Extras {
    Extras {
        rules: rules
            .iter()
            .map(|(key, source, scope)| (key.to_string(), Rule::parse(source, *scope).unwrap()))
            .collect(),
        ..Default::default()
    }
}

fn segments_of_user(set: &ScoreSet, id: &str) -> Vec<String> {
    set.users
        .iter()
        .find(|u| u.id == id)
        .unwrap()
        .segments
        .clone()
}

fn segments_of_account(set: &ScoreSet, id: &str) -> Vec<String> {
    set.accounts
        .iter()
        .find(|a| a.id == id)
        .unwrap()
        .segments
        .clone()
}

fn matches(set: &ScoreSet, key: &str) -> Vec<String> {
    set.rule_matches[key].iter().cloned().collect()
}

#[test]
fn the_worked_example_scores_as_its_comment_says() {
    let set = compute_with(&Extras::default());
    let scores: Vec<u32> = set.users.iter().map(|u| u.score).collect();
    assert_eq!(scores, vec![100, 56, 37, 0]);
    assert_eq!(set.accounts[0].score.average, 78.0);
    assert!(segments_of_user(&set, "u2").contains(&"ice_cold".to_string()));
    assert!(set.rule_matches.is_empty());
}

#[test]
fn a_custom_users_segment_is_appended_after_the_default_ones() {
    let set = compute_with(&with_segments(vec![segment(
        "pro_users",
        SubjectKind::Users,
        "traits.plan == 'pro'",
    )]));
    assert_eq!(segments_of_user(&set, "u1").last().unwrap(), "pro_users");
    assert!(!segments_of_user(&set, "u2").contains(&"pro_users".to_string()));
}

#[test]
fn a_custom_accounts_segment_reads_member_aggregates() {
    let set = compute_with(&with_segments(vec![segment(
        "team_active",
        SubjectKind::Accounts,
        "users.active >= 2",
    )]));
    assert!(segments_of_account(&set, "acme").contains(&"team_active".to_string()));
    assert!(!segments_of_account(&set, "globex").contains(&"team_active".to_string()));
}

#[test]
fn a_custom_segment_may_name_a_default_segment() {
    let set = compute_with(&with_segments(vec![segment(
        "slipping",
        SubjectKind::Users,
        "segment('ice_cold') and count('X', 30) >= 1",
    )]));
    assert!(segments_of_user(&set, "u2").contains(&"slipping".to_string()));
    assert!(!segments_of_user(&set, "u1").contains(&"slipping".to_string()));
}

#[test]
fn a_custom_segment_naming_another_is_evaluated_after_it_whatever_the_listed_order() {
    let set = compute_with(&with_segments(vec![
        segment(
            "pro_engaged",
            SubjectKind::Users,
            "segment('pro_users') and score > 50",
        ),
        segment("pro_users", SubjectKind::Users, "traits.plan == 'pro'"),
    ]));
    let u1 = segments_of_user(&set, "u1");
    assert_eq!(u1[u1.len() - 2..], ["pro_users", "pro_engaged"]);
}

#[test]
fn segments_in_a_cycle_are_skipped_and_the_others_still_computed() {
    let set = compute_with(&with_segments(vec![
        segment("a", SubjectKind::Users, "segment('b')"),
        segment("b", SubjectKind::Users, "segment('a')"),
        segment("everyone", SubjectKind::Users, "score >= 0"),
    ]));
    let u1 = segments_of_user(&set, "u1");
    assert!(u1.contains(&"everyone".to_string()));
    assert!(!u1.iter().any(|id| id == "a" || id == "b"));
}

#[test]
fn segments_of_another_profile_are_not_evaluated() {
    let mut other = segment("everyone", SubjectKind::Users, "score >= 0");
    other.profile = Slug::parse("trial").unwrap();
    let set = compute_with(&with_segments(vec![other]));
    assert!(!segments_of_user(&set, "u1").contains(&"everyone".to_string()));
}

#[test]
fn count_rules_read_users_counts_and_accounts_sum_their_members() {
    let set = compute_with(&with_rules(&[
        ("heavy_x", "count('X', 30) >= 3", Scope::Users),
        ("team_x", "count('X', 30) >= 5", Scope::Accounts),
    ]));
    assert_eq!(matches(&set, "heavy_x"), vec!["u1"]);
    assert_eq!(matches(&set, "team_x"), vec!["acme"], "4 + 1");
}

#[test]
fn a_users_rule_reads_its_account_through_the_account_prefix() {
    let set = compute_with(&with_rules(&[(
        "in_busy_account",
        "account.score > 60",
        Scope::Users,
    )]));
    assert_eq!(matches(&set, "in_busy_account"), vec!["u1", "u2"]);
}

#[test]
fn rule_matches_hold_every_key_even_when_nobody_matches() {
    let set = compute_with(&with_rules(&[
        ("nobody", "score > 100", Scope::Users),
        ("cold", "segment('ice_cold')", Scope::Users),
    ]));
    assert_eq!(matches(&set, "nobody"), Vec::<String>::new());
    assert_eq!(matches(&set, "cold"), vec!["u2"]);
}

#[test]
fn rules_see_custom_segments() {
    let extras = Extras {
        segments: vec![segment(
            "pro_users",
            SubjectKind::Users,
            "traits.plan == 'pro'",
        )],
        rules: vec![(
            "where:x".into(),
            Rule::parse("segment('pro_users')", Scope::Users).unwrap(),
        )],
    };
    assert_eq!(matches(&compute_with(&extras), "where:x"), vec!["u1"]);
}

#[test]
fn event_needs_collect_population_segments_and_rules_once_each() {
    let mut profile = profile();
    profile.population = Some(crate::profile::Population {
        where_rule: "did('Signup')".into(),
    });
    let extras = Extras {
        segments: vec![segment("x", SubjectKind::Users, "count('X', 30) >= 1")],
        rules: vec![(
            "k".into(),
            Rule::parse("count('X', 30) >= 3 or did('Signup')", Scope::Users).unwrap(),
        )],
    };
    let needs = event_needs(&profile, &extras);
    let expected = vec![
        EventNeed {
            event: "Signup".into(),
            days: None,
        },
        EventNeed {
            event: "X".into(),
            days: Some(30),
        },
    ];
    assert_eq!(needs, expected);
}
