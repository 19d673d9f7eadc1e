//! The contract between the pieces: the rules `rule_keys` names are evaluated by `compute`,
//! and the decision reads their matches on two computed days.

use std::collections::HashMap;

use serde_json::json;

use super::fixtures::{at, day};
use super::*;
use crate::activity::{PreviousScores, UserActivity};
use crate::extras::Extras;
use crate::ids::IdentityKey;
use crate::profile::Profile;
use crate::scoring::{ScoreSet, compute};

/// A pro user who did `A` `count` times on each of the given days.
fn user(id: &str, days: &[(&str, u64)]) -> UserActivity {
    let mut user = UserActivity {
        identity: Some(IdentityKey::User(id.into())),
        first_seen: Some(at("2026-11-01T09:00:00Z")),
        ..Default::default()
    };
    user.traits.insert("plan".into(), json!("pro"));
    for (on, count) in days {
        user.period
            .entry("A".into())
            .or_default()
            .insert(day(on), *count);
    }
    user
}

fn compute_on(profile: &Profile, on: &str, users: &[UserActivity], extras: &Extras) -> ScoreSet {
    compute(
        profile,
        day(on),
        users,
        &HashMap::new(),
        &PreviousScores::default(),
        extras,
    )
}

#[test]
fn a_custom_rule_computed_on_two_days_fires_for_the_subject_it_newly_matches() {
    let profile = Profile::parse("id: cs\nevents: {A: 10}").unwrap();
    let rule = AlertRule::parse(
        "id: slipping\nprofile: cs\nscope: users\ntrigger: {custom: {rule: \"score < 50\"}}\n\
         where: \"traits.plan == 'pro'\"",
        None,
    )
    .unwrap();
    let extras = Extras {
        rules: rule_keys(&rule),
        ..Default::default()
    };
    // 11-30: raw 10 and 50, p90 46: u1 scores 22 (matches), u2 100.
    let before = vec![
        user("u1", &[("2026-11-30", 1)]),
        user("u2", &[("2026-11-30", 5)]),
    ];
    // 12-01: u3 arrives with raw 200, p90 170: u1 6 (still matches), u2 29 (newly), u3 100.
    let mut now = before.clone();
    now.push(user("u3", &[("2026-12-01", 20)]));
    let previous = compute_on(&profile, "2026-11-30", &before, &extras);
    let current = compute_on(&profile, "2026-12-01", &now, &extras);

    let alerts = decide_after_recompute(
        &[rule],
        &RecomputeContext {
            profile: &profile,
            day: day("2026-12-01"),
            previous_day: Some(day("2026-11-30")),
            now: at("2026-12-01T06:00:00Z"),
            current: &current,
            previous_keys: &HashMap::new(),
            entered: &[],
            previous_matches: &previous.rule_matches,
            last_fired: &HashMap::new(),
            segments: &[],
        },
    );
    let subjects: Vec<&str> = alerts.iter().map(|alert| alert.subject.as_str()).collect();
    assert_eq!(subjects, vec!["u2"]);
    assert_eq!(alerts[0].headline, "u2 now matches slipping: score < 50");
}
