//! What rules mean: missing values, type coercion, membership, accounts, precedence.

use super::support::{TestSubject, holds};
use crate::rules::{Field, Scope, Value};

fn user() -> TestSubject {
    TestSubject::new()
}

#[test]
fn every_comparison_with_a_missing_field_is_false() {
    for op in ["==", "!=", "<", "<=", ">", ">="] {
        let source = format!("traits.plan {op} 'pro'");

        assert!(!holds(&source, Scope::Users, &user()), "{source}");
        assert!(
            !holds(&format!("score {op} 1"), Scope::Users, &user()),
            "score {op} 1"
        );
    }
}

#[test]
fn a_null_value_compares_like_a_missing_one() {
    let subject = user().with_trait("plan", Value::Null);

    assert!(!holds("traits.plan != 'pro'", Scope::Users, &subject));
    assert!(!holds("traits.plan == 'pro'", Scope::Users, &subject));
}

#[test]
fn only_the_null_literal_matches_a_missing_value() {
    let nothing = user().with_trait("cleared", Value::Null);
    let something = user().with_trait("plan", "pro");

    assert!(holds(
        "traits.plan == null and traits.cleared == null",
        Scope::Users,
        &nothing
    ));
    assert!(!holds("traits.plan != null", Scope::Users, &nothing));
    assert!(holds(
        "traits.plan != null and null != traits.plan",
        Scope::Users,
        &something
    ));
    assert!(!holds("traits.plan == null", Scope::Users, &something));
    assert!(!holds("traits.plan == traits.other", Scope::Users, &user()));
}

#[test]
fn not_negates_a_comparison_with_a_missing_value() {
    assert!(holds("not (traits.plan == 'x')", Scope::Users, &user()));
    assert!(holds("not traits.plan == 'x'", Scope::Users, &user()));
}

#[test]
fn numeric_text_compares_as_a_number() {
    let subject = user()
        .with_trait("employees", "120")
        .with(Field::Score, 42.0);

    assert!(holds("traits.employees > 100", Scope::Users, &subject));
    assert!(holds("traits.employees == 120.0", Scope::Users, &subject));
    assert!(holds(
        "score == '42' and '41.5' < score",
        Scope::Users,
        &subject
    ));
    assert!(!holds(
        "traits.employees > 'abc'",
        Scope::Users,
        &user().with_trait("employees", 5.0)
    ));
}

#[test]
fn two_texts_compare_as_text_even_when_they_look_like_numbers() {
    let subject = user().with_trait("employees", "120");

    assert!(!holds("traits.employees > '99'", Scope::Users, &subject));
    assert!(holds("traits.employees < '99'", Scope::Users, &subject));
    assert!(holds(
        "traits.plan >= 'enterprise'",
        Scope::Users,
        &user().with_trait("plan", "pro")
    ));
}

#[test]
fn mismatched_types_are_neither_equal_nor_different() {
    let subject = user()
        .with_trait("beta", true)
        .with_trait("tags", Value::List(vec![]));

    assert!(!holds("traits.beta == 'true'", Scope::Users, &subject));
    assert!(!holds("traits.beta != 'true'", Scope::Users, &subject));
    assert!(!holds("traits.tags != 'a'", Scope::Users, &subject));
}

#[test]
fn booleans_support_only_equality() {
    let subject = user().with_trait("beta", true);

    assert!(holds(
        "traits.beta == true and traits.beta != false",
        Scope::Users,
        &subject
    ));
    assert!(!holds("traits.beta > 'a'", Scope::Users, &subject));
}

#[test]
fn a_bare_trait_is_a_condition_only_when_it_is_true() {
    assert!(holds(
        "traits.beta",
        Scope::Users,
        &user().with_trait("beta", true)
    ));
    assert!(!holds(
        "traits.beta",
        Scope::Users,
        &user().with_trait("beta", "true")
    ));
    assert!(!holds(
        "traits.beta",
        Scope::Users,
        &user().with_trait("beta", 1.0)
    ));
    assert!(!holds("traits.beta", Scope::Users, &user()));
}

#[test]
fn in_matches_any_item_of_a_literal_list() {
    let pro = user().with_trait("plan", "pro").with_trait("level", "3");

    assert!(holds(
        "traits.plan in ['pro', 'enterprise']",
        Scope::Users,
        &pro
    ));
    assert!(!holds("traits.plan in ['free']", Scope::Users, &pro));
    assert!(!holds("traits.plan in []", Scope::Users, &pro));
    assert!(holds("traits.level in [1, 2, 3]", Scope::Users, &pro));
    assert!(!holds("traits.plan in ['pro']", Scope::Users, &user()));
    assert!(holds("traits.plan in ['pro', null]", Scope::Users, &user()));
}

