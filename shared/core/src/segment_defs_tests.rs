use super::*;

const SPEC_SEGMENT: &str = r#"
id: at_risk_enterprise
name: At-risk enterprise accounts
kind: accounts
profile: cs
rule: "score < 40 and score_change <= -5 and traits.plan == 'enterprise'"
"#;

fn problems(text: &str, path_id: Option<&str>) -> Vec<String> {
    match SegmentDefinition::parse(text, path_id) {
        Ok(def) => panic!("`{text}` should be refused, got {def:?}"),
        Err(error) => error.problems,
    }
}

fn def(id: &str, kind: SubjectKind, rule: &str) -> SegmentDefinition {
    SegmentDefinition {
        id: Slug::parse(id).unwrap(),
        name: id.into(),
        kind,
        profile: Slug::parse("cs").unwrap(),
        rule: rule.into(),
    }
}

fn ids(defs: &[SegmentDefinition], order: &[usize]) -> Vec<String> {
    order
        .iter()
        .map(|index| defs[*index].id.to_string())
        .collect()
}

#[test]
fn the_spec_segment_parses() {
    let def = SegmentDefinition::parse(SPEC_SEGMENT, None).unwrap();
    assert_eq!(def.id.as_str(), "at_risk_enterprise");
    assert_eq!(def.name, "At-risk enterprise accounts");
    assert_eq!(def.kind, SubjectKind::Accounts);
    assert_eq!(def.profile.as_str(), "cs");
    assert_eq!(def.compiled().scope(), Scope::Accounts);
}

#[test]
fn a_stored_segment_round_trips_through_json_and_reparses_as_json() {
    let def = SegmentDefinition::parse(SPEC_SEGMENT, None).unwrap();
    let stored = serde_json::to_string(&def).unwrap();
    assert_eq!(
        serde_json::from_str::<SegmentDefinition>(&stored).unwrap(),
        def
    );
    assert_eq!(SegmentDefinition::parse(&stored, None).unwrap(), def);
}

#[test]
fn the_path_id_fills_an_absent_id_and_must_match_a_present_one() {
    let without_id = "kind: users\nprofile: cs\nrule: score > 10";
    let def = SegmentDefinition::parse(without_id, Some("busy")).unwrap();
    assert_eq!(def.id.as_str(), "busy");
    assert_eq!(def.name, "busy", "the name defaults to the id");
    assert_eq!(
        problems(SPEC_SEGMENT, Some("other")),
        vec![
            "id: `at_risk_enterprise` does not match `other` in the path; leave it out or make them equal"
        ]
    );
    assert_eq!(
        problems(without_id, None),
        vec!["id: missing (a slug such as `at_risk`)"]
    );
}

#[test]
fn every_problem_is_listed_with_rule_errors_positioned() {
    let text = "id: Bad Id\nkind: teams\nprofile: CS\nrule: \"scroe < 40 and\"\ncolour: red";
    assert_eq!(
        problems(text, None),
        vec![
            "`colour`: unknown key (expected one of: id, name, kind, profile, rule)",
            "id: `Bad Id` may only contain a-z, 0-9, `_` and `-`",
            "kind: must be `users` or `accounts` (got \"teams\")",
            "profile: `CS` may only contain a-z, 0-9, `_` and `-`",
            "rule: expected a condition after `and`, found the end of the rule at 1:15",
        ]
    );
}

#[test]
fn a_rule_is_checked_for_the_segment_kind() {
    let users_reading_members = "id: x\nkind: users\nprofile: cs\nrule: users.total > 3";
    let errors = problems(users_reading_members, None);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("rule: ") && errors[0].contains("at 1:1"),
        "{errors:?}"
    );
    let account_reading_account = "id: x\nkind: accounts\nprofile: cs\nrule: account.score > 3";
    assert!(problems(account_reading_account, None)[0].contains("at 1:1"));
}

#[test]
fn a_default_segment_id_or_a_rule_naming_its_own_segment_is_refused() {
    assert_eq!(
        problems(
            "id: ice_cold\nkind: users\nprofile: cs\nrule: score < 5",
            None
        ),
        vec!["id: `ice_cold` is a default segment; choose another id for a custom one"]
    );
    assert_eq!(
        problems(
            "id: loop\nkind: users\nprofile: cs\nrule: \"segment('loop')\"",
            None
        ),
        vec!["rule: names its own segment `loop`"]
    );
}

#[test]
fn text_that_is_no_mapping_is_refused_with_what_is_expected() {
    assert_eq!(
        problems("- a list", None),
        vec!["a segment must be a mapping with `kind`, `profile` and `rule`"]
    );
    let error = SegmentDefinition::parse("[1", None).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("invalid segment: not valid YAML or JSON")
    );
}

#[test]
fn a_segment_comes_after_the_custom_segments_it_names() {
    let defs = vec![
        def(
            "cold_pro",
            SubjectKind::Users,
            "segment('cold') and traits.plan == 'pro'",
        ),
        def(
            "cold",
            SubjectKind::Users,
            "segment('ice_cold') or score < 10",
        ),
        def("big", SubjectKind::Accounts, "users.total > 10"),
    ];
    let order = evaluation_order(&defs).unwrap();
    assert_eq!(ids(&defs, &order), vec!["cold", "cold_pro", "big"]);
}

#[test]
fn naming_an_unknown_segment_or_one_of_another_kind_is_an_error() {
    let defs = vec![
        def("big", SubjectKind::Accounts, "users.total > 10"),
        def("in_big", SubjectKind::Users, "segment('big')"),
        def("users_multi", SubjectKind::Users, "segment('multi_user')"),
    ];
    let error = evaluation_order(&defs).unwrap_err();
    assert_eq!(
        error.problems,
        vec![
            "segment `in_big` names `big`, which is neither a default users segment nor a custom one of profile `cs`",
            "segment `users_multi` names `multi_user`, which is neither a default users segment nor a custom one of profile `cs`",
        ]
    );
}

#[test]
fn a_cycle_is_an_error_naming_its_segments_and_leaves_the_rest_computable() {
    let defs = vec![
        def("a", SubjectKind::Users, "segment('b')"),
        def("b", SubjectKind::Users, "segment('c')"),
        def("c", SubjectKind::Users, "segment('a') or score > 90"),
        def("fine", SubjectKind::Users, "score > 50"),
        def("behind", SubjectKind::Users, "segment('a')"),
    ];
    let error = evaluation_order(&defs).unwrap_err();
    assert_eq!(
        error.problems,
        vec!["segments refer to each other in a cycle: `a` → `b` → `c` → `a`"]
    );
    assert_eq!(ids(&defs, &plan(&defs).order), vec!["fine"]);
}

#[test]
fn segments_of_different_profiles_do_not_see_each_other() {
    let mut other = def("cold", SubjectKind::Users, "score < 10");
    other.profile = Slug::parse("trial").unwrap();
    let defs = vec![
        other,
        def("cold_pro", SubjectKind::Users, "segment('cold')"),
    ];
    assert!(evaluation_order(&defs).is_err());
}

#[test]
fn a_stored_rule_the_language_no_longer_accepts_matches_nobody() {
    let stored = def("odd", SubjectKind::Users, "scroe > 1");
    let rule = stored.compiled();
    assert_eq!(rule.source(), "false");
    let error = evaluation_order(&[stored]).unwrap_err();
    assert!(error.problems[0].starts_with("segment `odd`: rule: unknown field `scroe` at 1:1"));
}
