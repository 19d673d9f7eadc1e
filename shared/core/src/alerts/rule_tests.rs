//! Alert rules as written in the SPEC: parsing, every problem listed, the stored shape.

use serde_json::json;

use super::*;
use crate::rules::Scope;

const SPEC_RULE: &str = r#"
id: cooling-off
profile: cs
scope: accounts
trigger: {score_change: {by: -10}}      # or: new_user | core_feature_adopted |
where: "traits.plan != 'trial'"          # optional filter
channel: cs-alerts                       # optional; default channel when absent
cooldown: 24h                            # optional
"#;

/// The other triggers of the SPEC example, each with a scope it is valid in.
const SPEC_TRIGGERS: [(&str, &str); 5] = [
    ("new_user", "accounts"),
    ("core_feature_adopted", "accounts"),
    ("{activation_above: {percent: 100}}", "users"),
    ("{entered_segment: {segment: ice_cold}}", "users"),
    (
        "{custom: {rule: \"score < 20 and users.active >= 3\"}}",
        "accounts",
    ),
];

fn with_trigger(trigger: &str, scope: &str) -> String {
    format!("id: r\nprofile: cs\nscope: {scope}\ntrigger: {trigger}")
}

fn problems(text: &str) -> Vec<String> {
    match AlertRule::parse(text, None) {
        Ok(rule) => panic!("`{text}` should be refused, got {rule:?}"),
        Err(error) => error.problems,
    }
}

#[test]
fn the_spec_rule_parses() {
    let rule = AlertRule::parse(SPEC_RULE, None).unwrap();
    assert_eq!(rule.id.as_str(), "cooling-off");
    assert_eq!(rule.scope, SubjectKind::Accounts);
    assert_eq!(rule.trigger, Trigger::ScoreChange { by: -10.0 });
    assert_eq!(rule.where_rule.as_deref(), Some("traits.plan != 'trial'"));
    assert_eq!(rule.channel.as_deref(), Some("cs-alerts"));
    assert_eq!(rule.cooldown.as_ref().map(Cooldown::seconds), Some(86_400));
}

#[test]
fn every_trigger_of_the_spec_parses() {
    let parsed: Vec<Trigger> = SPEC_TRIGGERS
        .iter()
        .map(|(trigger, scope)| {
            AlertRule::parse(&with_trigger(trigger, scope), None)
                .unwrap()
                .trigger
        })
        .collect();
    assert_eq!(
        parsed,
        vec![
            Trigger::NewUser,
            Trigger::CoreFeatureAdopted,
            Trigger::ActivationAbove { percent: 100.0 },
            Trigger::EnteredSegment {
                segment: "ice_cold".into()
            },
            Trigger::Custom {
                rule: "score < 20 and users.active >= 3".into()
            },
        ]
    );
}

#[test]
fn a_rule_is_stored_as_json_in_the_shape_people_write() {
    let rule = AlertRule::parse(SPEC_RULE, None).unwrap();
    assert_eq!(
        serde_json::to_value(&rule).unwrap(),
        json!({
            "id": "cooling-off", "profile": "cs", "scope": "accounts",
            "trigger": {"score_change": {"by": -10}},
            "where": "traits.plan != 'trial'", "channel": "cs-alerts", "cooldown": "24h"
        })
    );
    let plain = AlertRule::parse(&with_trigger("new_user", "accounts"), None).unwrap();
    assert_eq!(
        serde_json::to_value(&plain).unwrap(),
        json!({"id": "r", "profile": "cs", "scope": "accounts", "trigger": "new_user"})
    );
}

#[test]
fn every_spec_rule_round_trips_through_json_and_yaml() {
    let mut texts = vec![SPEC_RULE.to_string()];
    texts.extend(
        SPEC_TRIGGERS
            .iter()
            .map(|(trigger, scope)| with_trigger(trigger, scope)),
    );
    for text in texts {
        let rule = AlertRule::parse(&text, None).unwrap();
        let stored = serde_json::to_string(&rule).unwrap();
        assert_eq!(serde_json::from_str::<AlertRule>(&stored).unwrap(), rule);
        assert_eq!(AlertRule::parse(&stored, None).unwrap(), rule, "{stored}");
        let yaml = serde_yaml_ng::to_string(&rule).unwrap();
        assert_eq!(AlertRule::parse(&yaml, None).unwrap(), rule, "{yaml}");
    }
}

