use super::*;

const SPEC_PROFILE: &str = r#"
id: cs                      # [a-z0-9_-]+, unique in the workspace
name: CS Scoring Profile
window_days: 7
population:
  where: "traits.plan != 'trial'"
events:
  Report Created: 10
  Dashboard Shared: 8
  Invite Sent: 5
  Viewed Page: 1
  Source Connected: 0
core_features: [Report Created, Dashboard Shared]
activation:
  - name: Invited two teammates
    event: Invite Sent
    min_count: 2
  - name: Connected a data source
    event: Source Connected
  - name: Company size known
    trait: employees
    op: exists
"#;

#[test]
fn the_spec_profile_parses_with_its_defaults() {
    let profile = Profile::parse(SPEC_PROFILE).unwrap();
    assert_eq!(profile.id.as_str(), "cs");
    assert_eq!(profile.name, "CS Scoring Profile");
    assert_eq!(profile.window_days, 7);
    assert_eq!(profile.weight("Report Created"), 10);
    assert_eq!(
        profile.scored_events().count(),
        4,
        "weight 0 is listed but not scored"
    );
    assert_eq!(
        profile.core_features,
        vec!["Report Created", "Dashboard Shared"]
    );
    assert_eq!(
        profile.activation[1].test,
        CriterionTest::Event {
            event: "Source Connected".into(),
            min_count: 1
        }
    );
    assert_eq!(
        profile.activation[2].test,
        CriterionTest::Trait {
            trait_name: "employees".into(),
            op: TraitOp::Exists,
            value: None
        }
    );
    assert!(profile.population_rule().is_some());
}

#[test]
fn the_same_profile_as_json_parses_to_the_same_value() {
    let yaml = Profile::parse(SPEC_PROFILE).unwrap();
    let json = serde_json::to_string(&serde_json::to_value(&yaml).unwrap()).unwrap();
    assert_eq!(Profile::parse(&json).unwrap(), yaml);
}

#[test]
fn a_stored_profile_round_trips_through_serde() {
    let profile = Profile::parse(SPEC_PROFILE).unwrap();
    let stored = serde_json::to_string(&profile).unwrap();
    let back: Profile = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, profile);
}

#[test]
fn a_minimal_profile_gets_a_seven_day_window_and_its_id_as_name() {
    let profile = Profile::parse("id: trial\nevents: {Login: 1}").unwrap();
    assert_eq!(profile.window_days, 7);
    assert_eq!(profile.name, "trial");
    assert!(profile.population.is_none());
}

#[test]
fn every_problem_of_an_invalid_profile_is_listed() {
    let error = Profile::parse(
        r#"
id: "Not A Slug"
window_days: 14
colour: blue
events:
  Report Created: 11
  "": 3
core_features: [Reprot Created]
activation:
  - name: Twice
    event: Invite Sent
    min_count: 0
  - name: Size
    trait: employees
    op: between
  - event: Login
  - name: Twice
    event: Login
"#,
    )
    .unwrap_err();
    let all = error.problems.join("\n");
    for expected in [
        "id: `Not A Slug` may only contain",
        "window_days: must be 1, 7 or 30 (got 14)",
        "`colour`: unknown key",
        "events.`Report Created`: weight must be a whole number from 0 to 10 (got 11)",
        "events.``: event name must not be empty",
        "core_features[0]: `Reprot Created` is not one of the profile's events",
        "activation[0].min_count: must be a whole number ≥ 1 (got 0)",
        "activation[1].op: must be one of exists",
        "activation[2].name: missing",
        "activation[3].name: `Twice` is used twice",
    ] {
        assert!(
            all.contains(expected),
            "missing problem {expected:?} in:\n{all}"
        );
    }
    assert_eq!(error.problems.len(), 10, "{all}");
}

#[test]
fn a_profile_that_is_not_yaml_or_not_a_mapping_says_so() {
    let error = Profile::parse("id: [unclosed").unwrap_err();
    assert!(error.problems[0].starts_with("not valid YAML or JSON"));
    let error = Profile::parse("- a\n- b").unwrap_err();
    assert!(error.problems[0].contains("must be a mapping"));
}

#[test]
fn missing_id_and_events_are_both_reported() {
    let error = Profile::parse("name: nothing").unwrap_err();
    assert_eq!(error.problems.len(), 2, "{:?}", error.problems);
}

#[test]
fn all_zero_weights_are_refused() {
    let error = Profile::parse("id: x\nevents: {A: 0, B: 0}").unwrap_err();
    assert!(error.problems[0].contains("at least one event needs a weight"));
}

#[test]
fn trait_criteria_check_their_value() {
    let error = Profile::parse(
        "id: x\nevents: {A: 1}\nactivation:\n - {name: a, trait: seats, op: gt, value: many}\n - {name: b, trait: plan, op: eq}\n - {name: c, trait: t, op: exists, value: 1}",
    )
    .unwrap_err();
    assert_eq!(
        error.problems,
        vec![
            "activation[0].value: `gt` needs a number",
            "activation[1].value: missing (the value to compare with)",
            "activation[2].value: `exists` takes no value",
        ]
    );
}

#[test]
fn an_invalid_population_rule_is_reported_with_its_position() {
    let error =
        Profile::parse("id: x\nevents: {A: 1}\npopulation: {where: \"score > 3\"}").unwrap_err();
    assert!(
        error.problems[0].starts_with("population.where:"),
        "{:?}",
        error.problems
    );
}

#[test]
fn the_sample_profiles_shipped_in_infra_are_valid() {
    for text in [
        include_str!("../../../infra/profiles/cs.yaml"),
        include_str!("../../../infra/profiles/trial.yaml"),
    ] {
        let profile = Profile::parse(text).unwrap();
        assert!(profile.population_rule().is_some());
    }
}

#[test]
fn the_sample_alert_rules_and_segments_shipped_in_infra_are_valid() {
    for text in [
        include_str!("../../../infra/alerts/cooling-off.yaml"),
        include_str!("../../../infra/alerts/new-users.yaml"),
        include_str!("../../../infra/alerts/core-feature.yaml"),
        include_str!("../../../infra/alerts/activated.yaml"),
        include_str!("../../../infra/alerts/gone-quiet.yaml"),
    ] {
        crate::alerts::AlertRule::parse(text, None).unwrap();
    }
    crate::SegmentDefinition::parse(include_str!("../../../infra/segments/at-risk.yaml"), None)
        .unwrap();
}
