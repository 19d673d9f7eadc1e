//! Decisions after a recompute: every trigger at its edges, `where`, cooldown, repeats.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::json;

use super::fixtures::{account, at, day, keys, profile, rule, user};
use super::*;
use crate::profile::Profile;
use crate::scoring::ScoreSet;
use crate::snapshot::SnapshotKeys;

/// Today's computation (2026-12-01) and what was known on the previous computed day.
struct Fixture {
    profile: Profile,
    previous_day: Option<crate::day::Day>,
    current: ScoreSet,
    previous_keys: HashMap<(SubjectKind, String), SnapshotKeys>,
    entered: Vec<(SubjectKind, String, String)>,
    previous_matches: BTreeMap<String, BTreeSet<String>>,
    last_fired: LastFired,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            profile: profile(),
            previous_day: Some(day("2026-11-30")),
            current: ScoreSet::default(),
            previous_keys: HashMap::new(),
            entered: Vec::new(),
            previous_matches: BTreeMap::new(),
            last_fired: HashMap::new(),
        }
    }

    /// An account now, with its average on the previous computed day.
    fn account(mut self, id: &str, before: f64, now: f64) -> Self {
        self.current.accounts.push(account(id, now, None, &[]));
        self.previous_keys
            .insert((SubjectKind::Accounts, id.into()), keys(before, None));
        self
    }

    fn activation(mut self, id: &str, before: Option<Option<f64>>, now: f64) -> Self {
        self.current
            .accounts
            .push(account(id, 50.0, Some(now), &[]));
        if let Some(before) = before {
            self.previous_keys
                .insert((SubjectKind::Accounts, id.into()), keys(50.0, before));
        }
        self
    }

    fn matches(mut self, key: &str, now: &[&str], before: Option<&[&str]>) -> Self {
        let set = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect();
        self.current.rule_matches.insert(key.into(), set(now));
        if let Some(before) = before {
            self.previous_matches.insert(key.into(), set(before));
        }
        self
    }

    fn decide(&self, rules: &[AlertRule]) -> Vec<Alert> {
        decide_after_recompute(
            rules,
            &RecomputeContext {
                profile: &self.profile,
                day: day("2026-12-01"),
                previous_day: self.previous_day,
                now: at("2026-12-01T06:00:00Z"),
                current: &self.current,
                previous_keys: &self.previous_keys,
                entered: &self.entered,
                previous_matches: &self.previous_matches,
                last_fired: &self.last_fired,
                segments: &[],
            },
        )
    }

    fn subjects(&self, rules: &[AlertRule]) -> Vec<String> {
        self.decide(rules)
            .into_iter()
            .map(|alert| alert.subject)
            .collect()
    }
}

fn score_drop() -> AlertRule {
    rule("scope: accounts\ntrigger: {score_change: {by: -10}}\nchannel: cs-alerts")
}

#[test]
fn a_drop_exactly_at_the_threshold_fires_and_one_short_of_it_does_not() {
    let fixture = Fixture::new()
        .account("acme", 60.0, 50.0)
        .account("globex", 60.0, 50.1)
        .account("initech", 60.0, 20.0);
    assert_eq!(fixture.subjects(&[score_drop()]), vec!["acme", "initech"]);
}

#[test]
fn a_positive_by_fires_on_a_rise_at_the_threshold_and_never_on_a_drop() {
    let rise = rule("scope: accounts\ntrigger: {score_change: {by: 10}}");
    let fixture = Fixture::new()
        .account("acme", 40.0, 50.0)
        .account("globex", 40.0, 49.9)
        .account("initech", 60.0, 20.0);
    assert_eq!(fixture.subjects(&[rise]), vec!["acme"]);
    let fixture = Fixture::new().account("acme", 40.0, 60.0);
    assert!(
        fixture.subjects(&[score_drop()]).is_empty(),
        "a rise is no drop"
    );
}

#[test]
fn a_subject_without_a_previous_score_does_not_fire() {
    let mut fixture = Fixture::new();
    fixture
        .current
        .accounts
        .push(account("acme", 0.0, None, &[]));
    assert!(fixture.decide(&[score_drop()]).is_empty());
}

#[test]
fn a_score_change_alert_tells_a_cs_person_what_happened() {
    let alerts = Fixture::new()
        .account("acme", 63.4, 49.4)
        .decide(&[score_drop()]);
    let alert = &alerts[0];
    assert_eq!(
        alert.headline,
        "Acme is cooling off: average score fell 14.0 points (63.4 → 49.4)"
    );
    assert_eq!(alert.subject_name.as_deref(), Some("Acme"));
    assert_eq!(alert.channel.as_deref(), Some("cs-alerts"));
    assert_eq!(alert.trigger, "score_change");
    let facts: Vec<(&str, &str)> = alert
        .facts
        .iter()
        .map(|(label, value)| (label.as_str(), value.as_str()))
        .collect();
    assert_eq!(
        facts,
        vec![
            ("Average score", "49.4"),
            ("Change", "−14.0 since 2026-11-30"),
            ("Active users", "7 of 12 (58.3 %)"),
        ]
    );
}

#[test]
fn a_users_alert_names_the_user_and_their_id() {
    let mut fixture = Fixture::new();
    let mut jane = user("u-42", 46, None, &["passive"]);
    jane.traits.insert("name".into(), json!("Jane"));
    fixture.current.users.push(jane);
    fixture
        .previous_keys
        .insert((SubjectKind::Users, "u-42".into()), keys(60.0, None));
    let drop = rule("scope: users\ntrigger: {score_change: {by: -10}}");
    let alert = &fixture.decide(&[drop])[0];
    assert_eq!(
        alert.headline,
        "Jane (u-42) is cooling off: score fell 14 points (60 → 46)"
    );
    assert!(alert.facts.contains(&("Segments".into(), "Passive".into())));
}