#[test]
fn every_problem_is_listed_with_rule_errors_positioned() {
    let text = "id: Cooling\nprofile: cs\nscope: teams\ntrigger: {score_change: {by: 0}}\n\
                where: \"scroe > 1\"\nchannel: \"#cs-alerts\"\ncooldown: soon\nmute: true";
    assert_eq!(
        problems(text),
        vec![
            "`mute`: unknown key (expected one of: id, profile, scope, trigger, where, channel, cooldown)",
            "id: `Cooling` may only contain a-z, 0-9, `_` and `-`",
            "scope: must be `users` or `accounts` (got \"teams\")",
            "trigger.score_change.by: must be a number of points from -100 to 100 other than 0 (negative = a drop), got 0",
            "where: unknown field `scroe` at 1:1 — did you mean `score`?",
            "channel: `#cs-alerts` must be 1 to 80 of a-z, 0-9, `_` and `-`, like `cs-alerts`; write it without the `#`",
            "cooldown: `soon` is not a duration; write e.g. `24h`, `30m`, `2d` or `1h30m`",
        ]
    );
}

#[test]
fn rules_in_where_and_custom_are_checked_for_the_scope() {
    let text = "id: r\nprofile: cs\nscope: users\ntrigger: {custom: {rule: \"users.active >= 3\"}}\n\
                where: \"score > 1 and users.total > 2\"";
    let found = problems(text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("trigger.custom.rule: ") && found[0].contains("at 1:1"));
    assert!(found[1].starts_with("where: ") && found[1].contains("at 1:15"));
}

#[test]
fn new_user_and_core_feature_adopted_need_the_accounts_scope() {
    for trigger in ["new_user", "core_feature_adopted"] {
        assert_eq!(
            problems(&with_trigger(trigger, "users")),
            vec![format!(
                "trigger: `{trigger}` is about an account (a new account or member, a first use by the account); set `scope: accounts`"
            )]
        );
    }
}

#[test]
fn trigger_values_out_of_range_are_refused() {
    let refused = |trigger: &str| problems(&with_trigger(trigger, "users"));
    assert!(refused("{activation_above: {percent: 0}}")[0].contains("more than 0"));
    assert!(refused("{activation_above: {percent: 100.5}}")[0].contains("at most 100"));
    assert!(refused("{score_change: {by: 101}}")[0].contains("from -100 to 100"));
    assert!(refused("{score_change: {by: ten}}")[0].contains("must be a number"));
    assert!(refused("{score_change: {}}")[0].contains("missing, e.g. {score_change: {by: -10}}"));
    assert!(
        refused("{entered_segment: {segment: Ice Cold}}")[0]
            .starts_with("trigger.entered_segment.segment:")
    );
    assert!(refused("{entered_segment: {segment: multi_user}}")[0].contains("accounts only"));
    assert!(refused("{score_change: {by: -10, days: 7}}")[0].contains("`days`: unknown key"));
    assert!(refused("{new_user: {when: now}}")[0].contains("takes no parameters"));
    assert!(refused("{score_change: {by: 1}, new_user: null}")[0].contains("one mapping"));
}

#[test]
fn an_unknown_trigger_suggests_the_closest() {
    assert_eq!(
        problems(&with_trigger("{score_chnage: {by: -10}}", "users")),
        vec![
            "trigger: unknown trigger `score_chnage` (expected one of: score_change, new_user, activation_above, entered_segment, core_feature_adopted, custom) — did you mean `score_change`?"
        ]
    );
}

#[test]
fn the_path_id_fills_an_absent_id_and_must_match_a_present_one() {
    let without_id = "profile: cs\nscope: accounts\ntrigger: new_user";
    assert_eq!(
        AlertRule::parse(without_id, Some("welcome"))
            .unwrap()
            .id
            .as_str(),
        "welcome"
    );
    let error = AlertRule::parse(SPEC_RULE, Some("other")).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("invalid alert rule: id: `cooling-off` does not match")
    );
}

#[test]
fn rule_keys_name_the_where_and_custom_rules_compute_must_evaluate() {
    let spec = AlertRule::parse(SPEC_RULE, None).unwrap();
    let keys: Vec<(String, Scope)> = rule_keys(&spec)
        .into_iter()
        .map(|(key, rule)| (key, rule.scope()))
        .collect();
    assert_eq!(
        keys,
        vec![("where:cooling-off".to_string(), Scope::Accounts)]
    );
    let custom = AlertRule::parse(&with_trigger(SPEC_TRIGGERS[4].0, "accounts"), None).unwrap();
    let keys: Vec<String> = rule_keys(&custom).into_iter().map(|(key, _)| key).collect();
    assert_eq!(keys, vec!["custom:r"]);
}

#[test]
fn alert_ids_are_stable_across_versions() {
    let id = alert_id("cooling-off", SubjectKind::Accounts, "acme", "2026-12-01");
    assert_eq!(id, "al_1c92be61fa75a9bc28678ad6");
    assert_ne!(
        id,
        alert_id("cooling-off", SubjectKind::Users, "acme", "2026-12-01"),
        "a user and an account with the same id are different subjects"
    );
}
