//! Rules a person would write, taken from the spec: they parse and mean what they say.

use super::support::{TestSubject, holds, rule};
use crate::rules::{EventNeed, Field, Rule, Scope, Value};

const AT_RISK: &str = "score < 40 and score_change <= -5 and traits.plan in ['pro', 'enterprise']";
const REPORTS_WITHOUT_SHARING: &str =
    "count('Report Created', 30) >= 3 and not did('Dashboard Shared')";
const ENGAGED_ACCOUNT: &str = "account.score > 60 and activation < 50";
const COLD_OR_DESERTED: &str =
    "segment('ice_cold') or (users.active_pct < 20 and users.total >= 3)";

fn slipping_pro_user() -> TestSubject {
    TestSubject::new()
        .with(Field::Score, 30.0)
        .with(Field::ScoreChange, -8.0)
        .with_trait("plan", "pro")
}

#[test]
fn at_risk_rule_matches_a_slipping_pro_user() {
    assert!(holds(AT_RISK, Scope::Users, &slipping_pro_user()));
}

#[test]
fn at_risk_rule_ignores_a_free_user_or_a_small_drop() {
    let free = slipping_pro_user().with_trait("plan", "free");
    let small_drop = slipping_pro_user().with(Field::ScoreChange, -2.0);

    assert!(!holds(AT_RISK, Scope::Users, &free));
    assert!(!holds(AT_RISK, Scope::Users, &small_drop));
}

#[test]
fn reporting_without_sharing_needs_three_reports_in_thirty_days_and_no_share() {
    let reporter = TestSubject::new()
        .with_count("Report Created", Some(30), 3.0)
        .with_count("Dashboard Shared", None, 0.0);
    let sharer = reporter.clone().with_count("Dashboard Shared", None, 1.0);
    let occasional = reporter.clone().with_count("Report Created", Some(30), 2.0);

    assert!(holds(REPORTS_WITHOUT_SHARING, Scope::Users, &reporter));
    assert!(!holds(REPORTS_WITHOUT_SHARING, Scope::Users, &sharer));
    assert!(!holds(REPORTS_WITHOUT_SHARING, Scope::Users, &occasional));
}

#[test]
fn a_users_rule_reads_its_accounts_through_the_account_prefix() {
    let account = |score: f64| TestSubject::new().with(Field::Score, score);
    let user = TestSubject::new().with(Field::Activation, 40.0);
    let in_busy_account = user
        .clone()
        .with_account(account(50.0))
        .with_account(account(70.0));
    let in_quiet_account = user.clone().with_account(account(50.0));

    assert!(holds(ENGAGED_ACCOUNT, Scope::Users, &in_busy_account));
    assert!(!holds(ENGAGED_ACCOUNT, Scope::Users, &in_quiet_account));
    assert!(!holds(ENGAGED_ACCOUNT, Scope::Users, &user));
}

#[test]
fn population_filter_excludes_trial_users() {
    let trial = TestSubject::new().with_trait("plan", "trial");
    let paid = TestSubject::new().with_trait("plan", "pro");

    assert!(!holds("traits.plan != 'trial'", Scope::Population, &trial));
    assert!(holds("traits.plan != 'trial'", Scope::Population, &paid));
}

#[test]
fn accounts_rule_combines_a_segment_with_member_counts() {
    let cold = TestSubject::new().with_segment("ice_cold", true);
    let deserted = TestSubject::new()
        .with(Field::UsersActivePct, 10.0)
        .with(Field::UsersTotal, 5.0);
    let small = deserted.clone().with(Field::UsersTotal, 2.0);

    assert!(holds(COLD_OR_DESERTED, Scope::Accounts, &cold));
    assert!(holds(COLD_OR_DESERTED, Scope::Accounts, &deserted));
    assert!(!holds(COLD_OR_DESERTED, Scope::Accounts, &small));
}

#[test]
fn every_field_of_the_spec_parses_in_the_scope_that_has_it() {
    let shared = "score > 1 or raw_score > 1 or score_change > 1 or frequency > 1 or adoption > 1 \
                  or adoption_all_time > 1 or activation > 1 or first_seen_days > 1 \
                  or last_seen_days > 1 or traits.plan == 'x'";

    rule(shared, Scope::Users);
    rule(shared, Scope::Accounts);
    rule(
        "users.total > 1 or users.active > 1 or users.active_pct > 1",
        Scope::Accounts,
    );
    rule(
        "account.score > 1 or account.last_seen_days > 1 or account.traits.plan == 'x'",
        Scope::Users,
    );
    rule(
        "first_seen_days < 30 and last_seen_days < 7 and traits.plan == 'x'",
        Scope::Population,
    );
}