#[test]
fn activation_fires_when_crossing_or_new_but_not_when_staying_above() {
    let reached = rule("scope: accounts\ntrigger: {activation_above: {percent: 100}}");
    let fixture = Fixture::new()
        .activation("crossed", Some(Some(75.0)), 100.0)
        .activation("stayed", Some(Some(100.0)), 100.0)
        .activation("fresh", None, 100.0)
        .activation("fresh_below", None, 50.0)
        .activation("unknown_before", Some(None), 100.0);
    let alerts = fixture.decide(&[reached]);
    let subjects: Vec<&str> = alerts.iter().map(|alert| alert.subject.as_str()).collect();
    assert_eq!(subjects, vec!["crossed", "fresh"]);
    assert_eq!(alerts[0].headline, "Crossed reached 100 % activation");
}

#[test]
fn entering_a_segment_fires_and_already_being_in_it_does_not() {
    let mut fixture = Fixture::new();
    fixture.current.accounts = vec![
        account("acme", 10.0, None, &["ice_cold"]),
        account("globex", 10.0, None, &["ice_cold"]),
    ];
    fixture.entered = vec![(SubjectKind::Accounts, "ice_cold".into(), "acme".into())];
    let cold = rule("scope: accounts\ntrigger: {entered_segment: {segment: ice_cold}}");
    let alerts = fixture.decide(&[cold]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].headline, "Acme entered Ice cold");
    assert_eq!(alerts[0].occurrence, "2026-12-01/ice_cold");
}

#[test]
fn a_custom_rule_fires_when_it_turns_true_and_not_while_it_stays_true() {
    let custom = rule("scope: accounts\ntrigger: {custom: {rule: \"score < 20\"}}");
    let fixture = Fixture::new()
        .account("acme", 30.0, 10.0)
        .account("globex", 15.0, 10.0)
        .matches("custom:r", &["acme", "globex"], Some(&["globex"]));
    let alerts = fixture.decide(&[custom]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].headline, "Acme now matches r: score < 20");
}

#[test]
fn a_custom_rule_the_previous_day_did_not_evaluate_takes_this_day_as_its_baseline() {
    let custom = rule("scope: accounts\ntrigger: {custom: {rule: \"score < 20\"}}");
    let fixture = Fixture::new()
        .account("acme", 30.0, 10.0)
        .matches("custom:r", &["acme"], None);
    assert!(fixture.decide(&[custom]).is_empty());
}

#[test]
fn where_must_match_now() {
    let filtered = rule(
        "scope: accounts\ntrigger: {score_change: {by: -10}}\nwhere: \"traits.plan != 'trial'\"",
    );
    let fixture = Fixture::new()
        .account("acme", 60.0, 40.0)
        .account("globex", 60.0, 40.0)
        .matches("where:r", &["acme"], None);
    assert_eq!(
        fixture.subjects(std::slice::from_ref(&filtered)),
        vec!["acme"]
    );
    let not_evaluated = Fixture::new().account("acme", 60.0, 40.0);
    assert!(not_evaluated.subjects(&[filtered]).is_empty());
}

#[test]
fn a_cooldown_skips_a_subject_inside_it_and_lets_it_fire_once_over() {
    let cooled = rule("scope: accounts\ntrigger: {score_change: {by: -10}}\ncooldown: 24h");
    let mut fixture = Fixture::new()
        .account("acme", 60.0, 40.0)
        .account("globex", 60.0, 40.0);
    let last = |text: &str| at(text);
    fixture
        .last_fired
        .insert(("r".into(), "acme".into()), last("2026-11-30T06:00:01Z"));
    fixture
        .last_fired
        .insert(("r".into(), "globex".into()), last("2026-11-30T06:00:00Z"));
    assert_eq!(
        fixture.subjects(&[cooled]),
        vec!["globex"],
        "exactly 24 h later fires"
    );
}

#[test]
fn the_same_recompute_twice_gives_the_same_alert_ids() {
    let fixture = Fixture::new().account("acme", 60.0, 40.0);
    let first = fixture.decide(&[score_drop()]);
    let second = fixture.decide(&[score_drop()]);
    assert_eq!(first, second);
    assert_eq!(
        first[0].id,
        alert_id("r", SubjectKind::Accounts, "acme", "2026-12-01")
    );
}

#[test]
fn a_first_computation_is_a_baseline_that_raises_nothing() {
    let mut fixture =
        Fixture::new()
            .account("acme", 60.0, 40.0)
            .matches("custom:c", &["acme"], Some(&[]));
    fixture.previous_day = None;
    fixture.entered = vec![(SubjectKind::Accounts, "ice_cold".into(), "acme".into())];
    let rules = [
        score_drop(),
        rule("scope: accounts\ntrigger: {entered_segment: {segment: ice_cold}}"),
    ];
    assert!(fixture.decide(&rules).is_empty());
}

#[test]
fn only_recompute_rules_of_the_computed_profile_are_considered() {
    let other_profile = AlertRule::parse(
        "id: o\nprofile: trial\nscope: accounts\ntrigger: {score_change: {by: -10}}",
        None,
    )
    .unwrap();
    let ingestion = rule("scope: accounts\ntrigger: new_user");
    let fixture = Fixture::new().account("acme", 60.0, 40.0);
    assert!(fixture.decide(&[other_profile, ingestion]).is_empty());
}