#[test]
fn in_tests_membership_of_a_list_valued_trait() {
    let roles = Value::List(vec!["admin".into(), "owner".into(), Value::Null]);
    let admin = user()
        .with_trait("roles", roles)
        .with_trait("role", "admin");

    assert!(holds("'admin' in traits.roles", Scope::Users, &admin));
    assert!(!holds("'viewer' in traits.roles", Scope::Users, &admin));
    assert!(!holds(
        "traits.missing in traits.roles",
        Scope::Users,
        &admin
    ));
    assert!(!holds("'admin' in traits.role", Scope::Users, &admin));
    assert!(!holds("'admin' in traits.gone", Scope::Users, &admin));
    assert!(holds("traits.role in traits.roles", Scope::Users, &admin));
}

#[test]
fn not_in_is_false_for_a_missing_value_unlike_not_before_in() {
    let free = user().with_trait("plan", "free");

    assert!(holds(
        "traits.plan not in ['pro', 'enterprise']",
        Scope::Users,
        &free
    ));
    assert!(!holds("traits.plan not in ['free']", Scope::Users, &free));
    assert!(!holds("traits.plan not in ['pro']", Scope::Users, &user()));
    assert!(holds("not traits.plan in ['pro']", Scope::Users, &user()));
}

#[test]
fn account_fields_hold_when_any_account_matches() {
    let account = |score: f64, plan: &str| {
        TestSubject::new()
            .with(Field::Score, score)
            .with_trait("plan", plan)
    };
    let user = user()
        .with_account(account(80.0, "free"))
        .with_account(account(20.0, "pro"));

    assert!(holds("account.score > 60", Scope::Users, &user));
    assert!(holds("account.traits.plan == 'pro'", Scope::Users, &user));
    assert!(!holds(
        "account.score > 60 and account.traits.plan == 'pro' and false",
        Scope::Users,
        &user
    ));
    assert!(!holds("account.score > 90", Scope::Users, &user));
}

#[test]
fn both_sides_of_one_comparison_read_the_same_account() {
    let account = |score: f64, target: f64| {
        TestSubject::new()
            .with(Field::Score, score)
            .with_trait("target", target)
    };
    let missing_targets = user()
        .with_account(account(50.0, 90.0))
        .with_account(account(10.0, 5.0));
    let all_short = user().with_account(account(50.0, 90.0));

    assert!(holds(
        "account.score > account.traits.target",
        Scope::Users,
        &missing_targets
    ));
    assert!(!holds(
        "account.score > account.traits.target",
        Scope::Users,
        &all_short
    ));
}

#[test]
fn a_user_without_accounts_matches_no_account_condition() {
    assert!(!holds("account.score > 0", Scope::Users, &user()));
    assert!(!holds("account.traits.beta", Scope::Users, &user()));
    assert!(holds("not account.score > 0", Scope::Users, &user()));
}

#[test]
fn not_binds_tighter_than_or() {
    for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
        let subject = user().with_segment("a", a).with_segment("b", b);

        let result = holds("not segment('a') or segment('b')", Scope::Users, &subject);

        assert_eq!(result, !a || b, "a={a} b={b}");
    }
}

#[test]
fn and_binds_tighter_than_or() {
    for bits in 0..8 {
        let (a, b, c) = (bits & 1 == 1, bits & 2 == 2, bits & 4 == 4);
        let subject = user()
            .with_segment("a", a)
            .with_segment("b", b)
            .with_segment("c", c);

        let result = holds(
            "segment('a') or segment('b') and segment('c')",
            Scope::Users,
            &subject,
        );

        assert_eq!(result, a || (b && c), "a={a} b={b} c={c}");
    }
}

#[test]
fn did_means_a_count_above_zero_for_the_same_window() {
    let subject =
        user()
            .with_count("Invite Sent", None, 2.0)
            .with_count("Invite Sent", Some(7), 0.0);

    assert!(holds("did('Invite Sent')", Scope::Users, &subject));
    assert!(!holds("did('Invite Sent', 7)", Scope::Users, &subject));
    assert!(holds(
        "count('Invite Sent') == 2 and count('Invite Sent', 7) == 0",
        Scope::Users,
        &subject
    ));
    assert!(!holds("did('Never Counted')", Scope::Users, &subject));
    assert!(holds("not did('Never Counted')", Scope::Users, &subject));
}

#[test]
fn an_unknown_segment_is_not_a_match() {
    assert!(!holds("segment('unknown')", Scope::Users, &user()));
    assert!(!holds(
        "segment('out')",
        Scope::Users,
        &user().with_segment("out", false)
    ));
    assert!(holds(
        "segment('in') == true",
        Scope::Users,
        &user().with_segment("in", true)
    ));
}

#[test]
fn negative_and_decimal_numbers_compare_exactly() {
    let subject = user()
        .with(Field::ScoreChange, -5.0)
        .with(Field::Adoption, 12.5);

    assert!(holds(
        "score_change <= -5 and score_change > -5.5",
        Scope::Users,
        &subject
    ));
    assert!(holds(
        "adoption == 12.5 and adoption != 12.49",
        Scope::Users,
        &subject
    ));
}