#[test]
fn keywords_are_case_insensitive() {
    let subject = TestSubject::new()
        .with(Field::Score, 5.0)
        .with_trait("beta", true);

    assert!(holds(
        "score > 1 AND Not did('X') Or traits.beta == TRUE",
        Scope::Users,
        &subject
    ));
    assert!(holds(
        "traits.gone == NULL and traits.beta != False",
        Scope::Users,
        &subject
    ));
}

#[test]
fn quoted_trait_names_may_hold_spaces() {
    let subject = TestSubject::new().with_trait("Company Size", "120");

    assert!(holds(
        "traits['Company Size'] >= 50",
        Scope::Accounts,
        &subject
    ));
    assert!(holds(
        "traits[\"Company Size\"] == 120",
        Scope::Accounts,
        &subject
    ));
}

#[test]
fn dotted_and_dashed_trait_names_are_one_name() {
    let subject = TestSubject::new().with_trait("company.size-band", "large");

    assert!(holds(
        "traits.company.size-band == 'large'",
        Scope::Users,
        &subject
    ));
}

#[test]
fn strings_take_either_quote_and_backslash_escapes() {
    let subject = TestSubject::new()
        .with_trait("name", "O\"Brien")
        .with_trait("motto", "it's\\fine");

    assert!(holds(
        r#"traits.name == "O\"Brien" and traits.motto == 'it\'s\\fine'"#,
        Scope::Users,
        &subject
    ));
}

#[test]
fn a_rule_may_span_several_lines() {
    let subject = slipping_pro_user();
    let source = "score < 40\n  and score_change <= -5\r\n  and traits.plan in [\n 'pro',\n 'enterprise',\n]";

    assert!(holds(source, Scope::Users, &subject));
}

#[test]
fn true_alone_matches_everyone() {
    assert!(holds("true", Scope::Population, &TestSubject::new()));
    assert!(!holds("false", Scope::Population, &TestSubject::new()));
}

#[test]
fn event_needs_lists_each_event_and_window_once() {
    let rule = rule(
        "did('A') or count('A') > 1 or count('A', 30) > 2 or did('B', 7) or did('A', 30)",
        Scope::Users,
    );

    let needs = rule.event_needs();

    let need = |event: &str, days| EventNeed {
        event: event.to_owned(),
        days,
    };
    assert_eq!(
        needs,
        vec![need("A", None), need("A", Some(30)), need("B", Some(7))]
    );
}

#[test]
fn segments_referenced_lists_each_segment_once() {
    let rule = rule(
        "segment('a') or not segment('b') and segment('a')",
        Scope::Accounts,
    );

    assert_eq!(
        rule.segments_referenced(),
        vec!["a".to_owned(), "b".to_owned()]
    );
}

#[test]
fn uses_account_fields_is_true_only_when_account_is_read() {
    assert!(rule(ENGAGED_ACCOUNT, Scope::Users).uses_account_fields());
    assert!(!rule(AT_RISK, Scope::Users).uses_account_fields());
}

#[test]
fn a_rule_keeps_its_source_and_scope() {
    let rule = Rule::parse(AT_RISK, Scope::Accounts).expect("valid");

    assert_eq!(rule.source(), AT_RISK);
    assert_eq!(rule.to_string(), AT_RISK);
    assert_eq!(rule.scope(), Scope::Accounts);
}

#[test]
fn json_values_convert_and_objects_become_null() {
    let json = serde_json::json!([null, true, 2.5, "x", {"a": 1}, [1]]);

    let value = Value::from_json(&json);

    let expected = Value::List(vec![
        Value::Null,
        Value::Bool(true),
        Value::Number(2.5),
        Value::String("x".into()),
        Value::Null,
        Value::List(vec![Value::Number(1.0)]),
    ]);
    assert_eq!(value, expected);
}

#[test]
fn fields_display_as_a_rule_would_name_them() {
    assert_eq!(Field::UsersActivePct.to_string(), "users.active_pct");
    assert_eq!(Field::Trait("plan".into()).to_string(), "traits.plan");
    assert_eq!(
        Field::Trait("Company Size".into()).to_string(),
        "traits['Company Size']"
    );
}
